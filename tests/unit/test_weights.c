/* test_weights.c - weight files as statement subjects (src/attest/weights.h): a file, a
 * directory walk (order, names, symbolic links skipped), a sharded safetensors index (shards
 * each once, a missing shard named, an index that reaches outside its directory refused),
 * name collisions, parallel hashing against serial and against ex_sha256_file, read errors,
 * the model id against a value computed outside exante, and the comparison with a
 * statement's subjects. Works in a fresh directory under $TMPDIR. */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/weights.h"
#include "core/core.h"
#include "t.h"

static char D[1024]; /* the scratch directory */
static ex_sha256 *H;

static const char *
P(const char *rel)
{
    static char buf[4][2048];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", D, rel);
    return buf[k];
}

static void
put(const char *rel, const void *data, size_t len)
{
    char dir[2048];
    snprintf(dir, sizeof dir, "%s", P(rel));
    for (char *s = dir + strlen(D) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = 0;
        mkdir(dir, 0755);
        *s = '/';
    }
    FILE *f = fopen(P(rel), "wb");
    CHECK(f && (len == 0 || fwrite(data, 1, len, f) == len));
    if (f)
        fclose(f);
}

static void
puts_file(const char *rel, const char *text)
{
    put(rel, text, strlen(text));
}

/* the names of w's subjects joined by spaces */
static const char *
names(const ex_weights *w)
{
    static char buf[4096];
    size_t n, o = 0;
    const ex_subject *s = ex_weights_subjects(w, &n);
    buf[0] = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", s[i].name);
    return buf;
}

/* add path to a new set: the set, or NULL with the code in *rc and the message in e */
static ex_weights *
set_of(const char *path, int *rc, ex_err *e)
{
    ex_weights *w = NULL;
    CHECK_RC(ex_weights_new(&w), EX_OK);
    *rc = ex_weights_add(w, path, e);
    return w;
}

#define CHECK_MSG(e, says)                                                                         \
    do {                                                                                           \
        t_checks++;                                                                                \
        if (!strstr((e).msg, says)) {                                                              \
            t_failures++;                                                                          \
            fprintf(stderr, "%s:%d: message \"%s\" does not say \"%s\"\n", __FILE__, __LINE__,     \
                    (e).msg, says);                                                                \
        }                                                                                          \
    } while (0)

static void
one_file(void)
{
    puts_file("f/one.bin", "hello");
    ex_err e = {0};
    int rc;
    ex_weights *w = set_of(P("f/one.bin"), &rc, &e);
    CHECK_RC(rc, EX_OK);
    CHECK_RC(ex_weights_hash(w, 1, &e), EX_OK);
    size_t n;
    const ex_subject *s = ex_weights_subjects(w, &n);
    uint8_t want[32];
    ex_sha256_digest(H, "hello", 5, want);
    CHECK(n == 1 && strcmp(s[0].name, "one.bin") == 0 && memcmp(s[0].sha256, want, 32) == 0);
    CHECK_STR(ex_weights_path(w, 0), P("f/one.bin"));
    CHECK(ex_weights_size(w, 0) == 5 && ex_weights_total(w) == 5);
    ex_weights_free(w);
    /* not there; not a file or a directory */
    w = set_of(P("f/nope.bin"), &rc, &e);
    CHECK_RC(rc, EX_ENOTFOUND);
    CHECK_MSG(e, "nope.bin");
    ex_weights_free(w);
    w = set_of("/dev/null", &rc, &e);
    CHECK_RC(rc, EX_EINVAL);
    CHECK_MSG(e, "neither a regular file nor a directory");
    ex_weights_free(w);
}

static void
directory(void)
{
    puts_file("ckpt/b.bin", "b");
    puts_file("ckpt/a/x.bin", "x");
    puts_file("ckpt/a/y/z.bin", "z");
    puts_file("ckpt/.hidden", "h");
    puts_file("ckpt/a-b", "ab");
    CHECK(symlink("b.bin", P("ckpt/link.bin")) == 0);
    CHECK(symlink("a", P("ckpt/dirlink")) == 0);
    CHECK(symlink("/etc", P("ckpt/a/outside")) == 0);
    ex_err e = {0};
    int rc;
    ex_weights *w = set_of(P("ckpt"), &rc, &e);
    CHECK_RC(rc, EX_OK);
    /* byte order of the whole name: '-' (0x2d) < '.' (0x2e) < '/' (0x2f) */
    CHECK_STR(names(w), ".hidden a-b a/x.bin a/y/z.bin b.bin");
    CHECK(ex_weights_skipped(w) == 3);
    CHECK_STR(ex_weights_path(w, 3), P("ckpt/a/y/z.bin"));
    CHECK_RC(ex_weights_hash(w, 2, &e), EX_OK);
    size_t n;
    const ex_subject *s = ex_weights_subjects(w, &n);
    uint8_t want[32];
    ex_sha256_digest(H, "z", 1, want);
    CHECK(n == 5 && memcmp(s[3].sha256, want, 32) == 0);
    ex_weights_free(w);
    /* a trailing slash changes nothing; a symbolic link given as the argument is followed */
    w = set_of(P("ckpt/"), &rc, &e);
    CHECK_RC(rc, EX_OK);
    CHECK_STR(names(w), ".hidden a-b a/x.bin a/y/z.bin b.bin");
    ex_weights_free(w);
    w = set_of(P("ckpt/dirlink"), &rc, &e);
    CHECK_RC(rc, EX_OK);
    CHECK_STR(names(w), "x.bin y/z.bin");
    ex_weights_free(w);
    /* nothing to cover */
    CHECK(mkdir(P("empty"), 0755) == 0 && mkdir(P("empty/sub"), 0755) == 0);
    w = set_of(P("empty"), &rc, &e);
    CHECK_RC(rc, EX_EINVAL);
    CHECK_MSG(e, "no regular files under");
    ex_weights_free(w);
}

#define SH1 "model-00001-of-00002.safetensors"
#define SH2 "model-00002-of-00002.safetensors"
#define INDEX "model.safetensors.index.json"

static void
sharded(void)
{
    puts_file("sh/" SH1, "shard one");
    puts_file("sh/" SH2, "shard two");
    puts_file("sh/unrelated.txt", "u");
    puts_file("sh/" INDEX, "{\"metadata\":{\"total_size\":18},\"weight_map\":{\"a\":\"" SH1
                           "\",\"b\":\"" SH2 "\",\"c\":\"" SH1 "\"}}");
    ex_err e = {0};
    int rc;
    ex_weights *w = set_of(P("sh/" INDEX), &rc, &e);
    CHECK_RC(rc, EX_OK);
    CHECK_STR(names(w), SH1 " " SH2 " " INDEX);
    /* a shard again, alone: the same file, counted once */
    CHECK_RC(ex_weights_add(w, P("sh/" SH1), &e), EX_OK);
    CHECK_STR(names(w), SH1 " " SH2 " " INDEX);
    /* another file of a shard's name: refused, and the set stays as it was */
    puts_file("other/" SH1, "another shard one");
    puts_file("other/extra.bin", "e");
    CHECK_RC(ex_weights_add(w, P("other"), &e), EX_EEXIST);
    CHECK_MSG(e, "two files named '" SH1 "'");
    CHECK_STR(names(w), SH1 " " SH2 " " INDEX);
    CHECK_RC(ex_weights_add(w, P("other/extra.bin"), &e), EX_OK);
    CHECK_STR(names(w), "extra.bin " SH1 " " SH2 " " INDEX);
    CHECK_RC(ex_weights_hash(w, 3, &e), EX_OK);
    ex_weights_free(w);

    /* a missing shard is named, whether the index is given or met in a walk */
    puts_file("miss/" SH1, "1");
    puts_file("miss/" INDEX, "{\"weight_map\":{\"a\":\"" SH1 "\",\"b\":\"" SH2 "\"}}");
    w = set_of(P("miss/" INDEX), &rc, &e);
    CHECK_RC(rc, EX_ENOTFOUND);
    CHECK_MSG(e, "shard '");
    CHECK_MSG(e, SH2 "' named by '");
    CHECK_STR(names(w), "");
    ex_weights_free(w);
    w = set_of(P("miss"), &rc, &e);
    CHECK_RC(rc, EX_ENOTFOUND);
    CHECK_MSG(e, "shard '" SH2 "' named by");
    ex_weights_free(w);
    /* a shard that is a symbolic link: followed when the index is given, not in a walk */
    CHECK(symlink("../sh/" SH2, P("miss/" SH2)) == 0);
    w = set_of(P("miss/" INDEX), &rc, &e);
    CHECK_RC(rc, EX_OK);
    CHECK_STR(names(w), SH1 " " SH2 " " INDEX);
    ex_weights_free(w);
    w = set_of(P("miss"), &rc, &e);
    CHECK_RC(rc, EX_ENOTFOUND);
    CHECK_MSG(e, "symbolic link");
    ex_weights_free(w);
    /* a shard that is a directory */
    CHECK(mkdir(P("dirshard"), 0755) == 0 && mkdir(P("dirshard/" SH1), 0755) == 0);
    puts_file("dirshard/" INDEX, "{\"weight_map\":{\"a\":\"" SH1 "\"}}");
    w = set_of(P("dirshard/" INDEX), &rc, &e);
    CHECK_RC(rc, EX_ENOTFOUND);
    CHECK_MSG(e, "is not a regular file");
    ex_weights_free(w);

    /* indexes that are not, or that reach outside their directory */
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"{\"weight_map\":{\"a\":\"../sh/" SH1 "\"}}", "maps to a path"},
        {"{\"weight_map\":{\"a\":\"/etc/passwd\"}}", "maps to a path"},
        {"{\"weight_map\":{\"a\":\"..\"}}", "maps to a path"},
        {"{\"weight_map\":{\"a\":3}}", "a value that is not a string"},
        {"{\"weight_map\":{}}", "no \"weight_map\" naming shards"},
        {"{\"metadata\":{}}", "no \"weight_map\" naming shards"},
        {"[\"" SH1 "\"]", "no \"weight_map\" naming shards"},
        {"{\"weight_map\":", "line 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        puts_file("bad/" INDEX, bad[i].text);
        w = set_of(P("bad/" INDEX), &rc, &e);
        CHECK_RC(rc, EX_EFORMAT);
        CHECK_MSG(e, bad[i].says);
        ex_weights_free(w);
    }
}

/* deterministic bytes */
static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static void
parallel(void)
{
    /* sizes around the read size, and one of several reads */
    const size_t M = EX_WEIGHTS_READ_BYTES, A = 3 * M;
    const size_t sizes[] = {0,  1,     55,        64,        65,  4095, 4096, M - 1,
                            M,  M + 1, 2 * M + 7, 100000,    3,   7,    9,    11,
                            13, 17,    1 << 20,   5 * M / 2, 777, 12,   0,    A + M + 3};
    size_t nf = sizeof sizes / sizeof sizes[0];
    uint8_t *buf = malloc(A + M + 3);
    for (size_t i = 0; i < nf; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "par/d%zu/f%02zu.bin", i % 3, i);
        fill(buf, sizes[i], (uint32_t)i);
        put(rel, buf, sizes[i]);
    }
    free(buf);
    ex_err e = {0};
    int rc;
    ex_weights *ws[4];
    const unsigned jobs[4] = {1, 2, 4, 64};
    for (int k = 0; k < 4; k++) {
        ws[k] = set_of(P("par"), &rc, &e);
        CHECK_RC(rc, EX_OK);
        CHECK_RC(ex_weights_hash(ws[k], jobs[k], &e), EX_OK);
    }
    size_t n0;
    const ex_subject *s0 = ex_weights_subjects(ws[0], &n0);
    CHECK(n0 == nf);
    uint64_t total = 0;
    for (size_t i = 0; i < n0; i++) {
        uint8_t want[32];
        uint64_t size = 0;
        CHECK_RC(ex_sha256_file(H, ex_weights_path(ws[0], i), want, &size, NULL), EX_OK);
        CHECK(memcmp(s0[i].sha256, want, 32) == 0 && size == ex_weights_size(ws[0], i));
        total += size;
    }
    CHECK(ex_weights_total(ws[0]) == total);
    for (int k = 1; k < 4; k++) {
        size_t n;
        const ex_subject *s = ex_weights_subjects(ws[k], &n);
        int same = n == n0;
        for (size_t i = 0; same && i < n; i++)
            same = strcmp(s[i].name, s0[i].name) == 0 && memcmp(s[i].sha256, s0[i].sha256, 32) == 0;
        CHECK(same);
    }
    for (int k = 0; k < 4; k++)
        ex_weights_free(ws[k]);
    /* a file gone between adding and hashing: named, whatever the number of threads */
    for (int k = 0; k < 2; k++) {
        ex_weights *w = set_of(P("par"), &rc, &e);
        CHECK(unlink(P(k ? "par/d1/f04.bin" : "par/d1/f07.bin")) == 0);
        CHECK_RC(ex_weights_hash(w, k ? 3 : 1, &e), EX_EIO);
        CHECK_MSG(e, k ? "f04.bin" : "f07.bin");
        ex_weights_free(w);
    }
}

static void
model_id(void)
{
    ex_subject s[2] = {{.name = "sub/b"}, {.name = "a"}};
    ex_sha256_digest(H, "b", 1, s[0].sha256);
    ex_sha256_digest(H, "a", 1, s[1].sha256);
    uint8_t id[32], id2[32];
    char hex[65];
    ex_err e = {0};
    CHECK_RC(ex_model_id(s, 2, id, &e), EX_OK);
    ex_hex_encode(id, 32, hex);
    /* sha256(b"a\0" + hex(sha256(b"a")) + b"\n" + b"sub/b\0" + hex(sha256(b"b")) + b"\n"),
     * by Python's hashlib */
    CHECK_STR(hex, "765b5280f53e4de4d3040425a539072f188f6ee8596c94486179a7b8fb20c524");
    ex_subject r[2] = {s[1], s[0]};
    CHECK_RC(ex_model_id(r, 2, id2, &e), EX_OK);
    CHECK(memcmp(id, id2, 32) == 0);
    /* the DSSE vector's one subject */
    ex_subject v = {.name = "model.safetensors"};
    ex_hex_decode("9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c", 64, v.sha256,
                  32);
    CHECK_RC(ex_model_id(&v, 1, id, &e), EX_OK);
    ex_hex_encode(id, 32, hex);
    CHECK_STR(hex, "337cce73f9edf8b056a1f6c4ab06b98394352028e16d3fdcbed5e99401d0a4ee");
    r[1].name = "a";
    CHECK_RC(ex_model_id(r, 2, id, &e), EX_EINVAL);
    CHECK_MSG(e, "subject 'a' given twice");
    CHECK_RC(ex_model_id(r, 0, id, &e), EX_EINVAL);
}

static void
compare(void)
{
    ex_subject have[3] = {{.name = "c"}, {.name = "a"}, {.name = "b"}};
    ex_subject want[3] = {{.name = "d"}, {.name = "c"}, {.name = "b"}};
    memset(have[0].sha256, 3, 32);
    memset(have[1].sha256, 1, 32);
    memset(have[2].sha256, 2, 32);
    memset(want[0].sha256, 5, 32);
    memset(want[1].sha256, 4, 32);
    memset(want[2].sha256, 2, 32);
    ex_weights_diff *d = NULL;
    size_t nd = 0;
    ex_err e = {0};
    CHECK_RC(ex_weights_compare(have, 3, want, 3, &d, &nd, &e), EX_EVERIFY);
    CHECK(nd == 3 && d && d[0].kind == EX_WEIGHTS_EXTRA && strcmp(d[0].name, "a") == 0 &&
          d[1].kind == EX_WEIGHTS_DIFFERS && strcmp(d[1].name, "c") == 0 &&
          d[2].kind == EX_WEIGHTS_MISSING && strcmp(d[2].name, "d") == 0);
    CHECK_MSG(e, "3 differences from the statement: not in the statement 'a'; digest differs "
                 "'c'; missing 'd'");
    free(d);
    CHECK_RC(ex_weights_compare(have, 3, have, 3, &d, &nd, &e), EX_OK);
    CHECK(nd == 0);
    free(d);
    ex_subject one[1] = {{.name = "b"}};
    memset(one[0].sha256, 2, 32);
    CHECK_RC(ex_weights_compare(one, 1, want + 2, 1, NULL, &nd, &e), EX_OK);
    CHECK_RC(ex_weights_compare(NULL, 0, want + 2, 1, NULL, &nd, &e), EX_EVERIFY);
    CHECK(nd == 1);
    CHECK_MSG(e, "1 difference from the statement: missing 'b'");
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(D, sizeof D, "%s/test_weights.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(D) || ex_sha256_new(&H) != EX_OK) {
        perror("test_weights: scratch directory");
        return 1;
    }
    one_file();
    directory();
    sharded();
    parallel();
    model_id();
    compare();
    ex_sha256_free(H);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", D);
    if (t_failures == 0 && system(cmd) != 0)
        fprintf(stderr, "test_weights: could not remove %s\n", D);
    return t_done("test_weights");
}
