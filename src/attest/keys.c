/* keys.c - the key check the attest readers share (keys.h). */
#include "attest/keys.h"

#include "core/cjson.h"

int
ex_attest_keys(json_t *o, const char *part, const char *where, const char *const *keys,
               int nreq, ex_err *err)
{
    const char *k;
    switch (ex_json_keys_check(o, keys, nreq, &k)) {
    case EX_JKEYS_NOT_OBJECT:
        return ex_fail(err, EX_EFORMAT, "%s: %s is not a JSON object", part, where);
    case EX_JKEYS_UNKNOWN:
        return ex_fail(err, EX_EFORMAT, "%s: unknown key \"%.64s\" in %s", part, k, where);
    case EX_JKEYS_MISSING:
        return ex_fail(err, EX_EFORMAT, "%s: %s has no \"%s\"", part, where, k);
    }
    return EX_OK;
}
