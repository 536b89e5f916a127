/* cmd_export_eu.c - exante export eu-summary: the EU public summary of a model's training
 * content (AI Act Art. 53(1)(d), the Commission's template; docs/EU-SUMMARY.md) */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante export eu-summary --model MODEL [--provider FILE] [--sme]\n"
    "                     [--format md|html|json] [--diff OLD.json] [--out FILE]\n"
    "\n"
    "The public summary of the training content of MODEL (a name or sha256:<id>) in the\n"
    "structure of the Commission's template (C(2025) 5235): 1 general information (provider,\n"
    "model, modalities and sizes), 2 data sources (public datasets, licensed and other private\n"
    "data, crawled data with its domains, user data, synthetic data, other), 3 data processing\n"
    "(rights reservations honoured, illegal content, other). The content is the members of the\n"
    "snapshots the model's attestation names; every number comes from the ledger, as of its\n"
    "checkpoint (the JSON records it). What the ledger cannot know comes from the provider file\n"
    "(--provider: `key = value` lines, docs/EU-SUMMARY.md and data/provider.example); without\n"
    "it those fields say \"not provided\" (JSON null).\n"
    "\n"
    "--sme          list the top 5% of crawled domains or 1,000, whichever is lower (else 10%)\n"
    "--format F     md (Markdown, default), html (one self-contained page) or json (canonical;\n"
    "               also with exante --json)\n"
    "--diff OLD     a previous JSON summary: add the changes since it; the version is its + 1\n"
    "--out FILE     write FILE (whole, renamed into place); default: standard output\n"
    "\n"
    "The last update date is today's (UTC), or that of $SOURCE_DATE_EPOCH when it is set.\n"
    "Exit 2 for a bad option, an unknown model, a provider file in error (the line named) or\n"
    "an OLD that is not a JSON summary; 3 for I/O errors. Nothing is written on failure.\n";

static int
fail(const char *what, const char *msg, int rc) {
    cli_err("export eu-summary: %s%s%s", what ? what : "", what ? ": " : "", msg);
    return cli_exit(rc);
}

int
cli_export_eu(cli *c, int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"provider", required_argument, NULL, 'p'},
        {"sme", no_argument, NULL, 's'},         {"format", required_argument, NULL, 'f'},
        {"diff", required_argument, NULL, 'd'},  {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *provider = NULL, *diff = NULL, *out = NULL, *fmt = NULL;
    ex_eu_opts eo = {0};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'm': model = optarg; break;
        case 'p': provider = optarg; break;
        case 's': eo.sme = 1; break;
        case 'f': fmt = optarg; break;
        case 'd': diff = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "export eu-summary: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(usage, "export eu-summary: unexpected argument '%s'", argv[optind]);
    if (!model || !*model)
        return cli_usage(usage, "export eu-summary: --model is required");
    if (out && !*out)
        return cli_usage(usage, "export eu-summary: --out needs a file name");
    if (cli_export_format(c, fmt, &eo.format) != 0)
        return cli_usage(usage, "export eu-summary: --format must be md, html or json, not '%s'", fmt);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    uint64_t epoch;
    if (sde && *sde) {
        if (cli_parse_u64(sde, &epoch) != 0 || epoch == 0 || epoch > (uint64_t)INT64_MAX / 2)
            return cli_usage(usage, "export eu-summary: SOURCE_DATE_EPOCH is not a time: '%s'",
                             sde);
        eo.now = (int64_t)epoch;
    }
    char *old = NULL, *facts = NULL, *doc = NULL;
    size_t flen = 0, dlen = 0;
    ex_eu_provider *pv = NULL;
    ex_err e = {0};
    int x = EXIT_OKAY, rc;
    /* the inputs first: an error in them opens no ledger */
    if ((x = cli_export_provider(provider, "export eu-summary", &pv)) != EXIT_OKAY)
        goto out;
    if (diff && (x = cli_read_file(diff, 0, &old, &eo.old_len)) != EXIT_OKAY)
        goto out;
    eo.provider = pv;
    eo.old_json = old;
    ex_ledger *l;
    if ((x = cli_open(c, 1, &l)) != EXIT_OKAY)
        goto out;
    if ((rc = ex_ledger_eu_facts_dup(l, model, &facts, &flen)) != EX_OK) {
        x = fail(NULL, ex_ledger_errmsg(l), rc);
        ex_ledger_close(l);
        goto out;
    }
    ex_ledger_close(l);
    if ((rc = ex_eu_summary_dup(facts, flen, &eo, &doc, &dlen, &e)) != EX_OK) {
        x = fail(diff && strncmp(e.msg, "old:", 4) == 0 ? diff : NULL, e.msg, rc);
        goto out;
    }
    x = cli_write_out(out, doc, dlen, "export eu-summary");
out:
    ex_eu_provider_free(pv);
    free(old);
    free(facts);
    free(doc);
    return x;
}
