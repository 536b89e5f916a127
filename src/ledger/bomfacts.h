/* bomfacts.h - the facts the supply-chain and dataset documents are made of (exante.h,
 * ex_ledger_bom_facts_dup): a snapshot's (bomfacts.c) and a model's (bommodel.c). The keys are
 * docs/EXPORTS.md's "The facts". */
#ifndef EX_LEDGER_BOMFACTS_H
#define EX_LEDGER_BOMFACTS_H

#include "ledger.h"

/* The facts of snapshot `name` into *out (a new object): its record's numbers, the digest of
 * its member listing and of its record, and over the items behind its members (recomputed from
 * the ledger as of its log size, and checked to be its stored leaves: EX_EVERIFY otherwise)
 * their count, bytes, licenses, sources and fetch times. Errors with l's message. */
int bom_snapshot_facts(ex_ledger *l, const char *name, json_t **out);

/* The facts of model `ref` (a name or an id) into *out (a new object): its attestation's entry
 * and statement (subjects, times, code, config), its parents, and the names of its
 * snapshots into *snaps (a new array). Errors with l's message. */
int bom_model_facts(ex_ledger *l, const char *ref, json_t **out, json_t **snaps);

/* o[k] = v, taking v; a NULL v (out of memory) or a failed set clears *ok. */
static inline void
bom_set(json_t *o, const char *k, json_t *v, int *ok)
{
    if (!v || json_object_set_new(o, k, v) != 0)
        *ok = 0;
}

#endif
