/* server.h - exante serve: the HTTP face of the ledger (docs/SERVER.md). Like cli/, it
 * parses, calls the library and writes answers; the answers are the library's, byte for
 * byte the JSON the CLI prints with --json.
 *
 * Threads: libmicrohttpd's pool (epoll, one loop per thread) calls srv_dispatch. Each pool
 * thread reads through a ledger handle of its own (srv_reader), opened read-only on first use
 * and refreshed when the log has grown; writes (submissions) go through the one writer handle
 * under srv.wlock. A watcher thread polls the log's size, the generation that cached answers
 * are valid for. */
#ifndef EX_SERVER_H
#define EX_SERVER_H

#include "cli.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

/* Defaults (exante serve --help). */
#define SRV_LISTEN "127.0.0.1:8080"
#define SRV_MAX_CONNECTIONS 1024
#define SRV_PER_ADDRESS 64
#define SRV_MAX_BODY (EX_SUBMISSION_MAX + 65536)
#define SRV_MAX_HEADERS 64         /* header lines per request */
#define SRV_MEMORY_LIMIT (16 * 1024) /* per connection: the request line and headers fit
                                       (zeroed at every request: kept small) */
#define SRV_TIMEOUT 15             /* seconds a connection may sit idle */
#define SRV_REQUEST_DEADLINE 30    /* seconds a request's body may take to arrive */
#define SRV_RATE 10                /* public submissions per address per minute */
#define SRV_INCLUDE_BY 60          /* the receipt's promise, seconds */
#define SRV_CACHE_MB 64

typedef struct srv_cache srv_cache;
typedef struct srv_rate srv_rate;

typedef struct srv {
    cli *c;
    int read_only;
    unsigned threads, include_by, per_address;
    size_t max_body;
    struct MHD_Daemon *d;
    /* the log's size as the watcher last saw it: cached answers of another are stale */
    _Atomic uint64_t gen;
    /* bumped by SIGHUP: every reader reopens its handle */
    _Atomic unsigned epoch;
    _Atomic long active; /* requests between their first call and completion */
    _Atomic int stopping;
    pthread_mutex_t wlock; /* the writer handle and the token table */
    ex_ledger *writer;     /* NULL when read-only */
    ex_tokens *tokens;
    srv_cache *cache;
    srv_rate *rate;
    pthread_mutex_t rlock; /* the list of reader handles */
    struct srv_reader *readers;
    char vkey[512];
} srv;

/* A pool thread's own ledger handle. */
typedef struct srv_reader {
    ex_ledger *l;
    uint64_t gen;
    unsigned epoch;
    struct srv_reader *next;
} srv_reader;

/* One request's state across libmicrohttpd's calls (its *con_cls). */
typedef struct srv_req {
    char *body;    /* the upload so far (NUL-terminated) */
    size_t len, cap;
    int too_big;   /* past max_body: answered 413 once the upload ends */
    long started;  /* monotonic seconds at the first call */
} srv_req;

/* ---- http.c: answers ---- */
/* Queue a response and drop our reference; MHD_NO if it cannot be queued. */
enum MHD_Result srv_send(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r);
/* A response of len bytes copied from data with its content type and cache policy
 * ("no-store", "immutable", or a max-age in seconds as text). NULL when out of memory. */
struct MHD_Response *srv_response(const void *data, size_t len, const char *type,
                                  const char *cache);
/* r (may be NULL) with those headers; NULL (r destroyed) when out of memory. */
struct MHD_Response *srv_headers(struct MHD_Response *r, const char *type, const char *cache);
/* The error answer: {"code": code, "message": msg} with an HTTP status. */
enum MHD_Result srv_error(struct MHD_Connection *conn, unsigned status, const char *code,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A library failure as an HTTP error (EX_ENOTFOUND 404, EX_EINVAL / EX_EFORMAT 400,
 * EX_EEXIST 409, other 500), with the library's message. */
enum MHD_Result srv_fail(struct MHD_Connection *conn, int rc, const char *msg);
/* A JSON body from the library, len bytes (JSONL for listings), "no-store" unless cached. */
enum MHD_Result srv_json(srv *s, struct MHD_Connection *conn, const char *key, char *json,
                         size_t len, int jsonl);

/* One JSON object from the library (json, len bytes, taken and freed) with a newline, as
 * the CLI prints it, with an HTTP status and an extra header (may be NULL). */
enum MHD_Result srv_json_status(struct MHD_Connection *conn, unsigned status, char *json,
                                size_t len, const char *header, const char *value);

/* ---- cache.c: answers kept for the log's current size (full tiles: for good) ---- */
/* A cache of `bytes`; up to `fds` of its answers may be kept in files in memory (memfd). */
int srv_cache_new(size_t bytes, unsigned fds, srv_cache **out);
void srv_cache_free(srv_cache *c);
/* Queue the response kept for key, if it is valid at gen (any gen: immutable ones), with
 * status 200 on conn: 1 and *ok (MHD's answer) then; 0 if there is none. */
int srv_cache_send(srv_cache *c, const char *key, uint64_t gen, struct MHD_Connection *conn,
                   enum MHD_Result *ok);
/* Keep an answer (data[0..len) with its content type and Cache-Control, as srv_response)
 * for key at gen (immutable: for every gen), in a response of the cache's own. Answers over
 * a 64th of the budget are not kept, nor any once the budget is spent (stale ones are
 * replaced as their slots are reused). */
void srv_cache_put(srv_cache *c, const char *key, uint64_t gen, int immutable, const void *data,
                   size_t len, const char *type, const char *cachectl);

/* ---- rate.c: public submissions per client address ---- */
int srv_rate_new(unsigned per_minute, srv_rate **out);
void srv_rate_free(srv_rate *r);
/* 1 if the address may submit now (a token taken), else 0 and *retry: seconds to wait. */
int srv_rate_take(srv_rate *r, const struct sockaddr *a, unsigned *retry);

/* ---- serve.c ---- */
/* The calling pool thread's reader, opened or refreshed as needed; NULL with an error
 * answered on conn. */
ex_ledger *srv_reader_get(srv *s, struct MHD_Connection *conn);
/* The generation the calling thread's reader was last refreshed at: what its answers are
 * valid for. */
uint64_t srv_reader_gen(void);
/* After a write: the log's new size is everyone's generation. */
void srv_bump(srv *s);

/* ---- routes.c, intake.c, dashboard.c ---- */
enum MHD_Result srv_route_get(srv *s, struct MHD_Connection *conn, const char *url);
enum MHD_Result srv_route_post(srv *s, struct MHD_Connection *conn, const char *url,
                               srv_req *rq);
enum MHD_Result srv_dashboard(srv *s, struct MHD_Connection *conn, const char *q,
                              const char *text, size_t tlen);

#endif
