/* routes.c - the read API: GET answers, each the library's (the JSON `exante ... --json`
 * prints), kept in the cache for the log size it was made at. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 600

static const char *
arg(struct MHD_Connection *conn, const char *k)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, k);
}

/* the answer kept for key, if any (1: sent) */
static int
from_cache(srv *s, struct MHD_Connection *conn, const char *key, enum MHD_Result *ok)
{
    return srv_cache_send(s->cache, key, srv_reader_gen(), conn, ok);
}

/* a library answer (rc, json) sent, cached under key when it is one */
static enum MHD_Result
answer(srv *s, struct MHD_Connection *conn, ex_ledger *l, const char *key, int rc, char *json,
       size_t len, int jsonl)
{
    if (rc != EX_OK) {
        free(json);
        return srv_fail(conn, rc, ex_ledger_errmsg(l));
    }
    return srv_json(s, conn, key, json, len, jsonl);
}

static enum MHD_Result
tile(srv *s, struct MHD_Connection *conn, ex_ledger *l, const char *path)
{
    char key[KEY_MAX];
    enum MHD_Result ok;
    if (strlen(path) > 120)
        return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "not a tile path");
    snprintf(key, sizeof key, "tile/%s", path);
    if (from_cache(s, conn, key, &ok))
        return ok;
    uint8_t *data;
    size_t len;
    int full;
    ex_log *g = ex_ledger_log(l);
    int rc = ex_log_tile_serve_dup(g, path, strlen(path), &data, &len, &full);
    if (rc == EX_EFORMAT)
        return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found",
                         "not a tile path (C2SP tlog-tiles: tile/L/N[.p/W], tile/entries/...)");
    if (rc != EX_OK)
        return srv_fail(conn, rc, ex_log_errmsg(g));
    /* a tile of a given width never changes (the log only grows): kept for good; only a full
     * one is marked immutable for others, as C2SP asks (a partial one is replaced) */
    const char *cc = full ? "immutable" : "60";
    struct MHD_Response *r = srv_response(data, len, "application/octet-stream", cc);
    srv_cache_put(s->cache, key, 0, 1, data, len, "application/octet-stream", cc);
    free(data);
    return srv_send(conn, MHD_HTTP_OK, r);
}

static enum MHD_Result
checkpoint(srv *s, struct MHD_Connection *conn, ex_ledger *l)
{
    enum MHD_Result ok;
    if (from_cache(s, conn, "checkpoint", &ok))
        return ok;
    char *note;
    size_t len;
    ex_log *g = ex_ledger_log(l);
    int rc = ex_log_checkpoint_dup(g, &note, &len);
    if (rc != EX_OK)
        return srv_fail(conn, rc, ex_log_errmsg(g));
    const char *type = "text/plain; charset=utf-8";
    struct MHD_Response *r = srv_response(note, len, type, "no-store");
    srv_cache_put(s->cache, "checkpoint", srv_reader_gen(), 0, note, len, type, "no-store");
    free(note);
    return srv_send(conn, MHD_HTTP_OK, r);
}

/* /v1/snapshots/NAME[/prove] */
static enum MHD_Result
snapshots(srv *s, struct MHD_Connection *conn, ex_ledger *l, const char *rest)
{
    char name[256], key[KEY_MAX];
    char *json = NULL;
    size_t len = 0;
    enum MHD_Result ok;
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n == 0 || n >= sizeof name)
        return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "no such snapshot");
    memcpy(name, rest, n);
    name[n] = 0;
    if (!slash) {
        snprintf(key, sizeof key, "snapshot/%s", name);
        if (from_cache(s, conn, key, &ok))
            return ok;
        int rc = ex_ledger_snapshot_show_dup(l, name, &json, &len);
        return answer(s, conn, l, key, rc, json, len, 0);
    }
    if (strcmp(slash, "/prove") != 0)
        return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "no such resource");
    const char *dig = arg(conn, "digest");
    uint8_t d[EX_HASH_BYTES];
    if (!dig || ex_digest_parse(dig, d) != EX_OK)
        return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request",
                         "give ?digest=sha256:<64 hex> (or POST the content)");
    char canon[EX_DIGEST_STR_BYTES];
    ex_digest_format(d, canon);
    snprintf(key, sizeof key, "prove/%s/%s", name, canon);
    if (from_cache(s, conn, key, &ok))
        return ok;
    int member = 0;
    int rc = ex_ledger_snapshot_prove_dup(l, name, d, &json, &len, &member);
    return answer(s, conn, l, key, rc, json, len, 0);
}

/* /v1/optouts/ID, /v1/complaints/ID [/proof] */
static enum MHD_Result
submission(srv *s, struct MHD_Connection *conn, ex_ledger *l, const char *kind, const char *rest)
{
    char key[KEY_MAX];
    uint64_t id;
    char num[32];
    enum MHD_Result ok;
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n == 0 || n >= sizeof num)
        return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "no such %s", kind);
    memcpy(num, rest, n);
    num[n] = 0;
    if (cli_parse_u64(num, &id))
        return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "an id is a log index");
    int proof = slash && strcmp(slash, "/proof") == 0;
    if (slash && !proof)
        return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "no such resource");
    snprintf(key, sizeof key, "%s/%llu%s", kind, (unsigned long long)id, proof ? "/proof" : "");
    if (from_cache(s, conn, key, &ok))
        return ok;
    char *json = NULL;
    size_t len = 0;
    int rc = ex_ledger_submission_dup(l, id, kind, 0, &json, &len);
    if (rc == EX_OK && proof) { /* the proof alone, as `log prove-inclusion` prints it */
        free(json);
        json = NULL;
        ex_log *g = ex_ledger_log(l);
        if ((rc = ex_log_inclusion_doc_dup(g, id, 0, &json, &len)) != EX_OK)
            return srv_fail(conn, rc, ex_log_errmsg(g));
    }
    return answer(s, conn, l, key, rc, json, len, 0);
}

static enum MHD_Result
impact(srv *s, struct MHD_Connection *conn, ex_ledger *l)
{
    const char *d = arg(conn, "digest"), *u = arg(conn, "url"), *o = arg(conn, "optout");
    const char *items = arg(conn, "items");
    ex_impact_query q = {0};
    if (!!d + !!u + !!o != 1)
        return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request",
                         "give one of ?digest=, ?url=, ?optout=");
    if (o && cli_parse_u64(o, &q.optout_index))
        return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request",
                         "?optout= takes a log index");
    q.digest = d, q.url = u, q.optout = !!o;
    q.items = items && strcmp(items, "0") != 0;
    char key[KEY_MAX];
    enum MHD_Result ok;
    if (strlen(d ? d : u ? u : o) > 400)
        return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request", "the query is too long");
    snprintf(key, sizeof key, "impact/%s/%s/%d", d ? "d" : u ? "u" : "o", d ? d : u ? u : o,
             q.items);
    if (from_cache(s, conn, key, &ok))
        return ok;
    char *json = NULL;
    size_t len = 0;
    int rc = ex_ledger_impact_dup(l, &q, &json, &len);
    return answer(s, conn, l, key, rc, json, len, 0);
}

static enum MHD_Result
why(srv *s, struct MHD_Connection *conn, ex_ledger *l)
{
    const char *d = arg(conn, "digest"), *u = arg(conn, "url");
    if (!!d + !!u != 1)
        return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request",
                         "give one of ?digest=, ?url=");
    const char *q = d ? d : u;
    char key[KEY_MAX];
    enum MHD_Result ok;
    if (strlen(q) > 400)
        return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request", "the query is too long");
    if (d && strncmp(d, "sha256:", 7) != 0)
        return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request",
                         "?digest= takes sha256:<64 hex>");
    if (u && strncmp(u, "sha256:", 7) == 0)
        return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request", "?url= takes a URL");
    snprintf(key, sizeof key, "why/%s", q);
    if (from_cache(s, conn, key, &ok))
        return ok;
    char *json = NULL;
    size_t len = 0;
    int rc = ex_ledger_why_dup(l, q, &json, &len);
    return answer(s, conn, l, key, rc, json, len, 0);
}

enum MHD_Result
srv_route_get(srv *s, struct MHD_Connection *conn, const char *url)
{
    ex_ledger *l = srv_reader_get(s, conn);
    if (!l)
        return MHD_YES; /* answered */
    char key[KEY_MAX];
    enum MHD_Result ok;
    char *json = NULL;
    size_t len = 0;
    int rc;
    if (strncmp(url, "/tile/", 6) == 0)
        return tile(s, conn, l, url + 6);
    if (strcmp(url, "/checkpoint") == 0)
        return checkpoint(s, conn, l);
    if (strcmp(url, "/") == 0)
        return srv_dashboard(s, conn, NULL, NULL, 0);
    if (strcmp(url, "/search") == 0)
        return srv_dashboard(s, conn, arg(conn, "q"), NULL, 0);
    if (strcmp(url, "/v1/vkey") == 0) {
        char v[600];
        int n = snprintf(v, sizeof v, "%s\n", s->vkey);
        return srv_send(conn, MHD_HTTP_OK,
                        srv_response(v, (size_t)n, "text/plain; charset=utf-8", "3600"));
    }
    if (strcmp(url, "/v1/why") == 0)
        return why(s, conn, l);
    if (strcmp(url, "/v1/impact") == 0)
        return impact(s, conn, l);
    if (strcmp(url, "/v1/snapshots") == 0 || strcmp(url, "/v1/models") == 0) {
        int snaps = url[4] == 's';
        if (from_cache(s, conn, url, &ok))
            return ok;
        rc = snaps ? ex_ledger_snapshots_dup(l, &json, &len) : ex_ledger_models_dup(l, &json, &len);
        return answer(s, conn, l, url, rc, json, len, 1);
    }
    if (strncmp(url, "/v1/snapshots/", 14) == 0)
        return snapshots(s, conn, l, url + 14);
    if (strncmp(url, "/v1/models/", 11) == 0) {
        /* /v1/models/REF and /v1/models/REF/lineage: the model and its lineage; REF a name,
         * an id, or an id's 64 hex digits (the IRI the exports give a model) */
        const char *id = url + 11, *slash = strchr(id, '/');
        size_t n = slash ? (size_t)(slash - id) : strlen(id);
        if ((slash && strcmp(slash, "/lineage") != 0) || n == 0 || n > 200)
            return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "no such resource");
        char ref[256];
        int hex = n == 64 && strspn(id, "0123456789abcdef") >= 64;
        snprintf(ref, sizeof ref, "%s%.*s", hex ? "sha256:" : "", (int)n, id);
        snprintf(key, sizeof key, "lineage/%s", ref);
        if (from_cache(s, conn, key, &ok))
            return ok;
        rc = ex_ledger_lineage_dup(l, ref, &json, &len);
        return answer(s, conn, l, key, rc, json, len, 0);
    }
    if (strncmp(url, "/v1/attestations/", 17) == 0) {
        const char *ref = url + 17;
        if (!*ref || strlen(ref) > 200 || strchr(ref, '/'))
            return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "no such attestation");
        snprintf(key, sizeof key, "attestation/%s", ref);
        if (from_cache(s, conn, key, &ok))
            return ok;
        rc = ex_ledger_attestation_dup(l, ref, &json, &len, NULL);
        return answer(s, conn, l, key, rc, json, len, 0);
    }
    if (strncmp(url, "/v1/optouts/", 12) == 0)
        return submission(s, conn, l, EX_SUBMIT_OPTOUT, url + 12);
    if (strncmp(url, "/v1/complaints/", 15) == 0)
        return submission(s, conn, l, EX_SUBMIT_COMPLAINT, url + 15);
    return srv_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "nothing is served at this path");
}
