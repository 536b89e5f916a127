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

#endif
