/* test_witness.c - C2SP tlog-cosignature v1 and tlog-witness: a known-answer cosignature
 * (made by an independent implementation: Python's cryptography, from the spec, over the
 * spec's example checkpoint and time), witness keys, the cosigned checkpoint reader, the
 * add-checkpoint body parser, and a witness answering requests in a temporary directory. */
#include <stdlib.h>
#include <unistd.h>

#include "exante.h"
#include "t.h"

/* the witness key: seed SHA-256("exante witness test key"), name witness.example/w1 */
static const char signer[] =
    "PRIVATE+KEY+witness.example/w1+0edf135b+AQofJVfKmU77FzwjPB78Ba2EeAhRT9ytt3lo5h5z/2B/";
static const char wvkey[] =
    "witness.example/w1+5b7598d5+BCS8ShVVe1GckKb2BS7rh8qzUfgbgb9/JMyZ4d4aeGVN";
static const char body[] = "example.com/behind-the-sofa\n20852163\n"
                           "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
static const uint64_t when = 1679315147;
static const char line[] = "\xe2\x80\x94 witness.example/w1 W3WY1QAAAABkGFDLPK7zzuuKSGCpaY/Fgvnmc4u"
                           "ejflXPa27ow/W2LhH+ad2ttvhL1Va/3+5ljtgWmnlvcFG9564aVJ1w7ffTVI1CA==\n";
static const char log_signer[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";

static void
known_answer(void)
{
    ex_key *k = NULL;
    ex_err e = {0};
    CHECK_RC(ex_key_from_signer(signer, &k, &e), EX_OK);
    if (!k)
        return;
    ex_vkey v, p;
    char s[EX_VKEY_MAX], out[EX_COSIG_LINE_MAX];
    CHECK_RC(ex_key_wvkey(k, &v), EX_OK);
    ex_wvkey_format(&v, s);
    CHECK_STR(s, wvkey);
    CHECK_RC(ex_wvkey_parse(wvkey, &p, &e), EX_OK);
    CHECK(memcmp(&p, &v, sizeof v) == 0);
    size_t n = 0;
    CHECK_RC(ex_cosig_sign(k, body, strlen(body), when, out, &n, &e), EX_OK);
    CHECK_STR(out, line);
    CHECK(n == strlen(line));
    /* times over 2^63-1 and bodies without their newline are refused */
    CHECK_RC(ex_cosig_sign(k, body, strlen(body), (uint64_t)INT64_MAX + 1, out, &n, &e), EX_EINVAL);
    CHECK_RC(ex_cosig_sign(k, body, strlen(body) - 1, when, out, &n, &e), EX_EINVAL);
    ex_key_free(k);
}

static void
witness_keys(void)
{
    ex_vkey v;
    ex_err e = {0};
    /* a log's key (type 0x01) is not a witness key, nor is one with the wrong id */
    CHECK_RC(ex_wvkey_parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                            &v, &e),
             EX_EFORMAT);
    CHECK(strstr(e.msg, "log's key") != NULL);
    CHECK_RC(
        ex_wvkey_parse("witness.example/w1+5b7598d6+BCS8ShVVe1GckKb2BS7rh8qzUfgbgb9/JMyZ4d4aeGVN",
                       &v, &e),
        EX_EFORMAT);
    CHECK_RC(
        ex_wvkey_parse("witness.example/w2+5b7598d5+BCS8ShVVe1GckKb2BS7rh8qzUfgbgb9/JMyZ4d4aeGVN",
                       &v, &e),
        EX_EFORMAT);
    CHECK_RC(ex_wvkey_parse("nokey", &v, &e), EX_EFORMAT);
}

/* body, blank line, then sigs; into buf */
static size_t
note_of(char *buf, size_t cap, const char *sigs)
{
    int n = snprintf(buf, cap, "%s\n%s", body, sigs);
    return (size_t)n;
}

static void
reader(void)
{
    ex_vkey w[2];
    ex_err e = {0};
    CHECK_RC(ex_wvkey_parse(wvkey, &w[0], &e), EX_OK);
    w[1] = w[0];
    w[1].id[0] ^= 1; /* another key of the same name: no line of it */
    char buf[2048], sigs[1024];
    ex_cosigned c;
    uint64_t t[2];
    size_t n = note_of(buf, sizeof buf, line);
    CHECK_RC(ex_cosigned_open(buf, n, NULL, w, 2, 0, &c, t, &e), EX_OK);
    CHECK(c.good == 1 && c.lines == 1 && t[0] == when && t[1] == 0);
    CHECK(c.body_len == strlen(body) && c.cp.size == 20852163);
    CHECK_STR(c.cp.origin, "example.com/behind-the-sofa");
    /* verifiers may refuse timestamps in the future */
    CHECK_RC(ex_cosigned_open(buf, n, NULL, w, 1, when - 1, &c, NULL, &e), EX_EVERIFY);
    CHECK_RC(ex_cosigned_open(buf, n, NULL, w, 1, when, &c, NULL, &e), EX_OK);
    /* a line twice counts once; unknown keys are ignored (spec example lines) */
    snprintf(sigs, sizeof sigs,
             "%s%s\xe2\x80\x94 example.com/behind-the-sofa "
             "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
             "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n",
             line, line);
    n = note_of(buf, sizeof buf, sigs);
    CHECK_RC(ex_cosigned_open(buf, n, NULL, w, 2, 0, &c, NULL, &e), EX_OK);
    CHECK(c.good == 1 && c.lines == 3);
    CHECK_RC(ex_cosigned_open(buf, n, NULL, NULL, 0, 0, &c, NULL, &e), EX_OK);
    CHECK(c.good == 0);
    /* a line the size of an ML-DSA-44 cosignature by another witness: ignored, not refused
     * (the log's note verifier reads it too) */
    {
        static uint8_t big[4 + 8 + 2420];
        static char b64[4 * (sizeof big + 2) / 3 + 1], text[4096];
        memset(big, 0x42, sizeof big);
        ex_b64_encode(big, sizeof big, b64);
        snprintf(text, sizeof text, "%s\xe2\x80\x94 witness.example/mldsa %s\n", line, b64);
        n = note_of(buf, sizeof buf, "");
        char *all = malloc(n + strlen(text) + 1);
        if (all) {
            n = (size_t)sprintf(all, "%s\n%s", body, text);
            CHECK_RC(ex_cosigned_open(all, n, NULL, w, 1, 0, &c, NULL, &e), EX_OK);
            CHECK(c.good == 1 && c.lines == 2);
            free(all);
        }
    }
    /* the body changed, a signature bit changed, a timestamp changed: refused */
    n = note_of(buf, sizeof buf, line);
    buf[30] = '4';
    CHECK_RC(ex_cosigned_open(buf, n, NULL, w, 1, 0, &c, NULL, &e), EX_EVERIFY);
    n = note_of(buf, sizeof buf, line);
    char *sig = strstr(buf, "W3WY1Q");
    sig[40] = sig[40] == 'A' ? 'B' : 'A';
    CHECK_RC(ex_cosigned_open(buf, n, NULL, w, 1, 0, &c, NULL, &e), EX_EVERIFY);
    n = note_of(buf, sizeof buf, line);
    sig = strstr(buf, "W3WY1Q");
    sig[14] = 'B'; /* inside the timestamp */
    CHECK_RC(ex_cosigned_open(buf, n, NULL, w, 1, 0, &c, NULL, &e), EX_EVERIFY);
    /* malformed notes and lines */
    CHECK_RC(ex_cosigned_open(body, strlen(body), NULL, w, 1, 0, &c, NULL, &e), EX_EFORMAT);
    n = note_of(buf, sizeof buf, "- witness.example/w1 AAAA\n");
    CHECK_RC(ex_cosigned_open(buf, n, NULL, w, 1, 0, &c, NULL, &e), EX_EFORMAT);
    n = note_of(buf, sizeof buf, "\xe2\x80\x94 witness.example/w1 W3WY1QAAAAA=\n");
    CHECK_RC(ex_cosigned_open(buf, n, NULL, w, 1, 0, &c, NULL, &e), EX_EVERIFY);
    n = note_of(buf, sizeof buf, line);
    CHECK_RC(ex_cosigned_open(buf, n - 1, NULL, w, 1, 0, &c, NULL, &e), EX_EFORMAT);

    /* with the log's key: its signature must be there and verify */
    ex_key *lk = NULL;
    CHECK_RC(ex_key_from_signer(log_signer, &lk, &e), EX_OK);
    if (!lk)
        return;
    ex_vkey lv;
    ex_key_vkey(lk, &lv);
    n = note_of(buf, sizeof buf, line);
    CHECK_RC(ex_cosigned_open(buf, n, &lv, w, 1, 0, &c, NULL, &e), EX_EVERIFY);
    char *signed_note = NULL;
    size_t sl = 0;
    CHECK_RC(ex_note_sign(body, strlen(body), &lk, 1, &signed_note, &sl, &e), EX_OK);
    if (signed_note) {
        n = (size_t)snprintf(buf, sizeof buf, "%s%s", signed_note, line);
        CHECK_RC(ex_cosigned_open(buf, n, &lv, w, 1, 0, &c, NULL, &e), EX_OK);
        CHECK(c.good == 1 && c.lines == 2);
        free(signed_note);
    }
    ex_key_free(lk);
}

/* the spec's example request */
static const char request[] = "old 20852014\n"
                              "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
                              "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
                              "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
                              "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
                              "\n"
                              "example.com/behind-the-sofa\n"
                              "20852163\n"
                              "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
                              "\n"
                              "\xe2\x80\x94 example.com/behind-the-sofa "
                              "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
                              "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";

static void
addcp(void)
{
    ex_addcp r;
    ex_err e = {0};
    CHECK_RC(ex_addcp_parse(request, strlen(request), &r, &e), EX_OK);
    CHECK(r.old == 20852014 && r.n == 4);
    CHECK(r.note == strstr(request, "example.com/") && r.note_len == strlen(r.note));
    char *back = NULL;
    size_t bl = 0;
    CHECK_RC(ex_addcp_format(r.old, (const uint8_t(*)[EX_HASH_BYTES])r.proof, r.n, r.note,
                             r.note_len, &back, &bl),
             EX_OK);
    CHECK(back && bl == strlen(request) && memcmp(back, request, bl) == 0);
    free(back);
    CHECK_RC(ex_addcp_parse("old 0\n\nx\n", 9, &r, &e), EX_OK);
    CHECK(r.old == 0 && r.n == 0 && r.note_len == 2);
    static const char *bad[] = {
        "old 01\n\nx\n",
        "old -1\n\nx\n",
        "old\n\nx\n",
        "new 1\n\nx\n",
        "old 1\nx\n",
        "old 1\n\n",
        "old 1",
        "old 18446744073709551616\n\nx\n",
        "old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw\n\nx\n",
        "old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkax=\n\nx\n",
        "old 1\nAAAA\n\nx\n",
        "old 1 \n\nx\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_RC(ex_addcp_parse(bad[i], strlen(bad[i]), &r, &e), EX_EFORMAT);
    /* 63 proof lines are allowed, 64 are not */
    char big[70 * 46 + 64];
    for (int lines = 63; lines <= 64; lines++) {
        size_t n = (size_t)snprintf(big, sizeof big, "old 1\n");
        for (int i = 0; i < lines; i++)
            n += (size_t)snprintf(big + n, sizeof big - n,
                                  "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n");
        n += (size_t)snprintf(big + n, sizeof big - n, "\nx\n");
        CHECK_RC(ex_addcp_parse(big, n, &r, &e), lines == 63 ? EX_OK : EX_EFORMAT);
    }
}

/* ---- a witness in a temporary directory, answering requests about a toy log ---- */

static uint8_t leaves[2][16][EX_HASH_BYTES]; /* a log and its fork (leaves differ from 5 on) */
static ex_sha256 *H;

static int
read_tree(void *ctx, unsigned level, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    const uint8_t(*l)[EX_HASH_BYTES] = ctx;
    return ex_merkle_root(H, l + (index << level), (uint64_t)1 << level, out);
}

/* the checkpoint of the first n leaves of log f, signed by k (malloc'd) */
static char *
checkpoint(ex_key *k, int f, uint64_t n, size_t *len)
{
    ex_checkpoint c;
    memset(&c, 0, sizeof c);
    snprintf(c.origin, sizeof c.origin, "%s", ex_key_name(k));
    c.size = n;
    if (ex_merkle_root(H, (const uint8_t(*)[EX_HASH_BYTES])leaves[f], n, c.root) != EX_OK)
        return NULL;
    char text[512], *note = NULL;
    size_t tl;
    if (ex_checkpoint_format(&c, text, sizeof text, &tl) != EX_OK ||
        ex_note_sign(text, tl, &k, 1, &note, len, NULL) != EX_OK)
        return NULL;
    return note;
}

/* ask w to cosign log f's checkpoint of size n with old and a proof (bit flipped if bad) */
static int
ask(ex_witness *w, const ex_vkey *logs, size_t nlogs, ex_key *k, int f, uint64_t old, uint64_t n,
    int bad, ex_witness_answer *a)
{
    ex_addcp r;
    memset(&r, 0, sizeof r);
    r.old = old;
    if (old && old < n &&
        ex_merkle_prove_consistency(H, read_tree, leaves[f], old, n, r.proof, &r.n) != EX_OK)
        return -1;
    if (bad && r.n)
        r.proof[0][0] ^= 1;
    char *note = checkpoint(k, f, n, &r.note_len);
    r.note = note;
    int rc = ex_witness_add_checkpoint(w, logs, nlogs, &r, when, a, NULL);
    /* a 200 answer is a cosignature over exactly that checkpoint */
    if (rc == EX_OK && a->status == 200) {
        ex_vkey wv;
        ex_cosigned c;
        char *both = malloc(r.note_len + a->body_len);
        memcpy(both, note, r.note_len);
        memcpy(both + r.note_len, a->body, a->body_len);
        CHECK_RC(ex_wvkey_parse(ex_witness_vkey(w), &wv, NULL), EX_OK);
        CHECK_RC(
            ex_cosigned_open(both, r.note_len + a->body_len, &logs[0], &wv, 1, 0, &c, NULL, NULL),
            EX_OK);
        CHECK(c.good == 1 && c.cp.size == n);
        free(both);
    }
    free(note);
    return rc;
}

static void
witness_dir(void)
{
    char dir[] = "/tmp/exante-witness-XXXXXX";
    if (!mkdtemp(dir) || ex_sha256_new(&H) != EX_OK) {
        CHECK(0);
        return;
    }
    for (int f = 0; f < 2; f++)
        for (int i = 0; i < 16; i++) {
            uint8_t e[2] = {(uint8_t)i, (uint8_t)(i >= 5 ? f : 0)};
            CHECK_RC(ex_merkle_leaf(H, e, 2, leaves[f][i]), EX_OK);
        }
    char wd[64];
    snprintf(wd, sizeof wd, "%s/w", dir);
    ex_witness *w = NULL, *w2 = NULL;
    ex_err e = {0};
    CHECK_RC(ex_witness_init(wd, "w.example/test", NULL, &w, &e), EX_OK);
    CHECK_RC(ex_witness_init(wd, "w.example/test", NULL, &w2, &e), EX_EEXIST);
    CHECK_RC(ex_witness_open(wd, NULL, &w2, &e), EX_OK);
    if (!w || !w2)
        return;
    CHECK_STR(ex_witness_vkey(w2), ex_witness_vkey(w));
    ex_witness_close(w2);

    ex_key *lk = NULL, *imp = NULL, *other = NULL;
    CHECK_RC(ex_key_from_signer(log_signer, &lk, &e), EX_OK);
    CHECK_RC(ex_key_generate("PeterNeumann", &imp, &e), EX_OK);
    CHECK_RC(ex_key_generate("example.org/other", &other, &e), EX_OK);
    ex_vkey logs[2];
    ex_key_vkey(lk, &logs[0]);
    ex_key_vkey(other, &logs[1]);
    logs[1].id[0] ^= 1; /* trusted origin, but not this key */
    ex_witness_answer a;
    char *latest = NULL;
    size_t ll;
    CHECK_RC(ex_witness_latest_dup(w, "PeterNeumann", &latest, &ll, &e), EX_ENOTFOUND);

    CHECK_RC(ask(w, logs, 1, lk, 0, 0, 3, 0, &a), EX_OK);
    CHECK(a.status == 200);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, lk, 0, 0, 5, 0, &a), EX_OK); /* old is 3 now */
    CHECK(a.status == 409 && !a.fork && a.body && strcmp(a.body, "3\n") == 0 && a.latest);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, lk, 0, 3, 5, 0, &a), EX_OK);
    CHECK(a.status == 200);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, lk, 0, 5, 7, 1, &a), EX_OK);
    CHECK(a.status == 422);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, lk, 1, 5, 5, 0, &a), EX_OK); /* the fork has 5's root still */
    CHECK(a.status == 200);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, lk, 0, 5, 7, 0, &a), EX_OK);
    CHECK(a.status == 200);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, lk, 1, 7, 7, 0, &a), EX_OK); /* same size, another root */
    CHECK(a.status == 409 && a.fork && a.latest && strcmp(a.body, "7\n") == 0);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, lk, 1, 7, 9, 0, &a), EX_OK); /* the fork grown: proof fails */
    CHECK(a.status == 422);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, lk, 0, 8, 7, 0, &a), EX_OK);
    CHECK(a.status == 400);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, lk, 0, 7, 7, 1, &a), EX_OK); /* same checkpoint again */
    CHECK(a.status == 200);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, other, 0, 0, 3, 0, &a), EX_OK);
    CHECK(a.status == 404);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 2, other, 0, 0, 3, 0, &a), EX_OK);
    CHECK(a.status == 403);
    ex_witness_answer_clear(&a);
    CHECK_RC(ask(w, logs, 1, imp, 0, 7, 9, 0, &a), EX_OK);
    CHECK(a.status == 403);
    ex_witness_answer_clear(&a);
    ex_addcp r = {.old = 0, .note = "PeterNeumann\nx\n\n", .note_len = 16};
    CHECK_RC(ex_witness_add_checkpoint(w, logs, 1, &r, when, &a, &e), EX_OK);
    CHECK(a.status == 400);
    ex_witness_answer_clear(&a);

    /* the state kept: the checkpoint of size 7 of the log, not the fork's */
    size_t l7;
    char *n7 = checkpoint(lk, 0, 7, &l7);
    CHECK_RC(ex_witness_latest_dup(w, "PeterNeumann", &latest, &ll, &e), EX_OK);
    CHECK(latest && n7 && ll == l7 && memcmp(latest, n7, ll) == 0);
    free(latest);
    free(n7);
    ex_key_free(lk);
    ex_key_free(imp);
    ex_key_free(other);
    ex_witness_close(w);
    ex_sha256_free(H);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int
main(void)
{
    known_answer();
    witness_keys();
    reader();
    addcp();
    witness_dir();
    return t_done("test_witness");
}
