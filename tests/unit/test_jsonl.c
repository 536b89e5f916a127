/* test_jsonl.c - the JSONL reader on files written here: items (decoded text, digests, fields
 * by dotted path), every quarantine reason with its line, offset and member, line endings,
 * gzip and zstd (multi-member, truncated) against plain, callbacks that stop the reader, and a
 * differential check of the scanner against jansson on generated and mutated lines. Needs the
 * gzip and zstd programs. */
#include "ingest/jsonscan.h"
#include "t.h"

#include <jansson.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[4096];
static ex_sha256 *sha;

/* ---- collecting what the reader reports -------------------------------------------------- */

typedef struct got_item {
    uint8_t *content;
    size_t content_len;
    uint64_t size, offset, member, line;
    uint8_t digest[EX_HASH_BYTES];
    char *url, *id, *license, *fetched;
} got_item;

typedef struct got_q {
    char *reason;
    uint64_t offset, member, line;
} got_q;

typedef struct got {
    got_item *items;
    size_t n;
    got_q *qs;
    size_t nq;
    size_t stop_item; /* return EX_ETOOBIG from the item callback number stop_item (1-based) */
    size_t stop_q;    /* likewise for quarantines */
    const char *file; /* expected file name in every report */
    int bad_file;     /* a report named another file */
} got;

static char *
dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int
on_item(void *ctx, const ex_item *it)
{
    got *g = ctx;
    uint8_t d[EX_HASH_BYTES];
    /* invariants of every item: valid UTF-8, the digest is that of the content */
    CHECK(it->content_len <= it->size && it->content_len <= EX_ITEM_INLINE_MAX);
    if (it->content_len == it->size) {
        CHECK(ex_sha256_digest(sha, it->content, it->content_len, d) == EX_OK &&
              memcmp(d, it->digest, EX_HASH_BYTES) == 0);
        CHECK(ex_utf8_valid((const char *)it->content, it->content_len));
    }
    if (g->file && strcmp(it->file, g->file) != 0)
        g->bad_file = 1;
    g->items = realloc(g->items, (g->n + 1) * sizeof *g->items);
    got_item *c = &g->items[g->n++];
    c->content = malloc(it->content_len + 1);
    memcpy(c->content, it->content, it->content_len);
    c->content_len = it->content_len;
    c->size = it->size;
    c->offset = it->offset;
    c->member = it->member;
    c->line = it->line;
    memcpy(c->digest, it->digest, EX_HASH_BYTES);
    c->url = dup_or_null(it->url);
    c->id = dup_or_null(it->record_id);
    c->license = dup_or_null(it->license);
    c->fetched = dup_or_null(it->fetched);
    return g->n == g->stop_item ? EX_ETOOBIG : EX_OK;
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    got *g = ctx;
    if (g->file && strcmp(q->file, g->file) != 0)
        g->bad_file = 1;
    g->qs = realloc(g->qs, (g->nq + 1) * sizeof *g->qs);
    got_q *c = &g->qs[g->nq++];
    c->reason = strdup(q->reason);
    c->offset = q->offset;
    c->member = q->member;
    c->line = q->line;
    return g->nq == g->stop_q ? EX_ETOOBIG : EX_OK;
}

static void
got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        got_item *c = &g->items[i];
        free(c->content);
        free(c->url);
        free(c->id);
        free(c->license);
        free(c->fetched);
    }
    for (size_t i = 0; i < g->nq; i++)
        free(g->qs[i].reason);
    free(g->items);
    free(g->qs);
    memset(g, 0, sizeof *g);
}

static const char *
path_of(const char *name)
{
    static char p[2][4200];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void
write_file(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(path_of(name), "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

static void
sh(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    CHECK(rc == 0);
}

/* Read a file written into the temporary directory; returns ex_read_jsonl's code. */
static int
read_named(const char *name, const ex_jsonl_fields *fields, got *g, ex_err *e)
{
    const char *p = path_of(name);
    g->file = p;
    ex_reader_cb cb = {on_item, on_quarantine, g, 0};
    int rc = ex_read_jsonl(p, fields, &cb, e);
    CHECK(!g->bad_file);
    return rc;
}

static void
check_digest(const got_item *it, const void *expect, size_t len)
{
    uint8_t d[EX_HASH_BYTES];
    CHECK_RC(ex_sha256_digest(sha, expect, len, d), EX_OK);
    CHECK(memcmp(d, it->digest, EX_HASH_BYTES) == 0);
    CHECK(it->size == len && it->content_len == len && memcmp(it->content, expect, len) == 0);
}

/* ---- items -------------------------------------------------------------------------------- */

static void
test_items(void)
{
    /* escapes of every kind, \u with surrogate pairs, raw UTF-8, numbers as ids, nulls */
    const char data[] =
        "{\"text\":\"plain\",\"url\":\"https://a.example/x\",\"id\":\"d1\",\"license\":\"MIT\","
        "\"fetched\":\"2024-05-01T00:00:00Z\"}\n"
        "{\"id\": 42, \"text\": \"q\\\"b\\\\s\\/f\\b\\f\\n\\r\\t|\\u00e9\\u20AC\\ud83d\\ude00|"
        "caf\xc3\xa9 \xf0\x9f\x98\x80\", \"url\": null}\n"
        "{\"text\":\"nul\\u0000inside\",\"id\":-1.5e3,\"license\":\"Apache-2.0 OR MIT\","
        "\"url\":\"https:\\/\\/b.example\\/\\u00e9\"}\n"
        "{\"text\":\"\"}\n";
    write_file("items.jsonl", data, sizeof data - 1);
    got g = {0};
    ex_err e = {0};
    CHECK_RC(read_named("items.jsonl", NULL, &g, &e), EX_OK);
    CHECK(g.n == 4 && g.nq == 0);
    if (g.n != 4)
        goto out;
    check_digest(&g.items[0], "plain", 5);
    CHECK_STR(g.items[0].url, "https://a.example/x");
    CHECK_STR(g.items[0].id, "d1");
    CHECK_STR(g.items[0].license, "MIT");
    CHECK_STR(g.items[0].fetched, "2024-05-01T00:00:00Z");
    CHECK(g.items[0].offset == 0 && g.items[0].member == 0 && g.items[0].line == 1);

    static const char dec[] = "q\"b\\s/f\b\f\n\r\t|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|"
                              "caf\xc3\xa9 \xf0\x9f\x98\x80";
    check_digest(&g.items[1], dec, sizeof dec - 1);
    CHECK_STR(g.items[1].id, "42");
    CHECK(g.items[1].url == NULL && g.items[1].license == NULL && g.items[1].fetched == NULL);
    size_t off1 = strchr(data, '\n') - data + 1;
    CHECK(g.items[1].offset == off1 && g.items[1].member == off1 && g.items[1].line == 2);

    /* \u0000 stays a NUL byte in the text; a number id is its literal text */
    check_digest(&g.items[2], "nul\0inside", 10);
    CHECK_STR(g.items[2].id, "-1.5e3");
    CHECK_STR(g.items[2].url, "https://b.example/\xc3\xa9");
    CHECK_STR(g.items[2].license, "Apache-2.0 OR MIT");
    check_digest(&g.items[3], "", 0);
    CHECK(g.items[3].line == 4);
out:
    got_free(&g);
}

static void
test_nested(void)
{
    /* dotted paths; arrays are not entered; a key spelled with escapes still matches; a
     * prefix that is not an object leaves the field absent */
    const char data[] =
        "{\"doc\":{\"body\":\"nested text\",\"meta\":{\"src\":{\"url\":\"https://n.example/\"}}},"
        "\"text\":\"top-level, not asked for\",\"ids\":[{\"id\":\"no\"}],\"m\":{\"id\":7}}\n"
        "{\"doc\":{\"b\\u006fdy\":\"escaped key\",\"meta\":5},\"m\":[{\"id\":\"no\"}]}\n"
        "{\"doc\":{\"meta\":{\"src\":{\"url\":\"u\"}}}}\n"
        "{\"doc\":\"not an object\"}\n";
    write_file("nested.jsonl", data, sizeof data - 1);
    ex_jsonl_fields f = {.text = "doc.body", .url = "doc.meta.src.url", .id = "m.id"};
    got g = {0};
    ex_err e = {0};
    CHECK_RC(read_named("nested.jsonl", &f, &g, &e), EX_OK);
    CHECK(g.n == 2 && g.nq == 2);
    if (g.n == 2) {
        check_digest(&g.items[0], "nested text", 11);
        CHECK_STR(g.items[0].url, "https://n.example/");
        CHECK_STR(g.items[0].id, "7");
        check_digest(&g.items[1], "escaped key", 11);
        CHECK(g.items[1].url == NULL && g.items[1].id == NULL);
    }
    if (g.nq == 2) {
        CHECK_STR(g.qs[0].reason, "line 3: missing field 'doc.body'");
        CHECK_STR(g.qs[1].reason, "line 4: missing field 'doc.body'");
        CHECK(g.qs[1].line == 4);
    }
    got_free(&g);

    /* bad paths are refused before reading */
    ex_jsonl_fields bad = {.url = "a..b"};
    CHECK_RC(read_named("nested.jsonl", &bad, &g, &e), EX_EINVAL);
    CHECK(strstr(e.msg, "empty segment") != NULL);
    got_free(&g);
}

/* ---- line endings, blank lines, BOM ------------------------------------------------------- */

static void
test_lines(void)
{
    const char data[] = "\xef\xbb\xbf{\"text\":\"bom\"}\r\n"
                        "\r\n"
                        "   \t \n"
                        "\n"
                        "{\"text\":\"crlf\"} \r\n"
                        "{\"text\":\"last, no newline\"}";
    write_file("lines.jsonl", data, sizeof data - 1);
    got g = {0};
    ex_err e = {0};
    CHECK_RC(read_named("lines.jsonl", NULL, &g, &e), EX_OK);
    CHECK(g.n == 3 && g.nq == 0);
    if (g.n == 3) {
        check_digest(&g.items[0], "bom", 3);
        CHECK(g.items[0].line == 1 && g.items[0].offset == 0);
        check_digest(&g.items[1], "crlf", 4);
        CHECK(g.items[1].line == 5);
        CHECK(g.items[1].offset == (uint64_t)(strstr(data, "{\"text\":\"crlf") - data));
        check_digest(&g.items[2], "last, no newline", 16);
        CHECK(g.items[2].line == 6);
    }
    got_free(&g);

    /* nothing at all, and only blank lines */
    write_file("empty.jsonl", "", 0);
    CHECK_RC(read_named("empty.jsonl", NULL, &g, &e), EX_OK);
    CHECK(g.n == 0 && g.nq == 0);
    got_free(&g);
    write_file("blank.jsonl", "\n\n \r\n", 5);
    CHECK_RC(read_named("blank.jsonl", NULL, &g, &e), EX_OK);
    CHECK(g.n == 0 && g.nq == 0);
    got_free(&g);
}

/* ---- quarantine reasons ------------------------------------------------------------------ */

static void
test_quarantine(void)
{
    static const struct {
        const char *line;
        const char *reason; /* without the "line N: " prefix */
    } cases[] = {
        {"{\"text\": \"a\",}",
         "malformed JSON at column 14: unexpected '}', expected a string key"},
        {"{\"text\": \"a\"", "malformed JSON at column 13: unexpected end of line, expected ',' or "
                             "'}' in an object"},
        {"{\"text\": \"a}", "malformed JSON at column 10: unterminated string"},
        {"{\"text\": \"a\"} x", "malformed JSON at column 15: unexpected 'x', expected the end of "
                                "the line after the value"},
        {"{\"text\": \"a\\q\"}",
         "malformed JSON at column 12: invalid escape '\\' followed by 'q'"},
        {"{\"text\": \"a\tb\"}", "malformed JSON at column 12: control character 0x09 in a string"},
        {"{\"text\": \"\\u12g4\"}", "malformed JSON at column 11: invalid \\u escape"},
        {"{\"text\": 01}", "malformed JSON at column 10: invalid number"},
        {"{\"text\": tru}", "malformed JSON at column 10: invalid literal (expected 'true')"},
        {"{text: 1}", "malformed JSON at column 2: unexpected 't', expected a string key"},
        {"{\"a\" 1}",
         "malformed JSON at column 6: unexpected '1', expected ':' after an object key"},
        {"[1, 2]", "not a JSON object (found array)"},
        {"\"text\"", "not a JSON object (found string)"},
        {"{\"url\": \"x\"}", "missing field 'text'"},
        {"{\"text\": null}", "field 'text' is not a string (found null)"},
        {"{\"text\": [\"a\"]}", "field 'text' is not a string (found array)"},
        {"{\"text\": \"ab\xff\"}", "invalid UTF-8 in field 'text' at column 13"},
        {"{\"text\": \"ab\xc3\xa9\xed\xa0\x80\"}", "invalid UTF-8 in field 'text' at column 15"},
        {"{\"text\": \"ok\", \"other\": \"\xc3\"}", "invalid UTF-8 at column 26"},
        {"{\"text\": \"ok\"\xff}", "invalid UTF-8 at column 14"},
        {"{\"text\": \"x\\ud800y\"}", "unpaired surrogate escape '\\ud800' at column 12"},
        {"{\"text\": \"x\\udc00\"}", "unpaired surrogate escape '\\udc00' at column 12"},
        {"{\"text\": \"x\\uD83D\\u0041\"}", "unpaired surrogate escape '\\uD83D' at column 12"},
        {"{\"k\": \"\\ud800\", \"text\": \"x\"}",
         "unpaired surrogate escape '\\ud800' at column 8"},
        {"{\"text\": \"a\", \"text\": \"b\"}",
         "duplicate key 'text' on the path of field 'text' at column 15"},
        {"{\"text\": \"a\", \"url\": 5}", "field 'url' is not a string (found number)"},
        {"{\"text\": \"a\", \"id\": true}", "field 'id' is not a string (found boolean)"},
        {"{\"text\": \"a\", \"license\": {\"spdx\": \"MIT\"}}",
         "field 'license' is not a string (found object)"},
        {"{\"text\": \"a\", \"fetched\": \"2024\\u0000\"}", "field 'fetched' contains \\u0000"},
    };
    size_t n = sizeof cases / sizeof *cases;
    ex_buf b = {0};
    uint64_t *offs = calloc(n + 1, sizeof *offs);
    for (size_t i = 0; i < n; i++) {
        offs[i] = b.len;
        CHECK_RC(ex_buf_puts(&b, cases[i].line), EX_OK);
        CHECK_RC(ex_buf_puts(&b, i % 4 == 3 ? "\r\n" : "\n"), EX_OK);
    }
    offs[n] = b.len;
    CHECK_RC(ex_buf_puts(&b, "{\"text\": \"still read after all that\"}\n"), EX_OK);
    write_file("bad.jsonl", b.data, b.len);
    got g = {0};
    ex_err e = {0};
    CHECK_RC(read_named("bad.jsonl", NULL, &g, &e), EX_OK);
    CHECK(g.nq == n && g.n == 1);
    for (size_t i = 0; i < n && i < g.nq; i++) {
        char want[512];
        snprintf(want, sizeof want, "line %zu: %s", i + 1, cases[i].reason);
        CHECK_STR(g.qs[i].reason, want);
        CHECK(g.qs[i].line == i + 1 && g.qs[i].offset == offs[i] && g.qs[i].member == offs[i]);
    }
    if (g.n == 1)
        CHECK(g.items[0].line == n + 1 && g.items[0].offset == offs[n]);
    got_free(&g);

    /* the same through the memory parser */
    ex_reader_cb cb = {on_item, on_quarantine, &g, 0};
    CHECK_RC(ex_jsonl_parse_buffer((const uint8_t *)b.data, b.len, NULL, &cb, &e), EX_OK);
    CHECK(g.nq == n && g.n == 1);
    if (g.nq == n)
        CHECK(strncmp(g.qs[n - 1].reason, "line 29: field 'fetched'", 24) == 0);
    got_free(&g);
    free(offs);
    ex_buf_free(&b);
}

/* Lines at and over EX_JSONL_LINE_MAX: the one at the limit is read (its content handed over
 * up to EX_ITEM_INLINE_MAX, the digest over all of it); one byte over, and megabytes over (the
 * reader then drops bytes up to the newline as they come), are quarantined; reading goes on.
 * Plain and zstd give the same reports. */
static void
test_long_lines(void)
{
    size_t max = EX_JSONL_LINE_MAX;
    const char *head = "{\"text\":\"", *tail = "\"}\n";
    size_t body = max - strlen(head) - 2;
    FILE *f = fopen(path_of("long.jsonl"), "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    char *chunk = malloc(1 << 20);
    memset(chunk, 'a', 1 << 20);
    for (int k = 0; k < 3; k++) {
        size_t left = body + (k == 2 ? (size_t)3 << 20 : (size_t)k);
        fputs(head, f);
        while (left) {
            size_t w = left < (1u << 20) ? left : (1u << 20);
            fwrite(chunk, 1, w, f);
            left -= w;
        }
        fputs(tail, f);
    }
    fputs("{\"text\":\"after\"}\n", f);
    CHECK(fclose(f) == 0);
    sh("cd '%s' && zstd -q -1 -c long.jsonl > long.jsonl.zst", dir);

    for (int z = 0; z < 2; z++) {
        got g = {0};
        ex_err e = {0};
        CHECK_RC(read_named(z ? "long.jsonl.zst" : "long.jsonl", NULL, &g, &e), EX_OK);
        CHECK(g.n == 2 && g.nq == 2);
        if (g.n == 2 && g.nq == 2) {
            CHECK(g.items[0].size == body && g.items[0].content_len == EX_ITEM_INLINE_MAX);
            CHECK(memcmp(g.items[0].content, chunk, 1024) == 0);
            /* the digest covers the whole text, not only what was handed over */
            uint8_t d[EX_HASH_BYTES];
            CHECK_RC(ex_sha256_begin(sha), EX_OK);
            for (size_t left = body; left;) {
                size_t w = left < (1u << 20) ? left : (1u << 20);
                CHECK_RC(ex_sha256_update(sha, chunk, w), EX_OK);
                left -= w;
            }
            CHECK_RC(ex_sha256_end(sha, d), EX_OK);
            CHECK(memcmp(d, g.items[0].digest, EX_HASH_BYTES) == 0);
            CHECK_STR(g.qs[0].reason, "line 2: longer than 67108864 bytes");
            CHECK(g.qs[0].line == 2 && g.qs[0].offset == max + 1);
            CHECK_STR(g.qs[1].reason, "line 3: longer than 67108864 bytes");
            CHECK(g.qs[1].line == 3 && g.qs[1].offset == 2 * max + 3);
            check_digest(&g.items[1], "after", 5);
            CHECK(g.items[1].line == 4 && g.items[1].offset == 3 * max + (3 << 20) + 4);
            CHECK(g.items[1].member == (z ? 0 : g.items[1].offset));
        }
        got_free(&g);
    }
    free(chunk);
    unlink(path_of("long.jsonl"));
    unlink(path_of("long.jsonl.zst"));
}

/* ---- compression -------------------------------------------------------------------------- */

/* Deterministic lines of varied length, some with escapes and UTF-8, one quarantined. */
static size_t
make_corpus(ex_buf *b, unsigned nlines)
{
    uint64_t x = 88172645463325252ull;
    size_t part = 0;
    for (unsigned i = 0; i < nlines; i++) {
        if (i == nlines / 2)
            part = b->len;
        ex_buf_printf(b, "{\"id\":%u,\"url\":\"https://c.example/%u\",\"text\":\"", i, i * 7);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned words = 5 + (unsigned)(x % 200);
        for (unsigned w = 0; w < words; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            static const char *const dict[] = {"lorem",        "ipsum",           "\\n",
                                               "caf\xc3\xa9",  "\\u00e9t\\u00e9", "\\\"q\\\"",
                                               "\xe2\x80\x94", "\\ud83d\\ude00",  "data",
                                               "lineage"};
            ex_buf_puts(b, dict[x % 10]);
            ex_buf_putc(b, ' ');
        }
        ex_buf_printf(b, "%u\"}\n", i);
        if (i == 100)
            ex_buf_puts(b, "{\"text\": broken}\n");
    }
    return part;
}

static int
same_item(const got_item *a, const got_item *b)
{
    return a->size == b->size && a->content_len == b->content_len &&
           memcmp(a->content, b->content, a->content_len) == 0 &&
           memcmp(a->digest, b->digest, EX_HASH_BYTES) == 0 && a->offset == b->offset &&
           a->line == b->line && strcmp(a->url, b->url) == 0 && strcmp(a->id, b->id) == 0;
}

static void
test_compressed(void)
{
    ex_buf b = {0};
    size_t part = make_corpus(&b, 4000);
    write_file("c.jsonl", b.data, b.len);
    write_file("p1", b.data, part);
    write_file("p2", b.data + part, b.len - part);
    sh("cd '%s' && gzip -c p1 > c.jsonl.gz && gzip -9 -c p2 >> c.jsonl.gz", dir);
    sh("cd '%s' && zstd -q -c p1 > c.jsonl.zst && zstd -q -19 -c p2 >> c.jsonl.zst", dir);
    sh("cd '%s' && zstd -q -c c.jsonl > one.zst", dir);
    struct stat st;
    uint64_t m2gz = 0, m2zst = 0;
    sh("cd '%s' && gzip -c p1 > p1.gz && zstd -q -c p1 > p1.zst", dir);
    if (stat(path_of("p1.gz"), &st) == 0)
        m2gz = (uint64_t)st.st_size;
    if (stat(path_of("p1.zst"), &st) == 0)
        m2zst = (uint64_t)st.st_size;

    got plain = {0}, g = {0};
    ex_err e = {0};
    CHECK_RC(read_named("c.jsonl", NULL, &plain, &e), EX_OK);
    CHECK(plain.n == 4000 && plain.nq == 1);
    if (plain.nq == 1)
        CHECK_STR(plain.qs[0].reason,
                  "line 102: malformed JSON at column 10: unexpected 'b', expected a value");
    const char *names[] = {"c.jsonl.gz", "c.jsonl.zst", "one.zst"};
    for (int k = 0; k < 3; k++) {
        CHECK_RC(read_named(names[k], NULL, &g, &e), EX_OK);
        CHECK(g.n == plain.n && g.nq == 1);
        int same = g.n == plain.n;
        for (size_t i = 0; same && i < g.n; i++)
            same = same_item(&g.items[i], &plain.items[i]);
        CHECK(same);
        if (g.nq == 1)
            CHECK(strcmp(g.qs[0].reason, plain.qs[0].reason) == 0 &&
                  g.qs[0].offset == plain.qs[0].offset && g.qs[0].line == plain.qs[0].line &&
                  g.qs[0].member == 0);
        /* members: lines of the first part are in the member at 0, the rest in the second */
        uint64_t m2 = k == 0 ? m2gz : k == 1 ? m2zst : 0;
        int members_ok = g.n == plain.n;
        for (size_t i = 0; members_ok && i < g.n; i++)
            members_ok = g.items[i].member == (g.items[i].offset < part ? 0 : m2);
        CHECK(members_ok);
        got_free(&g);
    }

    /* truncated and corrupt streams: the lines before the damage are read, the rest is one
     * quarantine with the instream's message, and the reader returns EX_OK */
    sh("cd '%s' && head -c $(( $(stat -c %%s c.jsonl.gz) - 3000 )) c.jsonl.gz > t.gz", dir);
    sh("cd '%s' && head -c $(( $(stat -c %%s one.zst) / 2 )) one.zst > t.zst", dir);
    sh("cd '%s' && cp c.jsonl.gz x.gz && printf 'XXXXXXXXXXXX' | dd of=x.gz bs=1 seek=%llu "
       "conv=notrunc 2>/dev/null",
       dir, (unsigned long long)m2gz + 5000);
    const char *broken[] = {"t.gz", "t.zst"};
    const char *what[] = {"is truncated", ""};
    for (int k = 0; k < 2; k++) {
        CHECK_RC(read_named(broken[k], NULL, &g, &e), EX_OK);
        CHECK(g.n > 100 && g.n < plain.n && g.nq == 2);
        int same = g.n < plain.n;
        for (size_t i = 0; same && i < g.n; i++)
            same = same_item(&g.items[i], &plain.items[i]);
        CHECK(same);
        if (g.nq == 2 && g.n < plain.n) {
            const got_q *q = &g.qs[1];
            fprintf(stderr, "  %s: %s\n", broken[k], q->reason);
            CHECK(strstr(q->reason, "corrupt compressed data, rest of the file skipped: '") !=
                  NULL);
            CHECK(strstr(q->reason, what[k]) != NULL);
            CHECK(strstr(q->reason, broken[k]) != NULL);
            /* it names the first line not delivered, where that line starts */
            const got_item *next = &plain.items[g.n];
            CHECK(q->line == next->line && q->offset == next->offset);
            if (k == 0)
                CHECK(q->member == m2gz);
        }
        got_free(&g);
    }
    /* corrupt deflate data: what the member decoded before the damage was noticed may be
     * garbage (a gzip member is checked only at its end), but the first member's lines are
     * intact and the damage ends the file as one quarantine */
    CHECK_RC(read_named("x.gz", NULL, &g, &e), EX_OK);
    size_t intact = 0;
    while (intact < g.n && intact < plain.n && g.items[intact].offset < part &&
           same_item(&g.items[intact], &plain.items[intact]))
        intact++;
    CHECK(intact > 1000 && intact < plain.n);
    CHECK(g.nq >= 2 && strstr(g.qs[g.nq - 1].reason, "corrupt compressed data") != NULL);
    if (g.nq >= 2)
        fprintf(stderr, "  x.gz: %s\n", g.qs[g.nq - 1].reason);
    got_free(&g);
    got_free(&plain);
    ex_buf_free(&b);
}

/* ---- callbacks and errors ---------------------------------------------------------------- */

static void
test_stop(void)
{
    const char data[] = "{\"text\":\"1\"}\nbad\n{\"text\":\"2\"}\nbad\n{\"text\":\"3\"}\n";
    write_file("stop.jsonl", data, sizeof data - 1);
    got g = {.stop_item = 2};
    ex_err e = {0};
    CHECK_RC(read_named("stop.jsonl", NULL, &g, &e), EX_ETOOBIG);
    CHECK(g.n == 2 && g.nq == 1);
    got_free(&g);
    g.stop_q = 2;
    CHECK_RC(read_named("stop.jsonl", NULL, &g, &e), EX_ETOOBIG);
    CHECK(g.n == 2 && g.nq == 2);
    got_free(&g);
    /* a NULL quarantine callback is allowed: bad lines are then just skipped */
    ex_reader_cb cb = {on_item, NULL, &g, 0};
    CHECK_RC(ex_read_jsonl(path_of("stop.jsonl"), NULL, &cb, &e), EX_OK);
    CHECK(g.n == 3);
    got_free(&g);

    CHECK_RC(read_named("does-not-exist.jsonl", NULL, &g, &e), EX_EIO);
    CHECK(strstr(e.msg, "No such file") != NULL);
    CHECK_RC(read_named("", NULL, &g, &e), EX_EIO); /* the directory itself */
    ex_reader_cb none = {NULL, NULL, NULL, 0};
    CHECK_RC(ex_read_jsonl(path_of("stop.jsonl"), NULL, &none, &e), EX_EINVAL);
    got_free(&g);
}

/* ---- UTF-8 -------------------------------------------------------------------------------- */

/* The scanner's UTF-8 verdict (a vector pass over the whole line, then per string) against
 * ex_utf8_valid, on text built from valid and broken sequences at every alignment. */
static void
test_utf8(void)
{
    static const char *const good[] = {"a",
                                       "\xc3\xa9",
                                       "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80",
                                       "\xef\xbf\xbf",
                                       "\xf4\x8f\xbf\xbf",
                                       "\xed\x9f\xbf",
                                       "\xe0\xa0\x80",
                                       "\xf0\x90\x80\x80",
                                       "\xc2\x80"};
    static const char *const bad[] = {"\xc3",
                                      "\xa9",
                                      "\xe2\x82",
                                      "\xf0\x9f\x98",
                                      "\xc0\xaf",
                                      "\xe0\x80\xaf",
                                      "\xed\xa0\x80",
                                      "\xf4\x90\x80\x80",
                                      "\xff",
                                      "\xc1\xbf",
                                      "\xe0\x9f\xbf",
                                      "\xf0\x8f\xbf\xbf",
                                      "\xf5\x80\x80\x80",
                                      "\xf8\x88\x80\x80\x80"};
    static const char *const paths[] = {"text"};
    ex_jscan_spec spec;
    ex_jscan_result r;
    CHECK_RC(ex_jscan_compile(&spec, paths, 1, NULL), EX_OK);
    ex_buf line = {0};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int wrong = 0, nvalid = 0, ninvalid = 0;
    for (int i = 0; i < 50000; i++) {
        line.len = 0;
        ex_buf_puts(&line, "{\"text\":\"");
        size_t body = line.len;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned n = (unsigned)(x % 90), badat = (unsigned)(x >> 32) % 400;
        for (unsigned k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (k == badat % (n ? n : 1) && badat < 200)
                ex_buf_puts(&line, bad[x % 14]);
            else
                ex_buf_puts(&line, good[x % 10]);
        }
        size_t blen = line.len - body;
        ex_buf_puts(&line, "\"}");
        int want = ex_utf8_valid(line.data + body, blen);
        int st = ex_jscan_line(&spec, (const uint8_t *)line.data, line.len, &r);
        int prefix_ok = (ex_jscan_utf8_prefix((const uint8_t *)line.data + body, blen) == blen);
        if ((want ? st != EX_JSCAN_OK : st != EX_JSCAN_UTF8) || prefix_ok != want ||
            (!want && r.field != 0)) {
            if (wrong++ < 5)
                fprintf(stderr, "utf8: want %d, scanner %d, prefix %d for %zu bytes\n", want, st,
                        prefix_ok, blen);
        }
        want ? nvalid++ : ninvalid++;
    }
    CHECK(wrong == 0);
    CHECK(nvalid > 10000 && ninvalid > 10000);
    ex_buf_free(&line);
}

/* ---- differential check against jansson --------------------------------------------------- */

static uint64_t rs = 0x2545f4914f6cdd1dull;

static unsigned
rnd(unsigned n)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return (unsigned)(rs % n);
}

static void
gen_string(ex_buf *b)
{
    static const char *const parts[] = {"a",
                                        "text",
                                        "url",
                                        " ",
                                        "\\n",
                                        "\\\"",
                                        "\\\\",
                                        "\\/",
                                        "\\b",
                                        "\\f",
                                        "\\r",
                                        "\\t",
                                        "\\u00e9",
                                        "\\u20ac",
                                        "\\ud83d\\ude00",
                                        "\\uDBFF\\uDFFF",
                                        "\\u0000",
                                        "\\u001f",
                                        "\xc3\xa9",
                                        "\xe2\x82\xac",
                                        "\xf0\x9f\x98\x80",
                                        "\xef\xbf\xbf",
                                        "\x7f",
                                        "~"};
    ex_buf_putc(b, '"');
    unsigned n = rnd(12);
    for (unsigned i = 0; i < n; i++)
        ex_buf_puts(b, parts[rnd(sizeof parts / sizeof *parts)]);
    ex_buf_putc(b, '"');
}

static void
gen_ws(ex_buf *b)
{
    static const char *const ws[] = {"", "", "", " ", "\t", "\r", "  "};
    ex_buf_puts(b, ws[rnd(7)]);
}

static void
gen_value(ex_buf *b, int depth)
{
    static const char *const keys[] = {"\"text\"",       "\"url\"",     "\"id\"",
                                       "\"license\"",    "\"fetched\"", "\"meta\"",
                                       "\"t\\u0065xt\"", "\"x\"",       "\"\\u0000k\""};
    static const char *const nums[] = {
        "0",     "-0",     "12",       "-3.25",
        "1e5",   "1E-5",   "6.02e+23", "123456789012345678901234567890",
        "1e400", "-1e-400"};
    unsigned k = depth > 3 ? rnd(5) : rnd(8);
    switch (k) {
    case 0: gen_string(b); break;
    case 1: ex_buf_puts(b, nums[rnd(10)]); break;
    case 2: ex_buf_puts(b, rnd(2) ? "true" : "false"); break;
    case 3: ex_buf_puts(b, "null"); break;
    case 4: gen_string(b); break;
    case 5:
    case 6: {
        ex_buf_putc(b, '{');
        unsigned n = rnd(5);
        for (unsigned i = 0; i < n; i++) {
            gen_ws(b);
            ex_buf_puts(b, keys[rnd(sizeof keys / sizeof *keys)]);
            gen_ws(b);
            ex_buf_putc(b, ':');
            gen_ws(b);
            gen_value(b, depth + 1);
            gen_ws(b);
            if (i + 1 < n)
                ex_buf_putc(b, ',');
        }
        ex_buf_putc(b, '}');
        break;
    }
    default: {
        ex_buf_putc(b, '[');
        unsigned n = rnd(4);
        for (unsigned i = 0; i < n; i++) {
            gen_ws(b);
            gen_value(b, depth + 1);
            gen_ws(b);
            if (i + 1 < n)
                ex_buf_putc(b, ',');
        }
        ex_buf_putc(b, ']');
    }
    }
}

/* A line that is mostly a plausible record. */
static void
gen_line(ex_buf *b)
{
    b->len = 0;
    if (rnd(20) == 0) {
        gen_value(b, 0);
        return;
    }
    ex_buf_putc(b, '{');
    unsigned n = 1 + rnd(5), text_at = rnd(n);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            ex_buf_putc(b, ',');
        gen_ws(b);
        if (i == text_at) {
            ex_buf_puts(b, rnd(6) ? "\"text\"" : "\"t\\u0065xt\"");
            ex_buf_putc(b, ':');
            if (rnd(10))
                gen_string(b);
            else
                gen_value(b, 1);
        } else {
            static const char *const keys[] = {"\"url\"",     "\"id\"",   "\"license\"",
                                               "\"fetched\"", "\"meta\"", "\"x\""};
            ex_buf_puts(b, keys[rnd(6)]);
            gen_ws(b);
            ex_buf_putc(b, ':');
            if (rnd(3))
                gen_string(b);
            else
                gen_value(b, 1);
        }
        gen_ws(b);
    }
    ex_buf_putc(b, '}');
}

static void
mutate(ex_buf *b)
{
    static const char interesting[] = "\"\\{}[],:0u eE.-+\x80\xc3\xed\xf0\xff";
    unsigned n = 1 + rnd(3);
    for (unsigned i = 0; i < n && b->len; i++) {
        size_t at = rnd((unsigned)b->len);
        switch (rnd(4)) {
        case 0: b->data[at] = (char)rnd(256); break;
        case 1: b->data[at] = interesting[rnd(sizeof interesting - 1)]; break;
        case 2:
            memmove(b->data + at, b->data + at + 1, b->len - at - 1);
            b->len--;
            break;
        default: b->len = at; break;
        }
    }
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] == '\n')
            b->data[i] = 'x';
}

static int
blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* What the reader should report for a line, derived from jansson. Returns 1 if an item with
 * the given text (and fields) is expected, 0 if a quarantine, -1 if nothing (blank). */
static int
expect_of(const char *s, size_t n, json_t **root, json_error_t *je)
{
    *root = NULL;
    if (blank(s, n))
        return -1;
    *root = json_loadb(s, n, JSON_ALLOW_NUL, je);
    if (!*root || !json_is_object(*root))
        return 0;
    json_t *t = json_object_get(*root, "text");
    if (!json_is_string(t))
        return 0;
    static const char *const other[] = {"url", "license", "fetched", "id"};
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(*root, other[i]);
        if (!v || json_is_null(v))
            continue;
        if (i == 3 && json_is_number(v))
            continue;
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
            return 0;
    }
    return 1;
}

static int n_exception_dup, n_exception_num, n_exception_nulkey, n_exception_nul, n_items_compared;

/* Compare our verdict on one line with jansson's; a disagreement is a failure unless it is one
 * of the documented exceptions (jsonl.c). */
static void
differ_one(const char *s, size_t n)
{
    got g = {0};
    ex_err e = {0};
    ex_reader_cb cb = {on_item, on_quarantine, &g, 0};
    CHECK_RC(ex_jsonl_parse_buffer((const uint8_t *)s, n, NULL, &cb, &e), EX_OK);
    json_t *root;
    json_error_t je;
    int want = expect_of(s, n, &root, &je);
    int ok;
    if (want < 0) {
        ok = g.n == 0 && g.nq == 0;
    } else if (want == 1 && g.nq == 1 && strstr(g.qs[0].reason, "unexpected 0x00")) {
        /* jansson lets a raw NUL byte through after an integer ({"x":1\0}) */
        ok = 1;
        n_exception_nul++;
    } else if (want == 0) {
        ok = g.n == 0 && g.nq == 1;
        if (!ok && g.n == 1 && !root) {
            /* jansson cannot hold these numbers, or a NUL in a key; the JSON is valid */
            if (strstr(je.text, "too big") || strstr(je.text, "overflow")) {
                n_exception_num++;
                ok = 1;
            } else if (strstr(je.text, "NUL byte in object key")) {
                n_exception_nulkey++;
                ok = 1;
            }
        }
    } else {
        ok = g.n == 1 && g.nq == 0;
        if (!ok && g.nq == 1 && strstr(g.qs[0].reason, "duplicate key")) {
            /* jansson keeps the last of duplicate keys; we refuse them on requested paths */
            json_t *strict = json_loadb(s, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
            ok = strict == NULL && strstr(je.text, "duplicate") != NULL;
            json_decref(strict);
            n_exception_dup++;
        } else if (ok) {
            json_t *t = json_object_get(root, "text");
            const got_item *it = &g.items[0];
            ok = it->size == json_string_length(t) &&
                 memcmp(it->content, json_string_value(t), it->size) == 0;
            static const char *const other[] = {"url", "license", "fetched"};
            char *const mine[] = {it->url, it->license, it->fetched};
            for (int i = 0; i < 3; i++) {
                json_t *v = json_object_get(root, other[i]);
                const char *js = json_is_string(v) ? json_string_value(v) : NULL;
                ok = ok && (js ? mine[i] && strcmp(js, mine[i]) == 0 : mine[i] == NULL);
            }
            json_t *id = json_object_get(root, "id");
            ok = ok && (json_is_string(id)   ? it->id && !strcmp(it->id, json_string_value(id))
                        : json_is_number(id) ? it->id != NULL
                                             : it->id == NULL);
            n_items_compared++;
        }
    }
    if (!ok) {
        fprintf(stderr, "differential: jansson %s (%s), we gave %zu items, %zu quarantines (%s): ",
                want > 0    ? "accepts"
                : want == 0 ? "refuses"
                            : "skips",
                root ? "parsed" : je.text, g.n, g.nq, g.nq ? g.qs[0].reason : "-");
        fwrite(s, 1, n, stderr);
        fputc('\n', stderr);
    }
    CHECK(ok);
    json_decref(root);
    got_free(&g);
}

static void
test_differential(void)
{
    ex_buf b = {0};
    int valid = 0, mutated = 0;
    for (int i = 0; i < 6000; i++) {
        gen_line(&b);
        if (i % 2) {
            mutate(&b);
            mutated++;
        } else {
            valid++;
        }
        differ_one(b.data, b.len);
    }
    /* nesting at and over jansson's limit, which is also ours */
    for (int depth = EX_JSCAN_DEPTH - 1; depth <= EX_JSCAN_DEPTH + 1; depth++) {
        b.len = 0;
        ex_buf_puts(&b, "{\"text\":\"deep\",\"x\":");
        for (int k = 1; k < depth; k++)
            ex_buf_putc(&b, '[');
        for (int k = 1; k < depth; k++)
            ex_buf_putc(&b, ']');
        ex_buf_putc(&b, '}');
        differ_one(b.data, b.len);
    }
    fprintf(stderr,
            "  differential: %d generated + %d mutated lines, %d items compared; "
            "exceptions: %d duplicate keys, %d big numbers, %d NUL in keys, %d NUL after "
            "an integer\n",
            valid, mutated, n_items_compared, n_exception_dup, n_exception_num, n_exception_nulkey,
            n_exception_nul);
    /* the generator must reach every kind of outcome, or the check proves little */
    CHECK(n_items_compared > 1000 && n_exception_dup > 0 && n_exception_num > 0);
    ex_buf_free(&b);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test_jsonl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    if (ex_sha256_new(&sha) != EX_OK)
        return 1;
    test_items();
    test_nested();
    test_lines();
    test_quarantine();
    test_long_lines();
    test_utf8();
    test_compressed();
    test_stop();
    test_differential();
    sh("rm -rf '%s'", dir);
    ex_sha256_free(sha);
    return t_done("test_jsonl");
}
