/* fuzz_provider.c - the provider file of the EU summary (ex_eu_provider_parse, src/export/
 * provider.c).
 *
 * Invariants: a refusal is EX_EFORMAT (a message starting "line N: " with N at most the
 * input's lines + 1, or "missing required key"), EX_ETOOBIG over EX_EU_PROVIDER_MAX_BYTES, or
 * EX_ENOMEM, and leaves the output alone; an accepted file has its required keys, every value
 * non-empty, UTF-8, without control characters but tab and without blanks at either end,
 * at most one value of a key that is not a list and yes/no for the yes/no keys; written back
 * (pv_write) it parses to the same values, and writing that gives the same bytes; the same
 * answer twice. */
#include "export/provider.h"
#include "fuzz_common.h"

static void
same(const ex_eu_provider *a, const ex_eu_provider *b) {
    for (int k = 0; k < PV_COUNT; k++) {
        if (a->n[k] != b->n[k])
            FUZZ_FAIL("a key's values differ in number after writing back");
        for (size_t i = 0; i < a->n[k]; i++)
            if (strcmp(a->v[k][i], b->v[k][i]) != 0)
                FUZZ_FAIL("a value differs after writing back");
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    ex_eu_provider *p = (ex_eu_provider *)&size, *q = NULL;
    ex_err e = {0}, e2 = {0};
    int rc = ex_eu_provider_parse(text, size, &p, &e);
    int rc2 = ex_eu_provider_parse(text, size, &q, &e2);
    if (rc != rc2 || strcmp(e.msg, e2.msg) != 0)
        FUZZ_FAIL("not deterministic");
    if (rc != EX_OK) {
        if (p != (ex_eu_provider *)&size)
            FUZZ_FAIL("output touched on failure");
        if (rc == EX_EFORMAT) {
            unsigned line = 0;
            size_t lines = 1;
            for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
            if (!(sscanf(e.msg, "line %u: ", &line) == 1 && line >= 1 && line <= lines) &&
                strncmp(e.msg, "missing required key '", 22) != 0)
                FUZZ_FAIL("a format error without its line");
        } else if (!(rc == EX_ETOOBIG && size > EX_EU_PROVIDER_MAX_BYTES) && rc != EX_ENOMEM) {
            FUZZ_FAIL("an undocumented error");
        }
        return 0;
    }
    for (int k = 0; k < PV_COUNT; k++) {
        if (pv_is_required(k) && !p->n[k])
            FUZZ_FAIL("a required key is missing");
        if (!pv_is_list(k) && p->n[k] > 1)
            FUZZ_FAIL("a single key with several values");
        for (size_t i = 0; i < p->n[k]; i++) {
            const char *v = p->v[k][i];
            size_t n = strlen(v);
            if (n == 0 || !ex_utf8_valid(v, n) || v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' ||
                v[n - 1] == '\t')
                FUZZ_FAIL("a value empty, not UTF-8 or with blanks at an end");
            for (size_t j = 0; j < n; j++)
                if (((unsigned char)v[j] < 0x20 && v[j] != '\t') || v[j] == 0x7f)
                    FUZZ_FAIL("a control character in a value");
            if (pv_is_bool(k) && strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
                FUZZ_FAIL("a yes/no key with another value");
        }
    }
    ex_buf b = {0}, c = {0};
    ex_eu_provider *r = NULL;
    if (pv_write(p, &b) != EX_OK)
        FUZZ_FAIL("cannot write back");
    if (b.len <= EX_EU_PROVIDER_MAX_BYTES) { /* keys written in full may be longer */
        if (ex_eu_provider_parse(b.data, b.len, &r, &e) != EX_OK)
            FUZZ_FAIL("the written-back file does not parse");
        same(p, r);
        if (pv_write(r, &c) != EX_OK || c.len != b.len || memcmp(b.data, c.data, b.len) != 0)
            FUZZ_FAIL("writing back is not a fixed point");
    }
    ex_buf_free(&b);
    ex_buf_free(&c);
    ex_eu_provider_free(r);
    ex_eu_provider_free(q);
    ex_eu_provider_free(p);
    return 0;
}
