/* http.h - the pieces of an HTTP/1.x response that WARC response records hold: the response
 * head (status line and header fields) and the chunked transfer coding. Both parsers work on
 * bytes as recorded, are lenient where RFC 9112 lets a recipient be (bare LF line ends,
 * obsolete line folding) and strict where the WARC reader needs an answer (status line,
 * chunk framing). Neither allocates. */
#ifndef EX_HTTP_H
#define EX_HTTP_H

#include "core/core.h"

/* Content-Encoding as far as the reader can undo it. */
enum {
    EX_HTTP_CODING_NONE = 0,    /* absent or identity */
    EX_HTTP_CODING_GZIP = 1,    /* gzip, x-gzip */
    EX_HTTP_CODING_DEFLATE = 2, /* deflate (zlib or raw, as servers send either) */
    EX_HTTP_CODING_OTHER = 3,   /* br, zstd, compress, unknown or stacked codings: kept raw */
};

#define EX_HTTP_CTYPE_MAX 512 /* Content-Type value kept, with its NUL; longer ones are cut */

typedef struct ex_http_head {
    int status;                           /* the 3-digit status code */
    int chunked;                          /* the last transfer coding is chunked */
    int coding;                           /* EX_HTTP_CODING_* */
    char content_type[EX_HTTP_CTYPE_MAX]; /* Content-Type value, trimmed; "" if absent */
} ex_http_head;

/* Offset just past the empty line that ends the head at the start of p[0..len) (lines end in
 * CRLF or a bare LF), or 0 if there is none yet. The search starts at `from` (a caller that
 * appends bytes can pass its previous len minus 2 to avoid rescanning). */
size_t ex_http_head_end(const uint8_t *p, size_t len, size_t from);

/* Parse a response head: the bytes up to ex_http_head_end(), or a whole block that has no
 * empty line. EX_EFORMAT with the reason in err if the status line is not
 * `HTTP/<digits>[.<digits>] <3 digits>[ <reason>]`; header lines without a colon are ignored.
 * Field names are case-insensitive; repeated Transfer-Encoding / Content-Encoding fields add
 * up as one list. */
int ex_http_parse_head(const uint8_t *p, size_t len, ex_http_head *out, ex_err *err);

/* A streaming decoder of the chunked transfer coding (RFC 9112 7.1). */
typedef struct ex_chunked {
    int state;
    uint64_t left; /* data bytes left in the current chunk, or the chunk size being read */
    uint64_t pos;  /* encoded bytes consumed so far, for messages */
} ex_chunked;

void ex_chunked_init(ex_chunked *c);

/* Decode from in[0..len): consumes *used bytes (> 0 when len > 0 and no error) and reports the
 * data bytes found among them as in[*data_off .. *data_off + *data_len) (*data_len may be 0).
 * Call again with the rest. After the last chunk and its trailer every byte is consumed and
 * ignored. EX_EFORMAT with the reason in err for a chunk size that is not hex or overflows, or
 * framing that is not CRLF (or LF); the decoder then stays failed. */
int ex_chunked_step(ex_chunked *c, const uint8_t *in, size_t len, size_t *used, size_t *data_off,
                    size_t *data_len, ex_err *err);

/* At the end of the body: EX_OK if the last chunk was read (a missing empty line after it is
 * forgiven), EX_EFORMAT "truncated chunked body" otherwise. */
int ex_chunked_finish(const ex_chunked *c, ex_err *err);

#endif
