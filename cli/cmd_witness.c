/* cmd_witness.c - exante witness: the witness's side (init, vkey, cosign: C2SP tlog-witness
 * add-checkpoint run from the command line) and the dispatch to the log's side
 * (cmd_witness_log.c: add, list, remove, collect, request). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: exante witness init --name NAME [--dir DIR]\n"
    "       exante witness vkey [--dir DIR]\n"
    "       exante witness cosign --log-vkey KEY... CHECKPOINT [--old SIZE|CHECKPOINT]\n"
    "                             [--proof FILE] [--dir DIR]\n"
    "       exante witness cosign --log-vkey KEY... --request FILE|- [--dir DIR]\n"
    "       exante witness add NAME VKEY | list | remove NAME\n"
    "       exante witness collect FILE... [--size N]\n"
    "       exante witness request NAME [--old SIZE]\n"
    "\n"
    "The witness (DIR: --dir, else $EXANTE_WITNESS_DIR, else ./.exante-witness):\n"
    "init     a new Ed25519 witness key (DIR/key.pem, 0600); prints its verifier key\n"
    "         (C2SP vkey of signature type 0x04)\n"
    "cosign   check CHECKPOINT (a signed note) against the log keys, its size and root against\n"
    "         the latest checkpoint cosigned for its origin (--old: that size, default the\n"
    "         stored one; --proof: the consistency proof, the JSON of 'exante log\n"
    "         prove-consistency' or base64 lines), store it and print the C2SP\n"
    "         tlog-cosignature line. --request: the body of a tlog-witness add-checkpoint\n"
    "         request instead; stdout gets the response body. Refusals (HTTP status in the\n"
    "         message): 404 unknown origin, 403 no trusted log signature, 409 old size is not\n"
    "         the latest (stdout: the latest size), 422 bad proof: exit 1; 409 fork (same size,\n"
    "         another root): exit 1, both checkpoints shown; 400 old > size: exit 2\n"
    "\n"
    "The log (the ledger):\n"
    "add      trust a witness: NAME a label, VKEY its verifier key (type 0x04) or a file\n"
    "collect  keep the cosignatures in FILE (a witness's answer for the checkpoint of size N,\n"
    "         default the latest; or a cosigned checkpoint note); lines by unknown keys are\n"
    "         ignored, a bad one by a registered witness refuses the file (exit 1)\n"
    "request  the add-checkpoint body for witness NAME: old = the largest size it cosigned\n"
    "         here (or --old), the consistency proof, the latest checkpoint\n"
    "         (curl --data-binary @- URL/add-checkpoint)\n"
    "'exante log checkpoint --cosigned' prints the checkpoint with its cosignatures;\n"
    "verify-proof --witness VKEY [--witness-quorum N] requires them (docs/WITNESS.md).\n";

static const char *
witness_dir(const char *dir)
{
    if (dir)
        return dir;
    const char *e = getenv("EXANTE_WITNESS_DIR");
    return e && *e ? e : ".exante-witness";
}

static int
init_cmd(cli *c, const char *dir, const char *name)
{
    ex_witness *w;
    ex_err e = {0};
    int rc = ex_witness_init(dir, name, getenv("EXANTE_PASSPHRASE"), &w, &e);
    if (rc != EX_OK) {
        cli_err("witness init: %s", e.msg);
        return cli_exit(rc);
    }
    if (c->json) {
        json_t *j =
            json_pack("{s:s,s:s,s:s}", "name", name, "vkey", ex_witness_vkey(w), "dir", dir);
        cli_print_json(j);
    } else {
        puts(ex_witness_vkey(w));
    }
    ex_witness_close(w);
    return EXIT_OKAY;
}

/* the consistency proof in path: the JSON of 'log prove-consistency' or base64 lines */
static int
read_proof(const char *path, ex_addcp *r, uint64_t size)
{
    char *buf;
    size_t len;
    int x = cli_read_file(path, 1u << 20, &buf, &len);
    if (x != EXIT_OKAY)
        return x;
    ex_err e = {0};
    int rc = EX_OK;
    if (len && buf[strspn(buf, " \t\r\n")] == '{') {
        ex_log_proof p;
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        rc = ex_log_proof_parse(buf, len, &p, &e);
        if (rc == EX_OK && (p.kind != EX_PROOF_CONSISTENCY || p.n > EX_COSIG_MAX_PROOF ||
                            p.old != r->old || p.new_size != size))
            rc = EX_EFORMAT, snprintf(e.msg, sizeof e.msg,
                                      "not a consistency proof from %llu "
                                      "to %llu",
                                      (unsigned long long)r->old, (unsigned long long)size);
        if (rc == EX_OK) {
            memcpy(r->proof, p.proof, p.n * EX_HASH_BYTES);
            r->n = p.n;
        }
        ex_log_proof_clear(&p);
    } else {
        for (char *line = strtok(buf, "\r\n"); rc == EX_OK && line; line = strtok(NULL, "\r\n")) {
            size_t hl;
            if (r->n == EX_COSIG_MAX_PROOF ||
                ex_b64_decode(line, strlen(line), r->proof[r->n], EX_HASH_BYTES, &hl) != EX_OK ||
                hl != EX_HASH_BYTES)
                rc = EX_EFORMAT, snprintf(e.msg, sizeof e.msg,
                                          "proof line %zu is not base64 "
                                          "of a 32-byte hash",
                                          r->n + 1);
            r->n++;
        }
    }
    free(buf);
    if (rc != EX_OK) {
        cli_err("witness cosign: %s: %s", path, e.msg);
        return cli_exit(rc);
    }
    return EXIT_OKAY;
}

/* --old: a size, or a checkpoint file whose size it is */
static int
old_size(const char *arg, uint64_t *old)
{
    if (!cli_parse_u64(arg, old))
        return EXIT_OKAY;
    char *buf;
    size_t len;
    int x = cli_read_file(arg, 1u << 20, &buf, &len);
    if (x != EXIT_OKAY)
        return x;
    ex_cosigned cs;
    ex_err e = {0};
    int rc = ex_cosigned_open(buf, len, NULL, NULL, 0, 0, &cs, NULL, &e);
    free(buf);
    if (rc != EX_OK) {
        cli_err("witness cosign: --old %s: %s", arg, e.msg);
        return cli_exit(rc);
    }
    *old = cs.cp.size;
    return EXIT_OKAY;
}

/* the answer: 200 prints the line(s); refusals say why (and a fork both checkpoints) */
static int
report(cli *c, const ex_witness_answer *a, const ex_addcp *r, int raw)
{
    if (c->json) {
        json_t *j = json_pack("{s:i,s:b}", "status", a->status, "fork", a->fork);
        if (a->status == 200)
            json_object_set_new(j, "cosignature", json_stringn(a->body, a->body_len));
        else
            json_object_set_new(j, "reason", json_string(a->reason));
        if (a->status == 409) {
            json_object_set_new(j, "latest_size", json_integer(atoll(a->body)));
            json_object_set_new(j, "latest", json_stringn(a->latest, a->latest_len));
            json_object_set_new(j, "submitted", json_stringn(r->note, r->note_len));
        }
        cli_print_json(j);
    } else if (a->status == 200 || (raw && a->status == 409)) {
        fwrite(a->body, 1, a->body_len, stdout);
    }
    if (a->status == 200)
        return EXIT_OKAY;
    cli_err("witness: %d: %s", a->status, a->reason);
    if (a->status == 409 && !a->fork)
        cli_err("witness: the latest cosigned checkpoint has size %.*s", (int)a->body_len - 1,
                a->body);
    if (a->fork && !c->json) {
        fprintf(stderr, "the checkpoint cosigned before:\n%.*s\nthe checkpoint submitted:\n%.*s",
                (int)a->latest_len, a->latest, (int)r->note_len, r->note);
    }
    return a->status == 400 ? EXIT_USAGE : EXIT_NO;
}

/* the size of the latest checkpoint the witness cosigned for origin (0 if none): the old
 * size of a request made from the command line without --old */
static int
stored_size(ex_witness *w, const char *origin, uint64_t *size, ex_err *e)
{
    char *latest = NULL;
    size_t ll;
    ex_cosigned lc;
    *size = 0;
    int rc = ex_witness_latest_dup(w, origin, &latest, &ll, e);
    if (rc == EX_ENOTFOUND)
        return EX_OK;
    if (rc == EX_OK && (rc = ex_cosigned_open(latest, ll, NULL, NULL, 0, 0, &lc, NULL, e)) == EX_OK)
        *size = lc.cp.size;
    else if (rc == EX_EFORMAT)
        rc = EX_EIO; /* the witness's own state file is damaged: not the caller's input */
    free(latest);
    return rc;
}

typedef struct cosign_args {
    const char *dir, *request, *old, *proof, *checkpoint;
    const char *logs[16];
    size_t nlogs;
} cosign_args;

static int
cosign_cmd(cli *c, const cosign_args *g)
{
    ex_vkey logs[16];
    for (size_t i = 0; i < g->nlogs; i++) {
        int x = cli_load_vkey(c, g->logs[i], &logs[i]);
        if (x != EXIT_OKAY)
            return x;
    }
    char *buf = NULL;
    size_t len;
    int x = cli_read_file(g->request ? g->request : g->checkpoint, 1u << 21, &buf, &len);
    if (x != EXIT_OKAY)
        return x;
    ex_witness *w = NULL;
    ex_err e = {0};
    ex_addcp r;
    memset(&r, 0, sizeof r);
    int rc = ex_witness_open(witness_dir(g->dir), getenv("EXANTE_PASSPHRASE"), &w, &e);
    if (rc == EX_OK && g->request) {
        rc = ex_addcp_parse(buf, len, &r, &e);
    } else if (rc == EX_OK) {
        ex_cosigned cs;
        r.note = buf, r.note_len = len;
        rc = ex_cosigned_open(buf, len, NULL, NULL, 0, 0, &cs, NULL, &e);
        if (rc == EX_OK && !g->old)
            rc = stored_size(w, cs.cp.origin, &r.old, &e);
        if (rc == EX_OK && g->old && (x = old_size(g->old, &r.old)) != EXIT_OKAY)
            goto out;
        if (rc == EX_OK && g->proof && (x = read_proof(g->proof, &r, cs.cp.size)) != EXIT_OKAY)
            goto out;
    }
    if (rc != EX_OK) {
        cli_err("witness cosign: %s", e.msg);
        x = cli_exit(rc);
        goto out;
    }
    ex_witness_answer a;
    rc = ex_witness_add_checkpoint(w, logs, g->nlogs, &r, (uint64_t)time(NULL), &a, &e);
    if (rc != EX_OK) {
        cli_err("witness cosign: %s", e.msg);
        x = cli_exit(rc);
        goto out;
    }
    x = report(c, &a, &r, g->request != NULL);
    ex_witness_answer_clear(&a);
out:
    ex_witness_close(w);
    free(buf);
    return x;
}

int
cmd_witness(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"name", required_argument, NULL, 'n'},
        {"log-vkey", required_argument, NULL, 'k'},
        {"old", required_argument, NULL, 'o'},
        {"proof", required_argument, NULL, 'p'},
        {"request", required_argument, NULL, 'r'},
        {"size", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sub, *name = NULL, *size = NULL;
    int go = cli_subcommand(&argc, &argv, usage, "witness", "a subcommand", &sub);
    if (go != CLI_GO)
        return go;
    cosign_args g = {0};
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': g.dir = optarg; break;
        case 'n': name = optarg; break;
        case 'k':
            if (g.nlogs == 16)
                return cli_usage(usage, "witness: at most 16 --log-vkey");
            g.logs[g.nlogs++] = optarg;
            break;
        case 'o': g.old = optarg; break;
        case 'p': g.proof = optarg; break;
        case 'r': g.request = optarg; break;
        case 's': size = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "witness %s: bad option '%s'", sub, argv[optind - 1]);
        }
    }
    char **args = argv + optind;
    int nargs = argc - optind;
    int side = strcmp(sub, "init") == 0 || strcmp(sub, "vkey") == 0 || strcmp(sub, "cosign") == 0;
    if (!side)
        return (g.dir || name || g.nlogs || g.proof || g.request)
                   ? cli_usage(usage,
                               "witness %s: --dir, --name, --log-vkey, --proof and "
                               "--request are for init, vkey and cosign",
                               sub)
                   : cli_witness_log(c, usage, sub, args, nargs, g.old, size);
    if (size)
        return cli_usage(usage, "witness %s: --size is for 'witness collect'", sub);
    if (strcmp(sub, "init") == 0) {
        if (!name || nargs)
            return cli_usage(usage, "witness init: --name NAME is required, no arguments");
        return init_cmd(c, witness_dir(g.dir), name);
    }
    if (strcmp(sub, "vkey") == 0) {
        ex_witness *w;
        ex_err e = {0};
        int rc = ex_witness_open(witness_dir(g.dir), getenv("EXANTE_PASSPHRASE"), &w, &e);
        if (rc != EX_OK) {
            cli_err("witness vkey: %s", e.msg);
            return cli_exit(rc);
        }
        puts(ex_witness_vkey(w));
        ex_witness_close(w);
        return EXIT_OKAY;
    }
    if (!g.nlogs)
        return cli_usage(usage, "witness cosign: --log-vkey KEY is required (the logs it "
                                "witnesses)");
    if (g.request ? nargs != 0 || g.old || g.proof : nargs != 1)
        return cli_usage(usage, "witness cosign: one CHECKPOINT, or --request FILE alone");
    g.checkpoint = nargs ? args[0] : NULL;
    return cosign_cmd(c, &g);
}
