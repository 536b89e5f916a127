/* tdm.h - the W3C TDM Reservation Protocol (TDMRep, Final Community Group Report, 10 May 2024):
 * the `tdm-reservation` / `tdm-policy` HTTP header fields, the HTML meta tags of the same names,
 * the /.well-known/tdmrep.json file, and the processing priority between them.
 *
 * A declaration is a reservation value (1: TDM rights are reserved, 0: they are not, anything
 * else: a protocol error that counts as unset) and an optional policy URL. The report's
 * processing priority (section 6.7) lets later techniques supersede earlier ones: the header
 * supersedes the file, HTML meta supersedes both, and absence resets nothing (docs/SIGNALS.md
 * quotes it and gives the details). */
#ifndef EX_TDM_H
#define EX_TDM_H

#include "core/core.h"

enum { EX_TDM_FROM_NONE = 0, EX_TDM_FROM_FILE = 1, EX_TDM_FROM_HEADER = 2, EX_TDM_FROM_META = 3 };

#define EX_TDM_POLICY_MAX 512 /* a policy URL, with its NUL; longer ones are not kept */

typedef struct ex_tdm {
    int reservation;                /* -1 not stated (or not 0/1), 0 or 1 */
    char policy[EX_TDM_POLICY_MAX]; /* the tdm-policy URL, trimmed; "" if none */
    int source;                     /* EX_TDM_FROM_*: NONE when nothing TDM was found */
} ex_tdm;

/* Set *t to "nothing stated": reservation -1, policy "", source NONE. */
void ex_tdm_clear(ex_tdm *t);

/* The tdm-reservation and tdm-policy fields of a raw response head hdrs[0..len) (status line,
 * fields, optional empty line; may be cut; hdrs may be NULL when len is 0). Field names are
 * case-insensitive, values trimmed; repeated fields and comma-separated values add up: any "1"
 * gives 1, else any "0" gives 0, else -1; the first non-empty tdm-policy that fits is kept.
 * out->source is EX_TDM_FROM_HEADER when either field is present, else NONE. Returns EX_OK, or
 * EX_EINVAL if out is NULL. */
int ex_tdm_from_headers(const char *hdrs, size_t len, ex_tdm *out);

/* The same from the <meta name="tdm-reservation"> and <meta name="tdm-policy"> tags of an HTML
 * head html[0..len) (see html.h for what is scanned); source EX_TDM_FROM_META. */
int ex_tdm_from_html(const char *html, size_t len, ex_tdm *out);

/* Combine the three techniques by the spec's processing priority. Any argument but out may be
 * NULL (= nothing stated). The reservation is the one of the last source, in the order file,
 * header, meta, whose reservation is 0 or 1 (out->source says which; -1 and NONE if none);
 * the policy is likewise the last non-empty one, kept only when the reservation is 1 (the spec:
 * agents should not process a policy when rights are not reserved). */
void ex_tdm_resolve(const ex_tdm *file, const ex_tdm *header, const ex_tdm *meta, ex_tdm *out);

/* ---- tdmrep.json ------------------------------------------------------------------------- */

#define EX_TDMREP_MAX_BYTES (512u * 1024) /* a larger file is refused (EX_ETOOBIG) */
#define EX_TDMREP_MAX_RULES 10000
#define EX_TDMREP_LOCATION_MAX 2048  /* bytes of one location pattern */
#define EX_TDMREP_URL_MAX (1u << 20) /* a longer URL is refused by the match */

/* A parsed tdmrep.json: its rules in file order, with their patterns prepared for matching. */
typedef struct ex_tdmrep ex_tdmrep;

/* Parse a tdmrep.json body json[0..len): a JSON array of objects, each with a string
 * "location" (starting with '/' or '*', at most EX_TDMREP_LOCATION_MAX bytes), a mandatory
 * "tdm-reservation" and an optional string "tdm-policy" (other members are ignored). A
 * tdm-reservation of 1 / true reserves, 0 / false does not; any other value keeps its rule
 * with reservation -1 (the spec: other values count as unset). A UTF-8 BOM is skipped. EX_EFORMAT
 * with a message naming the rule (1-based) or the JSON error position; EX_ETOOBIG over
 * EX_TDMREP_MAX_BYTES or EX_TDMREP_MAX_RULES; EX_ENOMEM. Free with ex_tdmrep_free. */
int ex_tdmrep_parse(const char *json, size_t len, ex_tdmrep **out, ex_err *err);

/* Find the rule for a URL ("scheme://authority/path?query#fragment") or an absolute path
 * ("/path?query") url[0..len): the first rule in file order whose location matches the path
 * and query (the fragment is dropped, an empty path is "/"). On a match *out gets the rule's
 * reservation and policy with source EX_TDM_FROM_FILE, *index (may be NULL) its 0-based
 * position, and EX_OK is returned. EX_ENOTFOUND when no rule matches: *out is then cleared
 * (nothing stated) and *index untouched. EX_EINVAL for a NULL argument or an input that is
 * neither a URL nor a path, EX_ETOOBIG over EX_TDMREP_URL_MAX. Does not allocate for URLs up to
 * a few KiB. */
int ex_tdmrep_match(const ex_tdmrep *t, const char *url, size_t len, ex_tdm *out, unsigned *index);

/* Number of rules, and rule i as written: location (NUL-terminated), reservation (-1, 0, 1)
 * and policy ("" if none). The strings live as long as t. EX_ERANGE if i >= count. */
size_t ex_tdmrep_count(const ex_tdmrep *t);
int ex_tdmrep_rule(const ex_tdmrep *t, size_t i, const char **location, int *reservation,
                   const char **policy);

void ex_tdmrep_free(ex_tdmrep *t);

#endif
