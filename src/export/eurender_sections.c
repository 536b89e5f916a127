/* eurender_sections.c - sections 2 and 3 of the EU summary, its changes and where its numbers
 * come from, in Markdown or HTML (eusummary.h; the pieces: eurender.c). */
#include "eusummary.h"

#include <stdlib.h>

void
eu_render_sources(doc *d, json_t *s) {
    json_t *src = json_object_get(s, "data_sources"), *x, *o;
    size_t i;
    char a[32], b[32], c[32], e[32];
    doc_heading(d, 2, "2. List of data sources");
    doc_heading(d, 3, "2.1 Publicly available datasets");
    o = json_object_get(src, "public_datasets");
    doc_field(d, "Used", json_object_get(o, "used"), NULL);
    doc_field(d, "Modalities", json_object_get(o, "modalities"), NULL);
    doc_label(d, "Large datasets (over 3% of the public datasets of their modality)");
    doc_put(d, json_array_size(json_object_get(o, "large")) ? "listed below" : "none");
    doc_end(d);
    if (json_array_size(json_object_get(o, "large"))) {
        static const char *const heads[] = {"Dataset", "Modality", "Bytes", "Items",
                                            "Share (per mille)"};
        doc_table(d, heads, 5);
        json_array_foreach(json_object_get(o, "large"), i, x) {
            const char *cells[5] = {json_string_value(json_object_get(x, "name")),
                                    json_string_value(json_object_get(x, "modality")),
                                    doc_num(a, json_object_get(x, "bytes")),
                                    doc_num(b, json_object_get(x, "items")),
                                    doc_num(c, json_object_get(x, "share_permille"))};
            doc_row(d, cells, 5);
        }
        doc_table_end(d);
    }
    doc_field(d, "Other public datasets", json_object_get(o, "others"), NULL);
    doc_field(d, "Description of the other public datasets", json_object_get(o, "description"),
              NULL);
    doc_heading(d, 3, "2.2 Private non-publicly available datasets obtained from third parties");
    doc_heading(d, 4,
                "2.2.1 Datasets commercially licensed by rightsholders or their representatives");
    o = json_object_get(src, "licensed");
    doc_field(d, "Used", json_object_get(o, "used"), NULL);
    doc_field(d, "Licensing agreements concluded", json_object_get(o, "agreements"), NULL);
    doc_field(d, "Modalities", json_object_get(o, "modalities"), NULL);
    doc_heading(d, 4, "2.2.2 Other private datasets");
    o = json_object_get(src, "other_private");
    doc_field(d, "Used", json_object_get(o, "used"), NULL);
    doc_field(d, "Modalities", json_object_get(o, "modalities"), NULL);
    doc_field(d, "Description", json_object_get(o, "description"), NULL);
    doc_heading(d, 3, "2.3 Data crawled and scraped from online sources");
    o = json_object_get(src, "crawled");
    doc_field(d, "Used", json_object_get(o, "used"), NULL);
    doc_field(d, "Crawler names (user agents)", json_object_get(o, "crawlers"), NULL);
    doc_field(d, "Purposes of the crawlers", json_object_get(o, "purposes"), NULL);
    doc_field(d, "Behaviour (captchas, paywalls, logins)", json_object_get(o, "behaviour"), NULL);
    doc_field(d, "Protocols honoured (robots.txt and others)",
              json_object_get(o, "protocols_honoured"), NULL);
    doc_label(d, "Collection period");
    json_t *from = doc_at(o, "period", "from", NULL), *to = doc_at(o, "period", "to", NULL);
    if (json_is_string(from) && json_is_string(to)) {
        doc_put(d, "from ");
        doc_esc(d, json_string_value(from));
        doc_put(d, " to ");
        doc_esc(d, json_string_value(to));
    } else {
        doc_put(d, "no fetch time recorded");
    }
    doc_end(d);
    doc_field(d, "Modalities", json_object_get(o, "modalities"), NULL);
    doc_field(d, "Description of the content", json_object_get(o, "description"), NULL);
    doc_label(d, "Most relevant domain names");
    doc_put(d, "the top ");
    doc_put(d, doc_num(a, json_object_get(o, "domains_listed")));
    doc_put(d, " of ");
    doc_put(d, doc_num(b, json_object_get(o, "domains_total")));
    doc_put(d, " registrable domains by content size (");
    doc_esc(d, json_string_value(json_object_get(o, "domains_cut")));
    doc_put(d, json_is_true(json_object_get(s, "sme")) ? ", SME)" : ")");
    doc_end(d);
    if (json_array_size(json_object_get(o, "domains"))) {
        static const char *const heads[] = {"Rank", "Domain", "Bytes", "Items"};
        doc_table(d, heads, 4);
        json_array_foreach(json_object_get(o, "domains"), i, x) {
            snprintf(e, sizeof e, "%zu", i + 1);
            const char *cells[4] = {e, json_string_value(json_object_get(x, "domain")),
                                    doc_num(a, json_object_get(x, "bytes")),
                                    doc_num(b, json_object_get(x, "items"))};
            doc_row(d, cells, 4);
        }
        doc_table_end(d);
    }
    doc_heading(d, 3, "2.4 User data");
    o = json_object_get(src, "user_data");
    doc_field(d, "Used", json_object_get(o, "used"), NULL);
    doc_field(d, "Data from user interactions with the model", json_object_get(o, "interactions"),
              NULL);
    doc_field(d, "Data from other services of the provider", json_object_get(o, "other_services"),
              NULL);
    doc_field(d, "Modalities", json_object_get(o, "modalities"), NULL);
    doc_field(d, "Description", json_object_get(o, "description"), NULL);
    doc_heading(d, 3, "2.5 Synthetic data");
    o = json_object_get(src, "synthetic");
    doc_field(d, "Used", json_object_get(o, "used"), NULL);
    doc_field(d, "Modalities", json_object_get(o, "modalities"), NULL);
    doc_field(d, "Models used to generate it", json_object_get(o, "models"), NULL);
    doc_heading(d, 3, "2.6 Other sources of data");
    o = json_object_get(src, "other");
    doc_field(d, "Used", json_object_get(o, "used"), NULL);
    doc_field(d, "Modalities", json_object_get(o, "modalities"), NULL);
    doc_field(d, "Description", json_object_get(o, "description"), NULL);
}

void
eu_render_processing(doc *d, json_t *s) {
    json_t *p = json_object_get(s, "data_processing"), *r = json_object_get(p, "reservations"), *x;
    size_t i;
    char a[32];
    doc_heading(d, 2, "3. Data processing aspects");
    doc_heading(d, 3,
                "3.1 Respect of reservation of rights from the text and data mining exception "
                "or limitation");
    doc_field(d, "Signatory of the Code of Practice",
              json_object_get(r, "code_of_practice_signatory"), NULL);
    doc_field(d, "Measures", json_object_get(r, "measures"), NULL);
    doc_label(d, "Opt-out protocols honoured, with the items each excluded (voluntary)");
    doc_put(d, json_array_size(json_object_get(r, "protocols")) ? "listed below" : "none recorded");
    doc_end(d);
    if (json_array_size(json_object_get(r, "protocols"))) {
        static const char *const heads[] = {"Protocol", "Policy rule", "Honoured",
                                            "Items excluded"};
        doc_table(d, heads, 4);
        json_array_foreach(json_object_get(r, "protocols"), i, x) {
            const char *cells[4] = {json_string_value(json_object_get(x, "protocol")),
                                    json_string_value(json_object_get(x, "rule")),
                                    json_is_true(json_object_get(x, "honoured")) ? "yes" : "no",
                                    doc_num(a, json_object_get(x, "items_excluded"))};
            doc_row(d, cells, 4);
        }
        doc_table_end(d);
    }
    doc_heading(d, 3, "3.2 Removal of illegal content");
    doc_field(d, "Measures", json_object_get(p, "illegal_content"), NULL);
    doc_heading(d, 3, "3.3 Other information");
    doc_field(d, "Other information", json_object_get(p, "other"), NULL);
}

void
eu_render_changes(doc *d, json_t *s) {
    json_t *c = json_object_get(s, "changes"), *x;
    size_t i;
    if (!c)
        return;
    doc_heading(d, 2, "Changes since the last publication");
    doc_field(d, "Since version", json_object_get(c, "since_version"), NULL);
    doc_field(d, "Published", json_object_get(c, "since"), NULL);
    json_array_foreach(json_object_get(c, "fields"), i, x) {
        char *from = json_dumps(json_object_get(x, "from"), JSON_ENCODE_ANY | JSON_COMPACT);
        char *to = json_dumps(json_object_get(x, "to"), JSON_ENCODE_ANY | JSON_COMPACT);
        doc_label(d, json_string_value(json_object_get(x, "field")));
        doc_esc(d, from ? from : "?");
        doc_put(d, " → ");
        doc_esc(d, to ? to : "?");
        doc_end(d);
        free(from);
        free(to);
    }
    doc_field(d, "Domains added", json_object_get(c, "domains_added"), NULL);
    doc_field(d, "Domains removed", json_object_get(c, "domains_removed"), NULL);
    doc_field(d, "Large public datasets added", json_object_get(c, "large_datasets_added"), NULL);
    doc_field(d, "Large public datasets removed", json_object_get(c, "large_datasets_removed"),
              NULL);
}

void
eu_render_provenance(doc *d, json_t *s) {
    json_t *p = json_object_get(s, "provenance"), *x;
    size_t i;
    char a[32], b[32];
    doc_heading(d, 2, "Where the numbers come from");
    doc_label(d, "Log checkpoint");
    doc_esc(d, json_string_value(doc_at(p, "checkpoint", "origin", NULL)));
    doc_put(d, ", size ");
    doc_put(d, doc_num(a, doc_at(p, "checkpoint", "size", NULL)));
    doc_put(d, ", root ");
    doc_esc(d, json_string_value(doc_at(p, "checkpoint", "root", NULL)));
    doc_end(d);
    json_array_foreach(json_object_get(p, "snapshots"), i, x) {
        doc_label(d, "Snapshot");
        doc_esc(d, json_string_value(json_object_get(x, "name")));
        doc_put(d, " (log index ");
        doc_put(d, doc_num(a, json_object_get(x, "log_index")));
        doc_put(d, ", ");
        doc_put(d, doc_num(b, json_object_get(x, "size")));
        doc_put(d, " members, root ");
        doc_esc(d, json_string_value(json_object_get(x, "root")));
        doc_put(d, ")");
        doc_end(d);
    }
    doc_field(d, "Registrable domains by", json_object_get(p, "registrable_domains"), NULL);
    doc_field(d, "Generated by", json_object_get(p, "generator"), NULL);
}
