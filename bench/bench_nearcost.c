/* bench_nearcost.c - what near-duplicate checking must compute for each item of an input, by
 * step, on one thread, so that bench/near_ingest.sh can set ingest's measured cost beside a
 * floor measured on the same items in the same run.
 *
 *   bench_nearcost RUNS FILE...   (.jsonl[.gz|.zst] by its text field; anything else as WARC)
 *
 * The items' text is taken as ingest takes it (readers.c: a JSONL text field as plain text,
 * WARC content by its media type, text.h) and held in memory; then, best of RUNS by CPU time:
 *
 *   sha256     SHA-256 of every item's content (what exact-only ingest must do per byte)
 *   text       extracting the text (HTML stripped)
 *   signature  ex_near_signature, the fingerprint's MinHash signature (near.h)
 *   shingles   the raw shingle-hashing limit: word starts and XXH3-64 of every 5-word shingle
 *              of the already normalised text, without which no signature exists
 *   iscc       ex_iscc_text_code, the whole ISCC Text-Code (iscc.h)
 *   soft_hash  the ISCC soft hash alone on the already collapsed text: XXH32 of every
 *              13-character window and its 64 permutations mod 2^61 - 1, which ISO 24138
 *              prescribes (the fastest path this machine has)
 *
 * The floor of near-duplicate checking is shingles + soft_hash: any implementation of the
 * issue's fingerprints and of the ISCC Text-Code computes at least these. One JSON line. */
#define BENCH_NAME "bench_nearcost"
#include "bench_util.h"
#include "exante.h"
#include "dedup/iscc.h"
#include "dedup/near.h"
#include "dedup/text.h"
#include "ingest/reader.h"

#include <string.h>
#include <time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

typedef struct items {
    ex_buf content, text, norm, coll;      /* all items' bytes, one after the other */
    size_t *c, *t, *n, *k, n_items, cap;   /* offsets: item i is [x[i], x[i + 1]) */
    int kind_jsonl;
    ex_near *near;
} items;

static double
cpu_now(void)
{
    return cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

static int
on_item(void *ctx, const ex_item *it)
{
    items *s = ctx;
    if (s->n_items + 2 > s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        if (!(s->c = realloc(s->c, s->cap * sizeof *s->c)) ||
            !(s->t = realloc(s->t, s->cap * sizeof *s->t)) ||
            !(s->n = realloc(s->n, s->cap * sizeof *s->n)) ||
            !(s->k = realloc(s->k, s->cap * sizeof *s->k)))
            die("out of memory");
    }
    size_t i = s->n_items++;
    s->c[i] = s->content.len, s->t[i] = s->text.len, s->n[i] = s->norm.len, s->k[i] = s->coll.len;
    if (it->content_len)
        ex_buf_put(&s->content, it->content, it->content_len);
    int kind = s->kind_jsonl ? EX_TEXT_PLAIN
               : it->warc_type && strcmp(it->warc_type, "revisit") == 0
                   ? EX_TEXT_NONE
                   : ex_text_kind(it->content, it->content_len, it->content_type);
    ex_buf one = {0};
    size_t chars;
    if (kind != EX_TEXT_NONE && ex_text_of(it->content, it->content_len, kind, &one) == EX_OK &&
        one.len) {
        ex_buf_put(&s->text, one.data, one.len);
        if (ex_near_normalise(s->near, one.data, one.len, &one) == EX_OK)
            ex_buf_put(&s->norm, one.data, one.len);
        if (ex_iscc_collapse(s->text.data + s->t[i], s->text.len - s->t[i], &one, &chars) ==
            EX_OK)
            ex_buf_put(&s->coll, one.data, one.len);
    }
    ex_buf_free(&one);
    s->c[i + 1] = s->content.len, s->t[i + 1] = s->text.len, s->n[i + 1] = s->norm.len;
    s->k[i + 1] = s->coll.len;
    return EX_OK;
}

static int
on_bad(void *ctx, const ex_quarantine *q)
{
    (void)ctx, (void)q;
    return EX_OK;
}

/* the shingle hashes of normalised text p[0..l) (as near_ref.c cuts them), summed */
static uint64_t
shingles(const char *p, size_t l, size_t *ws)
{
    size_t nw = l > 0;
    uint64_t sum = 0;
    ws[0] = 0;
    for (size_t i = 0; i < l; i++)
        ws[nw] = i + 1, nw += p[i] == ' ';
    for (size_t j = 0; j + 5 <= nw; j++)
        sum += XXH3_64bits(p + ws[j], (j + 5 < nw ? ws[j + 5] - 1 : l) - ws[j]);
    if (nw > 0 && nw < 5)
        sum += XXH3_64bits(p, l);
    return sum;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_nearcost RUNS FILE...\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    items s = {0};
    if (ex_near_new(EX_NEAR_K_DEFAULT, EX_NEAR_BANDS_DEFAULT, &s.near) != EX_OK)
        die("out of memory");
    ex_reader_cb cb = {.item = on_item, .quarantine = on_bad, .ctx = &s};
    for (int a = 2; a < argc; a++) {
        ex_err err = {0};
        s.kind_jsonl = strstr(argv[a], ".jsonl") != NULL;
        int rc = s.kind_jsonl ? ex_read_jsonl(argv[a], NULL, &cb, &err)
                              : ex_read_warc(argv[a], &cb, &err);
        if (rc != EX_OK)
            die("%s: %s", argv[a], err.msg[0] ? err.msg : ex_strerror(rc));
    }
    size_t n = s.n_items, maxlen = 0;
    for (size_t i = 0; i < n; i++)
        if (s.n[i + 1] - s.n[i] > maxlen)
            maxlen = s.n[i + 1] - s.n[i];
    size_t *ws = malloc((maxlen / 2 + 2) * sizeof *ws);
    ex_sha256 *h;
    if (!ws || ex_sha256_new(&h) != EX_OK)
        die("out of memory");
    static const char *const names[] = {"sha256", "text", "signature", "shingles", "iscc",
                                        "soft_hash"};
    double best[6];
    uint64_t check = 0, sig[EX_NEAR_K_MAX], sh;
    ex_buf one = {0};
    for (int m = 0; m < 6; m++) {
        best[m] = 1e30;
        for (int r = 0; r < runs; r++) {
            double c0 = cpu_now();
            for (size_t i = 0; i < n; i++) {
                const char *t = s.text.data + s.t[i];
                size_t tl = s.t[i + 1] - s.t[i];
                uint8_t d[32];
                char code[64];
                size_t chars;
                switch (m) {
                case 0:
                    ex_sha256_digest(h, s.content.data + s.c[i], s.c[i + 1] - s.c[i], d);
                    check += d[0];
                    break;
                case 1:
                    if (!s.kind_jsonl && tl &&
                        ex_text_of((const uint8_t *)s.content.data + s.c[i], s.c[i + 1] - s.c[i],
                                   EX_TEXT_HTML, &one) == EX_OK)
                        check += one.len;
                    break;
                case 2:
                    if (tl && ex_near_signature(s.near, t, tl, sig, &sh) == EX_OK)
                        check += sig[0];
                    break;
                case 3:
                    check += shingles(s.norm.data + s.n[i], s.n[i + 1] - s.n[i], ws);
                    break;
                case 4:
                    if (tl && ex_iscc_text_code(t, tl, 64, code, sizeof code, d, &chars) == EX_OK)
                        check += d[0];
                    break;
                case 5:
                    if (s.k[i + 1] > s.k[i]) {
                        ex_iscc_soft_hash(s.coll.data + s.k[i], s.k[i + 1] - s.k[i],
                                          EX_ISCC_IMPL_BEST, d);
                        check += d[0];
                    }
                    break;
                }
            }
            double c = cpu_now() - c0;
            best[m] = c < best[m] ? c : best[m];
        }
    }
    printf("{\"bench\":\"near-cost\",\"items\":%zu,\"content_bytes\":%zu,\"text_bytes\":%zu,"
           "\"runs\":%d",
           n, s.content.len, s.text.len, runs);
    for (int m = 0; m < 6; m++)
        printf(",\"%s_cpu_s\":%.4f", names[m], best[m]);
    printf(",\"floor_cpu_s\":%.4f,\"check\":%llu}\n", best[3] + best[5],
           (unsigned long long)(check & 1));
    ex_buf_free(&one);
    ex_sha256_free(h);
    free(ws);
    return 0;
}
