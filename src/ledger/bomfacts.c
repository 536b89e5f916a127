/* bomfacts.c - a snapshot's facts for the supply-chain and dataset documents (bomfacts.h,
 * exante.h ex_ledger_bom_facts_dup): its record, and what its members hold, read from the items
 * behind them. The members are recomputed as `snapshot audit` does (snap_members as of the
 * snapshot's log size, kept to its parent's with --from), which gives each member's items, and
 * must be the stored leaves: a document never counts items of another set than the one the
 * log commits to. Then one pass over the items, from the first of them to the last. */
#include "bomfacts.h"
#include "license/license.h"
#include "snapshot.h"
#include "tally.h"

#include <stdlib.h>
#include <string.h>

#define BOM_LICENSES_MAX 100000 /* distinct license strings of a snapshot's items */
#define BOM_SOURCES_MAX 100000

typedef struct facts {
    ex_ledger *l;
    const uint64_t *ids; /* the items behind the members, ascending */
    uint64_t n, at;
    ex_fields f;
    tally licenses; /* by the item's license as written ("" none): items, bytes */
    tally sources;  /* by name: items, bytes */
    uint64_t items, bytes, unknown_time;
    char first[32], last[32]; /* fetch times, RFC 3339 UTC ("" none yet) */
} facts;

static int
u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int
count(facts *c, tally *t, const char *k, uint64_t size)
{
    uint64_t *v;
    if (tally_at(t, k, strlen(k), &v) != EX_OK)
        return ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
    if (t->capped)
        return ex_fail(&c->l->err, EX_ETOOBIG, "over %zu distinct licenses or sources in one "
                       "snapshot", t->max);
    v[0]++;
    v[1] += size;
    return EX_OK;
}

static int
take_item(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    facts *c = ctx;
    while (c->at < c->n && c->ids[c->at] < id)
        c->at++;
    if (c->at == c->n || c->ids[c->at] != id)
        return EX_OK; /* not behind a member */
    if (ex_fields_read(&c->f, data, len) != EX_OK || !c->f.str[0] || c->f.num[2] < 0)
        return ex_fail(&c->l->err, EX_EFORMAT, "item %llu is not an item record",
                       (unsigned long long)id);
    const char *lic = c->f.str[1] ? c->f.str[1] : "", *src = c->f.str[3], *t = c->f.str[4];
    uint64_t size = (uint64_t)c->f.num[2];
    int64_t secs;
    int rc;
    c->items++;
    c->bytes += size;
    if ((rc = count(c, &c->licenses, lic, size)) != EX_OK ||
        (rc = count(c, &c->sources, src ? src : "", size)) != EX_OK)
        return rc;
    if (t && ex_time_parse(t, &secs) == EX_OK && strchr(t, 'T')) {
        char s[32];
        ex_time_format(secs, s);
        if (!c->first[0] || strcmp(s, c->first) < 0)
            memcpy(c->first, s, sizeof s);
        if (strcmp(s, c->last) > 0)
            memcpy(c->last, s, sizeof s);
    } else {
        c->unknown_time++;
    }
    return EX_OK;
}

/* ---- licenses ---- */

/* the items' license as SPDX writes it: the normalised expression, or NOASSERTION for none
 * and for text that is not an expression (counted in *invalid) */
static int
normalised(const char *s, ex_buf *out, uint64_t *invalid, uint64_t n)
{
    ex_license *x = NULL;
    out->len = 0;
    if (!*s)
        return ex_buf_puts(out, "NOASSERTION");
    if (ex_license_parse(s, strlen(s), &x, NULL) != EX_OK) {
        *invalid += n;
        return ex_buf_puts(out, "NOASSERTION");
    }
    int rc = ex_license_normalize(x, out);
    ex_license_free(x);
    if (rc == EX_OK && (strcmp(out->data, "noassertion") == 0 || strcmp(out->data, "none") == 0))
        for (char *p = out->data; *p; p++)
            *p = (char)(*p - 'a' + 'A');
    return rc;
}

static int
by_name(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "license"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "license"));
    return strcmp(x, y);
}

/* the license mix (array, by license) and the whole: every distinct expression joined with
 * AND (an OR inside parentheses), NOASSERTION if an item has none, NONE or an invalid one */
static int
licenses(facts *c, json_t *o)
{
    json_t *mix = json_object(), *rows = json_array();
    ex_buf norm = {0}, all = {0};
    uint64_t invalid = 0;
    int ok = mix && rows, unknown = c->items == 0;
    for (size_t i = 0; ok && i < c->licenses.n; i++) {
        const uint64_t *v = c->licenses.e[i].v;
        if (normalised(tally_key(&c->licenses, i), &norm, &invalid, v[0]) != EX_OK) {
            ok = 0;
            break;
        }
        json_t *r = json_object_get(mix, norm.data);
        if (!r) {
            r = json_object();
            bom_set(r, "license", json_string(norm.data), &ok);
            bom_set(r, "items", json_integer(0), &ok);
            bom_set(r, "bytes", json_integer(0), &ok);
            bom_set(mix, norm.data, r, &ok);
        }
        json_int_t it = json_integer_value(json_object_get(r, "items"));
        json_int_t by = json_integer_value(json_object_get(r, "bytes"));
        bom_set(r, "items", json_integer(it + (json_int_t)v[0]), &ok);
        bom_set(r, "bytes", json_integer(by + (json_int_t)v[1]), &ok);
    }
    const char *k;
    json_t *r;
    json_object_foreach(mix, k, r) {
        if (ok && json_array_append(rows, r) != 0)
            ok = 0;
    }
    size_t n = json_array_size(rows);
    json_t **v = n ? malloc(n * sizeof *v) : NULL;
    if (n && !v)
        ok = 0;
    for (size_t i = 0; ok && i < n; i++)
        v[i] = json_array_get(rows, i);
    if (ok && n > 1)
        qsort(v, n, sizeof *v, by_name);
    json_t *sorted = json_array();
    for (size_t i = 0; ok && i < n; i++) {
        const char *x = json_string_value(json_object_get(v[i], "license"));
        if (strcmp(x, "NOASSERTION") == 0 || strcmp(x, "NONE") == 0)
            unknown = 1;
        else if ((all.len && ex_buf_puts(&all, " AND ") != EX_OK) ||
                 ex_buf_printf(&all, strstr(x, " OR ") && n > 1 ? "(%s)" : "%s", x) != EX_OK)
            ok = 0;
        if (json_array_append(sorted, v[i]) != 0)
            ok = 0;
    }
    free(v);
    bom_set(o, "licenses", sorted, &ok);
    bom_set(o, "license", json_string(unknown || !all.len ? "NOASSERTION" : all.data), &ok);
    bom_set(o, "licenses_invalid", json_integer((json_int_t)invalid), &ok);
    json_decref(mix);
    json_decref(rows);
    ex_buf_free(&norm);
    ex_buf_free(&all);
    return ok ? EX_OK : ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
}

/* ---- sources ---- */

/* the sources the items came from, by name, with what their records say */
static int
sources(facts *c, json_t *o)
{
    char *jl = NULL;
    size_t len;
    int rc = ex_ledger_records_dup(c->l, EX_TAB_SOURCES, &jl, &len), ok = 1;
    if (rc != EX_OK)
        return rc;
    json_t *recs = json_object(), *a = json_array();
    for (char *line = jl, *end; line && *line; line = end ? end + 1 : NULL) {
        end = strchr(line, '\n');
        json_t *s = json_loadb(line, end ? (size_t)(end - line) : strlen(line), 0, NULL);
        const char *name = json_string_value(json_object_get(s, "name"));
        if (name)
            json_object_set(recs, name, s); /* a later record of a name wins */
        json_decref(s);
    }
    free(jl);
    size_t *ix = tally_sorted(&c->sources, tally_key_cmp, &ok);
    for (size_t i = 0; ok && ix && i < c->sources.n; i++) {
        size_t e = ix[i];
        const char *name = tally_key(&c->sources, e);
        json_t *rec = json_object_get(recs, name), *r = json_object();
        static const char *const keep[] = {"kind", "license", "ml_use"};
        bom_set(r, "name", json_string(name), &ok);
        for (size_t k = 0; k < 3; k++) {
            json_t *v = json_object_get(rec, keep[k]);
            bom_set(r, keep[k], json_is_string(v) ? json_copy(v) : json_null(), &ok);
        }
        bom_set(r, "items", json_integer((json_int_t)c->sources.e[e].v[0]), &ok);
        bom_set(r, "bytes", json_integer((json_int_t)c->sources.e[e].v[1]), &ok);
        if (ok && json_array_append_new(a, r) != 0)
            ok = 0;
    }
    free(ix);
    json_decref(recs);
    bom_set(o, "sources", a, &ok);
    return ok ? EX_OK : ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
}

/* ---- the record ---- */

static int
record(ex_ledger *l, const snap *s, const snap_set *leaves, json_t *o)
{
    json_t *rec = json_loadb(s->entry, s->entry_len, 0, NULL);
    if (!rec)
        return ex_fail(&l->err, EX_EFORMAT, "snapshot '%s': its record is not JSON", s->name);
    uint8_t d[EX_HASH_BYTES];
    char b64[64], hex[2 * EX_HASH_BYTES + 1], ds[EX_DIGEST_STR_BYTES];
    int ok = 1;
    ex_b64_encode(s->root, EX_HASH_BYTES, b64);
    ex_hex_encode(s->root, EX_HASH_BYTES, hex);
    bom_set(o, "name", json_string(s->name), &ok);
    bom_set(o, "log_index", json_integer((json_int_t)s->log_index), &ok);
    bom_set(o, "log_size", json_integer((json_int_t)s->log_size), &ok);
    bom_set(o, "size", json_integer((json_int_t)s->size), &ok);
    bom_set(o, "root", json_string(b64), &ok);
    bom_set(o, "root_hex", json_string(hex), &ok);
    bom_set(o, "from", s->from[0] ? json_string(s->from) : json_null(), &ok);
    static const char *const keep[] = {"admitted", "created", "optout_excluded", "policies"};
    for (size_t k = 0; k < 4; k++) {
        json_t *v = json_object_get(rec, keep[k]);
        bom_set(o, keep[k], v ? json_copy(v) : json_null(), &ok);
    }
    json_decref(rec);
    /* the record's bytes, as `snapshot tiles` writes DIR/snapshot */
    if (ex_sha256_digest(l->h, s->entry, s->entry_len, d) != EX_OK)
        return ex_fail(&l->err, EX_ECRYPTO, "cannot hash");
    ex_digest_format(d, ds);
    bom_set(o, "record_sha256", json_string(ds + 7), &ok);
    /* the listing `snapshot export` prints: a digest a line */
    int rc = ex_sha256_begin(l->h);
    for (uint64_t i = 0; rc == EX_OK && i < leaves->n; i++) {
        ex_digest_format(leaves->d[i], ds);
        ds[EX_DIGEST_STR_LEN] = '\n';
        rc = ex_sha256_update(l->h, ds, EX_DIGEST_STR_LEN + 1);
    }
    if (rc != EX_OK || ex_sha256_end(l->h, d) != EX_OK)
        return ex_fail(&l->err, EX_ECRYPTO, "cannot hash");
    ex_digest_format(d, ds);
    bom_set(o, "members_sha256", json_string(ds + 7), &ok);
    return ok ? EX_OK : ex_fail(&l->err, EX_ENOMEM, "out of memory");
}

/* the members as snapshot audit recomputes them, which must be the stored leaves */
static int
members(ex_ledger *l, const snap *s, const snap_set *stored, snap_items *mi)
{
    snap_set want = {0}, pset = {0};
    snap p = {0};
    snap_counts counts;
    snap_policies pol;
    int rc = snap_members(l, s->log_size, &want, &counts, &pol, mi);
    if (rc == EX_OK && s->from[0] && (rc = snap_open(l, s->from, &p, &pset)) == EX_OK)
        snap_intersect_items(&want, mi, &pset);
    if (rc == EX_OK && (want.n != stored->n ||
                        (want.n && memcmp(want.d, stored->d, want.n * EX_HASH_BYTES) != 0)))
        rc = ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': its stored members are not those the "
                     "ledger gives as of log size %llu (see 'exante snapshot audit')", s->name,
                     (unsigned long long)s->log_size);
    free(p.entry);
    snap_set_free(&want);
    snap_set_free(&pset);
    return rc;
}

int
bom_snapshot_facts(ex_ledger *l, const char *name, json_t **out)
{
    static const char *const ipaths[] = {"digest", "license", "size", "source", "fetched"};
    snap s = {0};
    snap_set stored = {0};
    snap_items mi = {0};
    facts c = {.l = l};
    tally_init(&c.licenses, BOM_LICENSES_MAX);
    tally_init(&c.sources, BOM_SOURCES_MAX);
    json_t *o = json_object();
    int ok = 1, rc = o ? snap_open(l, name, &s, &stored) : EX_ENOMEM;
    if (rc == EX_OK)
        rc = record(l, &s, &stored, o);
    if (rc == EX_OK)
        rc = members(l, &s, &stored, &mi);
    if (rc == EX_OK && mi.n) {
        qsort(mi.item, mi.n, sizeof *mi.item, u64_cmp); /* the pairing is not needed after */
        c.ids = mi.item, c.n = mi.n;
        if ((rc = ex_fields_init(&c.f, ipaths, 5)) != EX_OK)
            ex_fail(&l->err, rc, "cannot compile the record fields");
        else if ((rc = l->st->ops->rec_scan(l->st, EX_TAB_ITEMS, mi.item[0],
                                            mi.item[mi.n - 1] + 1, take_item, &c)) != EX_OK &&
                 !l->err.msg[0])
            ex_ledger_fail_store(l, rc);
    }
    if (rc == EX_OK && c.items != mi.n)
        rc = ex_fail(&l->err, EX_EFORMAT, "snapshot '%s': %llu items behind its members, %llu "
                     "found", name, (unsigned long long)mi.n, (unsigned long long)c.items);
    if (rc == EX_OK) {
        bom_set(o, "items", json_integer((json_int_t)c.items), &ok);
        bom_set(o, "bytes", json_integer((json_int_t)c.bytes), &ok);
        bom_set(o, "fetched_first", c.first[0] ? json_string(c.first) : json_null(), &ok);
        bom_set(o, "fetched_last", c.last[0] ? json_string(c.last) : json_null(), &ok);
        bom_set(o, "fetched_unknown", json_integer((json_int_t)c.unknown_time), &ok);
        if (!ok)
            rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    }
    if (rc == EX_OK && (rc = licenses(&c, o)) == EX_OK)
        rc = sources(&c, o);
    if (rc == EX_ENOMEM && !l->err.msg[0])
        ex_fail(&l->err, rc, "out of memory");
    free(s.entry);
    snap_set_free(&stored);
    snap_items_free(&mi);
    ex_fields_free(&c.f);
    tally_free(&c.licenses);
    tally_free(&c.sources);
    if (rc != EX_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return EX_OK;
}
