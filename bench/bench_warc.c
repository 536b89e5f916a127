/* bench_warc.c - throughput of the WARC reader (not a test: never run by ctest).
 *
 *   bench_warc gen FILE MB [SEED]   write a deterministic per-record-gzipped WARC of about MB
 *                                   megabytes (decompressed): a warcinfo record, then per page
 *                                   a request, a response (HTML-like payload, lognormal sizes
 *                                   around 25 kB, 3% chunked, 3% gzip content-encoded) and a
 *                                   metadata record, with sha1 block and payload digests
 *   bench_warc read FILE [RUNS] [--trust-block]
 *                                   read FILE with ex_read_warc RUNS times (default 3) and
 *                                   report the best run; before that, one pass of plain
 *                                   decompression (ex_instream_read) as the floor. With
 *                                   --trust-block, payload digests are checked only where no
 *                                   block digest is (ex_warc_limits.trust_block)
 *
 * Each subcommand prints one line of JSON to stdout; progress goes to stderr. MB = 10^6 bytes;
 * rates are decompressed bytes per second of wall time on one thread. */
#include <exante.h>

#include "ingest/instream.h"
#include "ingest/reader.h"
#include "ingest/warc_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <isa-l/igzip_lib.h>
#include <openssl/evp.h>
#include <zlib.h>

#define BENCH_NAME "bench_warc"
#include "bench_util.h"

static double
cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- generator ------------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t
rng(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static double
uniform(void)
{
    return (double)(rng() >> 11) * (1.0 / 9007199254740992.0);
}

/* growable byte string */
typedef struct sb {
    char *p;
    size_t n, cap;
} sb;

static void
sb_put(sb *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + n + 1)
            nc *= 2;
        if (!(b->p = realloc(b->p, nc)))
            die("out of memory");
        b->cap = nc;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void
sb_printf(sb *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof tmp)
        die("format overflow");
    sb_put(b, tmp, (size_t)k);
}

#define VOCAB 6000
static char vocab[VOCAB][16];

static void
make_vocab(void)
{
    static const char *syl[] = {"ka", "to", "re", "mi", "an", "el", "or", "st", "in", "ne",
                                "la", "de", "co", "pr", "ti", "on", "es", "ar", "us", "ve",
                                "ma", "li", "th", "er", "al", "ro", "se", "nu", "po", "qu"};
    for (int i = 0; i < VOCAB; i++) {
        int ns = 1 + (int)(rng() % 4);
        vocab[i][0] = '\0';
        for (int s = 0; s < ns; s++)
            strcat(vocab[i], syl[rng() % 30]);
    }
}

static const char *
word(void)
{
    double u = uniform();
    return vocab[(int)(VOCAB * u * u * u * u)]; /* Zipf-like: common words dominate */
}

/* An HTML page of about `target` bytes. */
static void
make_html(sb *b, size_t target, uint64_t page)
{
    b->n = 0;
    sb_printf(b,
              "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<title>%s %s %s</title>\n<meta name=\"viewport\" content=\"width=device-width, "
              "initial-scale=1\">\n<link rel=\"stylesheet\" href=\"/static/css/site.%06" PRIu64
              ".css\">\n<script src=\"/static/js/app.js\" defer></script>\n<style>\nbody { "
              "font-family: sans-serif; margin: 0 auto; max-width: 60em; }\n.nav a { padding: "
              "0 1em; color: #336; }\n</style>\n</head>\n<body>\n<div class=\"nav\">\n",
              word(), word(), word(), page % 1000);
    for (int i = 0; i < 8; i++)
        sb_printf(b, "<a href=\"/%s/%s.html\">%s</a>\n", word(), word(), word());
    sb_printf(b, "</div>\n<div class=\"content\">\n<h1>%s %s</h1>\n", word(), word());
    while (b->n < target) {
        int kind = (int)(rng() % 4);
        if (kind == 0) { /* a list of links, the markup that dominates real pages */
            sb_printf(b, "<ul class=\"related-links list-unstyled\">\n");
            for (int i = 0; i < 6; i++)
                sb_printf(b,
                          "  <li class=\"related-item\"><a class=\"related-link\" href=\"/"
                          "articles/%s/%s-%u.html\" title=\"%s %s\">%s %s</a></li>\n",
                          word(), word(), (unsigned)(rng() % 1000), word(), word(), word(), word());
            sb_printf(b, "</ul>\n");
            continue;
        }
        sb_printf(b, "<div class=\"article-paragraph\"><p class=\"text-body\">");
        int nw = 20 + (int)(rng() % 80);
        for (int i = 0; i < nw; i++) {
            if (rng() % 23 == 0)
                sb_printf(b, "<a href=\"https://www.%s.example/%s/%s?id=%u\">%s</a> ", word(),
                          word(), word(), (unsigned)(rng() % 100000), word());
            else
                sb_printf(b, "%s%s", word(), i + 1 < nw ? " " : "");
        }
        sb_put(b, ".</p></div>\n", 12);
    }
    sb_printf(b, "</div>\n<footer>&copy; %s %s</footer>\n</body>\n</html>\n", word(), word());
}

static void
gzip_bytes(const void *in, size_t n, sb *out, int level)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die("deflateInit2 failed");
    size_t bound = deflateBound(&z, (uLong)n);
    out->n = 0;
    if (out->cap < bound + 1) {
        free(out->p);
        if (!(out->p = malloc(bound + 1)))
            die("out of memory");
        out->cap = bound + 1;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->p;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        die("deflate failed");
    out->n = bound - z.avail_out;
    deflateEnd(&z);
}

static void
b32_sha1(const void *p, size_t n, char out[40])
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint8_t d[20];
    unsigned dl;
    if (EVP_Digest(p, n, d, &dl, EVP_sha1(), NULL) != 1)
        die("sha1 failed");
    int k = 0;
    for (int i = 0; i < 20; i += 5) {
        uint64_t v = 0;
        for (int j = 0; j < 5; j++)
            v = v << 8 | d[i + j];
        for (int j = 7; j >= 0; j--)
            out[k++] = a[(v >> (5 * j)) & 31];
    }
    out[k] = '\0';
}

static void
uuid(char out[40])
{
    uint64_t a = rng(), b = rng();
    snprintf(out, 40, "%08x-%04x-4%03x-a%03x-%012" PRIx64, (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff, (unsigned)(b >> 52) & 0xfff,
             (uint64_t)(b & 0xffffffffffffULL));
}

static void
date_of(uint64_t i, char out[32])
{
    time_t t = 1700000000 + (time_t)i * 7;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One record, gzipped as its own member. */
static void
emit(FILE *f, sb *rec, sb *gz, const char *type, const char *uri, uint64_t i, const char *ctype,
     const sb *block, const char *payload_digest, uint64_t *raw_total)
{
    char id[40], date[32], bd[40];
    uuid(id);
    date_of(i, date);
    b32_sha1(block->p, block->n, bd);
    rec->n = 0;
    sb_printf(rec, "WARC/1.0\r\nWARC-Type: %s\r\n", type);
    if (uri)
        sb_printf(rec, "WARC-Target-URI: %s\r\n", uri);
    sb_printf(rec, "WARC-Date: %s\r\nWARC-Record-ID: <urn:uuid:%s>\r\n", date, id);
    if (payload_digest)
        sb_printf(rec, "WARC-Payload-Digest: sha1:%s\r\n", payload_digest);
    sb_printf(rec, "WARC-Block-Digest: sha1:%s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
              bd, ctype, block->n);
    sb_put(rec, block->p, block->n);
    sb_put(rec, "\r\n\r\n", 4);
    gzip_bytes(rec->p, rec->n, gz, 6);
    if (fwrite(gz->p, 1, gz->n, f) != gz->n)
        die("write failed");
    *raw_total += rec->n;
}

static int
cmd_gen(const char *path, double mb, uint64_t seed)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        die("cannot create %s", path);
    rng_state = seed ? seed : 0x9E3779B97F4A7C15ULL;
    make_vocab();
    sb rec = {0}, gz = {0}, block = {0}, html = {0}, payload = {0}, enc = {0};
    uint64_t raw = 0, pages = 0, chunked = 0, gzipped = 0;
    uint64_t target = (uint64_t)(mb * 1e6);
    block.n = 0;
    sb_printf(&block, "software: bench_warc\r\nformat: WARC File Format 1.0\r\n");
    emit(f, &rec, &gz, "warcinfo", NULL, 0, "application/warc-fields", &block, NULL, &raw);
    while (raw < target) {
        uint64_t i = ++pages;
        char uri[256], pd[40];
        snprintf(uri, sizeof uri, "https://www.%s.example/%s/%s-%" PRIu64 ".html", word(), word(),
                 word(), i);
        const char *host = uri + 8;
        block.n = 0;
        sb_printf(&block,
                  "GET %s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: bench_warc/1.0 (+https://"
                  "exante.example/bot)\r\nAccept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
                  "\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip\r\nConnection: "
                  "close\r\n\r\n",
                  strchr(host, '/'), (int)(strchr(host, '/') - host), host);
        emit(f, &rec, &gz, "request", uri, i, "application/http; msgtype=request", &block, NULL,
             &raw);

        double z = sqrt(-2.0 * log(uniform() + 1e-12)) * cos(6.283185307179586 * uniform());
        double sz = 25000.0 * exp(1.0 * z);
        if (sz < 1000)
            sz = 1000;
        if (sz > 1000000)
            sz = 1000000;
        make_html(&html, (size_t)sz, i);
        unsigned kind = (unsigned)(rng() % 100);
        const sb *body = &html;
        if (kind < 3) { /* gzip content-encoding, stored as sent */
            gzip_bytes(html.p, html.n, &enc, 6);
            body = &enc;
            gzipped++;
        }
        b32_sha1(body->p, body->n, pd);
        block.n = 0;
        sb_printf(&block,
                  "HTTP/1.1 200 OK\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\nServer: nginx/1.24.0"
                  "\r\nContent-Type: text/html; charset=utf-8\r\nLast-Modified: Mon, 13 Nov 2023 "
                  "10:00:00 GMT\r\nCache-Control: max-age=3600\r\nVary: Accept-Encoding\r\n"
                  "X-Frame-Options: SAMEORIGIN\r\nStrict-Transport-Security: max-age=31536000\r\n");
        if (body == &enc)
            sb_printf(&block, "Content-Encoding: gzip\r\n");
        if (kind >= 3 && kind < 6) { /* chunked, as recorded on the wire */
            sb_printf(&block, "Transfer-Encoding: chunked\r\n\r\n");
            payload.n = 0;
            for (size_t off = 0; off < body->n;) {
                size_t k = 1024 + (size_t)(rng() % 15360);
                if (k > body->n - off)
                    k = body->n - off;
                sb_printf(&payload, "%zx\r\n", k);
                sb_put(&payload, body->p + off, k);
                sb_put(&payload, "\r\n", 2);
                off += k;
            }
            sb_put(&payload, "0\r\n\r\n", 5);
            sb_put(&block, payload.p, payload.n);
            chunked++;
        } else {
            sb_printf(&block, "Content-Length: %zu\r\nConnection: close\r\n\r\n", body->n);
            sb_put(&block, body->p, body->n);
        }
        emit(f, &rec, &gz, "response", uri, i, "application/http; msgtype=response", &block, pd,
             &raw);

        block.n = 0;
        sb_printf(&block,
                  "fetchTimeMs: %u\r\ncharset-detected: UTF-8\r\nlanguages-cld2: "
                  "{\"reliable\":true,\"languages\":[{\"code\":\"en\",\"text-bytes\":%zu}]}"
                  "\r\n",
                  (unsigned)(50 + rng() % 900), html.n);
        emit(f, &rec, &gz, "metadata", uri, i, "application/warc-fields", &block, NULL, &raw);
        if (pages % 2000 == 0)
            fprintf(stderr, "\r%" PRIu64 " pages, %.0f MB", pages, (double)raw / 1e6);
    }
    if (fclose(f) != 0)
        die("write failed");
    fprintf(stderr, "\n");
    printf("{\"bench\":\"warc-gen\",\"file\":\"%s\",\"pages\":%" PRIu64
           ",\"decompressed_bytes\":%" PRIu64 ",\"chunked\":%" PRIu64 ",\"gzip_encoded\":%" PRIu64
           ",\"seed\":%" PRIu64 "}\n",
           path, pages, raw, chunked, gzipped, seed);
    free(rec.p), free(gz.p), free(block.p), free(html.p), free(payload.p), free(enc.p);
    return 0;
}

/* ---- reader --------------------------------------------------------------------------- */

struct counts {
    uint64_t items, quarantined, content_bytes, inline_bytes;
};

static int
on_item(void *ctx, const ex_item *it)
{
    struct counts *c = ctx;
    c->items++;
    c->content_bytes += it->size;
    c->inline_bytes += it->content_len;
    return EX_OK;
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    struct counts *c = ctx;
    if (c->quarantined++ < 5)
        fprintf(stderr, "quarantined at %" PRIu64 ": %s\n", q->offset, q->reason);
    return EX_OK;
}

/* The physical limit of a reader that checks both WARC digests, on one core: ISA-L inflates
 * every gzip member of the file (in memory) into one buffer, then OpenSSL runs SHA-1 (block
 * digest), SHA-1 (payload digest) and SHA-256 (content digest) over all of it; best of 3 each.
 * A slight overestimate of the work: WARC headers are not hashed, HTTP headers only once. */
static void
limit(const char *path, uint64_t total, double *inflate_s, double *hash_s)
{
    if (total > UINT32_MAX)
        die("the limit needs a file under 4 GiB decompressed (ISA-L counts in 32 bits)");
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    if (n < 0 || (unsigned long)n > UINT32_MAX)
        die("%s: cannot size it, or over 4 GiB", path);
    rewind(f);
    uint8_t *in = malloc((size_t)n + 1), *out = malloc(total + 1);
    if (!in || !out || fread(in, 1, (size_t)n, f) != (size_t)n)
        die("cannot read %s", path);
    fclose(f);
    *inflate_s = *hash_s = 1e30;
    for (int r = 0; r < 3; r++) {
        struct inflate_state st;
        double t = now();
        isal_inflate_init(&st);
        st.crc_flag = ISAL_GZIP;
        st.next_in = in;
        st.avail_in = (uint32_t)n;
        st.next_out = out;
        st.avail_out = (uint32_t)total;
        while (st.avail_in > 0) {
            if (isal_inflate(&st) != ISAL_DECOMP_OK)
                die("isal_inflate failed");
            if (st.block_state != ISAL_BLOCK_FINISH)
                break;
            uint8_t *ni = st.next_in, *no = st.next_out;
            uint32_t ai = st.avail_in, ao = st.avail_out;
            isal_inflate_reset(&st); /* the next gzip member */
            st.crc_flag = ISAL_GZIP;
            st.next_in = ni, st.avail_in = ai, st.next_out = no, st.avail_out = ao;
        }
        double dt = now() - t;
        if ((uint64_t)(st.next_out - out) != total)
            die("inflate gave %zu bytes, not %" PRIu64, (size_t)(st.next_out - out), total);
        if (dt < *inflate_s)
            *inflate_s = dt;
        const EVP_MD *md[3] = {EVP_sha1(), EVP_sha1(), EVP_sha256()};
        unsigned char d[EVP_MAX_MD_SIZE];
        t = now();
        for (int i = 0; i < 3; i++)
            if (EVP_Digest(out, total, d, NULL, md[i], NULL) != 1)
                die("hashing failed");
        dt = now() - t;
        if (dt < *hash_s)
            *hash_s = dt;
    }
    free(in);
    free(out);
}

static int
cmd_read(const char *path, int runs, int trust_block)
{
    ex_err e = {0};
    ex_instream *s;
    static uint8_t buf[1 << 20];
    uint64_t total = 0;
    size_t got;
    double t0 = now();
    if (ex_instream_open(path, &s, &e) != EX_OK)
        die("%s", e.msg);
    while (ex_instream_read(s, buf, sizeof buf, &got, &e) == EX_OK && got)
        total += got;
    double instream_s = now() - t0;
    uint64_t file_bytes = ex_instream_file_size(s);
    ex_instream_close(s);

    double best = 1e30, best_cpu = 0;
    struct counts c = {0};
    for (int r = 0; r < runs; r++) {
        memset(&c, 0, sizeof c);
        ex_reader_cb cb = {on_item, on_quarantine, &c, 0};
        double w = now(), u = cpu_now();
        ex_warc_limits lim = {0};
        lim.trust_block = trust_block;
        int rc = ex_warc_read_file(path, &lim, &cb, &e);
        double dt = now() - w, du = cpu_now() - u;
        if (rc != EX_OK)
            die("%s", e.msg);
        fprintf(stderr, "run %d: %.3f s, %.1f MB/s\n", r + 1, dt, total / dt / 1e6);
        if (dt < best)
            best = dt, best_cpu = du;
    }
    double reader_rss = peak_rss_mib(); /* before the limit's whole-file buffers */
    double inflate_s, hash_s;
    limit(path, total, &inflate_s, &hash_s);
    double limit_s = inflate_s + hash_s;
    fprintf(stderr,
            "ex_instream alone: %.3f s; limit: inflate %.3f s + three digests %.3f s = "
            "%.3f s, %.1f MB/s\n",
            instream_s, inflate_s, hash_s, limit_s, total / limit_s / 1e6);
    printf("{\"bench\":\"warc-read\",\"file\":\"%s\",\"file_bytes\":%" PRIu64
           ",\"decompressed_bytes\":%" PRIu64 ",\"items\":%" PRIu64 ",\"quarantined\":%" PRIu64
           ",\"content_bytes\":%" PRIu64 ",\"inflate_s\":%.3f,\"inflate_mb_s\":%.1f"
           ",\"instream_s\":%.3f,\"hash3_s\":%.3f,\"limit_s\":%.3f,\"limit_mb_s\":%.1f,\"read_s\":%"
           ".3f,\"read_cpu_s\":%.3f,\"read_mb_s\":%.1f,\"runs\":%d"
           ",\"trust_block\":%d,\"peak_rss_mib\":%.1f,\"limit_peak_rss_mib\":%.1f}\n",
           path, file_bytes, total, c.items, c.quarantined, c.content_bytes, inflate_s,
           total / inflate_s / 1e6, instream_s, hash_s, limit_s, total / limit_s / 1e6, best,
           best_cpu, total / best / 1e6, runs, trust_block, reader_rss, peak_rss_mib());
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "gen") == 0)
        return cmd_gen(argv[2], atof(argv[3]), argc > 4 ? strtoull(argv[4], NULL, 10) : 0);
    if (argc >= 3 && strcmp(argv[1], "read") == 0)
        return cmd_read(argv[2], argc > 3 ? atoi(argv[3]) : 3,
                        argc > 4 && strcmp(argv[4], "--trust-block") == 0);
    fprintf(stderr, "usage: bench_warc gen FILE MB [SEED] | bench_warc read FILE [RUNS] "
                    "[--trust-block]\n");
    return 2;
}
