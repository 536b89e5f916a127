/* outstream.h - bytes written to a file or a descriptor, plain, gzip or zstd: the mirror of
 * instream.h, for `exante filter`, whose output a training job reads as it would the inputs.
 * Compression by the file name: ".gz" gzip (ISA-L, level 1), ".zst" zstd (level 3, a worker
 * thread compressing while the caller goes on), anything else plain. A file is written under a
 * temporary name beside it and renamed into place only by ex_outstream_close(keep = 1), so a
 * failed run never leaves a partial output under the name asked for. */
#ifndef EX_OUTSTREAM_H
#define EX_OUTSTREAM_H

#include "core/core.h"

typedef struct ex_outstream ex_outstream;

/* Write to path, or, when path is NULL, to the open descriptor fd (plain, not closed).
 * EX_EIO with the errno text if the file cannot be made, EX_ENOMEM. */
int ex_outstream_open(const char *path, int fd, ex_outstream **out, ex_err *err);
/* EX_COMP_NONE, EX_COMP_GZIP or EX_COMP_ZSTD (instream.h). */
int ex_outstream_compression(const ex_outstream *o);
/* Append n bytes. EX_EIO (the errno text, naming the file), EX_ENOMEM. */
int ex_outstream_write(ex_outstream *o, const void *p, size_t n, ex_err *err);
/* gzip: end the current member, so the next bytes start a new one (a WARC file compressed
 * record by record); nothing for the other kinds. */
int ex_outstream_end_member(ex_outstream *o, ex_err *err);
/* Finish and release. keep = 1: flush, end the compressed stream, close the file and rename it
 * into place (its result is returned); keep = 0: drop a file's temporary (on a failed run).
 * *bytes (may be NULL): what was written in all. Accepts NULL. */
int ex_outstream_close(ex_outstream *o, int keep, uint64_t *bytes, ex_err *err);
/* Bytes written to the file or descriptor so far (compressed). */
uint64_t ex_outstream_bytes(const ex_outstream *o);

#endif
