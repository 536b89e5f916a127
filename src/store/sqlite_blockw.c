/* sqlite_blockw.c - writing items and decisions as blocks (sqlite_block.c has the layout):
 * encode_batch makes a batch's blocks (its decisions' provenance left out, elide.h, and the
 * root of each block's decisions), batch_put stores them as rows. */
#include "store/sqlite_block.h"

#include "merkle/merkle.h"

#include <stdlib.h>
#include <string.h>

/* ---- writes ---- */

/* The store's encoding of a batch: its blocks back to back, each behind a header of four
 * 32-bit little-endian numbers (items, decisions, paired, the block's bytes) and the root of
 * its decisions (zeros without any). */
#define CHUNK_HEAD (16 + EX_HASH_BYTES)

/* One block of ni items and nd decisions, the first `paired` of each a pair, in the layout
 * above, appended to out behind its header. */
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
    int rc = ex_block_enc_build(e->blk, e->recs, e->lens, ni + nd, SQ_BLOCK_LEVEL, out);
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

/* The stored form of a batch: blocks of SQ_BLOCK_PAIRS pairs (their decisions' provenance left
 * out), then of the other items, then of the other decisions. */
int
sqb_encode_batch(ex_store_enc *e, size_t ni, const void *const *items, const size_t *ilens,
                 size_t nd, const void *const *decs, const size_t *dlens, size_t paired,
                 const uint8_t (*leaves)[EX_HASH_BYTES], ex_buf *out)
{
    size_t chunk = 2 * SQ_BLOCK_PAIRS;
    if (paired > ni || paired > nd || ni + nd == 0 || ni > UINT32_MAX || nd > UINT32_MAX)
        return EX_EINVAL;
    if (e->cap < chunk + paired + 1) {
        size_t c = chunk + paired + 1;
        int ok = 1;
        SQB_GROW(e->recs, c, ok);
        SQB_GROW(e->lens, c, ok);
        SQB_GROW(e->eoff, c, ok);
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
    for (size_t at = 0; rc == EX_OK && at < paired; at += SQ_BLOCK_PAIRS) {
        size_t m = paired - at < SQ_BLOCK_PAIRS ? paired - at : SQ_BLOCK_PAIRS;
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

/* One block row and the decision_keys rows of its unpaired decisions. */
static int
put_row(ex_store *s, uint64_t item_first, size_t ni, uint64_t dec_first, size_t nd,
        const int64_t *dkeys, size_t paired, const void *block, size_t blen, const uint8_t *root)
{
    unsigned char *keys = malloc(8 * (nd - paired) + 1);
    if (!keys)
        return ex_fail(&s->err, EX_ENOMEM, "out of memory");
    for (size_t k = paired; k < nd; k++)
        ex_put_le(keys + 8 * (k - paired), (uint64_t)dkeys[k], 8);
    sqlite3_stmt *q = sqb_stmt(s, B_PUT);
    int rc;
    if (!q)
        rc = sq_dberr(s, "prepare");
    else {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)item_first);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)ni);
        sqlite3_bind_int64(q, 3, (sqlite3_int64)dec_first);
        sqlite3_bind_int64(q, 4, (sqlite3_int64)nd);
        sqlite3_bind_int64(q, 5, (sqlite3_int64)paired);
        sqlite3_bind_blob(q, 6, keys, (int)(8 * (nd - paired)), SQLITE_STATIC);
        sqlite3_bind_blob(q, 7, block, (int)blen, SQLITE_STATIC);
        if (nd)
            sqlite3_bind_blob(q, 8, root, EX_HASH_BYTES, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, 8);
        rc = sq_run(s, q, "store a block");
    }
    free(keys);
    for (size_t k = paired; rc == EX_OK && k < nd; k++) {
        if (!(q = sqb_stmt(s, B_KEY_PUT)))
            return sq_dberr(s, "prepare");
        sqlite3_bind_int64(q, 1, dkeys[k]);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)(dec_first + k));
        rc = sq_run(s, q, "index a decision");
    }
    return rc;
}

int
sqb_batch_put(ex_store *s, uint64_t first_item, size_t ni, uint64_t first_dec, size_t nd,
              const int64_t *dkeys, size_t paired, const void *data, size_t len)
{
    if (paired > ni || paired > nd || ni + nd == 0)
        return ex_fail(&s->err, EX_EINVAL, "batch_put: %zu paired of %zu items, %zu decisions",
                       paired, ni, nd);
    for (size_t k = 0; k < paired; k++)
        if (dkeys[k] != (int64_t)(first_item + k))
            return ex_fail(&s->err, EX_EINVAL, "batch_put: decision %zu is not item %zu's", k, k);
    /* ids follow the ones stored: another writer that took them makes this batch fail */
    uint64_t mi, md;
    int rc = sqb_max(s, EX_TAB_ITEMS, &mi);
    if (rc == EX_OK)
        rc = sqb_max(s, EX_TAB_DECISIONS, &md);
    if (rc != EX_OK)
        return rc;
    if ((ni && first_item != mi + 1) || (nd && first_dec != md + 1))
        return ex_fail(&s->err, EX_EDB, "batch_put: ids taken (items from %llu, decisions from "
                                        "%llu are next)",
                       (unsigned long long)(mi + 1), (unsigned long long)(md + 1));
    /* the blocks encode_batch made, each with its share of the ids */
    const unsigned char *p = data, *end = p + len;
    uint64_t it = mi + 1, dc = md + 1;
    size_t di = 0, ii = 0, pp = 0;
    while (rc == EX_OK && p < end) {
        if ((size_t)(end - p) < CHUNK_HEAD)
            return ex_fail(&s->err, EX_EINVAL, "batch_put: not encode_batch's form");
        size_t cni = (size_t)ex_get_le(p, 4), cnd = (size_t)ex_get_le(p + 4, 4);
        size_t cp = (size_t)ex_get_le(p + 8, 4), blen = (size_t)ex_get_le(p + 12, 4);
        p += CHUNK_HEAD;
        if (blen > (size_t)(end - p) || cni > ni - ii || cnd > nd - di || cp > cni || cp > cnd ||
            (cp && (ii != pp || di != pp)))
            return ex_fail(&s->err, EX_EINVAL, "batch_put: not encode_batch's form");
        rc = put_row(s, it, cni, dc, cnd, dkeys + di, cp, p, blen, p - EX_HASH_BYTES);
        p += blen;
        it += cni, dc += cnd, ii += cni, di += cnd, pp += cp;
    }
    if (rc == EX_OK && (ii != ni || di != nd || pp != paired))
        return ex_fail(&s->err, EX_EINVAL, "batch_put: its blocks hold %zu items, %zu decisions, "
                                           "not %zu and %zu",
                       ii, di, ni, nd);
    return rc;
}

