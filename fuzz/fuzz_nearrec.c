/* fuzz_nearrec.c - the stored record of a near-duplicate fingerprint (the `near` table's
 * record, docs/FORMATS.md "How fingerprints are stored"; ex_near_record_read and
 * ex_near_record_words, src/dedup/near.c), on any bytes.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - the two readers agree: a record read as a fingerprint gives words (version 2) or
 *     EX_ENOTFOUND (version 1); one of an item without text gives 0 words; a refusal of one is
 *     a refusal of the other, EX_EFORMAT;
 *   - an accepted record is the one spelling of what it holds: ex_near_record writes it back
 *     byte for byte (version 2; version 1 with the fingerprint and length checked), and the
 *     fingerprint points into it, k bytes from offset 5, k a multiple of bands;
 *   - ex_near_record_fp finds it with its own parameters, and with no others. */
#include "fuzz_common.h"
#include "dedup/near.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned k = 0, bands = 0;
    const uint8_t *fp = NULL;
    uint64_t words = 7;
    int rr = ex_near_record_read(data, size, &k, &bands, &fp);
    int rw = ex_near_record_words(data, size, &words);
    if (rr == EX_EFORMAT) {
        if (rw != EX_EFORMAT)
            FUZZ_FAIL("a record refused as a fingerprint gives words");
        return 0;
    }
    if (rr == EX_ENOTFOUND) {
        if (size != 1 || data[0] != 0 || rw != EX_OK || words != 0)
            FUZZ_FAIL("a record without text is not the one byte 0x00 with 0 words");
        return 0;
    }
    if (rr != EX_OK)
        FUZZ_FAIL("ex_near_record_read returned neither EX_OK, EX_ENOTFOUND nor EX_EFORMAT");
    if (k == 0 || k > EX_NEAR_K_MAX || bands == 0 || k % bands || fp != data + 5 ||
        size < 5 + (size_t)k)
        FUZZ_FAIL("the parameters or the fingerprint's place are wrong");
    if (ex_near_record_fp(data, size, k, bands) != fp ||
        ex_near_record_fp(data, size, k, bands + 1) != NULL)
        FUZZ_FAIL("ex_near_record_fp does not find the fingerprint by its parameters alone");
    if (data[0] == 1) {
        if (rw != EX_ENOTFOUND || size != 5 + (size_t)k)
            FUZZ_FAIL("a version 1 record with a word count, or a tail");
        return 0;
    }
    if (data[0] != 2 || rw != EX_OK)
        FUZZ_FAIL("a version 2 record without its words");
    ex_near *n;
    if (ex_near_new(k, bands, &n) != EX_OK)
        FUZZ_FAIL("the record's parameters are refused by ex_near_new");
    uint8_t out[EX_NEAR_REC_MAX];
    size_t len = ex_near_record(n, fp, words, out);
    ex_near_free(n);
    if (len != size || memcmp(out, data, size) != 0)
        FUZZ_FAIL("an accepted record is not what ex_near_record writes for it");
    return 0;
}
