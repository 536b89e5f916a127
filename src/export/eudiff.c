/* eudiff.c - what changed since the last publication of an EU summary (eusummary.h, eu_diff):
 * the fields whose value differs (size ranges, presence of modalities, sections used or not,
 * dates, counts of domains, declarations), and the domains and large public datasets that
 * came or went. */
#include "eusummary.h"

#include <string.h>

#include "exante.h"

/* the fields compared, as dotted paths into the summary */
static const char *const fields[] = {
    "general.model.id",
    "general.model.name",
    "general.modalities.text.present",
    "general.modalities.text.size_range",
    "general.modalities.image.present",
    "general.modalities.image.size_range",
    "general.modalities.audio.present",
    "general.modalities.video.present",
    "general.acquisition.latest",
    "general.acquisition.continues",
    "general.languages",
    "data_sources.public_datasets.used",
    "data_sources.licensed.used",
    "data_sources.other_private.used",
    "data_sources.crawled.used",
    "data_sources.crawled.period.from",
    "data_sources.crawled.period.to",
    "data_sources.crawled.domains_total",
    "data_sources.crawled.crawlers",
    "data_sources.user_data.used",
    "data_sources.synthetic.used",
    "data_sources.other.used",
    "data_processing.reservations.code_of_practice_signatory",
    "sme",
};

static json_t *
at(json_t *o, const char *path) {
    char part[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof part)
            return NULL;
        memcpy(part, path, n);
        part[n] = 0;
        o = json_object_get(o, part);
        path += n + (path[n] == '.');
    }
    return o;
}

/* the values of key k of the elements of array a (at path) that b lacks, into out */
static void
gone(json_t *a, json_t *b, const char *k, json_t *out) {
    size_t i, j;
    json_t *x, *y;
    json_array_foreach(a, i, x) {
        int found = 0;
        json_array_foreach(b, j, y) found |=
            json_equal(json_object_get(x, k), json_object_get(y, k));
        if (!found && json_is_string(json_object_get(x, k)))
            json_array_append(out, json_object_get(x, k));
    }
}

json_t *
eu_diff(json_t *old, json_t *cur, ex_err *err) {
    (void)err;
    json_t *o = json_object(), *f = json_array();
    json_t *ha = json_object_get(old, "header");
    json_object_set(o, "since_version", json_object_get(ha, "version"));
    json_object_set(o, "since", json_object_get(ha, "last_update"));
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        json_t *a = at(old, fields[i]), *b = at(cur, fields[i]);
        if (a && b && json_equal(a, b))
            continue;
        if (!a && !b)
            continue;
        json_t *e = json_object();
        json_object_set_new(e, "field", json_string(fields[i]));
        json_object_set_new(e, "from", a ? json_deep_copy(a) : json_null());
        json_object_set_new(e, "to", b ? json_deep_copy(b) : json_null());
        json_array_append_new(f, e);
    }
    json_object_set_new(o, "fields", f);
    static const char *const lists[2][3] = {
        {"data_sources.crawled.domains", "domain", "domains"},
        {"data_sources.public_datasets.large", "name", "large_datasets"},
    };
    for (int i = 0; i < 2; i++) {
        json_t *a = at(old, lists[i][0]), *b = at(cur, lists[i][0]);
        json_t *added = json_array(), *removed = json_array();
        char k[64];
        gone(b, a, lists[i][1], added);
        gone(a, b, lists[i][1], removed);
        snprintf(k, sizeof k, "%s_added", lists[i][2]);
        json_object_set_new(o, k, added);
        snprintf(k, sizeof k, "%s_removed", lists[i][2]);
        json_object_set_new(o, k, removed);
    }
    return o;
}
