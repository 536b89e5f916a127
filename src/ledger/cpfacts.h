/* cpfacts.h - the facts of the copyright policy (exante.h, ex_ledger_copyright_facts_dup): the
 * passes (cpfacts.c) and the writer (cpfacts_json.c) share this. docs/COPYRIGHT-POLICY.md
 * defines every count. */
#ifndef EX_LEDGER_CPFACTS_H
#define EX_LEDGER_CPFACTS_H

#include "ledger.h"
#include "tally.h"

#define CPF_CONDS_MAX 64       /* distinct condition names told apart; more: "(other)" */
#define CPF_HOLDERS_MAX 100000 /* distinct opt-out holders counted by name */
#define CPF_HOLDERS_TOP 100    /* holders listed */
#define CPF_PARTNERS_MAX 10000
#define CPF_HOSTS_MAX 1000000 /* distinct kind "\0" host pairs of the captures */

typedef struct cpf {
    ex_ledger *l;
    uint64_t size;    /* the log size the facts are of */
    uint64_t cutoff;  /* the last decision committed by a batch logged below size */
    uint64_t nitems;  /* item ids below this have a bit in seen */
    uint64_t *seen;   /* the item's current decision was counted */
    uint64_t maxitem; /* the largest item a counted decision names */
    ex_fields f;
    ex_store_dec *dec;
    json_t *pols; /* the policy rows below size, in log order, each with "index" and its
                     canonical form parsed as "canon" */
    char conds[CPF_CONDS_MAX][32]; /* condition names seen, in order of first sight */
    size_t nconds;
    uint64_t cond_rejected[CPF_CONDS_MAX + 1]; /* current rejections by condition; [nconds
                                                  at the cap]: "(other)" */
    tally rules; /* policy digest "\0" rule id: v[0] condition + 1, v[1] current decisions */
    uint64_t decided, admitted, rejected, pending, duplicates, unattributed;
    uint64_t carried, carried_near; /* current rejections carried from another occurrence */
    uint64_t items, status[3];      /* items read; of them fetched with 401, 402, 403 */
    tally hosts;                    /* capture kind "\0" host */
    uint64_t captures[2], disallow_all; /* robots.txt, tdmrep.json; robots 5xx or unreachable */
    tally holders, partners;        /* opt-outs by holder, by partner */
    uint64_t optouts, without_holder, trust[4]; /* operator, partner, public, unmatched */
    uint64_t subs[2][3]; /* [optout, complaint][unverified|received, accepted, rejected] */
    json_t *sub_trust;   /* submission id (decimal) -> its view */
} cpf;

/* The index of condition name c among f->conds, added when new; CPF_CONDS_MAX past the cap. */
size_t cpf_cond(cpf *f, const char *c);
/* The facts of f's passes as canonical JSON (malloc'd into *json). Errors with l's message. */
int cpf_write(cpf *f, char **json, size_t *len);

#endif
