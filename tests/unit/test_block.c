/* test_block.c - blocks (src/store/block.c): what is built opens to the same records, at any
 * level, of any sizes (empty ones too); every kind of damage the reader checks for is refused
 * with EX_EFORMAT and its reason, never read past; a decoder reused across blocks, and after a
 * refused one, gives each block's own records. With --corpus DIR it writes the fuzz seed
 * corpus (fuzz/corpus/block/) instead: valid blocks and damaged ones. */
#include "t.h"

#include <zstd.h>

#include "store/block.h"

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct recs {
    size_t n;
    unsigned char **p;
    size_t *len;
} recs;

static void
recs_free(recs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->p[i]);
    free(r->p);
    free(r->len);
}

/* n records of len(i) bytes; text-like (JSON-ish, compressible) or random bytes */
static recs
recs_make(size_t n, size_t (*len)(size_t), int random)
{
    recs r = {n, calloc(n, sizeof *r.p), calloc(n, sizeof *r.len)};
    for (size_t i = 0; i < n; i++) {
        r.len[i] = len(i);
        r.p[i] = malloc(r.len[i] ? r.len[i] : 1);
        for (size_t k = 0; k < r.len[i]; k++)
            r.p[i][k] = random ? (unsigned char)t_rnd()
                               : (unsigned char)"{\"digest\":\"sha256:0123abcd\",\"url\":"[k % 34] +
                                     (unsigned char)(k % 97 == 0 ? i % 7 : 0);
    }
    return r;
}

static size_t
len_one_json(size_t i)
{
    (void)i;
    return 350;
}

static size_t
len_zero(size_t i)
{
    (void)i;
    return 0;
}

static size_t
len_some_zero(size_t i)
{
    return i % 3 == 1 ? 0 : 100 + i % 400;
}

/* random sizes: mostly small, some up to 256 KiB */
static size_t
len_random(size_t i)
{
    (void)i;
    uint64_t r = t_rnd();
    return r % 8 == 0 ? (size_t)(r >> 8) % (256u << 10) : (size_t)(r >> 8) % 2000;
}

static int
build(const recs *r, int level, ex_buf *out)
{
    return ex_block_build((const void *const *)r->p, r->len, r->n, level, out);
}

/* d holds exactly r's records */
static int
holds(const ex_block_dec *d, const recs *r)
{
    if (ex_block_count(d) != r->n)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        const void *p;
        size_t len;
        if (ex_block_get(d, i, &p, &len) != EX_OK || len != r->len[i] ||
            (len && memcmp(p, r->p[i], len) != 0))
            return 0;
    }
    const void *p = NULL;
    size_t len = 0;
    return ex_block_get(d, r->n, &p, &len) == EX_ERANGE;
}

static void
roundtrip(const char *what, const recs *r, int level)
{
    ex_buf b = {0};
    ex_block_dec *d;
    ex_err e = {0};
    CHECK_RC(ex_block_dec_new(&d), EX_OK);
    CHECK_RC(build(r, level, &b), EX_OK);
    CHECK_RC(ex_block_open(d, b.data, b.len, &e), EX_OK);
    int ok = holds(d, r);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  roundtrip %s (level %d): %s\n", what, level, e.msg);
    ex_block_dec_free(d);
    ex_buf_free(&b);
}

/* a zstd frame of content, with or without its checksum and content size */
static void
frame(const void *content, size_t len, int checksum, int size, ex_buf *out)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, size);
    size_t bound = ZSTD_compressBound(len);
    ex_buf_reserve(out, bound);
    size_t n;
    if (size) {
        n = ZSTD_compress2(c, out->data + out->len, bound, content, len);
    } else { /* a stream without a pledged size: the header cannot say it */
        ZSTD_inBuffer in = {content, len, 0};
        ZSTD_outBuffer o = {out->data + out->len, bound, 0};
        n = ZSTD_compressStream2(c, &o, &in, ZSTD_e_end) == 0 ? o.pos : (size_t)-1;
    }
    if (ZSTD_isError(n))
        abort();
    out->len += n;
    ZSTD_freeCCtx(c);
}

static void
le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> 8 * i);
}

/* block content by hand: magic, version, n, the given offsets (count of them), area bytes */
static size_t
content(unsigned char *buf, const char *magic, uint32_t version, uint32_t n, const uint32_t *offs,
        size_t noffs, size_t area)
{
    memcpy(buf, magic, 4);
    le32(buf + 4, version);
    le32(buf + 8, n);
    for (size_t i = 0; i < noffs; i++)
        le32(buf + 12 + 4 * i, offs[i]);
    size_t len = 12 + 4 * noffs;
    for (size_t i = 0; i < area; i++)
        buf[len++] = (unsigned char)('a' + i % 26);
    return len;
}

/* data is refused with EX_EFORMAT, a message containing want, and leaves d with no block */
static void
refused_(ex_block_dec *d, const void *data, size_t len, const char *want, const char *what,
         int line)
{
    ex_err e = {0};
    int rc = ex_block_open(d, data, len, &e);
    t_checks++;
    if (rc != EX_EFORMAT || !strstr(e.msg, want) || ex_block_count(d) != 0) {
        t_failures++;
        fprintf(stderr, "%s:%d: %s: got %d \"%s\", want EX_EFORMAT \"...%s...\"\n", __FILE__, line,
                what, rc, e.msg, want);
    }
}
#define refused(d, data, len, want, what) refused_(d, data, len, want, what, __LINE__)

/* ---- the damaged blocks, shared by the tests and the corpus ------------------------------- */

typedef struct bad {
    const char *name, *want;
    ex_buf data;
} bad;

enum { NBAD = 16 };

/* the hand-made and damaged blocks; good is a valid block of several records */
static void
bads(const ex_buf *good, bad out[NBAD])
{
    static unsigned char c[4096];
    size_t k = 0, len;
#define BAD(nm, w) (out[k].name = nm, out[k].want = w, out[k].data = (ex_buf){0}, &out[k++].data)
    /* a byte of the compressed data (inside the blocks, before the checksum) */
    ex_buf *b = BAD("flipped-byte", "checksum");
    ex_buf_put(b, good->data, good->len);
    b->data[good->len / 2] ^= 0x20;
    b = BAD("flipped-checksum", "checksum");
    ex_buf_put(b, good->data, good->len);
    b->data[good->len - 1] ^= 0x01;
    ex_buf_put(BAD("truncated-half", "damaged block"), good->data, good->len / 2);
    ex_buf_put(BAD("truncated-checksum", "damaged block"), good->data, good->len - 2);
    b = BAD("trailing-byte", "1 bytes after its frame");
    ex_buf_put(b, good->data, good->len);
    ex_buf_putc(b, 0);
    b = BAD("two-frames", "after its frame");
    ex_buf_put(b, good->data, good->len);
    ex_buf_put(b, good->data, good->len);

    uint32_t ok[] = {0, 3, 5};
    len = content(c, "EXBQ", 1, 2, ok, 3, 5);
    frame(c, len, 1, 1, BAD("bad-magic", "bad magic"));
    len = content(c, "EXBK", 2, 2, ok, 3, 5);
    frame(c, len, 1, 1, BAD("bad-version", "block version 2"));
    uint32_t dec[] = {0, 4, 3, 5};
    len = content(c, "EXBK", 1, 3, dec, 4, 5);
    frame(c, len, 1, 1, BAD("decreasing-offsets", "is before offset"));
    uint32_t past[] = {0, 3, 9};
    len = content(c, "EXBK", 1, 2, past, 3, 5);
    frame(c, len, 1, 1, BAD("offset-past-end", "its records end at 9"));
    uint32_t shrt[] = {0, 3, 4};
    len = content(c, "EXBK", 1, 2, shrt, 3, 5);
    frame(c, len, 1, 1, BAD("last-offset-short", "its records end at 4"));
    len = content(c, "EXBK", 1, 0xFFFFFFFFu, ok, 3, 5);
    frame(c, len, 1, 1, BAD("n-huge", "records (1 to"));
    len = content(c, "EXBK", 1, 200, ok, 3, 5);
    frame(c, len, 1, 1, BAD("n-past-table", "does not fit"));
    len = content(c, "EXBK", 1, 2, ok, 3, 5);
    frame(c, len, 0, 1, BAD("no-checksum", "no checksum"));
    frame(c, len, 1, 0, BAD("no-size", "does not say its size"));
    /* a frame header that says 257 MiB, single segment, checksum; one empty raw last block */
    static const unsigned char huge[] = {0x28, 0xB5, 0x2F, 0xFD, 0xE4, 0, 0, 0x10, 0x10, 0,
                                         0,    0,    0,    1,    0,    0, 0, 0,    0,    0};
    ex_buf_put(BAD("huge-size", "over"), huge, sizeof huge);
#undef BAD
    if (k != NBAD)
        abort();
}

/* ---- tests -------------------------------------------------------------------------------- */

static void
test_roundtrips(void)
{
    static const int levels[] = {1, 19};
    static const struct {
        const char *name;
        size_t n;
        size_t (*len)(size_t);
        int random; /* recs_make's: random bytes */
    } cases[] = {{"one record", 1, len_one_json, 0},
                 {"2000 json records", 2000, len_one_json, 0},
                 {"one empty record", 1, len_zero, 0},
                 {"50 empty records", 50, len_zero, 0},
                 {"some empty records", 300, len_some_zero, 1}};
    for (int l = 0; l < 2; l++) {
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            recs r = recs_make(cases[c].n, cases[c].len, cases[c].random);
            roundtrip(cases[c].name, &r, levels[l]);
            recs_free(&r);
        }
    }
    /* a few MB of random sizes and bytes (level 19 on a smaller set: it is slow) */
    recs r = recs_make(T_RUNS(40) * 60, len_random, 1);
    size_t total = 0;
    for (size_t i = 0; i < r.n; i++)
        total += r.len[i];
    CHECK(total > (T_SAMPLE == 1 ? 2u << 20 : 100u << 10));
    roundtrip("random sizes", &r, 1);
    roundtrip("random sizes", &r, -5);
    recs_free(&r);
    r = recs_make(200, len_random, 0);
    roundtrip("random sizes, text", &r, 19);
    recs_free(&r);

    /* the layout, read by hand after zstd alone: magic, version, n, offsets, records */
    const void *p[] = {"ab", "", "cde"};
    size_t lens[] = {2, 0, 3};
    ex_buf b = {0};
    CHECK_RC(ex_block_build(p, lens, 3, 3, &b), EX_OK);
    unsigned char c[64];
    static const unsigned char want[] = {'E', 'X', 'B', 'K', 1, 0, 0,   0,   3,   0,   0,
                                         0,   0,   0,   0,   0, 2, 0,   0,   0,   2,   0,
                                         0,   0,   5,   0,   0, 0, 'a', 'b', 'c', 'd', 'e'};
    CHECK(ZSTD_getFrameContentSize(b.data, b.len) == sizeof want);
    CHECK(ZSTD_decompress(c, sizeof c, b.data, b.len) == sizeof want);
    CHECK(memcmp(c, want, sizeof want) == 0);
    ex_buf_free(&b);
}

static void
test_build_refuses(void)
{
    ex_buf b = {0};
    ex_buf_puts(&b, "kept");
    const void *p[] = {"x"};
    size_t one = 1;
    CHECK_RC(ex_block_build(p, &one, 0, 1, &b), EX_EINVAL);
    CHECK_RC(ex_block_build(p, &one, 1, ZSTD_maxCLevel() + 1, &b), EX_EINVAL);
    CHECK_RC(ex_block_build(p, &one, 1, ZSTD_minCLevel() - 1, &b), EX_EINVAL);
    /* too many records: refused before any is read */
    size_t *lens = calloc(EX_BLOCK_MAX_RECORDS + 1, sizeof *lens);
    const void **ps = calloc(EX_BLOCK_MAX_RECORDS + 1, sizeof *ps);
    CHECK_RC(ex_block_build(ps, lens, EX_BLOCK_MAX_RECORDS + 1, 1, &b), EX_EINVAL);
    /* too many bytes: the limit counts the header and offsets too */
    size_t head = EX_BLOCK_HEADER_BYTES + 4 * 3;
    lens[0] = EX_BLOCK_MAX_BYTES - head;
    lens[1] = 1;
    CHECK_RC(ex_block_build(ps, lens, 2, 1, &b), EX_EINVAL);
    lens[0] = SIZE_MAX;
    CHECK_RC(ex_block_build(ps, lens, 2, 1, &b), EX_EINVAL);
    CHECK(b.len == 4 && memcmp(b.data, "kept", 4) == 0);
    /* the largest block of zero-length records is fine, and opens */
    memset(lens, 0, (EX_BLOCK_MAX_RECORDS + 1) * sizeof *lens);
    CHECK_RC(ex_block_build(ps, lens, EX_BLOCK_MAX_RECORDS, 1, &b), EX_OK);
    CHECK(memcmp(b.data, "kept", 4) == 0);
    ex_block_dec *d;
    CHECK_RC(ex_block_dec_new(&d), EX_OK);
    CHECK_RC(ex_block_open(d, b.data + 4, b.len - 4, NULL), EX_OK);
    CHECK(ex_block_count(d) == EX_BLOCK_MAX_RECORDS);
    ex_block_dec_free(d);
    free(lens);
    free(ps);
    ex_buf_free(&b);
}

static void
test_damage(void)
{
    recs r = recs_make(40, len_one_json, 0);
    ex_buf good = {0};
    CHECK_RC(build(&r, 1, &good), EX_OK);
    ex_block_dec *d;
    CHECK_RC(ex_block_dec_new(&d), EX_OK);

    bad bs[NBAD];
    bads(&good, bs);
    for (int i = 0; i < NBAD; i++) {
        CHECK_RC(ex_block_open(d, good.data, good.len, NULL), EX_OK); /* d held a block */
        refused(d, bs[i].data.data, bs[i].data.len, bs[i].want, bs[i].name);
        ex_buf_free(&bs[i].data);
    }

    /* every truncation, each in an exact-size copy (ASan: never read past the end) */
    for (size_t n = 0; n < good.len; n += T_SAMPLE) {
        char *cut = malloc(n ? n : 1);
        memcpy(cut, good.data, n);
        char what[64];
        snprintf(what, sizeof what, "cut to %zu of %zu bytes", n, good.len);
        refused(d, cut, n, "damaged block", what);
        free(cut);
    }
    /* every byte altered, in three ways: refused (by the frame's checks or its checksum), or,
     * for the few bits zstd does not use (some of its table descriptions'), the very same
     * records, which the checksum vouches for; never other bytes */
    static const unsigned char flips[] = {0x01, 0x80, 0xFF};
    int same = 0, tries = 0;
    for (size_t i = 0; i < good.len; i++)
        for (int f = 0; f < 3; f++, tries++) {
            good.data[i] ^= flips[f];
            ex_err e = {0};
            int rc = ex_block_open(d, good.data, good.len, &e);
            if (rc == EX_OK) {
                same++;
                CHECK(holds(d, &r));
            } else {
                CHECK(rc == EX_EFORMAT && strstr(e.msg, "damaged block"));
                CHECK(ex_block_count(d) == 0);
            }
            good.data[i] ^= flips[f];
        }
    CHECK(same * 50 < tries); /* 3 of 894 on this block */
    CHECK_RC(ex_block_open(d, good.data, good.len, NULL), EX_OK);
    CHECK(holds(d, &r));

    /* hand-made content: too short for a header, the smallest valid block */
    unsigned char c[32];
    ex_buf b = {0};
    frame("EXBK\1\0\0\0", 8, 1, 1, &b);
    refused(d, b.data, b.len, "too short for its header", "8-byte content");
    b.len = 0;
    uint32_t zero[] = {0, 0};
    size_t len = content(c, "EXBK", 1, 1, zero, 2, 0);
    frame(c, len, 1, 1, &b);
    CHECK_RC(ex_block_open(d, b.data, b.len, NULL), EX_OK);
    CHECK(ex_block_count(d) == 1);
    /* n = 0 */
    b.len = 0;
    len = content(c, "EXBK", 1, 0, zero, 1, 0);
    frame(c, len, 1, 1, &b);
    refused(d, b.data, b.len, "0 records", "n = 0");
    /* the first offset not 0 */
    b.len = 0;
    uint32_t late[] = {1, 3};
    len = content(c, "EXBK", 1, 1, late, 2, 3);
    frame(c, len, 1, 1, &b);
    refused(d, b.data, b.len, "first offset is not 0", "offset[0] = 1");
    /* a frame header that says 4 MiB, in 20 bytes of frame; the same with an RLE block of
     * 128 KiB, the most 4 bytes of zstd block can give, is read as far as the block */
    static const unsigned char big[] = {0x28, 0xB5, 0x2F, 0xFD, 0xE4, 0, 0, 0x40, 0, 0, 0, 0, 0,
                                        1,    0,    0,    0,    0,    0, 0};
    refused(d, big, sizeof big, "more than 20 bytes of frame can", "4 MiB said in 20 bytes");
    static const unsigned char rle[] = {0x28, 0xB5, 0x2F, 0xFD, 0xA4, 0, 0, 2, 0,
                                        3,    0,    16,   'x',  0,    0, 0, 0};
    refused(d, rle, sizeof rle, "checksum", "an RLE block of 128 KiB");
    /* a skippable frame and an empty input */
    static const unsigned char skip[] = {0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0};
    refused(d, skip, sizeof skip, "not a zstd frame", "skippable frame");
    refused(d, "", 0, "not a zstd frame", "empty input");
    ex_buf_free(&b);

    ex_block_dec_free(d);
    ex_buf_free(&good);
    recs_free(&r);
}

static void
test_reuse(void)
{
    recs big = recs_make(500, len_random, 1), small = recs_make(3, len_some_zero, 0);
    ex_buf a = {0}, b = {0};
    CHECK_RC(build(&big, 1, &a), EX_OK);
    CHECK_RC(build(&small, 1, &b), EX_OK);
    ex_block_dec *d;
    CHECK_RC(ex_block_dec_new(&d), EX_OK);
    CHECK(ex_block_count(d) == 0);
    const void *p;
    size_t len;
    CHECK_RC(ex_block_get(d, 0, &p, &len), EX_ERANGE);
    for (int round = 0; round < 3; round++) {
        CHECK_RC(ex_block_open(d, a.data, a.len, NULL), EX_OK);
        CHECK(holds(d, &big));
        CHECK_RC(ex_block_open(d, b.data, b.len, NULL), EX_OK);
        CHECK(holds(d, &small));
        /* a refused block in between leaves nothing open, and the next opens whole */
        ex_err e = {0};
        CHECK_RC(ex_block_open(d, a.data, a.len - 1, &e), EX_EFORMAT);
        CHECK(e.msg[0] != 0);
        CHECK(ex_block_count(d) == 0);
        CHECK_RC(ex_block_get(d, 0, &p, &len), EX_ERANGE);
    }
    CHECK_RC(ex_block_open(d, b.data, b.len, NULL), EX_OK);
    CHECK(holds(d, &small));

    /* an encoder reused across blocks, and after a refused one, writes what a fresh one does */
    ex_block_enc *e;
    CHECK_RC(ex_block_enc_new(&e), EX_OK);
    ex_buf c = {0};
    for (int round = 0; round < 2; round++) {
        c.len = 0;
        CHECK_RC(ex_block_enc_build(e, (const void *const *)big.p, big.len, big.n, 1, &c), EX_OK);
        CHECK(c.len == a.len && memcmp(c.data, a.data, a.len) == 0);
        CHECK_RC(ex_block_enc_build(e, (const void *const *)big.p, big.len, 0, 1, &c), EX_EINVAL);
        CHECK_RC(ex_block_enc_build(e, (const void *const *)small.p, small.len, small.n, 1, &c),
                 EX_OK);
        CHECK(c.len == a.len + b.len && memcmp(c.data + a.len, b.data, b.len) == 0);
        CHECK_RC(ex_block_open(d, c.data + a.len, b.len, NULL), EX_OK);
        CHECK(holds(d, &small));
    }
    ex_block_enc_free(e);
    ex_block_enc_free(NULL);
    ex_buf_free(&c);
    ex_block_dec_free(d);
    ex_block_dec_free(NULL);
    ex_buf_free(&a);
    ex_buf_free(&b);
    recs_free(&big);
    recs_free(&small);
}

/* ---- the fuzz seed corpus ----------------------------------------------------------------- */

static int
write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "test_block: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static int
corpus(const char *dir)
{
    int fails = 0;
    struct {
        const char *name;
        size_t n;
        size_t (*len)(size_t);
        int random, level;
    } valid[] = {
        {"valid-one", 1, len_one_json, 0, 1},     {"valid-json-20", 20, len_one_json, 0, 1},
        {"valid-empty-5", 5, len_zero, 0, 1},     {"valid-some-empty", 12, len_some_zero, 0, 19},
        {"valid-random", 6, len_some_zero, 1, 3},
    };
    ex_buf good = {0};
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        recs r = recs_make(valid[i].n, valid[i].len, valid[i].random);
        ex_buf b = {0};
        if (build(&r, valid[i].level, &b) != EX_OK)
            abort();
        fails += write_file(dir, valid[i].name, b.data, b.len);
        if (i == 1)
            good = b;
        else
            ex_buf_free(&b);
        recs_free(&r);
    }
    bad bs[NBAD];
    bads(&good, bs);
    for (int i = 0; i < NBAD; i++) {
        fails += write_file(dir, bs[i].name, bs[i].data.data, bs[i].data.len);
        ex_buf_free(&bs[i].data);
    }
    ex_buf_free(&good);
    return fails ? 1 : 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
        return corpus(argv[2]);
    test_roundtrips();
    test_build_refuses();
    test_damage();
    test_reuse();
    return t_done("test_block");
}
