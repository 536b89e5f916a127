/* sqlite_check.c - check_indexes: the blocks' indexes and decision_keys against the rows. */
#include "store/sqlite_block.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- checking the indexes against the rows ---- */

/* The blocks holding table's records, in id order through its index and through the table
 * itself: the same rows, their ranges following each other from 1. */
static int
check_order(ex_store *s, int items)
{
    sq_store *st = SQ(s);
    const char *f = items ? "item_first" : "dec_first", *n = items ? "item_n" : "dec_n";
    char a[200], b[200];
    snprintf(a, sizeof a, "SELECT id, %s, %s FROM blocks INDEXED BY %s WHERE %s > 0 ORDER BY %s",
             f, n, items ? "blocks_items" : "blocks_decisions", n, f);
    snprintf(b, sizeof b, "SELECT id, %s, %s FROM blocks NOT INDEXED WHERE %s > 0 ORDER BY id", f,
             n, n);
    sqlite3_stmt *qa = NULL, *qb = NULL;
    int rc = EX_OK, ra = SQLITE_ROW, rb = SQLITE_ROW;
    if (sqlite3_prepare_v2(st->db, a, -1, &qa, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, b, -1, &qb, NULL) != SQLITE_OK)
        rc = sq_dberr(s, "check the blocks' index");
    uint64_t next = 1;
    while (rc == EX_OK) {
        ra = sqlite3_step(qa), rb = sqlite3_step(qb);
        if (ra != rb || (ra != SQLITE_ROW && ra != SQLITE_DONE)) {
            rc = ra != SQLITE_ROW && ra != SQLITE_DONE
                     ? sq_dberr(s, "read the blocks' index")
                     : ex_fail(&s->err, EX_EVERIFY, "the index of the blocks by %s id has %s "
                                                     "rows than the blocks",
                               items ? "item" : "decision", ra == SQLITE_ROW ? "more" : "fewer");
            break;
        }
        if (ra == SQLITE_DONE)
            break;
        int64_t id = sqlite3_column_int64(qb, 0);
        uint64_t first = (uint64_t)sqlite3_column_int64(qb, 1);
        if (sqlite3_column_int64(qa, 0) != id || (uint64_t)sqlite3_column_int64(qa, 1) != first ||
            sqlite3_column_int64(qa, 2) != sqlite3_column_int64(qb, 2))
            rc = ex_fail(&s->err, EX_EVERIFY, "the index of the blocks by %s id differs from "
                                              "block %lld",
                         items ? "item" : "decision", (long long)id);
        else if (first != next)
            rc = ex_fail(&s->err, EX_EVERIFY, "block %lld: its %s start at %llu, not %llu",
                         (long long)id, items ? "items" : "decisions", (unsigned long long)first,
                         (unsigned long long)next);
        next = first + (uint64_t)sqlite3_column_int64(qb, 2);
    }
    sqlite3_finalize(qa);
    sqlite3_finalize(qb);
    return rc;
}

/* Both orders of the blocks agree, and decision_keys holds exactly the unpaired decisions
 * under the keys their blocks give. */
int
sqb_check(ex_store *s)
{
    if (s->schema < 8)
        return EX_OK;
    int rc = check_order(s, 1);
    if (rc == EX_OK)
        rc = check_order(s, 0);
    if (rc != EX_OK)
        return rc;
    sq_store *st = SQ(s);
    sqlite3_stmt *q = NULL;
    int64_t want = 0, rows = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT ifnull(sum(dec_n - paired), 0) FROM blocks", -1, &q,
                           NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return sq_dberr(s, "count the unpaired decisions");
    }
    want = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(st->db, "SELECT key, id FROM decision_keys", -1, &q, NULL) !=
        SQLITE_OK)
        return sq_dberr(s, "check decision_keys");
    sq_block *b = NULL;
    if ((rc = sqb_blk_new(s, &b)) != EX_OK) {
        sqlite3_finalize(q);
        return rc;
    }
    int r;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t key = sqlite3_column_int64(q, 0);
        uint64_t id = (uint64_t)sqlite3_column_int64(q, 1);
        sqlite3_stmt *qs;
        rows++;
        rc = sqb_seek(s, EX_TAB_DECISIONS, id, b, &qs);
        if (rc == EX_OK && (id - b->dec_first < b->paired || ex_blockrow_key(b, id - b->dec_first) != key))
            rc = ex_fail(&s->err, EX_EVERIFY, "decision_keys: decision %llu under item %lld, "
                                              "its block %lld says otherwise",
                         (unsigned long long)id, (long long)key, (long long)b->row);
        else if (rc == EX_ENOTFOUND)
            rc = ex_fail(&s->err, EX_EVERIFY, "decision_keys: no decision %llu",
                         (unsigned long long)id);
        if (qs)
            sqlite3_reset(qs);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = sq_dberr(s, "read decision_keys");
    if (rc == EX_OK && rows != want)
        rc = ex_fail(&s->err, EX_EVERIFY, "decision_keys: %lld rows for %lld decisions that are "
                                          "not their item's first",
                     (long long)rows, (long long)want);
    sqlite3_finalize(q);
    ex_blockrow_free(b);
    return rc;
}

