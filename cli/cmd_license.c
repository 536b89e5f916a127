/* cmd_license.c - exante license parse */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante license parse EXPR...\n"
    "\n"
    "parse    check an SPDX license expression (SPDX 2.3 Annex D) and print it normalised:\n"
    "         ids in the SPDX list's spelling, operators in upper case, parentheses only\n"
    "         where precedence needs them. Several arguments are joined with spaces.\n"
    "         Deprecated ids are accepted with a warning on stderr. --json prints\n"
    "         {\"expression\": normalised, \"tree\": structure, \"deprecated\": [ids]}.\n"
    "\n"
    "Operators AND, OR, WITH (all upper or all lower case, a space on each side), '+' right\n"
    "after a license id, parentheses, LicenseRef-X, DocumentRef-D:LicenseRef-X, AdditionRef-X\n"
    "after WITH; NONE and NOASSERTION only as the whole expression. See docs/LICENSES.md.\n"
    "\n"
    "exit status: 0 valid; 2 invalid expression (column and message on stderr) or usage error.\n";

/* the expression and a caret under the byte column `col` (1-based), on stderr */
static void
show_column(const char *s, size_t len, unsigned col)
{
    fputs("  ", stderr);
    size_t width = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        /* one display column per character: control bytes as '?', UTF-8 sequences as is */
        fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, stderr);
        if (i + 1 < col && (ch & 0xC0) != 0x80)
            width++;
    }
    fputs("\n  ", stderr);
    for (size_t i = 0; i < width; i++)
        fputc(' ', stderr);
    fputs("^\n", stderr);
}

static int
parse_cmd(cli *c, const char *expr, size_t len)
{
    char *doc;
    size_t dlen;
    ex_license_err e;
    int rc = ex_license_parse_json_dup(expr, len, &doc, &dlen, &e);
    if (rc != EX_OK) {
        if (rc == EX_EFORMAT || rc == EX_ETOOBIG) {
            cli_err("column %u: %s", e.column, e.msg);
            if (rc == EX_EFORMAT)
                show_column(expr, len, e.column);
        } else {
            cli_err("%s", ex_strerror(rc));
        }
        return cli_exit(rc);
    }
    json_t *j = json_loadb(doc, dlen, 0, NULL);
    json_t *norm = json_object_get(j, "expression"), *dep = json_object_get(j, "deprecated");
    if (!json_is_string(norm)) {
        cli_err("%s", ex_strerror(EX_ENOMEM)); /* the document is the library's own */
        json_decref(j);
        free(doc);
        return cli_exit(EX_ENOMEM);
    }
    size_t i;
    json_t *id;
    json_array_foreach(dep, i, id)
        cli_err("warning: '%s' is deprecated", json_string_value(id));
    if (c->json) {
        fwrite(doc, 1, dlen, stdout);
    } else {
        fwrite(json_string_value(norm), 1, json_string_length(norm), stdout);
    }
    fputc('\n', stdout);
    json_decref(j);
    free(doc);
    return EXIT_OKAY;
}

int
cmd_license(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sub;
    int go = cli_subcommand(&argc, &argv, usage, "license", "'parse'", &sub);
    if (go != CLI_GO)
        return go;
    int ch;
    /* '+': stop at the first operand, so an expression is never taken for options */
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (ch) {
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "license %s: bad option '%s'", sub, argv[optind - 1]);
        }
    }
    if (strcmp(sub, "parse") != 0)
        return cli_usage(usage, "license: unknown subcommand '%s'", sub);
    if (optind >= argc)
        return cli_usage(usage, "license parse: expected an expression");
    /* the arguments joined with spaces */
    size_t len = 0;
    for (int i = optind; i < argc; i++)
        len += strlen(argv[i]) + (i > optind);
    char *expr = malloc(len + 1);
    if (!expr) {
        cli_err("%s", ex_strerror(EX_ENOMEM));
        return cli_exit(EX_ENOMEM);
    }
    size_t n = 0;
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            expr[n++] = ' ';
        size_t k = strlen(argv[i]);
        memcpy(expr + n, argv[i], k);
        n += k;
    }
    expr[n] = '\0';
    int x = parse_cmd(c, expr, n);
    free(expr);
    return x;
}
