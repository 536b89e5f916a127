/* elide.h - a decision's provenance, left out of its block and put back on reading.
 *
 * A decision's `provenance` is the SHA-256 of its item's record: 64 hex digits that nothing
 * else in a block repeats, so zstd stores them at full cost (32 bytes an item, a quarter of a
 * block). In a block, a decision stored right after its own item (sqlite_block.c's paired
 * decisions) has its provenance cut to `"provenance":"sha256:"` when, and only when, it is the
 * SHA-256 of that item's record; reading puts the digits back from the item beside it. A real
 * decision always has 64 digits there, so the cut form is never a record's own. The records
 * that come out are byte for byte the ones that went in. */
#ifndef EX_ELIDE_H
#define EX_ELIDE_H

#include "core/core.h"

/* Append to out the stored form of decision dec (dlen bytes), paired with item (ilen bytes):
 * cut, if its only `"provenance":"sha256:` is followed by the item record's SHA-256 in
 * lowercase hex and a quote; else dec as it is. h: the caller's hasher (one per thread).
 * EX_ENOMEM, EX_ECRYPTO. */
int ex_elide_put(ex_sha256 *h, const void *item, size_t ilen, const void *dec, size_t dlen,
                 ex_buf *out);

/* The decision whose stored form is dec (dlen bytes), paired with item: *rec is dec itself
 * when it is not cut, else the record restored into out (replacing its contents). EX_ENOMEM,
 * EX_ECRYPTO. */
int ex_elide_get(ex_sha256 *h, const void *item, size_t ilen, const void *dec, size_t dlen,
                 ex_buf *out, const void **rec, size_t *rlen);

#endif
