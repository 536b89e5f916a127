/* snapshot.h - snapshots inside the ledger: the member sets (members.c) and the stored
 * snapshots (snapshot.c). The tree, the record and the proofs are ../shared/PROOFS.md. */
#ifndef EX_SNAPSHOT_H
#define EX_SNAPSHOT_H

#include "ledger.h"
#include "log/nearproof.h"


#define SNAP_NAME_MAX 128
#define SNAP_CHUNK_LEAVES 65536 /* leaves (member digests) per stored chunk: 2 MiB */

/* A stored snapshot: its record and where it is. */
typedef struct snap {
    uint64_t log_index;
    char *entry; /* the record, as logged */
    size_t entry_len;
    char name[SNAP_NAME_MAX + 1];
    char from[SNAP_NAME_MAX + 1]; /* the parent's name, "" if none */
    uint64_t size, log_size;
    uint8_t root[EX_HASH_BYTES];
} snap;

/* A set of content digests, ascending and distinct once made. */
typedef struct snap_set {
    uint8_t (*d)[EX_HASH_BYTES];
    uint64_t n, cap;
} snap_set;

typedef struct snap_counts {
    uint64_t admitted;        /* items whose latest decision is admit */
    uint64_t optout_excluded; /* of those, the ones an opt-out reaches */
} snap_counts;

#define SNAP_POLICIES_MAX 16
typedef struct snap_policies {
    char v[SNAP_POLICIES_MAX][EX_DIGEST_STR_BYTES]; /* the policies the admits were made under */
    size_t n;
} snap_policies;

/* The items behind a set of members: member by member (ascending digest), the admitted items
 * no opt-out reaches that hold its content (nearly always one). */
typedef struct snap_items {
    uint64_t *item;  /* n item ids */
    uint64_t *first; /* bit i: item[i] is the first of its member's */
    uint64_t n;
} snap_items;

/* The content digests whose latest decision among those committed below log_size is admit and
 * that no opt-out logged below log_size reaches, ascending and distinct, into *out (free with
 * snap_set_free), with counts and the policies in force; with mi (may be NULL) their items
 * (free with snap_items_free; sorting digests with their items costs a little more). Errors
 * with l's message. */
int snap_members(ex_ledger *l, uint64_t log_size, snap_set *out, snap_counts *counts,
                 snap_policies *pol, snap_items *mi);
void snap_items_free(snap_items *mi);
/* The index in mi->item after the last item of the member whose first item is at i. */
uint64_t snap_items_end(const snap_items *mi, uint64_t i);
/* snap_intersect, keeping the items of the members kept (ai: a's items). */
uint64_t snap_intersect_items(snap_set *a, snap_items *ai, const snap_set *b);
void snap_set_free(snap_set *s);
/* The digests of the admit decisions in force up to decision id cutoff (of each item below
 * nitems, its latest decision with an id up to cutoff), appended to *out in no particular
 * order, and with items (may be NULL) the item of each, in a parallel malloc'd array (*items
 * NULL at first); the policies they were made under named in *pol, in the order of their
 * first decision (latest.c). Errors with l's message. */
int snap_admitted(ex_ledger *l, uint64_t cutoff, uint64_t nitems, snap_set *out,
                  uint64_t **items, snap_policies *pol);
/* Keep in a the digests also in b; returns how many were dropped. */
uint64_t snap_intersect(snap_set *a, const snap_set *b);
/* The digests of b not in a (added = 1) and of a not in b (0), ascending, to fn (may be NULL:
 * count only); a non-EX_OK return stops. */
int snap_walk(const snap_set *a, const snap_set *b,
              int (*fn)(void *ctx, int added, const uint8_t d[EX_HASH_BYTES]), void *ctx,
              uint64_t *added, uint64_t *removed);

/* The snapshot `name` into *s (its entry malloc'd: free s->entry) and, if leaves is not NULL,
 * its stored leaves; EX_ENOTFOUND with a message if there is none. */
int snap_open(ex_ledger *l, const char *name, snap *s, snap_set *leaves);

/* Membership in a stored snapshot with memory that does not grow with it (snaplookup.c):
 * 0.25 bytes a member plus an 8 MiB cache. One thread at a time; uses l's store. */
typedef struct snap_lookup snap_lookup;
/* Open the lookup for the snapshot rec (found by snap_open); its stored leaves are read once
 * and must be strictly ascending and as many as the record says (EX_EVERIFY otherwise). */
int snap_lookup_open(ex_ledger *l, const snap *rec, snap_lookup **out);
void snap_lookup_close(snap_lookup *s);
/* *member: whether d is a leaf. Errors (a store read) with l's message. */
int snap_lookup_has(snap_lookup *s, const uint8_t d[EX_HASH_BYTES], int *member);
uint64_t snap_lookup_size(const snap_lookup *s);
/* Bytes of memory the lookup holds. */
size_t snap_lookup_bytes(const snap_lookup *s);
/* Whether d is a member of the snapshot rec, with no set-up: a binary search over its stored
 * leaves, about log2(size) reads of 32 bytes (for asking many snapshots once each). */
int snap_has(ex_ledger *l, const snap *rec, const uint8_t d[EX_HASH_BYTES], int *member);

/* ---- the near tree (neartree.c; docs/FORMATS.md "Near-dup-free proofs") ---- */

/* Band keys being gathered for a snapshot's near tree (bounded memory: buckets spill to
 * unlinked files in the ledger's directory). */
typedef struct near_build near_build;
/* The band keys of the fingerprints of members' items (mi: members's items; NULL, or a ledger
 * without the near table: none), bucketed, with how many members have a fingerprint. The
 * tree's parameters are those of the first fingerprint read (in item order), near.h's
 * defaults when there is none; a fingerprint made with others counts as none. Errors with
 * l's message. */
int near_build_collect(ex_ledger *l, const snap_set *members, const snap_items *mi,
                       near_build **out);
/* The tree: its leaves sorted, without repeats, its root, size and counts into *t; with
 * store, its leaves and kept subtree roots appended to the snapleaves table under key (in the
 * caller's transaction). Uses a second thread of its own, joined before it returns. Errors
 * with l's message. */
int near_build_finish(ex_ledger *l, near_build *b, int store, int64_t key, ex_near_tree_rec *t);
void near_build_free(near_build *b);
/* For tests: keys a bucket keeps in memory before it spills, the bytes of keys a bucket is
 * sized for, and the bytes of a kept level's subtree roots held in memory before they spill
 * (0: the defaults, 8192, 32 MiB and 1 MiB). Not thread-safe; call before any build. */
void near_build_limits(size_t mem, uint64_t target, size_t kept);
/* What an audit checks of the stored near tree of snapshot `name` (which has one): its
 * leaves are strictly ascending and hash to its record's near root, and its stored subtree
 * roots are those of its leaves. EX_EVERIFY with the first difference in l's message. */
int near_stored_check(ex_ledger *l, const char *name);
/* The snapleaves key of the near tree of the snapshot whose record is at log_index. */
static inline int64_t
near_key(uint64_t log_index)
{
    return -1 - (int64_t)log_index;
}

#endif
