/* test_merkle.c - RFC 9162 trees: the shared conformance vectors (every file under
 * vectors/merkle must be accepted exactly when wantErr is false), and proofs generated over
 * stored subtrees checked against an independent in-memory root for every index and pair. */
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#include "exante.h"
#include "t.h"

static ex_sha256 *H;
static int accepted, rejected, files;

/* decode base64; -1 if malformed */
static long
b64(json_t *v, uint8_t *out, size_t cap)
{
    size_t n;
    if (!json_is_string(v) ||
        ex_b64_decode(json_string_value(v), json_string_length(v), out, cap, &n) != EX_OK)
        return -1;
    return (long)n;
}

/* the proof list as 32-byte hashes; -1 if any element is not */
static long
proof_list(json_t *arr, uint8_t (*out)[EX_HASH_BYTES])
{
    size_t i;
    json_t *v;
    if (json_is_null(arr)) /* Go's nil slice: an empty proof */
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > EX_MERKLE_MAX_PROOF)
        return -1;
    json_array_foreach(arr, i, v)
    {
        if (b64(v, out[i], EX_HASH_BYTES) != EX_HASH_BYTES)
            return -1;
    }
    return (long)json_array_size(arr);
}

/* Vectors hold uint64 values up to 2^64-1, beyond jansson's integers: they are read as
 * doubles (exact below 2^53, where every meaningful size lies) and clamped above. */
static int
u64(json_t *v, uint64_t *out)
{
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (d < 0)
        return -1;
    *out = d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
    return 0;
}

static int
verdict_inclusion(json_t *o)
{
    uint8_t leaf[EX_HASH_BYTES], root[64], proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    uint64_t idx, size;
    long rl = b64(json_object_get(o, "root"), root, sizeof root);
    long n = proof_list(json_object_get(o, "proof"), proof);
    if (u64(json_object_get(o, "leafIdx"), &idx) || u64(json_object_get(o, "treeSize"), &size) ||
        rl < 0 || n < 0 ||
        b64(json_object_get(o, "leafHash"), leaf, sizeof leaf) != EX_HASH_BYTES)
        return 0;
    return ex_merkle_verify_inclusion(H, idx, size, leaf,
                                      (const uint8_t(*)[EX_HASH_BYTES])proof, (size_t)n, root,
                                      (size_t)rl) == EX_OK;
}

static int
verdict_consistency(json_t *o)
{
    uint8_t r1[64], r2[64], proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    uint64_t s1, s2;
    long l1 = b64(json_object_get(o, "root1"), r1, sizeof r1);
    long l2 = b64(json_object_get(o, "root2"), r2, sizeof r2);
    long n = proof_list(json_object_get(o, "proof"), proof);
    if (u64(json_object_get(o, "size1"), &s1) || u64(json_object_get(o, "size2"), &s2) ||
        l1 < 0 || l2 < 0 || n < 0)
        return 0;
    return ex_merkle_verify_consistency(H, s1, s2,
                                        (const uint8_t(*)[EX_HASH_BYTES])proof, (size_t)n, r1,
                                        (size_t)l1, r2, (size_t)l2) == EX_OK;
}

static void
walk(const char *dir, int consistency)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            walk(path, consistency);
            continue;
        }
        json_error_t je;
        json_t *o = json_load_file(path, JSON_DECODE_INT_AS_REAL, &je);
        CHECK(o != NULL);
        if (!o) {
            fprintf(stderr, "%s: %s\n", path, je.text);
            continue;
        }
        json_t *want = json_object_get(o, "wantErr");
        CHECK(json_is_boolean(want));
        int ok = consistency ? verdict_consistency(o) : verdict_inclusion(o);
        files++;
        ok ? accepted++ : rejected++;
        if (ok != !json_is_true(want)) {
            t_checks++, t_failures++;
            fprintf(stderr, "vector %s: verifier %s, want %s\n", path, ok ? "accepted" : "rejected",
                    json_is_true(want) ? "reject" : "accept");
        }
        json_decref(o);
    }
    closedir(d);
}

/* ---- generated trees ---- */

static uint8_t leaves[1100][EX_HASH_BYTES];

static int
reader(void *ctx, unsigned level, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    uint64_t n = *(uint64_t *)ctx, lo = index << level, w = (uint64_t)1 << level;
    if (lo + w > n)
        return EX_ERANGE;
    return ex_merkle_root(H, (const uint8_t(*)[EX_HASH_BYTES])leaves + lo, w, out);
}

static void
generated(void)
{
    for (int i = 0; i < 1100; i++) {
        char e[32];
        int len = snprintf(e, sizeof e, "entry %d", i);
        ex_merkle_leaf(H, e, (size_t)len, leaves[i]);
    }
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES], root[EX_HASH_BYTES], r2[EX_HASH_BYTES];
    size_t n;
    int bad = 0;
    static const uint64_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65,
                                     100, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 1024,
                                     1025};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t size = sizes[s];
        ex_merkle_root(H, (const uint8_t(*)[EX_HASH_BYTES])leaves, size, root);
        CHECK_RC(ex_merkle_range_hash(H, reader, &size, 0, size, r2), EX_OK);
        CHECK(memcmp(root, r2, EX_HASH_BYTES) == 0);
        for (uint64_t i = 0; i < size; i++) {
            if (ex_merkle_prove_inclusion(H, reader, &size, i, size, proof, &n) != EX_OK ||
                ex_merkle_verify_inclusion(H, i, size, leaves[i],
                                           (const uint8_t(*)[EX_HASH_BYTES])proof, n, root,
                                           EX_HASH_BYTES) != EX_OK)
                bad++;
            /* the wrong leaf, a flipped bit, or a wrong index must fail */
            if (n) {
                proof[n - 1][i % 32] ^= 1;
                if (ex_merkle_verify_inclusion(H, i, size, leaves[i],
                                               (const uint8_t(*)[EX_HASH_BYTES])proof, n, root,
                                               EX_HASH_BYTES) == EX_OK)
                    bad++;
                proof[n - 1][i % 32] ^= 1;
                if (ex_merkle_verify_inclusion(H, (i + 1) % size, size, leaves[i],
                                               (const uint8_t(*)[EX_HASH_BYTES])proof, n, root,
                                               EX_HASH_BYTES) == EX_OK)
                    bad++;
            }
        }
        for (uint64_t old = 1; old <= size && size <= 257; old++) {
            uint8_t oroot[EX_HASH_BYTES];
            ex_merkle_root(H, (const uint8_t(*)[EX_HASH_BYTES])leaves, old, oroot);
            if (ex_merkle_prove_consistency(H, reader, &size, old, size, proof, &n) != EX_OK ||
                ex_merkle_verify_consistency(H, old, size, (const uint8_t(*)[EX_HASH_BYTES])proof,
                                             n, oroot, EX_HASH_BYTES, root,
                                             EX_HASH_BYTES) != EX_OK)
                bad++;
            if (n && old < size) {
                proof[0][0] ^= 0x80;
                if (ex_merkle_verify_consistency(H, old, size,
                                                 (const uint8_t(*)[EX_HASH_BYTES])proof, n, oroot,
                                                 EX_HASH_BYTES, root, EX_HASH_BYTES) == EX_OK)
                    bad++;
            }
        }
        CHECK_RC(ex_merkle_prove_inclusion(H, reader, &size, size, size, proof, &n), EX_ERANGE);
        CHECK_RC(ex_merkle_prove_consistency(H, reader, &size, size + 1, size, proof, &n),
                 EX_ERANGE);
    }
    CHECK(bad == 0);
    /* RFC 6962's empty tree */
    ex_merkle_root(H, NULL, 0, root);
    char b[64];
    ex_b64_encode(root, EX_HASH_BYTES, b);
    CHECK_STR(b, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_merkle VECTORS_DIR (shared/vectors/merkle)\n");
        return 2;
    }
    CHECK_RC(ex_sha256_new(&H), EX_OK);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/inclusion", argv[1]);
    walk(dir, 0);
    int inc = files;
    snprintf(dir, sizeof dir, "%s/consistency", argv[1]);
    walk(dir, 1);
    printf("merkle vectors: %d files (%d inclusion), %d accepted, %d rejected\n", files, inc,
           accepted, rejected);
    /* the vectors must be there: a missing directory is a failure, not a skip */
    CHECK(inc >= 50 && files - inc >= 50 && accepted >= 5 && rejected >= 50);
    generated();
    ex_sha256_free(H);
    return t_done("test_merkle");
}
