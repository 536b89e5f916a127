/* test_sorted.c - the snapshot tree's digests sorted, and its root hashed, on two threads
 * (merkle/merkle.h: ex_merkle_sorted_sort, ex_merkle_sorted_root2), as snapshot create and the
 * bench's floor do: the order qsort gives and the root one thread gives, for sizes from
 * none to well past the sampled split, and for digests no sampled pivot splits evenly. */
#include <stdint.h>

#include "exante.h"
#include "merkle/merkle.h"
#include "t.h"

static ex_sha256 *H, *H2;

static int
cmp_digest(const void *a, const void *b)
{
    return memcmp(a, b, EX_HASH_BYTES);
}

/* n unsorted digests of a kind (0: random, 1: a third of them repeats, 2: all one, 3: all but
 * a few below every pivot a sample can pick) sorted on one and two threads as qsort sorts
 * them; the root of the sorted ones on two threads as on one */
static void
two_threads_kat(uint64_t n, int kind)
{
    uint8_t (*d)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    uint8_t (*e)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    uint8_t (*want)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t x = kind == 2 ? 0 : i;
        ex_sha256_digest(H, &x, sizeof x, d[i]);
        if (kind == 1 && i % 3 == 2)
            memcpy(d[i], d[i / 2], EX_HASH_BYTES);
        if (kind == 3)
            d[i][0] = i % 500 ? 0 : 0xff;
    }
    memcpy(e, d, n * EX_HASH_BYTES);
    memcpy(want, d, n * EX_HASH_BYTES);
    qsort(want, n, EX_HASH_BYTES, cmp_digest);
    CHECK_RC(ex_merkle_sorted_sort(d, n, 2), EX_OK);
    CHECK_RC(ex_merkle_sorted_sort(e, n, 1), EX_OK);
    CHECK(n == 0 || memcmp(d, want, n * EX_HASH_BYTES) == 0);
    CHECK(n == 0 || memcmp(e, want, n * EX_HASH_BYTES) == 0);
    uint8_t one[EX_HASH_BYTES], two[EX_HASH_BYTES];
    CHECK_RC(ex_merkle_sorted_root(H, (const uint8_t(*)[EX_HASH_BYTES])want, n, one), EX_OK);
    CHECK_RC(ex_merkle_sorted_root2(H, H2, (const uint8_t(*)[EX_HASH_BYTES])want, n, two), EX_OK);
    CHECK(memcmp(one, two, EX_HASH_BYTES) == 0);
    free(d);
    free(e);
    free(want);
}

static void
two_threads(void)
{
    static const uint64_t sizes[] = {0, 1, 2, 3, 4, 5, 17, 1000, 2045, 2046, 2047, 4096, 5001,
                                     70000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (int kind = 0; kind < 4; kind++)
            two_threads_kat(sizes[k], kind);
}

int
main(void)
{
    if (ex_sha256_new(&H) != EX_OK || ex_sha256_new(&H2) != EX_OK)
        return 1;
    two_threads();
    ex_sha256_free(H);
    ex_sha256_free(H2);
    return t_done("test_sorted");
}
