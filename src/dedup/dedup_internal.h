/* dedup_internal.h - what the files of the duplicate index share; not part of its interface
 * (dedup.h). The table, put and find are in dedup.c; run files, spills and merges in runs.c;
 * the manifest that keeps the index between ingests in manifest.c. */
#ifndef EX_DEDUP_INTERNAL_H
#define EX_DEDUP_INTERNAL_H

#include "dedup.h"

typedef struct slot {
    uint64_t key; /* 0: empty */
    uint64_t id;
} slot;

#define BLOCK_SLOTS 256 /* a run is read 4 KiB at a time */
/* Runs are merged by size tiers: a spill is a run of level 0, and FANOUT runs of one level are
 * merged into one of the next, so each key is rewritten once per level (log_FANOUT of the
 * spills). A merge is not done at once: it stalled the pipeline for up to a second (8 runs of
 * 512Ki keys, and the merged run was merged again each time, so the stalls grew with the
 * ledger: 0.17 s at 9M items, 1.04 s at 19M). Each put advances every merge in progress by
 * MERGE_STEP slots instead (the same work in all, each key once per level); a merge of level
 * L (FANOUT^(L+1) spills of keys) so ends in a quarter of the puts that fill the next group of
 * that level, and lookups use its inputs until it has ended. */
#define FANOUT 4
#define LEVELS 24       /* 4^24 spills: more keys than a ledger will hold */
#define MAX_RUNS 128    /* at most 2 * FANOUT - 1 per level in use, and what a manifest names */
#define MERGE_STEP 4
#define BLOOM_BYTES (32u << 20)
#define BLOOM_K 8       /* bits set per key, all in one 64-byte line */

#define NAME_LEN 24     /* "run-XXXXXX" and the manifest's names */

typedef struct run {
    int fd;
    uint64_t n;       /* slots, sorted by key then id */
    uint64_t *first;  /* the first key of each block */
    uint64_t nblocks;
    char name[NAME_LEN]; /* its file in dir */
    int listed;       /* named by the manifest on disk */
    int level;        /* 0: a spill; L + 1: FANOUT runs of level L merged */
    int merging;      /* an input of a merge in progress */
} run;

/* A merge in progress: FANOUT runs of one level into a new file, a few slots per put. */
typedef struct merge {
    run *in[FANOUT];
    slot *buf;                 /* the current block of each input */
    size_t pos[FANOUT], len[FANOUT];
    uint64_t blk[FANOUT];
    slot out[BLOCK_SLOTS];     /* the block being written */
    size_t on;
    run res;                   /* the merged run: its file, and its index as it grows */
} merge;

struct ex_dedup {
    char *dir;
    slot *mem;        /* open addressing, fixed capacity */
    size_t cap, n, max;
    uint64_t *bloom;  /* BLOOM_BYTES, 512-bit lines */
    int bloomed;      /* a key was added (until then its pages were never touched) */
    size_t lines;
    run *runs[MAX_RUNS];      /* oldest first */
    size_t nruns;
    merge *merges[LEVELS];    /* in progress, by the level of their inputs */
    int nmerges;
    uint64_t keys;
    slot *scratch;    /* a block read from a run */
    /* listed runs merged away: their files stay until a new manifest no longer names them,
     * so the one on disk stays whole whatever happens to this run */
    char (*dead)[NAME_LEN];
    size_t ndead, cdead;
};

/* ---- the filter over the keys in runs: 8 bits in one 512-bit line ---- */

static inline void
bloom_add(ex_dedup *d, uint64_t key)
{
    uint64_t h = ex_mix64(key);
    uint64_t *line = d->bloom + (h % d->lines) * 8;
    uint64_t g = h >> 20 | h << 44;
    for (int i = 0; i < BLOOM_K; i++, g >>= 9)
        line[(g >> 6) & 7] |= 1ULL << (g & 63);
}

static inline int
bloom_maybe(const ex_dedup *d, uint64_t key)
{
    uint64_t h = ex_mix64(key);
    const uint64_t *line = d->bloom + (h % d->lines) * 8;
    uint64_t g = h >> 20 | h << 44;
    for (int i = 0; i < BLOOM_K; i++, g >>= 9)
        if (!(line[(g >> 6) & 7] & (1ULL << (g & 63))))
            return 0;
    return 1;
}

/* ---- run files, spills and merges (runs.c) ---- */

/* Delete file `name` of the index's directory; errors are ignored (a leftover file is
 * deleted by the next load or reset). */
void ex_dedup_unlink(const ex_dedup *d, const char *name);

/* Close a run's file and free it; NULL is a no-op. The file stays on disk. */
void ex_dedup_run_free(run *r);

/* Make run r from sorted slots v[0..n) written to fd: its sparse index (v NULL: r->first is
 * allocated, and the caller fills it). EX_ENOMEM. */
int ex_dedup_run_index(run *r, int fd, uint64_t n, const slot *v, ex_err *err);

/* Read block b of run r into out (BLOCK_SLOTS slots at most) and its slot count into *n.
 * EX_EIO (err is not set: the caller says which index). */
int ex_dedup_run_read(const ex_dedup *d, const run *r, uint64_t b, slot *out, size_t *n);

/* Write the memory table out as a sorted run and empty it; its keys go into the filter unless
 * filter is 0. EX_ENOMEM, EX_ERANGE (too many runs), EX_EIO. */
int ex_dedup_spill(ex_dedup *d, int filter, ex_err *err);

/* Give up the merge of level l, if any: its file goes, its inputs stay as they are. */
void ex_dedup_merge_drop(ex_dedup *d, int l);

/* Start the merges the runs call for: a level with FANOUT runs no merge is using. EX_ENOMEM,
 * EX_EIO. */
int ex_dedup_merge_more(ex_dedup *d, ex_err *err);

/* Each put: every merge in progress MERGE_STEP slots further. EX_ENOMEM, EX_EIO. */
int ex_dedup_merge_tick(ex_dedup *d, ex_err *err);

/* Before a save: the merges near their end are finished, the others given up. EX_ENOMEM,
 * EX_EIO. */
int ex_dedup_merges_settle(ex_dedup *d, ex_err *err);

#endif
