/* eufacts_json.c - the EU summary's facts written as canonical JSON (eufacts.h, euf_write; the
 * keys: exante.h, ex_ledger_eu_facts_dup, and docs/EU-SUMMARY.md). */
#include "eufacts.h"

#include <stdlib.h>
#include <string.h>

#include "core/cjson.h"

static void
write_att(ex_cj *w, const att *a) {
    ex_cj_obj(w);
    ex_cj_kstr(w, "id", a->model, strlen(a->model));
    ex_cj_kstr(w, "kind", a->kind, strlen(a->kind));
    ex_cj_kint(w, "log_index", (int64_t)a->log_index);
    ex_cj_kstr(w, "name", a->name, strlen(a->name));
    ex_cj_key(w, "retired");
    ex_cj_bool(w, a->retired != 0);
    ex_cj_end(w);
}

static void
write_time(ex_cj *w, const char *k, int64_t t, int have) {
    char s[32];
    ex_cj_key(w, k);
    if (!have)
        ex_cj_null(w);
    else
        ex_time_format(t, s), ex_cj_str(w, s, strlen(s));
}

int
euf_write(euf *e, const att *v, size_t n, size_t at, ex_buf *b) {
    ex_ledger *l = e->l;
    const att *a = &v[at];
    uint64_t size = ex_log_size(l->log);
    uint8_t root[EX_HASH_BYTES];
    char r64[48];
    int rc = ex_log_root(l->log, size, root);
    if (rc != EX_OK)
        return ex_ledger_fail_log(l, rc);
    ex_b64_encode(root, EX_HASH_BYTES, r64);
    int ok = 1;
    size_t *hs = tally_sorted(&e->hosts, tally_key_cmp, &ok);
    size_t *ts = ok ? tally_sorted(&e->types, tally_key_cmp, &ok) : NULL;
    if (!ok) {
        free(hs);
        return euf_oom(e);
    }
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    ex_cj_key(&w, "agents");
    ex_cj_json(&w, e->agents);
    ex_cj_key(&w, "capped");
    ex_cj_arr(&w);
    if (e->hosts.capped)
        ex_cj_str(&w, "hosts", 5);
    if (e->types.capped)
        ex_cj_str(&w, "content_types", 13);
    ex_cj_end(&w);
    ex_cj_key(&w, "checkpoint");
    ex_cj_obj(&w);
    ex_cj_kstr(&w, "origin", l->origin, strlen(l->origin));
    ex_cj_kstr(&w, "root", r64, strlen(r64));
    ex_cj_kint(&w, "size", (int64_t)size);
    ex_cj_end(&w);
    ex_cj_key(&w, "content_types");
    ex_cj_arr(&w);
    for (size_t i = 0; i < e->types.n; i++) {
        const char *k = tally_key(&e->types, ts[i]);
        ex_cj_obj(&w);
        ex_cj_kint(&w, "bytes", (int64_t)e->types.e[ts[i]].v[1]);
        ex_cj_kint(&w, "items", (int64_t)e->types.e[ts[i]].v[0]);
        ex_cj_kstr(&w, "modality", k, strlen(k));
        ex_cj_kstr(&w, "type", k + strlen(k) + 1, e->types.e[ts[i]].len - strlen(k) - 1);
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_key(&w, "honoured"); /* "honoured" < "hosts": canonical order */
    ex_cj_arr(&w);
    for (int i = 0; i < 5; i++)
        if (e->honoured & (1u << i))
            ex_cj_str(&w, euf_reserv[i], strlen(euf_reserv[i]));
    ex_cj_end(&w);
    ex_cj_key(&w, "hosts");
    ex_cj_arr(&w);
    for (size_t i = 0; i < e->hosts.n; i++) {
        ex_cj_obj(&w);
        ex_cj_kint(&w, "bytes", (int64_t)e->hosts.e[hs[i]].v[1]);
        ex_cj_kstr(&w, "host", tally_key(&e->hosts, hs[i]), e->hosts.e[hs[i]].len);
        ex_cj_kint(&w, "items", (int64_t)e->hosts.e[hs[i]].v[0]);
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_kint(&w, "hosts_missing", (int64_t)e->nohost);
    ex_cj_kint(&w, "members", (int64_t)e->counted);
    ex_cj_key(&w, "model");
    write_att(&w, a);
    ex_cj_key(&w, "parents");
    ex_cj_arr(&w);
    for (size_t i = 0; i < a->nparents; i++) {
        size_t p = n;
        for (size_t j = 0; j < n; j++)
            if (strcmp(v[j].model, a->parents[i]) == 0 && v[j].log_index < a->log_index)
                p = j; /* the parent attested before its child (model ids are unique) */
        if (p < n) {
            write_att(&w, &v[p]);
        } else {
            ex_cj_obj(&w);
            ex_cj_kstr(&w, "id", a->parents[i], strlen(a->parents[i]));
            ex_cj_end(&w);
        }
    }
    for (size_t i = 0; i < a->nexternal; i++) {
        ex_cj_obj(&w);
        ex_cj_key(&w, "external");
        ex_cj_bool(&w, 1);
        ex_cj_kstr(&w, "id", a->external[i], strlen(a->external[i]));
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_key(&w, "reservations");
    ex_cj_obj(&w);
    for (int i = 0; i < 5; i++)
        ex_cj_kint(&w, euf_reserv[i], (int64_t)e->res[i]);
    ex_cj_end(&w);
    ex_cj_key(&w, "snapshots");
    ex_cj_json(&w, e->snaps);
    ex_cj_key(&w, "sources");
    ex_cj_arr(&w);
    for (size_t i = 0; i < e->ns; i++) {
        src *s = &e->s[i];
        if (!s->used)
            continue;
        json_t *ag = json_object_get(s->rec, "agreement");
        const char *kind = json_string_value(json_object_get(s->rec, "kind"));
        const char *name = json_string_value(json_object_get(s->rec, "name"));
        ex_cj_obj(&w);
        ex_cj_key(&w, "agreement");
        ex_cj_bool(&w, json_is_string(ag));
        write_time(&w, "fetched_first", s->first, s->first <= s->last);
        write_time(&w, "fetched_last", s->last, s->first <= s->last);
        ex_cj_kstr(&w, "kind", kind ? kind : "other", strlen(kind ? kind : "other"));
        ex_cj_key(&w, "modalities");
        ex_cj_obj(&w);
        for (int m = 0; m < 4; m++) {
            if (!s->items[m])
                continue;
            ex_cj_key(&w, euf_modality[m]);
            ex_cj_obj(&w);
            ex_cj_kint(&w, "bytes", (int64_t)s->bytes[m]);
            ex_cj_kint(&w, "items", (int64_t)s->items[m]);
            ex_cj_end(&w);
        }
        ex_cj_end(&w);
        ex_cj_kstr(&w, "name", name, strlen(name));
        ex_cj_kint(&w, "unfetched", (int64_t)s->unfetched);
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_key(&w, "text_words");
    ex_cj_obj(&w);
    ex_cj_kint(&w, "cut_bytes", (int64_t)e->w_cut_bytes);
    ex_cj_kint(&w, "cut_items", (int64_t)e->w_cut);
    ex_cj_kint(&w, "uncounted_bytes", (int64_t)e->w_none_bytes);
    ex_cj_kint(&w, "uncounted_items", (int64_t)e->w_none);
    ex_cj_kint(&w, "words", (int64_t)e->words);
    ex_cj_end(&w);
    ex_cj_kstr(&w, "type", "eu-facts", 8);
    ex_cj_end(&w);
    free(hs);
    free(ts);
    if ((rc = ex_cj_done(&w)) != EX_OK)
        return ex_fail(&l->err, rc, "cannot write the facts: %s", w.why ? w.why : "invalid");
    return EX_OK;
}
