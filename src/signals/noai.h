/* noai.h - the "noai" / "noimageai" directives, and the HTTP header field walk that the signal
 * checks share.
 *
 * noai and noimageai are a convention that DeviantArt started in November 2022 and that many
 * sites copied: robots directives saying that the page (noai) or its images (noimageai) may not
 * be used to train AI. They appear where other robots directives do:
 *
 *   X-Robots-Tag: noai, noimageai                 every agent
 *   X-Robots-Tag: GPTBot: noai                     only the agent GPTBot
 *   <meta name="robots" content="noai, noimageai"> every agent
 *   <meta name="GPTBot" content="noai">            only the agent GPTBot
 *
 * See docs/SIGNALS.md for the exact rules. */
#ifndef EX_NOAI_H
#define EX_NOAI_H

#include "core/core.h"

/* ---- header fields ----------------------------------------------------------------------- */

/* Called for each header field: the name (trimmed, as written) and the value from after the
 * colon to the end of its last continuation line (obs-fold lines are part of it, so the value
 * may hold CR, LF, SP and HT that a consumer treats as whitespace; not trimmed). Return 0 to go
 * on, anything else to stop. */
typedef int (*ex_field_fn)(void *ctx, const char *name, size_t nlen, const char *value,
                           size_t vlen);

/* Walk the header fields of a raw response head hdrs[0..len): a first line starting with
 * "HTTP/" (the status line) is skipped, lines end in LF or CRLF, the walk stops at the first
 * empty line; lines starting with SP or HT continue the field before them; lines without a
 * colon are ignored; a last line cut off without its LF counts as a whole line. When firsts is
 * not NULL only fields whose name starts with one of its bytes are reported (a cheap filter:
 * "tT" for tdm-*). Returns 0, or the first non-zero value of cb. Never reads past len. */
int ex_signals_fields(const char *hdrs, size_t len, const char *firsts, ex_field_fn cb, void *ctx);

/* ---- noai ---------------------------------------------------------------------------------- */

enum { EX_NOAI_FROM_NONE = 0, EX_NOAI_FROM_HEADER = 1, EX_NOAI_FROM_META = 2 };

#define EX_NOAI_WHERE_MAX 128

typedef struct ex_noai {
    int noai;      /* 1 if a noai directive applies to one of the agents */
    int noimageai; /* 1 if noimageai or noai applies (noai covers images too) */
    int from;      /* EX_NOAI_FROM_*: where the evidence below was found */
    /* the field or tag that carried it, printable ASCII, NUL-terminated, e.g.
     * "X-Robots-Tag: GPTBot: noai" or "<meta name=robots content=noai, noimageai>"; when both
     * flags are set it is the evidence for noai; "" when neither is set */
    char where[EX_NOAI_WHERE_MAX];
} ex_noai;

/* Look for noai / noimageai in the X-Robots-Tag fields of the raw response head
 * hdrs[0..hlen) and in the <meta> tags of the HTML head html[0..htmllen) (either may be NULL
 * with length 0). Directives without an agent (a plain X-Robots-Tag, meta name "robots")
 * apply to every agent; directives for an agent ("X-Robots-Tag: GPTBot: noai",
 * meta name "GPTBot") apply only when that agent is one of agents[0..nagents) (compared ASCII
 * case-insensitively). Header evidence is preferred to meta evidence. Returns EX_OK, or
 * EX_EINVAL if out is NULL or an agent is NULL. */
int ex_noai_check(const char *hdrs, size_t hlen, const char *html, size_t htmllen,
                  const char *const *agents, size_t nagents, ex_noai *out);

#endif
