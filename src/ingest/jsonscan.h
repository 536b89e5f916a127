/* jsonscan.h - a validating JSON scanner for one JSONL line that extracts only the values of a
 * few requested fields (dotted paths through nested objects) and skips everything else.
 *
 * The scanner checks the whole line against RFC 8259 (grammar, string escapes, UTF-8 in
 * strings, paired UTF-16 surrogate escapes, nesting up to EX_JSCAN_DEPTH) but builds no tree:
 * it reports where each requested value lies in the line, and ex_jscan_unescape() decodes a
 * string only when the caller wants its bytes. Internal to ingest/; the JSONL reader is its
 * user (reader.h). */
#ifndef EX_JSONSCAN_H
#define EX_JSONSCAN_H

#include "reader.h"

#define EX_JSCAN_FIELDS 8     /* fields per spec */
#define EX_JSCAN_SEGS 16      /* segments per dotted path */
#define EX_JSCAN_NAME_MAX 255 /* bytes per field path, dots included */
#define EX_JSCAN_DEPTH 2048   /* open objects and arrays at once (jansson's limit too) */

/* Value types; EX_JSON_ABSENT for a requested field that the line does not have. */
enum {
    EX_JSON_ABSENT = 0,
    EX_JSON_NULL,
    EX_JSON_BOOL,
    EX_JSON_NUMBER,
    EX_JSON_STRING,
    EX_JSON_OBJECT,
    EX_JSON_ARRAY
};

/* Scan outcomes. */
enum {
    EX_JSCAN_OK = 0,    /* one valid JSON value (see top for its type) */
    EX_JSCAN_EMPTY,     /* nothing but JSON whitespace */
    EX_JSCAN_SYNTAX,    /* not JSON: what says why, col where */
    EX_JSCAN_UTF8,      /* invalid UTF-8 (in a string, or a stray non-ASCII byte) */
    EX_JSCAN_SURROGATE, /* a \uD800-\uDFFF escape that is not part of a valid pair */
    EX_JSCAN_TOO_DEEP,  /* nested deeper than EX_JSCAN_DEPTH */
    EX_JSCAN_DUPLICATE, /* a key on a requested path occurs twice in its object */
};

/* Compiled field paths. */
typedef struct ex_jscan_spec {
    unsigned nfields;
    unsigned maxseg; /* segments of the longest path */
    struct {
        char name[EX_JSCAN_NAME_MAX + 1]; /* the path as given */
        char segbuf[EX_JSCAN_NAME_MAX + 1];
        unsigned nseg;
        const char *seg[EX_JSCAN_SEGS];
        size_t seglen[EX_JSCAN_SEGS];
    } f[EX_JSCAN_FIELDS];
} ex_jscan_spec;

/* Where a requested value lies in the line. */
typedef struct ex_jscan_val {
    int type;    /* EX_JSON_... */
    size_t off;  /* strings: first byte after the opening quote; others: first byte */
    size_t len;  /* strings: raw body length (escapes undecoded); scalars: token length;
                    objects and arrays: 0 */
    int escaped; /* strings: the body holds at least one backslash escape */
} ex_jscan_val;

typedef struct ex_jscan_result {
    int status;     /* EX_JSCAN_... */
    int top;        /* EX_JSCAN_OK: type of the line's value */
    size_t col;     /* errors: 0-based byte offset in the line */
    int field;      /* UTF8 inside a requested string value, DUPLICATE: that field; else -1 */
    char what[640]; /* errors: lowercase detail, e.g. "expected ':' after a key" */
    ex_jscan_val v[EX_JSCAN_FIELDS]; /* EX_JSCAN_OK: one per field of the spec */
} ex_jscan_result;

/* Compile n (<= EX_JSCAN_FIELDS) dotted paths: "a.b" is key "b" inside the object at key "a".
 * Segments must be non-empty; a key that itself contains a dot cannot be reached. EX_EINVAL
 * with the reason in err otherwise. */
int ex_jscan_compile(ex_jscan_spec *spec, const char *const *paths, unsigned n, ex_err *err);

/* Scan line[0..len) (no newline in it) as one JSON value and locate the spec's fields. Returns
 * r->status. Values are located only on the path of objects from the top-level object; a key
 * in an array element never matches. */
int ex_jscan_line(const ex_jscan_spec *spec, const uint8_t *line, size_t len, ex_jscan_result *r);

/* Decode a string body that ex_jscan_line accepted: escapes resolved, \uXXXX and surrogate
 * pairs to UTF-8. out needs len bytes (decoding never grows a body); returns the decoded
 * length. */
size_t ex_jscan_unescape(const uint8_t *body, size_t len, uint8_t *out);

/* Length of the longest valid UTF-8 prefix of p[0..n) that ends on a character boundary (n
 * when all of it is valid): the rules of ex_utf8_valid, with a fast path for ASCII runs. */
size_t ex_jscan_utf8_prefix(const uint8_t *p, size_t n);

/* The JSONL reader over a memory buffer instead of a file (fuzzing, tests): items and
 * quarantines as ex_read_jsonl reports them, with file "<memory>" and member = offset.
 * Returns EX_OK, a callback's code, EX_EINVAL for bad field paths or EX_ENOMEM. */
int ex_jsonl_parse_buffer(const uint8_t *data, size_t len, const ex_jsonl_fields *fields,
                          const ex_reader_cb *cb, ex_err *err);

/* The longest line the reader takes, newline excluded; longer lines are quarantined. */
#define EX_JSONL_LINE_MAX ((size_t)64 << 20)

#endif
