/* cmd_export_bom.c - exante export spdx|cyclonedx|croissant: a snapshot or a model as an SPDX
 * 3.0.1, CycloneDX 1.6 or Croissant 1.1 document (docs/EXPORTS.md) */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante export spdx|cyclonedx|croissant (--snapshot NAME | --model MODEL)\n"
    "                     [--out FILE]\n"
    "\n"
    "A snapshot, or a model with the snapshots it was trained on, as a document others read:\n"
    "  spdx       SPDX 3.0.1 JSON-LD, AI and Dataset profiles: a dataset_DatasetPackage per\n"
    "             snapshot, the ai_AIPackage of the model with its weights (SHA-256),\n"
    "             trainedOn its datasets, its parents ancestorOf it, licenses as expressions\n"
    "  cyclonedx  CycloneDX 1.6 ML-BOM: data components, the machine-learning-model\n"
    "             component with its weights and pedigree, the training run as formulation\n"
    "  croissant  Croissant 1.1 JSON-LD with the RAI fields: collection, time frame,\n"
    "             processing, provenance (the sources), the member listing as its file\n"
    "Every number comes from the ledger as the command finds it (its checkpoint is named in\n"
    "the document): members, items, bytes, the license mix of the items (an item without a\n"
    "license makes the whole NOASSERTION), sources and fetch times. The same ledger state gives\n"
    "the same bytes. MODEL is a name (the latest attested with it) or a model id. --out writes\n"
    "FILE (in full, under a temporary name renamed at the end); default: standard output.\n"
    "docs/EXPORTS.md maps the ledger's facts to each format's fields.\n";

int
cli_export_bom(cli *c, const char *format, int argc, char **argv)
{
    static const struct option opts[] = {
        {"snapshot", required_argument, NULL, 's'},
        {"model", required_argument, NULL, 'm'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *snapshot = NULL, *model = NULL, *out = NULL;
    int ch, fmt = ex_bom_format(format);
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': snapshot = optarg; break;
        case 'm': model = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "export %s: bad option '%s'", format, argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(usage, "export %s: unexpected argument '%s'", format, argv[optind]);
    if (!fmt)
        return cli_usage(usage, "export: unknown format '%s'", format);
    if ((!snapshot) == (!model))
        return cli_usage(usage, "export %s: give --snapshot NAME or --model MODEL, one of them",
                         format);
    if ((snapshot && !*snapshot) || (model && !*model))
        return cli_usage(usage, "export %s: --%s needs a name", format,
                         snapshot ? "snapshot" : "model");
    if (out && !*out)
        return cli_usage(usage, "export %s: --out needs a file name", format);
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    char *facts = NULL, *doc = NULL;
    size_t flen = 0, dlen = 0;
    int rc = ex_ledger_bom_facts_dup(l, snapshot, model, &facts, &flen);
    if (rc != EX_OK)
        return cli_emit(l, rc, NULL, 0);
    ex_ledger_close(l);
    ex_err e = {0};
    if ((rc = ex_bom_dup(fmt, facts, flen, &doc, &dlen, &e)) != EX_OK) {
        cli_err("export %s: %s", format, e.msg);
        free(facts);
        return cli_exit(rc);
    }
    free(facts);
    char *d = realloc(doc, dlen + 2); /* one line, as the other commands' JSON */
    if (!d) {
        cli_err("export %s: out of memory", format);
        free(doc);
        return EXIT_IO;
    }
    doc = d;
    doc[dlen++] = '\n';
    doc[dlen] = '\0';
    char what[32];
    snprintf(what, sizeof what, "export %s", format);
    x = cli_write_out(out, doc, dlen, what);
    free(doc);
    return x;
}
