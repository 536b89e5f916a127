/* error.c - status codes and error detail. */
#include "core.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

/* OpenSSL says why it failed in this thread's error queue: running out of memory is worth
 * saying (tests/cli/test_faults.sh fails allocations inside it) */
static int
crypto_oom(void)
{
    unsigned long e = ERR_peek_last_error();
    return e && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE;
}

const char *
ex_strerror(int rc)
{
    switch (rc) {
    case EX_OK: return "ok";
    case EX_ENOMEM: return "out of memory";
    case EX_EINVAL: return "invalid argument";
    case EX_EFORMAT: return "malformed data";
    case EX_EVERIFY: return "verification failed";
    case EX_ERANGE: return "out of range";
    case EX_ENOTFOUND: return "not found";
    case EX_EEXIST: return "already exists";
    case EX_EIO: return "i/o error";
    case EX_EDB: return "database error";
    case EX_ECRYPTO: return crypto_oom() ? "crypto library error: out of memory"
                                         : "crypto library error";
    case EX_ENOLEDGER: return "no ledger";
    case EX_ETOOBIG: return "too big";
    default: return "unknown error";
    }
}

int
ex_vfail(ex_err *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int
ex_fail(ex_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ex_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void
ex_err_clear(ex_err *err)
{
    if (err) {
        err->code = EX_OK;
        err->msg[0] = '\0';
    }
}
