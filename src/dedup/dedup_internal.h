/* dedup_internal.h - what the files of the duplicate index share; not part of its interface
 * (dedup.h). The table, put and find are in dedup.c; the run file format (writing, mapping,
 * probing) in runfile.c; spills and merges in runs.c; the manifest that keeps the index
 * between ingests in manifest.c. */
#ifndef EX_DEDUP_INTERNAL_H
#define EX_DEDUP_INTERNAL_H

#include <stddef.h>

#include "dedup.h"

/* A key as the index compares it: its top 48 bits (dedup.h). */
#define KEY48(key) ((key) >> 16)

typedef struct slot {
    uint64_t key; /* 0: empty (the whole key: its low 16 bits are not compared) */
    uint64_t id;
} slot;

/* ---- run files (runfile.c; docs/FORMATS.md has the layout) ----
 * A header of RUN_HEAD bytes; n entries of 8 bytes, each the key's bits [16, 48) and id - base
 * (two little-endian 32-bit words), sorted by (the key's top 48 bits, id); then the directory,
 * the count of entries in each of the BUCKETS values of the keys' top 16 bits (which the
 * entries leave out). Opened, a run is mapped read-only and its directory expanded in memory
 * to the start of each bucket: a probe reads its bucket's entries and nothing else. */
#define RUN_HEAD 40
#define RUN_VERSION 2
#define BUCKETS 65536
/* A run's ids span less than this, and it holds fewer entries: ids are stored as 32-bit
 * offsets from its smallest, the starts of its buckets as 32-bit entry numbers. A spill that
 * would make a wider run is split by id; a merge that would, is not made. */
#define RUN_LIMIT ((uint64_t)1 << 32)

#define NAME_LEN 24 /* "run-XXXXXX" and the manifest's names */

typedef struct entry {
    uint32_t key; /* bits [16, 48) of the key, little-endian */
    uint32_t id;  /* id - the run's base, little-endian */
} entry;

typedef struct run {
    int fd;
    uint64_t n;        /* entries */
    uint64_t base;     /* the smallest id */
    uint64_t span;     /* the largest id - base (< RUN_LIMIT) */
    void *map;         /* the whole file, PROT_READ and MAP_SHARED: page cache, not our memory */
    size_t maplen;
    const entry *e;    /* its entries, in the mapping */
    uint32_t *start;   /* BUCKETS + 1: bucket b's entries are e[start[b]..start[b + 1]) */
    char name[NAME_LEN]; /* its file in dir */
    int listed;        /* named by the manifest on disk */
    int level;         /* 0: a spill; L + 1: FANOUT runs of level L merged */
    int merging;       /* an input of a merge in progress */
} run;

#define WRITE_ENTRIES 512 /* a run is written 4 KiB at a time */

/* A run file being written, entry by entry in sorted order, by a spill or a merge. */
typedef struct run_writer {
    int fd;
    char name[NAME_LEN];
    uint64_t n, base, hi; /* entries written; the base and the largest id so far */
    uint32_t *count;      /* BUCKETS: entries per bucket */
    size_t nbuf;
    entry buf[WRITE_ENTRIES];
} run_writer;

static inline uint32_t
le32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap32(v);
#else
    return v;
#endif
}

/* Runs are merged by size tiers: a spill is a run of level 0, and FANOUT runs of one level are
 * merged into one of the next, so each key is rewritten once per level (log_FANOUT of the
 * spills). A merge is not done at once: it stalled the pipeline for up to a second (8 runs of
 * 512Ki keys, and the merged run was merged again each time, so the stalls grew with the
 * ledger: 0.17 s at 9M items, 1.04 s at 19M). Each put advances every merge in progress by
 * MERGE_STEP entries instead (the same work in all, each key once per level); a merge of level
 * L (FANOUT^(L+1) spills of keys) so ends in a quarter of the puts that fill the next group of
 * that level, and lookups use its inputs until it has ended. A merge takes the oldest FANOUT
 * runs of a level that fit in one run (RUN_LIMIT); runs that fit with no others stay. */
#define FANOUT 4
#define LEVELS 24       /* 4^24 spills: more keys than a ledger will hold */
#define MAX_RUNS 128    /* at most 2 * FANOUT - 1 per level in use, and what a manifest names */
#define MERGE_STEP 4
#define BLOOM_BYTES (32u << 20)
#define BLOOM_K 8       /* bits set per key, all in one 64-byte line */

/* A merge in progress: FANOUT runs of one level, read through their mappings, into a new
 * file, a few entries per put. */
typedef struct merge {
    run *in[FANOUT];
    uint64_t pos[FANOUT];  /* the next entry of each input */
    uint64_t bkt[FANOUT];  /* its bucket */
    uint64_t hkey[FANOUT], hid[FANOUT]; /* its key (top 48 bits) and id; UINT64_MAX: done */
    run_writer out;        /* the merged run */
} merge;

struct ex_dedup {
    char *dir;
    slot *mem;        /* open addressing by the key's bits [16, ...), fixed capacity */
    size_t cap, n, max;
    uint64_t *bloom;  /* BLOOM_BYTES, 512-bit lines, over the keys' top 48 bits */
    int bloomed;      /* a key was added (until then its pages were never touched) */
    size_t lines;
    run *runs[MAX_RUNS];      /* oldest first */
    size_t nruns;
    merge *merges[LEVELS];    /* in progress, by the level of their inputs */
    int nmerges;
    uint64_t keys;
    /* listed runs merged away: their files stay until a new manifest no longer names them,
     * so the one on disk stays whole whatever happens to this run */
    char (*dead)[NAME_LEN];
    size_t ndead, cdead;
};

/* ---- the filter over the keys in runs: 8 bits in one 512-bit line, by the top 48 bits ---- */

static inline void
bloom_add(ex_dedup *d, uint64_t key48)
{
    uint64_t h = ex_mix64(key48);
    uint64_t *line = d->bloom + (h % d->lines) * 8;
    uint64_t g = h >> 20 | h << 44;
    for (int i = 0; i < BLOOM_K; i++, g >>= 9)
        line[(g >> 6) & 7] |= 1ULL << (g & 63);
}

static inline int
bloom_maybe(const ex_dedup *d, uint64_t key48)
{
    uint64_t h = ex_mix64(key48);
    const uint64_t *line = d->bloom + (h % d->lines) * 8;
    uint64_t g = h >> 20 | h << 44;
    for (int i = 0; i < BLOOM_K; i++, g >>= 9)
        if (!(line[(g >> 6) & 7] & (1ULL << (g & 63))))
            return 0;
    return 1;
}

/* ---- run files (runfile.c) ---- */

/* Where in run r the entries of key are likely to be: its bucket's entries are
 * e[*lo..*hi), and the keys' bits are uniform within a bucket, so interpolation guesses the
 * returned index to within a few entries (one cache line) of the first not below key. */
static inline uint32_t
run_guess(const run *r, uint64_t key, uint32_t *lo, uint32_t *hi)
{
    *lo = r->start[key >> 48];
    *hi = r->start[(key >> 48) + 1];
    return *lo + (uint32_t)((uint64_t)(uint32_t)KEY48(key) * (*hi - *lo) >> 32);
}

/* Start run file of ids from base on in d->dir: w->name is its name. EX_ENOMEM, EX_EIO (err
 * says why). */
int ex_dedup_writer_open(ex_dedup *d, run_writer *w, uint64_t base, ex_err *err);

/* Append an entry (after every entry with a smaller (key48, id)); base <= id < base +
 * RUN_LIMIT. EX_EIO (errno says why). */
int ex_dedup_writer_put(run_writer *w, uint64_t key48, uint64_t id);

/* Write the rest (the directory, then the header) and open the file as a run: *out, level 0,
 * not listed. The writer is freed either way; its file is deleted on failure. EX_ENOMEM,
 * EX_EIO (err says why). */
int ex_dedup_writer_end(ex_dedup *d, run_writer *w, run **out, ex_err *err);

/* Give up a run being written: its file goes. No-op on a writer never opened (fd < 0). */
void ex_dedup_writer_drop(const ex_dedup *d, run_writer *w);

/* Map run file fd (`name` in dir, for messages) into r and expand its directory; r->fd takes
 * fd (closed on failure). EX_ENOMEM; EX_EIO with err naming the file if it is not a whole run
 * file of this version: a bad magic or version, a length other than its header says, or
 * directory counts that do not sum to its entry count. */
int ex_dedup_run_map(run *r, int fd, const char *dir, const char *name, ex_err *err);

/* Open run file `name` of dir read-only and map it (ex_dedup_run_map): EX_ENOTFOUND if there
 * is no such file, else as ex_dedup_run_map. */
int ex_dedup_run_open(const char *dir, const char *name, run *r, ex_err *err);

/* Unmap and close r (not free it); a zeroed run with fd -1 is a no-op. */
void ex_dedup_run_close(run *r);

/* Close a run and free it; NULL is a no-op. The file stays on disk. */
void ex_dedup_run_free(run *r);

/* The first id of run r (smallest first) whose key equals key in its top 48 bits and which
 * same(ctx, id) accepts; 0 if none. */
uint64_t ex_dedup_run_find(const run *r, uint64_t key, int (*same)(void *ctx, uint64_t id),
                           void *ctx);

/* Delete file `name` of the index's directory; errors are ignored (a leftover file is
 * deleted by the next load or reset). */
void ex_dedup_unlink(const ex_dedup *d, const char *name);

/* ---- spills and merges (runs.c) ---- */

/* Write the memory table out as sorted runs (one, or more if its ids span RUN_LIMIT or more)
 * and empty it; its keys go into the filter unless filter is 0. EX_ENOMEM, EX_ERANGE (too many
 * runs), EX_EIO. */
int ex_dedup_spill(ex_dedup *d, int filter, ex_err *err);

/* Give up the merge of level l, if any: its file goes, its inputs stay as they are. */
void ex_dedup_merge_drop(ex_dedup *d, int l);

/* Start the merges the runs call for: a level with FANOUT runs that fit together and no merge
 * is using. EX_ENOMEM, EX_EIO. */
int ex_dedup_merge_more(ex_dedup *d, ex_err *err);

/* Each put: every merge in progress MERGE_STEP entries further. EX_ENOMEM, EX_EIO. */
int ex_dedup_merge_tick(ex_dedup *d, ex_err *err);

/* Before a save: the merges near their end are finished, the others given up. EX_ENOMEM,
 * EX_EIO. */
int ex_dedup_merges_settle(ex_dedup *d, ex_err *err);

#endif
