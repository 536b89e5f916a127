/* cmd_policy.c - exante policy check|adopt|show, signals add, optout add|list, reevaluate */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char policy_usage[] =
    "usage: exante policy check FILE\n"
    "       exante policy adopt FILE\n"
    "       exante policy show\n"
    "\n"
    "check: validate a policy file (syntax, SPDX license ids); errors name the line and\n"
    "column (exit 2); warnings (unreachable rules, no final '*' rule) go to stderr.\n"
    "adopt: check, log its canonical digest and make it the current policy; later ingests\n"
    "decide with it, and 'exante reevaluate' applies it to earlier items.\n"
    "show: the current policy's text (--json: its record: digest, name, rules, adopted, text,\n"
    "canonical). The syntax is in docs/POLICY.md.\n"
    "JSON keys (check, adopt): file, digest, warnings; adopt also index.\n";

static void
print_warnings(const char *path, const char *w)
{
    for (const char *p = w; p && *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stderr, "exante: %s: warning: %.*s\n", path, n, p);
        p = nl ? nl + 1 : p + n;
    }
}

static json_t *
warnings_json(const char *w)
{
    json_t *a = json_array();
    for (const char *p = w; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, n));
        p = nl ? nl + 1 : p + n;
    }
    return a;
}

int
cmd_policy(cli *c, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        if (cli_wants_help(argc, argv)) {
            fputs(policy_usage, stdout);
            return EXIT_OKAY;
        }
        return cli_usage(policy_usage, "policy: expected 'check', 'adopt' or 'show'");
    }
    const char *sub = argv[1];
    if (strcmp(sub, "show") == 0) {
        if (argc != 2)
            return cli_usage(policy_usage, "policy show: takes no arguments");
        ex_ledger *l;
        int x = cli_open(c, 1, &l);
        if (x != EXIT_OKAY)
            return x;
        char *rec;
        size_t len;
        int rc = ex_ledger_policy_show_dup(l, &rec, &len);
        if (rc != EX_OK) {
            cli_err("%s", ex_ledger_errmsg(l));
            ex_ledger_close(l);
            return cli_exit_answer(rc);
        }
        if (c->json) {
            fwrite(rec, 1, len, stdout);
            putchar('\n');
        } else {
            json_t *o = json_loadb(rec, len, 0, NULL);
            printf("# adopted %s, digest %s\n",
                   json_string_value(json_object_get(o, "adopted")),
                   json_string_value(json_object_get(o, "digest")));
            fputs(json_string_value(json_object_get(o, "text")), stdout);
            json_decref(o);
        }
        free(rec);
        ex_ledger_close(l);
        return EXIT_OKAY;
    }
    if (strcmp(sub, "check") != 0 && strcmp(sub, "adopt") != 0)
        return cli_usage(policy_usage, "policy: unknown subcommand '%s'", sub);
    if (argc != 3)
        return cli_usage(policy_usage, "policy %s: expected one FILE", sub);
    const char *path = argv[2];
    size_t len;
    char *text;
    int rx = cli_read_file(path, 64u << 20, &text, &len); /* the parser refuses over 1 MiB */
    if (rx != EXIT_OKAY)
        return rx;
    char digest[EX_DIGEST_STR_BYTES], *warnings = NULL;
    ex_policy_diag d;
    memset(&d, 0, sizeof d);
    /* a `domains FILE` rule's file is read beside the policy file */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    int rc = ex_policy_check_at(text, len, dir, digest, &warnings, &d);
    if (rc == EX_EIO) {
        cli_err("%s:%u: %s", path, d.line, d.msg);
        free(text);
        return cli_exit(rc);
    }
    if (rc == EX_EFORMAT || rc == EX_ETOOBIG || rc == EX_EINVAL) {
        if (d.column)
            cli_err("%s:%u:%u: %s", path, d.line, d.column, d.msg);
        else
            cli_err("%s:%u: %s", path, d.line, d.msg);
        free(text);
        return cli_exit(rc);
    }
    if (rc != EX_OK) {
        cli_err("%s: %s", path, ex_strerror(rc));
        free(text);
        return cli_exit(rc);
    }
    print_warnings(path, warnings);
    uint64_t index = 0;
    if (strcmp(sub, "adopt") == 0) {
        ex_ledger *l;
        int x = cli_open(c, 0, &l);
        if (x != EXIT_OKAY) {
            free(text);
            free(warnings);
            return x;
        }
        rc = ex_ledger_policy_adopt_at(l, text, len, dir, digest, &index, &d);
        if (rc != EX_OK)
            cli_err("%s", ex_ledger_errmsg(l));
        ex_ledger_close(l);
        if (rc != EX_OK) {
            free(text);
            free(warnings);
            return cli_exit(rc);
        }
    }
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "file", json_string(path));
        json_object_set_new(j, "digest", json_string(digest));
        json_object_set_new(j, "warnings", warnings_json(warnings));
        if (strcmp(sub, "adopt") == 0)
            json_object_set_new(j, "index", json_integer((json_int_t)index));
        cli_print_json(j);
    } else if (strcmp(sub, "adopt") == 0) {
        printf("adopted %s (log index %llu)\n", digest, (unsigned long long)index);
        if (!c->quiet)
            printf("new items are decided with it; 'exante reevaluate' applies it to earlier "
                   "ones\n");
    } else {
        printf("%s: ok, digest %s\n", path, digest);
    }
    free(text);
    free(warnings);
    return EXIT_OKAY;
}

static const char signals_usage[] =
    "usage: exante signals add [--host HOST --fetched TIME [--kind robots|tdmrep]\n"
    "                          [--status CODE]] PATH...\n"
    "\n"
    "Log robots.txt and tdmrep.json captures, kept per host and fetch time: items are checked\n"
    "against the capture in force when they were fetched. A WARC file contributes its\n"
    "response records for .../robots.txt and .../.well-known/tdmrep.json (HTTP status kept:\n"
    "4xx means allow all, 5xx disallow all). Plain files need --host and --fetched (RFC 3339);\n"
    "their kind comes from the file name or --kind; --status gives the fetch's HTTP status\n"
    "(default 200; 0 means unreachable).\n"
    "JSON keys: robots, tdmrep, invalid, ignored.\n";

int
cmd_signals(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'},   {"fetched", required_argument, NULL, 'f'},
        {"kind", required_argument, NULL, 'k'},   {"status", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "add") != 0) {
        if (cli_wants_help(argc, argv)) {
            fputs(signals_usage, stdout);
            return EXIT_OKAY;
        }
        return cli_usage(signals_usage, "signals: expected 'add'");
    }
    argc--, argv++;
    ex_signals_opts o = {0};
    uint64_t n;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'H': o.host = optarg; break;
        case 'f': o.fetched = optarg; break;
        case 'k': o.kind = optarg; break;
        case 's':
            if (cli_parse_u64(optarg, &n) || n > 599)
                return cli_usage(signals_usage, "signals add: --status takes 0..599");
            o.status = (int)n;
            o.status_set = 1;
            break;
        case 'h': fputs(signals_usage, stdout); return EXIT_OKAY;
        default: return cli_usage(signals_usage, "signals add: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage(signals_usage, "signals add: no PATH given");
    if (!!o.host != !!o.fetched)
        return cli_usage(signals_usage, "signals add: --host and --fetched go together");
    ex_ledger *l;
    int x = cli_open(c, 0, &l);
    if (x != EXIT_OKAY)
        return x;
    ex_signals_stats st = {0};
    int rc = ex_ledger_signals_add(l, (const char *const *)argv + optind, (size_t)(argc - optind),
                                   &o, &st);
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "robots", json_integer((json_int_t)st.robots));
        json_object_set_new(j, "tdmrep", json_integer((json_int_t)st.tdmrep));
        json_object_set_new(j, "invalid", json_integer((json_int_t)st.invalid));
        json_object_set_new(j, "ignored", json_integer((json_int_t)st.ignored));
        cli_print_json(j);
    } else {
        printf("%llu robots.txt and %llu tdmrep.json captures logged", (unsigned long long)st.robots,
               (unsigned long long)st.tdmrep);
        if (st.invalid)
            printf(", %llu tdmrep.json do not parse (they state nothing)",
                   (unsigned long long)st.invalid);
        printf("\n");
    }
    ex_ledger_close(l);
    return rc == EX_EINVAL || rc == EX_EFORMAT ? EXIT_USAGE : cli_exit(rc);
}

static const char optout_usage[] =
    "usage: exante optout add (--url-prefix URL | --domain DOMAIN | --digest sha256:HEX |\n"
    "                          --work FILE | --text-file FILE | --iscc CODE)\n"
    "                         [--holder NAME] [--evidence FILE] [--near J] [--distance N]\n"
    "       exante optout list\n"
    "       exante optout requests [--kind optout|complaint] [--status S]\n"
    "       exante optout review ID accept|reject [--reason TEXT]\n"
    "\n"
    "Record a rights holder's opt-out; it is logged, and decisions made after it apply it\n"
    "(rule 'optout'): a URL prefix, a domain and its subdomains, a content digest, a work, or\n"
    "an ISCC Text-Code. A work (--work FILE: text or HTML; --text-file FILE: read as plain\n"
    "text) matches its exact digest and its near copies: items whose fingerprint's estimated\n"
    "Jaccard similarity with the work's reaches --near (default: the policy's 'near'). --iscc\n"
    "matches items whose Text-Code is within --distance bits (default 8) of CODE. Earlier\n"
    "decisions are not rewritten: 'exante reevaluate' records new ones.\n"
    "JSON keys (add): index, digest (of the opt-out record). list prints JSONL.\n"
    "\n"
    "requests: the opt-out requests and complaints 'exante serve' took in (JSONL: id, kind,\n"
    "status unverified|accepted|rejected|received, trust, received, entry, body with who sent\n"
    "it). review: decide one by its id (the log index of its entry), logged; accepting an\n"
    "opt-out request logs its opt-out, naming the request.\n";

int
cmd_optout(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"url-prefix", required_argument, NULL, 'u'}, {"domain", required_argument, NULL, 'd'},
        {"digest", required_argument, NULL, 'g'},     {"work", required_argument, NULL, 'w'},
        {"holder", required_argument, NULL, 'H'},     {"evidence", required_argument, NULL, 'e'},
        {"near", required_argument, NULL, 'n'},       {"iscc", required_argument, NULL, 'i'},
        {"text-file", required_argument, NULL, 't'},  {"distance", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    const char *sub;
    int go = cli_subcommand(&argc, &argv, optout_usage, "optout",
                            "'add', 'list', 'requests' or 'review'", &sub);
    if (go != CLI_GO)
        return go;
    if (strcmp(sub, "requests") == 0)
        return cli_optout_requests(c, argc, argv, optout_usage);
    if (strcmp(sub, "review") == 0)
        return cli_optout_review(c, argc, argv, optout_usage);
    ex_optout_opts o = {0};
    o.distance = -1;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'u': o.url_prefix = optarg; break;
        case 'd': o.domain = optarg; break;
        case 'g': o.digest = optarg; break;
        case 'w': o.work = optarg; break;
        case 'H': o.holder = optarg; break;
        case 'e': o.evidence = optarg; break;
        case 'n': {
            char *end;
            errno = 0;
            o.near = strtod(optarg, &end);
            if (errno || *end || !(o.near > 0 && o.near <= 1))
                return cli_usage(optout_usage, "optout add: --near takes a number in (0, 1]");
            break;
        }
        case 'i': o.iscc = optarg; break;
        case 't': o.text_file = optarg; break;
        case 'D': {
            uint64_t v;
            if (cli_parse_u64(optarg, &v) || v > 64)
                return cli_usage(optout_usage, "optout add: --distance takes 0 to 64 (bits)");
            o.distance = (int)v;
            break;
        }
        case 'h': fputs(optout_usage, stdout); return EXIT_OKAY;
        default: return cli_usage(optout_usage, "optout %s: bad option '%s'", sub, argv[optind - 1]);
        }
    }
    if (strcmp(sub, "list") == 0) {
        if (optind != argc)
            return cli_usage(optout_usage, "optout list: takes no arguments");
        ex_ledger *l;
        int x = cli_open(c, 1, &l);
        if (x != EXIT_OKAY)
            return x;
        char *jsonl = NULL;
        size_t len = 0;
        int rc = ex_ledger_optouts_dup(l, &jsonl, &len);
        return cli_emit(l, rc, jsonl, len);
    }
    if (strcmp(sub, "add") != 0)
        return cli_usage(optout_usage, "optout: unknown subcommand '%s'", sub);
    if (optind != argc)
        return cli_usage(optout_usage, "optout add: unexpected argument '%s'", argv[optind]);
    if (!!o.url_prefix + !!o.domain + !!o.digest + !!o.work + !!o.text_file + !!o.iscc != 1)
        return cli_usage(optout_usage, "optout add: give exactly one of --url-prefix, --domain, "
                                       "--digest, --work, --text-file, --iscc");
    if (o.distance >= 0 && !o.iscc)
        return cli_usage(optout_usage, "optout add: --distance goes with --iscc");
    if (o.near > 0 && !o.work && !o.text_file)
        return cli_usage(optout_usage, "optout add: --near goes with --work or --text-file");
    ex_ledger *l;
    int x = cli_open(c, 0, &l);
    if (x != EXIT_OKAY)
        return x;
    uint64_t index;
    char digest[EX_DIGEST_STR_BYTES];
    int rc = ex_ledger_optout_add(l, &o, &index, digest);
    if (rc != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        ex_ledger_close(l);
        return rc == EX_EINVAL ? EXIT_USAGE : cli_exit(rc);
    }
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "index", json_integer((json_int_t)index));
        json_object_set_new(j, "digest", json_string(digest));
        cli_print_json(j);
    } else {
        printf("opt-out logged at index %llu (%s)\n", (unsigned long long)index, digest);
    }
    ex_ledger_close(l);
    return EXIT_OKAY;
}

static const char reeval_usage[] =
    "usage: exante reevaluate\n"
    "\n"
    "Decide earlier items again under the current policy and opt-outs: an item whose latest\n"
    "decision was made under another policy (or is pending) or would now come out differently\n"
    "gets a new decision, logged in batches, naming the one it supersedes; old decisions stay\n"
    "as history. Copies stay copies of their first occurrence.\n"
    "JSON keys as ingest's summary (items = items looked at; admitted, rejected = new\n"
    "decisions).\n";

int
cmd_reevaluate(cli *c, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(reeval_usage, stdout);
        return EXIT_OKAY;
    }
    if (argc != 1)
        return cli_usage(reeval_usage, "reevaluate: takes no arguments");
    ex_ledger *l;
    int x = cli_open(c, 0, &l);
    if (x != EXIT_OKAY)
        return x;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ex_ingest_stats st = {0};
    int rc = ex_ledger_reevaluate(l, &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    if (rc == EX_OK || rc != EX_ENOTFOUND)
        cli_summary(c, l, &st,
                    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                    rc);
    ex_ledger_close(l);
    return rc == EX_ENOTFOUND ? EXIT_USAGE : cli_exit(rc);
}
