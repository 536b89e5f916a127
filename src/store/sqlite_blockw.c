/* sqlite_blockw.c - writing items and decisions as blocks (sqlite_block.c has the layout):
 * batch_put stores the blocks that encode_batch made (batch.c: their decisions' provenance
 * left out, elide.h, and the root of each block's decisions) as rows. */
#include "store/sqlite_block.h"

#include <stdlib.h>
#include <string.h>

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

typedef struct put_ctx {
    ex_store *s;
    uint64_t item_first, dec_first;
    const int64_t *dkeys;
} put_ctx;

static int
put_one(void *ctx, const ex_batch_chunk *c)
{
    put_ctx *pc = ctx;
    return put_row(pc->s, pc->item_first + c->item_at, c->ni, pc->dec_first + c->dec_at, c->nd,
                   pc->dkeys + c->dec_at, c->paired, c->block, c->blen, c->root);
}

int
sqb_batch_put(ex_store *s, uint64_t first_item, size_t ni, uint64_t first_dec, size_t nd,
              const int64_t *dkeys, size_t paired, const void *data, size_t len)
{
    if (ex_batch_check(first_item, ni, nd, dkeys, paired, &s->err) != EX_OK)
        return EX_EINVAL;
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
    put_ctx pc = {s, mi + 1, md + 1, dkeys};
    return ex_batch_walk(data, len, ni, nd, paired, put_one, &pc, &s->err);
}
