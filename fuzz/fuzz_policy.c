/* fuzz_policy.c - the policy parser (ex_policy_parse) and its canonical form.
 *
 * Invariants: parsing is deterministic (same code, position, message, canonical bytes). A
 * failure is EX_EFORMAT or EX_ETOOBIG (or EX_ENOMEM) with line >= 1 and at most the number of
 * line feeds + 1, 1 <= column <= the bytes of that line + 1, and a non-empty lowercase UTF-8
 * message. A success has 1 <= rules <= lines, rules on increasing lines, unique ids, arguments
 * that fit the condition, and warnings on lines within the input; its canonical form is JSON
 * that jansson reads and canonical JSON writes back byte for byte. The policy written back as
 * text (each rule on its own line number, directives after the rules) parses to the same
 * canonical form and the same warnings. */
#include "core/cjson.h"
#include "fuzz_common.h"
#include "policy/policy.h"

/* the text of a policy: rules at their own line numbers, then the directives */
static void
write_policy(const ex_policy *p, const char *near, ex_buf *b)
{
    unsigned line = 1;
    for (size_t i = 0; i < p->nrules; i++) {
        const ex_policy_rule *r = &p->rules[i];
        while (line < r->line) {
            ex_buf_putc(b, '\n');
            line++;
        }
        ex_buf_printf(b, "%s %s", ex_policy_verdict_name(r->verdict), ex_policy_cond_name(r->cond));
        for (size_t j = 0; j < r->nargs; j++)
            ex_buf_printf(b, " %s", r->args[j]);
        if (r->reason) {
            ex_buf_puts(b, " \"");
            for (const char *s = r->reason; *s; s++) {
                if (*s == '"' || *s == '\\')
                    ex_buf_putc(b, '\\');
                ex_buf_putc(b, *s);
            }
            ex_buf_putc(b, '"');
        }
        char def[32];
        snprintf(def, sizeof def, "line:%u", r->line);
        if (strcmp(r->id, def) != 0)
            ex_buf_printf(b, " id=%s", r->id);
        ex_buf_putc(b, '\n');
        line++;
    }
    if (p->name)
        ex_buf_printf(b, "name %s\n", p->name);
    if (p->nagents) {
        ex_buf_puts(b, "agents");
        for (size_t i = 0; i < p->nagents; i++)
            ex_buf_printf(b, " %s", p->agents[i]);
        ex_buf_putc(b, '\n');
    }
    ex_buf_printf(b, "near %s\n", near);
    if (p->minhash_k)
        ex_buf_printf(b, "minhash k=%u bands=%u\n", p->minhash_k, p->minhash_bands);
}

static void
check_success(const ex_policy *p, const ex_policy *q, unsigned lines)
{
    if (p->nrules < 1 || p->nrules > lines || p->nrules > EX_POLICY_MAX_RULES)
        FUZZ_FAIL("number of rules out of range");
    if (!(p->near > 0 && p->near <= 1))
        FUZZ_FAIL("near out of range");
    for (size_t i = 0; i < p->nrules; i++) {
        const ex_policy_rule *r = &p->rules[i];
        if (r->line < 1 || r->line > lines || (i > 0 && r->line <= p->rules[i - 1].line))
            FUZZ_FAIL("rule lines out of order or range");
        if (!ex_policy_verdict_name(r->verdict) || !ex_policy_cond_name(r->cond))
            FUZZ_FAIL("unknown verdict or condition");
        int takes = r->cond == EX_COND_SOURCE || r->cond == EX_COND_LICENSE;
        if (takes != (r->nargs > 0))
            FUZZ_FAIL("arguments do not fit the condition");
        for (size_t j = 0; j < r->nargs; j++)
            if (!r->args[j][0] || strpbrk(r->args[j], "\"#\t") ||
                (r->cond == EX_COND_LICENSE && strstr(r->args[j], " with ")))
                FUZZ_FAIL("malformed argument");
        if (r->reason && (!r->reason[0] || strlen(r->reason) > 1024))
            FUZZ_FAIL("reason empty or too long");
        if (!memchr(r->id, 0, sizeof r->id) || !r->id[0])
            FUZZ_FAIL("rule id not terminated");
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->rules[j].id, r->id) == 0)
                FUZZ_FAIL("duplicate rule id");
    }
    for (size_t i = 0; i < p->nwarnings; i++)
        if (p->warnings[i].line < 1 || p->warnings[i].line > lines || !p->warnings[i].msg[0])
            FUZZ_FAIL("warning out of range");

    ex_buf c1 = {0}, c2 = {0}, c3 = {0};
    ex_err err;
    if (ex_policy_canonical(p, &c1, &err) != EX_OK || ex_policy_canonical(q, &c2, &err) != EX_OK)
        FUZZ_FAIL("a parsed policy has no canonical form");
    if (c1.len != c2.len || memcmp(c1.data, c2.data, c1.len) != 0)
        FUZZ_FAIL("canonical form is not deterministic");
    json_error_t jerr;
    json_t *j = json_loadb(c1.data, c1.len, 0, &jerr);
    if (!j)
        FUZZ_FAIL("canonical form is not JSON");
    if (ex_json_canon(j, &c3, &err) != EX_OK || c3.len != c1.len ||
        memcmp(c3.data, c1.data, c1.len) != 0)
        FUZZ_FAIL("canonical form does not re-serialise to itself");
    const char *near = json_string_value(json_object_get(j, "near"));
    if (!near || json_integer_value(json_object_get(j, "version")) != 1 ||
        json_array_size(json_object_get(j, "rules")) != p->nrules)
        FUZZ_FAIL("canonical form misses a member");

    /* written back as text, it parses to the same thing */
    ex_buf text = {0};
    write_policy(p, near, &text);
    ex_policy *r = NULL;
    ex_policy_err perr;
    if (ex_policy_parse(text.data, text.len, &r, &perr) != EX_OK) {
        fprintf(stderr, "rewritten policy: line %u col %u: %s\n%s", perr.line, perr.column,
                perr.msg, text.data);
        FUZZ_FAIL("the policy written back does not parse");
    }
    ex_buf c4 = {0};
    if (ex_policy_canonical(r, &c4, &err) != EX_OK || c4.len != c1.len ||
        memcmp(c4.data, c1.data, c1.len) != 0)
        FUZZ_FAIL("the policy written back has another canonical form");
    if (r->nwarnings != p->nwarnings)
        FUZZ_FAIL("the policy written back has other warnings");
    for (size_t i = 0; i < p->nwarnings; i++)
        if (r->warnings[i].line != p->warnings[i].line ||
            strcmp(r->warnings[i].msg, p->warnings[i].msg) != 0)
            FUZZ_FAIL("the policy written back has other warnings");
    uint8_t d[EX_HASH_BYTES];
    if (ex_policy_digest(p, d, &err) != EX_OK)
        FUZZ_FAIL("no digest");
    ex_policy_free(r);
    json_decref(j);
    ex_buf_free(&text);
    ex_buf_free(&c1);
    ex_buf_free(&c2);
    ex_buf_free(&c3);
    ex_buf_free(&c4);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    if (!text)
        return 0;
    unsigned lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += text[i] == '\n';

    ex_policy *p1 = NULL, *p2 = NULL;
    ex_policy_err e1, e2;
    memset(&e2, 0x55, sizeof e2);
    int rc1 = ex_policy_parse(text, size, &p1, &e1);
    int rc2 = ex_policy_parse(text, size, &p2, &e2);
    if (rc1 != rc2)
        FUZZ_FAIL("parsing is not deterministic");
    if (rc1 == EX_OK) {
        check_success(p1, p2, lines);
    } else if (rc1 == EX_EFORMAT || rc1 == EX_ETOOBIG) {
        if (e1.line != e2.line || e1.column != e2.column || strcmp(e1.msg, e2.msg) != 0)
            FUZZ_FAIL("errors are not deterministic");
        if (p1 || p2)
            FUZZ_FAIL("a failed parse returned a policy");
        if (e1.line < 1 || e1.line > lines || e1.column < 1)
            FUZZ_FAIL("error position out of range");
        /* the bytes of the error's line bound its columns */
        size_t start = 0, end;
        for (unsigned l = 1; l < e1.line; l++)
            start = (size_t)((const char *)memchr(text + start, '\n', size - start) - text) + 1;
        const char *nl = memchr(text + start, '\n', size - start);
        end = nl ? (size_t)(nl - text) : size;
        if (e1.column > end - start + 1)
            FUZZ_FAIL("error column beyond the end of its line");
        size_t n = strlen(e1.msg);
        if (n == 0 || !ex_utf8_valid(e1.msg, n) || (e1.msg[0] >= 'A' && e1.msg[0] <= 'Z'))
            FUZZ_FAIL("error message empty, not UTF-8 or capitalised");
    } else if (rc1 != EX_ENOMEM) {
        FUZZ_FAIL("undocumented return code");
    }
    ex_policy_free(p1);
    ex_policy_free(p2);
    free(text);
    return 0;
}
