/* cjson.h - canonical JSON (RFC 8785 style) over jansson values: sorted keys (UTF-16 code
 * unit order), no insignificant whitespace, minimal string escapes, integers only. */
#ifndef EX_CJSON_H
#define EX_CJSON_H

#include "core.h"

#include <jansson.h>

/* Largest integer that round-trips through an IEEE double (RFC 8785 numbers). */
#define EX_JSON_INT_MAX 9007199254740991LL

/* Append the canonical form of v to out; EX_EINVAL for reals, out-of-range integers or
 * strings that are not valid UTF-8. */
int ex_json_canon(const json_t *v, ex_buf *out, ex_err *err);
/* Canonical form as a malloc'd NUL-terminated string (caller frees). */
char *ex_json_canon_dup(const json_t *v, size_t *len, ex_err *err);

/* A canonical object written directly, for hot paths: the caller gives members in canonical
 * key order (for ASCII keys, strcmp order) and the output equals ex_json_canon of the same
 * object. Each call returns EX_OK or EX_EINVAL (invalid UTF-8) / EX_ENOMEM. */
typedef struct ex_cjw {
    ex_buf *b;
    int n; /* members so far */
} ex_cjw;

int ex_cjw_begin(ex_cjw *w, ex_buf *b);
int ex_cjw_str(ex_cjw *w, const char *key, const char *v, size_t len);
int ex_cjw_int(ex_cjw *w, const char *key, int64_t v);
int ex_cjw_null(ex_cjw *w, const char *key);
int ex_cjw_end(ex_cjw *w);
/* a JSON string (quoted, escaped canonically) appended to b */
int ex_cjson_string(ex_buf *b, const char *s, size_t len);

#endif
