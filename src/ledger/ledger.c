/* ledger.c - a ledger directory: database, signing key, verifier key, and the use cases the
 * CLI and the server share. */
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "core/cjson.h"
#include "sign/sign.h"

#define DB_FILE "ledger.db"
#define KEY_FILE "key.pem"
#define VKEY_FILE "vkey"
/* a ledger whose database is PostgreSQL: its URL (ledger.h) */
#define STORE_FILE "store"

static int
write_text(const char *path, const char *text, mode_t mode, ex_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0)
        return ex_fail(err, EX_EIO, "cannot create '%s': %s", path, strerror(errno));
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int ok = w == (ssize_t)len && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = 0;
    if (!ok) {
        unlink(path);
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    return EX_OK;
}

static int
read_vkey_file(const char *path, char out[EX_VKEY_MAX], ex_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    char line[EX_VKEY_MAX + 2] = "";
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    ex_vkey v;
    int rc = ok ? ex_vkey_parse(line, &v, err) : EX_EFORMAT;
    if (rc == EX_EFORMAT)
        return ex_fail(err, EX_EFORMAT, "'%s' does not hold a verifier key", path);
    if (rc != EX_OK) /* hashing its key id failed (out of memory): err says so */
        return rc;
    strcpy(out, line);
    return EX_OK;
}

void
ex_ledger_close(ex_ledger *l)
{
    if (!l)
        return;
    ex_log_close(l->log);
    ex_store_close(l->st);
    ex_key_free(l->key);
    ex_sha256_free(l->h);
    free(l->dir);
    free(l->db);
    free(l);
}

static int
ledger_new(const char *dir, ex_ledger **out, ex_err *err)
{
    ex_ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->dir = strdup(dir ? dir : ":memory:")) || ex_sha256_new(&l->h) != EX_OK) {
        ex_ledger_close(l);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    *out = l;
    return EX_OK;
}

int
ex_ledger_init(const char *dir, const ex_ledger_opts *opts, ex_ledger **out, ex_err *err)
{
    static const ex_ledger_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    if (!opts->in_memory && !dir)
        return ex_fail(err, EX_EINVAL, "no ledger directory given");
    ex_ledger *l = NULL;
    int rc = ledger_new(opts->in_memory ? NULL : dir, &l, err);
    if (rc != EX_OK)
        return rc;
    char *db = NULL, *keyp = NULL, *vkeyp = NULL, *storep = NULL;
    int made_dir = 0, made_key = 0, made_vkey = 0, made_db = 0, made_store = 0;
    if (opts->db && (opts->in_memory || !ex_store_is_url(opts->db))) {
        rc = ex_fail(err, EX_EINVAL, "--db takes a postgresql:// URL%s",
                     opts->in_memory ? ", not with an in-memory ledger" : "");
        goto out;
    }
    if (opts->db && (rc = ex_store_url_check(opts->db, err)) != EX_OK)
        goto out;
    if (opts->db && !(l->db = strdup(opts->db))) {
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
        goto out;
    }

    if (opts->origin) {
        if (!ex_key_name_valid(opts->origin, strlen(opts->origin))) {
            rc = ex_fail(err, EX_EINVAL,
                         "invalid origin '%s': it names the signing key, so it must be non-empty "
                         "and hold no spaces or '+'", opts->origin);
            goto out;
        }
        strcpy(l->origin, opts->origin);
    } else {
        uint8_t rnd[4];
        char hex[9];
        if (RAND_bytes(rnd, sizeof rnd) != 1) {
            rc = ex_fail(err, EX_ECRYPTO, "no randomness");
            goto out;
        }
        ex_hex_encode(rnd, sizeof rnd, hex);
        snprintf(l->origin, sizeof l->origin, "exante.local/%s", hex);
    }
    if ((rc = ex_key_generate(l->origin, &l->key, err)) != EX_OK)
        goto out;
    ex_key_vkey_string(l->key, l->vkey);

    if (!opts->in_memory) {
        struct stat sb;
        if (stat(dir, &sb) != 0) {
            if (mkdir(dir, 0700) != 0) {
                rc = ex_fail(err, EX_EIO, "cannot create '%s': %s", dir, strerror(errno));
                goto out;
            }
            made_dir = 1;
        } else if (!S_ISDIR(sb.st_mode)) {
            rc = ex_fail(err, EX_EIO, "'%s' is not a directory", dir);
            goto out;
        }
        if (!(db = ex_join(dir, '/', DB_FILE)) || !(keyp = ex_join(dir, '/', KEY_FILE)) ||
            !(vkeyp = ex_join(dir, '/', VKEY_FILE)) || !(storep = ex_join(dir, '/', STORE_FILE))) {
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
            goto out;
        }
        if (stat(db, &sb) == 0 || stat(keyp, &sb) == 0 || stat(storep, &sb) == 0) {
            rc = ex_fail(err, EX_EEXIST, "a ledger already exists at '%s'", dir);
            goto out;
        }
        if ((rc = ex_key_save(l->key, keyp, opts->passphrase, err)) != EX_OK)
            goto out;
        made_key = 1;
        char line[EX_VKEY_MAX + 1];
        snprintf(line, sizeof line, "%s\n", l->vkey);
        if ((rc = write_text(vkeyp, line, 0644, err)) != EX_OK)
            goto out;
        made_vkey = 1;
        if (l->db) {
            char uline[4096];
            snprintf(uline, sizeof uline, "%s\n", l->db);
            /* the URL may hold a password: never readable by others */
            if ((rc = write_text(storep, uline, 0600, err)) != EX_OK)
                goto out;
            made_store = 1;
        }
    }
    ex_store_opts so = {.create = 1, .durable = opts->durable};
    if (l->db)
        rc = ex_store_open_pg(l->db, &so, &l->st, err);
    else
        rc = ex_store_open_sqlite(opts->in_memory ? ":memory:" : db, &so, &l->st, err);
    if (rc != EX_OK)
        goto out;
    made_db = !l->db;
    if ((rc = ex_log_open(l->st, l->origin, l->key, &l->log, err)) != EX_OK)
        goto out;
    char now[32];
    ex_time_now(now);
    if ((rc = l->st->ops->begin(l->st)) == EX_OK &&
        (rc = l->st->ops->meta_put(l->st, "origin", l->origin)) == EX_OK &&
        (rc = l->st->ops->meta_put(l->st, "vkey", l->vkey)) == EX_OK &&
        (rc = l->st->ops->meta_put(l->st, "created", now)) == EX_OK &&
        (rc = ex_log_sign_checkpoint(l->log)) == EX_OK)
        rc = l->st->ops->commit(l->st);
    if (rc != EX_OK) {
        ex_fail(err, rc, "cannot initialise ledger: %s",
                rc == EX_EDB ? ex_store_errmsg(l->st) : ex_log_errmsg(l->log));
        l->st->ops->rollback(l->st);
    }
out:
    if (rc != EX_OK) {
        /* leave nothing half-made behind */
        ex_log_close(l->log);
        l->log = NULL;
        if (l->db && l->st && l->st->ops->drop_all) /* the schema made for it */
            l->st->ops->drop_all(l->st);
        ex_store_close(l->st);
        l->st = NULL;
        if (made_db) {
            unlink(db);
            char side[4096];
            snprintf(side, sizeof side, "%s-wal", db);
            unlink(side);
            snprintf(side, sizeof side, "%s-shm", db);
            unlink(side);
        }
        if (made_vkey)
            unlink(vkeyp);
        if (made_store)
            unlink(storep);
        if (made_key)
            unlink(keyp);
        if (made_dir)
            rmdir(dir);
        ex_ledger_close(l);
    } else {
        *out = l;
    }
    free(db);
    free(keyp);
    free(vkeyp);
    free(storep);
    return rc;
}

/* The URL of the ledger's PostgreSQL store recorded in dir into *url (malloc'd), NULL if
 * there is none. */
static int
read_store_file(const char *dir, char **url, ex_err *err)
{
    *url = NULL;
    char *path = ex_join(dir, '/', STORE_FILE);
    if (!path)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    FILE *f = fopen(path, "r");
    int rc = EX_OK;
    if (!f) {
        if (errno != ENOENT)
            rc = ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
        free(path);
        return rc;
    }
    char line[4096] = "";
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (!ex_store_is_url(line))
        rc = ex_fail(err, EX_EFORMAT, "'%s' does not hold a postgresql:// URL", path);
    else if (!(*url = strdup(line)))
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    free(path);
    return rc;
}

int
ex_ledger_open(const char *dir, const ex_ledger_opts *opts, ex_ledger **out, ex_err *err)
{
    static const ex_ledger_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    ex_ledger *l = NULL;
    int rc = ledger_new(dir, &l, err);
    if (rc != EX_OK)
        return rc;
    char *db = ex_join(dir, '/', DB_FILE), *keyp = ex_join(dir, '/', KEY_FILE);
    char *vkeyp = ex_join(dir, '/', VKEY_FILE);
    char *origin = NULL, *vk = NULL;
    struct stat sb;
    if (!db || !keyp || !vkeyp) {
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
        goto out;
    }
    if (opts->db) {
        if (!ex_store_is_url(opts->db)) {
            rc = ex_fail(err, EX_EINVAL, "--db takes a postgresql:// URL");
            goto out;
        }
        if (!(l->db = strdup(opts->db))) {
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
            goto out;
        }
    } else if ((rc = read_store_file(dir, &l->db, err)) != EX_OK) {
        goto out;
    }
    if (l->db && (rc = ex_store_url_check(l->db, err)) != EX_OK)
        goto out;
    if (!l->db && stat(db, &sb) != 0) {
        rc = ex_fail(err, EX_ENOLEDGER, "no ledger at '%s' (run 'exante init')", dir);
        goto out;
    }
    int no_key = opts->read_only || (l->db && opts->worker);
    if (l->db && !no_key && stat(vkeyp, &sb) != 0 && !opts->key_file) {
        rc = ex_fail(err, EX_ENOLEDGER, "no signing key for the ledger at '%s' (run 'exante "
                                        "init --db URL' there, copy its vkey and key.pem, or "
                                        "set EXANTE_KEY)", dir);
        goto out;
    }
    ex_store_opts so = {.read_only = opts->read_only, .durable = opts->durable};
    if (l->db)
        rc = ex_store_open_pg(l->db, &so, &l->st, err);
    else
        rc = ex_store_open_sqlite(db, &so, &l->st, err);
    if (rc != EX_OK)
        goto out;
    if ((rc = l->st->ops->meta_get_dup(l->st, "origin", &origin)) != EX_OK ||
        (rc = l->st->ops->meta_get_dup(l->st, "vkey", &vk)) != EX_OK) {
        rc = rc == EX_ENOTFOUND ? EX_EDB : rc;
        ex_fail(err, rc, "ledger '%s': %s", dir, ex_store_errmsg(l->st));
        goto out;
    }
    snprintf(l->origin, sizeof l->origin, "%s", origin);
    if (l->db && stat(vkeyp, &sb) != 0) /* a worker's or reader's: the database's vkey */
        snprintf(l->vkey, sizeof l->vkey, "%s", vk);
    else if ((rc = read_vkey_file(vkeyp, l->vkey, err)) != EX_OK)
        goto out;
    /* a key rotation that committed and stopped before its files: finished (a reader only
     * goes by the database's key) */
    if (strcmp(l->vkey, vk) != 0 &&
        ex_ledger_rotation_finish(dir, vk, opts->passphrase, l->origin, opts->read_only, err) ==
            EX_OK) {
        if (opts->read_only)
            snprintf(l->vkey, sizeof l->vkey, "%s", vk);
        else if ((rc = read_vkey_file(vkeyp, l->vkey, err)) != EX_OK)
            goto out;
    }
    if (strcmp(l->vkey, vk) != 0) {
        rc = ex_fail(err, EX_EVERIFY, "ledger '%s': the vkey file does not match the database",
                     dir);
        goto out;
    }
    if (!no_key) {
        const char *kf = opts->key_file ? opts->key_file : keyp;
        l->key_external = opts->key_file != NULL;
        if ((rc = ex_key_load(kf, l->origin, opts->passphrase, &l->key, err)) != EX_OK)
            goto out;
        char mine[EX_VKEY_MAX];
        ex_key_vkey_string(l->key, mine);
        if (strcmp(mine, l->vkey) != 0) {
            rc = ex_fail(err, EX_EVERIFY, "ledger '%s': %s does not match the verifier key",
                         dir, opts->key_file ? opts->key_file : "key.pem");
            goto out;
        }
    }
    rc = ex_log_open(l->st, l->origin, l->key, &l->log, err);
out:
    free(db);
    free(keyp);
    free(vkeyp);
    free(origin);
    free(vk);
    if (rc != EX_OK)
        ex_ledger_close(l);
    else
        *out = l;
    return rc;
}

const char *
ex_ledger_errmsg(const ex_ledger *l)
{
    return l->err.msg;
}

int
ex_ledger_shared(const ex_ledger *l)
{
    return l->db != NULL;
}

const char *
ex_ledger_dir(const ex_ledger *l)
{
    return l->dir;
}

const char *
ex_ledger_origin(const ex_ledger *l)
{
    return l->origin;
}

const char *
ex_ledger_vkey(const ex_ledger *l)
{
    return l->vkey;
}

ex_log *
ex_ledger_log(ex_ledger *l)
{
    return l->log;
}

static const char *const evidence_kinds[] = {"terms", "agreement", "license", "robots",
                                              "consent", "other", NULL};

int
ex_ledger_evidence_entry(ex_ledger *l, const char *path, const char *kind, const char *source,
                         const char *note, uint8_t digest[EX_HASH_BYTES], char **entry,
                         size_t *len)
{
    int known = 0;
    for (int i = 0; evidence_kinds[i]; i++)
        known |= strcmp(kind, evidence_kinds[i]) == 0;
    if (!known)
        return ex_fail(&l->err, EX_EINVAL,
                       "unknown evidence kind '%s' (terms, agreement, license, robots, consent, "
                       "other)", kind);
    uint64_t size;
    int rc = ex_sha256_file(l->h, path, digest, &size, &l->err);
    if (rc != EX_OK)
        return rc;
    char dig[EX_DIGEST_STR_BYTES], now[32];
    ex_digest_format(digest, dig);
    ex_time_now(now);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *texts[3] = {base, source, note};
    for (int i = 0; i < 3; i++)
        if (texts[i] && !ex_utf8_valid(texts[i], strlen(texts[i])))
            return ex_fail(&l->err, EX_EINVAL, "'%s' is not valid UTF-8", texts[i]);
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("evidence"));
    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "digest", json_string(dig));
    json_object_set_new(o, "size", json_integer((json_int_t)size));
    json_object_set_new(o, "name", json_string(base));
    json_object_set_new(o, "logged", json_string(now));
    if (source)
        json_object_set_new(o, "source", json_string(source));
    if (note)
        json_object_set_new(o, "note", json_string(note));
    *entry = ex_json_canon_dup(o, len, &l->err);
    json_decref(o);
    if (!*entry)
        return l->err.code ? l->err.code : EX_ENOMEM;
    return EX_OK;
}

int
ex_ledger_evidence_add(ex_ledger *l, const char *path, const char *kind, const char *source,
                       const char *note, uint8_t digest[EX_HASH_BYTES], uint64_t *index)
{
    char *entry;
    size_t len;
    uint8_t d[EX_HASH_BYTES];
    int rc = ex_ledger_evidence_entry(l, path, kind, source, note, d, &entry, &len);
    if (rc != EX_OK)
        return rc;
    const void *e = entry;
    rc = ex_log_append(l->log, &e, &len, 1, index);
    free(entry);
    if (rc != EX_OK)
        return ex_ledger_fail_log(l, rc);
    memcpy(digest, d, EX_HASH_BYTES);
    return EX_OK;
}

int
ex_ledger_fail_store(ex_ledger *l, int rc)
{
    return ex_fail(&l->err, rc, "%s", ex_store_errmsg(l->st));
}

int
ex_ledger_fail_log(ex_ledger *l, int rc)
{
    return ex_fail(&l->err, rc, "%s", ex_log_errmsg(l->log));
}

int
ex_ledger_atomic(ex_ledger *l, int (*fn)(ex_ledger *l, void *ctx), void *ctx)
{
    int rc = l->st->ops->begin(l->st);
    if (rc != EX_OK)
        return ex_ledger_fail_store(l, rc);
    if ((rc = fn(l, ctx)) == EX_OK && (rc = l->st->ops->commit(l->st)) != EX_OK)
        ex_ledger_fail_store(l, rc);
    if (rc != EX_OK) {
        ex_err keep = l->err;
        l->st->ops->rollback(l->st);
        ex_log_resync(l->log);
        l->err = keep;
    }
    return rc;
}

typedef struct logging {
    int table;
    json_t *entry, *extra;
    uint64_t index;
    uint8_t digest[EX_HASH_BYTES];
} logging;

static int
log_record_in_tx(ex_ledger *l, void *ctx)
{
    logging *g = ctx;
    size_t elen, rlen = 0;
    char *entry = ex_json_canon_dup(g->entry, &elen, &l->err), *row = NULL;
    if (!entry)
        return l->err.code ? l->err.code : EX_ENOMEM;
    int rc = EX_OK;
    if (g->extra) {
        json_t *all = json_deep_copy(g->entry);
        if (!all || json_object_update(all, g->extra) != 0)
            rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        else if (!(row = ex_json_canon_dup(all, &rlen, &l->err)))
            rc = l->err.code ? l->err.code : EX_ENOMEM;
        json_decref(all);
    }
    const void *ep = entry;
    if (rc == EX_OK && (rc = ex_log_append(l->log, &ep, &elen, 1, &g->index)) != EX_OK)
        ex_ledger_fail_log(l, rc);
    if (rc == EX_OK &&
        (rc = l->st->ops->rec_append(l->st, g->table, (int64_t)g->index, row ? row : entry,
                                     row ? rlen : elen, NULL)) != EX_OK)
        ex_ledger_fail_store(l, rc);
    if (rc == EX_OK)
        rc = ex_sha256_digest(l->h, entry, elen, g->digest);
    free(entry);
    free(row);
    return rc;
}

int
ex_ledger_log_record(ex_ledger *l, int table, json_t *entry, json_t *extra, uint64_t *index,
                     uint8_t digest[EX_HASH_BYTES])
{
    logging g = {table, entry, extra, 0, {0}};
    int rc = ex_ledger_atomic(l, log_record_in_tx, &g);
    if (rc == EX_OK && index)
        *index = g.index;
    if (rc == EX_OK && digest)
        memcpy(digest, g.digest, EX_HASH_BYTES);
    return rc;
}

int
ex_ledger_reader(ex_ledger *l, ex_store **out)
{
    *out = NULL;
    ex_store_opts so = {.read_only = 1};
    ex_err e = {0};
    if (l->db)
        return ex_store_open_pg(l->db, &so, out, &e);
    if (!l->dir)
        return EX_EINVAL; /* in memory: there is no file to open twice */
    char *db = ex_join(l->dir, '/', DB_FILE);
    if (!db)
        return EX_ENOMEM;
    int rc = ex_store_open_sqlite(db, &so, out, &e);
    free(db);
    return rc;
}

int
ex_ledger_lock(ex_ledger *l, int *fd)
{
    *fd = -1;
    if (!l->dir)
        return EX_OK; /* in memory: nobody else can reach it */
    char *path = ex_join(l->dir, '/', "ingest.lock");
    if (!path)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0) {
        int e = errno;
        ex_fail(&l->err, EX_EIO, "cannot open '%s': %s", path, strerror(e));
        free(path);
        return EX_EIO;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(f, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, " \n")] = 0;
        close(f);
        if (e == EWOULDBLOCK)
            ex_fail(&l->err, EX_EDB,
                    "another ingest or reevaluate is writing to this ledger%s%s%s (lock '%s')",
                    pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "", path);
        else
            ex_fail(&l->err, EX_EIO, "cannot lock '%s': %s", path, strerror(e));
        free(path);
        return e == EWOULDBLOCK ? EX_EDB : EX_EIO;
    }
    /* the pid, for a second writer's message: one fixed-width write, so it never reads half */
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%-20ld\n", (long)getpid());
    if (pwrite(f, pid, (size_t)n, 0) != n) {
        /* only the message loses it: the lock holds without it */
    }
    free(path);
    *fd = f;
    return EX_OK;
}

void
ex_ledger_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

int
ex_ledger_refresh(ex_ledger *l, uint64_t *size)
{
    ex_err_clear(&l->err);
    if (l->st->ops->release)
        l->st->ops->release(l->st);
    int rc = ex_log_resync(l->log);
    if (rc != EX_OK)
        return ex_ledger_fail_log(l, rc);
    if (size)
        *size = ex_log_size(l->log);
    return EX_OK;
}
