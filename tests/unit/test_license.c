/* test_license.c - SPDX license expressions (src/license): the generated id table against
 * the JSON files of data/spdx/, valid and invalid expressions with their columns and messages,
 * normalisation and its round trip, the JSON tree, deprecated ids, limits, and evaluation
 * against sets (admits / all_in) including the examples of ../shared/POLICY.md.
 *
 *   test_license DATA_DIR     (the project's data/spdx) */
#include "license/license.h"
#include "t.h"

#include <jansson.h>

static const char *data_dir;

/* ---- the table ---------------------------------------------------------------------------- */

static json_t *
load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j) {
        fprintf(stderr, "cannot read %s: %s\n", path, e.text);
        exit(1);
    }
    return j;
}

static int
in_array(json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

static void
test_table(void)
{
    json_t *lic = load("licenses.json"), *exc = load("exceptions.json"),
           *dep = load("deprecated-ids.json");
    CHECK(json_is_object(lic) && json_is_array(exc) && json_is_array(dep));
    size_t n = json_object_size(lic) + json_array_size(exc);
    CHECK(n > 700);
    CHECK(ex_spdx_count == n);
    /* every id of the JSON is in the table, spelled as there, with its kind and flags */
    const char *id;
    json_t *v;
    size_t found = 0;
    json_object_foreach(lic, id, v)
    {
        int i = ex_spdx_find(id, strlen(id));
        if (i < 0) {
            fprintf(stderr, "license %s not in the table\n", id);
            CHECK(0);
            continue;
        }
        found++;
        const ex_spdx_entry *e = &ex_spdx_list[i];
        CHECK(strcmp(e->id, id) == 0);
        CHECK(!(e->flags & EX_SPDX_EXCEPTION));
        CHECK(!!(e->flags & EX_SPDX_DEPRECATED) == in_array(dep, id));
        CHECK(e->key < e->key_end && e->key_end <= ex_spdx_nkeys);
        const char *canon = NULL;
        int d = -1;
        CHECK(ex_license_id_known(id, strlen(id), &canon, &d) == EX_LICENSE_ID_LICENSE);
        CHECK(canon == e->id && d == in_array(dep, id));
    }
    size_t k;
    json_array_foreach(exc, k, v)
    {
        const char *x = json_string_value(v);
        int i = ex_spdx_find(x, strlen(x));
        CHECK(i >= 0);
        if (i < 0)
            continue;
        found++;
        CHECK(strcmp(ex_spdx_list[i].id, x) == 0);
        CHECK(ex_spdx_list[i].flags & EX_SPDX_EXCEPTION);
        CHECK(ex_spdx_list[i].key < ex_spdx_nexceptions);
        CHECK(ex_license_id_known(x, strlen(x), NULL, NULL) == EX_LICENSE_ID_EXCEPTION);
    }
    /* and nothing else: the table has as many entries as the JSON has ids, each once */
    CHECK(found == ex_spdx_count);
    CHECK(ex_spdx_nexceptions == json_array_size(exc));
    for (unsigned i = 1; i < ex_spdx_count; i++)
        CHECK(strcmp(ex_spdx_list[i - 1].lower, ex_spdx_list[i].lower) < 0);
    unsigned used = 0;
    for (unsigned i = 0; i < ex_spdx_hash_size; i++)
        used += ex_spdx_hash[i] != 0;
    CHECK(used == ex_spdx_count);
    CHECK((ex_spdx_hash_size & (ex_spdx_hash_size - 1)) == 0 && ex_spdx_hash_size > ex_spdx_count);
    /* deprecated ids must fit the parser's list of distinct deprecated ids (64) */
    CHECK(json_array_size(dep) <= 64);
    json_decref(lic);
    json_decref(exc);
    json_decref(dep);

    /* case-insensitive look-up, list spelling back */
    const char *canon = NULL;
    int d = 0;
    CHECK(ex_license_id_known("apache-2.0", 10, &canon, &d) == EX_LICENSE_ID_LICENSE);
    CHECK_STR(canon, "Apache-2.0");
    CHECK(d == 0);
    CHECK(ex_license_id_known("gpl-2.0", 7, &canon, &d) == EX_LICENSE_ID_LICENSE);
    CHECK_STR(canon, "GPL-2.0");
    CHECK(d == 1);
    CHECK(ex_license_id_known("GPL-2.0+", 8, &canon, NULL) == EX_LICENSE_ID_LICENSE);
    CHECK(ex_license_id_known("CLASSPATH-EXCEPTION-2.0", 23, &canon, NULL) ==
          EX_LICENSE_ID_EXCEPTION);
    CHECK_STR(canon, "Classpath-exception-2.0");
    CHECK(ex_license_id_known("Foo", 3, NULL, NULL) == EX_LICENSE_ID_UNKNOWN);
    CHECK(ex_license_id_known("MIT ", 4, NULL, NULL) == EX_LICENSE_ID_UNKNOWN);
    CHECK(ex_license_id_known("", 0, NULL, NULL) == EX_LICENSE_ID_UNKNOWN);
    /* a byte that | 0x20 would turn into an id character is not a match */
    CHECK(ex_license_id_known("M\x09T", 3, NULL, NULL) == EX_LICENSE_ID_UNKNOWN);
    CHECK(ex_license_id_known("\x0dIT", 3, NULL, NULL) == EX_LICENSE_ID_UNKNOWN);

    /* version keys: one key per family and version; "+" / "-or-later" reach the later ones */
    int g2 = ex_spdx_find("GPL-2.0-only", 12), g2l = ex_spdx_find("GPL-2.0-or-later", 16),
        g2d = ex_spdx_find("GPL-2.0", 7), g3 = ex_spdx_find("GPL-3.0-only", 12),
        l21 = ex_spdx_find("LGPL-2.1-only", 13), mit = ex_spdx_find("MIT", 3),
        cc3 = ex_spdx_find("CC-BY-3.0", 9), cc3de = ex_spdx_find("CC-BY-3.0-DE", 12),
        cc4 = ex_spdx_find("CC-BY-4.0", 9), bsd2 = ex_spdx_find("BSD-2-Clause", 12),
        bsd3 = ex_spdx_find("BSD-3-Clause", 12);
    CHECK(g2 >= 0 && g2l >= 0 && g2d >= 0 && g3 >= 0 && l21 >= 0 && mit >= 0 && cc3 >= 0 &&
          cc3de >= 0 && cc4 >= 0 && bsd2 >= 0 && bsd3 >= 0);
    if (g2 >= 0 && g2l >= 0 && g2d >= 0 && g3 >= 0 && l21 >= 0 && cc3 >= 0 && cc3de >= 0 &&
        cc4 >= 0 && bsd2 >= 0 && bsd3 >= 0) {
        CHECK(ex_spdx_list[g2].key == ex_spdx_list[g2l].key);
        CHECK(ex_spdx_list[g2].key == ex_spdx_list[g2d].key);
        CHECK(ex_spdx_list[g2l].flags & EX_SPDX_OR_LATER);
        CHECK(!(ex_spdx_list[g2].flags & EX_SPDX_OR_LATER));
        CHECK(ex_spdx_list[g3].key > ex_spdx_list[g2].key);
        CHECK(ex_spdx_list[g3].key < ex_spdx_list[g2].key_end);
        CHECK(ex_spdx_list[l21].key >= ex_spdx_list[g2].key_end ||
              ex_spdx_list[l21].key_end <= ex_spdx_list[g2].key);
        CHECK(ex_spdx_list[cc4].key > ex_spdx_list[cc3].key &&
              ex_spdx_list[cc4].key < ex_spdx_list[cc3].key_end);
        /* a port is another license, not a later version */
        CHECK(ex_spdx_list[cc3de].key >= ex_spdx_list[cc3].key_end ||
              ex_spdx_list[cc3de].key < ex_spdx_list[cc3].key);
        /* "2" and "3" in BSD-2-Clause are not versions */
        CHECK(ex_spdx_list[bsd3].key >= ex_spdx_list[bsd2].key_end ||
              ex_spdx_list[bsd3].key < ex_spdx_list[bsd2].key);
        CHECK(ex_spdx_list[mit].key_end == ex_spdx_list[mit].key + 1);
    }
}

/* ---- parsing ------------------------------------------------------------------------------ */

static char *
norm(const char *s, int *rc_out, ex_license_err *err)
{
    ex_license *l;
    ex_license_err e;
    int rc = ex_license_parse(s, strlen(s), &l, err ? err : &e);
    if (rc_out)
        *rc_out = rc;
    if (rc != EX_OK)
        return NULL;
    ex_buf b = {0};
    if (ex_license_normalize(l, &b) != EX_OK || ex_buf_putc(&b, 0) != EX_OK) {
        ex_license_free(l);
        ex_buf_free(&b);
        return NULL;
    }
    ex_license_free(l);
    return b.data;
}

/* parse(normalize(x)) is the same tree, and normalize is idempotent */
static void
check_round_trip(const char *s)
{
    ex_license *a, *b;
    ex_license_err e;
    if (ex_license_parse(s, strlen(s), &a, &e) != EX_OK) {
        fprintf(stderr, "round trip: '%s' does not parse: %s\n", s, e.msg);
        CHECK(0);
        return;
    }
    ex_buf n1 = {0}, n2 = {0};
    CHECK_RC(ex_license_normalize(a, &n1), EX_OK);
    CHECK_RC(ex_license_parse(n1.data, n1.len, &b, &e), EX_OK);
    if (b) {
        CHECK(ex_license_equal(a, b));
        CHECK(ex_license_equal(b, a));
        CHECK_RC(ex_license_normalize(b, &n2), EX_OK);
        CHECK(n1.len == n2.len && memcmp(n1.data, n2.data, n1.len) == 0);
        ex_license_free(b);
    }
    ex_license_free(a);
    ex_buf_free(&n1);
    ex_buf_free(&n2);
}

static const struct {
    const char *in, *out;
} valid[] = {
    /* single ids, case-insensitive, list spelling out */
    {"MIT", "MIT"},
    {"mit", "MIT"},
    {"mIt", "MIT"},
    {"apache-2.0", "Apache-2.0"},
    {"  MIT  ", "MIT"},
    {"CDDL-1.0+", "CDDL-1.0+"},
    {"GPL-2.0+", "GPL-2.0+"},
    {"gpl-2.0-or-later", "GPL-2.0-or-later"},
    {"GPL-2.0-or-later+", "GPL-2.0-or-later+"},
    {"0BSD", "0BSD"},
    /* the spec's examples */
    {"LicenseRef-23", "LicenseRef-23"},
    {"LicenseRef-MIT-Style-1", "LicenseRef-MIT-Style-1"},
    {"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2",
     "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2"},
    {"LGPL-2.1-only OR MIT", "LGPL-2.1-only OR MIT"},
    {"LGPL-2.1-only OR MIT OR BSD-3-Clause", "LGPL-2.1-only OR MIT OR BSD-3-Clause"},
    {"LGPL-2.1-only AND MIT", "LGPL-2.1-only AND MIT"},
    {"LGPL-2.1-only AND MIT AND BSD-2-Clause", "LGPL-2.1-only AND MIT AND BSD-2-Clause"},
    {"GPL-2.0-or-later WITH Bison-exception-2.2", "GPL-2.0-or-later WITH Bison-exception-2.2"},
    {"LGPL-2.1-only OR BSD-3-Clause AND MIT", "LGPL-2.1-only OR BSD-3-Clause AND MIT"},
    {"(LGPL-2.1-or-later OR BSD-3-Clause) AND MIT", "(LGPL-2.1-or-later OR BSD-3-Clause) AND MIT"},
    {"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"},
    /* lower-case operators */
    {"mit or apache-2.0", "MIT OR Apache-2.0"},
    {"MIT and Apache-2.0", "MIT AND Apache-2.0"},
    {"gpl-2.0-only with classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"},
    /* spacing and redundant parentheses */
    {"MIT   OR    Apache-2.0", "MIT OR Apache-2.0"},
    {"(MIT)", "MIT"},
    {"((MIT))", "MIT"},
    {"( MIT OR Apache-2.0 )", "MIT OR Apache-2.0"},
    {"(MIT OR Apache-2.0)", "MIT OR Apache-2.0"},
    {"(MIT AND Apache-2.0) OR ISC", "MIT AND Apache-2.0 OR ISC"},
    {"MIT AND (Apache-2.0 AND ISC)", "MIT AND Apache-2.0 AND ISC"},
    {"(MIT OR Apache-2.0) OR ISC", "MIT OR Apache-2.0 OR ISC"},
    {"MIT OR (Apache-2.0 OR ISC)", "MIT OR Apache-2.0 OR ISC"},
    {"MIT AND (Apache-2.0 OR ISC)", "MIT AND (Apache-2.0 OR ISC)"},
    {"(MIT OR ISC) AND (Apache-2.0 OR 0BSD)", "(MIT OR ISC) AND (Apache-2.0 OR 0BSD)"},
    {"((MIT OR ISC) AND Zlib) OR Apache-2.0", "(MIT OR ISC) AND Zlib OR Apache-2.0"},
    {"MIT AND (Apache-2.0 OR (ISC AND Zlib))", "MIT AND (Apache-2.0 OR ISC AND Zlib)"},
    {"(GPL-2.0-only WITH Classpath-exception-2.0)", "GPL-2.0-only WITH Classpath-exception-2.0"},
    {"MIT OR GPL-2.0+ WITH GCC-exception-2.0 AND ISC",
     "MIT OR GPL-2.0+ WITH GCC-exception-2.0 AND ISC"},
    /* refs: the variable part as written, with '.' and '-' */
    {"LicenseRef-a.b-C", "LicenseRef-a.b-C"},
    {"LicenseRef-x WITH Classpath-exception-2.0", "LicenseRef-x WITH Classpath-exception-2.0"},
    {"MIT WITH AdditionRef-my-addition", "MIT WITH AdditionRef-my-addition"},
    {"MIT WITH DocumentRef-d:AdditionRef-x", "MIT WITH DocumentRef-d:AdditionRef-x"},
    {"LicenseRef-1 AND DocumentRef-x:LicenseRef-2", "LicenseRef-1 AND DocumentRef-x:LicenseRef-2"},
    /* NONE and NOASSERTION, any case */
    {"NONE", "NONE"},
    {"NOASSERTION", "NOASSERTION"},
    {"noassertion", "NOASSERTION"},
    {" NONE ", "NONE"},
    /* deprecated ids are accepted */
    {"GPL-2.0 OR LGPL-2.1", "GPL-2.0 OR LGPL-2.1"},
    {"wxwindows", "wxWindows"},
};

static const struct {
    const char *in;
    unsigned column;
    const char *msg;
    int rc;
} invalid[] = {
    {"", 1, "empty license expression", EX_EFORMAT},
    {"   ", 4, "empty license expression", EX_EFORMAT},
    {"Foo", 1, "unknown license id 'Foo'", EX_EFORMAT},
    {"MIT OR Foo", 8, "unknown license id 'Foo'", EX_EFORMAT},
    {"MIT +", 5, "'+' must follow a license id without a space", EX_EFORMAT},
    {"MIT++", 5, "'+' must follow a license id", EX_EFORMAT},
    {"+", 1, "'+' must follow a license id", EX_EFORMAT},
    {"(MIT)+", 6, "'+' must follow a license id", EX_EFORMAT},
    {"LicenseRef-x+", 13, "'+' cannot follow a LicenseRef", EX_EFORMAT},
    {"MIT WITH Classpath-exception-2.0+", 33, "'+' must follow a license id", EX_EFORMAT},
    {"(MIT", 5, "missing ')' for the '(' at column 1", EX_EFORMAT},
    {"MIT)", 4, "unbalanced ')'", EX_EFORMAT},
    {"()", 2, "expected a license before ')'", EX_EFORMAT},
    {"(MIT OR )", 9, "expected a license before ')'", EX_EFORMAT},
    {"MIT AND", 8, "expected a license at the end of the expression", EX_EFORMAT},
    {"MIT AND ", 9, "expected a license at the end of the expression", EX_EFORMAT},
    {"AND MIT", 1, "expected a license before 'AND'", EX_EFORMAT},
    {"MIT OR OR ISC", 8, "expected a license before 'OR'", EX_EFORMAT},
    {"MIT Apache-2.0", 5, "expected AND, OR or WITH before 'Apache-2.0'", EX_EFORMAT},
    {"MIT (ISC)", 5, "expected AND, OR or WITH before '('", EX_EFORMAT},
    {"(MIT) ISC", 7, "expected AND, OR or ')' before 'ISC'", EX_EFORMAT},
    {"MIT WITH", 9, "expected an exception after WITH", EX_EFORMAT},
    {"MIT WITH OR ISC", 10, "expected an exception after WITH, got 'OR'", EX_EFORMAT},
    {"MIT WITH (Classpath-exception-2.0)", 10, "expected an exception after WITH, got '('",
     EX_EFORMAT},
    {"MIT WITH Foo", 10, "unknown exception id 'Foo'", EX_EFORMAT},
    {"GPL-2.0-only WITH MIT", 19, "'MIT' is a license, not an exception", EX_EFORMAT},
    {"Classpath-exception-2.0", 1,
     "'Classpath-exception-2.0' is an exception: it can only follow WITH", EX_EFORMAT},
    {"MIT OR classpath-exception-2.0", 8,
     "'Classpath-exception-2.0' is an exception: it can only follow WITH", EX_EFORMAT},
    {"MIT WITH Classpath-exception-2.0 WITH GCC-exception-2.0", 34,
     "only one exception may follow a license", EX_EFORMAT},
    {"(MIT OR ISC) WITH Classpath-exception-2.0", 14,
     "'WITH' must follow a single license, not a parenthesised expression", EX_EFORMAT},
    {"(MIT) WITH Classpath-exception-2.0", 7,
     "'WITH' must follow a single license, not a parenthesised expression", EX_EFORMAT},
    /* operators: all upper or all lower case, a space on each side */
    {"MIT And ISC", 5, "operator 'And' must be all upper or all lower case", EX_EFORMAT},
    {"MIT oR ISC", 5, "operator 'oR' must be all upper or all lower case", EX_EFORMAT},
    {"GPL-2.0-only With Classpath-exception-2.0", 14,
     "operator 'With' must be all upper or all lower case", EX_EFORMAT},
    {"MIT AND(ISC)", 8, "'AND' needs a space after it", EX_EFORMAT},
    {"(MIT)AND ISC", 6, "'AND' needs a space before it", EX_EFORMAT},
    {"MIT OR(ISC)", 7, "'OR' needs a space after it", EX_EFORMAT},
    /* whitespace other than spaces */
    {"MIT\tOR ISC", 4, "unexpected tab: separate tokens with spaces", EX_EFORMAT},
    {"MIT OR\nISC", 7, "a license expression must be on one line", EX_EFORMAT},
    {"MIT/ISC", 4, "unexpected character '/'", EX_EFORMAT},
    {"MIT, ISC", 4, "unexpected character ','", EX_EFORMAT},
    {"MIT\xc3\xa9", 4, "unexpected byte 0xc3", EX_EFORMAT},
    {"MIT:ISC", 4, "unexpected character ':'", EX_EFORMAT},
    /* refs: case-sensitive prefixes, charset, DocumentRef needs its LicenseRef */
    {"licenseref-x", 1, "unknown license id 'licenseref-x': the prefix is written 'LicenseRef-'",
     EX_EFORMAT},
    {"LICENSEREF-x", 1, "unknown license id 'LICENSEREF-x': the prefix is written 'LicenseRef-'",
     EX_EFORMAT},
    {"LicenseRef-", 12, "empty idstring after 'LicenseRef-'", EX_EFORMAT},
    {"LicenseRef-a_b", 13, "unexpected character '_'", EX_EFORMAT},
    {"LicenseRef-a/b", 13, "unexpected character '/'", EX_EFORMAT},
    {"DocumentRef-x", 14, "expected ':' after 'DocumentRef-x'", EX_EFORMAT},
    {"DocumentRef-x:MIT", 15, "expected 'LicenseRef-' after 'DocumentRef-x:'", EX_EFORMAT},
    {"DocumentRef-:LicenseRef-x", 13, "empty idstring after 'DocumentRef-'", EX_EFORMAT},
    {"DocumentRef-x:", 15, "expected 'LicenseRef-' or 'AdditionRef-' after 'DocumentRef-x:'",
     EX_EFORMAT},
    {"documentref-x:LicenseRef-y", 1, "'documentref-x': the prefix is written 'DocumentRef-'",
     EX_EFORMAT},
    {"DocumentRef-x:licenseref-y", 15,
     "'DocumentRef-x:licenseref-y': the prefix is written 'LicenseRef-'", EX_EFORMAT},
    {"AdditionRef-x", 1, "'AdditionRef-x' is an addition: it can only follow WITH", EX_EFORMAT},
    {"MIT WITH LicenseRef-x", 10, "'LicenseRef-x' is a license, not an exception", EX_EFORMAT},
    {"MIT WITH additionref-x", 10, "'additionref-x': the prefix is written 'AdditionRef-'",
     EX_EFORMAT},
    {"MIT WITH AdditionRef-", 22, "empty idstring after 'AdditionRef-'", EX_EFORMAT},
    {"MIT WITH DocumentRef-d:LicenseRef-x", 10,
     "'DocumentRef-d:LicenseRef-x' is a license, not an exception", EX_EFORMAT},
    {"MIT WITH DocumentRef-d:Foo", 24, "expected 'AdditionRef-' after 'DocumentRef-d:'",
     EX_EFORMAT},
    {"MIT WITH DocumentRef-d", 23, "expected ':' after 'DocumentRef-d'", EX_EFORMAT},
    {"DocumentRef-d:AdditionRef-x", 1,
     "'DocumentRef-d:AdditionRef-x' is an addition: it can only follow WITH", EX_EFORMAT},
    /* NONE and NOASSERTION: whole expressions only */
    {"NONE OR MIT", 1, "'NONE' must be the whole expression", EX_EFORMAT},
    {"MIT AND NOASSERTION", 9, "'NOASSERTION' must be the whole expression", EX_EFORMAT},
    {"(NONE)", 2, "'NONE' must be the whole expression", EX_EFORMAT},
    {"NONE+", 1, "'NONE' must be the whole expression", EX_EFORMAT},
    {"NONE WITH Classpath-exception-2.0", 1, "'NONE' must be the whole expression", EX_EFORMAT},
};

static void
test_valid(void)
{
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        int rc;
        ex_license_err e = {0};
        char *got = norm(valid[i].in, &rc, &e);
        if (rc != EX_OK)
            fprintf(stderr, "'%s': column %u: %s\n", valid[i].in, e.column, e.msg);
        CHECK_RC(rc, EX_OK);
        CHECK_STR(got, valid[i].out);
        free(got);
        check_round_trip(valid[i].in);
    }
    /* the input need not be NUL-terminated: only len bytes are read */
    ex_license *l;
    CHECK_RC(ex_license_parse("MIT OR ISCxyz", 10, &l, NULL), EX_OK);
    ex_license_free(l);
    CHECK_RC(ex_license_parse("MIT\0OR ISC", 10, &l, NULL), EX_EFORMAT);
}

static void
test_invalid(void)
{
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        ex_license *l = NULL;
        ex_license_err e = {0};
        int rc = ex_license_parse(invalid[i].in, strlen(invalid[i].in), &l, &e);
        CHECK_RC(rc, invalid[i].rc);
        if (rc == EX_OK) {
            fprintf(stderr, "'%s' parsed\n", invalid[i].in);
            ex_license_free(l);
            continue;
        }
        if (e.column != invalid[i].column)
            fprintf(stderr, "'%s': column %u, want %u (%s)\n", invalid[i].in, e.column,
                    invalid[i].column, e.msg);
        CHECK(e.column == invalid[i].column);
        CHECK_STR(e.msg, invalid[i].msg);
        CHECK(e.column >= 1 && e.column <= strlen(invalid[i].in) + 1);
        /* a NULL err is fine */
        CHECK_RC(ex_license_parse(invalid[i].in, strlen(invalid[i].in), &l, NULL), rc);
    }
}

static void
test_every_id(void)
{
    /* every license id parses alone, in any case, and with '+'; every exception after a
     * license; exceptions alone and licenses after WITH do not */
    char buf[600];
    int bad = 0;
    for (unsigned i = 0; i < ex_spdx_count; i++) {
        const ex_spdx_entry *e = &ex_spdx_list[i];
        if (strchr(e->id, '+'))
            continue; /* GPL-2.0+ and the like are GPL-2.0 then '+' */
        for (int form = 0; form < 2; form++) {
            snprintf(buf, sizeof buf, "%s", form ? e->lower : e->id);
            if (form)
                for (char *p = buf; *p; p++)
                    if (*p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 32);
            int rc;
            char *got = norm(buf, &rc, NULL);
            if (e->flags & EX_SPDX_EXCEPTION) {
                bad += rc != EX_EFORMAT;
                snprintf(buf, sizeof buf, "MIT WITH %s", form ? e->lower : e->id);
                free(got);
                got = norm(buf, &rc, NULL);
                snprintf(buf, sizeof buf, "MIT WITH %s", e->id);
                bad += rc != EX_OK || !got || strcmp(got, buf) != 0;
            } else {
                bad += rc != EX_OK || !got || strcmp(got, e->id) != 0;
                snprintf(buf, sizeof buf, "%s+ OR MIT WITH %s", e->id, e->id);
                free(got);
                got = norm(buf, &rc, NULL);
                bad += rc != EX_EFORMAT;
            }
            free(got);
        }
    }
    CHECK(bad == 0);
}

static void
test_json(void)
{
    static const struct {
        const char *in, *json;
    } cases[] = {
        {"MIT", "{\"license\":\"MIT\"}"},
        {"mit+", "{\"license\":\"MIT\",\"plus\":true}"},
        {"GPL-2.0-only WITH Classpath-exception-2.0",
         "{\"exception\":\"Classpath-exception-2.0\",\"license\":\"GPL-2.0-only\"}"},
        {"MIT OR Apache-2.0",
         "{\"conjunction\":\"or\",\"left\":{\"license\":\"MIT\"},\"right\":{\"license\":"
         "\"Apache-2.0\"}}"},
        /* n-ary operands nest to the right, as spdx-expression-parse does */
        {"(MIT OR ISC) OR Zlib",
         "{\"conjunction\":\"or\",\"left\":{\"license\":\"MIT\"},\"right\":{\"conjunction\":"
         "\"or\",\"left\":{\"license\":\"ISC\"},\"right\":{\"license\":\"Zlib\"}}}"},
        {"LGPL-2.1 OR BSD-3-Clause AND MIT",
         "{\"conjunction\":\"or\",\"left\":{\"license\":\"LGPL-2.1\"},\"right\":{\"conjunction\":"
         "\"and\",\"left\":{\"license\":\"BSD-3-Clause\"},\"right\":{\"license\":\"MIT\"}}}"},
        {"DocumentRef-d:LicenseRef-x WITH AdditionRef-y",
         "{\"exception\":\"AdditionRef-y\",\"license\":\"DocumentRef-d:LicenseRef-x\"}"},
        {"NOASSERTION", "{\"license\":\"NOASSERTION\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ex_license *l;
        CHECK_RC(ex_license_parse(cases[i].in, strlen(cases[i].in), &l, NULL), EX_OK);
        json_t *j = ex_license_to_json(l);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        CHECK_STR(s, cases[i].json);
        free(s);
        json_decref(j);
        ex_license_free(l);
    }
}

static void
test_deprecated_unknown(void)
{
    ex_license *l;
    const char *first = (const char *)1;
    const char *s = "gpl-2.0+ OR MIT AND LGPL-2.1 OR GPL-2.0";
    CHECK_RC(ex_license_parse(s, strlen(s), &l, NULL), EX_OK);
    CHECK(ex_license_deprecated(l, &first) == 2);
    CHECK_STR(first, "GPL-2.0");
    CHECK_STR(ex_license_deprecated_id(l, 0), "GPL-2.0");
    CHECK_STR(ex_license_deprecated_id(l, 1), "LGPL-2.1");
    CHECK(ex_license_deprecated_id(l, 2) == NULL);
    CHECK(ex_license_deprecated_id(l, -1) == NULL);
    CHECK(!ex_license_is_unknown(l));
    ex_license_free(l);
    CHECK_RC(ex_license_parse("MIT", 3, &l, NULL), EX_OK);
    CHECK(ex_license_deprecated(l, &first) == 0);
    CHECK(first == NULL);
    ex_license_free(l);
    CHECK_RC(ex_license_parse("NONE", 4, &l, NULL), EX_OK);
    CHECK(ex_license_is_unknown(l));
    ex_license_free(l);
    CHECK_RC(ex_license_parse(" noassertion", 12, &l, NULL), EX_OK);
    CHECK(ex_license_is_unknown(l));
    ex_license_free(l);
    ex_license_free(NULL);
}

static void
test_limits(void)
{
    /* EX_LICENSE_MAX_LEN bytes parse, one more does not */
    ex_buf b = {0};
    CHECK_RC(ex_buf_puts(&b, "MIT"), EX_OK);
    while (b.len + 7 <= EX_LICENSE_MAX_LEN)
        CHECK_RC(ex_buf_puts(&b, " OR ISC"), EX_OK);
    while (b.len < EX_LICENSE_MAX_LEN)
        CHECK_RC(ex_buf_putc(&b, ' '), EX_OK);
    ex_license *l;
    ex_license_err e;
    CHECK_RC(ex_license_parse(b.data, b.len, &l, &e), EX_OK);
    ex_license_free(l);
    CHECK_RC(ex_buf_putc(&b, ' '), EX_OK);
    CHECK_RC(ex_license_parse(b.data, b.len, &l, &e), EX_ETOOBIG);
    CHECK(e.column == EX_LICENSE_MAX_LEN + 1);
    CHECK_STR(e.msg, "expression longer than 4096 bytes");
    ex_buf_free(&b);

    /* EX_LICENSE_MAX_DEPTH nested parentheses parse, one more does not */
    for (int depth = EX_LICENSE_MAX_DEPTH; depth <= EX_LICENSE_MAX_DEPTH + 1; depth++) {
        ex_buf d = {0};
        for (int i = 0; i < depth; i++)
            CHECK_RC(ex_buf_puts(&d, "(MIT AND "), EX_OK);
        CHECK_RC(ex_buf_puts(&d, "ISC"), EX_OK);
        for (int i = 0; i < depth; i++)
            CHECK_RC(ex_buf_puts(&d, " OR Zlib)"), EX_OK);
        int rc = ex_license_parse(d.data, d.len, &l, &e);
        if (depth <= EX_LICENSE_MAX_DEPTH) {
            CHECK_RC(rc, EX_OK);
            if (rc == EX_OK) {
                check_round_trip(d.data);
                ex_license_free(l);
            }
        } else {
            CHECK_RC(rc, EX_EFORMAT);
            CHECK(e.column == (unsigned)(9 * EX_LICENSE_MAX_DEPTH + 1));
            CHECK_STR(e.msg, "parentheses nested deeper than 64");
        }
        ex_buf_free(&d);
    }
}

/* ---- evaluation --------------------------------------------------------------------------- */

/* a set from '|'-separated members */
static ex_license_set *
set_of(const char *members)
{
    ex_license_set *s;
    if (ex_license_set_new(&s) != EX_OK)
        return NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", members);
    for (char *save = NULL, *m = strtok_r(buf, "|", &save); m; m = strtok_r(NULL, "|", &save)) {
        ex_license_err e;
        if (ex_license_set_add(s, m, &e) != EX_OK) {
            fprintf(stderr, "set member '%s': %s\n", m, e.msg);
            CHECK(0);
        }
    }
    return s;
}

static const struct {
    const char *expr, *set;
    int admits, all_in;
} evals[] = {
    /* POLICY.md */
    {"MIT OR GPL-3.0-only", "MIT", 1, 0},
    {"MIT AND GPL-3.0-only", "MIT", 0, 1},
    {"GPL-2.0+", "GPL-3.0-only", 1, 0},
    {"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only|Classpath-exception-2.0", 1, 1},
    {"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0", 1,
     1},
    {"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only", 0, 1},
    {"GPL-2.0-only WITH Classpath-exception-2.0", "Classpath-exception-2.0", 0, 1},
    {"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH GCC-exception-2.0", 0, 0},
    {"GPL-2.0-only", "GPL-2.0-only WITH Classpath-exception-2.0", 0, 0},
    {"MIT OR CC-BY-NC-4.0", "CC-BY-NC-4.0", 1, 0},
    {"MIT AND CC-BY-NC-4.0", "CC-BY-NC-4.0", 0, 1},
    {"CC-BY-NC-4.0", "CC-BY-NC-4.0|CC-BY-NC-SA-4.0|CC-BY-NC-ND-4.0", 1, 1},
    {"CC-BY-4.0 OR CC-BY-NC-4.0", "CC-BY-NC-4.0|CC-BY-NC-SA-4.0|CC-BY-NC-ND-4.0", 1, 0},
    {"MIT", "Apache-2.0|BSD-3-Clause", 0, 0},
    {"MIT", "mit", 1, 1},
    {"(MIT OR Apache-2.0) AND (BSD-2-Clause OR ISC)", "MIT|ISC", 1, 0},
    {"(MIT OR Apache-2.0) AND (BSD-2-Clause OR ISC)", "MIT|Apache-2.0", 0, 1},
    {"(MIT OR Apache-2.0) AND (BSD-2-Clause OR ISC)", "MIT", 0, 0},
    {"MIT AND Apache-2.0 OR ISC", "ISC", 1, 0},
    {"MIT AND Apache-2.0 OR ISC", "MIT|ISC", 1, 1},
    /* versions: '+' and -or-later reach later versions of the same family */
    {"GPL-2.0+", "GPL-2.0-only", 1, 0},
    {"GPL-2.0-or-later", "GPL-3.0-only", 1, 0},
    {"GPL-2.0-or-later", "GPL-2.0|GPL-3.0", 1, 1},
    {"GPL-2.0-or-later", "GPL-1.0-or-later", 1, 1},
    {"GPL-3.0+", "GPL-2.0-only", 0, 0},
    {"GPL-3.0-only", "GPL-2.0-only", 0, 0},
    {"GPL-3.0-only", "GPL-2.0+", 1, 1},
    {"GPL-3.0-only", "GPL-2.0-or-later", 1, 1},
    {"GPL-2.0-only", "GPL-2.0-or-later", 1, 1},
    {"GPL-2.0-only", "GPL-2.0", 1, 1},
    {"GPL-2.0", "GPL-2.0-only", 1, 1},
    {"GPL-2.0+", "LGPL-3.0-only", 0, 0},
    {"LGPL-2.0+", "LGPL-2.1-only", 1, 0},
    {"LGPL-2.1+", "LGPL-2.0-only", 0, 0},
    {"CC-BY-3.0+", "CC-BY-4.0", 1, 0},
    {"CC-BY-3.0+", "CC-BY-3.0-DE", 0, 0},
    {"Apache-1.1+", "Apache-2.0", 1, 0},
    {"MIT+", "MIT", 1, 1},
    {"BSD-2-Clause+", "BSD-3-Clause", 0, 0},
    {"LPPL-1.3a+", "LPPL-1.3c", 1, 0},
    {"LPPL-1.3c+", "LPPL-1.3a", 0, 0},
    {"GPL-2.0+ WITH Classpath-exception-2.0", "GPL-3.0-only WITH Classpath-exception-2.0", 1, 0},
    {"GPL-2.0+ WITH Classpath-exception-2.0", "GPL-2.0+ WITH Classpath-exception-2.0", 1, 1},
    {"GPL-2.0+ WITH Classpath-exception-2.0", "GPL-3.0-only|Classpath-exception-2.0", 1, 1},
    {"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0",
     1, 1},
    /* refs: the variable parts case-insensitively, the document part counts */
    {"LicenseRef-Internal", "LicenseRef-internal", 1, 1},
    {"LicenseRef-Internal", "DocumentRef-x:LicenseRef-Internal", 0, 0},
    {"DocumentRef-X:LicenseRef-a", "DocumentRef-x:LicenseRef-A", 1, 1},
    {"LicenseRef-a OR MIT", "MIT", 1, 0},
    {"LicenseRef-a WITH AdditionRef-b", "LicenseRef-a|AdditionRef-B", 1, 1},
    {"LicenseRef-a WITH AdditionRef-b", "LicenseRef-a WITH AdditionRef-b", 1, 1},
    {"LicenseRef-a WITH AdditionRef-b", "LicenseRef-a", 0, 1},
    {"MIT WITH DocumentRef-d:AdditionRef-b", "MIT|DocumentRef-D:AdditionRef-B", 1, 1},
    {"MIT WITH DocumentRef-d:AdditionRef-b", "MIT|AdditionRef-b", 0, 1},
    {"MIT WITH AdditionRef-b", "AdditionRef-b", 0, 1},
    {"MIT WITH AdditionRef-b", "MIT WITH AdditionRef-c", 0, 0},
    /* NONE / NOASSERTION: neither, the policy handles them */
    {"NONE", "MIT", 0, 0},
    {"NOASSERTION", "MIT", 0, 0},
    /* the empty set */
    {"MIT", "", 0, 0},
};

static void
test_eval(void)
{
    for (size_t i = 0; i < sizeof evals / sizeof evals[0]; i++) {
        ex_license *l;
        ex_license_err e;
        if (ex_license_parse(evals[i].expr, strlen(evals[i].expr), &l, &e) != EX_OK) {
            fprintf(stderr, "'%s': %s\n", evals[i].expr, e.msg);
            CHECK(0);
            continue;
        }
        ex_license_set *s = set_of(evals[i].set);
        CHECK(s != NULL);
        if (!s) {
            ex_license_free(l);
            continue;
        }
        int a = ex_license_admits(l, s), r = ex_license_all_in(l, s);
        if (a != evals[i].admits || r != evals[i].all_in)
            fprintf(stderr, "'%s' with {%s}: admits %d all_in %d, want %d %d\n", evals[i].expr,
                    evals[i].set, a, r, evals[i].admits, evals[i].all_in);
        CHECK(a == evals[i].admits);
        CHECK(r == evals[i].all_in);
        ex_license_set_free(s);
        ex_license_free(l);
    }
    ex_license_set_free(NULL);
}

static void
test_set_members(void)
{
    ex_license_set *s;
    CHECK_RC(ex_license_set_new(&s), EX_OK);
    static const struct {
        const char *arg;
        unsigned column;
        const char *msg;
    } bad[] = {
        {"Foo", 1, "unknown license id 'Foo'"},
        {"MIT OR ISC", 5,
         "a set member is one license, 'X WITH E' or one exception, not an "
         "expression"},
        {"MIT AND ISC", 5,
         "a set member is one license, 'X WITH E' or one exception, not an "
         "expression"},
        {"(MIT)", 1, "a set member cannot have parentheses"},
        {"NONE", 1, "'NONE' cannot be a set member (the policy's license-unknown matches it)"},
        {"NOASSERTION", 1,
         "'NOASSERTION' cannot be a set member (the policy's license-unknown matches it)"},
        {"MIT +", 5, "'+' must follow a license id without a space"},
        {"", 1, "empty license expression"},
        {"Classpath-exception-2.0 WITH GCC-exception-2.0", 25, "'WITH' must follow a license"},
        {"Classpath-exception-2.0+", 24, "'+' must follow a license id"},
        {"MIT WITH MIT", 10, "'MIT' is a license, not an exception"},
        {"AdditionRef-", 13, "empty idstring after 'AdditionRef-'"},
        {"MIT AND AdditionRef-x", 5,
         "a set member is one license, 'X WITH E' or one exception, not an expression"},
        {"AdditionRef-x WITH Classpath-exception-2.0", 15, "'WITH' must follow a license"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ex_license_err e = {0};
        CHECK_RC(ex_license_set_add(s, bad[i].arg, &e), EX_EFORMAT);
        CHECK(e.column == bad[i].column);
        CHECK_STR(e.msg, bad[i].msg);
        ex_buf b = {0};
        CHECK_RC(ex_license_member_normalize(bad[i].arg, &b, NULL), EX_EFORMAT);
        ex_buf_free(&b);
    }
    /* a failed add leaves the set as it was: nothing admitted */
    ex_license *l;
    CHECK_RC(ex_license_parse("MIT", 3, &l, NULL), EX_OK);
    CHECK(!ex_license_admits(l, s));
    ex_license_free(l);
    ex_license_set_free(s);

    static const struct {
        const char *in, *out;
    } good[] = {
        {"mit", "MIT"},
        {"gpl-2.0-only with classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"},
        {"classpath-exception-2.0", "Classpath-exception-2.0"},
        {"GPL-2.0+", "GPL-2.0+"},
        {" LicenseRef-x ", "LicenseRef-x"},
        {"DocumentRef-a:LicenseRef-b WITH AdditionRef-c",
         "DocumentRef-a:LicenseRef-b WITH AdditionRef-c"},
        {"AdditionRef-x", "AdditionRef-x"},
        {"DocumentRef-d:AdditionRef-y", "DocumentRef-d:AdditionRef-y"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ex_buf b = {0};
        CHECK_RC(ex_license_member_normalize(good[i].in, &b, NULL), EX_OK);
        CHECK_RC(ex_buf_putc(&b, 0), EX_OK);
        CHECK_STR(b.data, good[i].out);
        ex_buf_free(&b);
    }
}

/* all_in is the negation of "some way avoids the set": check both against a brute-force
 * enumeration of the ways of small expressions over {MIT, ISC, Zlib, 0BSD} */
static void
test_eval_exhaustive(void)
{
    static const char *const ids[] = {"MIT", "ISC", "Zlib", "0BSD"};
    static const char *const exprs[] = {
        "MIT",
        "MIT OR ISC",
        "MIT AND ISC",
        "MIT AND (ISC OR Zlib)",
        "(MIT OR ISC) AND (Zlib OR 0BSD)",
        "MIT OR ISC AND Zlib",
        "MIT AND ISC OR Zlib AND 0BSD",
        "(MIT OR ISC) AND MIT",
        "MIT AND MIT",
        "(MIT AND ISC) OR (ISC AND Zlib) OR 0BSD",
    };
    /* each expression's ways, as bitmasks over ids (DNF), written by hand */
    static const unsigned ways[][4] = {
        {1}, {1, 2}, {3}, {5, 3}, {5, 9, 6, 10}, {1, 6}, {3, 12}, {1, 3}, {1}, {3, 6, 8},
    };
    static const int nways[] = {1, 2, 1, 2, 4, 2, 2, 2, 1, 3};
    int bad = 0;
    for (size_t x = 0; x < sizeof exprs / sizeof exprs[0]; x++) {
        ex_license *l;
        if (ex_license_parse(exprs[x], strlen(exprs[x]), &l, NULL) != EX_OK) {
            bad++;
            continue;
        }
        for (unsigned m = 0; m < 16; m++) {
            ex_license_set *s;
            if (ex_license_set_new(&s) != EX_OK)
                abort();
            for (unsigned k = 0; k < 4; k++)
                if (m & (1u << k) && ex_license_set_add(s, ids[k], NULL) != EX_OK)
                    bad++;
            int admit = 0, all = 1;
            for (int w = 0; w < nways[x]; w++) {
                admit |= (ways[x][w] & ~m) == 0;
                all &= (ways[x][w] & m) != 0;
            }
            if (ex_license_admits(l, s) != admit || ex_license_all_in(l, s) != all) {
                fprintf(stderr, "'%s' with set mask %u: admits %d all_in %d, want %d %d\n",
                        exprs[x], m, ex_license_admits(l, s), ex_license_all_in(l, s), admit, all);
                bad++;
            }
            ex_license_set_free(s);
        }
        ex_license_free(l);
    }
    CHECK(bad == 0);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_license DATA_DIR\n");
        return 2;
    }
    data_dir = argv[1];
    test_table();
    test_valid();
    test_invalid();
    test_every_id();
    test_json();
    test_deprecated_unknown();
    test_limits();
    test_eval();
    test_set_members();
    test_eval_exhaustive();
    return t_done("test_license");
}
