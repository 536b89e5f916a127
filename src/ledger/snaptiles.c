/* snaptiles.c - a snapshot's tree as published C2SP tlog-tiles (exante.h): written from the
 * ledger, with the record beside them, and audited from the files alone. */
#include "snapshot.h"

#include "merkle/merkle.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Incremental: what dir holds already. *same: dir/snapshot is the record s byte for byte.
 * Another snapshot's record, or a log's tiles (a checkpoint), are refused with EX_EVERIFY;
 * a record that does not read as one is not a snapshot's: every file is checked. */
static int
previous(ex_ledger *l, const char *dir, const char *name, const snap *s, int *same)
{
    char *cp = ex_join(dir, '/', "checkpoint"), *rp = ex_join(dir, '/', "snapshot");
    uint8_t *rec = NULL;
    size_t len = 0;
    struct stat st;
    int rc = cp && rp ? EX_OK : ex_fail(&l->err, EX_ENOMEM, "out of memory");
    *same = 0;
    if (rc == EX_OK && stat(cp, &st) == 0)
        rc = ex_fail(&l->err, EX_EVERIFY, "'%s' holds a log's tiles (it has a checkpoint), not "
                     "a snapshot's: nothing written", dir);
    if (rc == EX_OK && stat(rp, &st) == 0 &&
        (rc = ex_file_read(rp, EX_ENTRY_MAX + 1, &rec, &len, &l->err)) == EX_OK) {
        json_t *o = json_loadb((const char *)rec, len, 0, NULL);
        const char *other = json_string_value(json_object_get(o, "name"));
        const char *type = json_string_value(json_object_get(o, "type"));
        *same = len == s->entry_len && memcmp(rec, s->entry, len) == 0;
        if (!*same && other && type && strcmp(type, "snapshot") == 0)
            rc = ex_fail(&l->err, EX_EVERIFY, "'%s' is the record of %ssnapshot '%s', not of "
                         "this '%s': nothing written", rp,
                         strcmp(other, name) == 0 ? "another " : "", other, name);
        json_decref(o);
    }
    free(rec);
    free(cp);
    free(rp);
    return rc;
}

int
ex_ledger_snapshot_tiles(ex_ledger *l, const char *name, const char *dir, unsigned flags,
                         ex_tiles_count *n)
{
    ex_err_clear(&l->err);
    snap s = {0};
    snap_set set = {0};
    ex_tiles_count c = {0};
    int same = 0;
    int rc = snap_open(l, name, &s, &set);
    char *path = rc == EX_OK ? ex_join(dir, '/', "snapshot") : NULL;
    if (rc == EX_OK && !path)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK && (flags & EX_TILES_INCREMENTAL))
        rc = previous(l, dir, name, &s, &same);
    /* the tiles, and beside them, last, the record that names their size and root */
    if (rc == EX_OK)
        rc = ex_tiles_write_digests(l->h, (const uint8_t(*)[EX_HASH_BYTES])set.d, set.n, dir,
                                    flags, &c, &l->err);
    if (rc == EX_OK && same)
        c.kept++;
    else if (rc == EX_OK && (rc = ex_file_write(path, s.entry, s.entry_len, &l->err)) == EX_OK)
        c.written++;
    if (rc == EX_OK && n)
        *n = c;
    free(path);
    free(s.entry);
    snap_set_free(&set);
    return rc;
}

int
ex_snapshot_audit_tiles(const char *dir, const char *name, uint64_t *members, ex_err *err)
{
    char *path = ex_join(dir, '/', "snapshot");
    uint8_t *rec = NULL, root[EX_HASH_BYTES], got[EX_HASH_BYTES];
    uint8_t(*d)[EX_HASH_BYTES] = NULL;
    size_t len = 0, rl = 0;
    ex_sha256 *h = NULL;
    json_t *o = NULL;
    uint64_t bad;
    int rc = path ? ex_file_read(path, EX_ENTRY_MAX + 1, &rec, &len, err)
                  : ex_fail(err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK && !(o = json_loadb((const char *)rec, len, 0, NULL)))
        rc = ex_fail(err, EX_EFORMAT, "'%s' is not a snapshot record", path);
    json_t *jn = json_object_get(o, "name"), *js = json_object_get(o, "size");
    const char *jr = json_string_value(json_object_get(o, "root"));
    const char *jt = json_string_value(json_object_get(o, "type"));
    if (rc == EX_OK &&
        (!json_is_string(jn) || !json_is_integer(js) || json_integer_value(js) < 0 || !jr ||
         ex_b64_decode(jr, strlen(jr), root, EX_HASH_BYTES, &rl) != EX_OK ||
         rl != EX_HASH_BYTES || !jt || strcmp(jt, "snapshot") != 0))
        rc = ex_fail(err, EX_EFORMAT, "'%s' is not a snapshot record", path);
    if (rc == EX_OK && name && strcmp(json_string_value(jn), name) != 0)
        rc = ex_fail(err, EX_EVERIFY, "the tiles under '%s' are snapshot '%s', not '%s'", dir,
                     json_string_value(jn), name);
    uint64_t n = rc == EX_OK ? (uint64_t)json_integer_value(js) : 0;
    if (rc == EX_OK && ex_sha256_new(&h) != EX_OK)
        rc = ex_fail(err, EX_ENOMEM, "cannot make a hasher: out of memory");
    if (rc == EX_OK)
        rc = ex_tiles_read_digests(h, dir, n, &d, err);
    if (rc == EX_OK && ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, n, &bad) != EX_OK)
        rc = ex_fail(err, EX_EVERIFY, "entry %llu is not above entry %llu",
                     (unsigned long long)bad, (unsigned long long)bad - 1);
    if (rc == EX_OK &&
        (rc = ex_merkle_sorted_root(h, (const uint8_t(*)[EX_HASH_BYTES])d, n, got)) == EX_OK &&
        memcmp(got, root, EX_HASH_BYTES) != 0)
        rc = ex_fail(err, EX_EVERIFY, "the entries do not hash to the record's root");
    if (rc == EX_OK && members)
        *members = n;
    json_decref(o);
    ex_sha256_free(h);
    free(d);
    free(rec);
    free(path);
    return rc;
}
