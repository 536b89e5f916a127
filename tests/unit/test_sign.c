/* test_sign.c - Ed25519 keys, C2SP verifier keys and signed notes, checkpoints: the shared
 * C2SP vector (verify, and re-sign byte for byte), malformed notes, key files. */
#include <sys/stat.h>
#include <unistd.h>

#include "exante.h"
#include "t.h"

static const char vkey1[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char skey1[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char text1[] = "If you think cryptography is the answer to your problem,\n"
                            "then you don't know what your problem is.\n";
static const char sig1[] = "\xe2\x80\x94 PeterNeumann "
                           "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static void
c2sp_vector(void)
{
    ex_vkey v;
    ex_err e = {0};
    CHECK_RC(ex_vkey_parse(vkey1, &v, &e), EX_OK);
    CHECK_STR(v.name, "PeterNeumann");
    char back[EX_VKEY_MAX];
    ex_vkey_format(&v, back);
    CHECK_STR(back, vkey1);

    char note[1024];
    snprintf(note, sizeof note, "%s\n%s", text1, sig1);
    size_t tl = 0;
    unsigned nv = 0;
    CHECK_RC(ex_note_verify(note, strlen(note), &v, 1, &tl, &nv, &e), EX_OK);
    CHECK(tl == strlen(text1) && nv == 1);

    /* signing the text with the signer key reproduces the signature line byte for byte */
    ex_key *k = NULL;
    CHECK_RC(ex_key_from_signer(skey1, &k, &e), EX_OK);
    if (!k)
        return;
    char vs[EX_VKEY_MAX];
    ex_key_vkey_string(k, vs);
    CHECK_STR(vs, vkey1);
    char *signed_note = NULL;
    size_t sl;
    CHECK_RC(ex_note_sign(text1, strlen(text1), &k, 1, &signed_note, &sl, &e), EX_OK);
    CHECK_STR(signed_note, note);
    free(signed_note);

    /* a wrong key id in a signer key is refused */
    char bad[sizeof skey1];
    memcpy(bad, skey1, sizeof skey1);
    bad[strlen("PRIVATE+KEY+PeterNeumann+")] = 'd';
    ex_key *k2 = NULL;
    CHECK_RC(ex_key_from_signer(bad, &k2, &e), EX_EFORMAT);

    /* notes: unknown keys are ignored, a known key's bad signature fails the note */
    ex_key *other = NULL;
    CHECK_RC(ex_key_generate("other.example/log", &other, &e), EX_OK);
    ex_key *both[2] = {other, k};
    CHECK_RC(ex_note_sign(text1, strlen(text1), both, 2, &signed_note, &sl, &e), EX_OK);
    CHECK_RC(ex_note_verify(signed_note, sl, &v, 1, &tl, &nv, &e), EX_OK);
    CHECK(nv == 1);
    ex_vkey ov;
    ex_key_vkey(other, &ov);
    ex_vkey two[2] = {v, ov};
    CHECK_RC(ex_note_verify(signed_note, sl, two, 2, &tl, &nv, &e), EX_OK);
    CHECK(nv == 2);
    free(signed_note);
    /* only an unknown key signed: no verified signature */
    CHECK_RC(ex_note_sign(text1, strlen(text1), &other, 1, &signed_note, &sl, &e), EX_OK);
    CHECK_RC(ex_note_verify(signed_note, sl, &v, 1, &tl, &nv, &e), EX_EVERIFY);
    free(signed_note);
    /* altered text */
    char alt[1024];
    snprintf(alt, sizeof alt, "%s", note);
    alt[3] ^= 1;
    CHECK_RC(ex_note_verify(alt, strlen(alt), &v, 1, &tl, &nv, &e), EX_EVERIFY);

    /* malformed notes */
    const char *malformed[] = {
        "no blank line\n\xe2\x80\x94 PeterNeumann AAAA\n",
        "text\n\nmissing dash line\n",
        "text\n\n\xe2\x80\x94 PeterNeumann !!!!\n",
        "text\n\n\xe2\x80\x94 PeterNeumann\n",
        "text\n\n\xe2\x80\x94 PeterNeumann AAAAAA==", /* no final newline */
        "text\n\n\xe2\x80\x94 Peter+Neumann AAAAAAAA\n",
        "te\x01xt\n\n\xe2\x80\x94 PeterNeumann AAAAAAAA\n",
        "te\xffxt\n\n\xe2\x80\x94 PeterNeumann AAAAAAAA\n",
        "text\n\n",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        int rc = ex_note_verify(malformed[i], strlen(malformed[i]), &v, 1, &tl, &nv, &e);
        if (rc != EX_EFORMAT)
            fprintf(stderr, "malformed note %zu: %d %s\n", i, rc, e.msg);
        CHECK(rc == EX_EFORMAT);
    }
    /* more than 100 signatures */
    char *many = malloc(200 * 64);
    strcpy(many, "text\n\n");
    for (int i = 0; i < 101; i++)
        strcat(many, "\xe2\x80\x94 x AAAAAAAA\n");
    CHECK_RC(ex_note_verify(many, strlen(many), &v, 1, &tl, &nv, &e), EX_EFORMAT);
    free(many);
    /* text that does not end in a newline cannot be signed */
    CHECK_RC(ex_note_sign("abc", 3, &k, 1, &signed_note, &sl, &e), EX_EINVAL);
    ex_key_free(other);
    ex_key_free(k);
    /* invalid verifier keys */
    CHECK_RC(ex_vkey_parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                           &v, &e),
             EX_EFORMAT);
    CHECK_RC(ex_vkey_parse("PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                           &v, &e),
             EX_EFORMAT);
    CHECK_RC(ex_vkey_parse("nonsense", &v, &e), EX_EFORMAT);
}

static void
checkpoints(void)
{
    /* x/mod sumdb/tlog golden tree note text */
    const char golden[] = "go.sum database tree\n123456789012\n"
                          "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
    ex_checkpoint c;
    ex_err e = {0};
    CHECK_RC(ex_checkpoint_parse(golden, strlen(golden), &c, &e), EX_OK);
    CHECK_STR(c.origin, "go.sum database tree");
    CHECK(c.size == 123456789012ULL);
    char buf[512];
    size_t len;
    CHECK_RC(ex_checkpoint_format(&c, buf, sizeof buf, &len), EX_OK);
    CHECK(len == strlen(golden) && memcmp(buf, golden, len) == 0);
    const char *bad[] = {
        "origin\n12\n",                                                  /* no root */
        "origin\n012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",   /* leading zero */
        "origin\n-1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
        "origin\n99999999999999999999\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
        "\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
        "origin\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0\n",      /* unpadded */
        "origin\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40Hmuw\n",         /* short */
        "origin\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n\n",   /* empty ext line */
        "ori\tgin\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",  /* control char */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_RC(ex_checkpoint_parse(bad[i], strlen(bad[i]), &c, &e), EX_EFORMAT);
    /* a NUL in the origin (found by fuzz_checkpoint) */
    const char nul[] = "ex\0evil\n4\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
    CHECK_RC(ex_checkpoint_parse(nul, sizeof nul - 1, &c, &e), EX_EFORMAT);
    const char ext[] = "o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\nextension line\n";
    CHECK_RC(ex_checkpoint_parse(ext, strlen(ext), &c, &e), EX_OK);
}

static void
key_files(void)
{
    char dir[] = "/tmp/exante-test-keys-XXXXXX", path[256], path2[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/k.pem", dir);
    snprintf(path2, sizeof path2, "%s/plain.pem", dir);
    ex_err e = {0};
    ex_key *k = NULL, *k2 = NULL;
    CHECK_RC(ex_key_generate("test.example/log", &k, &e), EX_OK);
    CHECK_RC(ex_key_generate("bad name", &k2, &e), EX_EINVAL);
    CHECK_RC(ex_key_generate("bad+name", &k2, &e), EX_EINVAL);
    CHECK_RC(ex_key_save(k, path, "correct horse", &e), EX_OK);
    CHECK_RC(ex_key_save(k, path, NULL, &e), EX_EEXIST);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK_RC(ex_key_load(path, "test.example/log", "wrong", &k2, &e), EX_ECRYPTO);
    CHECK_RC(ex_key_load(path, "test.example/log", NULL, &k2, &e), EX_ECRYPTO);
    CHECK_RC(ex_key_load(path, "test.example/log", "correct horse", &k2, &e), EX_OK);
    if (k2) {
        char a[EX_VKEY_MAX], b[EX_VKEY_MAX];
        ex_key_vkey_string(k, a);
        ex_key_vkey_string(k2, b);
        CHECK_STR(a, b);
        ex_key_free(k2);
    }
    CHECK_RC(ex_key_save(k, path2, NULL, &e), EX_OK);
    chmod(path2, 0644);
    CHECK_RC(ex_key_load(path2, "test.example/log", NULL, &k2, &e), EX_EINVAL);
    CHECK(strstr(e.msg, "chmod 600") != NULL);
    chmod(path2, 0600);
    CHECK_RC(ex_key_load(path2, "test.example/log", NULL, &k2, &e), EX_OK);
    ex_key_free(k2);
    /* the PEM is an encrypted PKCS#8 key */
    FILE *f = fopen(path, "r");
    char line[128] = "";
    CHECK(f && fgets(line, sizeof line, f));
    if (f)
        fclose(f);
    CHECK_STR(line, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n");
    ex_key_free(k);
    unlink(path);
    unlink(path2);
    rmdir(dir);
}

/* a rotation record by keys a (old) and b (new), signed by the keys in sig[0..n) */
static char *
rotation(ex_key *a, ex_key *b, uint64_t from, ex_key **sig, size_t n)
{
    char va[EX_VKEY_MAX], vb[EX_VKEY_MAX], text[1024], *note = NULL;
    size_t tl, nl;
    ex_err e = {0};
    ex_key_vkey_string(a, va);
    ex_key_vkey_string(b, vb);
    CHECK_RC(ex_rotation_text(ex_key_name(a), from, va, vb, text, sizeof text, &tl), EX_OK);
    CHECK_RC(ex_note_sign(text, tl, sig, n, &note, &nl, &e), EX_OK);
    return note;
}

/* a checkpoint note of `size` signed by k */
static char *
checkpoint_by(ex_key *k, uint64_t size)
{
    ex_checkpoint c = {0};
    snprintf(c.origin, sizeof c.origin, "%s", ex_key_name(k));
    c.size = size;
    char body[512], *note = NULL;
    size_t bl, nl;
    ex_err e = {0};
    CHECK_RC(ex_checkpoint_format(&c, body, sizeof body, &bl), EX_OK);
    CHECK_RC(ex_note_sign(body, bl, &k, 1, &note, &nl, &e), EX_OK);
    return note;
}

static void
rotations(void)
{
    ex_key *k0, *k1, *k2, *x;
    ex_err e = {0};
    CHECK_RC(ex_key_generate("rot.example/log", &k0, &e), EX_OK);
    CHECK_RC(ex_key_generate("rot.example/log", &k1, &e), EX_OK);
    CHECK_RC(ex_key_generate("rot.example/log", &k2, &e), EX_OK);
    CHECK_RC(ex_key_generate("rot.example/log", &x, &e), EX_OK);
    ex_vkey v0, v1, v2, vx;
    ex_key_vkey(k0, &v0), ex_key_vkey(k1, &v1), ex_key_vkey(k2, &v2), ex_key_vkey(x, &vx);
    ex_key *s01[2] = {k0, k1}, *s12[2] = {k1, k2};
    char *r01 = rotation(k0, k1, 10, s01, 2), *r12 = rotation(k1, k2, 25, s12, 2);
    ex_rotation r[2];
    CHECK_RC(ex_rotation_open(r01, strlen(r01), &r[0], &e), EX_OK);
    CHECK(r[0].from == 10 && memcmp(&r[0].old_key, &v0, sizeof v0) == 0 &&
          memcmp(&r[0].new_key, &v1, sizeof v1) == 0);
    CHECK_RC(ex_rotation_open(r12, strlen(r12), &r[1], &e), EX_OK);
    /* each key must sign: the old alone, the new alone, a stranger with the old: refused */
    ex_key *only[2] = {k0, x};
    char *bad = rotation(k0, k1, 10, only, 1);
    CHECK_RC(ex_rotation_open(bad, strlen(bad), &r[0], &e), EX_EVERIFY);
    CHECK(strstr(e.msg, "the new key's signature") != NULL);
    free(bad);
    bad = rotation(k0, k1, 10, &s01[1], 1);
    CHECK_RC(ex_rotation_open(bad, strlen(bad), &r[0], &e), EX_EVERIFY);
    CHECK(strstr(e.msg, "the old key's signature") != NULL);
    free(bad);
    bad = rotation(k0, k1, 10, only, 2);
    CHECK_RC(ex_rotation_open(bad, strlen(bad), &r[0], &e), EX_EVERIFY);
    free(bad);
    /* the text changed after signing; a malformed line names its number */
    bad = strdup(r01);
    bad[strlen("exante key rotation v1\norigin rot.example/log\nfrom ")] = '9';
    CHECK_RC(ex_rotation_open(bad, strlen(bad), &r[0], &e), EX_EVERIFY);
    bad[0] = 'E';
    CHECK_RC(ex_rotation_open(bad, strlen(bad), &r[0], &e), EX_EFORMAT);
    CHECK(strstr(e.msg, "line 1") != NULL);
    free(bad);
    CHECK_RC(ex_rotation_open(r01, strlen(r01), &r[0], &e), EX_OK);
    /* the chain, from the first key, from the last, from the middle one: the same windows */
    const ex_vkey *trusted[3] = {&v0, &v2, &v1};
    for (int t = 0; t < 3; t++) {
        ex_key_chain c;
        CHECK_RC(ex_key_chain_build(trusted[t], r, 2, &c, &e), EX_OK);
        CHECK(c.n == 3);
        CHECK(ex_key_chain_at(&c, 0) && memcmp(ex_key_chain_at(&c, 0), &v0, sizeof v0) == 0);
        CHECK(memcmp(ex_key_chain_at(&c, 9), &v0, sizeof v0) == 0);
        CHECK(memcmp(ex_key_chain_at(&c, 10), &v1, sizeof v1) == 0);
        CHECK(memcmp(ex_key_chain_at(&c, 24), &v1, sizeof v1) == 0);
        CHECK(memcmp(ex_key_chain_at(&c, 25), &v2, sizeof v2) == 0);
        CHECK(memcmp(ex_key_chain_at(&c, UINT64_MAX - 1), &v2, sizeof v2) == 0);
        /* a checkpoint by the key of its size opens; by another key of the chain, not: a
         * retired key cannot sign what comes after it, nor a new key what came before */
        char *a = checkpoint_by(k0, 9), *b = checkpoint_by(k0, 10), *d = checkpoint_by(k2, 3);
        char *f = checkpoint_by(k1, 10);
        ex_checkpoint cp;
        CHECK_RC(ex_checkpoint_open_chain(a, strlen(a), &c, &cp, &e), EX_OK);
        CHECK_RC(ex_checkpoint_open_chain(f, strlen(f), &c, &cp, &e), EX_OK);
        CHECK_RC(ex_checkpoint_open_chain(b, strlen(b), &c, &cp, &e), EX_EVERIFY);
        CHECK_RC(ex_checkpoint_open_chain(d, strlen(d), &c, &cp, &e), EX_EVERIFY);
        free(a), free(b), free(d), free(f);
    }
    ex_key_chain c;
    /* a key the records never reach; records out of order; no records: the key alone */
    CHECK_RC(ex_key_chain_build(&vx, r, 2, &c, &e), EX_EVERIFY);
    ex_rotation swapped[2] = {r[1], r[0]};
    CHECK_RC(ex_key_chain_build(&v0, swapped, 2, &c, &e), EX_EVERIFY);
    CHECK_RC(ex_key_chain_build(&vx, r, 0, &c, &e), EX_OK);
    CHECK(c.n == 1 && memcmp(ex_key_chain_at(&c, 12345), &vx, sizeof vx) == 0);
    /* more records than a chain holds */
    ex_rotation many[EX_KEY_CHAIN_MAX];
    for (int i = 0; i < EX_KEY_CHAIN_MAX; i++)
        many[i] = r[0];
    CHECK_RC(ex_key_chain_build(&v0, many, EX_KEY_CHAIN_MAX, &c, &e), EX_ETOOBIG);
    /* a record whose two keys are one, or whose key is named for another log */
    ex_key *same[1] = {k0};
    bad = rotation(k0, k0, 10, same, 1);
    CHECK_RC(ex_rotation_open(bad, strlen(bad), &r[0], &e), EX_EFORMAT);
    CHECK(strstr(e.msg, "the same") != NULL);
    free(bad);
    ex_key *other;
    CHECK_RC(ex_key_generate("other.example/log", &other, &e), EX_OK);
    ex_key *s0o[2] = {k0, other};
    bad = rotation(k0, other, 10, s0o, 2);
    CHECK_RC(ex_rotation_open(bad, strlen(bad), &r[0], &e), EX_EFORMAT);
    CHECK(strstr(e.msg, "not named for origin") != NULL);
    free(bad);
    ex_key_free(other);
    /* a record of another origin than the trusted key's */
    CHECK_RC(ex_rotation_open(r01, strlen(r01), &r[0], &e), EX_OK);
    ex_vkey vo;
    CHECK_RC(ex_vkey_parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &vo, &e), EX_OK);
    CHECK_RC(ex_key_chain_build(&vo, r, 1, &c, &e), EX_EVERIFY);
    CHECK(strstr(e.msg, "is for origin") != NULL);
    free(r01), free(r12);
    ex_key_free(k0), ex_key_free(k1), ex_key_free(k2), ex_key_free(x);
}

int
main(void)
{
    c2sp_vector();
    checkpoints();
    key_files();
    rotations();
    return t_done("test_sign");
}
