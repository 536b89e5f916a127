/* charts.c - the report's pieces (report.h): escaping, numbers with their keys, and the inline
 * SVG charts, drawn here with fixed sizes in pixels so that the page needs nothing else.
 * Writes accumulate their status (ex_buf's EX_ENOMEM) with |=: any failure makes it negative. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>

const char *const report_palette[PALETTE] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                             "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

int
html_esc(ex_buf *b, const char *s, size_t len)
{
    int rc = 0;
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *r = c == '&'    ? "&amp;"
                        : c == '<'  ? "&lt;"
                        : c == '>'  ? "&gt;"
                        : c == '"'  ? "&quot;"
                        : c == '\'' ? "&#39;"
                        : (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f
                            ? "&#xfffd;"
                            : NULL;
        if (!r)
            continue;
        rc |= ex_buf_put(b, s + from, i - from);
        rc |= ex_buf_puts(b, r);
        from = i + 1;
    }
    rc |= ex_buf_put(b, s + from, len - from);
    return rc < 0 ? EX_ENOMEM : EX_OK;
}

int
html_num(ex_buf *b, const char *tag, const char *attrs, const char *k1, const char *k2,
         const char *k3, uint64_t v)
{
    int rc = ex_buf_printf(b, "<%s%s%s data-k=\"", tag, attrs ? " " : "", attrs ? attrs : "");
    rc |= html_escs(b, k1);
    rc |= k2 ? html_escs(b, k2) : 0;
    rc |= k3 ? html_escs(b, k3) : 0;
    rc |= ex_buf_printf(b, "\">%llu</%s>", (unsigned long long)v, tag);
    return rc < 0 ? EX_ENOMEM : EX_OK;
}

size_t
utf8_prefix(const char *s, size_t len, size_t max)
{
    size_t i = 0;
    for (size_t n = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == max)
            break;
    return i;
}

/* label, cut to max code points (an ellipsis then), escaped */
static int
label(ex_buf *b, const char *s, size_t max)
{
    size_t len = strlen(s), n = utf8_prefix(s, len, max);
    int rc = html_esc(b, s, n);
    return n < len ? rc | ex_buf_puts(b, "\xe2\x80\xa6") : rc;
}

/* a round step (1, 2 or 5 times a power of ten) giving about four ticks up to max, and the
 * axis's end: the first multiple of it at or above max */
static void
ticks(uint64_t max, uint64_t *step, uint64_t *top)
{
    uint64_t raw = max / 4 + (max % 4 != 0), p = 1;
    if (raw == 0)
        raw = 1;
    while (p <= raw / 10)
        p *= 10;
    *step = p * (raw <= p ? 1 : raw <= 2 * p ? 2 : raw <= 5 * p ? 5 : 10);
    *top = max ? (max + *step - 1) / *step * *step : *step;
}

#define BW 760 /* bar chart: width */
#define BL 240 /* the labels' column */
#define BR 90  /* right of the longest bar: its value */
#define BH 22  /* a row */

int
chart_bars(ex_buf *b, const char *name, const char *unit, const bar *v, size_t n)
{
    uint64_t max = 0, step, top;
    for (size_t i = 0; i < n; i++)
        max = v[i].v > max ? v[i].v : max;
    ticks(max, &step, &top);
    const int plot = BW - BL - BR, axis = 8 + (int)n * BH;
    int rc = ex_buf_printf(b,
                           "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                           "role=\"img\" aria-label=\"",
                           BW, axis + 36, BW, axis + 36);
    rc |= html_escs(b, unit);
    rc |= ex_buf_puts(b, "\">");
    for (size_t i = 0; i < n; i++) {
        int y = 8 + (int)i * BH, w = (int)((double)v[i].v * plot / (double)top + 0.5);
        rc |=
            ex_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\"><title>", BL - 8, y + 15);
        rc |= html_escs(b, v[i].label);
        rc |= ex_buf_puts(b, "</title>");
        rc |= label(b, v[i].label, 34);
        rc |=
            ex_buf_printf(b,
                          "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                          "fill=\"%s\"/>",
                          BL, y + 3, w > 0 || !v[i].v ? w : 1, BH - 6, report_palette[i % PALETTE]);
        rc |= ex_buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"val\" data-k=\"chart:", BL + w + 6,
                            y + 15);
        rc |= html_escs(b, name);
        rc |= ex_buf_putc(b, ':');
        rc |= html_escs(b, v[i].label);
        rc |= ex_buf_printf(b, "\">%llu</text>", (unsigned long long)v[i].v);
    }
    rc |= ex_buf_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", BL,
                        axis, BL + plot, axis);
    for (uint64_t t = 0, i = 0; t <= top; t += step, i++) {
        int x = BL + (int)((double)t * plot / (double)top + 0.5);
        char at[96], k[32];
        rc |= ex_buf_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x,
                            axis, x, axis + 4);
        snprintf(at, sizeof at, "x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"tick\"", x,
                 axis + 17);
        snprintf(k, sizeof k, ":%llu", (unsigned long long)i);
        rc |= html_num(b, "text", at, "tick:", name, k, t);
    }
    rc |= ex_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"unit\">", BW - 4,
                        axis + 32);
    rc |= html_escs(b, unit);
    rc |= ex_buf_puts(b, "</text></svg>\n");
    return rc < 0 ? EX_ENOMEM : EX_OK;
}

#define SW 760 /* stacked columns: width, height, margins */
#define SH 330
#define SL 64
#define SB 70
#define ST 24

int
chart_stacked(ex_buf *b, const char *name, const char *const *cols, size_t ncols,
              const char *const *ser, size_t nser, const uint64_t *v)
{
    uint64_t max = 0, step, top;
    for (size_t c = 0; c < ncols; c++) {
        uint64_t t = 0;
        for (size_t s = 0; s < nser; s++)
            t += v[c * nser + s];
        max = t > max ? t : max;
    }
    ticks(max, &step, &top);
    const double pw = SW - SL - 16, ph = SH - SB - ST, cw = ncols ? pw / (double)ncols : pw;
    const size_t every = ncols / 12 + 1; /* column labels: at most about a dozen */
    int rc = ex_buf_printf(b,
                           "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
                           "%d\" role=\"img\" aria-label=\"stacked columns\">",
                           SW, SH, SW, SH);
    for (uint64_t t = 0, i = 0; t <= top; t += step, i++) {
        double y = ST + ph - (double)t * ph / (double)top;
        char at[96], k[32];
        rc |= ex_buf_printf(b, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>",
                            SL, y, SW - 16, y);
        snprintf(at, sizeof at, "x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\"", SL - 6,
                 y + 4);
        snprintf(k, sizeof k, ":y:%llu", (unsigned long long)i);
        rc |= html_num(b, "text", at, "tick:", name, k, t);
    }
    for (size_t c = 0; c < ncols; c++) {
        double w = cw * 0.7 > 48 ? 48 : cw * 0.7 > 1 ? cw * 0.7 : 1;
        double x = SL + c * cw + (cw - w) / 2, y = ST + ph;
        uint64_t total = 0;
        for (size_t s = 0; s < nser; s++) {
            uint64_t n = v[c * nser + s];
            double h = (double)n * ph / (double)top;
            total += n;
            if (!n)
                continue;
            y -= h;
            rc |= ex_buf_printf(b,
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                "fill=\"%s\"/>",
                                x, y, w, h > 0.5 ? h : 0.5, report_palette[s % PALETTE]);
        }
        int shown = c % every == 0 || c + 1 == ncols; /* narrow columns: a label now and then */
        if (cw >= 30 || shown) {
            rc |= ex_buf_printf(b,
                                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                                "class=\"val\" data-k=\"chart:",
                                x + w / 2, y - 4);
            rc |= html_escs(b, name);
            rc |= ex_buf_putc(b, ':');
            rc |= html_escs(b, cols[c]);
            rc |= ex_buf_printf(b, "\">%llu</text>", (unsigned long long)total);
        }
        if (shown) {
            double lx = x + w / 2, ly = ST + ph + 14;
            rc |= ex_buf_printf(b,
                                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\" "
                                "transform=\"rotate(-35 %.1f %.1f)\" data-k=\"tick:",
                                lx, ly, lx, ly);
            rc |= html_escs(b, name);
            rc |= ex_buf_puts(b, ":x:");
            rc |= html_escs(b, cols[c]);
            rc |= ex_buf_puts(b, "\">");
            rc |= html_escs(b, cols[c]);
            rc |= ex_buf_puts(b, "</text>");
        }
    }
    rc |= ex_buf_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", SL,
                        ST + (int)ph, SW - 16, ST + (int)ph);
    rc |= ex_buf_puts(b, "</svg>\n<ul class=\"legend\">");
    for (size_t s = 0; s < nser; s++) {
        rc |= ex_buf_printf(b, "<li><i style=\"background:%s\"></i>", report_palette[s % PALETTE]);
        rc |= html_escs(b, ser[s]);
        rc |= ex_buf_puts(b, "</li>");
    }
    rc |= ex_buf_puts(b, "</ul>\n");
    return rc < 0 ? EX_ENOMEM : EX_OK;
}

#define NW 180 /* lineage: a node's box, and the gaps between them */
#define NH 40
#define XG 56
#define YG 14

int
chart_lineage(ex_buf *b, const lnode *v, size_t n)
{
    int *depth = calloc(n + 1, sizeof *depth), *row = calloc(n + 1, sizeof *row),
        *rows = calloc(n + 1, sizeof *rows);
    int rc = depth && row && rows ? 0 : EX_ENOMEM, maxd = 0, maxr = 0;
    /* parents come first in the log; the passes bound a damaged, cyclic listing anyway */
    for (size_t pass = 0, changed = 1; rc == 0 && changed && pass <= n; pass++) {
        changed = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < v[i].nparents; k++)
                if (v[i].parents[k] < n && depth[v[i].parents[k]] + 1 > depth[i]) {
                    depth[i] = depth[v[i].parents[k]] + 1;
                    changed = 1;
                }
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        depth[i] = depth[i] > (int)n ? (int)n : depth[i];
        row[i] = rows[depth[i]]++;
        maxd = depth[i] > maxd ? depth[i] : maxd;
        maxr = rows[depth[i]] > maxr ? rows[depth[i]] : maxr;
    }
    int w = 20 + (maxd + 1) * (NW + XG) - XG, h = 20 + maxr * (NH + YG) - YG;
    rc |= ex_buf_printf(b,
                        "<svg class=\"lineage\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        "role=\"img\" aria-label=\"model lineage\"><defs><marker id=\"arrow\" "
                        "viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
                        "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" "
                        "fill=\"#666\"/></marker></defs>",
                        w, h, w, h);
    for (size_t i = 0; rc == 0 && i < n; i++)
        for (size_t k = 0; k < v[i].nparents; k++) {
            size_t p = v[i].parents[k];
            if (p >= n)
                continue;
            int x1 = 10 + depth[p] * (NW + XG) + NW, y1 = 10 + row[p] * (NH + YG) + NH / 2;
            int x2 = 10 + depth[i] * (NW + XG), y2 = 10 + row[i] * (NH + YG) + NH / 2;
            rc |= ex_buf_printf(b,
                                "<path class=\"edge\" d=\"M%d,%dC%d,%d %d,%d %d,%d\" "
                                "marker-end=\"url(#arrow)\"/>",
                                x1, y1, (x1 + x2) / 2, y1, (x1 + x2) / 2, y2, x2 - 2, y2);
        }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int x = 10 + depth[i] * (NW + XG), y = 10 + row[i] * (NH + YG);
        rc |= ex_buf_printf(b,
                            "<g class=\"node%s\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
                            "height=\"%d\" rx=\"6\"/><text x=\"%d\" y=\"%d\" class=\"name\">",
                            v[i].retired ? " retired" : "", x, y, NW, NH, x + 8, y + 16);
        rc |= label(b, v[i].name, 24);
        rc |= ex_buf_printf(b, "</text><text x=\"%d\" y=\"%d\" class=\"kind\">", x + 8, y + 32);
        rc |= label(b, v[i].kind, 24);
        rc |= ex_buf_puts(b, v[i].retired ? " (retired)</text></g>" : "</text></g>");
    }
    rc |= ex_buf_puts(b, "</svg>\n");
    free(depth);
    free(row);
    free(rows);
    return rc < 0 ? EX_ENOMEM : EX_OK;
}
