/* core.h - internal helpers shared by every part: error detail, growable buffers. */
#ifndef EX_CORE_H
#define EX_CORE_H

#include "exante.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define EX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EX_PRINTF(a, b)
#endif

/* Record code and message in err (may be NULL); returns code so callers can
 * `return ex_fail(err, EX_EFORMAT, "...")`. */
int ex_fail(ex_err *err, int code, const char *fmt, ...) EX_PRINTF(3, 4);
int ex_vfail(ex_err *err, int code, const char *fmt, va_list ap);
void ex_err_clear(ex_err *err);

/* Watch jansson's allocations (jsonguard.c; once per process, any thread). */
void ex_json_guard_install(void);
/* 1 once a jansson allocation has failed in this process: a string it parsed since may have
 * lost bytes, so nothing may be committed (the stores' commit checks it). */
int ex_json_guard_tripped(void);

/* Little-endian integers of `bytes` bytes (1 to 8) in file and row formats. */
static inline void
ex_put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t
ex_get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* A growable byte buffer; data is NUL-terminated whenever len < cap. */
typedef struct ex_buf {
    char *data;
    size_t len, cap;
} ex_buf;

int ex_buf_reserve(ex_buf *b, size_t extra);
int ex_buf_put(ex_buf *b, const void *p, size_t n);
int ex_buf_puts(ex_buf *b, const char *s);
int ex_buf_putc(ex_buf *b, char c);
int ex_buf_printf(ex_buf *b, const char *fmt, ...) EX_PRINTF(2, 3);
/* "<a><sep><b>", malloc'd (caller frees); NULL when out of memory. */
char *ex_join(const char *a, char sep, const char *b);
/* Hand the bytes to the caller (NUL-terminated, malloc'd) and reset b. */
char *ex_buf_take(ex_buf *b, size_t *len);
void ex_buf_free(ex_buf *b);

/* Current UTC time as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ". */
void ex_time_now(char out[32]);
/* Seconds since the epoch of an RFC 3339 time ("2025-06-01T12:00:00Z", offsets and fractions
 * allowed, fractions dropped) or a date ("2025-06-01", midnight UTC); EX_EFORMAT otherwise,
 * including a time without a zone. WARC-Date and HTTP-style times both use the first form. */
int ex_time_parse(const char *s, int64_t *out);
/* RFC 3339 UTC, seconds precision. */
void ex_time_format(int64_t t, char out[32]);


/* Hashes for in-memory tables and filters (never for anything stored or signed). */
#define EX_FNV64_OFFSET 1469598103934665603ULL
#define EX_FNV64_PRIME 1099511628211ULL

/* 64-bit FNV-1a of s[0..len). Its low bits depend only on the low bits of the bytes: mix the
 * result (ex_mix64) before masking it. */
static inline uint64_t
ex_fnv1a64(const void *s, size_t len)
{
    const unsigned char *p = s;
    uint64_t h = EX_FNV64_OFFSET;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * EX_FNV64_PRIME;
    return h;
}

/* splitmix64's finaliser: a bijection that spreads every input bit over the whole word. */
static inline uint64_t
ex_mix64(uint64_t k)
{
    k = (k ^ (k >> 30)) * 0xBF58476D1CE4E5B9ULL;
    k = (k ^ (k >> 27)) * 0x94D049BB133111EBULL;
    return k ^ (k >> 31);
}

#endif
