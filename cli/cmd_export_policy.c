/* cmd_export_policy.c - exante export copyright-policy: the copyright policy the GPAI Code of
 * Practice's copyright chapter asks for, made from the ledger (docs/COPYRIGHT-POLICY.md) */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante export copyright-policy [--provider FILE] [--format md|html|json]\n"
    "                     [--out FILE]\n"
    "\n"
    "The copyright policy (GPAI Code of Practice, copyright chapter) as the ledger records it:\n"
    "the current adopted policy rule by rule in plain language, with its digest and the log\n"
    "index it was adopted at, and the earlier policies; the rights reservations honoured\n"
    "(robots.txt with the crawlers named, TDMRep, noai, opt-outs by trust) with the items\n"
    "each rejects now and the captures logged; piracy-domain lists and access-restricted\n"
    "content; the point of contact and the complaint mechanism, with the submissions received\n"
    "by status. Every count is of the log's checkpoint when the command starts (the JSON\n"
    "records it); docs/COPYRIGHT-POLICY.md defines each one. Without an adopted policy the\n"
    "document says so (it is not an error).\n"
    "\n"
    "--provider FILE  the provider file of `export eu-summary` (docs/EU-SUMMARY.md): the\n"
    "                 provider's name and contact; without it they say \"not provided\"\n"
    "--format F       md (Markdown, default), html (one self-contained page) or json\n"
    "                 (canonical; also with exante --json)\n"
    "--out FILE       write FILE (whole, renamed into place); default: standard output\n"
    "\n"
    "Exit 2 for a bad option or a provider file in error (the line named), 3 for I/O errors.\n"
    "Nothing is written on failure.\n";

static int
fail(const char *what, const char *msg, int rc)
{
    cli_err("export copyright-policy: %s%s%s", what ? what : "", what ? ": " : "", msg);
    return cli_exit(rc);
}

int
cli_export_copyright(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"provider", required_argument, NULL, 'p'}, {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *provider = NULL, *out = NULL, *fmt = NULL;
    ex_cp_opts co = {0};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'p': provider = optarg; break;
        case 'f': fmt = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default:
            return cli_usage(usage, "export copyright-policy: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(usage, "export copyright-policy: unexpected argument '%s'", argv[optind]);
    if (out && !*out)
        return cli_usage(usage, "export copyright-policy: --out needs a file name");
    if (provider && !*provider)
        return cli_usage(usage, "export copyright-policy: --provider needs a file name");
    if (cli_export_format(c, fmt, &co.format) != 0)
        return cli_usage(usage, "export copyright-policy: --format must be md, html or json, not '%s'", fmt);
    char *facts = NULL, *doc = NULL;
    size_t flen = 0, dlen = 0;
    ex_eu_provider *pv = NULL;
    ex_err e = {0};
    int x = EXIT_OKAY, rc;
    ex_ledger *l;
    /* the provider file first: an error in it opens no ledger */
    if ((x = cli_export_provider(provider, "export copyright-policy", &pv)) != EXIT_OKAY)
        goto out;
    co.provider = pv;
    if ((x = cli_open(c, 1, &l)) != EXIT_OKAY)
        goto out;
    if ((rc = ex_ledger_copyright_facts_dup(l, &facts, &flen)) != EX_OK) {
        x = fail(NULL, ex_ledger_errmsg(l), rc);
        ex_ledger_close(l);
        goto out;
    }
    ex_ledger_close(l);
    if ((rc = ex_copyright_policy_dup(facts, flen, &co, &doc, &dlen, &e)) != EX_OK) {
        x = fail(NULL, e.msg, rc);
        goto out;
    }
    x = cli_write_out(out, doc, dlen, "export copyright-policy");
out:
    ex_eu_provider_free(pv);
    free(facts);
    free(doc);
    return x;
}
