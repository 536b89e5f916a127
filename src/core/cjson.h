/* cjson.h - canonical JSON: the one writer of every record that is hashed or signed.
 *
 * The form is RFC 8785's for the values records hold (no non-integer numbers): object keys
 * sorted by UTF-16 code units, no insignificant whitespace, strings escaped minimally (the
 * two-character forms \" \\ \b \f \n \r \t, \u00xx in lowercase hex for the other controls,
 * everything else literal), integers in the exact range of an IEEE double.
 *
 * Records are written member by member: the caller gives keys in canonical order (for ASCII
 * keys, strcmp order; debug builds check it) and the writer adds the separators. A jansson
 * value (a policy's tree, a proof's claims) is written with ex_cj_json, which sorts its keys.
 * Errors are sticky: the first failure (EX_EINVAL: text that is not UTF-8, an integer out of
 * range, a misplaced key; EX_ENOMEM) is kept, later calls do nothing, and ex_cj_done returns
 * it, so a record is written without a check per member. */
#ifndef EX_CJSON_H
#define EX_CJSON_H

#include "core.h"

#include <jansson.h>
#include <string.h>

/* Largest integer that round-trips through an IEEE double (RFC 8785 numbers). */
#define EX_JSON_INT_MAX 9007199254740991LL
/* Objects and arrays open at once in a member-by-member write (ex_cj_json has no limit). */
#define EX_CJ_DEPTH 16

typedef struct ex_cj {
    ex_buf *b;
    int rc;            /* the first failure, EX_OK until then */
    const char *why;   /* what it was (a static string), for messages */
    unsigned depth;    /* objects and arrays open */
    uint32_t more;     /* bit d: the container at depth d+1 has an element already */
    uint32_t array;    /* bit d: it is an array */
    int keyed;         /* a key was written: the next value is its value */
#ifndef NDEBUG
    const char *last[EX_CJ_DEPTH]; /* each open object's last key (NULL: not known) */
    size_t lastlen[EX_CJ_DEPTH];
#endif
} ex_cj;

/* Start writing into b (appending to what it holds). */
void ex_cj_init(ex_cj *w, ex_buf *b);
/* Open an object or array as the next value; ex_cj_end closes the innermost one. */
void ex_cj_obj(ex_cj *w);
void ex_cj_arr(ex_cj *w);
void ex_cj_end(ex_cj *w);
/* The next member's key (printable ASCII without '"' or '\\'), in canonical order. */
void ex_cj_keyn(ex_cj *w, const char *k, size_t n);
/* Values: the next array element, or the value of the key just written. */
void ex_cj_str(ex_cj *w, const char *s, size_t len);
void ex_cj_int(ex_cj *w, int64_t v);
void ex_cj_null(ex_cj *w);
void ex_cj_bool(ex_cj *w, int v);
/* A jansson value, canonically (its keys sorted here); reals are refused (EX_EINVAL). */
void ex_cj_json(ex_cj *w, const json_t *v);
/* Members written earlier by this writer into another buffer (ex_cj_members_of), appended to
 * the open object as they are; last_key is the last of them (for the order check). */
void ex_cj_members(ex_cj *w, const char *frag, size_t len, const char *last_key);
/* The members of the object b holds, as written by ex_cj from its '{' on and not closed:
 * everything after the '{'. */
static inline const char *
ex_cj_members_of(const ex_buf *b, size_t start, size_t *len)
{
    *len = b->len - start - 1;
    return b->data + start + 1;
}
/* EX_OK if everything written so far is well formed and every container is closed; else the
 * first failure (w->why says what), or EX_EINVAL for a container left open. */
int ex_cj_done(ex_cj *w);

/* Member shorthands: key (a string literal, its length folded at compile time) and value. */
static inline void
ex_cj_key(ex_cj *w, const char *k)
{
    ex_cj_keyn(w, k, strlen(k));
}
static inline void
ex_cj_kstr(ex_cj *w, const char *k, const char *s, size_t len)
{
    ex_cj_keyn(w, k, strlen(k));
    ex_cj_str(w, s, len);
}
/* a NUL-terminated string member; none at all when s is NULL */
static inline void
ex_cj_kopt(ex_cj *w, const char *k, const char *s)
{
    if (s)
        ex_cj_kstr(w, k, s, strlen(s));
}
static inline void
ex_cj_kint(ex_cj *w, const char *k, int64_t v)
{
    ex_cj_keyn(w, k, strlen(k));
    ex_cj_int(w, v);
}

/* The canonical form of a jansson value appended to out / as a malloc'd NUL-terminated string
 * (caller frees; NULL on failure). EX_EINVAL with the reason in err for reals, integers out
 * of range and strings that are not UTF-8. */
int ex_json_canon(const json_t *v, ex_buf *out, ex_err *err);
char *ex_json_canon_dup(const json_t *v, size_t *len, ex_err *err);

/* Whether o is an object holding only the keys listed (NULL-terminated) and at least the
 * first nreq of them: EX_JKEYS_OK, or what is wrong, *key naming the key (strict readers
 * word the message their own way). */
enum { EX_JKEYS_OK = 0, EX_JKEYS_NOT_OBJECT, EX_JKEYS_UNKNOWN, EX_JKEYS_MISSING };
int ex_json_keys_check(json_t *o, const char *const *keys, int nreq, const char **key);

/* Building a jansson value member by member with one check at the end: o[k] = v and the
 * array a given v, each taking v; a failure (v NULL: its own allocation failed, or out of
 * memory) clears *ok. ex_jnum: an unsigned count as a JSON integer. */
static inline void
ex_jset(json_t *o, const char *k, json_t *v, int *ok)
{
    if (!v || json_object_set_new(o, k, v) != 0)
        *ok = 0;
}

static inline void
ex_jpush(json_t *a, json_t *v, int *ok)
{
    if (!v || json_array_append_new(a, v) != 0)
        *ok = 0;
}

static inline json_t *
ex_jnum(uint64_t v)
{
    return json_integer((json_int_t)v);
}

/* A string of the ledger's as a JSON string: text that is not UTF-8 (a damaged record) is
 * named as such rather than dropped. */
static inline json_t *
ex_jtext(const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    return v ? v : json_string("(invalid UTF-8)");
}

#endif
