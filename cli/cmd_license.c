/* cmd_license.c - exante license parse */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "license/license.h"

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
    ex_license *l;
    ex_license_err e;
    int rc = ex_license_parse(expr, len, &l, &e);
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
    ex_buf b = {0};
    if (ex_license_normalize(l, &b) != EX_OK) {
        cli_err("%s", ex_strerror(EX_ENOMEM));
        ex_license_free(l);
        return EXIT_IO;
    }
    int ndep = ex_license_deprecated(l, NULL);
    for (int i = 0; i < ndep; i++)
        cli_err("warning: '%s' is deprecated", ex_license_deprecated_id(l, i));
    if (c->json) {
        json_t *j = json_object(), *dep = json_array();
        json_object_set_new(j, "expression", json_stringn(b.data, b.len));
        json_object_set_new(j, "tree", ex_license_to_json(l));
        for (int i = 0; i < ndep; i++)
            json_array_append_new(dep, json_string(ex_license_deprecated_id(l, i)));
        json_object_set_new(j, "deprecated", dep);
        cli_print_json(j);
    } else {
        fwrite(b.data, 1, b.len, stdout);
        fputc('\n', stdout);
    }
    ex_buf_free(&b);
    ex_license_free(l);
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
    ex_buf expr = {0};
    for (int i = optind; i < argc; i++) {
        if ((i > optind && ex_buf_putc(&expr, ' ') != EX_OK) ||
            ex_buf_puts(&expr, argv[i]) != EX_OK) {
            ex_buf_free(&expr);
            cli_err("%s", ex_strerror(EX_ENOMEM));
            return EXIT_IO;
        }
    }
    int x = parse_cmd(c, expr.data ? expr.data : "", expr.len);
    ex_buf_free(&expr);
    return x;
}
