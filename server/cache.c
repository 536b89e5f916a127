/* cache.c - answers kept in memory: full tiles for good (their bytes never change), every
 * other answer for the log size it was made at (the ledger changes only by growing its log,
 * so an answer made at the current size is the answer). Sets of four slots under striped
 * locks: a lookup is a hash, a lock and up to four compares; a full set gives up its least
 * recently used answer. A response is
 * queued while its stripe is locked, so an eviction on another thread cannot free it under
 * us (libmicrohttpd counts the references of queued responses). */
#include "server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define WAYS 4
#define SLOTS_MAX 16384
#define SLOTS_MIN 64
#define STRIPES 64
#define KEY_MAX 512
/* An immutable answer from this size on is kept in a memfd and sent with sendfile(2), as nginx
 * sends a static file: for the 16-50 KiB entry bundles that saves the copy into the kernel that
 * dominates the profile (bench/serve.sh: 0.92 of nginx's rate on mixed tiles with buffers,
 * about 1.0 with files); smaller ones go faster from a buffer (one sendmsg with the headers). */
#define MEMFD_MIN 16384

typedef struct slot {
    char *key;
    uint64_t h; /* the key's hash: most misses are told without a strcmp */
    uint64_t gen;
    uint64_t used; /* the set's clock when last sent: the least recent goes first */
    int immutable, memfd;
    size_t bytes;
    struct MHD_Response *r;
} slot;

struct srv_cache {
    size_t budget, sets; /* a slot per 4 KiB of budget, 64 to 16,384, in sets of WAYS */
    _Atomic size_t used;
    _Atomic unsigned fds; /* answers kept in memfds (each holds a descriptor) */
    unsigned fds_max;
    pthread_mutex_t lock[STRIPES];
    slot *s;
    uint64_t *clock; /* per set */
};

static uint64_t
hash(const char *k)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *k; k++)
        h = (h ^ (uint8_t)*k) * 1099511628211ULL;
    return h ^ (h >> 29);
}

int
srv_cache_new(size_t bytes, unsigned fds, srv_cache **out)
{
    srv_cache *c = calloc(1, sizeof *c);
    size_t n = bytes / 4096;
    n = n < SLOTS_MIN ? SLOTS_MIN : n > SLOTS_MAX ? SLOTS_MAX : n;
    if (!c || !(c->s = calloc(n, sizeof *c->s)) || !(c->clock = calloc(n / WAYS, sizeof *c->clock))) {
        if (c)
            free(c->s);
        free(c);
        return EX_ENOMEM;
    }
    c->budget = bytes, c->sets = n / WAYS, c->fds_max = fds;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&c->lock[i], NULL);
    *out = c;
    return EX_OK;
}

static void
drop(srv_cache *c, slot *s)
{
    if (s->r)
        MHD_destroy_response(s->r); /* a memfd's descriptor goes with its last reference */
    if (s->memfd)
        atomic_fetch_sub(&c->fds, 1);
    atomic_fetch_sub(&c->used, s->bytes);
    free(s->key);
    memset(s, 0, sizeof *s);
}

void
srv_cache_free(srv_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->sets * WAYS; i++)
        drop(c, &c->s[i]);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&c->lock[i]);
    free(c->s);
    free(c->clock);
    free(c);
}

int
srv_cache_send(srv_cache *c, const char *key, uint64_t gen, struct MHD_Connection *conn,
               enum MHD_Result *ok)
{
    uint64_t h = hash(key);
    size_t set = h % c->sets;
    slot *s = &c->s[set * WAYS];
    pthread_mutex_t *m = &c->lock[set % STRIPES]; /* by set: keys sharing it share the lock */
    int hit = 0;
    pthread_mutex_lock(m);
    for (int i = 0; i < WAYS; i++)
        if (s[i].key && s[i].h == h && (s[i].immutable || s[i].gen == gen) &&
            strcmp(s[i].key, key) == 0) {
            *ok = MHD_queue_response(conn, MHD_HTTP_OK, s[i].r);
            s[i].used = ++c->clock[set];
            hit = 1;
            break;
        }
    pthread_mutex_unlock(m);
    return hit;
}

/* The cache's own response for an answer: a memfd-backed one (*memfd set) for an immutable
 * answer of MEMFD_MIN bytes or more while descriptors are left, else a buffer. */
static struct MHD_Response *
kept_response(srv_cache *c, const void *data, size_t len, int immutable, const char *type,
              const char *cc, int *memfd)
{
    *memfd = 0;
    if (immutable && len >= MEMFD_MIN && atomic_fetch_add(&c->fds, 1) < c->fds_max) {
        int fd = memfd_create("exante-answer", MFD_CLOEXEC);
        size_t off = 0;
        while (fd >= 0 && off < len) {
            ssize_t n = write(fd, (const char *)data + off, len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                close(fd);
                fd = -1;
            }
            off += n > 0 ? (size_t)n : 0;
        }
        struct MHD_Response *r = fd >= 0 ? MHD_create_response_from_fd64(len, fd) : NULL;
        if (!r && fd >= 0)
            close(fd);
        if (r && (r = srv_headers(r, type, cc)) != NULL) {
            *memfd = 1;
            return r;
        }
        atomic_fetch_sub(&c->fds, 1);
    } else if (immutable && len >= MEMFD_MIN) {
        atomic_fetch_sub(&c->fds, 1);
    }
    return srv_response(data, len, type, cc);
}

void
srv_cache_put(srv_cache *c, const char *key, uint64_t gen, int immutable, const void *data,
              size_t len, const char *type, const char *cachectl)
{
    size_t klen = strlen(key);
    if (klen > KEY_MAX || len > c->budget / 64)
        return; /* a big answer would crowd out many small ones */
    uint64_t h = hash(key);
    size_t set = h % c->sets;
    slot *s = &c->s[set * WAYS];
    pthread_mutex_t *m = &c->lock[set % STRIPES];
    /* the cache's own response: libmicrohttpd has no call to share the caller's */
    char *k = malloc(klen + 1);
    int memfd = 0;
    struct MHD_Response *r =
        k ? kept_response(c, data, len, immutable, type, cachectl, &memfd) : NULL;
    if (!r) {
        free(k);
        return;
    }
    memcpy(k, key, klen + 1);
    pthread_mutex_lock(m);
    /* the way to fill: the same key (made again: the newer wins), an empty one, a stale one,
     * else the least recently sent */
    int w = -1;
    for (int i = 0; i < WAYS && w < 0; i++)
        if (s[i].key && s[i].h == h && strcmp(s[i].key, key) == 0)
            w = i;
    for (int i = 0; i < WAYS && w < 0; i++)
        if (!s[i].key)
            w = i;
    for (int i = 0; i < WAYS && w < 0; i++)
        if (!s[i].immutable && s[i].gen != gen)
            w = i;
    if (w < 0) {
        w = 0;
        for (int i = 1; i < WAYS; i++)
            if (s[i].used < s[w].used)
                w = i;
    }
    if (s[w].key)
        drop(c, &s[w]);
    if (atomic_load(&c->used) + len <= c->budget) {
        s[w].key = k, k = NULL;
        s[w].h = h, s[w].gen = gen, s[w].immutable = immutable, s[w].bytes = len;
        s[w].r = r, r = NULL, s[w].memfd = memfd, memfd = 0;
        s[w].used = ++c->clock[set];
        atomic_fetch_add(&c->used, len);
    }
    pthread_mutex_unlock(m);
    free(k);
    if (r)
        MHD_destroy_response(r);
    if (memfd) /* not kept */
        atomic_fetch_sub(&c->fds, 1);
}
