/* keys.c - the key check the attest readers share (keys.h). */
#include "attest/keys.h"

#include <string.h>

int
ex_attest_keys(json_t *o, const char *part, const char *where, const char *const *keys,
               int nreq, ex_err *err)
{
    if (!json_is_object(o))
        return ex_fail(err, EX_EFORMAT, "%s: %s is not a JSON object", part, where);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (int i = 0; keys[i]; i++)
            ok |= strcmp(k, keys[i]) == 0;
        if (!ok)
            return ex_fail(err, EX_EFORMAT, "%s: unknown key \"%.64s\" in %s", part, k, where);
    }
    for (int i = 0; i < nreq; i++)
        if (!json_object_get(o, keys[i]))
            return ex_fail(err, EX_EFORMAT, "%s: %s has no \"%s\"", part, where, keys[i]);
    return EX_OK;
}
