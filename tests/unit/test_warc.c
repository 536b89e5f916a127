/* test_warc.c - the WARC reader, its HTTP head parser and chunked decoder.
 *
 * Usage: test_warc SAMPLES_DIR (the shared samples/warc directory).
 *
 * 1. Every shared sample: exact item and quarantine counts, offsets, members, URLs, statuses
 *    and content digests. The expected values were computed outside this code: content digests
 *    with Python's hashlib over payloads cut out by hand (gunzipped with zlib, de-chunked),
 *    gzip member offsets by walking the members with zlib, the SHA-1 payload digests are the
 *    ones warcio recorded in the files (checked here against the content with this file's own
 *    base32 encoder).
 * 2. Crafted WARC files, built here record by record with their digests computed here: every
 *    feature (chunked + gzip, deflate, br, revisit, conversion, sha256 digests, continuation
 *    lines, large payloads) and every failure (digest mismatch, truncation, garbage between
 *    records, bad headers, bad HTTP, bad chunking, corrupt gzip), plain and gzipped per record.
 * 3. Each input is read again with tiny buffers and reads, which must give the same results. */
#include "ingest/http.h"
#include "ingest/instream.h"
#include "ingest/warc_internal.h"
#include "t.h"

#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>
#include <openssl/evp.h>

/* ---- byte strings ---------------------------------------------------------------------- */

typedef struct sb {
    uint8_t *p;
    size_t n, cap;
} sb;

static void
sb_put(sb *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 1024;
        while (nc < b->n + n + 1)
            nc *= 2;
        b->p = realloc(b->p, nc);
        if (!b->p)
            abort();
        b->cap = nc;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void
sb_puts(sb *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void
sb_printf(sb *b, const char *fmt, ...)
{
    char tmp[8192];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof tmp)
        abort();
    sb_put(b, tmp, (size_t)k);
}

static void
sb_free(sb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- digests, computed independently of the reader ------------------------------------ */

static void
b32(const uint8_t *d, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t k = 0, bits = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | d[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[k++] = a[(acc >> bits) & 31];
        }
    }
    if (bits)
        out[k++] = a[(acc << (5 - bits)) & 31];
    while (k % 8)
        out[k++] = '=';
    out[k] = 0;
}

static void
md(const char *alg, const void *p, size_t n, uint8_t *out)
{
    if (EVP_Digest(p, n, out, NULL, strcmp(alg, "sha1") == 0 ? EVP_sha1() : EVP_sha256(), NULL) !=
        1)
        abort();
}

/* "sha1:<base32>" */
static void
sha1_b32(const void *p, size_t n, char out[80])
{
    uint8_t d[20];
    md("sha1", p, n, d);
    strcpy(out, "sha1:");
    b32(d, 20, out + 5);
}

/* "sha256:<hex>" or "sha256:<base32>" */
static void
sha256_text(const void *p, size_t n, int base32, char out[80])
{
    uint8_t d[32];
    md("sha256", p, n, d);
    strcpy(out, "sha256:");
    if (base32)
        b32(d, 32, out + 7);
    else
        ex_hex_encode(d, 32, out + 7);
}

static void
sha256_of(const void *p, size_t n, uint8_t out[32])
{
    md("sha256", p, n, out);
}

static int
digest_is(const uint8_t d[32], const char *hex)
{
    char h[65];
    ex_hex_encode(d, 32, h);
    return strcmp(h, hex) == 0;
}

/* ---- compression for crafted payloads and files (ISA-L, as the library links it) ------- */

static void
deflate_to(const void *in, size_t n, int flag, sb *out)
{
    struct isal_zstream z;
    size_t cap = n + n / 2 + 1024;
    uint8_t *buf = malloc(cap);
    memset(&z, 0, sizeof z); /* its hash table is read before written: quiet under valgrind */
    isal_deflate_stateless_init(&z);
    z.gzip_flag = (uint16_t)flag;
    z.level = 0;
    z.end_of_stream = 1;
    z.flush = NO_FLUSH;
    z.next_in = (uint8_t *)(uintptr_t)in;
    z.avail_in = (uint32_t)n;
    z.next_out = buf;
    z.avail_out = (uint32_t)cap;
    if (isal_deflate_stateless(&z) != COMP_OK)
        abort();
    out->n = 0;
    sb_put(out, buf, z.total_out);
    free(buf);
}

/* ---- crafted WARC records --------------------------------------------------------------- */

/* Append a record: version line, the given fields (each "Name: value\r\n"), Content-Length,
 * the block and CRLF CRLF. Its offset goes to *starts (if not NULL) at index (*nstarts)++. */
static uint64_t starts[64];
static size_t nstarts;

static void
rec(sb *w, const char *version, const char *fields, const void *block, size_t n)
{
    if (nstarts < 64)
        starts[nstarts++] = w->n;
    sb_printf(w, "%s\r\n%sContent-Length: %zu\r\n\r\n", version, fields, n);
    sb_put(w, block, n);
    sb_puts(w, "\r\n\r\n");
}

/* A response record with block and payload digests (payload = bytes after the head). */
static void
response(sb *w, const char *uri, const sb *block, size_t head_len, const char *pd_override)
{
    char bd[80], pd[80];
    sb f = {0};
    sha1_b32(block->p, block->n, bd);
    sha1_b32(block->p + head_len, block->n - head_len, pd);
    sb_printf(&f,
              "WARC-Type: response\r\nWARC-Target-URI: %s\r\nWARC-Date: 2024-01-02T03:04:05Z\r\n"
              "WARC-Record-ID: <urn:uuid:%08zx-0000-4000-8000-000000000000>\r\n"
              "Content-Type: application/http; msgtype=response\r\nWARC-Block-Digest: %s\r\n"
              "WARC-Payload-Digest: %s\r\n",
              uri, w->n, bd, pd_override ? pd_override : pd);
    rec(w, "WARC/1.0", (const char *)f.p, block->p, block->n);
    sb_free(&f);
}

static void
warcinfo(sb *w)
{
    const char *b = "software: test_warc\r\nformat: WARC File Format 1.1\r\n";
    rec(w, "WARC/1.1",
        "WARC-Type: warcinfo\r\nWARC-Date: 2024-01-02T03:04:05Z\r\n"
        "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
        "Content-Type: application/warc-fields\r\n",
        b, strlen(b));
}

/* A deterministic HTML-like text of n bytes. */
static void
page(sb *out, size_t n, unsigned seed)
{
    static const char *w[] = {"lorem", "ipsum",       "<p>",        "</p>\n",
                              "dolor", "sit",         "amet",       "<a href=\"/x\">",
                              "</a>",  "consectetur", "adipiscing", "elit"};
    uint32_t x = seed * 2654435761u + 1;
    out->n = 0;
    while (out->n < n) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        const char *s = w[x % 12];
        size_t k = strlen(s);
        sb_put(out, s, out->n + k + 1 <= n ? k : n - out->n);
        if (out->n < n)
            sb_put(out, " ", 1);
    }
}

static void
chunk(const uint8_t *p, size_t n, size_t step, const char *ext, sb *out)
{
    for (size_t off = 0; off < n; off += step) {
        size_t k = n - off < step ? n - off : step;
        sb_printf(out, "%zx%s\r\n", k, off == 0 && ext ? ext : "");
        sb_put(out, p + off, k);
        sb_puts(out, "\r\n");
    }
    sb_puts(out, "0\r\nX-Trailer: yes\r\n\r\n");
}

/* ---- results ------------------------------------------------------------------------- */

#define MAXR 64

typedef struct ti {
    uint64_t offset, member, size;
    size_t content_len;
    uint8_t digest[32];
    int status;
    char *url, *id, *date, *type, *ctype, *headers, *ref_uri, *ref_digest;
    uint8_t *content;
} ti;

typedef struct tq {
    uint64_t offset, member;
    char *reason;
} tq;

typedef struct res {
    int rc;
    size_t ni, nq;
    ti it[MAXR];
    tq q[MAXR];
    size_t stop_after; /* item callback returns EX_EINVAL after this many items (0: never) */
    ex_err err;
} res;

static char *
sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int
on_item(void *ctx, const ex_item *it)
{
    res *r = ctx;
    if (r->ni < MAXR) {
        ti *t = &r->it[r->ni];
        t->offset = it->offset, t->member = it->member, t->size = it->size;
        t->content_len = it->content_len;
        memcpy(t->digest, it->digest, 32);
        t->status = it->http_status;
        t->url = sdup(it->url), t->id = sdup(it->record_id), t->date = sdup(it->fetched);
        t->type = sdup(it->warc_type), t->ctype = sdup(it->content_type);
        t->headers = sdup(it->http_headers);
        CHECK(!it->http_headers || strlen(it->http_headers) <= it->http_headers_len);
        t->ref_uri = sdup(it->refers_to_uri), t->ref_digest = sdup(it->refers_to_digest);
        t->content = malloc(it->content_len + 1);
        CHECK(it->content != NULL);
        if (it->content_len)
            memcpy(t->content, it->content, it->content_len);
        CHECK(it->content_len <= it->size);
        CHECK(it->line == 0 && it->license == NULL);
    }
    r->ni++;
    return r->stop_after && r->ni >= r->stop_after ? EX_EINVAL : EX_OK;
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    res *r = ctx;
    if (r->nq < MAXR) {
        r->q[r->nq].offset = q->offset;
        r->q[r->nq].member = q->member;
        r->q[r->nq].reason = sdup(q->reason);
        CHECK(q->reason && q->reason[0]);
    }
    r->nq++;
    return EX_OK;
}

static void
res_free(res *r)
{
    for (size_t i = 0; i < r->ni && i < MAXR; i++) {
        ti *t = &r->it[i];
        free(t->url), free(t->id), free(t->date), free(t->type), free(t->ctype);
        free(t->headers), free(t->ref_uri), free(t->ref_digest), free(t->content);
    }
    for (size_t i = 0; i < r->nq && i < MAXR; i++)
        free(r->q[i].reason);
    memset(r, 0, sizeof *r);
}

static void
run_buf(const uint8_t *p, size_t n, const ex_warc_limits *lim, res *r)
{
    ex_reader_cb cb = {on_item, on_quarantine, r, 0};
    r->rc = ex_warc_parse_buffer(p, n, lim, &cb, &r->err);
}

static void
run_path(const char *path, res *r)
{
    ex_reader_cb cb = {on_item, on_quarantine, r, 0};
    r->rc = ex_read_warc(path, &cb, &r->err);
}

static int
str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Same items and reports; members compared only if `members`. */
static int
res_same(const res *a, const res *b, int members)
{
    if (a->rc != b->rc || a->ni != b->ni || a->nq != b->nq)
        return 0;
    for (size_t i = 0; i < a->ni && i < MAXR; i++) {
        const ti *x = &a->it[i], *y = &b->it[i];
        if (x->offset != y->offset || (members && x->member != y->member) || x->size != y->size ||
            x->content_len != y->content_len || memcmp(x->digest, y->digest, 32) != 0 ||
            x->status != y->status || !str_eq(x->url, y->url) || !str_eq(x->id, y->id) ||
            !str_eq(x->date, y->date) || !str_eq(x->type, y->type) || !str_eq(x->ctype, y->ctype) ||
            !str_eq(x->headers, y->headers) || !str_eq(x->ref_uri, y->ref_uri) ||
            !str_eq(x->ref_digest, y->ref_digest) ||
            memcmp(x->content, y->content, x->content_len) != 0)
            return 0;
    }
    for (size_t i = 0; i < a->nq && i < MAXR; i++)
        if (a->q[i].offset != b->q[i].offset || (members && a->q[i].member != b->q[i].member) ||
            !str_eq(a->q[i].reason, b->q[i].reason))
            return 0;
    return 1;
}

/* Parse p[0..n) with the defaults into *want, then with small buffers and reads: the results
 * must not change. */
static void
parse_all_ways(const uint8_t *p, size_t n, res *want)
{
    static const size_t caps[] = {16, 17, 31, 64, 333, 4096};
    static const size_t reads[] = {0, 1, 3, 7, 100};
    run_buf(p, n, NULL, want);
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        for (size_t j = 0; j < sizeof reads / sizeof reads[0]; j++) {
            ex_warc_limits lim = {caps[i], reads[j], 0, 0, 0};
            res r = {0};
            run_buf(p, n, &lim, &r);
            int same = res_same(want, &r, 1);
            CHECK(same);
            if (!same) {
                fprintf(stderr,
                        "  buf_cap %zu read_max %zu differs: %zu/%zu items, %zu/%zu "
                        "reports\n",
                        caps[i], reads[j], r.ni, want->ni, r.nq, want->nq);
                for (size_t k = 0; k < r.nq && k < MAXR; k++)
                    fprintf(stderr, "    got %llu: %s\n", (unsigned long long)r.q[k].offset,
                            r.q[k].reason);
                for (size_t k = 0; k < want->nq && k < MAXR; k++)
                    fprintf(stderr, "    want %llu: %s\n", (unsigned long long)want->q[k].offset,
                            want->q[k].reason);
            }
            res_free(&r);
        }
}

static char tmpdir[256];

static void
write_file(const char *name, const void *p, size_t n, char *path)
{
    snprintf(path, 512, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        abort();
}

/* The crafted WARC w, gzipped one member per record (records start at starts[]); the member
 * offsets go to moff[]. */
static void
gzip_records(const sb *w, sb *out, uint64_t *moff)
{
    sb m = {0};
    out->n = 0;
    for (size_t i = 0; i < nstarts; i++) {
        size_t end = i + 1 < nstarts ? starts[i + 1] : w->n;
        moff[i] = out->n;
        deflate_to(w->p + starts[i], end - starts[i], IGZIP_GZIP, &m);
        sb_put(out, m.p, m.n);
    }
    sb_free(&m);
}

/* Decompress a whole file with instream (for parsing the samples from memory). */
static void
slurp(const char *path, sb *out)
{
    ex_instream *s;
    ex_err e;
    uint8_t buf[65536];
    size_t got;
    out->n = 0;
    if (ex_instream_open(path, &s, &e) != EX_OK)
        return;
    while (ex_instream_read(s, buf, sizeof buf, &got, &e) == EX_OK && got)
        sb_put(out, buf, got);
    ex_instream_close(s);
}

static int
has(const char *s, const char *part)
{
    return s && strstr(s, part) != NULL;
}

/* ---- 1. the shared samples ------------------------------------------------------------ */

static const char *samples;

static void
sample(const char *name, res *r)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", samples, name);
    run_path(path, r);
    CHECK_RC(r->rc, EX_OK);
    /* the same bytes parsed from memory, in all buffer sizes, give the same answers */
    sb plain = {0};
    res m = {0};
    slurp(path, &plain);
    CHECK(plain.n > 0);
    parse_all_ways(plain.p, plain.n, &m);
    CHECK(res_same(r, &m, 0));
    res_free(&m);
    sb_free(&plain);
}

static const char *example_html_sha256 =
    "3587cb776ce0e4e8237f215800b7dffba0f25865cb84550e87ea8bbac838c423";
static const char *empty_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void
check_example_response(const ti *t, uint64_t offset, uint64_t member)
{
    CHECK(t->offset == offset && t->member == member);
    CHECK_STR(t->type, "response");
    CHECK_STR(t->url, "http://example.com/");
    CHECK_STR(t->id, "<urn:uuid:a9c51e3e-0221-11e7-bf66-0242ac120005>");
    CHECK_STR(t->date, "2017-03-06T04:02:06Z");
    CHECK(t->status == 200);
    CHECK_STR(t->ctype, "text/html");
    /* payload is gzip content-encoded (606 bytes); the content is the gunzipped page */
    CHECK(t->size == 1270 && t->content_len == 1270);
    CHECK(digest_is(t->digest, example_html_sha256));
    CHECK(memcmp(t->content, "<!doctype html>", 15) == 0);
    CHECK(has(t->headers, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"));
    CHECK(t->headers && strlen(t->headers) == 369);
}

static void
check_example_revisit(const ti *t, uint64_t offset, uint64_t member)
{
    CHECK(t->offset == offset && t->member == member);
    CHECK_STR(t->type, "revisit");
    CHECK_STR(t->url, "http://example.com/");
    CHECK_STR(t->ref_uri, "http://example.com/");
    CHECK_STR(t->ref_digest, "sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK");
    CHECK(t->size == 0 && t->content_len == 0);
    CHECK(digest_is(t->digest, empty_sha256));
    CHECK(t->status == 200);
    CHECK_STR(t->date, "2017-03-06T04:03:48Z");
}

static void
test_samples(void)
{
    res r = {0};
    char b32s[80];

    sample("example.warc", &r);
    CHECK(r.ni == 2 && r.nq == 0);
    check_example_response(&r.it[0], 1197, 1197);
    check_example_revisit(&r.it[1], 3370, 3370);
    res_free(&r);

    /* one gzip member per record, at the offsets zlib finds */
    sample("example.warc.gz", &r);
    CHECK(r.ni == 2 && r.nq == 0);
    check_example_response(&r.it[0], 1197, 784);
    check_example_revisit(&r.it[1], 3488, 2621);
    res_free(&r);

    /* one gzip member for the whole file; the revisit's block digest is wrong (the block
     * hashes to W5NM..., as in example.warc) */
    sample("example-bad-non-chunked.warc.gz", &r);
    CHECK(r.ni == 1 && r.nq == 1);
    check_example_response(&r.it[0], 1197, 0);
    CHECK(r.q[0].offset == 3370 && r.q[0].member == 0);
    CHECK(has(r.q[0].reason, "warc-block-digest mismatch"));
    CHECK(has(r.q[0].reason, "sha1:DVRKRZEWKT4QEWGQOSFOA5KY5VDIWJLW"));
    CHECK(has(r.q[0].reason, "sha1:W5NMHSQVKVJVH3GFFGY7J7SJNY7GMGGO"));
    res_free(&r);

    /* four request records, digests in base32, base64, base64url: none is an item */
    sample("example-digest.warc", &r);
    CHECK(r.ni == 0 && r.nq == 0);
    res_free(&r);

    /* chunked payload; digests in hex; the payload digest is over the chunked bytes */
    sample("example-iana.org-chunked.warc", &r);
    CHECK(r.ni == 1 && r.nq == 0);
    if (r.ni == 1) {
        ti *t = &r.it[0];
        CHECK(t->offset == 405 && t->member == 405);
        CHECK_STR(t->url, "http://www.iana.org/");
        CHECK(t->status == 200);
        CHECK_STR(t->ctype, "text/html; charset=UTF-8");
        CHECK(t->size == 7223);
        CHECK(digest_is(t->digest,
                        "aaf8c52338baf919fa901ac7e4ae681feb187a70b2e2af4bd58c53a382340b7a"));
        CHECK(has(t->headers, "Transfer-Encoding: chunked"));
        CHECK(t->content_len == 7223 && memcmp(t->content, "<!doctype html>", 15) == 0);
    }
    res_free(&r);

    sample("example-resource.warc.gz", &r);
    CHECK(r.ni == 1 && r.nq == 0);
    if (r.ni == 1) {
        ti *t = &r.it[0];
        CHECK(t->offset == 1150 && t->member == 802);
        CHECK_STR(t->type, "resource");
        CHECK_STR(t->url, "http://example.com/");
        CHECK(t->status == 0 && t->headers == NULL);
        CHECK_STR(t->ctype, "text/html; charset=utf-8");
        CHECK(t->size == 1303);
        CHECK(digest_is(t->digest,
                        "c7c34a8693799a251bb47097d4f4d6e411c12ac3bd674b7426e2de46e75d9ae7"));
        sha1_b32(t->content, t->content_len, b32s); /* as warcio recorded it */
        CHECK_STR(b32s, "sha1:YXLHEZO6YIEPLHABGCQ2TM24WROPX6ZG");
    }
    res_free(&r);

    /* Content-Length 973 where the block is 975: no CRLF CRLF after it; the scan finds the
     * request record at 2566, which is skipped */
    sample("example-trunc.warc", &r);
    CHECK(r.ni == 0 && r.nq == 1);
    CHECK(r.q[0].offset == 1197 && r.q[0].member == 1197);
    CHECK(has(r.q[0].reason, "not followed by crlf crlf"));
    res_free(&r);

    /* Content-Length one short of the block (and gzip members cut mid-record) */
    sample("example-wrong-chunks.warc.gz", &r);
    CHECK(r.ni == 0 && r.nq == 1);
    CHECK(r.q[0].offset == 0 && r.q[0].member == 0);
    CHECK(has(r.q[0].reason, "not followed by crlf crlf"));
    res_free(&r);

    sample("post-test.warc.gz", &r);
    CHECK(r.ni == 3 && r.nq == 0);
    static const struct {
        uint64_t off, member, size;
        const char *url, *sha256, *warcio_sha1;
    } post[3] = {
        {0, 0, 545, "http://httpbin.org/post",
         "8860460f5f9f7b79ef34420696dcd387e7c8933d75a00a544b5f9b5c812d55f6",
         "sha1:M532K5WS4GY2H4OVZO6HRPOP47A7KDWU"},
        {1729, 1196, 552, "http://httpbin.org/post",
         "602a6487e44e8b5376a88fc869123dfb86272d54990f65dcaeb2afe4f77df46d",
         "sha1:M7YCTM7HS3YKYQTAWQVMQSQZBNEOXGU2"},
        {3462, 2395, 551, "http://httpbin.org/post?foo=bar",
         "564b1a63d291e6fe84436315cb9508040a42a1a4e57ed67b231ac5ce6299a1d1",
         "sha1:B6E5P6JUZI6UPDTNO4L2BCHMGLTNCUAJ"},
    };
    for (size_t i = 0; i < 3 && i < r.ni; i++) {
        ti *t = &r.it[i];
        CHECK(t->offset == post[i].off && t->member == post[i].member);
        CHECK(t->size == post[i].size && t->content_len == post[i].size);
        CHECK_STR(t->url, post[i].url);
        CHECK(t->status == 200);
        CHECK_STR(t->ctype, "application/json");
        CHECK(digest_is(t->digest, post[i].sha256));
        sha1_b32(t->content, t->content_len, b32s);
        CHECK_STR(b32s, post[i].warcio_sha1);
    }
    res_free(&r);
}

/* ---- 2. crafted files ------------------------------------------------------------------- */

static void
test_digest_parse(void)
{
    int alg;
    size_t n;
    uint8_t d[32], sha1_empty[20], sha256_empty[32];
    md("sha1", "", 0, sha1_empty);
    md("sha256", "", 0, sha256_empty);
    char b[80];
    b32(sha1_empty, 20, b);
    CHECK_STR(b, "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"); /* the b32 encoder of this test */
    const char *sha1_forms[] = {
        "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",  "SHA1:3i42h3s6nnfq2msvx7xzkyaysCX5QBYJ",
        "sha-1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "sha1:2jmj7l5rSw0yVb/vlWAYkK/YBwk=",      "sha1:2jmj7l5rSw0yVb_vlWAYkK_YBwk"};
    for (size_t i = 0; i < 6; i++) {
        memset(d, 0, sizeof d);
        CHECK_RC(ex_warc_digest_parse(sha1_forms[i], &alg, d, &n), EX_OK);
        CHECK(alg == EX_WARC_SHA1 && n == 20 && memcmp(d, sha1_empty, 20) == 0);
    }
    const char *sha256_forms[] = {
        "sha256:4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ====",
        "sha256:4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ",
        "sha-256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="};
    for (size_t i = 0; i < 4; i++) {
        memset(d, 0, sizeof d);
        CHECK_RC(ex_warc_digest_parse(sha256_forms[i], &alg, d, &n), EX_OK);
        CHECK(alg == EX_WARC_SHA256 && n == 32 && memcmp(d, sha256_empty, 32) == 0);
    }
    CHECK_RC(ex_warc_digest_parse("md5:d41d8cd98f00b204e9800998ecf8427e", &alg, d, &n), EX_OK);
    CHECK(alg == 0);
    CHECK_RC(ex_warc_digest_parse("sha1:1112H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", &alg, d, &n),
             EX_EFORMAT);
    CHECK_RC(ex_warc_digest_parse("sha1:3I42H3S6", &alg, d, &n), EX_EFORMAT);
    CHECK_RC(ex_warc_digest_parse("sha1", &alg, d, &n), EX_EFORMAT);
    CHECK_RC(ex_warc_digest_parse("sha256:zz", &alg, d, &n), EX_EFORMAT);
}

static void
test_http_head(void)
{
    ex_http_head h;
    ex_err e = {0};
    const char *a = "HTTP/1.1 404 Not Found\r\ncontent-TYPE:  text/html;\r\n charset=utf-8 \r\n"
                    "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nbad line\r\n"
                    "Content-Encoding: identity\r\nContent-Encoding: x-gzip\r\n\r\nbody";
    size_t end = ex_http_head_end((const uint8_t *)a, strlen(a), 0);
    CHECK(end == strlen(a) - 4);
    CHECK_RC(ex_http_parse_head((const uint8_t *)a, end, &h, &e), EX_OK);
    CHECK(h.status == 404 && h.chunked == 1 && h.coding == EX_HTTP_CODING_GZIP);
    CHECK_STR(h.content_type, "text/html; charset=utf-8");

    const char *b = "HTTP/2 200\nContent-Encoding: gzip, br\nTransfer-Encoding: chunked, gzip\n\n";
    end = ex_http_head_end((const uint8_t *)b, strlen(b), 0);
    CHECK(end == strlen(b));
    CHECK_RC(ex_http_parse_head((const uint8_t *)b, end, &h, &e), EX_OK);
    CHECK(h.status == 200 && h.chunked == 0 && h.coding == EX_HTTP_CODING_OTHER);
    CHECK_STR(h.content_type, "");

    const char *c = "HTTP/1.0 301 \r\nContent-Encoding: deflate\r\n";
    CHECK(ex_http_head_end((const uint8_t *)c, strlen(c), 0) == 0);
    CHECK_RC(ex_http_parse_head((const uint8_t *)c, strlen(c), &h, &e), EX_OK);
    CHECK(h.status == 301 && h.coding == EX_HTTP_CODING_DEFLATE);

    const char *bad[] = {"HTTX/1.1 200 OK\r\n\r\n",
                         "HTTP/1.1 20 OK\r\n\r\n",
                         "HTTP/1.1 2000 OK\r\n\r\n",
                         "HTTP/ 200 OK\r\n\r\n",
                         "HTTP/1. 200 OK\r\n\r\n",
                         "HTTP/1.1200 OK\r\n\r\n",
                         "\r\n\r\n",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(ex_http_parse_head((const uint8_t *)bad[i], strlen(bad[i]), &h, &e), EX_EFORMAT);
        CHECK(has(e.msg, "malformed http status line"));
    }
}

/* De-chunk in pieces of `step` bytes. */
static int
dechunk(const char *in, size_t n, size_t step, sb *out, ex_err *e)
{
    ex_chunked c;
    ex_chunked_init(&c);
    out->n = 0;
    for (size_t off = 0; off < n;) {
        size_t k = n - off < step ? n - off : step;
        while (k > 0) {
            size_t used, doff, dlen;
            int rc = ex_chunked_step(&c, (const uint8_t *)in + off, k, &used, &doff, &dlen, e);
            if (rc != EX_OK)
                return rc;
            CHECK(used > 0 && used <= k && doff + dlen <= used);
            sb_put(out, in + off + doff, dlen);
            off += used, k -= used;
        }
    }
    return ex_chunked_finish(&c, e);
}

static void
test_chunked(void)
{
    sb out = {0};
    ex_err e = {0};
    const char *good = "5;name=v\r\nhello\r\n1\r\n \r\nA\nworld12345\n0\r\nT: 1\r\n\r\nignored";
    for (size_t step = 1; step <= strlen(good); step++) {
        CHECK_RC(dechunk(good, strlen(good), step, &out, &e), EX_OK);
        CHECK(out.n == 16 && memcmp(out.p, "hello world12345", 16) == 0);
    }
    CHECK_RC(dechunk("3\r\nabc\r\n0\r\n", 11, 4, &out, &e), EX_OK); /* no final empty line */
    struct {
        const char *in, *why;
    } bad[] = {
        {"zz\r\nabc\r\n0\r\n\r\n", "chunk size is not hex"},
        {"3 x\r\nabc\r\n0\r\n\r\n", "chunk size is not hex"},
        {"3\rabc\r\n0\r\n\r\n", "not ended by crlf"},
        {"3\r\nabcd\r\n0\r\n\r\n", "not followed by crlf"},
        {"11111111111111111\r\n", "too large"},
        {"3\r\nab", "truncated chunked body"},
        {"3\r\nabc\r\n", "truncated chunked body"},
        {"", "truncated chunked body"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e.msg[0] = 0;
        CHECK_RC(dechunk(bad[i].in, strlen(bad[i].in), 2, &out, &e), EX_EFORMAT);
        CHECK(has(e.msg, bad[i].why));
        if (!has(e.msg, bad[i].why))
            fprintf(stderr, "  '%s': %s\n", bad[i].in, e.msg);
    }
    sb_free(&out);
}

/* HTTP response block: head + payload; *head_len gets the head's length. */
static void
http_block(sb *blk, const char *head, const sb *payload, size_t *head_len)
{
    blk->n = 0;
    sb_puts(blk, head);
    *head_len = blk->n;
    sb_put(blk, payload->p, payload->n);
}

/* The good records: every kind of item. Offsets of the records go to starts[]. */
static void
craft_good(sb *w, sb *html)
{
    sb gz = {0}, body = {0}, blk = {0}, tmp = {0};
    size_t hl;
    char f[2048], bd[80], pd[80];
    nstarts = 0;
    w->n = 0;
    warcinfo(w);
    page(html, 20000, 1);

    /* 1: chunked + gzip, payload digest over the de-chunked gzip bytes (the spec's reading) */
    deflate_to(html->p, html->n, IGZIP_GZIP, &gz);
    chunk(gz.p, gz.n, 1000, ";ext=1", &body);
    const char *h1 = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                     "Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n";
    http_block(&blk, h1, &body, &hl);
    sha1_b32(gz.p, gz.n, pd);
    response(w, "http://a.example/chunked-gzip", &blk, hl, pd);

    /* 2: the same, payload digest over the chunked bytes as recorded (warcio's reading) */
    response(w, "http://a.example/chunked-raw-digest", &blk, hl, NULL);

    /* 3: deflate with a zlib wrapper, 4: raw deflate, both labelled "deflate" */
    deflate_to(html->p, html->n, IGZIP_ZLIB, &gz);
    http_block(&blk, "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n\r\n", &gz, &hl);
    response(w, "http://a.example/zlib", &blk, hl, NULL);
    deflate_to(html->p, html->n, IGZIP_DEFLATE, &gz);
    http_block(&blk, "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n\r\n", &gz, &hl);
    response(w, "http://a.example/raw-deflate", &blk, hl, NULL);

    /* 5: br cannot be decoded: the content is the payload as recorded */
    tmp.n = 0;
    sb_puts(&tmp, "\x0b\x02\x80not really brotli");
    http_block(&blk, "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n", &tmp, &hl);
    response(w, "http://a.example/br", &blk, hl, NULL);

    /* 6: "gzip" that is not gzip: kept raw */
    http_block(&blk, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", html, &hl);
    response(w, "http://a.example/not-gzip", &blk, hl, NULL);

    /* 6b: gzip with every optional header field (extra, name, comment, header crc), chunked
     * in 3-byte pieces so that the header arrives split */
    deflate_to(html->p, html->n, IGZIP_GZIP_NO_HDR, &tmp); /* deflate data and gzip trailer */
    gz.n = 0;
    sb_put(&gz, "\x1f\x8b\x08\x1e\0\0\0\0\0\x03\x04\0ABCDname.html\0a comment\0\x12\x34", 38);
    sb_put(&gz, tmp.p, tmp.n);
    body.n = 0;
    chunk(gz.p, gz.n, 3, NULL, &body);
    http_block(&blk, h1, &body, &hl);
    response(w, "http://a.example/gzip-header-fields", &blk, hl, NULL);

    /* 7: revisit (WARC/1.1), head only, payload digest names the original and is not checked */
    const char *rv = "HTTP/1.1 304 Not Modified\r\nContent-Type: text/html\r\n\r\n";
    sha1_b32(rv, strlen(rv), bd);
    snprintf(f, sizeof f,
             "WARC-Type: revisit\r\nWARC-Target-URI: <http://a.example/again>\r\n"
             "WARC-Date: 2024-01-03T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:r>\r\n"
             "WARC-Refers-To-Target-URI: <http://a.example/first>\r\n"
             "WARC-Payload-Digest: sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
             "WARC-Block-Digest: %s\r\nContent-Type: application/http; msgtype=response\r\n",
             bd);
    rec(w, "WARC/1.1", f, rv, strlen(rv));

    /* 8: conversion (WET) with sha256 digests, block in hex, payload in base32; a folded
     * Content-Type */
    const char *text = "Plain text extracted from a page.\nSecond line.\n";
    sha256_text(text, strlen(text), 0, bd);
    sha256_text(text, strlen(text), 1, pd);
    snprintf(f, sizeof f,
             "WARC-Type: conversion\r\nWARC-Target-URI: http://a.example/text\r\n"
             "WARC-Date: 2024-01-03T00:00:01Z\r\nWARC-Record-ID: <urn:uuid:c>\r\n"
             "WARC-Block-Digest: %s\r\nWARC-Payload-Digest: %s\r\n"
             "Content-Type: text/plain;\r\n\t charset=utf-8\r\n",
             bd, pd);
    rec(w, "WARC/1.1", f, text, strlen(text));

    /* 9: request and metadata records are skipped */
    const char *req = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";
    rec(w, "WARC/1.0", "WARC-Type: request\r\nWARC-Target-URI: http://a.example/\r\n", req,
        strlen(req));
    rec(w, "WARC/1.0", "WARC-Type: metadata\r\nwarc-target-uri: http://a.example/\r\n", "x: y\r\n",
        6);

    /* 10: a response that is not HTTP (dns), an md5 digest (not checked), lowercase names */
    const char *dns = "20240103000002\na.example.\t300\tIN\tA\t192.0.2.1\n";
    rec(w, "WARC/1.0",
        "warc-type: response\r\nwarc-target-uri: dns:a.example\r\ncontent-type: text/dns\r\n"
        "WARC-Block-Digest: md5:00000000000000000000000000000000\r\n",
        dns, strlen(dns));

    /* 11: an HTTP response without a WARC Content-Type, LF line ends and no payload digest */
    tmp.n = 0;
    sb_puts(&tmp, "{}");
    http_block(&blk, "HTTP/1.0 200 OK\nContent-Type: application/json\n\n", &tmp, &hl);
    rec(w, "WARC/1.0", "WARC-Type: response\r\nWARC-Target-URI: http://a.example/json\r\n", blk.p,
        blk.n);

    /* 12: resource, after blank lines between records */
    sb_puts(w, "\r\n\r\n\n");
    sha1_b32(html->p, 100, bd);
    snprintf(f, sizeof f,
             "WARC-Type: resource\r\nWARC-Target-URI: file:///a.html\r\n"
             "Content-Type: text/html\r\nWARC-Block-Digest: %s\r\n",
             bd);
    rec(w, "WARC/1.0", f, html->p, 100);

    sb_free(&gz), sb_free(&body), sb_free(&blk), sb_free(&tmp);
}

static void
check_good(const res *r, const sb *html, const sb *w)
{
    uint8_t want[32];
    CHECK_RC(r->rc, EX_OK);
    CHECK(r->ni == 12 && r->nq == 0);
    for (size_t i = 0; i < r->nq && i < MAXR; i++)
        fprintf(stderr, "  unexpected quarantine at %llu: %s\n", (unsigned long long)r->q[i].offset,
                r->q[i].reason);
    if (r->ni != 12)
        return;
    sha256_of(html->p, html->n, want);
    const char *dec[] = {"http://a.example/chunked-gzip", "http://a.example/chunked-raw-digest",
                         "http://a.example/zlib", "http://a.example/raw-deflate"};
    for (size_t i = 0; i < 4; i++) {
        const ti *t = &r->it[i];
        CHECK_STR(t->url, dec[i]);
        CHECK(t->offset == starts[i + 1]);
        CHECK(t->size == html->n && t->content_len == html->n);
        CHECK(memcmp(t->digest, want, 32) == 0);
        CHECK(memcmp(t->content, html->p, html->n) == 0);
        CHECK(t->status == 200);
        CHECK_STR(t->type, "response");
        CHECK_STR(t->date, "2024-01-02T03:04:05Z");
    }
    CHECK_STR(r->it[0].ctype, "text/html; charset=utf-8");
    CHECK_STR(r->it[0].headers, "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                                "Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n");
    const ti *br = &r->it[4];
    const char *brotli = "\x0b\x02\x80not really brotli";
    sha256_of(brotli, strlen(brotli), want);
    CHECK(br->size == strlen(brotli) && memcmp(br->digest, want, 32) == 0);
    const ti *ng = &r->it[5];
    sha256_of(html->p, html->n, want);
    CHECK(ng->size == html->n && memcmp(ng->digest, want, 32) == 0);
    const ti *gf = &r->it[6];
    CHECK_STR(gf->url, "http://a.example/gzip-header-fields");
    CHECK(gf->size == html->n && memcmp(gf->digest, want, 32) == 0);
    const ti *rv = &r->it[7];
    CHECK_STR(rv->type, "revisit");
    CHECK_STR(rv->url, "http://a.example/again");
    CHECK_STR(rv->ref_uri, "http://a.example/first");
    CHECK_STR(rv->ref_digest, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    CHECK(rv->size == 0 && rv->status == 304 && digest_is(rv->digest, empty_sha256));
    CHECK_STR(rv->ctype, "text/html");
    const ti *cv = &r->it[8];
    const char *text = "Plain text extracted from a page.\nSecond line.\n";
    sha256_of(text, strlen(text), want);
    CHECK_STR(cv->type, "conversion");
    CHECK_STR(cv->ctype, "text/plain; charset=utf-8");
    CHECK(cv->size == strlen(text) && memcmp(cv->digest, want, 32) == 0 && cv->status == 0);
    CHECK(cv->headers == NULL && cv->ref_uri == NULL && cv->ref_digest == NULL);
    const ti *dns = &r->it[9];
    CHECK_STR(dns->url, "dns:a.example");
    CHECK_STR(dns->ctype, "text/dns");
    CHECK(dns->status == 0 && dns->size == 45);
    CHECK(dns->id == NULL && dns->date == NULL);
    const ti *js = &r->it[10];
    CHECK(js->status == 200 && js->size == 2 && memcmp(js->content, "{}", 2) == 0);
    CHECK_STR(js->ctype, "application/json");
    const ti *rs = &r->it[11];
    sha256_of(html->p, 100, want);
    CHECK_STR(rs->type, "resource");
    CHECK(rs->size == 100 && memcmp(rs->digest, want, 32) == 0);
    CHECK(rs->offset == starts[14] && w->p[starts[14] - 1] == '\n');
}

static void
test_good(void)
{
    sb w = {0}, html = {0}, gz = {0};
    res r = {0}, f = {0};
    uint64_t moff[64];
    char path[512];
    craft_good(&w, &html);
    parse_all_ways(w.p, w.n, &r);
    check_good(&r, &html, &w);

    /* the same records from a plain file, and gzipped per record */
    write_file("good.warc", w.p, w.n, path);
    run_path(path, &f);
    CHECK(res_same(&r, &f, 1));
    res_free(&f);
    gzip_records(&w, &gz, moff);
    write_file("good.warc.gz", gz.p, gz.n, path);
    run_path(path, &f);
    CHECK(res_same(&r, &f, 0));
    check_good(&f, &html, &w);
    /* items 0-8 are records 1-9; 9-11 are records 12-14 (10, 11: request, metadata) */
    CHECK(f.ni == 12);
    for (size_t i = 0; i < f.ni && i < 12; i++)
        CHECK(f.it[i].member == moff[i < 9 ? i + 1 : i + 3]);
    res_free(&f);

    /* a callback's code stops the reader */
    f.stop_after = 2;
    run_path(path, &f);
    CHECK_RC(f.rc, EX_EINVAL);
    CHECK(f.ni == 2);
    res_free(&f);

    /* payloads beyond the inline limit are digested in full, handed over in part */
    ex_warc_limits lim = {0, 0, 0, 1000, 0};
    run_buf(w.p, w.n, &lim, &f);
    CHECK(f.ni == 12 && f.nq == 0);
    if (f.ni == 12) {
        CHECK(f.it[0].size == html.n && f.it[0].content_len == 1000);
        CHECK(memcmp(f.it[0].digest, r.it[0].digest, 32) == 0);
        CHECK(memcmp(f.it[0].content, html.p, 1000) == 0);
        CHECK(f.it[5].size == html.n && f.it[5].content_len == 1000);
        CHECK(f.it[6].size == html.n && f.it[6].content_len == 1000);
        CHECK(f.it[11].content_len == 100);
    }
    res_free(&f);
    res_free(&r);
    sb_free(&w), sb_free(&html), sb_free(&gz);
}

/* One bad record between two good ones: the reason, and what survives. */

static void
good_resource(sb *w, const char *uri)
{
    char f[256];
    const char *body = "<html>fine</html>";
    snprintf(f, sizeof f, "WARC-Type: resource\r\nWARC-Target-URI: %s\r\n", uri);
    rec(w, "WARC/1.0", f, body, strlen(body));
}

static void
bad_case(const char *name, const sb *bad, const char *reason, size_t items, int tail)
{
    sb w = {0};
    res r = {0};
    int nq = 1;
    nstarts = 0;
    good_resource(&w, "http://a.example/before");
    uint64_t bad_at = w.n;
    sb_put(&w, bad->p, bad->n);
    if (tail)
        good_resource(&w, "http://a.example/after");
    parse_all_ways(w.p, w.n, &r);
    CHECK_RC(r.rc, EX_OK);
    int ok = r.ni == items && r.nq == (size_t)nq && r.nq >= 1 && r.q[0].offset == bad_at &&
             has(r.q[0].reason, reason);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  case '%s': %zu items, %zu quarantined, first: %s at %llu\n", name, r.ni,
                r.nq, r.nq ? r.q[0].reason : "-", r.nq ? (unsigned long long)r.q[0].offset : 0ULL);
    if (r.ni >= 1)
        CHECK_STR(r.it[0].url, "http://a.example/before");
    if (items == 2 && r.ni == 2)
        CHECK_STR(r.it[1].url, "http://a.example/after");
    res_free(&r);
    sb_free(&w);
}

static void
test_bad(void)
{
    sb b = {0}, blk = {0}, p = {0};
    size_t hl;
    char pd[80];
    struct {
        const char *name, *raw, *reason;
        size_t items;
    } text_cases[] = {
        {"garbage", "some garbage\r\nbetween records\r\n", "not a warc record", 2},
        {"old version", "WARC/0.18\r\nWARC-Type: resource\r\nContent-Length: 2\r\n\r\nab\r\n\r\n",
         "unsupported warc version line 'WARC/0.18'", 2},
        {"no content-length", "WARC/1.0\r\nWARC-Type: resource\r\n\r\nab\r\n\r\n",
         "missing content-length", 2},
        {"content-length nan",
         "WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: 2a\r\n\r\nab\r\n\r\n",
         "content-length is not a number: '2a'", 2},
        {"content-length twice",
         "WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"
         "ab\r\n\r\n",
         "given twice", 2},
        {"no colon", "WARC/1.0\r\nWARC-Type resource\r\nContent-Length: 2\r\n\r\nab\r\n\r\n",
         "warc header line 2: not a 'name: value' field", 2},
        {"bare lf", "WARC/1.0\r\nWARC-Type: resource\nContent-Length: 2\r\n\r\nab\r\n\r\n",
         "bare lf", 2},
        {"control char",
         "WARC/1.0\r\nWARC-Type: res\x01ource\r\nContent-Length: 2\r\n\r\nab\r\n\r\n",
         "control character 0x01", 2},
        {"stray continuation", "WARC/1.0\r\n folded\r\nContent-Length: 2\r\n\r\nab\r\n\r\n",
         "continuation without a field", 2},
        {"no warc-type", "WARC/1.0\r\nContent-Length: 2\r\n\r\nab\r\n\r\n", "missing warc-type", 2},
        {"terminator", "WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: 1\r\n\r\nab\r\n\r\n",
         "not followed by crlf crlf", 2},
        {"bad status", NULL, "malformed http status line 'HTTX/1.1 200 OK'", 2},
        {"empty http", NULL, "malformed http status line ''", 2},
        {"bad chunk size", NULL, "chunk size is not hex at body offset 0", 2},
        {"truncated chunk", NULL, "truncated chunked body", 2},
        {"undecodable digest",
         "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Block-Digest: sha1:!!!\r\nContent-Length: 2\r\n"
         "\r\nab\r\n\r\n",
         "warc-block-digest cannot be decoded: 'sha1:!!!'", 2},
        {"block digest",
         "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Block-Digest: "
         "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
         "\r\nContent-Length: 2\r\n\r\nab\r\n\r\n",
         "warc-block-digest mismatch: record says sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ, block is "
         "sha1:",
         2},
        {"sha256 block digest",
         "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Block-Digest: sha256:"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\nContent-Length: 2\r\n"
         "\r\nab\r\n\r\n",
         "warc-block-digest mismatch", 2},
        {"payload digest",
         "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Payload-Digest: "
         "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
         "\r\nContent-Length: 2\r\n\r\nab\r\n\r\n",
         "warc-payload-digest mismatch", 2},
        {"truncated block", "WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: 100\r\n\r\nab",
         "record block truncated", 1},
        {"truncated header", "WARC/1.0\r\nWARC-Type: resource\r\nContent-Le",
         "warc header truncated", 1},
        {"truncated version line", "WARC/1.", "warc header truncated", 1},
        {"no terminator at the end",
         "WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: 2\r\n"
         "\r\nab\r\n",
         "record truncated: no crlf crlf", 1},
    };
    /* blocks of the cases above whose text is NULL: HTTP responses */
    const char *http_blocks[][2] = {
        {"bad status", "HTTX/1.1 200 OK\r\n\r\n"},
        {"empty http", ""},
        {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
        {"truncated chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc\r\n"},
    };
    for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
        b.n = 0;
        if (text_cases[i].raw) {
            sb_puts(&b, text_cases[i].raw);
        } else {
            for (size_t k = 0; k < sizeof http_blocks / sizeof http_blocks[0]; k++)
                if (strcmp(http_blocks[k][0], text_cases[i].name) == 0)
                    rec(&b, "WARC/1.0",
                        "WARC-Type: response\r\nContent-Type: application/http; "
                        "msgtype=response\r\n",
                        http_blocks[k][1], strlen(http_blocks[k][1]));
        }
        /* a truncated record is the last one: nothing follows it */
        bad_case(text_cases[i].name, &b, text_cases[i].reason, text_cases[i].items,
                 text_cases[i].items == 2);
    }

    /* corrupt gzip content-encoding (a gzip header, then bytes that are not deflate) */
    p.n = 0;
    sb_put(&p, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff\xff\xff", 16);
    http_block(&blk, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", &p, &hl);
    b.n = 0;
    response(&b, "http://a.example/corrupt", &blk, hl, NULL);
    bad_case("corrupt gzip content", &b, "corrupt gzip content-encoding", 2, 1);

    /* chunked payload with a wrong payload digest: neither reading matches, named as such */
    p.n = 0;
    chunk((const uint8_t *)"hello", 5, 2, NULL, &p);
    http_block(&blk, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &p, &hl);
    sha1_b32("hellO", 5, pd);
    b.n = 0;
    response(&b, "http://a.example/wrong", &blk, hl, pd);
    bad_case("chunked payload digest", &b, "(de-chunked)", 2, 1);

    /* a block digest mismatch is reported before an HTTP problem in the same record */
    b.n = 0;
    sb_puts(&b, "WARC/1.0\r\nWARC-Type: response\r\nContent-Type: application/http\r\n"
                "WARC-Block-Digest: sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ\r\n"
                "Content-Length: 10\r\n\r\nNOT HTTP\r\n\r\n\r\n");
    bad_case("precedence", &b, "warc-block-digest mismatch", 2, 1);

    /* a WARC header over the limit */
    b.n = 0;
    sb_puts(&b, "WARC/1.0\r\nWARC-Type: resource\r\nX-Padding: ");
    for (int i = 0; i < 200; i++)
        sb_puts(&b, "0123456789");
    sb_puts(&b, "\r\nContent-Length: 2\r\n\r\nab\r\n\r\n");
    {
        sb w = {0};
        res r = {0};
        ex_warc_limits lim = {0, 0, 1000, 0, 0};
        good_resource(&w, "http://a.example/before");
        sb_put(&w, b.p, b.n);
        good_resource(&w, "http://a.example/after");
        run_buf(w.p, w.n, &lim, &r);
        CHECK(r.ni == 2 && r.nq == 1 && has(r.q[0].reason, "warc header longer than 1000 bytes"));
        res_free(&r);
        /* an HTTP head over the limit */
        w.n = 0;
        good_resource(&w, "http://a.example/before");
        sb_puts(&w, "WARC/1.0\r\nWARC-Type: response\r\nContent-Type: application/http\r\n"
                    "Content-Length: 2050\r\n\r\nHTTP/1.1 200 OK\r\nX: ");
        for (int i = 0; i < 203; i++)
            sb_puts(&w, "0123456789");
        sb_puts(&w, "\r\n\r\n\r\n\r\n");
        good_resource(&w, "http://a.example/after");
        run_buf(w.p, w.n, &lim, &r);
        CHECK(r.ni == 2 && r.nq == 1 && has(r.q[0].reason, "http head longer than 1000 bytes"));
        res_free(&r);
        sb_free(&w);
    }
    sb_free(&b), sb_free(&blk), sb_free(&p);
}

/* Corrupt and truncated gzip: the record being read is quarantined with instream's message,
 * and the file ends there. */
static void
test_gzip_failures(void)
{
    sb w = {0}, html = {0}, gz = {0};
    uint64_t moff[64];
    char path[512];
    res r = {0};
    craft_good(&w, &html);
    gzip_records(&w, &gz, moff);
    /* corrupt member 3 (the zlib response) in its middle */
    size_t mid = (size_t)(moff[3] + (moff[4] - moff[3]) / 2);
    for (size_t i = 0; i < 16; i++)
        gz.p[mid + i] ^= 0x5a;
    write_file("corrupt.warc.gz", gz.p, gz.n, path);
    for (size_t i = 0; i < 16; i++)
        gz.p[mid + i] ^= 0x5a;
    run_path(path, &r);
    CHECK_RC(r.rc, EX_OK);
    CHECK(r.ni == 2 && r.nq == 1);
    CHECK(r.q[0].offset == starts[3] && r.q[0].member == moff[3]);
    CHECK(has(r.q[0].reason, "gzip member"));
    res_free(&r);

    /* a bad CRC-32 in member 4's trailer: its deflate data decodes, and its record is
     * delivered before the check fails; the record is quarantined, not handed over */
    for (size_t i = 0; i < 4; i++)
        gz.p[moff[5] - 8 + i] ^= 0xff;
    write_file("crc.warc.gz", gz.p, gz.n, path);
    for (size_t i = 0; i < 4; i++)
        gz.p[moff[5] - 8 + i] ^= 0xff;
    run_path(path, &r);
    CHECK_RC(r.rc, EX_OK);
    CHECK(r.ni == 3 && r.nq == 1);
    CHECK(r.q[0].offset == starts[4] && r.q[0].member == moff[4]);
    CHECK(has(r.q[0].reason, "fails its CRC check"));
    res_free(&r);

    /* truncated inside member 5 */
    write_file("trunc.warc.gz", gz.p, (size_t)(moff[5] + 20), path);
    run_path(path, &r);
    CHECK(r.ni == 4 && r.nq == 1 && r.q[0].offset == starts[5] && r.q[0].member == moff[5]);
    CHECK(has(r.q[0].reason, "truncated"));
    res_free(&r);

    /* garbage after the last member: reported at the end of the good data */
    sb_puts(&gz, "trailing junk");
    write_file("junk.warc.gz", gz.p, gz.n, path);
    run_path(path, &r);
    CHECK(r.ni == 12 && r.nq == 1 && r.q[0].offset == w.n);
    CHECK(has(r.q[0].reason, "not gzip"));
    res_free(&r);

    /* empty file, missing file */
    write_file("empty.warc", "", 0, path);
    run_path(path, &r);
    CHECK(r.rc == EX_OK && r.ni == 0 && r.nq == 0);
    res_free(&r);
    snprintf(path, sizeof path, "%s/missing.warc", tmpdir);
    run_path(path, &r);
    CHECK_RC(r.rc, EX_EIO);
    CHECK(has(r.err.msg, "missing.warc"));
    res_free(&r);
    sb_free(&w), sb_free(&html), sb_free(&gz);
}

/* A payload over EX_ITEM_INLINE_MAX, gzipped, through the file reader. */
static void
test_large(void)
{
    sb w = {0}, html = {0}, blk = {0}, gz = {0};
    size_t hl;
    uint64_t moff[64];
    char path[512];
    res r = {0};
    uint8_t want[32];
    nstarts = 0;
    page(&html, EX_ITEM_INLINE_MAX + 123457, 7);
    http_block(&blk, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", &html, &hl);
    response(&w, "http://a.example/large", &blk, hl, NULL);
    good_resource(&w, "http://a.example/after");
    gzip_records(&w, &gz, moff);
    write_file("large.warc.gz", gz.p, gz.n, path);
    run_path(path, &r);
    CHECK(r.ni == 2 && r.nq == 0);
    sha256_of(html.p, html.n, want);
    if (r.ni == 2) {
        CHECK(r.it[0].size == html.n && r.it[0].content_len == EX_ITEM_INLINE_MAX);
        CHECK(memcmp(r.it[0].digest, want, 32) == 0);
        CHECK(memcmp(r.it[0].content, html.p, EX_ITEM_INLINE_MAX) == 0);
        CHECK(r.it[1].offset == starts[1] && r.it[1].member == moff[1]);
    }
    res_free(&r);
    sb_free(&w), sb_free(&html), sb_free(&blk), sb_free(&gz);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_warc SAMPLES_DIR\n");
        return 2;
    }
    samples = argv[1];
    snprintf(tmpdir, sizeof tmpdir, "%s/test_warc.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_digest_parse();
    test_http_head();
    test_chunked();
    test_samples();
    test_good();
    test_bad();
    test_gzip_failures();
    test_large();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return t_done("test_warc");
}
