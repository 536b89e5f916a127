/* batch.c - a batch's items and decisions as block rows, shared by the stores that keep them
 * so (batch.h): encoding a batch, walking what the encoder made, reading a row's records. */
#include "store/batch.h"

#include "merkle/merkle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding ---- */

/* The encoding of a batch: its blocks back to back, each behind a header of four 32-bit
 * little-endian numbers (items, decisions, paired, the block's bytes) and the root of its
 * decisions (zeros without any). */
#define CHUNK_HEAD (16 + EX_HASH_BYTES)

int
ex_batch_enc_new(int packer, ex_store_enc **out)
{
    ex_store_enc *e = calloc(1, sizeof *e);
    if (!e || (packer && ex_packer_new(&e->pk) != EX_OK)) {
        free(e);
        return EX_ENOMEM;
    }
    *out = e;
    return EX_OK;
}

void
ex_batch_enc_free(ex_store_enc *e)
{
    if (!e)
        return;
    ex_packer_free(e->pk);
    ex_block_enc_free(e->blk);
    free(e->recs);
    free(e->lens);
    free(e->eoff);
    ex_buf_free(&e->elided);
    ex_sha256_free(e->h);
    free(e);
}

/* One block of ni items and nd decisions, the first `paired` of each a pair, in the layout of
 * sqlite_block.c, appended to out behind its header. */
static int
put_chunk(ex_store_enc *e, size_t ni, const void *const *items, const size_t *ilens, size_t nd,
          const void *const *decs, const size_t *dlens, size_t paired,
          const uint8_t (*leaves)[EX_HASH_BYTES], ex_buf *out)
{
    uint8_t root[EX_HASH_BYTES] = {0};
    if (nd && ex_merkle_root(e->h, leaves, nd, root) != EX_OK)
        return EX_ECRYPTO;
    for (size_t k = 0; k < ni; k++) {
        size_t pos = k < paired ? 2 * k : paired + k;
        e->recs[pos] = items[k], e->lens[pos] = ilens[k];
    }
    for (size_t k = 0; k < nd; k++) {
        size_t pos = k < paired ? 2 * k + 1 : ni + k;
        e->recs[pos] = decs[k], e->lens[pos] = dlens[k];
    }
    size_t at = out->len;
    if (ex_buf_reserve(out, CHUNK_HEAD) != EX_OK)
        return EX_ENOMEM;
    out->len += CHUNK_HEAD;
    int rc = ex_block_enc_build(e->blk, e->recs, e->lens, ni + nd, EX_BATCH_LEVEL, out);
    if (rc != EX_OK)
        return rc;
    unsigned char *h = (unsigned char *)out->data + at;
    ex_put_le(h, (uint32_t)ni, 4);
    ex_put_le(h + 4, (uint32_t)nd, 4);
    ex_put_le(h + 8, (uint32_t)paired, 4);
    ex_put_le(h + 12, (uint32_t)(out->len - at - CHUNK_HEAD), 4);
    memcpy(h + 16, root, EX_HASH_BYTES);
    return EX_OK;
}

int
ex_batch_encode(ex_store_enc *e, size_t ni, const void *const *items, const size_t *ilens,
                size_t nd, const void *const *decs, const size_t *dlens, size_t paired,
                const uint8_t (*leaves)[EX_HASH_BYTES], ex_buf *out)
{
    size_t chunk = 2 * EX_BATCH_PAIRS;
    if (paired > ni || paired > nd || ni + nd == 0 || ni > UINT32_MAX || nd > UINT32_MAX)
        return EX_EINVAL;
    if (e->cap < chunk + paired + 1) {
        size_t c = chunk + paired + 1;
        int ok = 1;
        EX_GROW(e->recs, c, ok);
        EX_GROW(e->lens, c, ok);
        EX_GROW(e->eoff, c, ok);
        if (!ok)
            return EX_ENOMEM;
        e->cap = c;
    }
    if ((!e->blk && ex_block_enc_new(&e->blk) != EX_OK) || (!e->h && ex_sha256_new(&e->h) != EX_OK))
        return EX_ENOMEM;
    /* the paired decisions as stored, back to back in e->elided */
    e->elided.len = 0;
    for (size_t k = 0; k < paired; k++) {
        e->eoff[k] = e->elided.len;
        int rc = ex_elide_put(e->h, items[k], ilens[k], decs[k], dlens[k], &e->elided);
        if (rc != EX_OK)
            return rc;
    }
    e->eoff[paired] = e->elided.len;
    size_t start = out->len;
    int rc = EX_OK;
    /* pointers into e->elided, made now that it has stopped growing: after the recs used by
     * put_chunk (chunk of them) */
    const void **ep = e->recs + chunk;
    size_t *el = e->eoff; /* lengths, in place of the offsets (each read before it is written) */
    for (size_t k = 0; k < paired; k++)
        ep[k] = e->elided.data + e->eoff[k];
    for (size_t k = 0; k < paired; k++)
        el[k] = e->eoff[k + 1] - e->eoff[k];
    for (size_t at = 0; rc == EX_OK && at < paired; at += EX_BATCH_PAIRS) {
        size_t m = paired - at < EX_BATCH_PAIRS ? paired - at : EX_BATCH_PAIRS;
        rc = put_chunk(e, m, items + at, ilens + at, m, ep + at, el + at, m, leaves + at, out);
    }
    for (size_t at = paired; rc == EX_OK && at < ni; at += chunk) {
        size_t m = ni - at < chunk ? ni - at : chunk;
        rc = put_chunk(e, m, items + at, ilens + at, 0, NULL, NULL, 0, NULL, out);
    }
    for (size_t at = paired; rc == EX_OK && at < nd; at += chunk) {
        size_t m = nd - at < chunk ? nd - at : chunk;
        rc = put_chunk(e, 0, NULL, NULL, m, decs + at, dlens + at, 0, leaves + at, out);
    }
    if (rc != EX_OK)
        out->len = start;
    return rc;
}

int
ex_batch_check(uint64_t first_item, size_t ni, size_t nd, const int64_t *dkeys, size_t paired,
               ex_err *err)
{
    if (paired > ni || paired > nd || ni + nd == 0)
        return ex_fail(err, EX_EINVAL, "batch_put: %zu paired of %zu items, %zu decisions",
                       paired, ni, nd);
    for (size_t k = 0; k < paired; k++)
        if (dkeys[k] != (int64_t)(first_item + k))
            return ex_fail(err, EX_EINVAL, "batch_put: decision %zu is not item %zu's", k, k);
    return EX_OK;
}

int
ex_batch_walk(const void *data, size_t len, size_t ni, size_t nd, size_t paired,
              int (*put)(void *ctx, const ex_batch_chunk *c), void *ctx, ex_err *err)
{
    const unsigned char *p = data, *end = p + len;
    size_t di = 0, ii = 0, pp = 0;
    int rc = EX_OK;
    while (rc == EX_OK && p < end) {
        if ((size_t)(end - p) < CHUNK_HEAD)
            return ex_fail(err, EX_EINVAL, "batch_put: not encode_batch's form");
        ex_batch_chunk c = {.item_at = ii, .dec_at = di};
        c.ni = (size_t)ex_get_le(p, 4), c.nd = (size_t)ex_get_le(p + 4, 4);
        c.paired = (size_t)ex_get_le(p + 8, 4), c.blen = (size_t)ex_get_le(p + 12, 4);
        c.root = p + 16;
        p += CHUNK_HEAD;
        c.block = p;
        if (c.blen > (size_t)(end - p) || c.ni > ni - ii || c.nd > nd - di || c.paired > c.ni ||
            c.paired > c.nd || (c.paired && (ii != pp || di != pp)))
            return ex_fail(err, EX_EINVAL, "batch_put: not encode_batch's form");
        rc = put(ctx, &c);
        p += c.blen;
        ii += c.ni, di += c.nd, pp += c.paired;
    }
    if (rc == EX_OK && (ii != ni || di != nd || pp != paired))
        return ex_fail(err, EX_EINVAL, "batch_put: its blocks hold %zu items, %zu decisions, "
                                       "not %zu and %zu",
                       ii, di, ni, nd);
    return rc;
}

/* ---- a block row ---- */

void
ex_blockrow_free(ex_blockrow *b)
{
    if (!b)
        return;
    ex_block_dec_free(b->dec);
    ex_buf_free(&b->scratch);
    ex_sha256_free(b->h);
    free(b->keys);
    free(b);
}

int
ex_blockrow_new(ex_blockrow **out)
{
    ex_blockrow *b = calloc(1, sizeof *b);
    if (!b || ex_block_dec_new(&b->dec) != EX_OK || ex_sha256_new(&b->h) != EX_OK) {
        if (b)
            ex_block_dec_free(b->dec);
        free(b);
        return EX_ENOMEM;
    }
    *out = b;
    return EX_OK;
}

int
ex_blockrow_damaged(ex_err *err, const ex_blockrow *b, const char *why)
{
    return ex_fail(err, EX_EFORMAT, "block %lld (items %llu-%llu, decisions %llu-%llu): %s",
                   (long long)b->row, (unsigned long long)b->item_first,
                   (unsigned long long)(b->item_first + b->item_n - 1),
                   (unsigned long long)b->dec_first,
                   (unsigned long long)(b->dec_first + b->dec_n - 1), why);
}

int
ex_blockrow_set(ex_blockrow *b, int64_t row, const int64_t v[5], const void *keys, size_t klen,
                ex_err *err)
{
    if (row == b->row && row)
        return EX_OK;
    b->row = row;
    b->opened = 0;
    b->item_first = (uint64_t)v[0], b->item_n = (uint64_t)v[1];
    b->dec_first = (uint64_t)v[2], b->dec_n = (uint64_t)v[3], b->paired = (uint64_t)v[4];
    int bad = v[0] < 1 || v[1] < 0 || v[2] < 1 || v[3] < 0 || v[4] < 0 || v[4] > v[1] ||
              v[4] > v[3] || (uint64_t)(v[1] + v[3]) > EX_BLOCK_MAX_RECORDS ||
              klen != 8 * (size_t)(v[3] - v[4]);
    if (bad) {
        int rc = ex_blockrow_damaged(err, b, "its counts do not fit its keys");
        b->row = 0;
        b->item_n = b->dec_n = 0;
        return rc;
    }
    size_t nk = (size_t)(b->dec_n - b->paired);
    if (nk > b->kcap) {
        int64_t *p = realloc(b->keys, nk * sizeof *p);
        if (!p) {
            b->row = 0;
            return ex_fail(err, EX_ENOMEM, "out of memory");
        }
        b->keys = p, b->kcap = nk;
    }
    const unsigned char *k = keys;
    for (size_t i = 0; i < nk; i++)
        b->keys[i] = (int64_t)ex_get_le(k + 8 * i, 8);
    return EX_OK;
}

int64_t
ex_blockrow_key(const ex_blockrow *b, uint64_t k)
{
    return k < b->paired ? (int64_t)(b->item_first + k) : b->keys[k - b->paired];
}

int
ex_blockrow_open(ex_blockrow *b, const void *data, size_t len, ex_err *err)
{
    ex_err e = {0};
    int rc = EX_OK;
    int orc = ex_block_open(b->dec, data, len, &e);
    if (orc == EX_ENOMEM) /* not damage: the same block opens with memory to spare */
        rc = ex_fail(err, orc, "%s", e.msg[0] ? e.msg : "out of memory");
    else if (orc != EX_OK)
        rc = ex_blockrow_damaged(err, b, e.msg);
    else if (ex_block_count(b->dec) != b->item_n + b->dec_n)
        rc = ex_blockrow_damaged(err, b, "its record count does not match its row");
    if (rc != EX_OK)
        b->row = 0;
    else
        b->opened = 1;
    return rc;
}

int
ex_blockrow_record(ex_blockrow *b, int items, uint64_t id, const void **rec, size_t *len,
                   ex_err *err)
{
    uint64_t k, pos;
    if (items) {
        k = id - b->item_first;
        pos = k < b->paired ? 2 * k : b->paired + k;
    } else {
        k = id - b->dec_first;
        pos = k < b->paired ? 2 * k + 1 : b->item_n + k;
    }
    if (ex_block_get(b->dec, (size_t)pos, rec, len) != EX_OK)
        return ex_blockrow_damaged(err, b, "no record");
    if (items || k >= b->paired)
        return EX_OK;
    /* a paired decision: its provenance from the item before it */
    const void *item;
    size_t ilen;
    if (ex_block_get(b->dec, (size_t)(2 * k), &item, &ilen) != EX_OK)
        return ex_blockrow_damaged(err, b, "no record");
    int rc = ex_elide_get(b->h, item, ilen, *rec, *len, &b->scratch, rec, len);
    return rc == EX_OK ? EX_OK
                       : ex_fail(err, rc, "%s", rc == EX_ENOMEM ? "out of memory"
                                                                  : "cannot hash an item");
}

int
ex_blockrow_visit(ex_blockrow *b, int items, uint64_t from, uint64_t to, int desc,
                  ex_record_want want, ex_record_visit fn, void *ctx,
                  int (*open)(void *octx, ex_blockrow *b), void *octx, ex_err *err)
{
    uint64_t first = items ? b->item_first : b->dec_first, n = items ? b->item_n : b->dec_n;
    int rc = EX_OK;
    for (uint64_t i = 0; rc == EX_OK && i < n; i++) {
        uint64_t k = desc ? n - 1 - i : i, id = first + k;
        if (id < from || id >= to)
            continue;
        int64_t key = items ? 0 : ex_blockrow_key(b, k);
        int w = want ? want(ctx, id, key) : 1;
        if (w < 0)
            return w;
        const void *p;
        size_t len;
        if (w && (b->opened || (rc = open(octx, b)) == EX_OK) &&
            (rc = ex_blockrow_record(b, items, id, &p, &len, err)) == EX_OK)
            rc = fn(ctx, id, key, p, len);
    }
    return rc;
}
