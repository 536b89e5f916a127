/* staged.c - the entries of a staged batch (stage.c writes them, sequence.c logs them),
 * checked before the sequencer reads any: a staged batch crossed a process and a database, so
 * every offset is bounded by its entry and every string ends inside it, and what a reader
 * derived from an item's bytes (its record's digest, the digest's formatted and index forms,
 * its URL's index key) is derived again and compared. A batch that fails is refused whole,
 * naming the entry and why; nothing of it is taken. */
#include "pipeline.h"

#include <string.h>

/* bytes [off, off + len] of body (len bytes and a NUL) lie inside it */
static int
str_in(const char *body, size_t blen, size_t off, size_t len)
{
    return off < blen && len < blen - off && body[off + len] == '\0';
}

static const char *
check_item(ex_sha256 *h, const ent *e, const char *body, int tree)
{
    size_t blen = e->body_len;
    if (e->rec_len > blen)
        return "its item record passes the entry's end";
    for (int i = 0; i < F_COUNT; i++)
        if (e->f_off[i] && !str_in(body, blen, e->f_off[i], e->f_len[i]))
            return "a field passes the entry's end";
    if (tree && (!e->path_len || !str_in(body, blen, e->path_off, e->path_len)))
        return "a file of a tree without its path";
    if (e->fp_off && (e->fp_off > blen || e->fp_len > blen - e->fp_off))
        return "its fingerprint passes the entry's end";
    if (!memchr(e->dig, 0, sizeof e->dig))
        return "its digest is not a string";
    char dig[EX_DIGEST_STR_BYTES];
    ex_digest_format(e->digest, dig);
    if (strcmp(dig, e->dig) != 0 || e->key != ex_dedup_key(e->digest))
        return "its digest's forms do not agree";
    uint8_t prov[EX_HASH_BYTES];
    if (ex_sha256_digest(h, body, e->rec_len, prov) != EX_OK ||
        memcmp(prov, e->prov, EX_HASH_BYTES) != 0)
        return "its item record does not hash to its provenance digest";
    if (e->f_off[F_REFERS] && e->ukey != url_key(h, body + e->f_off[F_REFERS]))
        return "its URL index key is not its URL's";
    if (e->f_off[F_URL] && !e->f_off[F_REFERS] && e->pkey &&
        e->pkey != url_key(h, body + e->f_off[F_URL]))
        return "its URL index key is not its URL's";
    return NULL;
}

int
staged_walk(ex_sha256 *h, const void *data, size_t len, uint64_t n, int tree,
            int (*fn)(void *ctx, const ent *e, const char *body), void *ctx, ex_err *err)
{
    const char *p = data;
    uint64_t k = 0;
    /* checked whole first: a batch is taken entirely or not at all */
    for (int pass = 0; pass < 2; pass++) {
        k = 0;
        for (size_t off = 0; off < len; k++) {
            size_t pad = (8 - off % 8) % 8;
            ent e;
            if (len - off < pad + sizeof e)
                return ex_fail(err, EX_EFORMAT, "entry %llu: cut short",
                               (unsigned long long)k);
            off += pad;
            memcpy(&e, p + off, sizeof e);
            const char *body = p + off + sizeof e, *why = NULL;
            if (e.body_len > len - off - sizeof e)
                why = "its body passes the batch's end";
            else if (e.kind == E_ITEM)
                why = pass == 0 ? check_item(h, &e, body, tree) : NULL;
            else if (e.kind == E_QUARANTINE)
                why = str_in(body, e.body_len, 0, e.rec_len) ? NULL : "its report is not a string";
            else if (e.kind == E_DONE)
                why = e.body_len && memchr(body, 0, e.body_len) ? NULL : "its message is not a string";
            else
                why = "an unknown kind of entry";
            if (why)
                return ex_fail(err, EX_EFORMAT, "entry %llu: %s", (unsigned long long)k, why);
            e.job = 0;
            if (pass == 1 && fn) {
                int rc = fn(ctx, &e, body);
                if (rc != EX_OK)
                    return rc;
            }
            off += sizeof e + e.body_len;
        }
        if (k != n)
            return ex_fail(err, EX_EFORMAT, "%llu entries, not the %llu its row says",
                           (unsigned long long)k, (unsigned long long)n);
    }
    return EX_OK;
}
