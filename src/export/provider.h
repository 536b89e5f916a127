/* provider.h - the provider file of the EU summary (exante.h, ex_eu_provider_parse): what the
 * ledger cannot know, as `key = value` lines (docs/EU-SUMMARY.md "The provider file"). */
#ifndef EX_EXPORT_PROVIDER_H
#define EX_EXPORT_PROVIDER_H

#include "core/core.h"

/* The keys, in the order the file format documents them. A list key may be given on several
 * lines (each line one element); any other key at most once. */
enum {
    PV_PROVIDER_NAME,
    PV_PROVIDER_CONTACT,
    PV_AUTHORISED_REPRESENTATIVE,
    PV_MODEL_VERSION, /* list */
    PV_PLACED_ON_MARKET,
    PV_PREVIOUS_VERSION,   /* list: links to earlier versions of the summary */
    PV_CONTINUES_TRAINING, /* yes|no */
    PV_LANGUAGE,           /* list */
    PV_OTHER_CHARACTERISTICS,
    PV_PUBLIC_DATASETS, /* description of the datasets not listed by name */
    PV_PRIVATE_DATASETS,
    PV_CRAWLER, /* list: crawler names / user agents beyond the policies' agents */
    PV_CRAWLER_PURPOSES,
    PV_CRAWLER_BEHAVIOUR,
    PV_CRAWLED_CONTENT,
    PV_USER_INTERACTIONS, /* yes|no */
    PV_USER_SERVICES,     /* yes|no */
    PV_USER_DATA,
    PV_SYNTHETIC_MODEL, /* list */
    PV_OTHER_SOURCES,
    PV_CODE_OF_PRACTICE, /* yes|no */
    PV_RESERVATION_MEASURES,
    PV_ILLEGAL_CONTENT,
    PV_OTHER_INFORMATION,
    PV_COUNT
};

/* At most this many elements in one list key. */
#define PV_LIST_MAX 1000

struct ex_eu_provider {
    char **v[PV_COUNT]; /* values, NULL-terminated arrays; NULL: absent */
    size_t n[PV_COUNT];
    unsigned line[PV_COUNT]; /* first line of each key, 0 if absent */
};

/* The key's name ("provider_name"), whether it is a list, whether its values are yes|no, and
 * whether it is required. */
const char *pv_name(int k);
int pv_is_list(int k);
int pv_is_bool(int k);
int pv_is_required(int k);
/* The value of key k (its first), or NULL if absent (p may be NULL). */
const char *pv_get(const struct ex_eu_provider *p, int k);
/* yes: 1, no: 0, absent (or p NULL): -1. */
int pv_bool(const struct ex_eu_provider *p, int k);
/* p written back as a provider file (every key that is present, in enum order, a list one
 * element a line), appended to b; it parses to p again. EX_ENOMEM. */
int pv_write(const struct ex_eu_provider *p, ex_buf *b);

#endif
