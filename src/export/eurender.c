/* eurender.c - the EU summary as Markdown or as a self-contained HTML page (eusummary.h,
 * eu_render), rendered from its JSON so that the forms say the same: the template's numbers
 * and titles in its order, "not provided" for what the provider file did not say, every
 * string escaped (Markdown: its punctuation backslashed; HTML: html_esc, no script, nothing
 * fetched). */
#include "eusummary.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define NOT_PROVIDED "not provided"

void
doc_put(doc *d, const char *s) {
    if (ex_buf_puts(d->b, s) != EX_OK)
        d->rc = EX_ENOMEM;
}

void
doc_esc(doc *d, const char *s) {
    if (d->html) {
        if (html_escs(d->b, s) != EX_OK)
            d->rc = EX_ENOMEM;
        return;
    }
    for (; *s; s++) {
        if (strchr("\\`*_[]<>|#!", *s) && ex_buf_putc(d->b, '\\') != EX_OK)
            d->rc = EX_ENOMEM;
        if (ex_buf_putc(d->b, *s == '\n' || *s == '\r' ? ' ' : *s) != EX_OK)
            d->rc = EX_ENOMEM;
    }
}

void
doc_heading(doc *d, int level, const char *title) {
    char t[16];
    if (d->html) {
        snprintf(t, sizeof t, "<h%d>", level);
        doc_put(d, t);
        doc_esc(d, title);
        snprintf(t, sizeof t, "</h%d>\n", level);
        doc_put(d, t);
    } else {
        if (!(d->b->len >= 2 && d->b->data[d->b->len - 1] == '\n' &&
              d->b->data[d->b->len - 2] == '\n'))
            doc_put(d, "\n");
        for (int i = 0; i < level; i++)
            doc_put(d, "#");
        doc_put(d, " ");
        doc_esc(d, title);
        doc_put(d, "\n\n");
    }
}

void
doc_label(doc *d, const char *l) {
    doc_put(d, d->html ? "<p><b>" : "- **");
    doc_esc(d, l);
    doc_put(d, d->html ? ":</b> " : ":** ");
}

void
doc_end(doc *d) {
    doc_put(d, d->html ? "</p>\n" : "\n");
}

/* a field whose value is a string, a boolean (yes/no), an integer, a list of strings (", ")
 * or null (none: NOT_PROVIDED, or what `none` says) */
void
doc_field(doc *d, const char *l, json_t *v, const char *none) {
    char n[32];
    doc_label(d, l);
    if (json_is_string(v)) {
        doc_esc(d, json_string_value(v));
    } else if (json_is_boolean(v)) {
        doc_put(d, json_is_true(v) ? "yes" : "no");
    } else if (json_is_integer(v)) {
        snprintf(n, sizeof n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        doc_put(d, n);
    } else if (json_is_array(v) && json_array_size(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (i)
                doc_put(d, ", ");
            doc_esc(d, json_is_string(x) ? json_string_value(x) : "?");
        }
    } else {
        doc_esc(d, json_is_array(v) ? "none" : none ? none : NOT_PROVIDED);
    }
    doc_end(d);
}

void
doc_table(doc *d, const char *const *heads, size_t n) {
    doc_put(d, d->html ? "<table><tr>" : "\n|");
    for (size_t i = 0; i < n; i++) {
        doc_put(d, d->html ? "<th>" : " ");
        doc_esc(d, heads[i]);
        doc_put(d, d->html ? "</th>" : " |");
    }
    doc_put(d, d->html ? "</tr>\n" : "\n|");
    for (size_t i = 0; !d->html && i < n; i++)
        doc_put(d, "---|");
    if (!d->html)
        doc_put(d, "\n");
}

void
doc_row(doc *d, const char *const *cells, size_t n) {
    doc_put(d, d->html ? "<tr>" : "|");
    for (size_t i = 0; i < n; i++) {
        doc_put(d, d->html ? "<td>" : " ");
        doc_esc(d, cells[i]);
        doc_put(d, d->html ? "</td>" : " |");
    }
    doc_put(d, d->html ? "</tr>\n" : "\n");
}

void
doc_table_end(doc *d) {
    doc_put(d, d->html ? "</table>\n" : "\n");
}

json_t *
doc_at(json_t *o, const char *k1, const char *k2, const char *k3) {
    o = json_object_get(o, k1);
    if (k2)
        o = json_object_get(o, k2);
    if (k3)
        o = json_object_get(o, k3);
    return o;
}

const char *
doc_num(char buf[32], json_t *v) {
    snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return buf;
}

/* "label: N<mid>B<tail>" for o's items and o[bytes], when it has any items */
static void
items_bytes(doc *d, const char *label, json_t *o, const char *bytes, const char *mid,
            const char *tail) {
    char a[32];
    if (!eu_cnt(o, "items"))
        return;
    doc_label(d, label);
    doc_put(d, doc_num(a, json_object_get(o, "items")));
    doc_put(d, mid);
    doc_put(d, doc_num(a, json_object_get(o, bytes)));
    doc_put(d, tail);
    doc_end(d);
}

static void
general(doc *d, json_t *s) {
    json_t *g = json_object_get(s, "general"), *x;
    size_t i;
    char a[32], b[32], c[32];
    doc_heading(d, 2, "1. General information");
    doc_heading(d, 3, "1.1 Provider identification");
    doc_field(d, "Name of the provider", doc_at(g, "provider", "name", NULL), NULL);
    doc_field(d, "Contact details", doc_at(g, "provider", "contact", NULL), NULL);
    doc_field(d, "Authorised representative",
              doc_at(g, "provider", "authorised_representative", NULL), NULL);
    doc_heading(d, 3, "1.2 Model identification");
    doc_field(d, "Versioned model name(s)", doc_at(g, "model", "versions", NULL), NULL);
    doc_field(d, "Model in the ledger", doc_at(g, "model", "name", NULL), NULL);
    doc_field(d, "Model id (digest of its weights)", doc_at(g, "model", "id", NULL), NULL);
    doc_field(d, "Kind of training run", doc_at(g, "model", "kind", NULL), NULL);
    json_t *deps = doc_at(g, "model", "dependencies", NULL);
    doc_label(d, "Models this model modifies or fine-tunes");
    if (!json_array_size(deps))
        doc_put(d, "none");
    json_array_foreach(deps, i, x) {
        if (i)
            doc_put(d, "; ");
        doc_esc(d, json_is_string(json_object_get(x, "name"))
                       ? json_string_value(json_object_get(x, "name"))
                       : "a model from outside the ledger");
        doc_put(d, " (");
        doc_esc(d, json_string_value(json_object_get(x, "id")));
        doc_put(d, json_is_true(json_object_get(x, "in_ledger")) ? "; its own summary)" : ")");
    }
    doc_end(d);
    doc_field(d, "Date of placement on the EU market", doc_at(g, "model", "placed_on_market", NULL),
              NULL);
    doc_heading(d, 3, "1.3 Modalities, overall training data size and other characteristics");
    static const char *const heads[] = {"Modality", "Present", "Size range",
                                        "Items",    "Bytes",   "Content types"};
    static const char *const names[4][2] = {
        {"text", "Text"}, {"image", "Image"}, {"audio", "Audio"}, {"video", "Video"}};
    doc_table(d, heads, 6);
    for (int m = 0; m < 4; m++) {
        json_t *o = doc_at(g, "modalities", names[m][0], NULL), *t;
        ex_buf types = {0};
        json_array_foreach(json_object_get(o, "content_types"), i, t) {
            if (ex_buf_printf(&types, "%s%s (%" JSON_INTEGER_FORMAT ")", i ? ", " : "",
                              json_string_value(json_object_get(t, "type")),
                              json_integer_value(json_object_get(t, "items"))) != EX_OK)
                d->rc = EX_ENOMEM;
        }
        const char *range = json_string_value(json_object_get(o, "size_range"));
        int present = json_is_true(json_object_get(o, "present"));
        const char *cells[6] = {names[m][1],
                                present ? "yes" : "no",
                                range     ? range
                                : present ? "not known (durations not recorded)"
                                          : "-",
                                doc_num(a, json_object_get(o, "items")),
                                doc_num(b, json_object_get(o, "bytes")),
                                types.data ? types.data : "-"};
        doc_row(d, cells, 6);
        ex_buf_free(&types);
    }
    doc_table_end(d);
    json_t *t = doc_at(g, "modalities", "text", NULL);
    doc_label(d, "Text size");
    doc_put(d, doc_num(a, json_object_get(t, "bytes")));
    doc_put(d, " bytes (exact); ");
    doc_put(d, doc_num(a, json_object_get(t, "words")));
    doc_put(d, " words (exact: the words of the text exante reads, as its near-duplicate "
               "fingerprint counts them); an estimated ");
    doc_put(d, doc_num(c, json_object_get(t, "tokens_estimate")));
    doc_put(d, " tokens (4 per 3 words, and 1 per 4 bytes of text without a word count, each "
               "rounded up; no tokenizer is prescribed)");
    doc_end(d);
    items_bytes(d, "Text without a word count", json_object_get(t, "words_uncounted"), "bytes",
                " items, ", " bytes (content in which exante finds no words: no text it reads, "
                            "such as PDF, or recorded before exante counted words)");
    items_bytes(d, "Text counted in its first 8 MiB", json_object_get(t, "words_cut"),
                "bytes_past", " items over 8 MiB; ",
                " bytes past their first 8 MiB were not read for words");
    doc_field(d, "Latest date of acquisition (MM/YYYY)", doc_at(g, "acquisition", "latest", NULL),
              "no fetch time recorded");
    doc_field(d, "Training continues on data acquired after it",
              doc_at(g, "acquisition", "continues", NULL), NULL);
    doc_field(d, "Languages", json_object_get(g, "languages"), NULL);
    doc_field(d, "Other characteristics", json_object_get(g, "other_characteristics"), NULL);
}

int
eu_render(json_t *s, int html, ex_buf *b) {
    doc d = {b, html, EX_OK};
    json_t *h = json_object_get(s, "header");
    const char *name = json_string_value(doc_at(s, "general", "model", "name"));
    if (html) {
        doc_put(&d, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'\">\n<title>Public summary of training content: ");
        doc_esc(&d, name ? name : "");
        doc_put(&d,
                "</title>\n<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;"
                "margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;"
                "margin:.5em 0}th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left}"
                "th{background:#f0f0f0}h2{border-bottom:1px solid #ccc}</style>\n</head><body>\n");
    }
    if (html) {
        doc_put(&d, "<h1>Public summary of training content: ");
        doc_esc(&d, name ? name : "");
        doc_put(&d, "</h1>\n");
    } else {
        doc_put(&d, "# Public summary of training content: ");
        doc_esc(&d, name ? name : "");
        doc_put(&d, "\n\n");
    }
    doc_put(&d, html ? "<p>" : "");
    doc_esc(&d, "Template for the Public Summary of Training Content for general-purpose AI models "
                "(Commission C(2025) 5235; AI Act Art. 53(1)(d)).");
    doc_put(&d, html ? "</p>\n" : "\n\n");
    doc_field(&d, "Version of the summary", json_object_get(h, "version"), NULL);
    doc_field(&d, "Last update (DD/MM/YY)", json_object_get(h, "last_update"), NULL);
    doc_field(&d, "Earlier versions", json_object_get(h, "previous_versions"), "none listed");
    general(&d, s);
    eu_render_sources(&d, s);
    eu_render_processing(&d, s);
    eu_render_changes(&d, s);
    eu_render_provenance(&d, s);
    if (html)
        doc_put(&d, "</body></html>");
    return d.rc;
}
