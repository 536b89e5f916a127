/* serve.c - exante serve: options, the daemon, requests' life cycle, signals. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: exante serve [--listen HOST:PORT] [--read-only] [--max-connections N]\n"
    "                    [--threads N] [--timeout SECONDS] [--max-body BYTES]\n"
    "                    [--rate-limit N] [--include-by SECONDS] [--cache-mb N]\n"
    "\n"
    "Serve the ledger over HTTP (docs/SERVER.md): the signed checkpoint and C2SP tlog-tiles\n"
    "(/checkpoint, /tile/...), the read API under /v1/ (why, snapshots and their proofs,\n"
    "models and lineage, impact, attestations: the JSON the CLI prints with --json), opt-out\n"
    "requests and complaints (POST /v1/optouts, /v1/complaints: logged at once, answered with\n"
    "a receipt signed by the log's key), and a dashboard at /.\n"
    "\n"
    "  --listen HOST:PORT    address to listen on (default " SRV_LISTEN "; port 0: any free\n"
    "                        port); the address served is printed on stdout once listening\n"
    "  --read-only           no writes: submissions are refused (405), no signing key needed\n"
    "  --max-connections N   open connections at most (default 1024)\n"
    "  --per-address N       open connections per client address at most (default 64)\n"
    "  --threads N           request threads (default: the number of CPUs)\n"
    "  --timeout SECONDS     an idle connection is closed after this (default 15)\n"
    "  --max-body BYTES      largest request body (default 4 MiB and 64 KiB of slack)\n"
    "  --rate-limit N        public submissions per client address per minute (default 10;\n"
    "                        partners with a token ('exante token add') are not limited)\n"
    "  --include-by SECONDS  the inclusion a receipt promises, at most this late (default 60)\n"
    "  --cache-mb N          memory for answers kept until the log grows (default 64)\n"
    "\n"
    "SIGTERM or SIGINT: stop accepting, finish open requests (10 s at most), exit 0. SIGHUP:\n"
    "reopen the ledger and reload partner tokens.\n";

static srv S;
static __thread srv_reader *tl;

static double
mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t
srv_reader_gen(void)
{
    return tl ? tl->gen : 0;
}

void
srv_bump(srv *s)
{
    uint64_t size;
    if (s->writer && ex_ledger_refresh(s->writer, &size) == EX_OK)
        atomic_store(&s->gen, size);
}

ex_ledger *
srv_reader_get(srv *s, struct MHD_Connection *conn)
{
    if (!tl) {
        if (!(tl = calloc(1, sizeof *tl))) {
            srv_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", "out of memory");
            return NULL;
        }
        pthread_mutex_lock(&s->rlock);
        tl->next = s->readers, s->readers = tl;
        pthread_mutex_unlock(&s->rlock);
        tl->epoch = atomic_load(&s->epoch) - 1; /* opened below */
    }
    unsigned epoch = atomic_load(&s->epoch);
    uint64_t gen = atomic_load(&s->gen);
    if (!tl->l || tl->epoch != epoch) {
        ex_ledger_close(tl->l);
        tl->l = NULL;
        ex_err e = {0};
        ex_ledger_opts o = {.read_only = 1, .db = s->c->db};
        int rc = ex_ledger_open(s->c->dir, &o, &tl->l, &e);
        if (rc != EX_OK) {
            srv_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", "cannot open the "
                      "ledger: %s", e.msg);
            return NULL;
        }
        tl->epoch = epoch;
        tl->gen = gen;
        return tl->l;
    }
    if (tl->gen != gen) {
        int rc = ex_ledger_refresh(tl->l, NULL);
        if (rc != EX_OK) {
            srv_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", "%s",
                      ex_ledger_errmsg(tl->l));
            return NULL;
        }
        tl->gen = gen;
    }
    return tl->l;
}

/* ---- one request ---- */

static char get_marker; /* *con_cls of a request without a body */
static char uri_ok, uri_nul; /* *con_cls before the first call: what the URI held */

/* libmicrohttpd's first look at a request, its URI as sent: a %00 would be decoded into a
 * NUL that cuts the path or an argument short (a different resource answering), so such a
 * request is refused at the first call */
static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls, (void)conn;
    for (const char *p = uri; (p = strchr(p, '%')) != NULL; p++)
        if (p[1] == '0' && p[2] == '0')
            return &uri_nul;
    return &uri_ok;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    srv *s = cls;
    int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (!*con_cls || *con_cls == &uri_ok || *con_cls == &uri_nul) {
        int nul = *con_cls == &uri_nul;
        atomic_fetch_add(&s->active, 1);
        if (!post) {
            *con_cls = &get_marker;
            if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD))
                return srv_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                 "%s is not served here", method);
        } else {
            srv_req *rq = calloc(1, sizeof *rq);
            if (!rq)
                return MHD_NO;
            rq->started = (long)mono();
            *con_cls = rq;
        }
        if (nul)
            return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request",
                             "the URL holds an encoded NUL (%%00)");
        if (MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL) > SRV_MAX_HEADERS)
            return srv_error(conn, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "too_many_headers",
                             "more than %d header lines", SRV_MAX_HEADERS);
        /* answered at the next call, once the request is whole: a response queued while a
         * request may still have a body makes libmicrohttpd close the connection after it */
        if (!post)
            return MHD_YES;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->max_body)
            return srv_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "too_large",
                             "the body is over %zu bytes", s->max_body);
        return MHD_YES; /* the body comes in the next calls */
    }
    if (*con_cls == &get_marker) {
        if (*upload_size) { /* a body on a GET: read and dropped */
            *upload_size = 0;
            return MHD_YES;
        }
        return srv_route_get(s, conn, url);
    }
    srv_req *rq = *con_cls;
    if (*upload_size) {
        if ((long)mono() - rq->started > SRV_REQUEST_DEADLINE)
            return srv_error(conn, MHD_HTTP_REQUEST_TIMEOUT, "timeout",
                             "the body took over %d s", SRV_REQUEST_DEADLINE);
        if (rq->len + *upload_size > s->max_body) {
            rq->too_big = 1; /* read and dropped, answered at the end */
        } else {
            if (rq->len + *upload_size + 1 > rq->cap) {
                size_t cap = (rq->len + *upload_size + 1) * 2;
                char *b = realloc(rq->body, cap > s->max_body + 1 ? s->max_body + 1 : cap);
                if (!b)
                    return MHD_NO;
                rq->body = b;
                rq->cap = cap > s->max_body + 1 ? s->max_body + 1 : cap;
            }
            memcpy(rq->body + rq->len, upload, *upload_size);
            rq->len += *upload_size;
            rq->body[rq->len] = 0;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_big)
        return srv_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "too_large",
                         "the body is over %zu bytes", s->max_body);
    return srv_route_post(s, conn, url, rq);
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode why)
{
    (void)conn, (void)why;
    srv *s = cls;
    if (!*con_cls || *con_cls == &uri_ok || *con_cls == &uri_nul)
        return; /* never reached the handler */
    atomic_fetch_sub(&s->active, 1);
    if (*con_cls != &get_marker) {
        srv_req *rq = *con_cls;
        free(rq->body);
        free(rq);
    }
    *con_cls = NULL;
}

/* ---- the daemon ---- */

static int
parse_listen(const char *a, struct sockaddr_storage *ss)
{
    char host[256];
    const char *colon = strrchr(a, ':');
    memset(ss, 0, sizeof *ss);
    if (!colon || colon == a || (size_t)(colon - a) >= sizeof host)
        return -1;
    memcpy(host, a, (size_t)(colon - a));
    host[colon - a] = 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || port > 65535)
        return -1;
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        host[strlen(host) - 1] = 0;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
}

static void
log_cb(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("exante: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* SIGHUP: a new epoch (readers reopen), the writer reopened, tokens reloaded */
static void
reload(srv *s)
{
    atomic_fetch_add(&s->epoch, 1);
    pthread_mutex_lock(&s->wlock);
    if (!s->read_only) {
        ex_ledger *w = NULL;
        if (cli_open_as(s->c, 0, 0, &w) == EXIT_OKAY) {
            ex_ledger_close(s->writer);
            s->writer = w;
        } else {
            cli_err("serve: SIGHUP: kept the ledger open before");
        }
    }
    ex_tokens *t = NULL;
    ex_ledger *any = s->writer;
    ex_ledger *r = NULL;
    if (!any && cli_open_as(s->c, 1, 0, &r) == EXIT_OKAY)
        any = r;
    if (any && ex_ledger_tokens_load(any, &t) == EX_OK) {
        ex_tokens_free(s->tokens);
        s->tokens = t;
    }
    ex_ledger_close(r);
    pthread_mutex_unlock(&s->wlock);
    fprintf(stderr, "exante: serve: reloaded the ledger and partner tokens\n");
}

/* The main thread after start: poll the log's size (the answers' generation) and wait for
 * signals. */
static void
watch(srv *s, ex_ledger *w)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    struct timespec tick = {0, 200 * 1000 * 1000};
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            ex_ledger_close(w);
            return;
        }
        if (sig == SIGHUP) {
            reload(s);
            ex_ledger_close(w);
            w = NULL;
        }
        uint64_t size;
        ex_ledger_opts o = {.read_only = 1, .db = s->c->db};
        ex_err e = {0};
        if (!w && ex_ledger_open(s->c->dir, &o, &w, &e) != EX_OK)
            continue; /* tried again next tick */
        if (ex_ledger_refresh(w, &size) == EX_OK && size != atomic_load(&s->gen))
            atomic_store(&s->gen, size);
    }
}

static int
options(int argc, char **argv, srv *s, const char **listen, unsigned *maxconn, unsigned *timeout,
        unsigned *rate, unsigned *cache_mb)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},   {"read-only", no_argument, NULL, 'r'},
        {"max-connections", required_argument, NULL, 'm'},
        {"threads", required_argument, NULL, 't'},  {"timeout", required_argument, NULL, 'T'},
        {"max-body", required_argument, NULL, 'b'}, {"rate-limit", required_argument, NULL, 'R'},
        {"include-by", required_argument, NULL, 'i'},
        {"cache-mb", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {"per-address", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    uint64_t v;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'h') {
            fputs(usage, stdout);
            return EXIT_OKAY + 100;
        }
        if (ch == 'l') {
            *listen = optarg;
            continue;
        }
        if (ch == 'r') {
            s->read_only = 1;
            continue;
        }
        if (ch == '?' || ch == ':')
            return cli_usage(usage, "serve: bad option '%s'", argv[optind - 1]);
        if (cli_parse_u64(optarg, &v) || v > 1u << 30)
            return cli_usage(usage, "serve: '%s' wants a number, not '%s'", argv[optind - 2],
                             optarg);
        switch (ch) {
        case 'm': *maxconn = (unsigned)v; break;
        case 't': s->threads = (unsigned)v; break;
        case 'T': *timeout = (unsigned)v; break;
        case 'b': s->max_body = (size_t)v; break;
        case 'R': *rate = (unsigned)v; break;
        case 'i': s->include_by = (unsigned)v; break;
        case 'c': *cache_mb = (unsigned)v; break;
        case 'p': s->per_address = (unsigned)v; break;
        }
    }
    if (optind != argc)
        return cli_usage(usage, "serve: unexpected argument '%s'", argv[optind]);
    if (*maxconn == 0 || s->per_address == 0 || s->threads > 256 || *timeout == 0)
        return cli_usage(usage, "serve: --max-connections, --per-address and --timeout must be "
                                "positive, --threads at most 256");
    return EXIT_OKAY;
}

int
cmd_serve(cli *c, int argc, char **argv)
{
    srv *s = &S;
    const char *listen = SRV_LISTEN;
    unsigned maxconn = SRV_MAX_CONNECTIONS, timeout = SRV_TIMEOUT, rate = SRV_RATE;
    unsigned cache_mb = SRV_CACHE_MB;
    memset(s, 0, sizeof *s);
    s->c = c;
    s->max_body = SRV_MAX_BODY;
    s->include_by = SRV_INCLUDE_BY;
    s->per_address = SRV_PER_ADDRESS;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    s->threads = ncpu > 0 ? (unsigned)ncpu : 2;
    int x = options(argc, argv, s, &listen, &maxconn, &timeout, &rate, &cache_mb);
    if (x != EXIT_OKAY)
        return x == EXIT_OKAY + 100 ? EXIT_OKAY : x;
    struct sockaddr_storage ss;
    if (parse_listen(listen, &ss) != 0)
        return cli_usage(usage, "serve: --listen wants HOST:PORT (an IP address), not '%s'",
                         listen);
    if (s->threads == 0)
        s->threads = 1;
    /* the writer (with the signing key) unless read-only; either way the ledger must open */
    ex_ledger *first = NULL;
    if ((x = cli_open_as(c, s->read_only, 0, &first)) != EXIT_OKAY)
        return x;
    if (!s->read_only)
        s->writer = first;
    snprintf(s->vkey, sizeof s->vkey, "%s", ex_ledger_vkey(first));
    uint64_t size = 0;
    if (ex_ledger_tokens_load(first, &s->tokens) != EX_OK ||
        ex_ledger_refresh(first, &size) != EX_OK) {
        cli_err("serve: %s", ex_ledger_errmsg(first));
        ex_ledger_close(first);
        return EXIT_IO;
    }
    atomic_store(&s->gen, size);
    if (s->read_only)
        ex_ledger_close(first);
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    /* descriptors for answers kept in memfds: what the connections leave, halved */
    struct rlimit rl;
    unsigned fds = 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur > (rlim_t)maxconn + 256)
        fds = (unsigned)((rl.rlim_cur - maxconn - 256) / 2);
    if (srv_cache_new((size_t)cache_mb << 20, fds, &s->cache) != EX_OK ||
        srv_rate_new(rate, &s->rate) != EX_OK) {
        cli_err("serve: out of memory");
        return EXIT_IO;
    }
    /* signals go to the main thread alone (sigtimedwait in watch); the pool inherits the
     * mask; a peer gone mid-write must not kill the process */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_TURBO |
                     MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, s, MHD_OPTION_EXTERNAL_LOGGER, log_cb, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, s->threads, MHD_OPTION_CONNECTION_LIMIT, maxconn,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->per_address < maxconn ? s->per_address : maxconn,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)SRV_MEMORY_LIMIT, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
        MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_END);
    if (!s->d) {
        cli_err("serve: cannot listen on %s: %s", listen, strerror(errno));
        ex_ledger_close(s->writer);
        return EXIT_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
    printf(ss.ss_family == AF_INET6 ? "http://[%s]:%u/\n" : "http://%s:%u/\n", host,
           di ? (unsigned)di->port : 0);
    fflush(stdout);
    if (!c->quiet)
        fprintf(stderr, "exante: serving log size %llu (%s) with %u threads%s\n",
                (unsigned long long)size, s->read_only ? "read-only" : "taking submissions",
                s->threads, "; SIGTERM stops");
    watch(s, NULL);
    /* drain: no new connections, the open requests finish (10 s at most) */
    MHD_socket ls = MHD_quiesce_daemon(s->d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    double until = mono() + 10;
    while (atomic_load(&s->active) > 0 && mono() < until)
        usleep(10000);
    long left = atomic_load(&s->active);
    MHD_stop_daemon(s->d);
    for (srv_reader *r = s->readers, *n; r; r = n) {
        n = r->next;
        ex_ledger_close(r->l);
        free(r);
    }
    ex_ledger_close(s->writer);
    ex_tokens_free(s->tokens);
    srv_cache_free(s->cache);
    srv_rate_free(s->rate);
    if (!c->quiet)
        fprintf(stderr, "exante: serve: stopped%s\n",
                left > 0 ? " (requests still open after 10 s were cut)" : "");
    return EXIT_OKAY;
}
