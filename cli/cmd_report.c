/* cmd_report.c - exante report: the ledger's facts on one HTML page, or as JSON */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: exante report [--out FILE] [--title TEXT]\n"
    "\n"
    "The ledger on one page, as of its latest checkpoint: items and bytes, the items by their\n"
    "current decision (verdict and rule), every decision by rule over time, the license mix,\n"
    "the top domains by bytes, the sources, the opt-outs and the items they reach, the\n"
    "snapshots, and the attested models with their lineage. One self-contained HTML5 file:\n"
    "inline CSS and SVG charts, no script, nothing fetched; every number sits in an element\n"
    "with a data-k attribute (docs/REPORT.md). Reads every decision and every item once.\n"
    "--out writes FILE (in full, under a temporary name renamed at the end); default: standard\n"
    "output. --title names the page (default: exante ledger). --json: the facts as one JSON\n"
    "object instead (docs/REPORT.md names its keys).\n";

int
cmd_report(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"title", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    ex_report_opts ro = {0};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 't': ro.title = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "report: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(usage, "report: unexpected argument '%s'", argv[optind]);
    if (out && !*out)
        return cli_usage(usage, "report: --out needs a file name");
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    char *stats = NULL, *html = NULL;
    size_t slen = 0, hlen = 0;
    int rc = ex_ledger_report_dup(l, &stats, &slen);
    if (rc != EX_OK)
        return cli_emit(l, rc, NULL, 0);
    ex_ledger_close(l);
    if (!c->json) {
        ex_err e = {0};
        rc = ex_report_html_dup(stats, slen, &ro, &html, &hlen, &e);
        if (rc != EX_OK) {
            cli_err("report: %s", e.msg);
            free(stats);
            return cli_exit(rc);
        }
    } else { /* one line, as the other commands' JSON */
        char *s = realloc(stats, slen + 2);
        if (!s) {
            cli_err("report: out of memory");
            free(stats);
            return EXIT_IO;
        }
        stats = s;
        stats[slen++] = '\n';
        stats[slen] = '\0';
    }
    const char *data = c->json ? stats : html;
    size_t len = c->json ? slen : hlen;
    x = cli_write_out(out, data, len, "report");
    free(stats);
    free(html);
    return x;
}
