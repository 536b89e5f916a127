/* tally.h - counters by key, for the report (report.c): a hash table from byte strings to a few
 * 64-bit counters, with a cap on its distinct keys so that a ledger of any size (or a damaged
 * one naming a new "license" in every record) cannot make it grow without end. Keys are copied
 * into one arena; a key may hold NUL bytes (a composite key: "rule\0verdict"). */
#ifndef EX_TALLY_H
#define EX_TALLY_H

#include "core/core.h"

#define TALLY_V 4 /* counters per key */

typedef struct tally_ent {
    size_t off, len; /* the key: arena[off .. off + len) */
    uint64_t v[TALLY_V];
} tally_ent;

typedef struct tally {
    ex_buf arena;
    tally_ent *e; /* the keys, in order of first sight */
    size_t n, cap;
    uint32_t *slot; /* open addressing: 1 + index into e, 0 empty */
    size_t nslots;
    size_t max;             /* distinct keys kept */
    uint64_t over[TALLY_V]; /* what keys past the cap added */
    int capped;             /* a key was refused for the cap */
} tally;

/* An empty tally keeping at most max distinct keys (max < 2^31). */
void tally_init(tally *t, size_t max);
void tally_free(tally *t);
/* *v: the counters of key k[0..len), a new key's zeroed; the tally's `over` counters (and
 * t->capped set) when it is new and the tally holds max keys already. EX_ENOMEM, *v NULL. */
int tally_at(tally *t, const void *k, size_t len, uint64_t **v);
/* The counters of key k[0..len), or NULL if the tally does not hold it. */
uint64_t *tally_find(const tally *t, const void *k, size_t len);
/* The key of entry i (NUL-terminated at its length; composite keys hold NULs inside). */
static inline const char *
tally_key(const tally *t, size_t i)
{
    return t->arena.data + t->e[i].off;
}
/* Entries a and b by their keys' bytes (a prefix first): the order the facts list keys in. */
int tally_key_cmp(const tally *t, size_t a, size_t b);
/* The entries' indexes into a malloc'd array (caller frees; NULL when empty or out of memory:
 * *ok says which), sorted by cmp, which gets the tally as ctx. */
size_t *tally_sorted(tally *t, int (*cmp)(const tally *t, size_t a, size_t b), int *ok);

#endif
