/* files.c - plain files and directory trees: one item per regular file, its bytes as they
 * are (no decompression: a .gz file is an item like any other). Directories are walked in
 * byte order of names so that runs are reproducible; symbolic links are not followed (a link
 * could lead outside the tree or into a cycle). Unreadable files are quarantined. */
#include "reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct walker {
    const ex_reader_cb *cb;
    ex_sha256 *h;
    uint8_t *buf; /* EX_ITEM_INLINE_MAX bytes: the head of the current file */
    ex_err *err;
} walker;

static int
quarantine(walker *w, const char *path, const char *why, int e)
{
    char reason[512];
    snprintf(reason, sizeof reason, "%s: %s", why, strerror(e));
    ex_quarantine q = {.file = path, .reason = reason};
    return w->cb->quarantine ? w->cb->quarantine(w->cb->ctx, &q) : EX_OK;
}

static int
one_file(walker *w, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return quarantine(w, path, "cannot open", errno);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    posix_fadvise(fd, 0, 0, POSIX_FADV_NOREUSE); /* read once (instream.c) */
    uint64_t size = 0;
    size_t head = 0;
    int rc = ex_sha256_begin(w->h);
    static __thread uint8_t chunk[1 << 16];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return quarantine(w, path, "cannot read", e);
        }
        if (r == 0)
            break;
        if (head < EX_ITEM_INLINE_MAX) {
            size_t k = (size_t)r < EX_ITEM_INLINE_MAX - head ? (size_t)r : EX_ITEM_INLINE_MAX - head;
            memcpy(w->buf + head, chunk, k);
            head += k;
        }
        if (rc == EX_OK)
            rc = ex_sha256_update(w->h, chunk, (size_t)r);
        size += (uint64_t)r;
    }
    close(fd);
    ex_item it = {
        .file = path, .size = size, .content = w->buf, .content_len = head, .raw_len = size};
    if (rc == EX_OK)
        rc = ex_sha256_end(w->h, it.digest);
    if (rc != EX_OK)
        return ex_fail(w->err, rc, "cannot hash '%s'", path);
    return w->cb->item(w->cb->ctx, &it);
}

static int
byname(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int
walk(walker *w, const char *path, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return depth == 0 ? ex_fail(w->err, EX_EIO, "cannot open '%s': %s", path, strerror(errno))
                          : quarantine(w, path, "cannot stat", errno);
    if (S_ISREG(sb.st_mode))
        return one_file(w, path);
    if (!S_ISDIR(sb.st_mode))
        return EX_OK; /* links, devices, sockets: not documents */
    if (depth > 256)
        return quarantine(w, path, "directory tree too deep", ELOOP);
    struct dirent **list;
    int n = scandir(path, &list, NULL, byname);
    if (n < 0)
        return depth == 0 ? ex_fail(w->err, EX_EIO, "cannot read '%s': %s", path, strerror(errno))
                          : quarantine(w, path, "cannot read directory", errno);
    int rc = EX_OK;
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        if (rc == EX_OK && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            size_t len = strlen(path) + strlen(name) + 2;
            char *child = malloc(len);
            if (!child) {
                rc = ex_fail(w->err, EX_ENOMEM, "out of memory");
            } else {
                snprintf(child, len, "%s%s%s", path,
                         path[strlen(path) - 1] == '/' ? "" : "/", name);
                rc = walk(w, child, depth + 1);
                free(child);
            }
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

int
ex_read_files(const char *path, const ex_reader_cb *cb, ex_err *err)
{
    walker w = {cb, NULL, malloc(EX_ITEM_INLINE_MAX), err};
    if (!w.buf || ex_sha256_new(&w.h) != EX_OK) {
        free(w.buf);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    int rc = walk(&w, path, 0);
    ex_sha256_free(w.h);
    free(w.buf);
    return rc;
}
