/* fuzz_domainlist.c - the domain list of a `domains FILE` policy rule (ex_policy_attach_list,
 * src/policy/lists.c): a piracy-domain list, say, on any bytes.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - EX_OK, EX_EFORMAT or EX_ENOMEM; a refusal names the rule's line and a message, and
 *     leaves the rule without a list;
 *   - an accepted list is sorted, without repeats, each domain lower case, of letters, digits,
 *     '-' and '.', with a dot, no empty label, at most 253 bytes; its digest is the SHA-256
 *     of the bytes as given;
 *   - every domain of the list matches itself and a host under it, and not a host that only
 *     ends with it ("x" + domain). */
#include "fuzz_common.h"
#include "policy/policy_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char rule[] = "reject domains list.txt\nadmit *\n";
    ex_policy *p = NULL;
    ex_policy_err pe = {0};
    if (ex_policy_parse(rule, sizeof rule - 1, &p, &pe) != EX_OK)
        FUZZ_FAIL("the fixed policy does not parse");
    int rc = ex_policy_attach_list(p, 0, (const char *)data, size, &pe);
    ex_policy_rule *r = &p->rules[0];
    if (rc != EX_OK && rc != EX_EFORMAT && rc != EX_ENOMEM)
        FUZZ_FAIL("an unexpected code");
    if (rc == EX_EFORMAT && (pe.line != 1 || !pe.msg[0] || r->ndomains || r->list_digest[0]))
        FUZZ_FAIL("a refusal without its line and message, or with a list");
    if (rc == EX_OK) {
        uint8_t d[EX_HASH_BYTES];
        char dig[EX_DIGEST_STR_BYTES];
        ex_sha256 *h = NULL;
        if (ex_sha256_new(&h) != EX_OK || ex_sha256_digest(h, data, size, d) != EX_OK)
            FUZZ_FAIL("sha256");
        ex_sha256_free(h);
        ex_digest_format(d, dig);
        if (strcmp(dig, r->list_digest) != 0)
            FUZZ_FAIL("the digest is not the bytes'");
        for (size_t i = 0; i < r->ndomains; i++) {
            const char *s = r->domains[i];
            size_t n = strlen(s);
            if (i && strcmp(r->domains[i - 1], s) >= 0)
                FUZZ_FAIL("not sorted, or a repeat");
            if (n == 0 || n > 253 || !strchr(s, '.') || s[0] == '.' || s[n - 1] == '.' ||
                strstr(s, ".."))
                FUZZ_FAIL("a domain of the wrong shape");
            for (size_t k = 0; k < n; k++)
                if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') ||
                      s[k] == '-' || s[k] == '.'))
                    FUZZ_FAIL("a domain character that is not lower case, digit, '-' or '.'");
            char under[300], beside[300];
            snprintf(under, sizeof under, "www.%s", s);
            snprintf(beside, sizeof beside, "x%s", s);
            if (!ex_policy_list_match(r, s) || !ex_policy_list_match(r, under))
                FUZZ_FAIL("a domain that does not match itself or a host under it");
            const char *m = ex_policy_list_match(r, beside);
            if (m && strcmp(m, s) == 0)
                FUZZ_FAIL("a host that only ends with the domain matched it");
        }
    }
    ex_policy_free(p);
    return 0;
}
