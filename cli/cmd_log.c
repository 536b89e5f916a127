/* cmd_log.c - exante log checkpoint|prove-inclusion|prove-consistency|entry|verify|tiles,
 * and exante verify-proof. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante log checkpoint [--size N] [--cosigned]\n"
    "       exante log prove-inclusion INDEX [--size N]\n"
    "       exante log prove-consistency OLD NEW\n"
    "       exante log entry INDEX\n"
    "       exante log verify [--vkey KEY]\n"
    "       exante log tiles --out DIR [--incremental]\n"
    "       exante log sequence [--follow] [--discard-stale]\n"
    "\n"
    "checkpoint         print the latest signed checkpoint (C2SP signed note) verbatim, or\n"
    "                   the one signed at size N; --cosigned: the latest (or size N's) with\n"
    "                   the witnesses' cosignatures appended ('exante witness collect')\n"
    "prove-inclusion    JSON: index, size, leaf_hash, proof, root, entry, checkpoint\n"
    "prove-consistency  JSON: old, new, proof, old_root, new_root, old_checkpoint, checkpoint\n"
    "entry              entry INDEX's bytes exactly as hashed into its leaf\n"
    "verify             recompute every entry hash and tree level from storage and check\n"
    "                   every stored checkpoint; then the ledger's records against the log\n"
    "                   and its indexes against the records (never trusted); exit 1\n"
    "                   naming the first mismatch and the batch it is in\n"
    "tiles              write the log as static C2SP tlog-tiles under DIR, every file\n"
    "                   atomically and the checkpoint last; --incremental updates DIR:\n"
    "                   writes only new and grown tiles (DIR's checkpoint must be this\n"
    "                   log's past: exit 1 otherwise, nothing written), keeps the rest and\n"
    "                   deletes partial tiles whose full tile is there (docs/SERVING.md)\n"
    "sequence           a shared ledger's sequencer: decide and log what workers staged\n"
    "                   ('ingest --inputs'), one logged batch per staged batch, in staging\n"
    "                   order; --follow waits for more until SIGTERM or SIGINT; one at a\n"
    "                   time (a second is refused, exit 2); --discard-stale first hands\n"
    "                   inputs staged under another policy back to the workers\n"
    "\n"
    "Hashes in JSON are standard base64, as in checkpoints.\n";

static int
log_fail(ex_ledger *l, int rc)
{
    cli_err("%s", ex_log_errmsg(ex_ledger_log(l)));
    ex_ledger_close(l);
    return cli_exit(rc);
}

static int
checkpoint_cmd(cli *c, ex_ledger *l, const char *size_arg, uint64_t size, int cosigned)
{
    char *note;
    size_t len;
    int rc;
    if (cosigned) {
        if ((rc = ex_ledger_cosigned_dup(l, size_arg ? size : 0, &note, &len)) != EX_OK) {
            cli_err("%s", ex_ledger_errmsg(l));
            ex_ledger_close(l);
            return cli_exit_answer(rc);
        }
    } else if ((rc = size_arg ? ex_log_checkpoint_at_dup(ex_ledger_log(l), size, &note, &len)
                              : ex_log_checkpoint_dup(ex_ledger_log(l), &note, &len)) != EX_OK) {
        return log_fail(l, rc);
    }
    if (c->json) {
        ex_vkey vk;
        ex_checkpoint cp;
        ex_err e = {0};
        if (ex_vkey_parse(ex_ledger_vkey(l), &vk, &e) != EX_OK ||
            ex_checkpoint_open(note, len, &vk, &cp, &e) != EX_OK) {
            /* a stored checkpoint that does not open under the ledger's own key failed
             * verification, malformed or not */
            cli_err("stored checkpoint: %s", e.msg);
            free(note);
            ex_ledger_close(l);
            return cli_exit(EX_EVERIFY);
        }
        json_t *j = json_object();
        json_object_set_new(j, "origin", json_string(cp.origin));
        json_object_set_new(j, "size", json_integer((json_int_t)cp.size));
        json_object_set_new(j, "root", cli_b64(cp.root));
        json_object_set_new(j, "checkpoint", json_string(note));
        cli_print_json(j);
    } else {
        fwrite(note, 1, len, stdout);
    }
    free(note);
    ex_ledger_close(l);
    return EXIT_OKAY;
}

/* a proof document (prove-inclusion, prove-consistency) on one line */
static int
emit_doc(ex_ledger *l, int rc, char *doc, size_t len)
{
    if (rc != EX_OK)
        return log_fail(l, rc);
    fwrite(doc, 1, len, stdout);
    putchar('\n');
    free(doc);
    ex_ledger_close(l);
    return EXIT_OKAY;
}

static int
entry_cmd(cli *c, ex_ledger *l, uint64_t index)
{
    ex_log *g = ex_ledger_log(l);
    uint8_t *data, leaf[EX_HASH_BYTES];
    size_t len;
    int rc = ex_log_entry_dup(g, index, &data, &len);
    if (rc == EX_OK && (rc = ex_log_leaf_hash(g, index, leaf)) != EX_OK)
        free(data);
    if (rc != EX_OK)
        return log_fail(l, rc);
    if (c->json) {
        char *b64 = malloc(4 * (len / 3 + 1) + 1);
        if (b64) {
            ex_b64_encode(data, len, b64);
            json_t *j = json_object();
            json_object_set_new(j, "index", json_integer((json_int_t)index));
            json_object_set_new(j, "leaf_hash", cli_b64(leaf));
            json_object_set_new(j, "data", json_string(b64));
            cli_print_json(j);
            free(b64);
        }
    } else {
        fwrite(data, 1, len, stdout);
    }
    free(data);
    ex_ledger_close(l);
    return EXIT_OKAY;
}

static int
verify_cmd(cli *c, ex_ledger *l, const char *vkey_arg)
{
    ex_vkey vk;
    int x = EXIT_OKAY;
    if (vkey_arg) {
        x = cli_load_vkey(c, vkey_arg, &vk);
    } else {
        ex_err e = {0};
        int rc = ex_vkey_parse(ex_ledger_vkey(l), &vk, &e);
        if (rc != EX_OK) {
            cli_err("%s", e.msg);
            x = cli_exit(rc);
        }
    }
    if (x != EXIT_OKAY) {
        ex_ledger_close(l);
        return x;
    }
    ex_log *g = ex_ledger_log(l);
    ex_ledger_counts n;
    int rc = ex_ledger_verify(l, &vk, &n);
    if (rc != EX_OK) {
        if (c->json) {
            json_t *j = json_object();
            json_object_set_new(j, "ok", json_false());
            json_object_set_new(j, "error", json_string(ex_ledger_errmsg(l)));
            cli_print_json(j);
        }
        cli_err("log verify: %s", ex_ledger_errmsg(l));
        ex_ledger_close(l);
        return cli_exit(rc);
    }
    uint8_t root[EX_HASH_BYTES];
    if ((rc = ex_log_root(g, ex_log_size(g), root)) != EX_OK)
        return log_fail(l, rc);
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "ok", json_true());
        json_object_set_new(j, "entries", json_integer((json_int_t)n.entries));
        json_object_set_new(j, "checkpoints", json_integer((json_int_t)n.checkpoints));
        json_object_set_new(j, "sources", json_integer((json_int_t)n.sources));
        json_object_set_new(j, "batches", json_integer((json_int_t)n.batches));
        json_object_set_new(j, "decisions", json_integer((json_int_t)n.decisions));
        json_object_set_new(j, "items", json_integer((json_int_t)n.items));
        json_object_set_new(j, "indexed", json_integer((json_int_t)n.indexed));
        json_object_set_new(j, "submissions", json_integer((json_int_t)n.submissions));
        json_object_set_new(j, "size", json_integer((json_int_t)ex_log_size(g)));
        json_object_set_new(j, "root", cli_b64(root));
        cli_print_json(j);
    } else {
        char b64[64];
        ex_b64_encode(root, EX_HASH_BYTES, b64);
        printf("ok: %llu entries, %llu checkpoints, root %s\n", (unsigned long long)n.entries,
               (unsigned long long)n.checkpoints, b64);
        if (n.sources || n.batches)
            printf("ok: %llu sources, %llu batches, %llu decisions, %llu items match the log\n",
                   (unsigned long long)n.sources, (unsigned long long)n.batches,
                   (unsigned long long)n.decisions, (unsigned long long)n.items);
        if (n.indexed)
            printf("ok: %llu items found in the saved indexes by digest and URL\n",
                   (unsigned long long)n.indexed);
        if (n.signals)
            printf("ok: %llu policies, captures and opt-outs match the log\n",
                   (unsigned long long)n.signals);
        if (n.snapshots || n.attestations)
            printf("ok: %llu snapshot records, %llu attestations and retirements match the log\n",
                   (unsigned long long)n.snapshots, (unsigned long long)n.attestations);
        if (n.submissions)
            printf("ok: %llu submissions and reviews match the log\n",
                   (unsigned long long)n.submissions);
    }
    ex_ledger_close(l);
    return EXIT_OKAY;
}

static int
tiles_cmd(cli *c, ex_ledger *l, const char *out, int incremental)
{
    ex_log *g = ex_ledger_log(l);
    ex_tiles_count n;
    int rc = ex_log_write_tiles(g, out, incremental ? EX_TILES_INCREMENTAL : 0, &n);
    if (rc != EX_OK)
        return log_fail(l, rc);
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "dir", json_string(out));
        json_object_set_new(j, "files", json_integer((json_int_t)n.written));
        json_object_set_new(j, "kept", json_integer((json_int_t)n.kept));
        json_object_set_new(j, "removed", json_integer((json_int_t)n.removed));
        json_object_set_new(j, "size", json_integer((json_int_t)ex_log_size(g)));
        cli_print_json(j);
    } else if (!c->quiet && incremental) {
        printf("wrote %llu files (%llu kept, %llu partial tiles removed) for a log of %llu "
               "entries to %s\n",
               (unsigned long long)n.written, (unsigned long long)n.kept,
               (unsigned long long)n.removed, (unsigned long long)ex_log_size(g), out);
    } else if (!c->quiet) {
        printf("wrote %llu files for a log of %llu entries to %s\n",
               (unsigned long long)n.written, (unsigned long long)ex_log_size(g), out);
    }
    ex_ledger_close(l);
    return EXIT_OKAY;
}

int
cmd_log(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"size", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"vkey", required_argument, NULL, 'k'},
        {"incremental", no_argument, NULL, 'i'},
        {"follow", no_argument, NULL, 'f'},
        {"discard-stale", no_argument, NULL, 'd'},
        {"cosigned", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sub;
    int go = cli_subcommand(&argc, &argv, usage, "log", "a subcommand", &sub);
    if (go != CLI_GO)
        return go;
    const char *size_arg = NULL, *out = NULL, *vkey = NULL;
    int ch, incremental = 0, follow = 0, discard = 0, cosigned = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': size_arg = optarg; break;
        case 'o': out = optarg; break;
        case 'k': vkey = optarg; break;
        case 'i': incremental = 1; break;
        case 'f': follow = 1; break;
        case 'd': discard = 1; break;
        case 'c': cosigned = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "log %s: bad option '%s'", sub, argv[optind - 1]);
        }
    }
    char **args = argv + optind;
    int nargs = argc - optind;
    uint64_t a = 0, b = 0;
    int want = strcmp(sub, "prove-consistency") == 0                                ? 2
               : strcmp(sub, "prove-inclusion") == 0 || strcmp(sub, "entry") == 0 ? 1
                                                                                    : 0;
    if (strcmp(sub, "checkpoint") && strcmp(sub, "prove-inclusion") &&
        strcmp(sub, "prove-consistency") && strcmp(sub, "entry") && strcmp(sub, "verify") &&
        strcmp(sub, "tiles") && strcmp(sub, "sequence"))
        return cli_usage(usage, "log: unknown subcommand '%s'", sub);
    if ((follow || discard) && strcmp(sub, "sequence"))
        return cli_usage(usage, "log %s: --%s is for 'log sequence'", sub,
                         follow ? "follow" : "discard-stale");
    if (nargs != want)
        return cli_usage(usage, "log %s: expected %d argument%s", sub, want, want == 1 ? "" : "s");
    if ((want >= 1 && cli_parse_u64(args[0], &a)) || (want == 2 && cli_parse_u64(args[1], &b)))
        return cli_usage(usage, "log %s: indexes and sizes are non-negative integers", sub);
    if (size_arg && ((strcmp(sub, "prove-inclusion") && strcmp(sub, "checkpoint")) ||
                     cli_parse_u64(size_arg, &b) || (b == 0 && strcmp(sub, "checkpoint"))))
        return cli_usage(usage, "log %s: --size takes a size (prove-inclusion, checkpoint)",
                         sub);
    if (out && strcmp(sub, "tiles"))
        return cli_usage(usage, "log %s: --out is for 'log tiles'", sub);
    if (cosigned && strcmp(sub, "checkpoint"))
        return cli_usage(usage, "log %s: --cosigned is for 'log checkpoint'", sub);
    if (incremental && strcmp(sub, "tiles"))
        return cli_usage(usage, "log %s: --incremental is for 'log tiles'", sub);
    if (vkey && strcmp(sub, "verify"))
        return cli_usage(usage, "log %s: --vkey is for 'log verify'", sub);
    if (strcmp(sub, "tiles") == 0 && !out)
        return cli_usage(usage, "log tiles: --out DIR is required");

    if (strcmp(sub, "sequence") == 0)
        return cli_sequence(c, follow, discard);
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    if (strcmp(sub, "checkpoint") == 0)
        return checkpoint_cmd(c, l, size_arg, b, cosigned);
    char *doc = NULL;
    size_t len = 0;
    if (strcmp(sub, "prove-inclusion") == 0) {
        int rc = ex_log_inclusion_doc_dup(ex_ledger_log(l), a, b, &doc, &len);
        return emit_doc(l, rc, doc, len);
    }
    if (strcmp(sub, "prove-consistency") == 0) {
        int rc = ex_log_consistency_doc_dup(ex_ledger_log(l), a, b, &doc, &len);
        return emit_doc(l, rc, doc, len);
    }
    if (strcmp(sub, "entry") == 0)
        return entry_cmd(c, l, a);
    if (strcmp(sub, "verify") == 0)
        return verify_cmd(c, l, vkey);
    return tiles_cmd(c, l, out, incremental);
}

static const char vp_usage[] =
    "usage: exante verify-proof PROOF [--vkey KEY] [--rotations FILE] [--text-file WORK]\n"
    "                           [--witness VKEY]... [--witness-quorum N]\n"
    "\n"
    "Check a proof document offline (PROOF may be '-' for stdin). KEY is a C2SP verifier\n"
    "key (name+keyid+base64) or a file holding one; default: the local ledger's. After a key\n"
    "rotation, --rotations FILE (`exante key rotations`) leads from KEY, whichever of the\n"
    "log's keys it is, to the key that signed the proof's checkpoint. Prints\n"
    "'member' for a valid inclusion proof, 'consistent' for a consistency proof,\n"
    "'decision VERDICT' for the proof of 'exante why --json', and 'member' or 'non-member'\n"
    "for a snapshot proof (PROOFS.md: the failing step is named); exit 1 if the\n"
    "proof does not verify, 2 if it is malformed.\n"
    "\n"
    "A near-dup proof ('exante prove NAME --text-file WORK --near') needs --text-file WORK:\n"
    "the work's band keys are recomputed from it. Prints 'near-dup-free' (exit 0) when every\n"
    "band key is shown absent from the snapshot's near tree; 'near-dup' (exit 1) when the\n"
    "proof shows one present; exit 1 naming the step when it does not verify.\n"
    "\n"
    "--witness VKEY (repeatable; a witness's C2SP verifier key of type 0x04, or a file\n"
    "holding one) also requires the proof's checkpoint to carry valid C2SP tlog-cosignatures\n"
    "by at least N of those witnesses (--witness-quorum N; default: all of them): exit 1\n"
    "saying how many verified. Cosignature lines by other keys are ignored.\n";

/* verify-proof of a near-dup proof with the work's text; the exit code */
typedef struct witnesses {
    const char *keys[32];
    size_t n;
    unsigned quorum;
} witnesses;

static int
verify_near(cli *c, const char *path, const char *doc, size_t len, const ex_vkey *vk,
            const ex_key_chain *keys, const char *text_path, const witnesses *wit)
{
    char *text = NULL;
    size_t tlen = 0;
    int rx = cli_read_file(text_path, 0, &text, &tlen);
    if (rx != EXIT_OKAY)
        return rx;
    if (!ex_utf8_valid(text, tlen)) {
        free(text);
        cli_err("verify-proof: '%s' is not UTF-8 text: a JSONL text field cannot hold it",
                text_path);
        return EXIT_USAGE;
    }
    ex_near_proof p;
    ex_near_verdict v = {0};
    ex_err e = {0};
    int rc = ex_near_proof_parse(doc, len, &p, &e);
    if (rc != EX_OK) {
        ex_near_proof_clear(&p);
        free(text);
        cli_err("%s: %s", path, e.msg);
        return cli_exit(rc);
    }
    (void)vk;
    rc = ex_near_proof_verify(&p, ex_key_chain_at(keys, p.log_size), text, tlen, &v, &e);
    int wx = rc == EX_OK ? cli_witness_check(path, p.checkpoint, strlen(p.checkpoint), wit->keys,
                                             wit->n, wit->quorum)
                         : EXIT_OKAY;
    ex_near_proof_clear(&p);
    if (wx != EXIT_OKAY) {
        free(text);
        if (c->json)
            cli_print_json(json_pack("{s:b,s:s,s:s}", "ok", 0, "result", "invalid", "error",
                                     "too few witness cosignatures"));
        return wx;
    }
    free(text);
    const char *verdict = rc != EX_OK ? "invalid" : v.dup ? "near-dup" : "near-dup-free";
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "ok", json_boolean(rc == EX_OK && !v.dup));
        json_object_set_new(j, "result", json_string(verdict));
        if (rc == EX_OK) {
            json_object_set_new(j, "bands", json_integer(v.bands));
            json_object_set_new(j, "bands_present", json_integer(v.present));
            json_object_set_new(j, "fingerprinted", json_integer((json_int_t)v.fingerprinted));
            json_object_set_new(j, "unfingerprinted",
                                json_integer((json_int_t)v.unfingerprinted));
        } else {
            json_object_set_new(j, "error", json_string(e.msg));
        }
        cli_print_json(j);
    } else if (rc == EX_OK) {
        puts(verdict);
    }
    if (rc != EX_OK) {
        cli_err("%s: %s", path, e.msg);
        return cli_exit(rc);
    }
    if (v.dup) {
        cli_err("%s: the work is a near-duplicate of a member: %u of its %u band keys are in the "
                "snapshot's near tree (the first: band %u)",
                path, v.present, v.bands, v.first_present);
        return EXIT_NO;
    }
    if (v.unfingerprinted && !c->quiet)
        cli_err("%s: members of the snapshot without a fingerprint: %llu; the proof says nothing "
                "about them",
                path, (unsigned long long)v.unfingerprinted);
    return EXIT_OKAY;
}

int
cmd_verify_proof(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"vkey", required_argument, NULL, 'k'},
        {"text-file", required_argument, NULL, 't'},
        {"rotations", required_argument, NULL, 'r'},
        {"witness", required_argument, NULL, 'w'},
        {"witness-quorum", required_argument, NULL, 'Q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *vkey = NULL, *text = NULL, *rotations = NULL, *quorum = NULL;
    witnesses wit = {0};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k': vkey = optarg; break;
        case 't': text = optarg; break;
        case 'r': rotations = optarg; break;
        case 'w':
            if (wit.n == 32)
                return cli_usage(vp_usage, "verify-proof: at most 32 --witness");
            wit.keys[wit.n++] = optarg;
            break;
        case 'Q': quorum = optarg; break;
        case 'h': fputs(vp_usage, stdout); return EXIT_OKAY;
        default: return cli_usage(vp_usage, "verify-proof: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(vp_usage, "verify-proof: expected one PROOF file");
    uint64_t q = wit.n;
    if (quorum && (cli_parse_u64(quorum, &q) || q == 0 || q > wit.n))
        return cli_usage(vp_usage, "verify-proof: --witness-quorum N takes 1 to the number of "
                                   "--witness keys");
    wit.quorum = (unsigned)q;
    const char *path = argv[optind];
    char *buf;
    size_t len;
    int rx = cli_read_file(path, 16u << 20, &buf, &len);
    if (rx != EXIT_OKAY)
        return rx;
    ex_vkey vk;
    ex_key_chain *keys = NULL;
    int x = cli_load_keys(c, vkey, rotations, &vk, &keys);
    if (x != EXIT_OKAY) {
        free(buf);
        return x;
    }
    /* a document saved by a shell ends in one newline; the document is what precedes it */
    if (len && buf[len - 1] == '\n')
        len--;
    /* a near-dup proof, or with --text-file anything that is not JSON of another kind (the
     * near-dup reader says what is wrong with it) */
    int near = ex_near_proof_is(buf ? buf : "", len);
    if (!near && text) {
        json_t *o = json_loadb(buf ? buf : "", len, 0, NULL);
        near = !json_string_value(json_object_get(o, "type")) &&
               !json_object_get(o, "proof") && !json_object_get(o, "leaf_hash") &&
               !json_object_get(o, "old");
        json_decref(o);
        if (!near) {
            free(buf);
            free(keys);
            return cli_usage(vp_usage, "verify-proof: --text-file goes with near-dup proofs");
        }
    }
    if (near && !text) {
        free(buf);
        free(keys);
        return cli_usage(vp_usage, "verify-proof: a near-dup proof needs --text-file WORK, the "
                                   "work it is about");
    }
    if (near) {
        int vx = verify_near(c, path, buf, len, &vk, keys, text, &wit);
        free(buf);
        free(keys);
        return vx;
    }
    ex_log_proof p;
    ex_err e = {0};
    int rc = ex_log_proof_parse(buf ? buf : "", len, &p, &e);
    free(buf);
    if (rc != EX_OK) {
        ex_log_proof_clear(&p);
        free(keys);
        cli_err("%s: %s", path, e.msg);
        return cli_exit(rc);
    }
    rc = ex_log_proof_verify_chain(&p, keys, &e);
    free(keys);
    int wx = rc == EX_OK ? cli_witness_check(path, p.checkpoint,
                                             p.checkpoint ? strlen(p.checkpoint) : 0, wit.keys,
                                             wit.n, wit.quorum)
                         : EXIT_OKAY;
    if (wx != EXIT_OKAY) {
        ex_log_proof_clear(&p);
        if (c->json)
            cli_print_json(json_pack("{s:b,s:s,s:s}", "ok", 0, "result", "invalid", "error",
                                     "too few witness cosignatures"));
        return wx;
    }
    char verdict[96] = "member";
    if (p.kind == EX_PROOF_CONSISTENCY) {
        strcpy(verdict, "consistent");
    } else if (p.kind == EX_PROOF_SNAPSHOT_NON_MEMBER) {
        strcpy(verdict, "non-member");
    } else if (p.kind == EX_PROOF_DECISION) {
        json_t *cl = json_loads(p.claims, 0, NULL);
        snprintf(verdict, sizeof verdict, "decision %s",
                 json_string_value(json_object_get(cl, "verdict")) ? json_string_value(json_object_get(cl, "verdict")) : "?");
        json_decref(cl);
    }
    ex_log_proof_clear(&p);
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "ok", json_boolean(rc == EX_OK));
        json_object_set_new(j, "result", json_string(rc == EX_OK ? verdict : "invalid"));
        if (rc != EX_OK)
            json_object_set_new(j, "error", json_string(e.msg));
        cli_print_json(j);
    } else if (rc == EX_OK) {
        puts(verdict);
    }
    if (rc != EX_OK)
        cli_err("%s: %s", path, e.msg);
    return cli_exit(rc);
}
