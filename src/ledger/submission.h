/* submission.h - the body of a submission to the server (an opt-out request or a complaint),
 * read and checked without a ledger (submissions.c; fuzz/fuzz_submission.c), and the receipt
 * note's text. The body's form: docs/SERVER.md. */
#ifndef EX_SUBMISSION_H
#define EX_SUBMISSION_H

#include "core/core.h"

#include <jansson.h>

/* Longest holder, contact or name; longest note; longest complaint message. */
#define EX_SUB_FIELD_MAX 256
#define EX_SUB_NOTE_MAX 4096
#define EX_SUB_MESSAGE_MAX 65536

typedef struct ex_submission {
    json_t *body;         /* the object as sent (owned), its canonical form hashed */
    int optout;           /* 1: an opt-out request, 0: a complaint */
    /* an opt-out request's scope: exactly one of these (borrowed from body) */
    const char *url_prefix, *domain, *digest, *iscc, *text;
    size_t text_len;
    int near;             /* text: a Jaccard threshold in thousandths (0: the policy's) */
    int distance;         /* iscc: the Hamming distance (-1: the default) */
    const char *holder;   /* the rights holder (opt-out), or the complainant's name (NULL) */
    json_t *subject;      /* a complaint's subject object (borrowed), or NULL */
    /* evidence: a digest given, or a file uploaded (decoded, malloc'd) */
    const char *evidence_digest;
    uint8_t *evidence_data;
    size_t evidence_len;
} ex_submission;

/* Read and check body[0..len) as a submission of kind ("optout" or "complaint"). EX_EINVAL
 * with a message naming the key, or the line and column of a JSON syntax error; EX_ENOMEM.
 * Free with ex_submission_free (also after a failure). */
int ex_submission_parse(const char *kind, const char *body, size_t len, ex_submission *out,
                        ex_err *err);
void ex_submission_free(ex_submission *s);

/* The fields of a receipt note's text (text[0..len), the part before the signatures), as
 * canonical JSON (malloc'd): origin, kind, id, submission, received, include_by. EX_EFORMAT
 * naming the line for anything else. */
int ex_receipt_text_parse(const char *text, size_t len, char **json, size_t *jlen, ex_err *err);

/* First line of a receipt's text. */
#define EX_RECEIPT_HEADER "exante-receipt/v1"

#endif
