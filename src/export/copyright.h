/* copyright.h - the copyright policy document (exante.h, ex_copyright_policy_dup): the facts
 * are read strictly into the document's JSON (copyright.c), which is the JSON format and what
 * the Markdown (copyright.c) and the HTML page (copyright_html.c) are written from, so the
 * three carry the same numbers. docs/COPYRIGHT-POLICY.md lists the document's keys. */
#ifndef EX_EXPORT_COPYRIGHT_H
#define EX_EXPORT_COPYRIGHT_H

#include "core/core.h"

#include <jansson.h>

/* The protocols of the document's "protocols", in document order: key, title, condition (the
 * policy condition whose rejections count; NULL for the propagation of reservations). */
typedef struct cp_protocol {
    const char *key, *title, *cond;
} cp_protocol;
#define CP_PROTOCOLS 6
extern const cp_protocol cp_protocols[CP_PROTOCOLS];

/* A count of the document (it was made from checked facts: a missing one reads as 0). */
uint64_t cp_num(json_t *o, const char *k);

/* The rule (an element of the canonical form's "rules": cond, verdict, args, reason) as a
 * sentence of plain language, the policy's agents named for robots-disallowed, appended to b.
 * EX_ENOMEM. */
int cp_sentence(ex_buf *b, json_t *rule, json_t *agents);

/* The HTML page of doc (the document's JSON), appended to b. EX_ENOMEM. */
int cp_html(json_t *doc, ex_buf *b);

#endif
