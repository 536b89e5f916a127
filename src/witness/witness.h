/* witness.h - internal helpers of the witness part (its directory, shared by the
 * add-checkpoint logic). */
#ifndef EX_WITNESS_H
#define EX_WITNESS_H

#include "core/core.h"

/* Take the witness directory's exclusive lock (blocking); *fd is to be closed to release. */
int ex_witness_lock(ex_witness *w, int *fd, ex_err *err);
/* Write note as origin's latest cosigned checkpoint, atomically (call under the lock). */
int ex_witness_store(ex_witness *w, const char *origin, const char *note, size_t len, ex_err *err);
/* The witness's cosignature line over body at time now (ex_cosig_sign). */
int ex_witness_cosign_line(ex_witness *w, const char *body, size_t len, uint64_t now,
                           char line[EX_COSIG_LINE_MAX], size_t *ll, ex_err *err);
/* The index in w[0..nw) of the key a signature line line[0..ll) (no '\n') names (name and
 * key ID), nw if none or if the line is malformed. Nothing is verified. */
size_t ex_cosig_line_who(const char *line, size_t ll, const ex_vkey *w, size_t nw);
/* The ledger's checkpoint at size with the cosignatures kept for it appended (as
 * ex_ledger_cosigned_dup), or the plain one when it has none: what proofs and attestations
 * embed, so that verifiers asking for witnesses find them. Errors as ex_log_checkpoint_at_dup
 * (in the log's message). */
int ex_ledger_checkpoint_cosigned_dup(ex_ledger *l, uint64_t size, char **note, size_t *len);

#endif
