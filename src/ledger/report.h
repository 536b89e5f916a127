/* report.h - the report's passes (report.c) and its writer (report_json.c): what they share. */
#ifndef EX_LEDGER_REPORT_H
#define EX_LEDGER_REPORT_H

#include "ledger.h"
#include "tally.h"

/* Distinct keys each tally keeps (tally.h); what comes after the cap is counted in its `over`
 * counters and the table is named in the report's "capped". The distinct hosts are capped at a
 * million (about 60 MiB with their names): past that, domains_total is a lower bound and
 * hosts first seen later are not in the top 20. */
#define REPORT_DOMAINS_MAX 1000000
#define REPORT_LICENSES_MAX 100000
#define REPORT_RULES_MAX 10000
#define REPORT_TIMES_MAX 200000 /* days x rules */
#define REPORT_SOURCES_MAX 100000
#define REPORT_DOMAINS_TOP 20

/* decisions first .. last were committed by batches logged on day (YYYY-MM-DD, or "unknown") */
typedef struct day_run {
    uint64_t first, last;
    char day[11];
} day_run;

typedef struct optout {
    uint64_t index;                   /* log index of its entry */
    char digest[EX_DIGEST_STR_BYTES]; /* of its record: how the evaluator names it */
    json_t *rec;
    uint64_t reached; /* items it is the first to reach (ex_peval_optout) */
} optout;

struct ex_policy;
struct ex_peval;

typedef struct rep {
    ex_ledger *l;
    uint64_t size;    /* the log size the report is as of */
    uint64_t cutoff;  /* the last decision committed by a batch logged below size */
    uint64_t nitems;  /* item ids below this have a bit in seen */
    uint64_t *seen;   /* the item's current decision was counted */
    uint64_t maxitem; /* the largest item a counted decision names */
    day_run *runs;    /* sorted by first once read */
    size_t nruns, capruns, at;
    ex_fields f; /* the fields of the table being read */
    ex_buf key;  /* a composite key being made */
    ex_store_dec *dec;
    uint64_t items, bytes, decisions, admitted, rejected, pending, duplicates;
    tally rules;    /* current decisions by rule "\0" verdict: count */
    tally times;    /* every decision by day "\0" rule: count */
    tally licenses; /* items, bytes */
    tally domains;  /* items, bytes */
    tally sources;  /* items, bytes, admitted, rejected */
    optout *opt;    /* sorted by digest once read */
    size_t nopt, capopt;
    uint64_t optout_items; /* items some opt-out reaches */
    struct ex_policy *pol;
    struct ex_peval *ev;
    json_t *srcs; /* the source records, in log order */
} rep;

/* The report of r's passes as canonical JSON (malloc'd into *json). Errors with l's message. */
int report_write(rep *r, char **json, size_t *len);

#endif
