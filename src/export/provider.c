/* provider.c - the provider file of the EU summary (provider.h; docs/EU-SUMMARY.md): UTF-8
 * lines `key = value`; blank lines and lines whose first non-blank character is '#' are
 * ignored; a byte order mark at the start and a CR before each LF are allowed. Every error
 * names its line. */
#include "provider.h"

#include <stdlib.h>
#include <string.h>

#include "exante.h"

#define PV_VALUE_MAX 4096 /* bytes of one value */

static const struct {
    const char *name;
    unsigned char list, yesno, required;
} keys[PV_COUNT] = {
    [PV_PROVIDER_NAME] = {"provider_name", 0, 0, 1},
    [PV_PROVIDER_CONTACT] = {"provider_contact", 0, 0, 1},
    [PV_AUTHORISED_REPRESENTATIVE] = {"authorised_representative", 0, 0, 0},
    [PV_MODEL_VERSION] = {"model_version", 1, 0, 0},
    [PV_PLACED_ON_MARKET] = {"placed_on_market", 0, 0, 0},
    [PV_PREVIOUS_VERSION] = {"previous_version", 1, 0, 0},
    [PV_CONTINUES_TRAINING] = {"continues_training", 0, 1, 0},
    [PV_LANGUAGE] = {"language", 1, 0, 0},
    [PV_OTHER_CHARACTERISTICS] = {"other_characteristics", 0, 0, 0},
    [PV_PUBLIC_DATASETS] = {"public_datasets", 0, 0, 0},
    [PV_PRIVATE_DATASETS] = {"private_datasets", 0, 0, 0},
    [PV_CRAWLER] = {"crawler", 1, 0, 0},
    [PV_CRAWLER_PURPOSES] = {"crawler_purposes", 0, 0, 0},
    [PV_CRAWLER_BEHAVIOUR] = {"crawler_behaviour", 0, 0, 0},
    [PV_CRAWLED_CONTENT] = {"crawled_content", 0, 0, 0},
    [PV_USER_INTERACTIONS] = {"user_interactions", 0, 1, 0},
    [PV_USER_SERVICES] = {"user_services", 0, 1, 0},
    [PV_USER_DATA] = {"user_data", 0, 0, 0},
    [PV_SYNTHETIC_MODEL] = {"synthetic_model", 1, 0, 0},
    [PV_OTHER_SOURCES] = {"other_sources", 0, 0, 0},
    [PV_CODE_OF_PRACTICE] = {"code_of_practice_signatory", 0, 1, 0},
    [PV_RESERVATION_MEASURES] = {"reservation_measures", 0, 0, 0},
    [PV_ILLEGAL_CONTENT] = {"illegal_content_measures", 0, 0, 0},
    [PV_OTHER_INFORMATION] = {"other_information", 0, 0, 0},
};

const char *
pv_name(int k) {
    return keys[k].name;
}

int
pv_is_list(int k) {
    return keys[k].list;
}

int
pv_is_bool(int k) {
    return keys[k].yesno;
}

int
pv_is_required(int k) {
    return keys[k].required;
}

const char *
pv_get(const ex_eu_provider *p, int k) {
    return p && p->n[k] ? p->v[k][0] : NULL;
}

int
pv_bool(const ex_eu_provider *p, int k) {
    const char *v = pv_get(p, k);
    return v ? strcmp(v, "yes") == 0 : -1;
}

void
ex_eu_provider_free(ex_eu_provider *p) {
    if (!p)
        return;
    for (int k = 0; k < PV_COUNT; k++) {
        for (size_t i = 0; i < p->n[k]; i++)
            free(p->v[k][i]);
        free(p->v[k]);
    }
    free(p);
}

static int
is_blank(char c) {
    return c == ' ' || c == '\t';
}

/* the line s[0..n) (no LF; a final CR removed by the caller) into p */
static int
take_line(ex_eu_provider *p, const char *s, size_t n, unsigned line, ex_err *err) {
    size_t i = 0;
    while (i < n && is_blank(s[i]))
        i++;
    if (i == n || s[i] == '#')
        return EX_OK;
    for (size_t j = 0; j < n; j++) {
        unsigned char c = (unsigned char)s[j];
        if (c == 0)
            return ex_fail(err, EX_EFORMAT, "line %u: nul byte", line);
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return ex_fail(err, EX_EFORMAT, "line %u: control character 0x%02x", line, c);
    }
    if (!ex_utf8_valid(s, n))
        return ex_fail(err, EX_EFORMAT, "line %u: invalid UTF-8", line);
    size_t k0 = i;
    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
        i++;
    size_t k1 = i;
    while (i < n && is_blank(s[i]))
        i++;
    if (k1 == k0 || i == n || s[i] != '=')
        return ex_fail(err, EX_EFORMAT, "line %u: expected 'key = value' (a key of a-z and '_')",
                       line);
    int k = -1;
    for (int j = 0; j < PV_COUNT; j++)
        if (strlen(keys[j].name) == k1 - k0 && memcmp(keys[j].name, s + k0, k1 - k0) == 0)
            k = j;
    if (k < 0)
        return ex_fail(err, EX_EFORMAT, "line %u: unknown key '%.*s'", line, (int)(k1 - k0),
                       s + k0);
    i++;
    while (i < n && is_blank(s[i]))
        i++;
    size_t e = n;
    while (e > i && is_blank(s[e - 1]))
        e--;
    if (e == i)
        return ex_fail(err, EX_EFORMAT, "line %u: '%s' needs a value", line, keys[k].name);
    if (e - i > PV_VALUE_MAX)
        return ex_fail(err, EX_EFORMAT, "line %u: the value of '%s' is longer than %d bytes", line,
                       keys[k].name, PV_VALUE_MAX);
    if (keys[k].yesno && !(e - i == 3 && memcmp(s + i, "yes", 3) == 0) &&
        !(e - i == 2 && memcmp(s + i, "no", 2) == 0))
        return ex_fail(err, EX_EFORMAT, "line %u: '%s' must be yes or no, not '%.*s'", line,
                       keys[k].name, (int)(e - i < 64 ? e - i : 64), s + i);
    if (p->n[k] && !keys[k].list)
        return ex_fail(err, EX_EFORMAT, "line %u: '%s' given twice (first on line %u)", line,
                       keys[k].name, p->line[k]);
    if (p->n[k] == PV_LIST_MAX)
        return ex_fail(err, EX_EFORMAT, "line %u: more than %d values of '%s'", line, PV_LIST_MAX,
                       keys[k].name);
    char **v = realloc(p->v[k], (p->n[k] + 2) * sizeof *v);
    if (!v)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    p->v[k] = v;
    if (!(v[p->n[k]] = malloc(e - i + 1)))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    memcpy(v[p->n[k]], s + i, e - i);
    v[p->n[k]][e - i] = 0;
    v[++p->n[k]] = NULL;
    if (!p->line[k])
        p->line[k] = line;
    return EX_OK;
}

int
ex_eu_provider_parse(const char *text, size_t len, ex_eu_provider **out, ex_err *err) {
    if (!text || !out)
        return ex_fail(err, EX_EINVAL, "no provider file");
    if (len > EX_EU_PROVIDER_MAX_BYTES)
        return ex_fail(err, EX_ETOOBIG, "provider file larger than %d bytes",
                       EX_EU_PROVIDER_MAX_BYTES);
    ex_eu_provider *p = calloc(1, sizeof *p);
    if (!p)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    size_t at = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    unsigned line = 1;
    int rc = EX_OK;
    while (rc == EX_OK && at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len, n = end - at;
        if (n && text[at + n - 1] == '\r')
            n--;
        rc = take_line(p, text + at, n, line++, err);
        at = end + 1;
    }
    for (int k = 0; rc == EX_OK && k < PV_COUNT; k++)
        if (keys[k].required && !p->n[k])
            rc = ex_fail(err, EX_EFORMAT, "missing required key '%s'", keys[k].name);
    if (rc != EX_OK) {
        ex_eu_provider_free(p);
        return rc;
    }
    *out = p;
    return EX_OK;
}

int
pv_write(const ex_eu_provider *p, ex_buf *b) {
    for (int k = 0; k < PV_COUNT; k++)
        for (size_t i = 0; i < p->n[k]; i++)
            if (ex_buf_printf(b, "%s = %s\n", keys[k].name, p->v[k][i]) != EX_OK)
                return EX_ENOMEM;
    return EX_OK;
}
