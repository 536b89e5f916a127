/* dedup.h - the exact-duplicate index of an ingest run, in bounded memory.
 *
 * Maps a 64-bit key (the first 8 bytes of a content digest, never 0) to the ids of the items
 * with that key. Keys are compared on their top 48 bits only, everywhere (in memory and on
 * disk, so that no answer depends on where a key is): a candidate's key equals the probe's in
 * its top 48 bits, and the caller confirms every candidate (against the stored digest, URL or
 * fingerprint), so answers are exact.
 *
 * Memory stays flat as the ledger grows: the newest keys live in a fixed-size hash table;
 * when it is full they are sorted and spilled to a run file in the index's directory, and a
 * fixed-size blocked Bloom filter over the spilled keys answers "new" for almost every first
 * occurrence with one cache miss. Only keys the filter cannot rule out are looked up in the
 * runs. A run file holds 8 bytes per key (32 bits of the key, 32 of the id less the run's
 * smallest) between a header and a directory of the keys' top 16 bits (docs/FORMATS.md); it is
 * read through a read-only shared mapping, so a probe reads the entries of one bucket of each
 * run and no system call. Those mapped pages are the kernel's page cache, not the process's
 * own memory: ex_dedup_stats does not count them, and the kernel drops them under pressure
 * (a probe then reads the file again). A run's ids span less than 2^32: a spill whose ids
 * span more is split into runs that each span less, and runs that would merge into a wider
 * one are not merged. Runs are merged by size tiers, a few entries per put (runs.c). The
 * files of the directory are the index's: one truncated while the index maps it is a fault
 * (SIGBUS), as with any mapped file. Not thread-safe. */
#ifndef EX_DEDUP_H
#define EX_DEDUP_H

#include "core/core.h"

typedef struct ex_dedup ex_dedup;

/* The index key of a content digest (and the items table's key): its first 8 bytes, never 0
 * (a zero prefix is stored as 1: still exact, as every candidate is confirmed). */
static inline uint64_t
ex_dedup_key(const uint8_t d[32])
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | d[i];
    return k ? k : 1;
}

/* Keys held in memory before a spill, by default: EX_DEDUP_MEM_ITEMS (a table of 16 MiB), or
 * the environment's EXANTE_DEDUP_MEM_ITEMS when it is a number in [16, 2^30] (tests set it
 * small so that runs on disk are exercised). */
#define EX_DEDUP_MEM_ITEMS (512u << 10)
size_t ex_dedup_mem_items(void);

/* A new, empty index. dir: where run files go (it must exist); mem_items: keys held in
 * memory before a spill (0: the default, ex_dedup_mem_items()). EX_ENOMEM, EX_EINVAL. */
int ex_dedup_open(const char *dir, size_t mem_items, ex_dedup **out, ex_err *err);
void ex_dedup_close(ex_dedup *d);

/* Add key -> id. EX_ENOMEM, or EX_EIO when a spill cannot be written (err says why). */
int ex_dedup_put(ex_dedup *d, uint64_t key, uint64_t id, ex_err *err);

/* Start loading what a lookup of key touches first (a hint; no effect on results). Safe to
 * call from another thread than the one that puts and finds: it reads nothing that changes. */
void ex_dedup_prefetch(const ex_dedup *d, uint64_t key);

/* The first id (in insertion order within each part; newest part first) whose key equals
 * key in its top 48 bits and for which same(ctx, id) returns 1; 0 if none. *rc is EX_OK (runs
 * are read through their mappings, which do not fail but by a fault). */
uint64_t ex_dedup_find(ex_dedup *d, uint64_t key, int (*same)(void *ctx, uint64_t id),
                       void *ctx, int *rc);

/* Keeping the index between runs, in its directory: save spills the memory table (after a
 * save the index only answers for the keys it had before) and writes a
 * manifest naming the runs (fsync'd, then renamed into place) with `covered`, the last item id
 * whose key is in the index, and that item's key (so a loader can check the ledger is the one
 * indexed). Until a save, new runs are not named by it, and a merge keeps the files it
 * replaced, so the manifest on disk stays whole whatever happens to a run. EX_EIO. */
int ex_dedup_save(ex_dedup *d, uint64_t covered, uint64_t cover_key, ex_err *err);

/* On a new, empty index: open the runs the manifest names (their keys go into the filter) and
 * delete run files it does not name. EX_OK with *covered and *cover_key; EX_ENOTFOUND if there
 * is no usable manifest (then every run file is deleted and the index is empty): none, one
 * of another version (an index written by an earlier build: the caller rebuilds it), or one
 * naming a run that is missing or refused (not a whole run file of this version with the
 * entries the manifest says, in order). */
int ex_dedup_load(ex_dedup *d, uint64_t *covered, uint64_t *cover_key);

/* Outside an ingest (read-only): the smallest id whose key equals key in its top 48 bits
 * among the runs the manifest in dir names for which same(ctx, id) returns 1, 0 if none, with
 * the manifest's covered item and its key (the caller checks they fit its ledger).
 * EX_ENOTFOUND if there is no usable manifest (none, or of another version) or a run it names
 * is gone (an ingest is merging) or of another size; EX_EIO if a run is refused (not a whole
 * run file of this version); EX_ENOMEM. */
int ex_dedup_saved_find(const char *dir, uint64_t key, int (*same)(void *ctx, uint64_t id),
                        void *ctx, uint64_t *id, uint64_t *covered, uint64_t *cover_key);

/* A saved index opened read-only (nothing in dir changes), for many lookups: log verify's
 * check of every item against it. EX_ENOTFOUND if there is no usable manifest; EX_EIO (err
 * names the run file and why) if a run it names is refused, or EX_ENOTFOUND (err names it) if
 * one is gone or of another size; EX_ENOMEM. *covered and *cover_key as ex_dedup_saved_find gives them. */
typedef struct ex_dedup_saved ex_dedup_saved;
int ex_dedup_saved_open(const char *dir, ex_dedup_saved **out, uint64_t *covered,
                        uint64_t *cover_key, ex_err *err);
/* As ex_dedup_saved_find: the smallest id among the runs' first for which same returns 1. */
uint64_t ex_dedup_saved_lookup(const ex_dedup_saved *s, uint64_t key,
                               int (*same)(void *ctx, uint64_t id), void *ctx);
/* Accepts NULL. */
void ex_dedup_saved_close(ex_dedup_saved *s);

/* Forget every run (and delete their files and the manifest): the caller rebuilds. */
void ex_dedup_reset(ex_dedup *d);

/* Keys held, runs on disk, and bytes of memory the index holds (the table, the filter, each
 * run's directory of 256 KiB and each merge's counts; not the runs' mapped pages, which are
 * page cache). */
void ex_dedup_stats(const ex_dedup *d, uint64_t *keys, size_t *runs, size_t *mem_bytes);

#endif
