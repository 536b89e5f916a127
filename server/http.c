/* http.c - the answers exante serve writes: bodies, errors, cache headers. */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result
srv_send(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
    if (!r)
        return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

struct MHD_Response *
srv_response(const void *data, size_t len, const char *type, const char *cache)
{
    return srv_headers(MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY),
                       type, cache);
}

struct MHD_Response *
srv_headers(struct MHD_Response *r, const char *type, const char *cache)
{
    if (!r)
        return NULL;
    char cc[64];
    if (strcmp(cache, "immutable") == 0)
        snprintf(cc, sizeof cc, "public, max-age=31536000, immutable");
    else if (strcmp(cache, "no-store") == 0)
        snprintf(cc, sizeof cc, "no-store");
    else
        snprintf(cc, sizeof cc, "public, max-age=%s", cache);
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc) != MHD_YES ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        /* the log is public: verifiers in a browser may fetch it from anywhere */
        MHD_add_response_header(r, "Access-Control-Allow-Origin", "*") != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

enum MHD_Result
srv_error(struct MHD_Connection *conn, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_pack("{s:s,s:s,s:i}", "code", code, "message", msg, "status", (int)status);
    if (!o) /* a message that is not UTF-8 (a bad path echoed): without it */
        o = json_pack("{s:s,s:s,s:i}", "code", code, "message", "(not UTF-8)", "status",
                      (int)status);
    char *s = NULL;
    size_t n = 0;
    ex_err e = {0};
    if (!o || ex_json_canonical_dup(o, &s, &n, &e) != EX_OK) {
        json_decref(o);
        return MHD_NO;
    }
    json_decref(o);
    s[n] = '\n'; /* canonical_dup leaves room for the NUL; one line as the CLI prints */
    struct MHD_Response *r = srv_response(s, n + 1, "application/json", "no-store");
    free(s);
    if (r && status == MHD_HTTP_TOO_MANY_REQUESTS)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "60");
    if (r && status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
    return srv_send(conn, status, r);
}

enum MHD_Result
srv_fail(struct MHD_Connection *conn, int rc, const char *msg)
{
    switch (rc) {
    case EX_ENOTFOUND:
    case EX_ENOLEDGER: return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "%s", msg);
    case EX_EINVAL:
    case EX_EFORMAT:
    case EX_ERANGE: return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request", "%s", msg);
    case EX_EEXIST: return srv_error(conn, MHD_HTTP_CONFLICT, "conflict", "%s", msg);
    case EX_ENOMEM:
        return srv_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", "out of memory");
    default: return srv_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "%s", msg);
    }
}

enum MHD_Result
srv_json(srv *s, struct MHD_Connection *conn, const char *key, char *json, size_t len, int jsonl)
{
    /* the CLI ends its one object with a newline; a listing's lines have theirs */
    int nl = !jsonl && (len == 0 || json[len - 1] != '\n');
    char *b = nl ? realloc(json, len + 2) : json;
    if (!b) {
        free(json);
        return MHD_NO;
    }
    if (nl)
        b[len++] = '\n';
    const char *type = jsonl ? "application/jsonl" : "application/json";
    struct MHD_Response *r = srv_response(b, len, type, "no-store");
    if (r && key)
        srv_cache_put(s->cache, key, srv_reader_gen(), 0, b, len, type, "no-store");
    free(b);
    return srv_send(conn, MHD_HTTP_OK, r);
}

enum MHD_Result
srv_json_status(struct MHD_Connection *conn, unsigned status, char *json, size_t len,
                const char *header, const char *value)
{
    char *b = realloc(json, len + 2);
    if (!b) {
        free(json);
        return MHD_NO;
    }
    b[len++] = '\n';
    struct MHD_Response *r = srv_response(b, len, "application/json", "no-store");
    free(b);
    if (r && header)
        MHD_add_response_header(r, header, value);
    return srv_send(conn, status, r);
}
