/* bench_spdx.c - throughput of the SPDX expression parser and evaluator (not a test: never run
 * by ctest).
 *
 *   bench_spdx gen FILE N [IDS]   write N deterministic, realistic expressions to FILE, one a
 *                                 line: single ids (mostly popular ones), OR / AND pairs and
 *                                 triples, WITH exceptions, parentheses, '+', LicenseRefs.
 *                                 IDS (optional): a file of ids, one a line, to draw from
 *                                 (e.g. the ids both parsers know); default: the whole list
 *   bench_spdx parse FILE [REPS]  parse (and free) every line of FILE, in memory; best of REPS
 *                                 (5). Also: admits + all_in of every parsed expression
 *                                 against the two license sets of ../shared/POLICY.md's
 *                                 example, and id look-ups in the hash table against a binary
 *                                 search over the sorted lowercased ids
 *   bench_spdx check FILE         for the differential test: one line per input line,
 *                                 "ok\tJSON tree" or "err\tCOLUMN\tMESSAGE"
 *
 * parse prints one line of JSON to stdout; progress goes to stderr. */
#include "license/license.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BENCH_NAME "bench_spdx"
#include "bench_util.h"

/* ---- gen --------------------------------------------------------------------------------- */

static const char *const popular[] = {
    "MIT",           "Apache-2.0",       "BSD-3-Clause",  "ISC",
    "BSD-2-Clause",  "GPL-3.0-only",     "GPL-2.0-only",  "MPL-2.0",
    "CC0-1.0",       "LGPL-2.1-only",    "CC-BY-4.0",     "Unlicense",
    "CC-BY-SA-4.0",  "GPL-3.0-or-later", "AGPL-3.0-only", "0BSD",
    "Zlib",          "EPL-2.0",          "Artistic-2.0",  "BSL-1.0",
    "LGPL-3.0-only", "GPL-2.0-or-later", "Python-2.0",    "CC-BY-3.0",
    "OFL-1.1",
};
static const char *const versioned[] = {"GPL-2.0",    "GPL-3.0", "LGPL-2.1",  "LGPL-3.0",
                                        "Apache-1.1", "MPL-1.1", "CC-BY-3.0", "EPL-1.0"};
static const char *const with_lhs[] = {"GPL-2.0-only",     "GPL-2.0-or-later",  "GPL-3.0-only",
                                       "GPL-3.0-or-later", "LGPL-2.1-or-later", "Apache-2.0"};

typedef struct pool {
    const char **v;
    size_t n;
} pool;

static pool lic_pool, exc_pool;

static int
allowed(char **ids, size_t n, const char *id)
{
    if (!ids)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

/* the list's ids, restricted to those in IDS if given */
static void
pools(const char *ids_file)
{
    char **ids = NULL;
    size_t nids = 0;
    if (ids_file) {
        FILE *f = fopen(ids_file, "r");
        if (!f)
            die("cannot open %s", ids_file);
        char line[512];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (!*line)
                continue;
            ids = realloc(ids, (nids + 1) * sizeof *ids);
            if (!ids || !(ids[nids++] = strdup(line)))
                die("out of memory");
        }
        fclose(f);
    }
    lic_pool.v = calloc(ex_spdx_count, sizeof(char *));
    exc_pool.v = calloc(ex_spdx_count, sizeof(char *));
    if (!lic_pool.v || !exc_pool.v)
        die("out of memory");
    for (unsigned i = 0; i < ex_spdx_count; i++) {
        const ex_spdx_entry *e = &ex_spdx_list[i];
        if (strchr(e->id, '+') || !allowed(ids, nids, e->id))
            continue;
        if (e->flags & EX_SPDX_EXCEPTION)
            exc_pool.v[exc_pool.n++] = e->id;
        else if (!(e->flags & EX_SPDX_DEPRECATED))
            lic_pool.v[lic_pool.n++] = e->id;
    }
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    if (!lic_pool.n || !exc_pool.n)
        die("no ids to draw from");
}

static const char *
any_lic(void)
{
    return lic_pool.v[bench_pick((unsigned)lic_pool.n)];
}

static const char *
pop(void)
{
    /* popular ids, when the pool has them (the list version may lack one) */
    const char *p = popular[bench_pick(sizeof popular / sizeof popular[0])];
    for (size_t i = 0; i < lic_pool.n; i++)
        if (strcmp(lic_pool.v[i], p) == 0)
            return p;
    return any_lic();
}

static const char *
lic(void)
{
    return bench_pick(3) ? pop() : any_lic();
}

static const char *
exc(void)
{
    return exc_pool.v[bench_pick((unsigned)exc_pool.n)];
}

static void
gen(const char *path, unsigned long n, const char *ids)
{
    pools(ids);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot create %s", path);
    for (unsigned long i = 0; i < n; i++) {
        unsigned r = bench_pick(100);
        if (r < 40)
            fprintf(f, "%s\n", pop());
        else if (r < 55)
            fprintf(f, "%s\n", any_lic());
        else if (r < 67)
            fprintf(f, "%s OR %s\n", lic(), lic());
        else if (r < 75)
            fprintf(f, "%s AND %s\n", lic(), lic());
        else if (r < 80)
            fprintf(f, "%s OR %s OR %s\n", lic(), lic(), lic());
        else if (r < 86)
            fprintf(f, "%s WITH %s\n", with_lhs[bench_pick(sizeof with_lhs / sizeof with_lhs[0])], exc());
        else if (r < 91)
            fprintf(f, "(%s OR %s) AND %s\n", lic(), lic(), lic());
        else if (r < 95)
            fprintf(f, "%s+\n", versioned[bench_pick(sizeof versioned / sizeof versioned[0])]);
        else if (r < 98)
            fprintf(f, "LicenseRef-scancode-%u%s\n", bench_pick(500), bench_pick(2) ? "" : " OR MIT");
        else
            fprintf(f, "%s AND (%s OR %s WITH %s)\n", lic(), lic(), with_lhs[bench_pick(6)], exc());
    }
    if (fclose(f) != 0)
        die("cannot write %s", path);
}

/* ---- parse ------------------------------------------------------------------------------- */

typedef struct lines {
    char *buf;
    size_t *off, *len;
    size_t n, bytes;
} lines;

static void
load(const char *path, lines *ls)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    ls->buf = malloc((size_t)size + 1);
    if (!ls->buf || fread(ls->buf, 1, (size_t)size, f) != (size_t)size)
        die("cannot read %s", path);
    fclose(f);
    ls->buf[size] = '\n';
    size_t cap = 1024;
    ls->off = malloc(cap * sizeof(size_t));
    ls->len = malloc(cap * sizeof(size_t));
    ls->n = 0;
    ls->bytes = 0;
    for (size_t p = 0; p < (size_t)size;) {
        char *nl = memchr(ls->buf + p, '\n', (size_t)size + 1 - p);
        size_t e = (size_t)(nl - ls->buf);
        if (ls->n == cap) {
            cap *= 2;
            ls->off = realloc(ls->off, cap * sizeof(size_t));
            ls->len = realloc(ls->len, cap * sizeof(size_t));
        }
        if (!ls->off || !ls->len)
            die("out of memory");
        ls->off[ls->n] = p;
        ls->len[ls->n++] = e - p;
        ls->bytes += e - p;
        p = e + 1;
    }
}

static int
cmp_lower(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* binary search over the sorted lowercased ids: the alternative to the hash table */
static int
bsearch_id(const char *const *sorted, size_t n, const char *s, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncasecmp(s, sorted[mid], len);
        if (c == 0 && sorted[mid][len] != '\0')
            c = -1;
        if (c == 0)
            return (int)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static ex_license_set *
set_of(const char *const *members, size_t n)
{
    ex_license_set *s;
    if (ex_license_set_new(&s) != EX_OK)
        die("out of memory");
    for (size_t i = 0; i < n; i++) {
        ex_license_err e;
        if (ex_license_set_add(s, members[i], &e) != EX_OK)
            die("set member '%s': %s", members[i], e.msg);
    }
    return s;
}

static void
parse(const char *path, int reps)
{
    lines ls;
    load(path, &ls);
    fprintf(stderr, "bench_spdx: %zu expressions, %zu bytes\n", ls.n, ls.bytes);
    size_t valid = 0;
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        size_t ok = 0;
        double t0 = now();
        for (size_t i = 0; i < ls.n; i++) {
            ex_license *l;
            if (ex_license_parse(ls.buf + ls.off[i], ls.len[i], &l, NULL) == EX_OK) {
                ok++;
                ex_license_free(l);
            }
        }
        double t = now() - t0;
        if (t < best)
            best = t;
        valid = ok;
    }

    /* evaluation of cached trees, as the policy engine does: both rules of POLICY.md */
    static const char *const admit[] = {"MIT",     "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause",
                                        "CC0-1.0", "CC-BY-4.0",  "CC-BY-SA-4.0"};
    static const char *const reject[] = {"CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-NC-ND-4.0"};
    ex_license_set *sa = set_of(admit, sizeof admit / sizeof admit[0]);
    ex_license_set *sr = set_of(reject, sizeof reject / sizeof reject[0]);
    ex_license **trees = malloc(ls.n * sizeof *trees);
    size_t nt = 0;
    for (size_t i = 0; i < ls.n; i++)
        if (ex_license_parse(ls.buf + ls.off[i], ls.len[i], &trees[nt], NULL) == EX_OK)
            nt++;
    double best_eval = 1e30;
    size_t admitted = 0, rejected = 0;
    for (int r = 0; r < reps; r++) {
        size_t a = 0, x = 0;
        double t0 = now();
        for (size_t i = 0; i < nt; i++) {
            x += (size_t)ex_license_all_in(trees[i], sr);
            a += (size_t)ex_license_admits(trees[i], sa);
        }
        double t = now() - t0;
        if (t < best_eval)
            best_eval = t;
        admitted = a;
        rejected = x;
    }

    /* id look-ups: every id, as listed and upper-cased, hash table against binary search */
    size_t nid = ex_spdx_count;
    const char **sorted = malloc(nid * sizeof *sorted);
    char **probe = malloc(2 * nid * sizeof *probe);
    for (size_t i = 0; i < nid; i++) {
        sorted[i] = ex_spdx_list[i].lower;
        probe[2 * i] = strdup(ex_spdx_list[i].id);
        probe[2 * i + 1] = strdup(ex_spdx_list[i].id);
        for (char *p = probe[2 * i + 1]; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 32);
    }
    qsort(sorted, nid, sizeof *sorted, cmp_lower);
    size_t *plen = malloc(2 * nid * sizeof *plen);
    for (size_t i = 0; i < 2 * nid; i++)
        plen[i] = strlen(probe[i]);
    int loops = 200;
    double best_h = 1e30, best_b = 1e30;
    long found_h = 0, found_b = 0;
    for (int r = 0; r < reps; r++) {
        long f = 0;
        double t0 = now();
        for (int k = 0; k < loops; k++)
            for (size_t i = 0; i < 2 * nid; i++)
                f += ex_spdx_find(probe[i], plen[i]) >= 0;
        double t = now() - t0;
        if (t < best_h)
            best_h = t;
        found_h = f;
        f = 0;
        t0 = now();
        for (int k = 0; k < loops; k++)
            for (size_t i = 0; i < 2 * nid; i++)
                f += bsearch_id(sorted, nid, probe[i], plen[i]) >= 0;
        t = now() - t0;
        if (t < best_b)
            best_b = t;
        found_b = f;
    }
    if (found_h != found_b || found_h != (long)(2 * nid * loops))
        die("look-ups disagree: hash %ld, binary search %ld", found_h, found_b);
    double nlook = 2.0 * (double)nid * loops;

    printf("{\"exprs\":%zu,\"bytes\":%zu,\"valid\":%zu,\"reps\":%d,\"parse_s\":%.4f,"
           "\"parse_per_s\":%.0f,\"parse_mb_per_s\":%.1f,\"eval_items\":%zu,\"eval_s\":%.4f,"
           "\"eval_per_s\":%.0f,\"admitted\":%zu,\"rejected\":%zu,\"lookup_hash_per_s\":%.0f,"
           "\"lookup_bsearch_per_s\":%.0f,\"peak_rss_mib\":%.1f}\n",
           ls.n, ls.bytes, valid, reps, best, (double)ls.n / best, (double)ls.bytes / best / 1e6,
           nt, best_eval, (double)nt / best_eval, admitted, rejected, nlook / best_h,
           nlook / best_b, peak_rss_mib());
    for (size_t i = 0; i < nt; i++)
        ex_license_free(trees[i]);
    for (size_t i = 0; i < 2 * nid; i++)
        free(probe[i]);
    free(probe);
    free(plen);
    free(sorted);
    free(trees);
    ex_license_set_free(sa);
    ex_license_set_free(sr);
    free(ls.buf);
    free(ls.off);
    free(ls.len);
}

/* ---- check ------------------------------------------------------------------------------- */

static void
check(const char *path)
{
    lines ls;
    load(path, &ls);
    for (size_t i = 0; i < ls.n; i++) {
        ex_license *l;
        ex_license_err e;
        if (ex_license_parse(ls.buf + ls.off[i], ls.len[i], &l, &e) == EX_OK) {
            json_t *j = ex_license_to_json(l);
            char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
            if (!s)
                die("out of memory");
            printf("ok\t%s\n", s);
            free(s);
            json_decref(j);
            ex_license_free(l);
        } else {
            printf("err\t%u\t%s\n", e.column, e.msg);
        }
    }
    free(ls.buf);
    free(ls.off);
    free(ls.len);
}

int
main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "gen") == 0) {
        gen(argv[2], strtoul(argv[3], NULL, 10), argc > 4 ? argv[4] : NULL);
    } else if (argc >= 3 && strcmp(argv[1], "parse") == 0) {
        int reps = argc > 3 ? atoi(argv[3]) : 5;
        parse(argv[2], reps > 0 ? reps : 1);
    } else if (argc == 3 && strcmp(argv[1], "check") == 0) {
        check(argv[2]);
    } else {
        fprintf(stderr, "usage: bench_spdx gen FILE N [IDS] | parse FILE [REPS] | check FILE\n");
        return 2;
    }
    return 0;
}
