/* fuzz_staged.c - the entries of a staged batch (staged_walk; src/ledger/staged.c), as a
 * damaged or hostile database row may hold them once decompressed. The first byte chooses
 * whether the batch's input is a file tree, the rest is the entries. Invariants: no read
 * outside the input (ASan), and a walk that succeeds visits exactly the count it was given,
 * every entry's strings ending inside it. */
#include "fuzz_common.h"
#include "ledger/pipeline.h"

typedef struct seen {
    uint64_t n;
} seen;

static int
visit(void *ctx, const ent *e, const char *body)
{
    seen *s = ctx;
    s->n++;
    if (e->kind == E_ITEM && e->f_off[F_URL] && strlen(body + e->f_off[F_URL]) != e->f_len[F_URL])
        FUZZ_FAIL("a field's length is not its string's");
    return EX_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ex_sha256 *h;
    if (!h && ex_sha256_new(&h) != EX_OK)
        FUZZ_FAIL("no hasher");
    if (size < 1)
        return 0;
    /* aligned, as the sequencer's decompressed buffer is */
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);
    ex_err err = {0};
    for (uint64_t n = 0; n < 4; n++) {
        seen s = {0};
        int rc = staged_walk(h, copy, size - 1, n, data[0] & 1, visit, &s, &err);
        if (rc == EX_OK && s.n != n)
            FUZZ_FAIL("a walk that succeeded visited another count");
        if (rc != EX_OK && rc != EX_EFORMAT)
            FUZZ_FAIL("an unexpected failure");
        if (rc != EX_OK && s.n != 0)
            FUZZ_FAIL("a refused batch had entries taken");
    }
    free(copy);
    return 0;
}
