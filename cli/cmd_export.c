/* cmd_export.c - exante export: the documents the outside world reads. One family, each
 * format in a file of its own: cmd_export_bom.c (spdx, cyclonedx, croissant),
 * cmd_export_eu.c (eu-summary), cmd_export_policy.c (copyright-policy). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante export spdx|cyclonedx|croissant (--snapshot NAME | --model MODEL)\n"
    "                     [--out FILE]\n"
    "       exante export eu-summary --model MODEL [--provider FILE] [--sme]\n"
    "                     [--format md|html|json] [--diff OLD.json] [--out FILE]\n"
    "       exante export copyright-policy [--provider FILE] [--format md|html|json]\n"
    "                     [--out FILE]\n"
    "\n"
    "Documents made from the ledger, every number backed by the log: an SPDX 3.0.1 (AI and\n"
    "Dataset profiles), CycloneDX 1.6 ML-BOM or Croissant description of a snapshot or a\n"
    "model; the EU public summary of a model's training content (AI Act Art. 53(1)(d), the\n"
    "Commission's template); the copyright policy (GPAI Code of Practice, copyright chapter).\n"
    "'exante export FORMAT --help' says more.\n";

int
cmd_export(cli *c, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (argc < 2)
            return cli_usage(usage, "export: expected a format");
        fputs(usage, stdout);
        return EXIT_OKAY;
    }
    const char *f = argv[1];
    if (strcmp(f, "spdx") == 0 || strcmp(f, "cyclonedx") == 0 || strcmp(f, "croissant") == 0)
        return cli_export_bom(c, f, argc - 1, argv + 1);
    if (strcmp(f, "eu-summary") == 0)
        return cli_export_eu(c, argc - 1, argv + 1);
    if (strcmp(f, "copyright-policy") == 0)
        return cli_export_copyright(c, argc - 1, argv + 1);
    return cli_usage(usage, "export: unknown format '%s'", f);
}

int
cli_export_format(cli *c, const char *fmt, int *format)
{
    *format = c->json ? EX_DOC_JSON : EX_DOC_MARKDOWN;
    if (!fmt)
        return 0;
    if (strcmp(fmt, "md") == 0)
        *format = EX_DOC_MARKDOWN;
    else if (strcmp(fmt, "html") == 0)
        *format = EX_DOC_HTML;
    else if (strcmp(fmt, "json") == 0)
        *format = EX_DOC_JSON;
    else
        return -1;
    return 0;
}

int
cli_export_provider(const char *path, const char *what, ex_eu_provider **pv)
{
    char *text = NULL;
    size_t len = 0;
    ex_err e = {0};
    *pv = NULL;
    if (!path)
        return EXIT_OKAY;
    int x = cli_read_file(path, EX_EU_PROVIDER_MAX_BYTES, &text, &len);
    if (x != EXIT_OKAY)
        return x;
    int rc = ex_eu_provider_parse(text, len, pv, &e);
    free(text);
    if (rc != EX_OK) {
        cli_err("%s: %s: %s", what, path, e.msg);
        return cli_exit(rc);
    }
    return EXIT_OKAY;
}
