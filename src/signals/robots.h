/* robots.h - robots.txt (RFC 9309): parse once, then check many URLs for a list of product
 * tokens, and say which line decided.
 *
 * Semantics, in short (docs/ROBOTS.md has the details and every deviation):
 *   - A group is one or more user-agent lines followed by allow/disallow rules; a user-agent
 *     line after a rule starts a new group. Rules before the first user-agent line are
 *     ignored; other lines (sitemap, crawl-delay, unknown keys) neither end nor start a group.
 *   - The value of a user-agent line is cut at the first character that cannot be in a product
 *     token ([A-Za-z_-]), as Google does ("FooBot/1.0 extra" is FooBot), and compared with the
 *     caller's token case-insensitively. `*` (alone or followed by whitespace) is the global
 *     group. All groups naming a token are merged; if none names it, the `*` groups apply; if
 *     there are none either, everything is allowed.
 *   - Patterns: `*` matches any run of bytes, a final `$` anchors the end, matching starts at
 *     the first byte of the path (URL path + params + query, "/" if empty). The longest pattern
 *     (in bytes, after normalisation) wins; on a tie allow wins; empty patterns match nothing.
 *   - Normalisation: in patterns, %xx escapes get uppercase hex and bytes >= 0x80 are
 *     percent-encoded; in the URL, %xx escapes get uppercase hex and nothing else changes.
 *     The URL is expected in its wire form (percent-encoded, as sent in an HTTP request): a raw
 *     non-ASCII byte in the URL never matches a pattern (RFC 9309 vectors require this).
 *   - /robots.txt is always allowed. Only the first EX_ROBOTS_MAX_BYTES are parsed; lines end
 *     in LF, CR or CRLF; `#` starts a comment; a UTF-8 BOM is skipped; a line may use
 *     whitespace instead of the colon ("disallow /x"); common typos of the keys are accepted.
 *
 * A parsed ex_robots is immutable: any number of threads may check against it at once.
 * Checking does not allocate unless the URL's path is over 4 KiB and needs normalising. */
#ifndef EX_ROBOTS_H
#define EX_ROBOTS_H

#include "core/core.h"

#define EX_ROBOTS_MAX_BYTES (500u * 1024u) /* parsed from the start of a file; the rest ignored */
#define EX_ROBOTS_MAX_LINE 16663u          /* bytes of one line kept (as Google); rest ignored */

/* What a capture says, independent of any URL. */
enum {
    EX_ROBOTS_RULES = 0,        /* a robots.txt body (2xx) */
    EX_ROBOTS_ALLOW_ALL = 1,    /* "unavailable" (3xx after redirects, 4xx): no restriction */
    EX_ROBOTS_DISALLOW_ALL = 2, /* "unreachable" (5xx, network error): complete disallow */
};

typedef struct ex_robots ex_robots;

/* The answer of ex_robots_check. Pointers are borrowed: `rule` lives as long as the
 * ex_robots, `agent` as long as the caller's agents array. */
typedef struct ex_robots_match {
    int allowed;      /* 1 allowed, 0 disallowed */
    unsigned line;    /* 1-based line of the deciding rule; 0: no rule matched */
    const char *rule; /* that line as written, comment and outer whitespace removed,
                         NUL-terminated; NULL when line is 0 */
    size_t rule_len;
    const char *agent; /* the caller's token that decided (the first that disallows, else the
                          first with a matching rule, else the first); "*" with no agents */
    int global;        /* 1 if agent's rules came from the `*` group(s), 0 from its own group */
} ex_robots_match;

/* Parse a robots.txt body (any bytes). Never fails because of the content: EX_ENOMEM is the
 * only error (err says so). Input beyond EX_ROBOTS_MAX_BYTES is ignored, and so is the
 * incomplete last line of the part that is kept. Free with ex_robots_free. */
int ex_robots_parse(const char *txt, size_t len, ex_robots **out, ex_err *err);

/* A capture made from the HTTP status of a robots.txt fetch when there is no body to parse
 * (RFC 9309 2.3.1): 3xx (redirects not followed or more than five) and 4xx give ALLOW_ALL;
 * 5xx, and 0 for "unreachable" (DNS, connection or timeout error), give DISALLOW_ALL.
 * EX_EINVAL for 2xx (parse the body instead), 1xx and anything outside 0..599; EX_ENOMEM. */
int ex_robots_from_status(int http_status, ex_robots **out);

/* EX_ROBOTS_RULES, EX_ROBOTS_ALLOW_ALL or EX_ROBOTS_DISALLOW_ALL. */
int ex_robots_kind(const ex_robots *r);

/* Number of lines the parsed part has (line endings + 1, as Google counts); 0 for status
 * captures. */
unsigned ex_robots_lines(const ex_robots *r);

/* 1 if the body was longer than EX_ROBOTS_MAX_BYTES and its tail was ignored. */
int ex_robots_truncated(const ex_robots *r);

/* Check url[0..url_len) (absolute URL, "//host/path" or a path) for the product tokens
 * agents[0..nagents): disallowed if the rules for ANY of them disallow it, each token
 * evaluated on its own (its groups, else the `*` groups). nagents 0 checks `*` alone; a
 * token "*" means the `*` groups. Writes *m and returns EX_OK; EX_EINVAL for NULL r, m or
 * url (with url_len > 0) or a NULL token; EX_ENOMEM only for a long path (see above). */
int ex_robots_check(const ex_robots *r, const char *const *agents, size_t nagents, const char *url,
                    size_t url_len, ex_robots_match *m);

/* For checking many URLs against one capture with the same tokens: resolve each token to
 * its merged group once (tokens[i] = -1: the `*` groups). EX_EINVAL for NULL arguments. */
int ex_robots_resolve(const ex_robots *r, const char *const *agents, size_t nagents,
                      long *tokens);

/* ex_robots_check with tokens from ex_robots_resolve on the same r and agents (NULL: resolve
 * on the fly); the same answer, without hashing the tokens on every call. */
int ex_robots_check_resolved(const ex_robots *r, const char *const *agents, const long *tokens,
                             size_t nagents, const char *url, size_t url_len,
                             ex_robots_match *m);

/* Accepts NULL. */
void ex_robots_free(ex_robots *r);

#endif
