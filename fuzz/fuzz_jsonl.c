/* fuzz_jsonl.c - the input is the content of a JSONL file, read by ex_jsonl_parse_buffer twice:
 * with the default fields, and with dotted paths into nested objects.
 *
 * Invariants checked for every report:
 *   - an item's content is valid UTF-8, fully handed over (inputs are far below
 *     EX_ITEM_INLINE_MAX), and its digest is SHA-256 of the content;
 *   - offsets point at line starts, in increasing order, and line numbers agree with them;
 *     every line that is not blank gives exactly one report;
 *   - a quarantine reason starts with "line N: " for its own line number;
 *   - jansson (json_loadb with JSON_ALLOW_NUL) agrees: the text it finds at the path equals
 *     the item's content; a line quarantined as malformed JSON, invalid UTF-8 or an unpaired
 *     surrogate is one it refuses. Exceptions as documented in src/ingest/jsonl.c: numbers
 *     beyond jansson's ranges and NUL bytes in keys (which it cannot hold), and a raw NUL byte
 *     after an integer (which it lets through). */
#include "fuzz_common.h"
#include "ingest/jsonscan.h"

#include <jansson.h>

typedef struct run {
    const uint8_t *data;
    size_t len;
    const ex_jsonl_fields *fields;
    const char *text_path;
    ex_sha256 *h;
    uint64_t last_line;
    uint64_t last_offset;
    int any;
    uint64_t reports;
} run;

/* Lines with something other than JSON whitespace (a BOM at the start does not count): each
 * must give exactly one item or quarantine. */
static uint64_t
nonblank_lines(const uint8_t *p, size_t n)
{
    uint64_t count = 0;
    int blank = 1;
    size_t i = n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
    for (; i <= n; i++) {
        if (i == n || p[i] == '\n') {
            count += !blank;
            blank = 1;
        } else if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') {
            blank = 0;
        }
    }
    return count;
}

/* The line at off, without its newline (and without a BOM at the start of the input). */
static void
line_at(const run *r, uint64_t off, const char **s, size_t *n)
{
    if (off >= r->len)
        FUZZ_FAIL("offset past the end of the input");
    const uint8_t *p = r->data + off, *end = r->data + r->len;
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (off == 0 && len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        p += 3, len -= 3;
    *s = (const char *)p;
    *n = len;
}

/* Line number of the line starting at off: 1 + newlines before it. */
static uint64_t
line_number(const run *r, uint64_t off)
{
    uint64_t n = 1;
    for (uint64_t i = 0; i < off; i++)
        n += r->data[i] == '\n';
    return n;
}

static void
check_position(run *r, uint64_t off, uint64_t line)
{
    if (off > 0 && r->data[off - 1] != '\n')
        FUZZ_FAIL("offset not at a line start");
    if (r->any && (line <= r->last_line || off <= r->last_offset))
        FUZZ_FAIL("reports out of order");
    if (line != line_number(r, off))
        FUZZ_FAIL("line number does not match the offset");
    r->reports++;
    r->any = 1;
    r->last_line = line;
    r->last_offset = off;
}

static json_t *
get_path(json_t *v, const char *path)
{
    char buf[EX_JSCAN_NAME_MAX + 1];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *seg = strtok(buf, "."); seg && v; seg = strtok(NULL, "."))
        v = json_is_object(v) ? json_object_get(v, seg) : NULL;
    return v;
}

/* jansson refused for one of the documented reasons although the JSON is valid. */
static int
known_exception(const json_error_t *e)
{
    return strstr(e->text, "too big") || strstr(e->text, "overflow") ||
           strstr(e->text, "NUL byte in object key");
}

static int
on_item(void *ctx, const ex_item *it)
{
    run *r = ctx;
    uint8_t d[EX_HASH_BYTES];
    if (it->content_len != it->size)
        FUZZ_FAIL("content not handed over in full");
    if (!ex_utf8_valid((const char *)it->content, it->content_len))
        FUZZ_FAIL("item content is not valid UTF-8");
    if (ex_sha256_digest(r->h, it->content, it->content_len, d) != EX_OK ||
        memcmp(d, it->digest, EX_HASH_BYTES) != 0)
        FUZZ_FAIL("digest is not SHA-256 of the content");
    if (it->offset != it->member || strcmp(it->file, "<memory>") != 0)
        FUZZ_FAIL("memory input: member must equal offset, file '<memory>'");
    const char *strs[] = {it->url, it->record_id, it->license, it->fetched};
    for (int i = 0; i < 4; i++)
        if (strs[i] && !ex_utf8_valid(strs[i], strlen(strs[i])))
            FUZZ_FAIL("field is not valid UTF-8");
    check_position(r, it->offset, it->line);

    const char *s;
    size_t n;
    line_at(r, it->offset, &s, &n);
    json_error_t e;
    json_t *root = json_loadb(s, n, JSON_ALLOW_NUL, &e);
    if (!root) {
        if (!known_exception(&e))
            FUZZ_FAIL("item from a line jansson refuses");
        return EX_OK;
    }
    json_t *t = get_path(root, r->text_path);
    if (!json_is_string(t) || json_string_length(t) != it->size ||
        memcmp(json_string_value(t), it->content, it->size) != 0)
        FUZZ_FAIL("content differs from jansson's text");
    if (!r->fields) {
        json_t *u = json_object_get(root, "url");
        if (json_is_string(u) ? !it->url || strcmp(it->url, json_string_value(u)) != 0
                              : it->url != NULL)
            FUZZ_FAIL("url differs from jansson's");
    }
    json_decref(root);
    return EX_OK;
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    run *r = ctx;
    char prefix[40];
    int pl = snprintf(prefix, sizeof prefix, "line %llu: ", (unsigned long long)q->line);
    if (strncmp(q->reason, prefix, (size_t)pl) != 0 || strlen(q->reason) <= (size_t)pl)
        FUZZ_FAIL("reason does not start with its line number");
    if (q->offset != q->member)
        FUZZ_FAIL("memory input: member must equal offset");
    check_position(r, q->offset, q->line);
    const char *why = q->reason + pl;
    if (strncmp(why, "malformed JSON", 14) == 0 || strncmp(why, "invalid UTF-8", 13) == 0 ||
        strncmp(why, "unpaired surrogate", 18) == 0) {
        const char *s;
        size_t n;
        line_at(r, q->offset, &s, &n);
        json_error_t e;
        json_t *root = json_loadb(s, n, JSON_ALLOW_NUL | JSON_DECODE_ANY, &e);
        /* jansson lets a raw NUL byte through after an integer ({"x":1\0}); we do not */
        if (root && !strstr(why, "unexpected 0x00"))
            FUZZ_FAIL("quarantined as malformed, but jansson accepts the line");
        json_decref(root);
    }
    return EX_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ex_sha256 *h;
    if (!h && ex_sha256_new(&h) != EX_OK)
        FUZZ_FAIL("cannot make a hasher");
    uint8_t *copy = (uint8_t *)fuzz_copy(data, size);
    if (!copy)
        return 0;
    static const ex_jsonl_fields nested = {
        .text = "a.text", .url = "a.b.url", .id = "id", .license = "a.license", .fetched = "x.y.z"};
    const ex_jsonl_fields *specs[] = {NULL, &nested};
    const char *text_paths[] = {"text", "a.text"};
    for (int k = 0; k < 2; k++) {
        run r = {.data = copy, .len = size, .fields = specs[k], .text_path = text_paths[k], .h = h};
        ex_reader_cb cb = {on_item, on_quarantine, &r, 0};
        ex_err e = {0};
        if (ex_jsonl_parse_buffer(copy, size, specs[k], &cb, &e) != EX_OK)
            FUZZ_FAIL("ex_jsonl_parse_buffer failed");
        if (r.reports != nonblank_lines(copy, size))
            FUZZ_FAIL("a line gave no report, or more than one");
    }
    free(copy);
    return 0;
}
