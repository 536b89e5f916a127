/* rate.c - public submissions per client address: a token bucket per address (IPv4, or an
 * IPv6 /64, which one client commonly holds whole), in a fixed table, so memory stays flat
 * whatever the number of addresses; a collision shares a bucket, which errs on refusing. */
#include "server.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUCKETS 65536

typedef struct bucket {
    uint64_t who;   /* hash of the address */
    double tokens;  /* submissions it may make now */
    double at;      /* when tokens was computed (monotonic seconds) */
} bucket;

struct srv_rate {
    double per_second, burst;
    pthread_mutex_t lock;
    bucket b[BUCKETS];
};

int
srv_rate_new(unsigned per_minute, srv_rate **out)
{
    srv_rate *r = calloc(1, sizeof *r);
    if (!r)
        return EX_ENOMEM;
    r->per_second = per_minute / 60.0;
    r->burst = per_minute;
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return EX_OK;
}

void
srv_rate_free(srv_rate *r)
{
    if (r) {
        pthread_mutex_destroy(&r->lock);
        free(r);
    }
}

static uint64_t
who(const struct sockaddr *a)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    if (a && a->sa_family == AF_INET)
        p = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr, n = 4;
    else if (a && a->sa_family == AF_INET6)
        p = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr, n = 8;
    uint64_t h = 1469598103934665603ULL ^ n;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h | 1; /* never 0: 0 marks an empty bucket */
}

int
srv_rate_take(srv_rate *r, const struct sockaddr *a, unsigned *retry)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = ts.tv_sec + ts.tv_nsec / 1e9;
    uint64_t w = who(a);
    int ok;
    *retry = 0;
    if (r->burst <= 0) {
        *retry = 60;
        return 0; /* --rate-limit 0: no public submissions at all */
    }
    pthread_mutex_lock(&r->lock);
    bucket *b = &r->b[w % BUCKETS];
    if (b->at == 0) { /* first use: a full bucket; a colliding address shares it after */
        b->who = w;
        b->tokens = r->burst;
        b->at = now;
    }
    b->tokens += (now - b->at) * r->per_second;
    if (b->tokens > r->burst)
        b->tokens = r->burst;
    b->at = now;
    ok = b->tokens >= 1;
    if (ok)
        b->tokens -= 1;
    else
        *retry = (unsigned)((1 - b->tokens) / r->per_second) + 1;
    pthread_mutex_unlock(&r->lock);
    return ok;
}
