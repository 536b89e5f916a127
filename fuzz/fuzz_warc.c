/* fuzz_warc.c - the WARC reader (ex_warc_parse_buffer) on arbitrary bytes.
 *
 * The input is parsed with the default limits, then again with a stream buffer of 16 to 271
 * bytes, reads of 1 to 16 bytes and an inline limit of 1 to 256 bytes (all taken from the last
 * input byte), which drives every record through the refill, header-splitting and cut-content
 * paths. Invariants: both runs return EX_OK and report the same items and quarantines (offsets,
 * sizes, digests, fields, reasons) in increasing offset order inside the input; content_len is
 * min(size, inline limit); a whole content hashes to its digest; revisits have no content;
 * raw_len stays inside the input and raw, when handed over, is exactly the record's bytes there. */
#include "fuzz_common.h"
#include "ingest/warc_internal.h"

#include <openssl/evp.h>

#define MAXREP 512

typedef struct rep {
    int item;
    uint64_t offset, size;
    size_t content_len;
    uint8_t digest[EX_HASH_BYTES];
    uint8_t head[16];   /* SHA-256 of the first min(content_len, 256) content bytes, cut */
    uint8_t fields[16]; /* SHA-256 of the string fields, cut */
    int status;
} rep;

typedef struct run {
    size_t n, inline_max, input_len;
    const uint8_t *input;
    int raw; /* ask for the records' bytes (ex_reader_cb.raw) */
    rep r[MAXREP];
} run;

static void
sha(const void *p, size_t n, uint8_t out[16])
{
    uint8_t d[32];
    if (EVP_Digest(p, n, d, NULL, EVP_sha256(), NULL) != 1)
        FUZZ_FAIL("sha-256 failed");
    memcpy(out, d, 16);
}

static void
put_str(EVP_MD_CTX *c, const char *s)
{
    EVP_DigestUpdate(c, s ? s : "\x01", s ? strlen(s) + 1 : 1);
}

static int
on_item(void *ctx, const ex_item *it)
{
    run *u = ctx;
    if (it->content_len > it->size || it->content_len > u->inline_max ||
        (it->size >= u->inline_max ? it->content_len != u->inline_max
                                   : it->content_len != it->size))
        FUZZ_FAIL("content_len is not min(size, inline limit)");
    if (!it->content || !it->warc_type || it->offset >= u->input_len || it->member != it->offset)
        FUZZ_FAIL("item fields out of range");
    if (it->content_len == it->size) {
        uint8_t d[32];
        if (EVP_Digest(it->content, it->content_len, d, NULL, EVP_sha256(), NULL) != 1 ||
            memcmp(d, it->digest, 32) != 0)
            FUZZ_FAIL("content does not hash to the item digest");
    }
    /* the record's bytes: inside the input, and when handed over, exactly those */
    if (it->offset > u->input_len || it->raw_len > u->input_len - it->offset)
        FUZZ_FAIL("raw_len passes the end of the input");
    if (it->raw && (!u->raw || memcmp(it->raw, u->input + it->offset, it->raw_len) != 0))
        FUZZ_FAIL("raw is not the record's bytes");
    if (strcmp(it->warc_type, "revisit") == 0 && it->size != 0)
        FUZZ_FAIL("a revisit has content");
    if (it->http_headers && strlen(it->http_headers) > it->http_headers_len)
        FUZZ_FAIL("http_headers longer than http_headers_len");
    if (u->n < MAXREP) {
        rep *r = &u->r[u->n];
        memset(r, 0, sizeof *r);
        r->item = 1, r->offset = it->offset, r->size = it->size;
        r->content_len = it->content_len;
        memcpy(r->digest, it->digest, 32);
        sha(it->content, it->content_len < 256 ? it->content_len : 256, r->head);
        r->status = it->http_status;
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        uint8_t d[32];
        EVP_DigestInit_ex(c, EVP_sha256(), NULL);
        put_str(c, it->url), put_str(c, it->record_id), put_str(c, it->fetched);
        put_str(c, it->warc_type), put_str(c, it->content_type), put_str(c, it->refers_to_uri);
        put_str(c, it->refers_to_digest);
        EVP_DigestUpdate(c, it->http_headers ? it->http_headers : "", it->http_headers_len);
        EVP_DigestFinal_ex(c, d, NULL);
        EVP_MD_CTX_free(c);
        memcpy(r->fields, d, 16);
    }
    u->n++;
    return EX_OK;
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    run *u = ctx;
    if (!q->reason || !q->reason[0] || q->offset >= u->input_len || q->member != q->offset)
        FUZZ_FAIL("quarantine report out of range");
    if (u->n < MAXREP) {
        rep *r = &u->r[u->n];
        memset(r, 0, sizeof *r);
        r->offset = q->offset;
        sha(q->reason, strlen(q->reason), r->fields);
    }
    u->n++;
    return EX_OK;
}

static void
parse(const uint8_t *data, size_t size, const ex_warc_limits *lim, int raw, run *u)
{
    ex_reader_cb cb = {on_item, on_quarantine, u, raw};
    u->input = data;
    u->raw = raw;
    ex_err e = {0};
    u->n = 0;
    u->input_len = size;
    u->inline_max = lim && lim->inline_max ? lim->inline_max : EX_ITEM_INLINE_MAX;
    if (ex_warc_parse_buffer(data, size, lim, &cb, &e) != EX_OK)
        FUZZ_FAIL("parsing a buffer failed");
    for (size_t i = 1; i < u->n && i < MAXREP; i++)
        if (u->r[i].offset <= u->r[i - 1].offset)
            FUZZ_FAIL("reports are not in increasing offset order");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static run a, b;
    char *copy = fuzz_copy(data, size);
    if (!copy)
        return 0;
    if (size == 0)
        copy[0] = 0; /* fuzz_copy leaves its one byte unset; keep gcc's analysis quiet */
    const uint8_t *p = (const uint8_t *)copy;
    parse(p, size, NULL, size % 2, &a);
    uint8_t k = size ? data[size - 1] : 0;
    ex_warc_limits lim = {16 + k, 1 + (k % 16), 0, 1 + k, 0};
    parse(p, size, &lim, 1, &b);
    if (a.n != b.n)
        FUZZ_FAIL("small buffers change the number of reports");
    for (size_t i = 0; i < a.n && i < MAXREP; i++) {
        rep *x = &a.r[i], *y = &b.r[i];
        if (x->item != y->item || x->offset != y->offset || x->size != y->size ||
            memcmp(x->digest, y->digest, 32) != 0 || memcmp(x->fields, y->fields, 16) != 0 ||
            x->status != y->status)
            FUZZ_FAIL("small buffers change a report");
        if (x->item && y->content_len == x->content_len && memcmp(x->head, y->head, 16) != 0)
            FUZZ_FAIL("small buffers change the content");
    }
    free(copy);
    return 0;
}
