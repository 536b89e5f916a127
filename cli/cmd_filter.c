/* cmd_filter.c - exante filter: the training feed of a snapshot */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: exante filter --snapshot NAME [--out FILE] [--strict] [--format auto|files|jsonl|warc]\n"
    "                     [--text-field F] [--url-field F] [--id-field F] [--license-field F]\n"
    "                     [--fetched-field F] PATH...\n"
    "\n"
    "The training feed: read the inputs again as ingest reads them, recompute each record's\n"
    "content digest from its bytes, and pass on only the members of snapshot NAME, in input\n"
    "order: JSONL lines byte for byte, whole WARC records byte for byte, files as their paths\n"
    "(one a line). All inputs must be of one kind. A record whose content changed since ingest\n"
    "has another digest and is dropped. Give the JSONL field options ingest was given.\n"
    "\n"
    "Output: standard output (plain), or --out FILE, compressed by its name (.gz: gzip, a WARC\n"
    "one member per record; .zst: zstd) and renamed into place only when the run succeeds.\n"
    "The counts (passed, not a member, unreadable) go to stderr, or to stdout with --out;\n"
    "--json gives them as one JSON object: members, inputs, inputs_unreadable, records, passed,\n"
    "not_member, unreadable, bytes, bytes_out, lookup_bytes, seconds. Unreadable records and\n"
    "inputs are reported on stderr and passed over; --strict stops at the first (exit 2, or 3\n"
    "for an input that cannot be read; no output file is made).\n";

static void
report(void *ctx, const char *file, uint64_t offset, uint64_t line, const char *reason)
{
    (void)ctx;
    if (line) /* the reader's reason starts "line N: " */
        cli_err("filter: %s: offset %llu: %s", file, (unsigned long long)offset, reason);
    else if (offset)
        cli_err("filter: %s: offset %llu: %s", file, (unsigned long long)offset, reason);
    else
        cli_err("filter: %s: unreadable: %s", file, reason);
}

static void
summary(cli *c, const ex_filter_stats *st, double secs, FILE *to)
{
    if (c->json) {
        json_t *o = json_pack(
            "{sI sI sI sI sI sI sI sI sI sI sf}", "members", (json_int_t)st->members, "inputs",
            (json_int_t)st->inputs, "inputs_unreadable", (json_int_t)st->inputs_unreadable,
            "records", (json_int_t)st->records, "passed", (json_int_t)st->passed, "not_member",
            (json_int_t)st->not_member, "unreadable", (json_int_t)st->unreadable, "bytes",
            (json_int_t)st->bytes, "bytes_out", (json_int_t)st->bytes_out, "lookup_bytes",
            (json_int_t)st->lookup_bytes, "seconds", secs);
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(4)) : NULL;
        if (s)
            fprintf(to, "%s\n", s);
        free(s);
        json_decref(o);
        return;
    }
    if (c->quiet)
        return;
    fprintf(to,
            "filter: %llu records: %llu passed, %llu not a member, %llu unreadable; %llu "
            "inputs read, %llu unreadable; %.1f MB passed in %.2f s (snapshot of %llu members)\n",
            (unsigned long long)st->records, (unsigned long long)st->passed,
            (unsigned long long)st->not_member, (unsigned long long)st->unreadable,
            (unsigned long long)st->inputs, (unsigned long long)st->inputs_unreadable,
            (double)st->bytes / 1e6, secs, (unsigned long long)st->members);
}

int
cmd_filter(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"snapshot", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"strict", no_argument, NULL, 'S'},
        CLI_INPUT_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ex_filter_opts o = {.fd = STDOUT_FILENO, .report = report};
    cli_inputs in = {0};
    int ch, got;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((got = cli_input_option(ch, optarg, &in)) < 0)
            return cli_usage(usage, "filter: --format is auto, files, jsonl or warc");
        if (got)
            continue;
        switch (ch) {
        case 's': o.snapshot = optarg; break;
        case 'o': o.out = strcmp(optarg, "-") == 0 ? NULL : optarg; break;
        case 'S': o.strict = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "filter: bad option '%s'", argv[optind - 1]);
        }
    }
    if (!o.snapshot)
        return cli_usage(usage, "filter: --snapshot NAME is required");
    if (optind >= argc)
        return cli_usage(usage, "filter: no PATH given");
    o.format = in.format;
    o.text_field = in.text, o.url_field = in.url, o.id_field = in.id;
    o.license_field = in.license, o.fetched_field = in.fetched;
    if (!o.out && isatty(STDOUT_FILENO) && !c->quiet)
        cli_err("filter: writing the feed to the terminal (use --out FILE or a pipe)");
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ex_filter_stats st;
    int rc = ex_ledger_filter(l, (const char *const *)argv + optind, (size_t)(argc - optind), &o,
                              &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    else
        summary(c, &st, secs, o.out ? stdout : stderr);
    ex_ledger_close(l);
    return cli_exit(rc);
}
