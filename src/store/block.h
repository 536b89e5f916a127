/* block.h - the records of one batch as one block (the SQLite store's items and decisions from
 * ledger schema 8 on: sqlite_block.c).
 *
 * Packed one by one (pack.h), a ~350-byte record is compressed without the context of its
 * neighbours, and compressing each on its own was about half of ingest's CPU. A block is the
 * records of one batch concatenated behind an offset table and compressed as one zstd frame;
 * a record's bytes come back exactly as they went in, so hashes and proofs over them do not
 * change.
 *
 * Layout (docs/FORMATS.md "Blocks"; integers little-endian): one zstd frame (RFC 8878) whose
 * header holds the content size and which ends with its content checksum, nothing after it.
 * Its content:
 *
 *     "EXBK"            4 bytes magic
 *     version           4 bytes, 1
 *     n                 4 bytes, the number of records, 1 .. EX_BLOCK_MAX_RECORDS
 *     offset[0..n]      n + 1 times 4 bytes: offset[0] = 0, offset[i + 1] >= offset[i],
 *                       offset[n] = the size of the record area
 *     record area       the records concatenated; record i is bytes [offset[i], offset[i+1])
 *
 * The whole content is at most EX_BLOCK_MAX_BYTES. Records may be empty. */
#ifndef EX_BLOCK_H
#define EX_BLOCK_H

#include "core/core.h"

#define EX_BLOCK_MAGIC "EXBK"
#define EX_BLOCK_VERSION 1u
/* magic, version, n */
#define EX_BLOCK_HEADER_BYTES 12u
/* A block holds at most this many records (2^20: a batch is far smaller). */
#define EX_BLOCK_MAX_RECORDS (1u << 20)
/* A block's content (header, offsets and records) is at most this many bytes (256 MiB): the
 * most a decoder ever holds. */
#define EX_BLOCK_MAX_BYTES (256u << 20)

/* A block writer: a zstd context and a buffer for the block's content, reused from block to
 * block (on 100 to 10,000 records of ~350 bytes at level 1, a new context for each block took
 * 10-40% longer, on a busy machine). The buffer grows to the largest content built (at most EX_BLOCK_MAX_BYTES)
 * and is kept until ex_block_enc_free. One thread at a time: make one per thread. */
typedef struct ex_block_enc ex_block_enc;

/* EX_ENOMEM if it cannot be made. */
int ex_block_enc_new(ex_block_enc **out);
/* Accepts NULL. */
void ex_block_enc_free(ex_block_enc *e);

/* Append to out the block of the n records recs[i] (lens[i] bytes each; a record of 0 bytes
 * may have a NULL pointer), compressed at zstd level `level` (ZSTD_minCLevel() ..
 * ZSTD_maxCLevel(); 0 is zstd's default). EX_EINVAL for n = 0, n > EX_BLOCK_MAX_RECORDS, a
 * content over EX_BLOCK_MAX_BYTES or a level out of range; EX_ENOMEM. On failure out->len is
 * what it was. */
int ex_block_enc_build(ex_block_enc *e, const void *const *recs, const size_t *lens, size_t n,
                       int level, ex_buf *out);

/* ex_block_enc_build with an encoder of its own, made and freed for this one block. */
int ex_block_build(const void *const *recs, const size_t *lens, size_t n, int level,
                   ex_buf *out);

/* A block reader: a zstd context and one buffer that holds the last block opened, reused from
 * block to block. The buffer grows to the largest block content opened (at most
 * EX_BLOCK_MAX_BYTES + 1 bytes) and is kept until ex_block_dec_free. One thread at a time. */
typedef struct ex_block_dec ex_block_dec;

/* EX_ENOMEM if it cannot be made. */
int ex_block_dec_new(ex_block_dec **out);
/* Accepts NULL. */
void ex_block_dec_free(ex_block_dec *d);

/* Decompress the block data (len bytes) into d, replacing the block d held. EX_EFORMAT with
 * the reason in err (may be NULL) for: not one zstd frame, a frame without its content size
 * or checksum, a content size over EX_BLOCK_MAX_BYTES, bytes after the frame, a damaged or
 * truncated frame (checksum), a bad magic or version, n of 0 or over EX_BLOCK_MAX_RECORDS, an
 * offset table that does not fit, does not start at 0, decreases, or does not end at the
 * record area's exact size; EX_ENOMEM. After a failure d holds no block (count 0). */
int ex_block_open(ex_block_dec *d, const void *data, size_t len, ex_err *err);

/* The number of records in d's block (0 if none is open). */
size_t ex_block_count(const ex_block_dec *d);

/* Record i of d's block: *rec points into d's buffer (not NUL-terminated; valid until d's next
 * ex_block_open or ex_block_dec_free), *len its size. EX_ERANGE for i >= ex_block_count(d). */
int ex_block_get(const ex_block_dec *d, size_t i, const void **rec, size_t *len);

#endif
