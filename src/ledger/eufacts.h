/* eufacts.h - the EU summary's facts (exante.h, ex_ledger_eu_facts_dup): what eufacts.c (the
 * snapshots' members and their items), eureserv.c (the reservation counts) and eufacts_json.c
 * (the writer) share. */
#ifndef EX_LEDGER_EUFACTS_H
#define EX_LEDGER_EUFACTS_H

#include "attest.h"
#include "snapshot.h"
#include "tally.h"

#define EUF_HOSTS_MAX 1000000
#define EUF_TYPES_MAX 1000
#define EUF_SOURCES_MAX 100000

enum { M_AUDIO, M_IMAGE, M_TEXT, M_VIDEO };

typedef struct pick {
    uint8_t d[EX_HASH_BYTES];
    uint64_t item;
} pick;

typedef struct src {
    json_t *rec;
    uint64_t items[4], bytes[4];
    int64_t first, last; /* fetched, seconds; first > last: none */
    uint64_t unfetched;
    int used;
} src;

typedef struct euf {
    ex_ledger *l;
    pick *p;
    size_t np, capp;
    uint64_t nitems, *want, maxitem;
    ex_fields f;
    ex_store_dec *dec;
    src *s;
    size_t ns;
    tally types; /* modality "\0" content type: items, bytes */
    tally hosts; /* crawled items' hosts: items, bytes */
    tally rules; /* policy digest "\0" rule id: 1 + the reservation's index */
    uint64_t nohost, counted, seen_n;
    uint64_t *seen;
    uint64_t cutoff, below; /* the last decision committed below `below`, the last log size */
    uint64_t res[5];
    json_t *agents;    /* the robots.txt agents of the policies the snapshots name */
    unsigned honoured; /* bit i: reserv[i] is a rule of one of those policies */
    json_t *snaps;     /* per snapshot: its record, parsed */
    /* the text's words (near rows): the sum over the members; a bit per item whose row
     * counts them; text members without a count (and their bytes), and those over 8 MiB (and
     * their bytes past it, not read for words) */
    uint64_t words, *worded, w_none, w_none_bytes, w_cut, w_cut_bytes;
} euf;

/* the modalities (by content type) and the reservation rules, in the facts' order */
extern const char *const euf_modality[4];
extern const char *const euf_reserv[5];

/* EX_ENOMEM with e's ledger's message */
int euf_oom(euf *e);
/* the source record named name (the last of that name), or NULL */
src *euf_source(euf *e, const char *name);
/* Scan table below id `to` with the fields at paths (decisions newest first, as stored; the
 * others in id order), errors with the ledger's message. */
int euf_scan(euf *e, int table, uint64_t to, const char *const *paths, unsigned n,
             ex_record_visit fn);
/* The reservation counts (eureserv.c): after the items, the current decisions as of the last
 * snapshot of the sources used. Errors with the ledger's message. */
int euf_reservations(euf *e);
/* The facts as canonical JSON into b (eufacts_json.c): a the attestations, at the model's. */
int euf_write(euf *e, const att *v, size_t n, size_t at, ex_buf *b);

#endif
