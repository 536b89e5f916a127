/* tilefs.c - tile files: C2SP tlog-tiles paths and writing them (log.h). */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int
ex_file_write(const char *path, const void *data, size_t len, ex_err *err)
{
    int rc = mkdirs(path, err);
    if (rc != EX_OK)
        return rc;
    FILE *f = fopen(path, "wb");
    if (!f)
        return ex_fail(err, EX_EIO, "cannot create '%s': %s", path, strerror(errno));
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    if (fclose(f) != 0 || w != len)
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", path, strerror(errno));
    return EX_OK;
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
