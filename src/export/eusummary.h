/* eusummary.h - the EU summary of a model's training content (exante.h, ex_eu_summary_dup;
 * docs/EU-SUMMARY.md): its parts, shared by eusummary.c (the summary as JSON, from the
 * ledger's facts and the provider file), eudomains.c (registrable domains and their ranking),
 * eudiff.c (changes since a previous summary) and eurender.c (Markdown and HTML). */
#ifndef EX_EXPORT_EUSUMMARY_H
#define EX_EXPORT_EUSUMMARY_H

#include "core/core.h"

#include <jansson.h>

/* ---- registrable domains (eudomains.c) ---- */

/* The Public Suffix List, or NULL for the built-in approximation (last two labels, three
 * when the last two are a known second-level suffix such as co.uk). */
typedef struct eu_psl eu_psl;
/* Load the list at path (NULL: the system's); *out stays NULL when it cannot be read, which
 * is not an error. EX_ENOMEM. */
int eu_psl_load(const char *path, eu_psl **out);
void eu_psl_free(eu_psl *p);
/* The registrable domain of host (lowercase, as ex_url_host gives it) into out: the public
 * suffix and one label more (the host itself when it is a public suffix, an IP address or
 * a single label). p NULL: the built-in approximation. Returns its length. */
size_t eu_registrable(const eu_psl *p, const char *host, char out[256]);

/* A domain with the size of its content. */
typedef struct eu_domain {
    const char *name;
    uint64_t bytes, items;
} eu_domain;

/* Rank v[0..n): bytes descending, then name ascending (bytewise). */
void eu_domains_rank(eu_domain *v, size_t n);

/* ---- section 2 (eusources.c) and the helpers the summary's parts share ---- */

struct ex_eu_provider;
struct ex_eu_opts;

/* the modalities in the facts' order: audio, image, text, video */
extern const char *const eu_modalities[4];
/* the reservation rules (optout last) and the protocol each stands for */
struct eu_protocol {
    const char *rule, *protocol;
};
extern const struct eu_protocol eu_protocols[5];

/* a string, a yes/no (-1: null) and a provider list (absent: null) as JSON */
json_t *eu_opt_str(const char *s);
json_t *eu_opt_bool(int v);
json_t *eu_opt_list(const struct ex_eu_provider *p, int k);
/* the integer o.k (0 if absent) */
uint64_t eu_cnt(json_t *o, const char *k);
/* Section 2 of facts f into out (its sections by key), the registrable-domain rule into prov,
 * the items and bytes of each modality added to items and bytes, and 1.3's acquisition object
 * into *acq. EX_ENOMEM. */
int eu_data_sources(json_t *f, const struct ex_eu_opts *o, json_t *out, json_t *prov,
                    uint64_t items[4], uint64_t bytes[4], json_t **acq);

/* ---- the summary (eusummary.c) and its changes (eudiff.c) ---- */

#define EU_TYPE "eu-training-content-summary"

/* The changes from the summary old to cur (both as eusummary.c makes them), as the object
 * cur's "changes" holds; NULL on EX_ENOMEM or an old summary that is not one (then "old:
 * KEY: ..." in err, EX_EFORMAT). */
json_t *eu_diff(json_t *old, json_t *cur, ex_err *err);

/* ---- rendering (eurender.c) ---- */

/* A document being rendered: Markdown (html 0) or HTML; the first failure in rc (EX_ENOMEM). */
typedef struct doc {
    ex_buf *b;
    int html;
    int rc;
} doc;

/* The pieces (eurender.c): text as it is (trusted), text escaped, a heading of a level, a
 * field's label and its end, a field whose value is a JSON string, boolean (yes/no), integer,
 * list of strings or null (none: "not provided", or what `none` says), a table's head, a row
 * of escaped cells and the table's end. */
void doc_put(doc *d, const char *s);
void doc_esc(doc *d, const char *s);
void doc_heading(doc *d, int level, const char *title);
void doc_label(doc *d, const char *l);
void doc_end(doc *d);
void doc_field(doc *d, const char *l, json_t *v, const char *none);
void doc_table(doc *d, const char *const *heads, size_t n);
void doc_row(doc *d, const char *const *cells, size_t n);
void doc_table_end(doc *d);
/* o.k1[.k2[.k3]] (k2, k3 may be NULL); an integer's decimal digits in buf */
json_t *doc_at(json_t *o, const char *k1, const char *k2, const char *k3);
const char *doc_num(char buf[32], json_t *v);
/* the sections after 1 (eurender_sections.c) */
void eu_render_sources(doc *d, json_t *s);
void eu_render_processing(doc *d, json_t *s);
void eu_render_changes(doc *d, json_t *s);
void eu_render_provenance(doc *d, json_t *s);

/* The summary s as Markdown (html 0) or a self-contained HTML page (html 1), appended to b.
 * s is trusted to be what eusummary.c made. EX_ENOMEM. */
int eu_render(json_t *s, int html, ex_buf *b);

#endif
