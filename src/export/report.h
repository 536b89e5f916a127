/* report.h - the HTML report (exante.h, ex_report_html_dup): the page (report.c) is written
 * with these pieces (charts.c): HTML escaping and inline SVG charts. Every number a piece
 * writes sits in an element with a data-k attribute (docs/REPORT.md), and every string it is
 * given is escaped, in text and in attributes alike. Errors (EX_ENOMEM) are those of the
 * ex_buf written to; a piece may have written part of itself when one fails. */
#ifndef EX_EXPORT_REPORT_H
#define EX_EXPORT_REPORT_H

#include "core/core.h"

#include <string.h>

/* s[0..len) escaped for HTML text and quoted attribute values (& < > " ' as references; NUL
 * and other C0 controls but tab, newline and carriage return as U+FFFD), appended to b. */
int html_esc(ex_buf *b, const char *s, size_t len);
static inline int
html_escs(ex_buf *b, const char *s)
{
    return html_esc(b, s, strlen(s));
}
/* `<tag ATTRS data-k="k1k2k3">v</tag>`: attrs (trusted, may be NULL) as they are, the parts of
 * the key escaped (k2, k3 may be NULL). */
int html_num(ex_buf *b, const char *tag, const char *attrs, const char *k1, const char *k2,
             const char *k3, uint64_t v);
/* The number of bytes of the first max code points of s[0..len) (UTF-8). */
size_t utf8_prefix(const char *s, size_t len, size_t max);

/* One bar of a bar chart: its label (escaped when written) and value. */
typedef struct bar {
    const char *label;
    uint64_t v;
} bar;

/* A horizontal bar chart of v[0..n), labels left, bars scaled to the largest value, each with
 * its value (data-k "chart:NAME:LABEL") and an axis of ticks below ("tick:NAME:I") captioned
 * with unit. */
int chart_bars(ex_buf *b, const char *name, const char *unit, const bar *v, size_t n);

/* Stacked columns: ncols columns (their labels: days) of nser series each (their labels:
 * rules), v[c * nser + s] the value of series s in column c. Each column's total above it
 * ("chart:NAME:COL"), ticks on the left ("tick:NAME:y:I"), column labels below
 * ("tick:NAME:x:COL") and a legend; with many columns, totals and labels of about a dozen. */
int chart_stacked(ex_buf *b, const char *name, const char *const *cols, size_t ncols,
                  const char *const *ser, size_t nser, const uint64_t *v);

/* A model of the lineage graph: its label and kind, whether it is retired, and its parents
 * among the n nodes (indexes). */
typedef struct lnode {
    const char *name, *kind;
    int retired;
    const size_t *parents;
    size_t nparents;
} lnode;

/* The lineage graph: each model in the column of its depth (0: no parent among them; else one
 * more than its deepest parent), an arrow from each parent to its child. */
int chart_lineage(ex_buf *b, const lnode *v, size_t n);

/* ---- the page (report.c) and its sections (sections.c) ---- */

struct json_t;

/* A page being written from the stats j: the first failure is kept in rc (and err), and
 * everything after it does nothing. */
typedef struct page {
    ex_buf *b;
    ex_err *err;
    struct json_t *j;
    int rc;
    ex_buf key; /* a data-k key being made */
} page;

/* EX_EFORMAT "stats: WHERE.K: WHAT" into p (the first failure only); returns p->rc. */
int page_fail(page *p, const char *where, const char *k, const char *what);
/* A write's status (ex_buf's, |= accumulated) into p: EX_ENOMEM if negative. */
static inline void
page_mem(page *p, int rc)
{
    if (rc < 0 && p->rc == EX_OK)
        p->rc = ex_fail(p->err, EX_ENOMEM, "out of memory");
}
/* Members of object o (at WHERE in the stats): a count (an integer >= 0), a string (with
 * nullable, null or absent gives NULL), an array of the stats' top level. EX_EFORMAT through
 * page_fail otherwise, the output then zero or NULL. */
int page_count(page *p, struct json_t *o, const char *where, const char *k, uint64_t *out);
int page_text(page *p, struct json_t *o, const char *where, const char *k, int nullable,
              const char **out);
int page_list(page *p, struct json_t *o, const char *k, struct json_t **out);
/* n bytes in words ("1.2 MiB"), for a title. */
int page_human(ex_buf *b, uint64_t n);
/* Writing into p->b, a failure kept in p: a data-k key made of the parts a..d (NULLs skipped;
 * raw, in p->key until the next call: html_num escapes it); text as it is (trusted: markup);
 * text escaped (NULL: nothing); a number cell with key k; a text cell, escaped; a section's
 * start (its id and title are trusted; with heads, the header cells of its table, whose body
 * is then open) and end (table: close the table too). */
const char *page_key(page *p, const char *a, const char *b, const char *c, const char *d);
void page_put(page *p, const char *s);
void page_esc(page *p, const char *s);
void page_tdn(page *p, const char *k, uint64_t v);
void page_tdt(page *p, const char *s);
void page_open(page *p, const char *id, const char *title, const char *heads);
void page_close(page *p, int table);
/* Element i of the stats array a (named name), an object; else NULL and a failure naming it
 * ("name[i]", also left in where[0..cap) for the caller's messages). */
struct json_t *page_elem(page *p, struct json_t *a, const char *name, size_t i, char *where,
                         size_t cap);

void section_summary(page *p);
void section_rules(page *p);
void section_time(page *p);
void section_licenses(page *p);
void section_domains(page *p);
void section_sources(page *p);
void section_optouts(page *p);
void section_snapshots(page *p);
void section_models(page *p);

/* The palette of the charts (PALETTE colours, cycled). */
#define PALETTE 10
extern const char *const report_palette[PALETTE];

#endif
