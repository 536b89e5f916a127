/* pack.h - item and decision records, stored compressed.
 *
 * Two records per item make up most of a ledger, and they repeat their keys, digest prefixes,
 * sources and reasons: stored as they are, small items took 2.5 times their input's size
 * (784 bytes per 316-byte JSONL line), and writing those bytes twice (WAL, then database) was
 * the ingest's steady-state cost. They are stored as zstd frames made with a dictionary
 * trained on sample records (data/zstd/, scripts/gen-dicts.sh), about a third of the size.
 *
 * A packed record is one zstd frame that names its dictionary (1: items, 2: decisions) and
 * its size, and ends with its checksum (a frame without one is refused). A stored record that starts with '{' is the canonical JSON itself: every other
 * table's, and those of ledgers written before packing. Unpacking gives back the exact bytes
 * that were packed; hashes, proofs and signatures are over those. The dictionaries are part of
 * the ledger format and never change (tests/unit/test_pack.c pins them). */
#ifndef EX_PACK_H
#define EX_PACK_H

#include "store/store.h"

/* A record unpacks to at most this many bytes; a frame that says more is refused. */
#define EX_PACK_MAX (64u << 20)

/* Compression and decompression state: one per thread. */
typedef struct ex_packer ex_packer;

/* EX_ENOMEM if it cannot be made. */
int ex_packer_new(ex_packer **out);
void ex_packer_free(ex_packer *p);

/* Append the stored form of rec, a record of table, to out: packed for EX_TAB_ITEMS and
 * EX_TAB_DECISIONS, the same bytes for the other tables. EX_ENOMEM, or EX_EINVAL for a record
 * over EX_PACK_MAX. */
int ex_pack(ex_packer *p, int table, const void *rec, size_t len, ex_buf *out);

/* 1 if data (len bytes) is a packed record. */
int ex_packed(const void *data, size_t len);

/* The record stored as data: data itself if it is not packed, else its bytes unpacked into p's
 * buffer (NUL-terminated; valid until p's next call). EX_EFORMAT with the reason in err for a
 * damaged frame, an unknown dictionary or a size over EX_PACK_MAX; EX_ENOMEM. */
int ex_unpack(ex_packer *p, const void *data, size_t len, const void **rec, size_t *rlen,
              ex_err *err);

#endif
