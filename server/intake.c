/* intake.c - what is POSTed: opt-out requests and complaints (logged, receipted), a work's
 * content to prove against a snapshot, and the dashboard's pasted text. Every write is
 * either a partner's (a token from `exante token add`) or rate-limited per address. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the partner a request's bearer token names: 1 and *who (NULL: no token); 0 after
 * answering 401 for a token that is not one */
static int
partner(srv *s, struct MHD_Connection *conn, const char **who, enum MHD_Result *ok)
{
    const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    *who = NULL;
    if (!a)
        return 1;
    if (strncmp(a, "Bearer ", 7) != 0) {
        *ok = srv_error(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                        "Authorization takes 'Bearer TOKEN' (a partner token)");
        return 0;
    }
    pthread_mutex_lock(&s->wlock); /* the token table is replaced on SIGHUP */
    const char *w = ex_tokens_check(s->tokens, a + 7, strlen(a + 7));
    static __thread char name[EX_TOKEN_NAME_MAX + 1];
    if (w)
        snprintf(name, sizeof name, "%s", w);
    pthread_mutex_unlock(&s->wlock);
    if (!w) {
        *ok = srv_error(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                        "the token is not a partner's (revoked, or never issued)");
        return 0;
    }
    *who = name;
    return 1;
}

static enum MHD_Result
submit(srv *s, struct MHD_Connection *conn, const char *kind, srv_req *rq)
{
    enum MHD_Result ok;
    const char *who;
    if (s->read_only)
        return srv_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "read_only",
                         "this server is read-only: submissions are not taken");
    if (!partner(s, conn, &who, &ok))
        return ok;
    unsigned retry;
    if (!who) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (!srv_rate_take(s->rate, ci ? ci->client_addr : NULL, &retry))
            return srv_error(conn, MHD_HTTP_TOO_MANY_REQUESTS, "rate_limited",
                             "too many submissions from this address: try again in %u s",
                             retry);
    }
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!type || strncmp(type, "application/json", 16) != 0)
        return srv_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                         "a submission is a JSON object (Content-Type: application/json)");
    ex_submit_opts o = {.kind = kind, .partner = who, .include_by = s->include_by};
    char *json = NULL;
    size_t len = 0;
    pthread_mutex_lock(&s->wlock);
    int rc = ex_ledger_submit(s->writer, rq->body ? rq->body : "", rq->len, &o, &json, &len);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", rc == EX_OK ? "" : ex_ledger_errmsg(s->writer));
    if (rc == EX_OK)
        srv_bump(s);
    pthread_mutex_unlock(&s->wlock);
    if (rc != EX_OK) {
        free(json);
        return srv_fail(conn, rc, msg);
    }
    return srv_json_status(conn, MHD_HTTP_CREATED, json, len, NULL, NULL);
}

/* POST /v1/snapshots/NAME/prove[?near=1]: the body is the work (its bytes, as `prove
 * --file`; with near=1 its text, as `prove --text-file WORK --near`) */
static enum MHD_Result
prove(srv *s, struct MHD_Connection *conn, const char *name, srv_req *rq)
{
    ex_ledger *l = srv_reader_get(s, conn);
    if (!l)
        return MHD_YES;
    const char *near = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "near");
    const char *body = rq->body ? rq->body : "";
    char *json = NULL;
    size_t len = 0;
    int rc;
    const char *what;
    if (near && strcmp(near, "0") != 0) {
        ex_near_verdict v = {0};
        rc = ex_ledger_snapshot_prove_near_dup(l, name, body, rq->len, &json, &len, &v);
        what = v.dup ? "near-duplicate" : "near-dup-free";
    } else {
        ex_sha256 *h = NULL;
        uint8_t d[EX_HASH_BYTES];
        int member = 0;
        rc = ex_sha256_new(&h);
        if (rc == EX_OK)
            rc = ex_sha256_digest(h, body, rq->len, d);
        ex_sha256_free(h);
        if (rc == EX_OK)
            rc = ex_ledger_snapshot_prove_dup(l, name, d, &json, &len, &member);
        what = member ? "member" : "non-member";
    }
    if (rc != EX_OK) {
        free(json);
        return srv_fail(conn, rc, ex_ledger_errmsg(l));
    }
    return srv_json_status(conn, MHD_HTTP_OK, json, len, "X-Exante-Answer", what);
}

enum MHD_Result
srv_route_post(srv *s, struct MHD_Connection *conn, const char *url, srv_req *rq)
{
    if (strcmp(url, "/v1/optouts") == 0)
        return submit(s, conn, EX_SUBMIT_OPTOUT, rq);
    if (strcmp(url, "/v1/complaints") == 0)
        return submit(s, conn, EX_SUBMIT_COMPLAINT, rq);
    if (strcmp(url, "/search") == 0) {
        size_t tl = 0;
        char *text = NULL;
        if (ex_form_value_dup(rq->body ? rq->body : "", rq->len, "text", &text, &tl) == EX_ENOMEM)
            return MHD_NO;
        enum MHD_Result ok = srv_dashboard(s, conn, NULL, text ? text : "", tl);
        free(text);
        return ok;
    }
    if (strncmp(url, "/v1/snapshots/", 14) == 0) {
        const char *name = url + 14, *slash = strchr(name, '/');
        char n[256];
        if (slash && strcmp(slash, "/prove") == 0 && slash > name &&
            (size_t)(slash - name) < sizeof n) {
            snprintf(n, sizeof n, "%.*s", (int)(slash - name), name);
            return prove(s, conn, n, rq);
        }
    }
    return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "nothing takes a POST at this path");
}
