/* cmd_robots.c - exante robots: check a URL against a robots.txt (RFC 9309) */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante robots [--json] FILE AGENT URL\n"
    "       exante robots [--json] --status CODE AGENT URL\n"
    "\n"
    "Check URL against the robots.txt in FILE ('-': standard input) for the product token\n"
    "AGENT, or a comma-separated list of tokens: the URL is disallowed if the rules for any\n"
    "of them disallow it. Prints 'allowed' or 'disallowed' and the line that decided.\n"
    "--status makes the capture from the HTTP status of a robots.txt fetch that has no body\n"
    "to parse: 3xx and 4xx allow everything, 5xx and 0 (unreachable) disallow everything.\n"
    "Give URL percent-encoded, as it is sent over HTTP.\n"
    "\n"
    "exit status: 0 allowed; 1 disallowed; 2 usage error; 3 FILE cannot be read.\n";

/* s[0..n) with control bytes as \xNN, so a hostile robots.txt cannot drive the terminal. */
static void
print_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

int
cmd_robots(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"status", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *status_arg = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': status_arg = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "robots: bad option '%s'", argv[optind - 1]);
        }
    }
    int want = status_arg ? 2 : 3;
    if (argc - optind != want)
        return cli_usage(usage, "robots: expected %s AGENT URL",
                         status_arg ? "--status CODE" : "FILE");
    const char *file = status_arg ? NULL : argv[optind];
    const char *agent_arg = argv[argc - 2], *url = argv[argc - 1];

    /* the agent list: comma-separated, spaces around names ignored, empty names skipped */
    char *agents_buf = strdup(agent_arg);
    size_t cap = 1;
    for (const char *p = agent_arg; *p; p++)
        cap += *p == ',';
    const char **agents = malloc(cap * sizeof *agents);
    if (!agents_buf || !agents) {
        free(agents_buf);
        free(agents);
        cli_err("out of memory");
        return cli_exit(EX_ENOMEM);
    }
    size_t nagents = 0;
    for (char *s = agents_buf, *next; s; s = next) {
        next = strchr(s, ',');
        if (next)
            *next++ = '\0';
        while (*s == ' ' || *s == '\t')
            s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (*s)
            agents[nagents++] = s;
    }

    ex_robots *r = NULL;
    int x = EXIT_OKAY, status = 0;
    if (status_arg) {
        uint64_t v;
        if (cli_parse_u64(status_arg, &v) != 0 || v > 599) {
            x = cli_usage(usage, "robots: --status wants an HTTP status code (0 for unreachable)");
            goto out;
        }
        status = (int)v;
        int rc = ex_robots_from_status(status, &r);
        if (rc == EX_EINVAL) {
            x = cli_usage(usage, "robots: status %d %s", status,
                          status >= 200 && status <= 299 ? "has a body: give the file instead"
                                                         : "is not a final fetch result");
            goto out;
        }
        if (rc != EX_OK) {
            cli_err("%s", ex_strerror(rc));
            x = cli_exit(rc);
            goto out;
        }
    } else {
        char *txt = NULL;
        size_t len = 0;
        if ((x = cli_read_file(file, 0, &txt, &len)) != EXIT_OKAY)
            goto out;
        ex_err e = {0};
        int rc = ex_robots_parse(txt, len, &r, &e);
        free(txt);
        if (rc != EX_OK) {
            cli_err("%s", e.msg);
            x = cli_exit(rc);
            goto out;
        }
        if (ex_robots_truncated(r) && !c->quiet)
            cli_err("warning: only the first %u bytes of '%s' were read (RFC 9309 limit)",
                    EX_ROBOTS_MAX_BYTES, file);
    }

    ex_robots_match m;
    int rc = ex_robots_check(r, agents, nagents, url, strlen(url), &m);
    if (rc != EX_OK) {
        cli_err("%s", ex_strerror(rc));
        x = cli_exit(rc);
        goto out;
    }
    if (c->json) {
        char *doc;
        size_t len;
        if ((rc = ex_robots_match_json_dup(&m, &doc, &len)) != EX_OK) {
            cli_err("%s", ex_strerror(rc));
            x = cli_exit(rc);
            goto out;
        }
        fwrite(doc, 1, len, stdout);
        putchar('\n');
        free(doc);
    } else {
        puts(m.allowed ? "allowed" : "disallowed");
        if (m.line) {
            printf("line %u: ", m.line);
            print_text(m.rule, m.rule_len);
            if (!m.global)
                printf(" (group for %s)\n", m.agent);
            else if (strcmp(m.agent, "*") == 0)
                printf(" (group for *)\n");
            else
                printf(" (group for *; no group for %s)\n", m.agent);
        } else if (status_arg && m.allowed == (ex_robots_kind(r) == EX_ROBOTS_ALLOW_ALL)) {
            printf("no rule matched: HTTP %d, robots.txt %s\n", status,
                   m.allowed ? "unavailable: no restrictions" : "unreachable: complete disallow");
        } else {
            puts("no rule matched");
        }
    }
    x = m.allowed ? EXIT_OKAY : EXIT_NO;
out:
    ex_robots_free(r);
    free(agents);
    free(agents_buf);
    return x;
}
