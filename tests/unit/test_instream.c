/* test_instream.c - decompressing streams: plain, multi-member gzip, multi-frame zstd give the
 * same bytes as the reference tools (files made by the test script beside it), and truncated
 * or corrupt data is refused with the member's offset. Usage: test_instream DIR, where DIR
 * holds plain.bin, multi.gz, multi.zst, trunc.gz, trunc.zst, corrupt.gz, garbage.gz. */
#include "ingest/instream.h"
#include "t.h"

static uint8_t *
slurp(const char *dir, const char *name, size_t *len, int *rc_out, char *msg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ex_instream *s;
    ex_err e = {0};
    *rc_out = ex_instream_open(path, &s, &e);
    if (*rc_out != EX_OK)
        return NULL;
    size_t cap = 1 << 20, n = 0, got;
    uint8_t *buf = malloc(cap);
    int rc;
    /* odd read sizes exercise the boundaries */
    while ((rc = ex_instream_read(s, buf + n, (n % 7) + 1000 < cap - n ? (n % 7) + 1000 : cap - n,
                                  &got, &e)) == EX_OK &&
           got > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    *rc_out = rc;
    snprintf(msg, 256, "%s", e.msg);
    CHECK(ex_instream_pos(s) == n);
    ex_instream_close(s);
    *len = n;
    return buf;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_instream DIR\n");
        return 2;
    }
    const char *d = argv[1];
    size_t pl, l;
    int rc;
    char msg[256];
    uint8_t *plain = slurp(d, "plain.bin", &pl, &rc, msg);
    CHECK_RC(rc, EX_OK);
    CHECK(pl > 100000);
    const char *same[] = {"multi.gz", "multi.zst"};
    for (int i = 0; i < 2; i++) {
        uint8_t *b = slurp(d, same[i], &l, &rc, msg);
        CHECK_RC(rc, EX_OK);
        CHECK(b && l == pl && memcmp(b, plain, pl) == 0);
        free(b);
    }
    const char *broken[] = {"trunc.gz", "trunc.zst", "corrupt.gz", "garbage.gz"};
    for (int i = 0; i < 4; i++) {
        uint8_t *b = slurp(d, broken[i], &l, &rc, msg);
        CHECK_RC(rc, EX_EFORMAT);
        CHECK(strstr(msg, "at offset") != NULL);
        fprintf(stderr, "  %s: %s (after %zu bytes)\n", broken[i], msg, l);
        free(b);
    }
    /* member offsets: multi.gz is three members; the second starts after the first */
    char path[4096];
    snprintf(path, sizeof path, "%s/multi.gz", d);
    ex_instream *s;
    ex_err e = {0};
    CHECK_RC(ex_instream_open(path, &s, &e), EX_OK);
    CHECK(ex_instream_compression(s) == EX_COMP_GZIP);
    uint8_t *buf = malloc(pl);
    size_t n = 0, got;
    while (ex_instream_read(s, buf + n, pl - n, &got, &e) == EX_OK && got)
        n += got;
    CHECK(ex_instream_member_offset(s, 0) == 0);
    CHECK(ex_instream_member_offset(s, pl - 1) > 0);
    ex_instream_close(s);
    free(buf);
    CHECK_RC(ex_instream_open("/nonexistent/x", &s, &e), EX_EIO);
    CHECK(strstr(e.msg, "No such file") != NULL);
    free(plain);
    return t_done("test_instream");
}
