/* cmd_iscc.c - exante iscc: the ISCC Text-Code of a work, the code a rights holder gives to
 * opt a text out by content rather than by URL (docs/FORMATS.md "ISCC Text-Code"). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante iscc [--bits N] [--json] FILE\n"
    "\n"
    "Print the ISCC Text-Code (ISO 24138, as iscc-core's gen_text_code_v0) of the text in\n"
    "FILE ('-': standard input), read as UTF-8: each invalid sequence counts as one U+FFFD.\n"
    "--bits N: the digest's length, 64 (default) to 256 in steps of 32. --json prints\n"
    "{\"characters\": code points after collapsing, \"iscc\": the code}.\n"
    "\n"
    "exit status: 0 ok; 2 usage error; 3 FILE cannot be read.\n";

int
cmd_iscc(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"bits", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t bits = EX_ISCC_BITS_MIN;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'b':
            if (cli_parse_u64(optarg, &bits) != 0 || bits < EX_ISCC_BITS_MIN ||
                bits > EX_ISCC_BITS_MAX || bits % 32 != 0)
                return cli_usage(usage, "iscc: --bits takes 64, 96, 128, 160, 192, 224 or 256");
            break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "iscc: bad option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage(usage, "iscc: expected one FILE");
    char *txt = NULL;
    size_t len = 0;
    int x = cli_read_file(argv[optind], 0, &txt, &len);
    if (x != EXIT_OKAY)
        return x;
    char code[EX_ISCC_CODE_MAX];
    size_t characters = 0;
    int rc = ex_iscc_text_code(txt, len, (unsigned)bits, code, sizeof code, NULL, &characters);
    free(txt);
    if (rc != EX_OK) {
        cli_err("iscc: %s", ex_strerror(rc));
        return cli_exit(rc);
    }
    if (c->json) {
        json_t *j = json_pack("{s:I, s:s}", "characters", (json_int_t)characters, "iscc", code);
        if (!j) {
            cli_err("iscc: %s", ex_strerror(EX_ENOMEM));
            return cli_exit(EX_ENOMEM);
        }
        cli_print_json(j);
    } else {
        puts(code);
    }
    return EXIT_OKAY;
}
