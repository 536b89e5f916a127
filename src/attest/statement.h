/* statement.h - in-toto Statement v1 (github.com/in-toto/attestation, spec/v1/statement.md),
 * the payload of exante's DSSE envelopes.
 *
 * Written as canonical JSON (src/core/cjson.h), subjects sorted by name:
 *
 *     {"_type":"https://in-toto.io/Statement/v1","predicate":{...},
 *      "predicateType":"<uri>","subject":[{"digest":{"sha256":"<hex>"},"name":"<name>"},...]}
 *
 * exante's statements use a narrow form of the spec, and the reader accepts only that: every
 * subject has exactly a "name" (non-empty, unique) and a "digest" holding exactly "sha256" (64
 * lowercase hex digits); "predicate" is present and an object whose numbers are integers
 * (canonical JSON has no others). Subject order and whitespace in the input are free: the
 * signature, not the spelling, is what a verifier relies on.
 *
 * Names are sorted as bytes (memcmp order, which for UTF-8 is code point order). */
#ifndef EX_STATEMENT_H
#define EX_STATEMENT_H

#include "exante.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define EX_INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
/* Reader and writer limits: subjects in one statement, bytes of a subject name (PATH_MAX) and
 * of a predicateType. */
#define EX_STATEMENT_SUBJECTS_MAX (1u << 20)
#define EX_SUBJECT_NAME_MAX 4096
#define EX_PREDICATE_TYPE_MAX 1024

/* A subject: an artefact's name and its SHA-256. */
typedef struct ex_subject {
    char *name;
    uint8_t sha256[EX_HASH_BYTES];
} ex_subject;

/* A statement as read. subjects are sorted by name; predicate is the parsed object (owned,
 * freed by ex_statement_clear) and predicate_canon its canonical JSON text. */
typedef struct ex_statement {
    ex_subject *subjects;
    size_t nsubjects;
    char *predicate_type;
    json_t *predicate;
    char *predicate_canon;
    size_t predicate_len;
} ex_statement;

/* Compare subjects by name as bytes (for qsort and bsearch over ex_subject arrays). */
int ex_subject_cmp(const void *a, const void *b);

/* The statement of subjects[0..n) (1..EX_STATEMENT_SUBJECTS_MAX, any order, names non-empty
 * UTF-8 of at most EX_SUBJECT_NAME_MAX bytes and unique), predicate_type (a non-empty UTF-8
 * URI, at most EX_PREDICATE_TYPE_MAX bytes) and predicate (JSON text of an object, written in
 * canonical form: keys sorted, integers only), as canonical JSON, malloc'd into *out (caller
 * frees). EX_EINVAL naming what is wrong, EX_ENOMEM. */
int ex_statement_write(const ex_subject *subjects, size_t n, const char *predicate_type,
                       const char *predicate, size_t predicate_len, char **out, size_t *len,
                       ex_err *err);

/* Read a statement from json[0..len) into *out (overwritten; clear it after, also after a
 * failure). EX_EFORMAT with a message saying what is wrong and where ("statement: subject 3:
 * ..."), EX_ETOOBIG past a limit, EX_ENOMEM. */
int ex_statement_parse(const void *json, size_t len, ex_statement *out, ex_err *err);
/* Free what s holds and zero it; accepts a zeroed one. */
void ex_statement_clear(ex_statement *s);

#endif
