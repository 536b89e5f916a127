/* rotate.c - rotating the ledger's signing key, and the chain of its keys that verifiers
 * follow (exante.h, ex_ledger_key_rotate; docs/FORMATS.md "Key rotation").
 *
 * The order makes a crash at any point recoverable: the new key is written to key.pem.new
 * before anything is logged; the record, the new verifier key in the database and the first
 * checkpoint the new key signs are one transaction; only then are the files swapped (key.pem
 * kept as key.pem.retired-<key ID>, key.pem.new made key.pem, the vkey file rewritten). A
 * ledger opened between the commit and the swap finds key.pem.new holding the database's
 * verifier key and finishes the swap (ex_ledger_rotation_finish). The log indexes of the
 * records are kept in the metadata ("rotations"), so that verifiers need not scan the log;
 * a record left out there leaves its checkpoints unverifiable, so hiding one gains nothing. */
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE "key.pem"
#define NEW_KEY_FILE "key.pem.new"
#define VKEY_FILE "vkey"

typedef struct rot {
    ex_key *old, *new;
    char old_vkey[EX_VKEY_MAX], new_vkey[EX_VKEY_MAX];
    uint64_t index;
} rot;

/* the record, logged and signed by the new key, and the metadata: inside the transaction */
static int
rotate_in_tx(ex_ledger *l, void *ctx)
{
    rot *r = ctx;
    uint64_t from = ex_log_size(l->log) + 1; /* the record's checkpoint is the new key's */
    char text[3 * EX_VKEY_MAX], now[32];
    size_t tlen, nlen, elen;
    char *note = NULL, *entry = NULL, *rots = NULL;
    int rc = ex_rotation_text(l->origin, from, r->old_vkey, r->new_vkey, text, sizeof text, &tlen);
    if (rc != EX_OK)
        return ex_fail(&l->err, rc, "the rotation record is too long");
    ex_key *both[2] = {r->old, r->new};
    if ((rc = ex_note_sign(text, tlen, both, 2, &note, &nlen, &l->err)) != EX_OK)
        return rc;
    ex_time_now(now);
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("key-rotation"));
    json_object_set_new(o, "from", json_integer((json_int_t)from));
    json_object_set_new(o, "old", json_string(r->old_vkey));
    json_object_set_new(o, "new", json_string(r->new_vkey));
    json_object_set_new(o, "note", json_stringn(note, nlen));
    json_object_set_new(o, "logged", json_string(now));
    entry = ex_json_canon_dup(o, &elen, &l->err);
    json_decref(o);
    free(note);
    if (!entry)
        return l->err.code ? l->err.code : EX_ENOMEM;
    /* the metadata's list of record indexes, with this one */
    json_t *list = NULL;
    char *old = NULL;
    rc = l->st->ops->meta_get_dup(l->st, "rotations", &old);
    if (rc == EX_OK)
        list = json_loads(old, 0, NULL);
    else if (rc == EX_ENOTFOUND)
        list = json_array(), rc = EX_OK;
    free(old);
    if (rc != EX_OK || !json_is_array(list)) {
        json_decref(list);
        free(entry);
        return rc != EX_OK ? ex_ledger_fail_store(l, rc)
                           : ex_fail(&l->err, EX_EFORMAT, "the metadata's rotations are malformed");
    }
    json_array_append_new(list, json_integer((json_int_t)(from - 1)));
    rots = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    const void *ep = entry;
    ex_log_set_key(l->log, r->new); /* the append signs its checkpoint with the new key */
    if (!rots)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    else if ((rc = l->st->ops->meta_put(l->st, "vkey", r->new_vkey)) != EX_OK ||
             (rc = l->st->ops->meta_put(l->st, "rotations", rots)) != EX_OK)
        ex_ledger_fail_store(l, rc);
    else if ((rc = ex_log_append(l->log, &ep, &elen, 1, &r->index)) != EX_OK)
        ex_ledger_fail_log(l, rc);
    if (rc != EX_OK)
        ex_log_set_key(l->log, r->old);
    free(entry);
    free(rots);
    return rc;
}

static int
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* the files after the commit: key.pem retired, key.pem.new made key.pem, vkey rewritten */
static int
swap_files(const char *dir, const char *old_id, const char *new_vkey, ex_err *err)
{
    char key[4096], nkey[4096], retired[4096], vk[4096], tmp[4096];
    snprintf(key, sizeof key, "%s/" KEY_FILE, dir);
    snprintf(nkey, sizeof nkey, "%s/" NEW_KEY_FILE, dir);
    snprintf(retired, sizeof retired, "%s/" KEY_FILE ".retired-%s", dir, old_id);
    snprintf(vk, sizeof vk, "%s/" VKEY_FILE, dir);
    snprintf(tmp, sizeof tmp, "%s/.vkey.tmp", dir);
    struct stat sb;
    if (stat(key, &sb) == 0 && rename(key, retired) != 0)
        return ex_fail(err, EX_EIO, "cannot rename '%s' to '%s': %s", key, retired,
                       strerror(errno));
    if (rename(nkey, key) != 0)
        return ex_fail(err, EX_EIO, "cannot rename '%s' to '%s': %s", nkey, key, strerror(errno));
    FILE *f = fopen(tmp, "w");
    int ok = f && fprintf(f, "%s\n", new_vkey) > 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, vk) != 0) {
        unlink(tmp);
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", vk, strerror(errno));
    }
    if (sync_dir(dir) != 0)
        return ex_fail(err, EX_EIO, "cannot sync '%s': %s", dir, strerror(errno));
    return EX_OK;
}

static void
key_id_hex(const char *vkey, char out[9])
{
    ex_vkey v;
    ex_err e = {0};
    if (ex_vkey_parse(vkey, &v, &e) == EX_OK)
        ex_hex_encode(v.id, EX_KEYID_BYTES, out);
    else
        snprintf(out, 9, "unknown");
}

int
ex_ledger_rotation_finish(const char *dir, const char *db_vkey, const char *passphrase,
                          const char *origin, int read_only, ex_err *err)
{
    char nkey[4096], vk[EX_VKEY_MAX], old[EX_VKEY_MAX] = "", vkp[4096];
    snprintf(nkey, sizeof nkey, "%s/" NEW_KEY_FILE, dir);
    snprintf(vkp, sizeof vkp, "%s/" VKEY_FILE, dir);
    struct stat sb;
    if (stat(nkey, &sb) != 0)
        return EX_ENOTFOUND;
    ex_key *k = NULL;
    int rc = ex_key_load(nkey, origin, passphrase, &k, err);
    if (rc != EX_OK)
        return rc;
    ex_key_vkey_string(k, vk);
    ex_key_free(k);
    if (strcmp(vk, db_vkey) != 0)
        return EX_ENOTFOUND; /* a rotation that never committed: the database keeps the old */
    if (read_only)
        return EX_OK; /* committed: a reader goes by the database, and leaves the files */
    FILE *f = fopen(vkp, "r");
    if (f) {
        if (fgets(old, sizeof old, f))
            old[strcspn(old, "\r\n")] = '\0';
        fclose(f);
    }
    char id[9];
    key_id_hex(old, id);
    return swap_files(dir, id, vk, err);
}

int
ex_ledger_key_rotate(ex_ledger *l, const char *passphrase, uint64_t *index,
                     char new_vkey[EX_VKEY_MAX])
{
    ex_err_clear(&l->err);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened without its signing key");
    if (!l->dir || l->key_external)
        return ex_fail(&l->err, EX_EINVAL,
                       "key rotation writes the new key into the ledger's directory: open the "
                       "ledger with its own key.pem (not EXANTE_KEY's file)");
    char nkey[4096];
    snprintf(nkey, sizeof nkey, "%s/" NEW_KEY_FILE, l->dir);
    struct stat sb;
    if (stat(nkey, &sb) == 0)
        return ex_fail(&l->err, EX_EEXIST,
                       "'%s' exists: an earlier rotation did not finish (open the ledger once to "
                       "finish it, or remove the file if its rotation never committed)", nkey);
    int lock;
    int rc = ex_ledger_lock(l, &lock);
    if (rc != EX_OK)
        return rc;
    rot r = {.old = l->key};
    snprintf(r.old_vkey, sizeof r.old_vkey, "%s", l->vkey);
    if ((rc = ex_key_generate(l->origin, &r.new, &l->err)) != EX_OK ||
        (rc = ex_key_save(r.new, nkey, passphrase, &l->err)) != EX_OK)
        goto out;
    ex_key_vkey_string(r.new, r.new_vkey);
    if ((rc = ex_ledger_atomic(l, rotate_in_tx, &r)) != EX_OK) {
        unlink(nkey);
        goto out;
    }
    /* committed: the ledger signs with the new key from here on */
    l->key = r.new;
    r.new = NULL;
    snprintf(l->vkey, sizeof l->vkey, "%s", r.new_vkey);
    char id[9];
    key_id_hex(r.old_vkey, id);
    if ((rc = swap_files(l->dir, id, r.new_vkey, &l->err)) != EX_OK) {
        ex_fail(&l->err, rc, "the rotation is logged at index %llu, but %s; opening the ledger "
                "again finishes it", (unsigned long long)r.index, l->err.msg);
        goto out;
    }
    ex_key_free(r.old);
    r.old = NULL;
    if (index)
        *index = r.index;
    if (new_vkey)
        snprintf(new_vkey, EX_VKEY_MAX, "%s", r.new_vkey);
out:
    if (r.new)
        ex_key_free(r.new);
    if (rc != EX_OK && l->key != r.old && r.old)
        ex_key_free(r.old); /* committed, the files not swapped: the new key signs */
    ex_ledger_unlock(lock);
    return rc;
}

/* ---- reading the records ---- */

/* a rotation entry: its record read and checked, and the entry's own fields agreeing */
static int
read_entry(const char *e, size_t len, uint64_t at, ex_rotation *out, ex_err *err)
{
    json_error_t je;
    json_t *o = json_loadb(e, len, JSON_REJECT_DUPLICATES, &je);
    const char *type = json_string_value(json_object_get(o, "type"));
    json_t *note = json_object_get(o, "note");
    int rc = EX_OK;
    if (!o || !type || strcmp(type, "key-rotation") != 0 || !json_is_string(note))
        rc = ex_fail(err, EX_EFORMAT, "not a key-rotation entry with a note");
    else if ((rc = ex_rotation_open(json_string_value(note), json_string_length(note), out,
                                    err)) == EX_OK) {
        char ov[EX_VKEY_MAX], nv[EX_VKEY_MAX];
        ex_vkey_format(&out->old_key, ov);
        ex_vkey_format(&out->new_key, nv);
        json_t *from = json_object_get(o, "from");
        const char *old = json_string_value(json_object_get(o, "old"));
        const char *new = json_string_value(json_object_get(o, "new"));
        if (!json_is_integer(from) || (uint64_t)json_integer_value(from) != out->from || !old ||
            !new || strcmp(old, ov) != 0 || strcmp(new, nv) != 0)
            rc = ex_fail(err, EX_EFORMAT, "its from, old and new are not its record's");
        else if (at != UINT64_MAX && out->from != at + 1)
            rc = ex_fail(err, EX_EVERIFY, "logged at index %llu, but its record hands over at "
                         "size %llu", (unsigned long long)at, (unsigned long long)out->from);
    }
    json_decref(o);
    return rc;
}

int
ex_ledger_rotations(ex_ledger *l, ex_rotation **r, size_t *n, char **entries, size_t *entries_len)
{
    *r = NULL;
    *n = 0;
    if (entries)
        *entries = NULL;
    char *v = NULL;
    int rc = l->st->ops->meta_get_dup(l->st, "rotations", &v);
    if (rc == EX_ENOTFOUND)
        return EX_OK;
    if (rc != EX_OK)
        return ex_ledger_fail_store(l, rc);
    json_t *list = json_loads(v, 0, NULL);
    free(v);
    size_t m = json_array_size(list);
    ex_buf b = {0};
    if (!json_is_array(list) || m >= EX_KEY_CHAIN_MAX) {
        json_decref(list);
        return ex_fail(&l->err, EX_EFORMAT, "the metadata's rotations are malformed");
    }
    ex_rotation *out = calloc(m ? m : 1, sizeof *out);
    if (!out)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; i < m && rc == EX_OK; i++) {
        json_int_t at = json_integer_value(json_array_get(list, i));
        uint8_t *e = NULL;
        size_t len;
        ex_err err = {0};
        if (at < 0 || (rc = ex_log_entry_dup(l->log, (uint64_t)at, &e, &len)) != EX_OK)
            rc = ex_fail(&l->err, rc == EX_OK ? EX_EFORMAT : rc,
                         "key rotation %zu: no log entry %lld", i + 1, (long long)at);
        else if ((rc = read_entry((const char *)e, len, (uint64_t)at, &out[i], &err)) != EX_OK)
            ex_fail(&l->err, rc, "key rotation at log index %lld: %s", (long long)at, err.msg);
        else if (entries && ((rc = ex_buf_put(&b, e, len)) != EX_OK ||
                             (rc = ex_buf_putc(&b, '\n')) != EX_OK))
            ex_fail(&l->err, rc, "out of memory");
        free(e);
    }
    json_decref(list);
    if (rc != EX_OK) {
        free(out);
        ex_buf_free(&b);
        return rc;
    }
    *r = out;
    *n = m;
    if (entries)
        *entries = ex_buf_take(&b, entries_len);
    return EX_OK;
}

int
ex_ledger_key_chain(ex_ledger *l, const ex_vkey *trusted, ex_key_chain *out)
{
    ex_vkey mine;
    if (!trusted) {
        if (ex_vkey_parse(l->vkey, &mine, &l->err) != EX_OK)
            return l->err.code;
        trusted = &mine;
    }
    ex_rotation *r;
    size_t n;
    int rc = ex_ledger_rotations(l, &r, &n, NULL, NULL);
    if (rc == EX_OK)
        rc = ex_key_chain_build(trusted, r, n, out, &l->err);
    free(r);
    return rc;
}

int
ex_key_chain_from_jsonl(const ex_vkey *trusted, const char *jsonl, size_t len, ex_key_chain *out,
                        ex_err *err)
{
    ex_rotation r[EX_KEY_CHAIN_MAX];
    size_t n = 0, line = 0;
    for (const char *p = jsonl, *end = jsonl + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        if (ll) {
            ex_err e = {0};
            if (n + 1 >= EX_KEY_CHAIN_MAX)
                return ex_fail(err, EX_ETOOBIG, "line %zu: more than %d key rotations", line,
                               EX_KEY_CHAIN_MAX - 1);
            int rc = read_entry(p, ll, UINT64_MAX, &r[n], &e);
            if (rc != EX_OK)
                return ex_fail(err, rc, "line %zu: %s", line, e.msg);
            n++;
        }
        p += ll + (nl != NULL);
    }
    return ex_key_chain_build(trusted, r, n, out, err);
}
