/* sqlite_migrate.c - schema 7 to 8: the rows of items and decisions into blocks. */
#include "store/sqlite_block.h"

#include "merkle/merkle.h"

#include <stdlib.h>
#include <string.h>

/* ---- migration from schema 7: the rows of items and decisions into blocks ---- */

/* The blocks a migration writes: cut where a batch would be (a decision of the next unpaired
 * item after unpaired decisions) and at MIG_RECORDS records. */
#define MIG_RECORDS 20000

typedef struct mig {
    ex_store *s;
    ex_store_enc *enc;
    ex_sha256 *h;
    ex_packer *pk;
    ex_buf arena, out;
    size_t *ioff, *ilen, *doff, *dlen;
    int64_t *dkeys;
    size_t ni, nd, paired, cap;
    uint64_t first_item, first_dec;
    int open; /* unpaired decisions are in the block: no more pairs */
} mig;

static int
mig_flush(mig *m)
{
    if (m->ni + m->nd == 0)
        return EX_OK;
    size_t n = m->ni > m->nd ? m->ni : m->nd;
    const void **ip = malloc((n + 1) * sizeof *ip), **dp = malloc((n + 1) * sizeof *dp);
    int rc = ip && dp ? EX_OK : ex_fail(&m->s->err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; rc == EX_OK && i < m->ni; i++)
        ip[i] = m->arena.data + m->ioff[i];
    for (size_t i = 0; rc == EX_OK && i < m->nd; i++)
        dp[i] = m->arena.data + m->doff[i];
    m->out.len = 0;
    uint8_t(*leaves)[EX_HASH_BYTES] = rc == EX_OK ? malloc((m->nd + 1) * EX_HASH_BYTES) : NULL;
    if (rc == EX_OK && !leaves)
        rc = ex_fail(&m->s->err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; rc == EX_OK && i < m->nd; i++)
        if (ex_merkle_leaf(m->h, dp[i], m->dlen[i], leaves[i]) != EX_OK)
            rc = ex_fail(&m->s->err, EX_ECRYPTO, "cannot hash a decision");
    if (rc == EX_OK && (rc = ex_batch_encode(m->enc, m->ni, ip, m->ilen, m->nd, dp, m->dlen,
                                              m->paired, (const uint8_t(*)[EX_HASH_BYTES])leaves,
                                              &m->out)) != EX_OK)
        rc = ex_fail(&m->s->err, rc, "cannot make a block of items %llu.. and decisions %llu..",
                     (unsigned long long)m->first_item, (unsigned long long)m->first_dec);
    if (rc == EX_OK)
        rc = sqb_batch_put(m->s, m->first_item, m->ni, m->first_dec, m->nd, m->dkeys, m->paired,
                           m->out.data, m->out.len);
    free(ip);
    free(dp);
    free(leaves);
    m->first_item += m->ni;
    m->first_dec += m->nd;
    m->ni = m->nd = m->paired = 0;
    m->open = 0;
    m->arena.len = 0;
    return rc;
}

/* Room for one more item and decision; a stored record, unpacked, into the arena at *off. */
static int
mig_take(mig *m, int table, uint64_t id, const void *p, size_t n, size_t *off, size_t *len)
{
    if (m->ni == m->cap || m->nd == m->cap) {
        size_t c = m->cap ? 2 * m->cap : 1024;
        int ok = 1;
        EX_GROW(m->ioff, c, ok);
        EX_GROW(m->ilen, c, ok);
        EX_GROW(m->doff, c, ok);
        EX_GROW(m->dlen, c, ok);
        EX_GROW(m->dkeys, c, ok);
        if (!ok)
            return ex_fail(&m->s->err, EX_ENOMEM, "out of memory");
        m->cap = c;
    }
    ex_err e = {0};
    if (ex_packed(p, n) && ex_unpack(m->pk, p, n, &p, &n, &e) != EX_OK)
        return ex_fail(&m->s->err, EX_EFORMAT, "%s record %llu: %s", sq_tables[table],
                       (unsigned long long)id, e.msg);
    *off = m->arena.len;
    *len = n;
    return ex_buf_put(&m->arena, p, n) == EX_OK
               ? EX_OK
               : ex_fail(&m->s->err, EX_ENOMEM, "out of memory");
}

/* Every item and decision row (schema 7's tables) into blocks, then the old tables dropped. */
int
sqb_migrate(ex_store *s)
{
    sq_store *st = SQ(s);
    mig m = {.s = s, .first_item = 1, .first_dec = 1};
    sqlite3_stmt *qi = NULL, *qd = NULL;
    int rc = EX_OK;
    if (sq_enc_new(s, &m.enc) != EX_OK || ex_packer_new(&m.pk) != EX_OK ||
        ex_sha256_new(&m.h) != EX_OK)
        rc = ex_fail(&s->err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK &&
        (sqlite3_prepare_v2(st->db, "SELECT id, record FROM items ORDER BY id", -1, &qi, NULL) !=
             SQLITE_OK ||
         sqlite3_prepare_v2(st->db, "SELECT id, key, record FROM decisions ORDER BY id", -1, &qd,
                            NULL) != SQLITE_OK))
        rc = sq_dberr(s, "migrate to blocks");
    /* the items in id order, one ahead: the next one a decision may pair with */
    int ri = rc == EX_OK ? sqlite3_step(qi) : SQLITE_DONE, rd = SQLITE_DONE;
    while (rc == EX_OK && (rd = sqlite3_step(qd)) == SQLITE_ROW) {
        uint64_t id = (uint64_t)sqlite3_column_int64(qd, 0);
        int64_t key = sqlite3_column_int64(qd, 1);
        if (id != m.first_dec + m.nd) {
            rc = ex_fail(&s->err, EX_EFORMAT, "decisions: %llu is missing",
                         (unsigned long long)(m.first_dec + m.nd));
            break;
        }
        uint64_t iid = ri == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(qi, 0) : 0;
        int pairs = ri == SQLITE_ROW && key == (int64_t)iid;
        if ((pairs && m.open) || m.ni + m.nd + 2 > MIG_RECORDS) {
            if ((rc = mig_flush(&m)) != EX_OK)
                break;
        }
        size_t n;
        const void *p;
        if (pairs) {
            if (iid != m.first_item + m.ni) {
                rc = ex_fail(&s->err, EX_EFORMAT, "items: %llu is missing",
                             (unsigned long long)(m.first_item + m.ni));
                break;
            }
            size_t off, len;
            p = sq_column(qi, 1, &n);
            if ((rc = mig_take(&m, EX_TAB_ITEMS, iid, p, n, &off, &len)) != EX_OK)
                break;
            m.ioff[m.ni] = off, m.ilen[m.ni] = len;
            m.ni++, m.paired++;
            ri = sqlite3_step(qi);
        } else {
            m.open = 1;
        }
        p = sq_column(qd, 2, &n);
        /* mig_take may grow the arrays: index them after it */
        size_t off, len;
        if ((rc = mig_take(&m, EX_TAB_DECISIONS, id, p, n, &off, &len)) != EX_OK)
            break;
        m.doff[m.nd] = off, m.dlen[m.nd] = len, m.dkeys[m.nd] = key;
        m.nd++;
    }
    if (rc == EX_OK && rd != SQLITE_DONE)
        rc = sq_dberr(s, "migrate to blocks");
    if (rc == EX_OK)
        rc = mig_flush(&m);
    /* items without a decision (a ledger never has them): blocks of items alone */
    while (rc == EX_OK && ri == SQLITE_ROW) {
        uint64_t iid = (uint64_t)sqlite3_column_int64(qi, 0);
        size_t n, off, len;
        const void *p = sq_column(qi, 1, &n);
        if (iid != m.first_item + m.ni)
            rc = ex_fail(&s->err, EX_EFORMAT, "items: %llu is missing",
                         (unsigned long long)(m.first_item + m.ni));
        else if ((rc = mig_take(&m, EX_TAB_ITEMS, iid, p, n, &off, &len)) == EX_OK) {
            m.ioff[m.ni] = off, m.ilen[m.ni] = len;
            if (++m.ni == MIG_RECORDS)
                rc = mig_flush(&m);
            ri = sqlite3_step(qi);
        }
    }
    if (rc == EX_OK && ri != SQLITE_DONE)
        rc = sq_dberr(s, "migrate to blocks");
    if (rc == EX_OK)
        rc = mig_flush(&m);
    sqlite3_finalize(qi);
    sqlite3_finalize(qd);
    if (rc == EX_OK)
        rc = sq_exec(s, "DROP TABLE items; DROP TABLE decisions");
    ex_batch_enc_free(m.enc);
    ex_sha256_free(m.h);
    ex_packer_free(m.pk);
    ex_buf_free(&m.arena);
    ex_buf_free(&m.out);
    free(m.ioff);
    free(m.ilen);
    free(m.doff);
    free(m.dlen);
    free(m.dkeys);
    return rc;
}
