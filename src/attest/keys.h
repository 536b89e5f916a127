/* keys.h - the key check the attest readers share (envelopes, statements). */
#ifndef EX_ATTEST_KEYS_H
#define EX_ATTEST_KEYS_H

#include "core/core.h"

#include <jansson.h>

/* o is a JSON object holding only the keys listed (NULL-terminated) and at least the first nreq
 * of them. EX_EFORMAT otherwise, err saying "<part>: <where> is not a JSON object", "<part>:
 * unknown key "k" in <where>" or "<part>: <where> has no "k"". */
int ex_attest_keys(json_t *o, const char *part, const char *where, const char *const *keys,
                   int nreq, ex_err *err);

#endif
