/* log.h - the transparency log over a store (internal constructor; the public calls are in
 * exante.h). */
#ifndef EX_LOG_H
#define EX_LOG_H

#include "store/store.h"

/* Open the log kept in st. origin names it in checkpoints; key (may be NULL for read-only
 * use) signs them. Both are borrowed and must outlive the log. */
int ex_log_open(ex_store *st, const char *origin, const ex_key *key, ex_log **out, ex_err *err);
void ex_log_close(ex_log *g);
/* Sign and store a checkpoint of the current size (done by every append; init uses it for
 * the empty log). Call inside a store transaction. */
int ex_log_sign_checkpoint(ex_log *g);

/* Reload size and open tiles from storage: after the caller rolled back an outer
 * transaction that held appends. */
int ex_log_resync(ex_log *g);

/* Record a message on g for ex_log_errmsg (the part's other files fail through it);
 * returns code. */
int ex_log_fail(ex_log *g, int code, const char *fmt, ...) EX_PRINTF(3, 4);

#endif
