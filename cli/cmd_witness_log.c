/* cmd_witness_log.c - exante witness add|list|remove|collect|request: the log's side of
 * witnessing (the witnesses the ledger trusts, the cosignatures they returned), and the
 * --witness/--witness-quorum check the verifiers share. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* VKEY as given, or the first line of the file it names */
static int
vkey_arg(const char *arg, char out[EX_VKEY_MAX + 2])
{
    if (strchr(arg, '+')) {
        snprintf(out, EX_VKEY_MAX + 2, "%s", arg);
        return EXIT_OKAY;
    }
    FILE *f = fopen(arg, "r");
    if (!f) {
        cli_err("cannot open '%s': %s", arg, strerror(errno));
        return EXIT_IO;
    }
    if (!fgets(out, EX_VKEY_MAX + 2, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return EXIT_OKAY;
}

/* a command without output: the ledger's message on failure; the ledger closed */
static int
done(ex_ledger *l, int rc)
{
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    ex_ledger_close(l);
    return cli_exit(rc);
}

static int
collect_cmd(cli *c, ex_ledger *l, char **files, int n, uint64_t size)
{
    int rc = EX_OK;
    for (int i = 0; rc == EX_OK && i < n; i++) {
        char *buf;
        size_t len;
        int x = cli_read_file(files[i], 1u << 21, &buf, &len);
        if (x != EXIT_OKAY) {
            ex_ledger_close(l);
            return x;
        }
        unsigned added = 0, ignored = 0;
        uint64_t at = 0;
        rc = ex_ledger_cosig_collect(l, buf, len, size, &added, &ignored, &at);
        free(buf);
        if (rc != EX_OK) {
            cli_err("witness collect: %s: %s", files[i], ex_ledger_errmsg(l));
        } else if (c->json) {
            cli_print_json(json_pack("{s:s,s:I,s:i,s:i}", "file", files[i], "size", (json_int_t)at,
                                     "added", added, "ignored", ignored));
        } else {
            printf("%s: %u cosignature%s kept for the checkpoint of size %llu", files[i], added,
                   added == 1 ? "" : "s", (unsigned long long)at);
            printf(ignored ? ", %u line%s by other keys ignored\n" : "\n", ignored,
                   ignored == 1 ? "" : "s");
        }
    }
    ex_ledger_close(l);
    return cli_exit_answer(rc);
}

/* the add-checkpoint body for witness name: old = what it cosigned here last (or --old) */
static int
request_cmd(ex_ledger *l, const char *name, const char *old_arg)
{
    uint64_t old = 0;
    ex_log *g = ex_ledger_log(l);
    int rc = ex_ledger_witness_size(l, name, &old);
    if (rc != EX_OK)
        return done(l, rc);
    if (old_arg && cli_parse_u64(old_arg, &old)) {
        ex_ledger_close(l);
        return cli_usage("usage: exante witness request NAME [--old SIZE]\n",
                         "witness request: --old takes a size");
    }
    char *note = NULL, *body = NULL;
    size_t len, blen, n = 0;
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    rc = ex_log_checkpoint_dup(g, &note, &len);
    ex_checkpoint cp;
    ex_cosigned cs;
    ex_err e = {0};
    if (rc == EX_OK && ex_cosigned_open(note, len, NULL, NULL, 0, 0, &cs, NULL, &e) == EX_OK)
        cp = cs.cp;
    else if (rc == EX_OK)
        rc = EX_EFORMAT;
    if (rc == EX_OK && old > cp.size) {
        cli_err("witness request: --old %llu is past the log's size %llu", (unsigned long long)old,
                (unsigned long long)cp.size);
        free(note);
        ex_ledger_close(l);
        return EXIT_USAGE;
    }
    if (rc == EX_OK && old && old < cp.size)
        rc = ex_log_prove_consistency(g, old, cp.size, proof, &n);
    if (rc == EX_OK && n > EX_COSIG_MAX_PROOF)
        rc = EX_ERANGE;
    if (rc == EX_OK)
        rc = ex_addcp_format(old, (const uint8_t(*)[EX_HASH_BYTES])proof, n, note, len, &body,
                             &blen);
    free(note);
    if (rc != EX_OK) {
        cli_err("witness request: %s", ex_log_errmsg(g)[0] ? ex_log_errmsg(g) : ex_strerror(rc));
        ex_ledger_close(l);
        return cli_exit(rc);
    }
    return cli_emit(l, rc, body, blen);
}

int
cli_witness_log(cli *c, const char *usage, const char *sub, char **args, int nargs, const char *old,
                const char *size_arg)
{
    int want = strcmp(sub, "add") == 0                                     ? 2
               : strcmp(sub, "remove") == 0 || strcmp(sub, "request") == 0 ? 1
               : strcmp(sub, "list") == 0                                  ? 0
               : strcmp(sub, "collect") == 0                               ? -1
                                                                           : -2;
    if (want == -2)
        return cli_usage(usage, "witness: unknown subcommand '%s'", sub);
    if (want == -1 ? nargs < 1 : nargs != want)
        return cli_usage(usage, "witness %s: expected %s", sub,
                         want == -1  ? "FILE..."
                         : want == 2 ? "NAME VKEY"
                         : want      ? "NAME"
                                     : "no argument");
    if (old && strcmp(sub, "request"))
        return cli_usage(usage, "witness %s: --old is for 'witness request' and 'cosign'", sub);
    uint64_t size = 0;
    if (size_arg && (strcmp(sub, "collect") || cli_parse_u64(size_arg, &size) || !size))
        return cli_usage(usage, "witness %s: --size N (N > 0) is for 'witness collect'", sub);
    ex_ledger *l;
    int ro = strcmp(sub, "list") == 0 || strcmp(sub, "request") == 0;
    int x = cli_open(c, ro, &l);
    if (x != EXIT_OKAY)
        return x;
    if (strcmp(sub, "add") == 0) {
        char vk[EX_VKEY_MAX + 2];
        if ((x = vkey_arg(args[1], vk)) != EXIT_OKAY) {
            ex_ledger_close(l);
            return x;
        }
        int rc = ex_ledger_witness_add(l, args[0], vk);
        if (rc == EX_OK && !c->quiet)
            fprintf(stderr, "witness '%s' added\n", args[0]);
        return done(l, rc);
    }
    if (strcmp(sub, "remove") == 0)
        return done(l, ex_ledger_witness_remove(l, args[0]));
    if (strcmp(sub, "list") == 0) {
        char *out = NULL;
        size_t len = 0;
        int rc = ex_ledger_witnesses_dup(l, &out, &len);
        return cli_emit(l, rc, out, len);
    }
    if (strcmp(sub, "request") == 0)
        return request_cmd(l, args[0], old);
    return collect_cmd(c, l, args, nargs, size);
}

int
cli_witness_check(const char *what, const char *note, size_t len, const char *const *wkeys,
                  size_t nw, unsigned quorum)
{
    if (!nw)
        return EXIT_OKAY;
    ex_vkey *w = calloc(nw, sizeof *w);
    if (!w)
        return EXIT_IO;
    ex_err e = {0};
    for (size_t i = 0; i < nw; i++) {
        char vk[EX_VKEY_MAX + 2];
        int x = vkey_arg(wkeys[i], vk);
        if (x == EXIT_OKAY && ex_wvkey_parse(vk, &w[i], &e) != EX_OK) {
            cli_err("--witness %s: %s", wkeys[i], e.msg);
            x = EXIT_USAGE;
        }
        if (x != EXIT_OKAY) {
            free(w);
            return x;
        }
    }
    ex_cosigned cs;
    int rc = EX_EVERIFY;
    if (note)
        rc = ex_cosigned_open(note, len, NULL, w, nw, (uint64_t)time(NULL) + 600, &cs, NULL, &e);
    else
        snprintf(e.msg, sizeof e.msg, "it carries no checkpoint to be cosigned");
    free(w);
    if (rc != EX_OK) {
        cli_err("%s: witnesses: %s", what, e.msg);
        return rc == EX_EFORMAT ? EXIT_NO : cli_exit(rc);
    }
    if (cs.good < quorum) {
        cli_err("%s: %u of the %u witnesses given cosigned its checkpoint, %u needed", what,
                cs.good, (unsigned)nw, quorum);
        return EXIT_NO;
    }
    return EXIT_OKAY;
}
