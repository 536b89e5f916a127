/* warc_reader.h - what the files of the WARC reader share, and nothing outside them uses:
 * the reader's state, the record being read, and the helpers each file gives the others.
 *   warc.c         the stream buffer, reports, recovery, the record loop, set-up
 *   warc_header.c  the header block, its fields, WARC digest values
 *   warc_block.c   an item record's block: HTTP, decoding, digest checks, the item */
#ifndef EX_WARC_READER_H
#define EX_WARC_READER_H

#include "warc_internal.h"

#include "http.h"
#include "instream.h"

#include <openssl/evp.h>

#define OBUF_SIZE (256u << 10) /* content decoder output */

enum { T_SKIP, T_RESPONSE, T_RESOURCE, T_CONVERSION, T_REVISIT };

/* content decoder state: raw, the first two bytes, a gzip header, deflate data, finished */
enum { CD_RAW, CD_SNIFF, CD_GZHDR, CD_INFLATE, CD_DONE };

/* parts of a gzip header (RFC 1952 2.3) */
enum { GZ_FIXED, GZ_XLEN, GZ_EXTRA, GZ_NAME, GZ_COMMENT, GZ_HCRC, GZ_DONE };

struct digest {
    int alg; /* EX_WARC_SHA1, EX_WARC_SHA256, or 0: absent or not checked */
    size_t n;
    uint8_t want[EX_HASH_BYTES];
};

typedef struct rec {
    uint64_t offset, member;
    int type;
    const char *type_name;
    char *type_raw, *uri, *id, *date, *ctype, *refers_uri, *refers_id, *pdigest, *bdigest, *segment;
    uint64_t clen;
    struct digest bd, pd;
    char hdr_reason[320]; /* a problem found in the header, reported if the block is sound */
    /* the block as it streams */
    int http, in_head;
    ex_http_head hh;
    int chunked;
    ex_chunked ch;
    int cd; /* content decoder state */
    uint8_t sniff[2];
    size_t nsniff;
    int gz;          /* GZ_*: where in the gzip header */
    uint8_t gzh[10]; /* its fixed part */
    uint32_t gz_have, gz_left;
    char reason[320]; /* the first HTTP, chunking or content-coding problem */
    uint64_t size;    /* content bytes */
} rec;

typedef struct rd {
    const char *file;
    ex_instream *in; /* file source, or: */
    const uint8_t *mem;
    size_t mem_len, mem_off, read_max;
    size_t header_max, inline_max;
    int trust_block;
    uint8_t *buf; /* buf[pos..len) is unread; buf[0] is at stream offset base */
    size_t cap, pos, len;
    uint64_t base;
    int eof, failed, stop;
    int keep; /* the current record's bytes stay in buf from its start (cb->raw) */
    ex_err ierr; /* why the compressed input failed */
    struct mm {
        uint64_t dpos, off;
    } * mm; /* where each member starts, for the data in reach */
    size_t mm_lo, mm_n, mm_cap;
    ex_buf hdr, head, content;
    const uint8_t *borrow; /* content still in buf (not yet copied): borrow[0..borrow_len) */
    size_t borrow_len;
    uint8_t *obuf;
    struct inflate_state *inf;
    EVP_MD *sha1, *sha256;
    EVP_MD_CTX *bctx, *pctx, *prctx, *cctx; /* block, payload, payload as recorded, content */
    const ex_reader_cb *cb;
    ex_err *err;
    rec r;
} rd;

/* Stream offset of the next unread byte. */
static inline uint64_t
ex_warc_at(const rd *r)
{
    return r->base + r->pos;
}

/* Unread bytes in the buffer. */
static inline size_t
ex_warc_avail(const rd *r)
{
    return r->len - r->pos;
}

/* ---- warc.c ---- */

/* Make at least `want` (<= cap) bytes available at pos, fewer only at the end of the input.
 * A compressed-data error ends the input (failed, with the message in ierr); an I/O error is
 * returned. */
int ex_warc_fill(rd *r, size_t want);

/* Report the current record to the quarantine callback (if any); returns its code. */
int ex_warc_quarantine_rec(rd *r, const char *fmt, ...) EX_PRINTF(2, 3);

/* The input ended inside the current record: quarantine it and stop; the callback's code. */
int ex_warc_cut_short(rd *r, const char *what);

/* A short printable excerpt of a bad line for messages (non-printables as '?'). */
void ex_warc_excerpt(const uint8_t *p, size_t n, char out[48]);

/* ---- warc_header.c ---- */

enum { H_OK, H_TOO_LONG, H_SHORT };

/* Copy the header block into r->hdr, from the version line's CRLF through the empty line,
 * leaving pos after it; *how says whether it was too long or cut short. EX_ENOMEM, or an
 * error of ex_warc_fill. */
int ex_warc_read_header(rd *r, int *how);

/* Parse the header fields in r->hdr into r->r; EX_EFORMAT with a reason in msg. */
int ex_warc_parse_fields(rd *r, char *msg, size_t msgcap);

/* "sha1:<base32>" or "sha256:<base32>" of a computed digest, for messages. */
void ex_warc_digest_text(int alg, const uint8_t *d, size_t n, char out[80]);

/* ---- warc_block.c ---- */

/* Stream the block of an item record through the decoders, then check its end; a fatal
 * error, or a callback's code (r->stop set if the input ended inside the block). */
int ex_warc_item_record(rd *r);

/* Decide the record: its one quarantine report, or its item; the callback's code, or
 * EX_ECRYPTO. */
int ex_warc_record_end(rd *r);

#endif
