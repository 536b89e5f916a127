/* bench_jsonl.c - throughput of the JSONL reader (not a test: never run by ctest).
 *
 *   bench_jsonl gen FILE SIZE_MB [SEED]  write about SIZE_MB MiB of deterministic web-text-like
 *                                        JSONL to FILE ("-": stdout): 1-5 KB texts in several
 *                                        languages, escapes, \u escapes with surrogate pairs,
 *                                        some lines escaped to ASCII as Python's json.dumps does,
 *                                        varied URLs, ids, licenses, nested metadata
 *   bench_jsonl extract FILE [REPS]      on an in-memory copy of FILE (plain JSONL): validate
 *                                        every line and extract the five default fields (text
 *                                        decoded), with our scanner and with jansson
 *                                        (json_loadb + json_object_get); best of REPS (3)
 *   bench_jsonl ingest FILE [REPS]       ex_read_jsonl end to end (read, decompress, scan,
 *                                        decode, SHA-256 of each text); best of REPS (1)
 *
 * Each subcommand prints one line of JSON to stdout; progress goes to stderr. Rates are
 * decompressed bytes per second (GB = 1e9 bytes). Peak RSS is getrusage ru_maxrss. */
#include "ingest/instream.h"
#include "ingest/jsonscan.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#define BENCH_NAME "bench_jsonl"
#include "bench_util.h"

/* ---- gen -------------------------------------------------------------------------------- */

static const char *const words_en[] = {
    "the",         "of",         "and",         "to",          "in",
    "a",           "is",         "that",        "for",         "it",
    "as",          "was",        "with",        "be",          "by",
    "on",          "not",        "he",          "this",        "are",
    "or",          "his",        "from",        "at",          "which",
    "but",         "have",       "an",          "had",         "they",
    "you",         "were",       "their",       "one",         "all",
    "we",          "can",        "her",         "has",         "there",
    "been",        "if",         "more",        "when",        "will",
    "would",       "who",        "so",          "no",          "data",
    "training",    "model",      "license",     "research",    "university",
    "government",  "people",     "information", "development", "community",
    "important",   "different",  "following",   "available",   "however",
    "including",   "students",   "published",   "according",   "national",
    "management",  "experience", "technology",  "production",  "understanding",
    "performance", "don’t",      "it’s",        "“quoted”",    "—",
    "café",        "naïve",      "résumé",      "über",        "déjà",
    "São",         "Zürich",     "€100",        "±5%",         "°C",
    "©2024",       "…"};
static const char *const words_de[] = {
    "der",         "die",     "und",   "in",      "den",    "von",      "zu",
    "das",         "mit",     "sich",  "des",     "auf",    "für",      "ist",
    "im",          "dem",     "nicht", "ein",     "Größe",  "Straße",   "Müller",
    "schön",       "über",    "hören", "Mädchen", "Bücher", "außerdem", "Öffentlichkeit",
    "Übersetzung", "Prüfung", "dafür"};
static const char *const words_fr[] = {
    "le",       "de",     "un",      "être",     "et",     "à",    "il",   "avoir", "ne",
    "je",       "son",    "que",     "se",       "qui",    "ce",   "dans", "en",    "du",
    "elle",     "au",     "été",     "français", "garçon", "déjà", "où",   "très",  "après",
    "problème", "réseau", "société", "à côté",   "Noël",   "cœur", "ça"};
static const char *const words_ru[] = {
    "и",       "в",        "не",       "на",           "я",           "быть",         "он",
    "с",       "что",      "а",        "по",           "это",         "она",          "этот",
    "к",       "но",       "они",      "мы",           "как",         "из",           "у",
    "который", "то",       "за",       "свой",         "весь",        "год",          "от",
    "данные",  "обучение", "лицензия", "исследование", "университет", "правительство"};
static const char *const words_zh[] = {
    "的",   "一",   "是",     "不",   "了",   "在",   "人",   "有",   "我", "他",
    "这",   "个",   "们",     "中",   "来",   "上",   "大",   "为",   "和", "国",
    "地",   "到",   "以",     "说",   "时",   "要",   "就",   "出",   "会", "数据",
    "训练", "模型", "许可证", "研究", "大学", "政府", "信息", "发展", "。", "，"};
static const char *const licenses[] = {"CC-BY-4.0",
                                       "CC-BY-SA-4.0",
                                       "MIT",
                                       "Apache-2.0",
                                       "CC0-1.0",
                                       "cc-by-nc-4.0",
                                       "GPL-3.0-or-later",
                                       "Apache-2.0 OR MIT",
                                       "LicenseRef-Proprietary",
                                       "ODC-By-1.0",
                                       "unknown"};
static const char *const hosts[] = {
    "en.wikipedia.org",       "www.example.com",     "blog.example.org",
    "news.example.net",       "forum.example.co.uk", "de.wikipedia.org",
    "www.lemonde.example.fr", "habr.example.ru",     "zhihu.example.cn",
    "docs.example.io",        "xn--caf-dma.example", "stackoverflow.example.com"};

typedef struct gbuf {
    char *p;
    size_t len, cap;
} gbuf;

static void
gput(gbuf *b, const void *s, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        if (!(b->p = realloc(b->p, b->cap)))
            die("out of memory");
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void
gputs(gbuf *b, const char *s)
{
    gput(b, s, strlen(s));
}

/* The decoded text of one document: sentences of words from one language, paragraphs. */
static void
gen_text(gbuf *t, size_t target, const char *const *w, unsigned nw, int spaces)
{
    t->len = 0;
    unsigned in_sentence = 0;
    while (t->len < target) {
        const char *word = w[bench_pick(nw)];
        if (in_sentence == 0 && spaces) {
            /* capitalise ASCII sentence starts */
            char c = word[0];
            gput(t, &(char){c >= 'a' && c <= 'z' ? (char)(c - 32) : c}, 1);
            gputs(t, word + 1);
        } else {
            gputs(t, word);
        }
        in_sentence++;
        unsigned r = bench_pick(1000);
        if (in_sentence > 6 && r < 120) {
            gputs(t, spaces ? "." : "。");
            in_sentence = 0;
            unsigned q = bench_pick(100);
            if (q < 25)
                gputs(t, "\n");
            else if (q < 28)
                gputs(t, "\n\n");
            else if (spaces)
                gputs(t, " ");
        } else if (r < 150) {
            gputs(t, spaces ? ", " : "，");
        } else if (r < 153) {
            gputs(t, " \"quoted\" ");
        } else if (r < 154) {
            gputs(t, " C:\\Users\\path\t");
        } else if (r < 155) {
            gputs(t, " 😀 ");
        } else if (r < 156) {
            gputs(t, " </script> ");
        } else if (spaces) {
            gputs(t, " ");
        }
    }
}

/* Append s[0..n) as a JSON string body; ascii: escape all non-ASCII as \uXXXX (with
 * surrogate pairs), as Python's json.dumps does by default. */
static void
gen_escape(gbuf *o, const char *s, size_t n, int ascii)
{
    static const char hx[] = "0123456789abcdef";
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        char e[16];
        size_t el = 0, adv = 1;
        if (c == '"' || c == '\\') {
            e[0] = '\\', e[1] = (char)c, el = 2;
        } else if (c == '\n') {
            memcpy(e, "\\n", 2), el = 2;
        } else if (c == '\t') {
            memcpy(e, "\\t", 2), el = 2;
        } else if (c < 0x20) {
            snprintf(e, sizeof e, "\\u%04x", c), el = 6;
        } else if (c >= 0x80 && ascii) {
            unsigned long u;
            if (c < 0xe0)
                u = (c & 0x1fu) << 6 | (s[i + 1] & 0x3fu), adv = 2;
            else if (c < 0xf0)
                u = (c & 0x0fu) << 12 | (s[i + 1] & 0x3fu) << 6 | (s[i + 2] & 0x3fu), adv = 3;
            else
                u = (c & 0x07ul) << 18 | (s[i + 1] & 0x3ful) << 12 | (s[i + 2] & 0x3ful) << 6 |
                    (s[i + 3] & 0x3ful),
                adv = 4;
            unsigned long a = u, b = 0;
            if (u >= 0x10000) {
                a = 0xd800 + ((u - 0x10000) >> 10);
                b = 0xdc00 + ((u - 0x10000) & 0x3ff);
            }
            for (int k = 0; k < (b ? 2 : 1); k++) {
                unsigned long x = k ? b : a;
                e[el++] = '\\', e[el++] = 'u';
                for (int d = 3; d >= 0; d--)
                    e[el++] = hx[(x >> (4 * d)) & 15];
            }
        }
        if (el) {
            gput(o, s + run, i - run);
            gput(o, e, el);
            run = i + adv;
        }
        i += adv;
    }
    gput(o, s + run, n - run);
}

static int
cmd_gen(const char *path, double size_mb)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!f)
        die("cannot open '%s'", path);
    uint64_t total = (uint64_t)(size_mb * 1048576.0), written = 0, lines = 0;
    gbuf t = {0}, o = {0};
    char tmp[512];
    while (written < total) {
        unsigned lang = bench_pick(100), ascii = bench_pick(100) < 8;
        size_t target = 1000 + bench_pick(4000);
        if (lang < 72)
            gen_text(&t, target, words_en, sizeof words_en / sizeof *words_en, 1);
        else if (lang < 80)
            gen_text(&t, target, words_de, sizeof words_de / sizeof *words_de, 1);
        else if (lang < 88)
            gen_text(&t, target, words_fr, sizeof words_fr / sizeof *words_fr, 1);
        else if (lang < 94)
            gen_text(&t, target, words_ru, sizeof words_ru / sizeof *words_ru, 1);
        else
            gen_text(&t, target / 2, words_zh, sizeof words_zh / sizeof *words_zh, 0);
        o.len = 0;
        const char *host = hosts[bench_pick(sizeof hosts / sizeof *hosts)];
        unsigned layout = bench_pick(4);
        snprintf(tmp, sizeof tmp,
                 "{\"id\":%s%" PRIu64 "%s,\"url\":\"https://%s/wiki/Page_%u?ref=%u&amp;x=%s\"",
                 layout == 1 ? "" : "\"doc-", lines, layout == 1 ? "" : "\"", host, bench_pick(1000000),
                 bench_pick(100), layout == 2 ? "a\\/b" : "ab");
        gputs(&o, tmp);
        if (layout != 3) {
            gputs(&o, ",\"text\":\"");
            gen_escape(&o, t.p, t.len, ascii);
            gputs(&o, "\"");
        }
        unsigned lic = bench_pick(12);
        if (lic < 11)
            snprintf(tmp, sizeof tmp, ",\"license\":\"%s\"", licenses[lic]);
        else
            snprintf(tmp, sizeof tmp, ",\"license\":null");
        gputs(&o, tmp);
        snprintf(tmp, sizeof tmp,
                 ",\"fetched\":\"2024-%02u-%02uT%02u:%02u:%02uZ\",\"meta\":{\"lang\":\"%s\","
                 "\"score\":%u.%03u,\"tokens\":%u,\"tags\":[\"web\",\"cc-main\",%u],"
                 "\"source\":{\"crawl\":\"CC-MAIN-2024-%02u\",\"warc\":null}}",
                 1 + bench_pick(12), 1 + bench_pick(28), bench_pick(24), bench_pick(60), bench_pick(60),
                 lang < 72   ? "en"
                 : lang < 80 ? "de"
                 : lang < 88 ? "fr"
                 : lang < 94 ? "ru"
                             : "zh",
                 bench_pick(1), bench_pick(1000), (unsigned)t.len / 4, bench_pick(10), 10 + bench_pick(40));
        gputs(&o, tmp);
        if (layout == 3) {
            gputs(&o, ", \"text\": \"");
            gen_escape(&o, t.p, t.len, ascii);
            gputs(&o, "\"");
        }
        gputs(&o, "}\n");
        if (fwrite(o.p, 1, o.len, f) != o.len)
            die("cannot write '%s'", path);
        written += o.len;
        lines++;
    }
    if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
        die("cannot write '%s'", path);
    free(t.p);
    free(o.p);
    /* the summary goes to stderr when the data went to stdout */
    fprintf(f == stdout ? stderr : stdout,
            "{\"bench\":\"gen\",\"file\":\"%s\",\"bytes\":%" PRIu64 ",\"lines\":%" PRIu64 "}\n",
            path, written, lines);
    return 0;
}

/* ---- extract ---------------------------------------------------------------------------- */

static uint8_t *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0)
        die("cannot open '%s'", path);
    uint8_t *p = malloc((size_t)sb.st_size + 1);
    if (!p)
        die("out of memory");
    if (fread(p, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size)
        die("cannot read '%s'", path);
    fclose(f);
    *len = (size_t)sb.st_size;
    return p;
}

typedef struct tally {
    uint64_t lines, items, bad, text_bytes, sink;
} tally;

/* Our scanner: validate each line, extract the five fields, decode the text and the short
 * strings: what the reader does per line, without the digest. */
static void
run_ours(const uint8_t *d, size_t len, tally *t)
{
    static const char *const paths[] = {"text", "url", "id", "license", "fetched"};
    ex_jscan_spec spec;
    ex_jscan_result r;
    if (ex_jscan_compile(&spec, paths, 5, NULL) != EX_OK)
        die("compile");
    size_t tcap = 1 << 20, scap = 1 << 16;
    uint8_t *text = malloc(tcap), *strs = malloc(scap);
    memset(t, 0, sizeof *t);
    for (size_t ls = 0; ls < len;) {
        const uint8_t *nl = memchr(d + ls, '\n', len - ls);
        size_t le = nl ? (size_t)(nl - d) : len;
        const uint8_t *line = d + ls;
        t->lines++;
        if (ex_jscan_line(&spec, line, le - ls, &r) == EX_JSCAN_OK && r.top == EX_JSON_OBJECT &&
            r.v[0].type == EX_JSON_STRING) {
            const ex_jscan_val *v = &r.v[0];
            if (v->len > tcap && !(text = realloc(text, tcap = v->len)))
                die("out of memory");
            size_t n = v->escaped ? ex_jscan_unescape(line + v->off, v->len, text) : v->len;
            t->text_bytes += n;
            for (int f = 1; f < 5; f++) {
                v = &r.v[f];
                if (v->type != EX_JSON_STRING)
                    continue;
                if (v->len + 1 > scap && !(strs = realloc(strs, scap = v->len + 1)))
                    die("out of memory");
                size_t m = v->escaped ? ex_jscan_unescape(line + v->off, v->len, strs) : v->len;
                t->sink += m;
            }
            t->items++;
        } else {
            t->bad++;
        }
        ls = le + 1;
    }
    free(text);
    free(strs);
}

static void
run_jansson(const uint8_t *d, size_t len, tally *t)
{
    static const char *const keys[] = {"text", "url", "id", "license", "fetched"};
    memset(t, 0, sizeof *t);
    for (size_t ls = 0; ls < len;) {
        const uint8_t *nl = memchr(d + ls, '\n', len - ls);
        size_t le = nl ? (size_t)(nl - d) : len;
        json_error_t e;
        t->lines++;
        json_t *root = json_loadb((const char *)d + ls, le - ls, 0, &e);
        json_t *text = root ? json_object_get(root, "text") : NULL;
        if (text && json_is_string(text)) {
            t->text_bytes += json_string_length(text);
            for (int f = 1; f < 5; f++) {
                json_t *v = json_object_get(root, keys[f]);
                if (json_is_string(v))
                    t->sink += json_string_length(v);
            }
            t->items++;
        } else {
            t->bad++;
        }
        json_decref(root);
        ls = le + 1;
    }
}

static int
cmd_extract(const char *path, int reps)
{
    size_t len;
    uint8_t *d = slurp(path, &len);
    double best_ours = 1e30, best_jansson = 1e30;
    tally a, b;
    for (int i = 0; i < reps; i++) {
        double t0 = now();
        run_ours(d, len, &a);
        double t1 = now();
        if (t1 - t0 < best_ours)
            best_ours = t1 - t0;
        fprintf(stderr, "extract ours %d: %.3f s (%.2f GB/s)\n", i, t1 - t0, len / (t1 - t0) / 1e9);
    }
    for (int i = 0; i < reps; i++) {
        double t0 = now();
        run_jansson(d, len, &b);
        double t1 = now();
        if (t1 - t0 < best_jansson)
            best_jansson = t1 - t0;
        fprintf(stderr, "extract jansson %d: %.3f s (%.2f GB/s)\n", i, t1 - t0,
                len / (t1 - t0) / 1e9);
    }
    if (a.items != b.items || a.bad != b.bad || a.text_bytes != b.text_bytes || a.sink != b.sink)
        die("ours and jansson disagree: items %" PRIu64 "/%" PRIu64 ", bad %" PRIu64 "/%" PRIu64
            ", text bytes %" PRIu64 "/%" PRIu64,
            a.items, b.items, a.bad, b.bad, a.text_bytes, b.text_bytes);
    printf("{\"bench\":\"extract\",\"bytes\":%zu,\"lines\":%" PRIu64 ",\"items\":%" PRIu64
           ",\"quarantined\":%" PRIu64 ",\"text_bytes\":%" PRIu64 ",\"ours_s\":%.4f,"
           "\"ours_gbps\":%.3f,\"jansson_s\":%.4f,\"jansson_gbps\":%.3f,\"speedup\":%.2f,"
           "\"peak_rss_mib\":%.1f}\n",
           len, a.lines, a.items, a.bad, a.text_bytes, best_ours, len / best_ours / 1e9,
           best_jansson, len / best_jansson / 1e9, best_jansson / best_ours, peak_rss_mib());
    free(d);
    return 0;
}

/* ---- ingest ----------------------------------------------------------------------------- */

typedef struct counts {
    uint64_t items, quarantined, text_bytes, last_offset;
    uint8_t x; /* folds digests so that nothing is optimised away */
} counts;

static int
on_item(void *ctx, const ex_item *it)
{
    counts *c = ctx;
    c->items++;
    c->text_bytes += it->size;
    c->last_offset = it->offset;
    c->x ^= it->digest[0];
    return EX_OK;
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    counts *c = ctx;
    if (c->quarantined++ < 5)
        fprintf(stderr, "quarantined: %s\n", q->reason);
    return EX_OK;
}

static int
cmd_ingest(const char *path, int reps)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        die("cannot open '%s'", path);
    double best = 1e30;
    counts c;
    uint64_t bytes = 0;
    for (int i = 0; i < reps; i++) {
        memset(&c, 0, sizeof c);
        ex_reader_cb cb = {on_item, on_quarantine, &c, 0};
        ex_err e = {0};
        double t0 = now();
        int rc = ex_read_jsonl(path, NULL, &cb, &e);
        double t1 = now();
        if (rc != EX_OK)
            die("ex_read_jsonl: %s: %s", ex_strerror(rc), e.msg);
        if (t1 - t0 < best)
            best = t1 - t0;
        fprintf(stderr, "ingest %d: %.3f s\n", i, t1 - t0);
    }
    double rss = peak_rss_mib();
    /* the decompressed size, for the rate: one more pass through the instream, untimed and
     * after the RSS reading */
    ex_instream *s;
    ex_err e = {0};
    if (ex_instream_open(path, &s, &e) != EX_OK)
        die("%s", e.msg);
    static uint8_t chunk[1 << 20];
    size_t n;
    while (ex_instream_read(s, chunk, sizeof chunk, &n, &e) == EX_OK && n > 0)
        ;
    bytes = ex_instream_pos(s);
    int comp = ex_instream_compression(s);
    ex_instream_close(s);
    printf("{\"bench\":\"ingest\",\"file\":\"%s\",\"compression\":\"%s\","
           "\"file_bytes\":%lld,\"bytes\":%" PRIu64 ",\"items\":%" PRIu64
           ",\"quarantined\":%" PRIu64 ",\"text_bytes\":%" PRIu64 ",\"seconds\":%.4f,"
           "\"gbps\":%.3f,\"peak_rss_mib\":%.1f}\n",
           path,
           comp == EX_COMP_ZSTD   ? "zstd"
           : comp == EX_COMP_GZIP ? "gzip"
                                  : "none",
           (long long)sb.st_size, bytes, c.items, c.quarantined, c.text_bytes, best,
           bytes / best / 1e9, rss);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "gen") == 0) {
        if (argc >= 5)
            bench_seed(strtoull(argv[4], NULL, 10));
        return cmd_gen(argv[2], atof(argv[3]));
    }
    if (argc >= 3 && strcmp(argv[1], "extract") == 0)
        return cmd_extract(argv[2], argc >= 4 ? atoi(argv[3]) : 3);
    if (argc >= 3 && strcmp(argv[1], "ingest") == 0)
        return cmd_ingest(argv[2], argc >= 4 ? atoi(argv[3]) : 1);
    fprintf(stderr, "usage: bench_jsonl gen FILE SIZE_MB [SEED] | extract FILE [REPS] | "
                    "ingest FILE [REPS]\n");
    return 2;
}
