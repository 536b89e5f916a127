/* test_snapshot.c - the snapshot tree (sorted-tree roots and proofs against ex_merkle_root and
 * ex_merkle_verify_inclusion) and snapshot proof documents (PROOFS.md). */
#include <jansson.h>
#include <unistd.h>

#include "exante.h"
#include "t.h"

static ex_sha256 *H;

/* n digests: deterministic pseudo-random bytes, then sorted by construction (the first 8
 * bytes carry i scaled, so d[i] < d[i+1]) */
static void
make_digests(uint8_t (*d)[EX_HASH_BYTES], uint64_t n, unsigned seed)
{
    for (uint64_t i = 0; i < n; i++) {
        uint8_t tmp[16];
        memcpy(tmp, &i, 8);
        memcpy(tmp + 8, &seed, sizeof seed);
        ex_sha256_digest(H, tmp, sizeof tmp, d[i]);
        uint64_t v = (i + 1) * 4; /* gaps of 4 leave room for digests between members */
        for (int b = 0; b < 8; b++)
            d[i][b] = (uint8_t)(v >> (56 - 8 * b));
    }
}

static void
leaf_hashes(const uint8_t (*d)[EX_HASH_BYTES], uint64_t n, uint8_t (*out)[EX_HASH_BYTES])
{
    for (uint64_t i = 0; i < n; i++)
        ex_merkle_leaf(H, d[i], EX_HASH_BYTES, out[i]);
}

/* root and every proof (small n) or a sample of proofs (large n) against the reference */
static void
sorted_tree_kat(uint64_t n)
{
    uint8_t (*d)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    uint8_t (*lv)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    make_digests(d, n, 7);
    leaf_hashes((const uint8_t(*)[EX_HASH_BYTES])d, n, lv);
    uint8_t want[EX_HASH_BYTES], got[EX_HASH_BYTES];
    CHECK_RC(ex_merkle_root(H, (const uint8_t(*)[EX_HASH_BYTES])lv, n, want), EX_OK);
    CHECK_RC(ex_merkle_sorted_root(H, (const uint8_t(*)[EX_HASH_BYTES])d, n, got), EX_OK);
    CHECK(memcmp(want, got, EX_HASH_BYTES) == 0);
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t np = 999;
    int bad = 0;
    for (uint64_t i = 0; i < n; i += (n <= 70 ? 1 : n / 37 + 1)) {
        if (ex_merkle_sorted_prove(H, (const uint8_t(*)[EX_HASH_BYTES])d, n, i, proof, &np) !=
                EX_OK ||
            ex_merkle_verify_inclusion(H, i, n, lv[i], (const uint8_t(*)[EX_HASH_BYTES])proof, np,
                                       want, EX_HASH_BYTES) != EX_OK)
            bad++;
        /* the last leaf too */
        if (i + (n <= 70 ? 1 : n / 37 + 1) >= n && i != n - 1 &&
            (ex_merkle_sorted_prove(H, (const uint8_t(*)[EX_HASH_BYTES])d, n, n - 1, proof,
                                    &np) != EX_OK ||
             ex_merkle_verify_inclusion(H, n - 1, n, lv[n - 1],
                                        (const uint8_t(*)[EX_HASH_BYTES])proof, np, want,
                                        EX_HASH_BYTES) != EX_OK))
            bad++;
    }
    if (bad)
        fprintf(stderr, "sorted tree of %llu: %d bad proofs\n", (unsigned long long)n, bad);
    CHECK(bad == 0);
    np = 999;
    CHECK_RC(ex_merkle_sorted_prove(H, (const uint8_t(*)[EX_HASH_BYTES])d, n, n, proof, &np),
             EX_ERANGE);
    CHECK(np == 999);
    uint64_t at = 12345;
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, n, &at), EX_OK);
    CHECK(at == 12345);
    free(d);
    free(lv);
}

static void
sorted_tree(void)
{
    for (uint64_t n = 0; n <= 70; n++)
        sorted_tree_kat(n);
    sorted_tree_kat(1000);
    sorted_tree_kat(1024);
    sorted_tree_kat(1025);
    sorted_tree_kat(70000);

    /* H("") for the empty tree, a known answer */
    static const uint8_t empty[EX_HASH_BYTES] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    uint8_t r[EX_HASH_BYTES];
    CHECK_RC(ex_merkle_sorted_root(H, NULL, 0, r), EX_OK);
    CHECK(memcmp(r, empty, EX_HASH_BYTES) == 0);

    /* strict order: equal and descending neighbours are named; the byte order is unsigned */
    uint8_t d[5][EX_HASH_BYTES] = {{0}};
    d[1][31] = 1;
    d[2][0] = 0x7f;
    d[3][0] = 0x80; /* above 0x7f as unsigned bytes */
    d[4][0] = 0xff;
    uint64_t at = 0;
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 5, &at), EX_OK);
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 0, &at), EX_OK);
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 1, &at), EX_OK);
    memcpy(d[3], d[2], EX_HASH_BYTES);
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 5, &at), EX_EVERIFY);
    CHECK(at == 3);
    d[3][0] = 0x80;
    d[4][0] = 0x00;
    d[4][31] = 0xff;
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 5, &at), EX_EVERIFY);
    CHECK(at == 4);
    d[1][31] = 0;
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 2, &at), EX_EVERIFY);
    CHECK(at == 1);
}

int
main(void)
{
    if (ex_sha256_new(&H) != EX_OK)
        return 1;
    sorted_tree();
    ex_sha256_free(H);
    return t_done("test_snapshot");
}
