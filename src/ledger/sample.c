/* sample.c - a deterministic sample corpus for the demo, tests and benchmarks: web-text-like
 * JSONL (zstd) with varied licenses and URLs, and a per-record-gzipped WARC crawl with
 * robots.txt and tdmrep.json captures, tdm-reservation headers, noai signals, exact copies and
 * a few planted broken records. The same seed always gives the same bytes. */
#include "ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <isa-l/igzip_lib.h>
#include <openssl/evp.h>
#include <zstd.h>

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t
next(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static unsigned
pick(rng *r, unsigned n)
{
    return (unsigned)(next(r) % n);
}

static const char *const words[] = {
    "the", "data", "model", "river", "city", "council", "report", "market", "season", "study",
    "energy", "policy", "garden", "history", "music", "science", "language", "network", "budget",
    "winter", "harvest", "museum", "archive", "library", "school", "train", "bridge", "coast",
    "festival", "recipe", "caf\xc3\xa9", "na\xc3\xafve", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x8c\x8d",
    "stra\xc3\x9f\x65", "\xce\xb1\xce\xb2\xce\xb3"};
#define NWORDS (sizeof words / sizeof words[0])

static void
sentence_text(rng *r, ex_buf *b, unsigned words_n)
{
    for (unsigned i = 0; i < words_n; i++) {
        ex_buf_puts(b, words[pick(r, NWORDS)]);
        ex_buf_putc(b, i + 1 == words_n ? '.' : ' ');
        if (i + 1 < words_n && pick(r, 17) == 0)
            ex_buf_puts(b, pick(r, 2) ? ", " : "; ");
    }
}

/* JSON string body of s (escapes for quotes, backslashes, newlines) */
static void
json_escaped(ex_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            ex_buf_putc(b, '\\'), ex_buf_putc(b, *s);
        else if (*s == '\n')
            ex_buf_puts(b, "\\n");
        else
            ex_buf_putc(b, *s);
    }
}

static const char *const licenses[] = {"MIT",          "CC-BY-4.0",          "CC-BY-NC-4.0",
                                       "Apache-2.0",   "MIT OR GPL-3.0-only", "CC0-1.0",
                                       "CC-BY-SA-4.0", "NOASSERTION",         NULL};
static const char *const hosts[] = {"news.example.com", "blog.example.org", "shop.example.net",
                                    "art.example.io", "forum.example.com"};
#define NHOSTS (sizeof hosts / sizeof hosts[0])

static int
write_all(const char *path, const void *p, size_t n, ex_err *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return ex_fail(err, EX_EIO, "cannot create '%s': %s", path, strerror(errno));
    int ok = fwrite(p, 1, n, f) == n;
    if (fclose(f) != 0 || !ok)
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", path, strerror(errno));
    return EX_OK;
}

static int
jsonl(const char *dir, uint64_t n, rng *r, ex_err *err)
{
    ex_buf b = {0}, t = {0};
    char *texts[64] = {0}; /* recent texts, for planted copies */
    for (uint64_t i = 1; i <= n; i++) {
        if (i == n / 3 + 1) {
            ex_buf_puts(&b, "{\"id\":\"broken-json\",\"text\": \"unterminated\n");
            continue;
        }
        if (i == n / 2 + 1) {
            ex_buf_puts(&b, "{\"id\":\"bad-utf8\",\"text\":\"caf\xe9 au lait\"}\n");
            continue;
        }
        if (i == 2 * n / 3 + 1) {
            ex_buf_puts(&b, "{\"id\":\"no-text\",\"url\":\"https://forum.example.com/t/0\"}\n");
            continue;
        }
        t.len = 0;
        if (i > 64 && pick(r, 25) == 0) {
            ex_buf_puts(&t, texts[pick(r, 64)]); /* an exact copy under another URL */
        } else {
            unsigned paras = 1 + pick(r, 4);
            for (unsigned p = 0; p < paras; p++) {
                sentence_text(r, &t, 8 + pick(r, 40));
                if (p + 1 < paras)
                    ex_buf_puts(&t, "\n\n");
            }
        }
        free(texts[i % 64]);
        texts[i % 64] = strdup(t.data);
        const char *host = hosts[pick(r, NHOSTS)];
        const char *lic = licenses[pick(r, 9)];
        ex_buf_printf(&b, "{\"id\":\"doc-%06llu\",\"url\":\"https://%s/%s/%llu\",\"text\":\"",
                      (unsigned long long)i, host, words[pick(r, 29)], (unsigned long long)i);
        json_escaped(&b, t.data);
        ex_buf_puts(&b, "\"");
        if (lic)
            ex_buf_printf(&b, ",\"license\":\"%s\"", lic);
        /* drawn one by one: three draws in one argument list came out in the compiler's order
         * (gcc: right to left, clang: left to right), so the corpus depended on the compiler;
         * this is gcc's order, which wrote every sample so far */
        unsigned minute = pick(r, 60), hour = pick(r, 24), day = 1 + pick(r, 28);
        ex_buf_printf(&b, ",\"fetched\":\"2025-06-%02uT%02u:%02u:00Z\",\"meta\":{\"lang\":\"en\","
                          "\"words\":%u}}\n",
                      day, hour, minute, (unsigned)(t.len / 6));
    }
    for (int i = 0; i < 64; i++)
        free(texts[i]);
    ex_buf_free(&t);
    size_t cap = ZSTD_compressBound(b.len);
    void *z = malloc(cap);
    int rc = EX_OK;
    if (!z) {
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    } else {
        size_t zn = ZSTD_compress(z, cap, b.data, b.len, 3);
        char path[4096];
        snprintf(path, sizeof path, "%s/corpus.jsonl.zst", dir);
        rc = ZSTD_isError(zn) ? ex_fail(err, EX_EIO, "zstd: %s", ZSTD_getErrorName(zn))
                              : write_all(path, z, zn, err);
    }
    free(z);
    ex_buf_free(&b);
    return rc;
}

/* RFC 4648 base32 of a SHA-1, as WARC digests are written */
static void
sha1_b32(const void *p, size_t n, char out[33])
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char d[20];
    unsigned int dl;
    EVP_Digest(p, n, d, &dl, EVP_sha1(), NULL);
    for (int i = 0, bit = 0; i < 32; i++, bit += 5) {
        int byte = bit / 8, off = bit % 8;
        unsigned v = (unsigned)d[byte] << 8 | (byte + 1 < 20 ? d[byte + 1] : 0);
        out[i] = al[(v >> (11 - off)) & 31];
    }
    out[32] = '\0';
}

static int
gz_member(ex_buf *out, const ex_buf *in)
{
    struct isal_zstream z;
    isal_deflate_stateless_init(&z);
    size_t cap = in->len + in->len / 2 + 1024;
    if (ex_buf_reserve(out, cap) != EX_OK)
        return EX_ENOMEM;
    z.gzip_flag = IGZIP_GZIP;
    z.end_of_stream = 1;
    z.next_in = (uint8_t *)in->data;
    z.avail_in = (uint32_t)in->len;
    z.next_out = (uint8_t *)out->data + out->len;
    z.avail_out = (uint32_t)cap;
    if (isal_deflate_stateless(&z) != COMP_OK)
        return EX_EIO;
    out->len += cap - z.avail_out;
    return EX_OK;
}

typedef struct warc {
    ex_buf file, rec, block;
    unsigned n;
    rng *r;
} warc;

/* one record, gzipped on its own; http: payload after the HTTP header block */
static int
record(warc *w, const char *type, const char *uri, const char *ctype, const char *http_head,
       const ex_buf *payload, int bad_digest, const char *extra)
{
    w->block.len = 0;
    if (http_head)
        ex_buf_puts(&w->block, http_head);
    if (payload)
        ex_buf_put(&w->block, payload->data, payload->len);
    char pd[33], bd[33];
    sha1_b32(payload ? payload->data : "", payload ? payload->len : 0, pd);
    sha1_b32(w->block.data ? w->block.data : "", w->block.len, bd);
    if (bad_digest)
        pd[0] = pd[0] == 'A' ? 'B' : 'A';
    w->rec.len = 0;
    unsigned k = ++w->n;
    ex_buf_printf(&w->rec,
                  "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-%012u>\r\n"
                  "WARC-Date: 2025-06-%02uT%02u:00:00Z\r\n",
                  type, k, 1 + k % 28, k % 24);
    if (uri)
        ex_buf_printf(&w->rec, "WARC-Target-URI: %s\r\n", uri);
    if (extra)
        ex_buf_puts(&w->rec, extra);
    if (payload && strcmp(type, "revisit") != 0)
        ex_buf_printf(&w->rec, "WARC-Payload-Digest: sha1:%s\r\n", pd);
    ex_buf_printf(&w->rec, "WARC-Block-Digest: sha1:%s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                  bd, ctype, w->block.len);
    ex_buf_put(&w->rec, w->block.data, w->block.len);
    ex_buf_puts(&w->rec, "\r\n\r\n");
    return gz_member(&w->file, &w->rec);
}

static int
http_response(warc *w, const char *url, int status, const char *headers, const ex_buf *body,
              int bad_digest)
{
    char head[2048];
    snprintf(head, sizeof head,
             "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status,
             status == 200 ? "OK" : status == 404 ? "Not Found" : "Service Unavailable",
             strstr(url, "robots.txt") ? "text/plain" : strstr(url, ".json") ? "application/json"
                                                                            : "text/html; charset=utf-8",
             body->len, headers ? headers : "");
    return record(w, "response", url, "application/http; msgtype=response", head, body,
                  bad_digest, NULL);
}

static int
crawl(const char *dir, unsigned pages, rng *r, ex_err *err)
{
    warc w = {{0}, {0}, {0}, 0, r};
    ex_buf body = {0};
    int rc = EX_OK;
    ex_buf_puts(&body, "software: exante sample\r\nformat: WARC File Format 1.1\r\n");
    rc = record(&w, "warcinfo", NULL, "application/warc-fields", NULL, &body, 0, NULL);
    /* robots.txt and tdmrep.json captures */
    static const struct {
        const char *url;
        int status;
        const char *text;
    } caps[] = {
        {"https://news.example.com/robots.txt", 200,
         "User-agent: *\nDisallow: /private/\n\nUser-agent: GPTBot\nDisallow: /archive/\n"},
        {"https://blog.example.org/robots.txt", 200, "User-agent: GPTBot\nDisallow: /\n\nUser-agent: CCBot\nDisallow: /\n"},
        {"https://shop.example.net/robots.txt", 404, "not found\n"},
        {"https://forum.example.com/robots.txt", 503, "try later\n"},
        {"https://art.example.io/.well-known/tdmrep.json", 200,
         "[{\"location\":\"/gallery/*\",\"tdm-reservation\":1,\"tdm-policy\":\"https://art.example.io/tdm-policy.json\"},"
         "{\"location\":\"/*\",\"tdm-reservation\":0}]\n"},
    };
    for (size_t i = 0; rc == EX_OK && i < sizeof caps / sizeof caps[0]; i++) {
        body.len = 0;
        ex_buf_puts(&body, caps[i].text);
        rc = http_response(&w, caps[i].url, caps[i].status, NULL, &body, 0);
    }
    static const char *const paths[] = {"articles", "archive", "private", "gallery", "posts", "t"};
    for (unsigned i = 0; rc == EX_OK && i < pages; i++) {
        const char *host = hosts[pick(r, NHOSTS)];
        char url[256];
        snprintf(url, sizeof url, "https://%s/%s/%u", host, paths[pick(r, 6)], i);
        unsigned kind = pick(r, 10);
        body.len = 0;
        ex_buf_puts(&body, "<!doctype html>\n<html><head><meta charset=\"utf-8\">");
        if (kind == 1)
            ex_buf_puts(&body, "<meta name=\"robots\" content=\"noai, noimageai\">");
        if (kind == 2)
            ex_buf_puts(&body, "<meta name=\"tdm-reservation\" content=\"1\">");
        ex_buf_puts(&body, "<title>");
        sentence_text(r, &body, 4);
        ex_buf_puts(&body, "</title></head>\n<body><article><p>");
        sentence_text(r, &body, 60 + pick(r, 200));
        ex_buf_puts(&body, "</p></article></body></html>\n");
        const char *hdr = kind == 3   ? "X-Robots-Tag: noai\r\n"
                          : kind == 4 ? "tdm-reservation: 1\r\ntdm-policy: https://policy.example/tdm\r\n"
                                      : NULL;
        rc = http_response(&w, url, 200, hdr, &body, i == pages / 2);
        if (rc == EX_OK && i % 40 == 7) {
            /* the same page fetched again later: a revisit record */
            char extra[512];
            snprintf(extra, sizeof extra,
                     "WARC-Refers-To: <urn:uuid:00000000-0000-4000-8000-%012u>\r\n"
                     "WARC-Refers-To-Target-URI: %s\r\nWARC-Refers-To-Date: 2025-06-01T00:00:00Z\r\n"
                     "WARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest\r\n",
                     w.n, url);
            rc = record(&w, "revisit", url, "application/http; msgtype=response",
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", NULL, 0, extra);
        }
    }
    if (rc == EX_OK) {
        /* planted: a record whose Content-Length is not a number */
        w.rec.len = 0;
        ex_buf_puts(&w.rec, "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://broken.example/x\r\n"
                            "Content-Length: twelve\r\n\r\nHTTP/1.1 200\r\n\r\n");
        rc = gz_member(&w.file, &w.rec);
    }
    if (rc == EX_OK) {
        char path[4096];
        snprintf(path, sizeof path, "%s/crawl.warc.gz", dir);
        rc = write_all(path, w.file.data, w.file.len, err);
    } else {
        rc = ex_fail(err, rc, "cannot build the sample crawl");
    }
    ex_buf_free(&w.file);
    ex_buf_free(&w.rec);
    ex_buf_free(&w.block);
    ex_buf_free(&body);
    return rc;
}

int
ex_sample_write(const char *dir, uint64_t items, uint64_t seed, ex_err *err)
{
    if (items < 10)
        return ex_fail(err, EX_EINVAL, "a sample needs at least 10 items");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return ex_fail(err, EX_EIO, "cannot create '%s': %s", dir, strerror(errno));
    rng r = {seed * 0x9E3779B97F4A7C15ULL + 1};
    int rc = jsonl(dir, items, &r, err);
    if (rc == EX_OK)
        rc = crawl(dir, (unsigned)(items / 4 < 20 ? 20 : items / 4 > 100000 ? 100000 : items / 4),
                   &r, err);
    return rc;
}
