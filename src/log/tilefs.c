/* tilefs.c - tile files: C2SP tlog-tiles paths, writing them atomically, removing partial
 * tiles a full one replaced (log.h). */
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
ex_tile_path(char *out, size_t cap, const char *dir, const char *what, uint64_t n, unsigned w)
{
    char digits[40] = "";
    char grp[8];
    uint64_t parts[8];
    int k = 0;
    do {
        parts[k++] = n % 1000;
        n /= 1000;
    } while (n);
    for (int i = k - 1; i >= 0; i--) {
        snprintf(grp, sizeof grp, "%s%03u", i ? "x" : "", (unsigned)parts[i]);
        strcat(digits, grp);
        if (i)
            strcat(digits, "/");
    }
    if (w && w < EX_TILE_WIDTH)
        snprintf(out, cap, "%s/tile/%s/%s.p/%u", dir, what, digits, w);
    else
        snprintf(out, cap, "%s/tile/%s/%s", dir, what, digits);
}

/* make the directories above path */
static int
mkdirs(const char *path, ex_err *err)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *c = p + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        int r = mkdir(p, 0755);
        int e = errno;
        *c = '/';
        if (r != 0 && e != EEXIST)
            return ex_fail(err, EX_EIO, "cannot create directory for '%s': %s", path,
                           strerror(e));
    }
    return EX_OK;
}

/* write all of data to fd; 0 or an errno */
static int
write_all(int fd, const uint8_t *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int
ex_file_write(const char *path, const void *data, size_t len, ex_err *err)
{
    static atomic_uint seq;
    int rc = mkdirs(path, err);
    if (rc != EX_OK)
        return rc;
    /* the temporary file beside path (a rename within one directory is atomic), hidden, named
     * by process and sequence so that concurrent writers never share one */
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    char tmp[4200];
    int fd = -1, e = 0;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        int n = snprintf(tmp, sizeof tmp, "%.*s.%s.tmp.%ld.%u", (int)dl, path, path + dl,
                         (long)getpid(), atomic_fetch_add(&seq, 1));
        if (n < 0 || (size_t)n >= sizeof tmp)
            return ex_fail(err, EX_EIO, "cannot create '%s': path too long", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        e = errno;
        if (fd < 0 && e != EEXIST)
            break;
    }
    if (fd < 0)
        return ex_fail(err, EX_EIO, "cannot create '%s': %s", path, strerror(e));
    e = write_all(fd, data, len);
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    return EX_OK;
}

int
ex_file_has(const char *path, size_t len)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == len;
}

/* "1".."255" without leading zeros: a partial tile's width */
static int
is_width(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 3 || s[0] == '0' || strspn(s, "0123456789") != n)
        return 0;
    return atoi(s) < EX_TILE_WIDTH;
}

int
ex_tiles_remove_partials(const char *dir, const char *what, uint64_t n, uint64_t *removed,
                         ex_err *err)
{
    char pdir[4096], path[4400];
    ex_tile_path(pdir, sizeof pdir, dir, what, n, 1);
    *strrchr(pdir, '/') = '\0'; /* <N>.p */
    DIR *d = opendir(pdir);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR
                   ? EX_OK
                   : ex_fail(err, EX_EIO, "cannot open '%s': %s", pdir, strerror(errno));
    int rc = EX_OK;
    struct dirent *de;
    while (rc == EX_OK && (de = readdir(d)) != NULL) {
        if (!is_width(de->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", pdir, de->d_name);
        if (unlink(path) == 0)
            (*removed)++;
        else if (errno != ENOENT)
            rc = ex_fail(err, EX_EIO, "cannot remove '%s': %s", path, strerror(errno));
    }
    closedir(d);
    /* anything else left in it (not ours) keeps the directory */
    if (rc == EX_OK && rmdir(pdir) != 0 && errno != ENOTEMPTY && errno != EEXIST &&
        errno != ENOENT)
        rc = ex_fail(err, EX_EIO, "cannot remove '%s': %s", pdir, strerror(errno));
    return rc;
}

int
ex_file_read(const char *path, size_t max, uint8_t **data, size_t *len, ex_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    uint8_t *d = malloc(max ? max : 1);
    size_t n = d ? fread(d, 1, max, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!d)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    if (bad) {
        free(d);
        return ex_fail(err, EX_EIO, "cannot read '%s'", path);
    }
    *data = d;
    *len = n;
    return EX_OK;
}
