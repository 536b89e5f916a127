/* test_log.c - the tiled log over SQLite: roots and proofs against an in-memory tree at many
 * sizes (across tile and stratum boundaries), reopen, limits and rollback, verify after
 * tampering, the C2SP tiles export layout, and proof documents round-tripping through
 * ex_log_proof_parse / ex_log_proof_verify. */
#include <jansson.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exante.h"
#include "log/log.h"
#include "t.h"

#define N 70000

static uint8_t (*leaves)[EX_HASH_BYTES];
static ex_sha256 *H;

static void
entry_text(uint64_t i, char *buf, size_t *len)
{
    *len = (size_t)snprintf(buf, 64, "{\"n\":%llu,\"type\":\"test\"}", (unsigned long long)i);
}

static void
append_range(ex_log *g, uint64_t from, uint64_t to)
{
    static char bufs[4096][64];
    const void *ptrs[4096];
    size_t lens[4096];
    while (from < to) {
        size_t n = to - from > 4096 ? 4096 : (size_t)(to - from);
        for (size_t i = 0; i < n; i++) {
            entry_text(from + i, bufs[i], &lens[i]);
            ptrs[i] = bufs[i];
            ex_merkle_leaf(H, bufs[i], lens[i], leaves[from + i]);
        }
        uint64_t first = 0;
        CHECK_RC(ex_log_append(g, ptrs, lens, n, &first), EX_OK);
        CHECK(first == from);
        from += n;
    }
}

/* roots, inclusion and consistency proofs at `size` against the in-memory leaves */
static void
check_size(ex_log *g, uint64_t size, unsigned seed)
{
    uint8_t want[EX_HASH_BYTES], got[EX_HASH_BYTES];
    ex_merkle_root(H, (const uint8_t(*)[EX_HASH_BYTES])leaves, size, want);
    CHECK_RC(ex_log_root(g, size, got), EX_OK);
    CHECK(memcmp(want, got, EX_HASH_BYTES) == 0);
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t n;
    int bad = 0;
    for (int k = 0; k < 40 && size; k++) {
        uint64_t i = (k < 2) ? (k ? size - 1 : 0) : (seed * 2654435761u + (unsigned)k * 40503u) % size;
        if (ex_log_prove_inclusion(g, i, size, proof, &n) != EX_OK ||
            ex_merkle_verify_inclusion(H, i, size, leaves[i],
                                       (const uint8_t(*)[EX_HASH_BYTES])proof, n, want,
                                       EX_HASH_BYTES) != EX_OK)
            bad++;
        uint64_t old = i + 1;
        uint8_t oroot[EX_HASH_BYTES];
        ex_merkle_root(H, (const uint8_t(*)[EX_HASH_BYTES])leaves, old, oroot);
        if (ex_log_prove_consistency(g, old, size, proof, &n) != EX_OK ||
            ex_merkle_verify_consistency(H, old, size, (const uint8_t(*)[EX_HASH_BYTES])proof, n,
                                         oroot, EX_HASH_BYTES, want, EX_HASH_BYTES) != EX_OK)
            bad++;
    }
    if (bad)
        fprintf(stderr, "size %llu: %d bad proofs\n", (unsigned long long)size, bad);
    CHECK(bad == 0);
}

static int
file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (int)sb.st_size : -1;
}

static void
sql(const char *db, const char *stmt)
{
    sqlite3 *s;
    CHECK(sqlite3_open(db, &s) == SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(s, stmt, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", stmt, err);
        t_checks++, t_failures++;
    }
    sqlite3_free(err);
    sqlite3_close(s);
}

/* reopen and verify; returns the rc and copies the message */
static int
reverify(const char *dir, char *msg, size_t cap)
{
    ex_ledger *l;
    ex_err e = {0};
    ex_ledger_opts ro = {.read_only = 1};
    int rc = ex_ledger_open(dir, &ro, &l, &e);
    if (rc != EX_OK) {
        snprintf(msg, cap, "%s", e.msg);
        return rc;
    }
    ex_vkey vk;
    ex_vkey_parse(ex_ledger_vkey(l), &vk, &e);
    rc = ex_log_verify(ex_ledger_log(l), &vk, NULL, NULL);
    snprintf(msg, cap, "%s", ex_log_errmsg(ex_ledger_log(l)));
    ex_ledger_close(l);
    return rc;
}

/* ---- fault injection: a store whose checkpoint writes fail on demand ---- */

static int fail_checkpoints;
static ex_store_ops faulty;
static const ex_store_ops *real_ops;

static int
failing_checkpoint_put(ex_store *s, uint64_t size, const char *note, size_t len)
{
    if (fail_checkpoints)
        return ex_fail(&s->err, EX_EDB, "injected: disk I/O error");
    return real_ops->checkpoint_put(s, size, note, len);
}

static void
fault_injection(void)
{
    ex_err e = {0};
    ex_store *st = NULL;
    ex_key *k = NULL;
    ex_log *g = NULL;
    ex_store_opts so = {.create = 1};
    CHECK_RC(ex_store_open_sqlite(":memory:", &so, &st, &e), EX_OK);
    CHECK_RC(ex_key_generate("fault.example/log", &k, &e), EX_OK);
    if (!st || !k)
        return;
    real_ops = st->ops;
    faulty = *st->ops;
    faulty.checkpoint_put = failing_checkpoint_put;
    st->ops = &faulty;
    CHECK_RC(ex_log_open(st, "fault.example/log", k, &g, &e), EX_OK);
    if (!g)
        return;
    append_range(g, 0, 300);
    uint8_t before[EX_HASH_BYTES], after[EX_HASH_BYTES];
    CHECK_RC(ex_log_root(g, 300, before), EX_OK);

    /* a failure at the end of the transaction (after tiles were written) loses nothing and
     * leaves memory matching storage */
    fail_checkpoints = 1;
    static char bufs[1000][64];
    const void *ptrs[1000];
    size_t lens[1000];
    for (int i = 0; i < 1000; i++) {
        entry_text(300 + (uint64_t)i, bufs[i], &lens[i]);
        ptrs[i] = bufs[i];
    }
    CHECK_RC(ex_log_append(g, ptrs, lens, 1000, NULL), EX_EDB);
    CHECK(strstr(ex_log_errmsg(g), "injected") != NULL);
    CHECK(ex_log_size(g) == 300);
    CHECK_RC(ex_log_root(g, 300, after), EX_OK);
    CHECK(memcmp(before, after, EX_HASH_BYTES) == 0);
    uint8_t *data;
    size_t dlen;
    CHECK_RC(ex_log_entry_dup(g, 300, &data, &dlen), EX_ERANGE);
    check_size(g, 300, 3);

    /* the same append then succeeds and the tree is right */
    fail_checkpoints = 0;
    append_range(g, 300, 1300);
    check_size(g, 1300, 4);
    ex_vkey vk;
    ex_key_vkey(k, &vk);
    CHECK_RC(ex_log_verify(g, &vk, NULL, NULL), EX_OK);
    ex_log_close(g);
    ex_store_close(st);
    ex_key_free(k);
}

/* two handles on one ledger: the one that did not write catches up before appending */
static void
two_writers(const char *dir)
{
    char ldir[300];
    snprintf(ldir, sizeof ldir, "%s/shared", dir);
    ex_err e = {0};
    ex_ledger *a = NULL, *b = NULL;
    ex_ledger_opts o = {.origin = "two.example/log"};
    CHECK_RC(ex_ledger_init(ldir, &o, &a, &e), EX_OK);
    ex_ledger_opts rw = {0};
    CHECK_RC(ex_ledger_open(ldir, &rw, &b, &e), EX_OK);
    if (!a || !b)
        return;
    append_range(ex_ledger_log(a), 0, 700);
    CHECK(ex_log_size(ex_ledger_log(b)) == 0); /* b has not looked yet */
    append_range(ex_ledger_log(b), 700, 900);   /* first index must come back as 700 */
    check_size(ex_ledger_log(b), 900, 5);
    ex_vkey vk;
    CHECK_RC(ex_vkey_parse(ex_ledger_vkey(a), &vk, &e), EX_OK);
    CHECK_RC(ex_log_verify(ex_ledger_log(b), &vk, NULL, NULL), EX_OK);
    ex_ledger_close(a);
    ex_ledger_close(b);
}

/* doc parses as `kind`, and verifies with and without the key; then the same document with
 * its first proof hash changed by one bit parses and fails to verify */
static void
check_doc(const char *doc, size_t len, int kind, const ex_vkey *vk, ex_log_proof *p)
{
    ex_err e = {0};
    CHECK_RC(ex_log_proof_parse(doc, len, p, &e), EX_OK);
    CHECK(p->kind == kind);
    CHECK(p->n > 0);
    CHECK(p->checkpoint != NULL); /* signed at the proof's size: the key can vouch */
    CHECK_RC(ex_log_proof_verify(p, vk, &e), EX_OK);
    CHECK_RC(ex_log_proof_verify(p, NULL, &e), EX_OK);

    json_t *j = json_loadb(doc, len, 0, NULL), *h0 = json_array_get(json_object_get(j, "proof"), 0);
    uint8_t h[EX_HASH_BYTES];
    size_t hl = 0;
    CHECK(json_is_string(h0) &&
          ex_b64_decode(json_string_value(h0), json_string_length(h0), h, sizeof h, &hl) ==
              EX_OK &&
          hl == EX_HASH_BYTES);
    h[0] ^= 1;
    char b[64];
    ex_b64_encode(h, EX_HASH_BYTES, b);
    json_array_set_new(json_object_get(j, "proof"), 0, json_string(b));
    char *bad = json_dumps(j, JSON_COMPACT);
    ex_log_proof q;
    CHECK_RC(ex_log_proof_parse(bad, strlen(bad), &q, &e), EX_OK);
    CHECK_RC(ex_log_proof_verify(&q, vk, &e), EX_EVERIFY);
    CHECK_RC(ex_log_proof_verify(&q, NULL, &e), EX_EVERIFY);
    ex_log_proof_clear(&q);
    free(bad);
    json_decref(j);
}

/* the documents of ex_log_inclusion_doc_dup / ex_log_consistency_doc_dup */
static void
proof_docs(const char *dir)
{
    char ldir[300];
    snprintf(ldir, sizeof ldir, "%s/docs", dir);
    ex_err e = {0};
    ex_ledger *l = NULL;
    ex_ledger_opts o = {.origin = "docs.example/log"};
    CHECK_RC(ex_ledger_init(ldir, &o, &l, &e), EX_OK);
    if (!l)
        return;
    ex_log *g = ex_ledger_log(l);
    /* one checkpoint per append: at 3, 7 and 10 */
    append_range(g, 0, 3);
    append_range(g, 3, 7);
    append_range(g, 7, 10);
    ex_vkey vk;
    CHECK_RC(ex_vkey_parse(ex_ledger_vkey(l), &vk, &e), EX_OK);
    char *doc = NULL;
    size_t len = 0;
    ex_log_proof p;

    /* size 0: the current size; the entry travels with its proof */
    CHECK_RC(ex_log_inclusion_doc_dup(g, 3, 0, &doc, &len), EX_OK);
    if (doc) {
        CHECK(strlen(doc) == len);
        check_doc(doc, len, EX_PROOF_INCLUSION, &vk, &p);
        CHECK(p.index == 3 && p.size == 10);
        char want[64];
        size_t wl;
        entry_text(3, want, &wl);
        CHECK(p.entry && p.entry_len == wl && memcmp(p.entry, want, wl) == 0);
        CHECK(memcmp(p.leaf_hash, leaves[3], EX_HASH_BYTES) == 0);
        ex_log_proof_clear(&p);
        free(doc);
        doc = NULL;
    }
    CHECK_RC(ex_log_inclusion_doc_dup(g, 6, 7, &doc, &len), EX_OK);
    if (doc) {
        check_doc(doc, len, EX_PROOF_INCLUSION, &vk, &p);
        CHECK(p.index == 6 && p.size == 7);
        ex_log_proof_clear(&p);
        free(doc);
        doc = NULL;
    }
    CHECK_RC(ex_log_consistency_doc_dup(g, 3, 10, &doc, &len), EX_OK);
    if (doc) {
        check_doc(doc, len, EX_PROOF_CONSISTENCY, &vk, &p);
        CHECK(p.old == 3 && p.new_size == 10 && p.old_checkpoint != NULL);
        ex_log_proof_clear(&p);
        free(doc);
        doc = NULL;
    }
    /* out of range: the log's error, nothing returned */
    CHECK_RC(ex_log_inclusion_doc_dup(g, 10, 0, &doc, &len), EX_ERANGE);
    CHECK(doc == NULL);
    CHECK(strstr(ex_log_errmsg(g), "no entry 10") != NULL);
    CHECK_RC(ex_log_consistency_doc_dup(g, 3, 11, &doc, &len), EX_ERANGE);
    CHECK(doc == NULL);
    ex_ledger_close(l);
}

/* ex_log_write_tiles with EX_TILES_INCREMENTAL into tdir, which holds the tiles of the
 * 70001-entry log (`files` of them): an unchanged log writes nothing; after 300 more entries
 * (tile 273 fills, level-1 tile 1 grows to 18) only the grown tiles are written, the tiles
 * full before kept unopened, and tile 273's partial versions removed, tile 1's not. */
static void
incremental_tiles(ex_log *g, const char *tdir, uint64_t files)
{
    ex_tiles_count n = {0};
    char path[512], b[300][16];
    const void *p[300];
    size_t len[300];
    CHECK_RC(ex_log_write_tiles(g, tdir, EX_TILES_INCREMENTAL, &n), EX_OK);
    CHECK(n.written == 0 && n.kept == files && n.removed == 0);
    for (int i = 0; i < 300; i++) {
        len[i] = (size_t)snprintf(b[i], sizeof b[i], "grown %d", i);
        p[i] = b[i];
    }
    CHECK_RC(ex_log_append(g, p, len, 300, NULL), EX_OK);
    CHECK_RC(ex_log_write_tiles(g, tdir, EX_TILES_INCREMENTAL, &n), EX_OK);
    /* written: 0/273, 0/274.p/157, 1/001.p/18, entries/273, entries/274.p/157, checkpoint;
     * kept: 273 + 273 full below the old checkpoint, 1/000, 2/000.p/1 */
    CHECK(n.written == 6 && n.kept == 273 + 273 + 1 + 1 && n.removed == 2);
    snprintf(path, sizeof path, "%s/tile/0/274.p/157", tdir);
    CHECK(file_size(path) == 157 * 32);
    snprintf(path, sizeof path, "%s/tile/0/273.p/113", tdir);
    CHECK(file_size(path) < 0);
    snprintf(path, sizeof path, "%s/tile/entries/273.p", tdir);
    CHECK(file_size(path) < 0);
    snprintf(path, sizeof path, "%s/tile/1/001.p/17", tdir);
    CHECK(file_size(path) == 17 * 32);
}

int
main(void)
{
    CHECK_RC(ex_sha256_new(&H), EX_OK);
    leaves = malloc((size_t)N * EX_HASH_BYTES);
    char dir[] = "/tmp/exante-test-log-XXXXXX", ldir[256], db[300], tdir[300], path[512];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(ldir, sizeof ldir, "%s/ledger", dir);
    snprintf(db, sizeof db, "%s/ledger.db", ldir);
    snprintf(tdir, sizeof tdir, "%s/tiles", dir);

    ex_err e = {0};
    ex_ledger *l = NULL;
    ex_ledger_opts o = {.origin = "test.example/log"};
    CHECK_RC(ex_ledger_init(ldir, &o, &l, &e), EX_OK);
    if (!l)
        return t_done("test_log");
    CHECK_RC(ex_ledger_init(ldir, &o, &l, &e), EX_EEXIST);
    ex_log *g = ex_ledger_log(l);
    CHECK(ex_log_size(g) == 0);
    uint8_t root[EX_HASH_BYTES];
    CHECK_RC(ex_log_root(g, 0, root), EX_OK);

    /* limits: empty and oversized entries are refused and nothing is written */
    char *big = calloc(1, EX_ENTRY_MAX + 1);
    memset(big, 'x', EX_ENTRY_MAX + 1);
    size_t blen = EX_ENTRY_MAX + 1, zero = 0;
    const void *bp = big;
    CHECK_RC(ex_log_append(g, &bp, &blen, 1, NULL), EX_ETOOBIG);
    CHECK_RC(ex_log_append(g, &bp, &zero, 1, NULL), EX_ETOOBIG);
    CHECK(ex_log_size(g) == 0);

    /* grow across tile (256) and stratum (65536) boundaries, checking as we go */
    static const uint64_t marks[] = {1, 2, 3, 255, 256, 257, 511, 1000, 4096, 65535, 65536, 65537,
                                     N};
    uint64_t at = 0;
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        append_range(g, at, marks[m]);
        at = marks[m];
        check_size(g, at, (unsigned)m);
    }
    /* older sizes stay provable */
    check_size(g, 300, 7);
    check_size(g, 65536, 8);
    CHECK(ex_log_size(g) == N);
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t n;
    CHECK_RC(ex_log_prove_inclusion(g, N, 0, proof, &n), EX_ERANGE);
    CHECK(strstr(ex_log_errmsg(g), "no entry 70000") != NULL);
    uint8_t *data;
    size_t dlen;
    CHECK_RC(ex_log_entry_dup(g, N, &data, &dlen), EX_ERANGE);
    CHECK_RC(ex_log_entry_dup(g, 12345, &data, &dlen), EX_OK);
    if (data) {
        char want[64];
        size_t wl;
        entry_text(12345, want, &wl);
        CHECK(dlen == wl && memcmp(data, want, wl) == 0);
        free(data);
    }
    /* a maximal entry fits */
    blen = EX_ENTRY_MAX;
    CHECK_RC(ex_log_append(g, &bp, &blen, 1, NULL), EX_OK);
    free(big);
    uint64_t size = ex_log_size(g);
    CHECK(size == N + 1);

    ex_vkey vk;
    CHECK_RC(ex_vkey_parse(ex_ledger_vkey(l), &vk, &e), EX_OK);
    uint64_t ne = 0, nc = 0;
    CHECK_RC(ex_log_verify(g, &vk, &ne, &nc), EX_OK);
    CHECK(ne == size);
    CHECK(nc >= 13);
    CHECK_RC(ex_log_root(g, size, root), EX_OK);

    /* C2SP tiles layout for 70001 entries: 273 full level-0 tiles + 113 wide partial,
     * level 1: 1 full + 17, level 2: 1 */
    ex_tiles_count files = {0};
    CHECK_RC(ex_log_write_tiles(g, tdir, 0, &files), EX_OK);
    CHECK(files.written == 274 + 2 + 1 + 274 + 1);
    snprintf(path, sizeof path, "%s/tile/0/273.p/113", tdir);
    CHECK(file_size(path) == 113 * 32);
    snprintf(path, sizeof path, "%s/tile/0/272", tdir);
    CHECK(file_size(path) == 256 * 32);
    snprintf(path, sizeof path, "%s/tile/1/001.p/17", tdir);
    CHECK(file_size(path) == 17 * 32);
    snprintf(path, sizeof path, "%s/tile/2/000.p/1", tdir);
    CHECK(file_size(path) == 32);
    snprintf(path, sizeof path, "%s/tile/entries/273.p/113", tdir);
    CHECK(file_size(path) > 112 * 20 + EX_ENTRY_MAX);
    /* tile/0/000 holds the leaf hashes of entries 0..255 */
    snprintf(path, sizeof path, "%s/tile/0/000", tdir);
    FILE *f = fopen(path, "rb");
    uint8_t t0[256][EX_HASH_BYTES];
    CHECK(f && fread(t0, 1, sizeof t0, f) == sizeof t0);
    if (f)
        fclose(f);
    CHECK(memcmp(t0, leaves, sizeof t0) == 0);
    ex_ledger_close(l);

    /* reopen: same size, root and proofs; appends continue */
    ex_ledger_opts rw = {0};
    CHECK_RC(ex_ledger_open(ldir, &rw, &l, &e), EX_OK);
    if (l) {
        g = ex_ledger_log(l);
        uint8_t r2[EX_HASH_BYTES];
        CHECK(ex_log_size(g) == size);
        CHECK_RC(ex_log_root(g, size, r2), EX_OK);
        CHECK(memcmp(root, r2, EX_HASH_BYTES) == 0);
        check_size(g, 65537, 9);
        incremental_tiles(g, tdir, files.written);
        ex_ledger_close(l);
    }
    char msg[512];
    CHECK_RC(reverify(ldir, msg, sizeof msg), EX_OK);

    /* tampering: each single change is caught and named */
    sql(db, "UPDATE entries SET data = CAST('{\"n\":4242,\"type\":\"tampered\"}' AS BLOB) "
            "WHERE idx = 4242");
    CHECK_RC(reverify(ldir, msg, sizeof msg), EX_EVERIFY);
    CHECK(strstr(msg, "level 0 index 4242") != NULL);
    fprintf(stderr, "  tampered entry: %s\n", msg);
    sql(db, "UPDATE entries SET data = CAST('{\"n\":4242,\"type\":\"test\"}' AS BLOB) "
            "WHERE idx = 4242");
    CHECK_RC(reverify(ldir, msg, sizeof msg), EX_OK);

    /* a level-9 hash: stratum 1, tile 0, level 1 within the tile, index 3 */
    sql(db, "CREATE TABLE saved AS SELECT * FROM tiles WHERE id = (1 << 56);"
            "UPDATE tiles SET hashes = substr(hashes, 1, (256 + 3) * 32) || "
            "CASE WHEN substr(hashes, (256 + 3) * 32 + 1, 1) = x'00' THEN x'01' ELSE x'00' END || "
            "substr(hashes, (256 + 3) * 32 + 2) WHERE id = (1 << 56)");
    CHECK_RC(reverify(ldir, msg, sizeof msg), EX_EVERIFY);
    CHECK(strstr(msg, "level 9 index 3") != NULL);
    fprintf(stderr, "  tampered tree hash: %s\n", msg);
    sql(db, "UPDATE tiles SET hashes = (SELECT hashes FROM saved) WHERE id = (1 << 56);"
            "DROP TABLE saved");
    CHECK_RC(reverify(ldir, msg, sizeof msg), EX_OK);

    sql(db, "CREATE TABLE saved AS SELECT * FROM checkpoints WHERE size = 1000;"
            "UPDATE checkpoints SET note = replace(note, CAST('\n1000\n' AS BLOB), "
            "CAST('\n1001\n' AS BLOB)) WHERE size = 1000");
    CHECK_RC(reverify(ldir, msg, sizeof msg), EX_EVERIFY);
    CHECK(strstr(msg, "checkpoint 1000") != NULL);
    fprintf(stderr, "  tampered checkpoint: %s\n", msg);
    sql(db, "UPDATE checkpoints SET note = (SELECT note FROM saved) WHERE size = 1000;"
            "DROP TABLE saved");
    CHECK_RC(reverify(ldir, msg, sizeof msg), EX_OK);

    /* an entry appended behind the log's back is not covered by a checkpoint */
    sql(db, "INSERT INTO entries(idx, data) SELECT max(idx) + 1, CAST('x' AS BLOB) FROM entries");
    CHECK(reverify(ldir, msg, sizeof msg) != EX_OK);
    fprintf(stderr, "  appended entry: %s\n", msg);

    fault_injection();
    two_writers(dir);
    proof_docs(dir);

    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    free(leaves);
    ex_sha256_free(H);
    return t_done("test_log");
}
