/* attest.h - training runs and models inside the ledger: the attestations logged (attest.c)
 * and what is read back of them (models.c). */
#ifndef EX_LEDGER_ATTEST_H
#define EX_LEDGER_ATTEST_H

#include "ledger.h"

#define ATT_MAX_LINKS 64 /* snapshots, and parents, of one run */

/* An attestation's log entry, as read back. */
typedef struct att {
    uint64_t log_index;
    char envelope[EX_DIGEST_STR_BYTES]; /* the envelope's SHA-256 */
    char model[EX_DIGEST_STR_BYTES];
    char name[EX_MODEL_NAME_MAX + 1];
    char kind[16];
    char (*parents)[EX_DIGEST_STR_BYTES]; /* models of the ledger */
    size_t nparents;
    char (*external)[EX_DIGEST_STR_BYTES];
    size_t nexternal;
    struct att_snap {
        uint64_t log_index;
        char name[129];
    } *snapshots;
    size_t nsnapshots;
    uint64_t retired;   /* log index of its retirement + 1, 0 if not retired */
    char *reason;       /* the retirement's reason */
} att;

/* Every attestation in log order, with retirements applied, into *out (free with att_free). */
int att_load(ex_ledger *l, att **out, size_t *n);
void att_free(att *a, size_t n);
/* The attestation of model `ref` (a name: the latest of that name; or "sha256:<hex>"): its
 * position in a, or EX_ENOTFOUND with a message. */
int att_find(ex_ledger *l, const att *a, size_t n, const char *ref, size_t *at);

#endif
