/* fuzz_near.c - the near-duplicate normaliser and shingler (src/dedup/near.h) on arbitrary
 * bytes, invalid UTF-8 included: text of every ingested item goes through them.
 *
 * Invariants: the normalised form is valid UTF-8 with no NUL, no punctuation, no white space
 * but single spaces between words, none at either end; signatures are deterministic; a text
 * without words has the empty signature and no shingles, and one with words has between 1 and
 * (words) shingles; the normalised text's signature is the text's own when normalising it
 * again changes nothing; the fast path and the plain one (near_ref.c) give the same normalised
 * text, shingle count and signature. */
#include "fuzz_common.h"
#include "dedup/near.h"

#include <utf8proc.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ex_near *n;
    if (!n && ex_near_new(16, 4, &n) != EX_OK)
        FUZZ_FAIL("cannot make the fingerprinter");
    if (size > 1 << 16)
        return 0;
    ex_buf b = {0}, c = {0};
    if (ex_near_normalise(n, (const char *)data, size, &b) != EX_OK)
        FUZZ_FAIL("normalising failed");
    const uint8_t *p = (const uint8_t *)b.data;
    size_t words = 0;
    for (size_t i = 0; i < b.len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(b.len - i), &cp);
        if (k <= 0 || cp == 0)
            FUZZ_FAIL("the normalised form is not valid UTF-8, or holds a NUL");
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO)
            FUZZ_FAIL("punctuation left in the normalised form");
        if (cat == UTF8PROC_CATEGORY_CC || (cat >= UTF8PROC_CATEGORY_ZS && cat <= UTF8PROC_CATEGORY_ZP && cp != ' '))
            FUZZ_FAIL("white space other than a space left");
        if (cp == ' ' && (i == 0 || i + 1 == b.len || p[i + 1] == ' '))
            FUZZ_FAIL("a space at an end, or two in a row");
        if (i == 0 || (cp != ' ' && p[i - 1] == ' '))
            words++;
        i += (size_t)k;
    }
    uint64_t s1[16], s2[16], sh1, sh2;
    if (ex_near_signature(n, (const char *)data, size, s1, &sh1) != EX_OK ||
        ex_near_signature(n, (const char *)data, size, s2, &sh2) != EX_OK)
        FUZZ_FAIL("signing failed");
    if (sh1 != sh2 || memcmp(s1, s2, sizeof s1) != 0)
        FUZZ_FAIL("signatures are not deterministic");
    if (words == 0 ? (sh1 != 0 || s1[0] != UINT64_MAX) : (sh1 < 1 || sh1 > words))
        FUZZ_FAIL("the number of shingles does not fit the words");
    if (ex_near_words(n) != words)
        FUZZ_FAIL("the word count is not the normalised form's");
    if (ex_near_normalise_ref((const char *)data, size, &c) != EX_OK || c.len != b.len ||
        (b.len && memcmp(c.data, b.data, b.len) != 0))
        FUZZ_FAIL("the fast and the plain normalised text differ");
    if (ex_near_signature_ref(n, (const char *)data, size, s2, &sh2) != EX_OK || sh2 != sh1 ||
        memcmp(s1, s2, sizeof s1) != 0)
        FUZZ_FAIL("the fast and the plain signature differ");
    if (ex_near_normalise(n, b.data ? b.data : "", b.len, &c) != EX_OK)
        FUZZ_FAIL("normalising again failed");
    if (c.len == b.len && (b.len == 0 || memcmp(c.data, b.data, b.len) == 0)) {
        if (ex_near_signature(n, b.data ? b.data : "", b.len, s2, &sh2) != EX_OK ||
            sh2 != sh1 || memcmp(s1, s2, sizeof s1) != 0)
            FUZZ_FAIL("the normalised text signs differently from the text");
    }
    ex_buf_free(&b);
    ex_buf_free(&c);
    return 0;
}
