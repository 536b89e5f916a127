/* instream.h - a file read as a stream of decompressed bytes: plain, gzip (any number of
 * members, as in per-record-gzipped WARC files and concatenated .gz) or zstd (any number of
 * frames). Compression is recognised by magic bytes, not by name. Memory is bounded (1 MiB
 * input buffer plus the decoder's state) whatever the file size. */
#ifndef EX_INSTREAM_H
#define EX_INSTREAM_H

#include "core/core.h"

enum { EX_COMP_NONE = 0, EX_COMP_GZIP = 1, EX_COMP_ZSTD = 2 };

typedef struct ex_instream ex_instream;

/* Open path; EX_EIO with the errno text if it cannot be opened. */
int ex_instream_open(const char *path, ex_instream **out, ex_err *err);
void ex_instream_close(ex_instream *s);
/* EX_COMP_NONE, EX_COMP_GZIP or EX_COMP_ZSTD. */
int ex_instream_compression(const ex_instream *s);
const char *ex_instream_path(const ex_instream *s);
/* The first decompressed bytes of path, up to cap, into buf (*n of them): for telling formats
 * apart. A read error only ends the look (the reader of the input reports it, with its
 * offset); EX_EIO if path cannot be opened. */
int ex_instream_head(const char *path, void *buf, size_t cap, size_t *n, ex_err *err);

/* Read up to cap decompressed bytes into buf; *n = 0 only at the clean end of the file.
 * One read never returns bytes of two gzip members or zstd frames, so a caller that asks
 * ex_instream_member_offset right after a read gets the exact member of those bytes.
 * A member's checksum is checked at its end: bytes of a damaged member whose deflate data
 * still decodes are delivered before the error is reported.
 * EX_EFORMAT for corrupt or truncated compressed data (err names the compressed offset of the
 * member or frame), EX_EIO for a read error. After an error the stream stays at its end. */
int ex_instream_read(ex_instream *s, void *buf, size_t cap, size_t *n, ex_err *err);

/* Decompressed bytes delivered so far. */
uint64_t ex_instream_pos(const ex_instream *s);
/* Offset in the file of the gzip member or zstd frame that holds decompressed byte `pos`
 * (for a plain file, pos itself). Exact for the last 64 members read; for older ones, the
 * oldest still remembered. */
uint64_t ex_instream_member_offset(const ex_instream *s, uint64_t pos);
/* Size of the file in bytes (compressed), for progress. */
uint64_t ex_instream_file_size(const ex_instream *s);
/* Compressed bytes consumed so far, for progress. */
uint64_t ex_instream_file_pos(const ex_instream *s);

#endif
