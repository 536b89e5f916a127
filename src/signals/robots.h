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

#define EX_ROBOTS_MAX_LINE 16663u          /* bytes of one line kept (as Google); rest ignored */

/* EX_ROBOTS_MAX_BYTES, the capture kinds, ex_robots, ex_robots_match and ex_robots_parse,
 * _from_status, _kind, _truncated, _check and _free are public: include/exante.h. */

/* Number of lines the parsed part has (line endings + 1, as Google counts); 0 for status
 * captures. */
unsigned ex_robots_lines(const ex_robots *r);

/* For checking many URLs against one capture with the same tokens: resolve each token to
 * its merged group once (tokens[i] = -1: the `*` groups). EX_EINVAL for NULL arguments. */
int ex_robots_resolve(const ex_robots *r, const char *const *agents, size_t nagents,
                      long *tokens);

/* ex_robots_check with tokens from ex_robots_resolve on the same r and agents (NULL: resolve
 * on the fly); the same answer, without hashing the tokens on every call. */
int ex_robots_check_resolved(const ex_robots *r, const char *const *agents, const long *tokens,
                             size_t nagents, const char *url, size_t url_len,
                             ex_robots_match *m);

#endif
