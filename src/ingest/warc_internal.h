/* warc_internal.h - entry points of the WARC reader for tests, fuzz targets and benchmarks:
 * the same parser as ex_read_warc() over a memory buffer, and with its limits made small so
 * that short inputs reach the streaming paths (records larger than the buffer, headers split
 * across refills, payloads cut at the inline limit). */
#ifndef EX_WARC_INTERNAL_H
#define EX_WARC_INTERNAL_H

#include "ingest/reader.h"

#define EX_WARC_HEADER_MAX (1u << 20) /* a WARC header block, and an HTTP head */

/* Zero fields take the defaults. */
typedef struct ex_warc_limits {
    size_t buf_cap;    /* stream buffer (default 4 MiB; at least 16 is used) */
    size_t read_max;   /* largest single read from a memory buffer (default: no limit) */
    size_t header_max; /* WARC header block and HTTP head (default EX_WARC_HEADER_MAX) */
    size_t inline_max; /* content bytes handed over (default EX_ITEM_INLINE_MAX) */
    int trust_block;   /* check WARC-Payload-Digest only where no block digest is checked
                        * (saves one SHA-1 pass over every payload; see bench/bench_warc.c) */
} ex_warc_limits;

/* ex_read_warc() with limits (NULL: the defaults). */
int ex_warc_read_file(const char *path, const ex_warc_limits *lim, const ex_reader_cb *cb,
                      ex_err *err);

/* Parse data[0..len) as an uncompressed WARC file; items and quarantines name the file
 * "<buffer>", and member = offset. Same returns as ex_read_warc(). */
int ex_warc_parse_buffer(const uint8_t *data, size_t len, const ex_warc_limits *lim,
                         const ex_reader_cb *cb, ex_err *err);

enum { EX_WARC_SHA1 = 1, EX_WARC_SHA256 = 2 };

/* Decode a WARC digest "algorithm:value": sha1 / sha-1 (20 bytes) or sha256 / sha-256
 * (32 bytes), algorithm case-insensitive, value in base32 (RFC 4648, either case, padding
 * optional), hex, or base64 / base64url (padding optional). *alg = 0 and EX_OK for another
 * algorithm (not checked); EX_EFORMAT for a known algorithm whose value does not decode. */
int ex_warc_digest_parse(const char *s, int *alg, uint8_t out[EX_HASH_BYTES], size_t *n);

#endif
