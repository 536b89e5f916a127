/* TEMPORARY: replaced by the sorted-tree helpers of branch h-snapv */
#include "core/core.h"
#include <stdlib.h>
#include <string.h>
int
ex_merkle_sorted_root(ex_sha256 *h, const uint8_t (*d)[EX_HASH_BYTES], uint64_t n,
                      uint8_t out[EX_HASH_BYTES])
{
    uint8_t(*lv)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    if (!lv)
        return EX_ENOMEM;
    int rc = EX_OK;
    for (uint64_t i = 0; rc == EX_OK && i < n; i++)
        rc = ex_merkle_leaf(h, d[i], EX_HASH_BYTES, lv[i]);
    if (rc == EX_OK)
        rc = ex_merkle_root(h, (const uint8_t(*)[EX_HASH_BYTES])lv, n, out);
    free(lv);
    return rc;
}
int
ex_merkle_sorted_check(const uint8_t (*d)[EX_HASH_BYTES], uint64_t n, uint64_t *bad)
{
    for (uint64_t i = 1; i < n; i++)
        if (memcmp(d[i - 1], d[i], EX_HASH_BYTES) >= 0) {
            *bad = i;
            return EX_EVERIFY;
        }
    return EX_OK;
}
