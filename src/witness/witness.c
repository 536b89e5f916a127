/* witness.c - a witness's directory: its key (key.pem, 0600; vkey) and, per log origin, the
 * latest checkpoint it cosigned (logs/<hex of SHA-256(origin)>, the note as the log signed
 * it). add-checkpoint checks a request as C2SP tlog-witness says, in its order, and updates
 * the origin's file under an exclusive lock on DIR/lock, so that two requests cannot both
 * pass the old-size check and roll the state back. */
#include "witness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_CAP 4096

struct ex_witness {
    char dir[PATH_CAP];
    ex_key *key;
    char vkey[EX_VKEY_MAX];
};

static int
path_of(const ex_witness *w, const char *leaf, char out[PATH_CAP], ex_err *err)
{
    int n = snprintf(out, PATH_CAP, "%s/%s", w->dir, leaf);
    if (n < 0 || n >= PATH_CAP)
        return ex_fail(err, EX_EINVAL, "witness directory path too long");
    return EX_OK;
}

/* write data to path through a temporary file beside it: fsync, rename, fsync the dir */
static int
write_atomic(const char *dir, const char *path, const char *data, size_t len, ex_err *err)
{
    char tmp[PATH_CAP + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return ex_fail(err, EX_EIO, "cannot create '%s': %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t k = write(fd, data + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    int ok = off == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    int dfd = open(dir, O_RDONLY);
    if (dfd >= 0) { /* the rename itself made durable */
        fsync(dfd);
        close(dfd);
    }
    return EX_OK;
}

static int
read_all(const char *path, char **out, size_t *len, ex_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT
                   ? EX_ENOTFOUND
                   : ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    ex_buf b = {0};
    char chunk[4096];
    size_t k;
    int rc = EX_OK;
    while (rc == EX_OK && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = ex_buf_put(&b, chunk, k);
    if (rc == EX_OK && ferror(f))
        rc = ex_fail(err, EX_EIO, "cannot read '%s'", path);
    fclose(f);
    if (rc == EX_OK && ex_buf_putc(&b, '\0') != EX_OK)
        rc = EX_ENOMEM;
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return rc;
    }
    *out = ex_buf_take(&b, len);
    (*len)--;
    return EX_OK;
}

static int
wrap(const char *dir, ex_key *k, ex_witness **out, ex_err *err)
{
    ex_witness *w = calloc(1, sizeof *w);
    ex_vkey v;
    if (!w || strlen(dir) >= PATH_CAP - 64) {
        free(w);
        ex_key_free(k);
        return ex_fail(err, w ? EX_EINVAL : EX_ENOMEM, "cannot open witness '%s'", dir);
    }
    strcpy(w->dir, dir);
    w->key = k;
    if (ex_key_wvkey(k, &v) != EX_OK) {
        ex_witness_close(w);
        return ex_fail(err, EX_ECRYPTO, "cannot compute key id");
    }
    ex_wvkey_format(&v, w->vkey);
    *out = w;
    return EX_OK;
}

int
ex_witness_init(const char *dir, const char *name, const char *passphrase, ex_witness **out,
                ex_err *err)
{
    char p[PATH_CAP];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ex_fail(err, EX_EIO, "cannot create '%s': %s", dir, strerror(errno));
    int n = snprintf(p, sizeof p, "%s/logs", dir);
    if (n < 0 || n >= (int)sizeof p - 64)
        return ex_fail(err, EX_EINVAL, "witness directory path too long");
    ex_key *k;
    int rc = ex_key_generate(name, &k, err);
    if (rc != EX_OK)
        return rc;
    snprintf(p, sizeof p, "%s/key.pem", dir);
    if ((rc = ex_key_save(k, p, passphrase, err)) != EX_OK) {
        ex_key_free(k);
        if (rc == EX_EEXIST)
            ex_fail(err, rc, "'%s' holds a witness key already", dir);
        return rc;
    }
    snprintf(p, sizeof p, "%s/logs", dir);
    if (mkdir(p, 0700) != 0 && errno != EEXIST) {
        ex_key_free(k);
        return ex_fail(err, EX_EIO, "cannot create '%s': %s", p, strerror(errno));
    }
    ex_witness *w;
    if ((rc = wrap(dir, k, &w, err)) != EX_OK)
        return rc;
    char vk[EX_VKEY_MAX + 1];
    snprintf(vk, sizeof vk, "%s\n", w->vkey);
    if ((rc = path_of(w, "vkey", p, err)) != EX_OK ||
        (rc = write_atomic(dir, p, vk, strlen(vk), err)) != EX_OK) {
        ex_witness_close(w);
        return rc;
    }
    *out = w;
    return EX_OK;
}

int
ex_witness_open(const char *dir, const char *passphrase, ex_witness **out, ex_err *err)
{
    char p[PATH_CAP], *vk = NULL;
    size_t vl;
    int n = snprintf(p, sizeof p, "%s/vkey", dir);
    if (n < 0 || n >= (int)sizeof p - 64)
        return ex_fail(err, EX_EINVAL, "witness directory path too long");
    int rc = read_all(p, &vk, &vl, err);
    if (rc == EX_ENOTFOUND)
        return ex_fail(err, EX_ENOTFOUND, "no witness in '%s' (run 'exante witness init')", dir);
    if (rc != EX_OK)
        return rc;
    while (vl && (vk[vl - 1] == '\n' || vk[vl - 1] == '\r'))
        vk[--vl] = '\0';
    ex_vkey v;
    rc = ex_wvkey_parse(vk, &v, err);
    free(vk);
    if (rc != EX_OK)
        return rc;
    ex_key *k;
    snprintf(p, sizeof p, "%s/key.pem", dir);
    if ((rc = ex_key_load(p, v.name, passphrase, &k, err)) != EX_OK)
        return rc;
    ex_vkey kv;
    if (ex_key_wvkey(k, &kv) != EX_OK || memcmp(kv.pub, v.pub, EX_ED25519_PUB_BYTES) != 0) {
        ex_key_free(k);
        return ex_fail(err, EX_EFORMAT, "'%s/vkey' is not the key in key.pem", dir);
    }
    return wrap(dir, k, out, err);
}

void
ex_witness_close(ex_witness *w)
{
    if (w) {
        ex_key_free(w->key);
        free(w);
    }
}

const char *
ex_witness_vkey(const ex_witness *w)
{
    return w->vkey;
}

/* logs/<hex SHA-256(origin)>: an origin may hold '/' and other bytes a file name cannot */
static int
state_path(const ex_witness *w, const char *origin, char out[PATH_CAP], ex_err *err)
{
    uint8_t d[EX_HASH_BYTES];
    ex_sha256 *h;
    int rc = ex_sha256_new(&h);
    if (rc == EX_OK)
        rc = ex_sha256_digest(h, origin, strlen(origin), d);
    ex_sha256_free(h);
    if (rc != EX_OK)
        return ex_fail(err, rc, "cannot hash the origin");
    char leaf[5 + 2 * EX_HASH_BYTES + 1];
    memcpy(leaf, "logs/", 5);
    ex_hex_encode(d, EX_HASH_BYTES, leaf + 5);
    return path_of(w, leaf, out, err);
}

int
ex_witness_latest_dup(ex_witness *w, const char *origin, char **note, size_t *len, ex_err *err)
{
    char p[PATH_CAP];
    int rc = state_path(w, origin, p, err);
    if (rc == EX_OK)
        rc = read_all(p, note, len, err);
    if (rc == EX_ENOTFOUND)
        ex_fail(err, rc, "the witness has cosigned nothing for '%s'", origin);
    return rc;
}

/* the lock that makes check-and-update atomic across processes; *fd to close */
int
ex_witness_lock(ex_witness *w, int *fd, ex_err *err)
{
    char p[PATH_CAP];
    int rc = path_of(w, "lock", p, err);
    if (rc != EX_OK)
        return rc;
    *fd = open(p, O_RDWR | O_CREAT, 0600);
    if (*fd < 0)
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", p, strerror(errno));
    while (flock(*fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(*fd);
            return ex_fail(err, EX_EIO, "cannot lock '%s': %s", p, strerror(errno));
        }
    return EX_OK;
}

/* store note as origin's latest (under the lock) */
int
ex_witness_store(ex_witness *w, const char *origin, const char *note, size_t len, ex_err *err)
{
    char p[PATH_CAP], logs[PATH_CAP];
    int rc = state_path(w, origin, p, err);
    if (rc == EX_OK)
        rc = path_of(w, "logs", logs, err);
    if (rc == EX_OK && mkdir(logs, 0700) != 0 && errno != EEXIST)
        rc = ex_fail(err, EX_EIO, "cannot create '%s': %s", logs, strerror(errno));
    if (rc == EX_OK)
        rc = write_atomic(logs, p, note, len, err);
    return rc;
}

int
ex_witness_cosign_line(ex_witness *w, const char *body, size_t len, uint64_t now,
                       char line[EX_COSIG_LINE_MAX], size_t *ll, ex_err *err)
{
    return ex_cosig_sign(w->key, body, len, now, line, ll, err);
}
