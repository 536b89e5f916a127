/* license.h - SPDX license expressions (SPDX 2.3 Annex D / SPDX 3.0 "SPDX license
 * expressions"): parse, normalise, JSON structure, and evaluation against license sets as
 * ../shared/POLICY.md defines it. docs/LICENSES.md has the rules in prose.
 *
 * Syntax accepted (strictly the spec's, with the deviations listed in docs/LICENSES.md):
 *   - operators AND, OR, WITH, written all upper or all lower case (`and`, not `And`), with
 *     at least one space on each side; precedence WITH > AND > OR; parentheses;
 *   - license ids from data/spdx/licenses.json, matched case-insensitively and printed in the
 *     list's spelling; `+` straight after a license id (`MIT +` is an error);
 *   - `LicenseRef-X`, `DocumentRef-D:LicenseRef-X`, and after WITH an exception id from
 *     exceptions.json or `[DocumentRef-D:]AdditionRef-X`; the prefixes are case-sensitive,
 *     X and D are [A-Za-z0-9.-]+ (compared case-insensitively by the set evaluation);
 *   - `NONE` and `NOASSERTION` (any case) as the whole expression only;
 *   - spaces only (no tabs or line breaks); spaces before and after the expression are
 *     ignored; at most EX_LICENSE_MAX_LEN bytes and EX_LICENSE_MAX_DEPTH nested parentheses.
 *
 * AND and OR are n-ary in the tree: `(A OR B) OR C` and `A OR (B OR C)` parse to the same
 * tree, OR[A, B, C], and normalise to `A OR B OR C`.
 *
 * Ownership: ex_license and ex_license_set are opaque, made by _parse / _set_new and released
 * with _free / _set_free (both accept NULL). Id strings returned (canonical spellings) are
 * static and live for the whole program. A parsed expression and a set are read-only after
 * they are built, so any number of threads may evaluate them at once. */
#ifndef EX_LICENSE_H
#define EX_LICENSE_H

#include "core/core.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define EX_LICENSE_MAX_LEN 4096 /* bytes of an expression or set member */
#define EX_LICENSE_MAX_DEPTH 64 /* nested parentheses */

/* A parsed expression. */
typedef struct ex_license ex_license;

/* ex_license_err (where and why a parse failed) is public: include/exante.h. */

/* Parse s[0..len) (need not be NUL-terminated). EX_OK and *out; EX_EFORMAT with err filled
 * for any syntax error or unknown id; EX_ETOOBIG (column EX_LICENSE_MAX_LEN + 1) when longer
 * than EX_LICENSE_MAX_LEN; EX_ENOMEM. err may be NULL. */
int ex_license_parse(const char *s, size_t len, ex_license **out, ex_license_err *err);
void ex_license_free(ex_license *l);

/* Number of distinct deprecated ids (deprecated-ids.json) in l; *first_id (may be NULL) gets
 * the first one in order of appearance, or NULL when there is none. */
int ex_license_deprecated(const ex_license *l, const char **first_id);
/* The i-th distinct deprecated id (0-based, order of appearance); NULL when i is out of
 * range. */
const char *ex_license_deprecated_id(const ex_license *l, int i);

/* 1 if l is NONE or NOASSERTION (the policy's license-unknown), else 0. */
int ex_license_is_unknown(const ex_license *l);

/* Append the normalised text to out: list spelling of ids, operators upper case, one space
 * around operators, parentheses only where precedence needs them (an OR inside an AND).
 * parse(normalize(l)) gives a tree equal to l. EX_OK or EX_ENOMEM. */
int ex_license_normalize(const ex_license *l, ex_buf *out);

/* The tree as JSON, shaped like npm spdx-expression-parse's result: {"license": ID} with
 * "plus": true and "exception": ID when present (LicenseRef and DocumentRef as one string,
 * NONE / NOASSERTION as a "license"), {"left": A, "conjunction": "and"|"or", "right": B}
 * nested to the right. A new reference (caller decrefs); NULL when out of memory. */
json_t *ex_license_to_json(const ex_license *l);

/* 1 if a and b are the same tree (ids, '+', exceptions, refs as written, operand order). */
int ex_license_equal(const ex_license *a, const ex_license *b);

/* ---- sets and evaluation ----------------------------------------------------------------
 *
 * A set holds the arguments of a policy rule. A member is a license (`MIT`, `GPL-2.0+`,
 * `GPL-2.0-or-later`, `LicenseRef-x`), a license with an exception (`GPL-2.0-only WITH
 * Classpath-exception-2.0`, one argument) or an exception alone.
 *
 * Versions (docs/LICENSES.md, "Later versions"): ids of one license family and version share
 * a version key (GPL-2.0, GPL-2.0-only, GPL-2.0-or-later and GPL-2.0+ are all "GPL 2.0"); a
 * term or member with `+` or `-or-later` stands for every version key of its family from its
 * own on (GPL-2.0+ = GPL 2.0 or GPL 3.0), the others for their one key. */
typedef struct ex_license_set ex_license_set;

/* An empty set; EX_ENOMEM. */
int ex_license_set_new(ex_license_set **out);
/* Add one member, parsed from the NUL-terminated arg. EX_EFORMAT with err for a syntax error,
 * an unknown id, NONE / NOASSERTION, or anything but one member (`MIT OR X`); EX_ETOOBIG;
 * EX_ENOMEM. The set is unchanged on failure, except after EX_ENOMEM, which may leave part
 * of a `X+ WITH E` member added. */
int ex_license_set_add(ex_license_set *s, const char *arg, ex_license_err *err);
void ex_license_set_free(ex_license_set *s);

/* The normalised spelling of a set member (`mit` -> `MIT`, `gpl-2.0-only with
 * classpath-exception-2.0` -> `GPL-2.0-only WITH Classpath-exception-2.0`), appended to out.
 * Errors as ex_license_set_add. */
int ex_license_member_normalize(const char *arg, ex_buf *out, ex_license_err *err);

/* 1 if l can be satisfied using only members of s: one side of each OR, every AND operand,
 * one version of a `+` term; a term `X WITH E` needs `X WITH E`, or both X and E, in s.
 * 0 otherwise, and always 0 for NONE / NOASSERTION. */
int ex_license_admits(const ex_license *l, const ex_license_set *s);

/* 1 if every way to satisfy l uses a member of s (`reject license SET`); a term `X WITH E`
 * uses member X, member E, and member `X WITH E`. 0 otherwise, and always 0 for NONE /
 * NOASSERTION. */
int ex_license_all_in(const ex_license *l, const ex_license_set *s);

/* ---- the SPDX list ----------------------------------------------------------------------- */

enum { EX_LICENSE_ID_UNKNOWN = 0, EX_LICENSE_ID_LICENSE = 1, EX_LICENSE_ID_EXCEPTION = 2 };

/* Look up one id of the list (case-insensitive; list ids that contain '+', like GPL-2.0+,
 * are found as written). Returns EX_LICENSE_ID_LICENSE, _EXCEPTION or _UNKNOWN; on a match
 * *canonical (may be NULL) gets the list spelling and *deprecated (may be NULL) 1 if it is in
 * deprecated-ids.json. */
int ex_license_id_known(const char *id, size_t len, const char **canonical, int *deprecated);

/* The generated table (src/license/spdx_list.c, written by scripts/gen-spdx.sh from
 * data/spdx/). Read by the license part, its unit test and its benchmark; others use the
 * functions above. */
enum { EX_SPDX_EXCEPTION = 1, EX_SPDX_DEPRECATED = 2, EX_SPDX_OR_LATER = 4 };

typedef struct ex_spdx_entry {
    const char *id;    /* list spelling */
    const char *lower; /* lowercased */
    uint8_t len;
    uint8_t flags;    /* EX_SPDX_* */
    uint16_t key;     /* license: version key; exception: 0 .. ex_spdx_nexceptions - 1 */
    uint16_t key_end; /* license: one past the last version key of its family */
} ex_spdx_entry;

extern const ex_spdx_entry ex_spdx_list[]; /* sorted by lowercased id */
extern const unsigned ex_spdx_count;       /* entries of ex_spdx_list */
extern const unsigned ex_spdx_nkeys;       /* version keys */
extern const unsigned ex_spdx_nexceptions;
extern const unsigned ex_spdx_hash_size; /* a power of two */
extern const unsigned ex_spdx_max_probe;
extern const uint16_t ex_spdx_hash[]; /* list index + 1 per slot, 0 = empty */

/* Index in ex_spdx_list of the id s[0..len) (case-insensitive), or -1. */
int ex_spdx_find(const char *s, size_t len);

/* ---- internal: the tree, shared by the license part's .c files ---------------------------- */

enum { EX_LN_LICENSE = 1, EX_LN_REF, EX_LN_EXCEPTION, EX_LN_SPECIAL, EX_LN_AND, EX_LN_OR };
#define EX_LN_NONE 0xFFFFu /* no node / no exception */
#define EX_LN_EREF 0xFFFEu /* exc: an AdditionRef, text in eref */

typedef struct ex_lnode {
    uint8_t kind;            /* EX_LN_* */
    uint8_t plus;            /* '+' written after the license id */
    uint16_t id;             /* LICENSE: list index; SPECIAL: 0 NONE, 1 NOASSERTION */
    uint16_t exc;            /* list index of the exception after WITH, EX_LN_NONE or EX_LN_EREF;
                                EXCEPTION (an exception alone, set members only): the exception */
    uint16_t lo, hi;         /* LICENSE: the version keys the term may use, [lo, hi) */
    uint16_t ref, ref_len;   /* REF: "[DocumentRef-D:]LicenseRef-X" in the text */
    uint16_t eref, eref_len; /* exc == EX_LN_EREF: "[DocumentRef-D:]AdditionRef-X" */
    uint16_t child, next;    /* AND / OR: first operand; next operand of the parent */
} ex_lnode;

struct ex_license {
    const ex_lnode *nodes;
    const char *text; /* a copy of the input; refs point into it */
    const uint16_t *dep;
    uint16_t root, ndep;
};

/* Parse a set member (mode 1: one license term or one exception alone) or an expression
 * (mode 0). */
int ex_license_parse_mode(const char *s, size_t len, int member, ex_license **out,
                          ex_license_err *err);

#endif
