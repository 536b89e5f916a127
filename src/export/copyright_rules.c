/* copyright_rules.c - the rules of a policy in plain language (copyright.h, cp_sentence): one
 * sentence per condition, docs/COPYRIGHT-POLICY.md ("1. The policy in plain language"). A
 * condition is known by its name, so one the parser learns later gets a generic sentence. */
#include "copyright.h"

#include <string.h>

static int
list(ex_buf *b, json_t *a, const char *sep, const char *last)
{
    int rc = 0;
    size_t i, n = json_array_size(a);
    json_t *v;
    json_array_foreach(a, i, v) {
        if (i)
            rc |= ex_buf_puts(b, i + 1 == n ? last : sep);
        rc |= ex_buf_puts(b, json_is_string(v) ? json_string_value(v) : "?");
    }
    return rc;
}

static int
source_test(ex_buf *b, const char *t)
{
    const char *eq = strchr(t, '=');
    if (strcmp(t, "agreement") == 0)
        return ex_buf_puts(b, "have a recorded license agreement");
    if (strcmp(t, "terms") == 0)
        return ex_buf_puts(b, "have recorded terms of use");
    if (eq && strncmp(t, "ml-use=", 7) == 0)
        return ex_buf_printf(b, "record machine-learning use as %s", eq + 1);
    if (eq && strncmp(t, "kind=", 5) == 0)
        return ex_buf_printf(b, "are of kind %s", eq + 1);
    if (eq && strncmp(t, "name=", 5) == 0)
        return ex_buf_printf(b, "are named %s", eq + 1);
    return ex_buf_printf(b, "pass the test %s", t);
}

int
cp_sentence(ex_buf *b, json_t *rule, json_t *agents)
{
    const char *cond = json_string_value(json_object_get(rule, "cond"));
    const char *verdict = json_string_value(json_object_get(rule, "verdict"));
    const char *reason = json_string_value(json_object_get(rule, "reason"));
    json_t *args = json_object_get(rule, "args");
    int admit = verdict && strcmp(verdict, "admit") == 0, rc = 0;
    const char *we = admit ? "We admit" : "We exclude";
    if (!cond)
        cond = "?";
    if (strcmp(cond, "*") == 0)
        rc |= ex_buf_printf(b, "%s every item that no earlier rule decided.", we);
    else if (strcmp(cond, "optout") == 0)
        rc |= ex_buf_printf(b, "%s content covered by a rights holder's opt-out logged before the "
                               "decision: a URL prefix, a domain (with its subdomains), a content "
                               "digest, a work and its near copies, or an ISCC code; a "
                               "reservation on any copy of the content applies to every copy.",
                            we);
    else if (strcmp(cond, "tdm-reserved") == 0)
        rc |= ex_buf_printf(b, "%s content for which a W3C TDMRep reservation was in force when we "
                               "fetched it (tdmrep.json, the tdm-reservation HTTP header or the "
                               "HTML meta tag; the most specific statement wins).",
                            we);
    else if (strcmp(cond, "robots-disallowed") == 0) {
        rc |= ex_buf_printf(b, "%s content whose robots.txt, as captured when we fetched it, "
                               "disallows ",
                            we);
        if (json_array_size(agents)) {
            rc |= ex_buf_puts(b, "any of our crawlers (");
            rc |= list(b, agents, ", ", ", ");
            rc |= ex_buf_puts(b, ")");
        } else
            rc |= ex_buf_puts(b, "all crawlers (its `*` group; the policy names no crawler)");
        rc |= ex_buf_puts(b, " under RFC 9309; a 5xx or unreachable robots.txt counts as "
                             "disallow-all, a 4xx as allow-all.");
    } else if (strcmp(cond, "robots-unknown") == 0)
        rc |= ex_buf_printf(b, "%s content from hosts whose robots.txt we had not captured when "
                               "we fetched it.",
                            we);
    else if (strcmp(cond, "noai") == 0 || strcmp(cond, "noimageai") == 0)
        rc |= ex_buf_printf(b, "%s content whose X-Robots-Tag header or robots meta tag carries "
                               "%s.",
                            we, cond);
    else if (strcmp(cond, "source") == 0) {
        rc |= ex_buf_printf(b, "%s content from sources that ", we);
        size_t i;
        json_t *t;
        json_array_foreach(args, i, t) {
            rc |= i ? ex_buf_puts(b, i + 1 == json_array_size(args) ? " and " : ", ") : 0;
            rc |= source_test(b, json_is_string(t) ? json_string_value(t) : "?");
        }
        rc |= ex_buf_puts(b, ".");
    } else if (strcmp(cond, "license") == 0) {
        rc |= ex_buf_puts(b, admit ? "We admit content whose license terms can be met using only "
                                     "these licenses: "
                                   : "We exclude content whose license terms can only be met "
                                     "using one of these licenses: ");
        rc |= list(b, args, ", ", ", ");
        rc |= ex_buf_puts(b, ".");
    } else if (strcmp(cond, "license-unknown") == 0)
        rc |= ex_buf_printf(b, "%s content whose license is unknown (NOASSERTION, NONE or "
                               "missing).",
                            we);
    else if (strcmp(cond, "near-rejected") == 0)
        rc |= ex_buf_puts(b, "Rejections for robots.txt follow content to its exact copies and "
                             "near-duplicates, like the rights reservations.");
    else if (strcmp(cond, "access-restricted") == 0)
        rc |= ex_buf_printf(b, "%s content that was behind a login, a payment or a refusal when "
                               "we fetched it (HTTP 401, 402 or 403): we do not circumvent "
                               "access restrictions.",
                            we);
    else if (strcmp(cond, "domains") == 0) {
        rc |= ex_buf_printf(b, "%s content from the domains of a list of sites recognised as "
                               "infringing copyright (list ",
                            we);
        rc |= list(b, args, ", ", ", ");
        rc |= ex_buf_puts(b, ").");
    } else {
        rc |= ex_buf_printf(b, "%s content matching the condition %s", we, cond);
        rc |= json_array_size(args) ? ex_buf_puts(b, " ") | list(b, args, " ", " ") : 0;
        rc |= ex_buf_puts(b, ".");
    }
    if (reason)
        rc |= ex_buf_printf(b, " Reason: \"%s\".", reason);
    return rc < 0 ? EX_ENOMEM : EX_OK;
}

