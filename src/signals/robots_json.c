/* robots_json.c - the answer of a robots.txt check as a JSON document (exante robots --json,
 * and the server's lookups). */
#include "signals/robots.h"

#include "core/cjson.h"

#include <string.h>

/* A JSON string of s[0..n), with bytes that are not UTF-8 replaced by U+FFFD: a hostile
 * robots.txt may hold any bytes, and its rule is quoted back. NULL when out of memory. */
static json_t *
json_text(const char *s, size_t n)
{
    if (ex_utf8_valid(s, n))
        return json_stringn(s, n);
    ex_buf b = {0};
    int rc = EX_OK;
    for (size_t i = 0; i < n && rc == EX_OK;) {
        unsigned char c = (unsigned char)s[i];
        size_t l = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (l && i + l <= n && ex_utf8_valid(s + i, l)) {
            rc = ex_buf_put(&b, s + i, l);
            i += l;
        } else {
            rc = ex_buf_puts(&b, "\xEF\xBF\xBD");
            i++;
        }
    }
    json_t *j = rc != EX_OK ? NULL : b.data ? json_stringn(b.data, b.len) : json_string("");
    ex_buf_free(&b);
    return j;
}

int
ex_robots_match_json_dup(const ex_robots_match *m, char **json, size_t *len)
{
    if (!m || !m->agent || (m->line && !m->rule))
        return EX_EINVAL;
    const char *group = m->global ? "*" : m->agent;
    json_t *j = json_object();
    if (!j)
        return EX_ENOMEM;
    /* set_new takes its value even when it fails */
    int bad = json_object_set_new(j, "allowed", json_boolean(m->allowed));
    bad |= json_object_set_new(j, "agent", json_text(m->agent, strlen(m->agent)));
    bad |= json_object_set_new(j, "group", m->line ? json_text(group, strlen(group)) : json_null());
    bad |= json_object_set_new(j, "line", m->line ? json_integer(m->line) : json_null());
    bad |= json_object_set_new(j, "rule", m->line ? json_text(m->rule, m->rule_len) : json_null());
    int rc = bad ? EX_ENOMEM : ex_json_canonical_dup(j, json, len, NULL);
    json_decref(j);
    return rc;
}
