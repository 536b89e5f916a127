/* dedup.h - the exact-duplicate index of an ingest run, in bounded memory.
 *
 * Maps the first 8 bytes of a content digest (never 0) to the ids of the items with that
 * prefix; the caller confirms a candidate against the stored digest, so answers are exact.
 * Memory stays flat as the ledger grows: the newest keys live in a fixed-size hash table;
 * when it is full they are sorted and spilled to a run file (an unlinked temporary file in
 * the ledger directory), and a fixed-size blocked Bloom filter over the spilled keys answers "new"
 * for almost every first occurrence with one cache miss. Only keys the filter cannot rule out
 * are looked up in the runs (a sparse index in memory, then one 4 KiB read per run). Runs are
 * merged when there are many. Not thread-safe. */
#ifndef EX_DEDUP_H
#define EX_DEDUP_H

#include "core/core.h"

typedef struct ex_dedup ex_dedup;

/* A new, empty index. dir: where run files go (unlinked at once); mem_items: keys held in
 * memory before a spill (0: the default, EX_DEDUP_MEM_ITEMS). EX_ENOMEM, EX_EINVAL. */
#define EX_DEDUP_MEM_ITEMS (1u << 20)
int ex_dedup_open(const char *dir, size_t mem_items, ex_dedup **out, ex_err *err);
void ex_dedup_close(ex_dedup *d);

/* Add key -> id. EX_ENOMEM, or EX_EIO when a spill cannot be written (err says why). */
int ex_dedup_put(ex_dedup *d, uint64_t key, uint64_t id, ex_err *err);

/* Start loading what a lookup of key touches first (a hint; no effect on results). Safe to
 * call from another thread than the one that puts and finds: it reads nothing that changes. */
void ex_dedup_prefetch(const ex_dedup *d, uint64_t key);

/* The first id (in insertion order within each part; newest part first) with this key for
 * which same(ctx, id) returns 1; 0 if none. EX_EIO in *rc if a run cannot be read. */
uint64_t ex_dedup_find(ex_dedup *d, uint64_t key, int (*same)(void *ctx, uint64_t id),
                       void *ctx, int *rc);

/* Keys held, runs on disk, and bytes of memory the index holds (tables, filter, indexes). */
void ex_dedup_stats(const ex_dedup *d, uint64_t *keys, size_t *runs, size_t *mem_bytes);

#endif
