/* cmd_attest.c - exante attest run, verify, models, lineage, model retire */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char attest_usage[] =
    "usage: exante attest run --snapshot NAME... --weights PATH... [--name MODEL]\n"
    "                         [--kind pretrain|fine-tune|distillation|merge|continued]\n"
    "                         [--parent MODEL]... [--parent-external DIGEST]...\n"
    "                         [--code GIT_COMMIT|FILE] [--config FILE] [--started TIME]\n"
    "                         [--finished TIME] [--key FILE] [--jobs N] [--out FILE]\n"
    "\n"
    "Bind a training run to the snapshots it read: an in-toto Statement v1 whose subjects are\n"
    "the weight files (a directory is walked; a safetensors index covers every shard it names)\n"
    "and whose predicate (docs/FORMATS.md, \"Training runs\") carries each snapshot's record with\n"
    "its log inclusion proof under the current signed checkpoint, the policies, code and config\n"
    "digests, parent models and the kind of derivation. Signed as a DSSE envelope with the\n"
    "ledger's key (or --key: a PEM key file, passphrase in EXANTE_PASSPHRASE), logged, stored,\n"
    "and printed (or written to --out). --name defaults to model-<the id's first 12 hex\n"
    "digits>. A parent is a model of this ledger (name or id);\n"
    "--parent-external names one from elsewhere by its digest. --jobs hashes files in parallel.\n"
    "JSON keys: index, model, envelope.\n";

static const char verify_usage[] =
    "usage: exante verify ENVELOPE [--vkey KEY] [--signer KEY] [--weights PATH]... [--jobs N]\n"
    "                     [--proof FILE] [--parent ENVELOPE]... [--rotations FILE]\n"
    "                     [--witness VKEY]... [--witness-quorum N]\n"
    "\n"
    "Check a training run's envelope offline: the signature over PAE (by --signer, default\n"
    "the --vkey), the statement, the model id, the signed checkpoint (by --vkey: the ledger's\n"
    "verifier key, default the local ledger's), each snapshot record's inclusion under it,\n"
    "the given weights against the subjects, with --proof the envelope's own log entry, and\n"
    "each --parent envelope. Exit 1 naming the first check that failed. After a key\n"
    "rotation, --rotations FILE (`exante key rotations`; inside the ledger, its own) leads\n"
    "from KEY to the key that signed the envelope and its checkpoint.\n"
    "--witness VKEY (repeatable: a witness's C2SP verifier key, type 0x04, or a file) also\n"
    "requires the envelope's checkpoint to carry valid C2SP tlog-cosignatures by at least N\n"
    "of them (--witness-quorum N; default all); parents' checkpoints are not asked.\n";

static const char models_usage[] =
    "usage: exante models\n"
    "       exante lineage MODEL\n"
    "       exante model retire MODEL --reason TEXT\n"
    "       exante model show MODEL|INDEX\n"
    "\n"
    "models: every attested model as JSONL (model id, name, kind, parents, snapshots, retired).\n"
    "lineage: a model's ancestors and descendants, each with its depth and the model it is\n"
    "reached through (JSON; text without --json). model retire: log a remedy (after a\n"
    "deletion order, say); lineage and impact show the model as retired. MODEL is a name\n"
    "(the latest attested with it) or an id (sha256:...). model show: the DSSE envelope of\n"
    "its training run as it was logged (INDEX: the log index of the attestation's entry).\n";

/* a growing list of option values */
typedef struct list {
    const char **v;
    size_t n;
} list;

static int
push(list *l, const char *s)
{
    const char **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return -1;
    v[l->n++] = s;
    l->v = v;
    return 0;
}

static int
load_key(const char *path, ex_key **out)
{
    char *text = NULL;
    size_t len;
    int x = cli_read_file(path, 1 << 16, &text, &len);
    if (x != EXIT_OKAY)
        return x;
    ex_err e = {0};
    int rc;
    if (strncmp(text, "PRIVATE+KEY+", 12) == 0) {
        text[strcspn(text, "\r\n")] = '\0';
        rc = ex_key_from_signer(text, out, &e);
    } else {
        rc = ex_key_load(path, "attest", getenv("EXANTE_PASSPHRASE"), out, &e);
    }
    free(text);
    if (rc != EX_OK) {
        cli_err("--key %s: %s", path, e.msg);
        return cli_exit(rc);
    }
    return EXIT_OKAY;
}

static int
attest_run(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"snapshot", required_argument, NULL, 's'}, {"weights", required_argument, NULL, 'w'},
        {"name", required_argument, NULL, 'n'},     {"kind", required_argument, NULL, 'k'},
        {"parent", required_argument, NULL, 'p'},   {"parent-external", required_argument, NULL, 'x'},
        {"code", required_argument, NULL, 'c'},     {"config", required_argument, NULL, 'g'},
        {"started", required_argument, NULL, 'S'},  {"finished", required_argument, NULL, 'F'},
        {"key", required_argument, NULL, 'K'},      {"jobs", required_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    list snaps = {0}, weights = {0}, parents = {0}, ext = {0};
    ex_attest_opts o = {0};
    const char *keyfile = NULL, *out = NULL;
    uint64_t n;
    int ch, x = EXIT_OKAY;
    optind = 1;
    opterr = 0;
    while (x == EXIT_OKAY && (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': push(&snaps, optarg); break;
        case 'w': push(&weights, optarg); break;
        case 'p': push(&parents, optarg); break;
        case 'x': push(&ext, optarg); break;
        case 'n': o.name = optarg; break;
        case 'k': o.kind = optarg; break;
        case 'c': o.code = optarg; break;
        case 'g': o.config = optarg; break;
        case 'S': o.started = optarg; break;
        case 'F': o.finished = optarg; break;
        case 'K': keyfile = optarg; break;
        case 'o': out = optarg; break;
        case 'j':
            if (cli_parse_u64(optarg, &n) || n == 0 || n > 64)
                x = cli_usage(attest_usage, "attest run: --jobs takes 1..64");
            o.jobs = (unsigned)n;
            break;
        case 'h': fputs(attest_usage, stdout); x = -1; break;
        default: x = cli_usage(attest_usage, "attest run: bad option '%s'", argv[optind - 1]);
        }
    }
    if (x == EXIT_OKAY && optind != argc)
        x = cli_usage(attest_usage, "attest run: unexpected argument '%s'", argv[optind]);
    if (x == EXIT_OKAY && (!snaps.n || !weights.n))
        x = cli_usage(attest_usage, "attest run: --snapshot and --weights are required");
    ex_key *key = NULL;
    if (x == EXIT_OKAY && keyfile)
        x = load_key(keyfile, &key);
    ex_ledger *l = NULL;
    if (x == EXIT_OKAY)
        x = cli_open(c, 0, &l);
    if (x == EXIT_OKAY) {
        o.snapshots = snaps.v, o.nsnapshots = snaps.n;
        o.weights = weights.v, o.nweights = weights.n;
        o.parents = parents.v, o.nparents = parents.n;
        o.external = ext.v, o.nexternal = ext.n;
        o.key = key;
        char *env = NULL, model[EX_DIGEST_STR_BYTES];
        size_t len = 0;
        uint64_t idx = 0;
        int rc = ex_ledger_attest_run(l, &o, &env, &len, &idx, model);
        if (rc != EX_OK) {
            cli_err("%s", ex_ledger_errmsg(l));
            x = cli_exit(rc);
        } else if (out) {
            FILE *f = fopen(out, "wb");
            if (!f || fwrite(env, 1, len, f) != len || fputc('\n', f) == EOF || fclose(f) != 0) {
                cli_err("cannot write '%s' (the attestation is logged at index %llu: "
                        "'exante models' lists it)", out, (unsigned long long)idx);
                x = EXIT_IO;
            } else if (c->json) {
                printf("{\"index\":%llu,\"model\":\"%s\"}\n", (unsigned long long)idx, model);
            } else if (!c->quiet) {
                printf("model %s attested at log index %llu: %s\n", model,
                       (unsigned long long)idx, out);
            }
        } else if (c->json) {
            printf("{\"envelope\":%.*s,\"index\":%llu,\"model\":\"%s\"}\n", (int)len, env,
                   (unsigned long long)idx, model);
        } else {
            printf("%.*s\n", (int)len, env);
            if (!c->quiet)
                fprintf(stderr, "model %s attested at log index %llu\n", model,
                        (unsigned long long)idx);
        }
        free(env);
    }
    ex_ledger_close(l);
    ex_key_free(key);
    free(snaps.v), free(weights.v), free(parents.v), free(ext.v);
    return x < 0 ? EXIT_OKAY : x;
}

int
cmd_attest(cli *c, int argc, char **argv)
{
    const char *sub;
    int x = cli_subcommand(&argc, &argv, attest_usage, "attest", "run", &sub);
    if (x != CLI_GO)
        return x;
    if (strcmp(sub, "run") == 0)
        return attest_run(c, argc, argv);
    return cli_usage(attest_usage, "attest: unknown subcommand '%s'", sub);
}

/* --witness: the checkpoint of a verified envelope (its statement's predicate.checkpoint)
 * carries cosignatures by quorum of the witnesses */
static int
envelope_witnessed(const char *env, size_t len, const char *const *w, size_t nw,
                   unsigned quorum)
{
    json_t *e = json_loadb(env, len, 0, NULL), *st = NULL;
    const char *p = json_string_value(json_object_get(e, "payload"));
    size_t pl = p ? strlen(p) : 0, n = 0;
    uint8_t *raw = p ? malloc(pl / 4 * 3 + 3) : NULL;
    if (raw && ex_b64_decode(p, pl, raw, pl / 4 * 3 + 3, &n) == EX_OK)
        st = json_loadb((const char *)raw, n, 0, NULL);
    const char *cp = json_string_value(json_object_get(json_object_get(st, "predicate"),
                                                       "checkpoint"));
    int x = cli_witness_check("verify", cp, cp ? strlen(cp) : 0, w, nw, quorum);
    json_decref(st);
    json_decref(e);
    free(raw);
    return x;
}

int
cmd_verify(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"vkey", required_argument, NULL, 'v'},   {"signer", required_argument, NULL, 's'},
        {"weights", required_argument, NULL, 'w'}, {"jobs", required_argument, NULL, 'j'},
        {"proof", required_argument, NULL, 'p'},  {"parent", required_argument, NULL, 'P'},
        {"rotations", required_argument, NULL, 'r'},
        {"witness", required_argument, NULL, 'W'}, {"witness-quorum", required_argument, NULL, 'Q'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *vk = NULL, *signer = NULL, *proof = NULL, *rotations = NULL, *quorum = NULL;
    ex_key_chain *keys = NULL;
    list weights = {0}, parents = {0}, witnesses = {0};
    ex_attest_verify_opts o = {0};
    uint64_t n;
    int ch, x = EXIT_OKAY;
    optind = 1;
    opterr = 0;
    while (x == EXIT_OKAY && (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'v': vk = optarg; break;
        case 's': signer = optarg; break;
        case 'w': push(&weights, optarg); break;
        case 'p': proof = optarg; break;
        case 'P': push(&parents, optarg); break;
        case 'r': rotations = optarg; break;
        case 'W': push(&witnesses, optarg); break;
        case 'Q': quorum = optarg; break;
        case 'j':
            if (cli_parse_u64(optarg, &n) || n == 0 || n > 64)
                x = cli_usage(verify_usage, "verify: --jobs takes 1..64");
            o.jobs = (unsigned)n;
            break;
        case 'h': fputs(verify_usage, stdout); x = -1; break;
        default: x = cli_usage(verify_usage, "verify: bad option '%s'", argv[optind - 1]);
        }
    }
    if (x == EXIT_OKAY && optind + 1 != argc)
        x = cli_usage(verify_usage, "verify: expected one ENVELOPE");
    uint64_t q = witnesses.n;
    if (x == EXIT_OKAY && quorum && (cli_parse_u64(quorum, &q) || q == 0 || q > witnesses.n))
        x = cli_usage(verify_usage, "verify: --witness-quorum N takes 1 to the number of "
                                    "--witness keys");
    ex_vkey logk, signk;
    char *env = NULL, *prf = NULL;
    size_t envl = 0, prfl = 0;
    char **ptexts = calloc(parents.n + 1, sizeof *ptexts);
    size_t *plens = calloc(parents.n + 1, sizeof *plens);
    if (x == EXIT_OKAY)
        x = cli_load_keys(c, vk, rotations, &logk, &keys);
    if (x == EXIT_OKAY && signer)
        x = cli_load_vkey(c, signer, &signk);
    if (x == EXIT_OKAY)
        x = cli_read_file(argv[optind], 64u << 20, &env, &envl);
    if (x == EXIT_OKAY && proof)
        x = cli_read_file(proof, 64u << 20, &prf, &prfl);
    for (size_t i = 0; x == EXIT_OKAY && i < parents.n; i++)
        x = cli_read_file(parents.v[i], 64u << 20, &ptexts[i], &plens[i]);
    if (x == EXIT_OKAY) {
        o.log_key = &logk;
        o.log_keys = keys;
        o.signer = signer ? &signk : NULL;
        o.weights = weights.v, o.nweights = weights.n;
        o.proof = prf, o.proof_len = prfl;
        o.parents = (const char *const *)ptexts, o.parent_lens = plens, o.nparents = parents.n;
        ex_attest_info info;
        ex_err e = {0};
        int rc = ex_attest_verify(env, envl, &o, &info, &e);
        if (rc != EX_OK) {
            cli_err("verify: %s", e.msg);
            x = cli_exit(rc);
        } else if (witnesses.n &&
                   (x = envelope_witnessed(env, envl, witnesses.v, witnesses.n, (unsigned)q)) !=
                       EXIT_OKAY) {
            /* said why */
        } else if (c->json) {
            printf("{\"kind\":\"%s\",\"model\":\"%s\",\"ok\":true,\"parents\":%zu,"
                   "\"snapshots\":%zu,\"subjects\":%zu,\"weights_bytes\":%llu}\n",
                   info.kind, info.model, info.parents, info.snapshots, info.subjects,
                   (unsigned long long)info.weights_bytes);
        } else {
            printf("verified: model %s (%s, %s), %zu weight files%s, %zu snapshots in the log, "
                   "%zu parents\n", info.model, info.name, info.kind, info.subjects,
                   o.nweights ? " matching" : "", info.snapshots, info.parents);
        }
    }
    for (size_t i = 0; i < parents.n; i++)
        free(ptexts[i]);
    free(ptexts), free(plens), free(env), free(prf), free(keys);
    free(weights.v), free(parents.v), free(witnesses.v);
    return x < 0 ? EXIT_OKAY : x;
}

int
cmd_models(cli *c, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(models_usage, stdout);
        return EXIT_OKAY;
    }
    if (argc != 1)
        return cli_usage(models_usage, "models: no arguments");
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    char *out = NULL;
    size_t len = 0;
    int rc = ex_ledger_models_dup(l, &out, &len);
    return cli_emit(l, rc, out, len);
}

int
cmd_lineage(cli *c, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(models_usage, stdout);
        return EXIT_OKAY;
    }
    if (argc != 2)
        return cli_usage(models_usage, "lineage: expected one MODEL");
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    char *out = NULL;
    size_t len = 0;
    int rc = ex_ledger_lineage_dup(l, argv[1], &out, &len);
    if (rc != EX_OK)
        return cli_emit(l, rc, out, len);
    if (c->json) {
        printf("%.*s\n", (int)len, out);
        free(out);
        ex_ledger_close(l);
        return EXIT_OKAY;
    }
    json_t *o = json_loads(out, 0, NULL);
    free(out);
    json_t *m = json_object_get(o, "model");
    printf("%s %s (%s)%s\n", json_string_value(json_object_get(m, "name")),
           json_string_value(json_object_get(m, "model")),
           json_string_value(json_object_get(m, "kind")),
           json_is_true(json_object_get(m, "retired")) ? " RETIRED" : "");
    static const char *const parts[2] = {"ancestors", "descendants"};
    for (int p = 0; p < 2; p++) {
        json_t *v, *arr = json_object_get(o, parts[p]);
        size_t i;
        printf("%s: %zu\n", parts[p], json_array_size(arr));
        json_array_foreach(arr, i, v) {
            int d = (int)json_integer_value(json_object_get(v, "depth"));
            printf("%*s%s %s (%s)%s\n", 2 * d, "", json_string_value(json_object_get(v, "name")),
                   json_string_value(json_object_get(v, "model")),
                   json_string_value(json_object_get(v, "kind")),
                   json_is_true(json_object_get(v, "retired")) ? " RETIRED" : "");
        }
    }
    json_decref(o);
    ex_ledger_close(l);
    return EXIT_OKAY;
}

int
cmd_model(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sub;
    int x = cli_subcommand(&argc, &argv, models_usage, "model", "'retire' or 'show'", &sub);
    if (x != CLI_GO)
        return x;
    if (strcmp(sub, "show") == 0) {
        if (argc != 2)
            return cli_usage(models_usage, "model show: expected one MODEL or INDEX");
        ex_ledger *l;
        if ((x = cli_open(c, 1, &l)) != EXIT_OKAY)
            return x;
        char *env = NULL;
        size_t len = 0;
        int rc = ex_ledger_attestation_dup(l, argv[1], &env, &len, NULL);
        if (rc == EX_OK)
            printf("%.*s%s", (int)len, env, len && env[len - 1] == '\n' ? "" : "\n");
        else
            cli_err("model show: %s", ex_ledger_errmsg(l));
        free(env);
        ex_ledger_close(l);
        return cli_exit(rc);
    }
    if (strcmp(sub, "retire") != 0)
        return cli_usage(models_usage, "model: unknown subcommand '%s'", sub);
    const char *reason = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'r': reason = optarg; break;
        case 'h': fputs(models_usage, stdout); return EXIT_OKAY;
        default: return cli_usage(models_usage, "model retire: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(models_usage, "model retire: expected one MODEL");
    if (!reason)
        return cli_usage(models_usage, "model retire: --reason TEXT is required");
    ex_ledger *l;
    if ((x = cli_open(c, 0, &l)) != EXIT_OKAY)
        return x;
    uint64_t idx;
    int rc = ex_ledger_model_retire(l, argv[optind], reason, &idx);
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    else if (c->json)
        printf("{\"index\":%llu}\n", (unsigned long long)idx);
    else if (!c->quiet)
        printf("model '%s' retired (log index %llu)\n", argv[optind], (unsigned long long)idx);
    ex_ledger_close(l);
    return cli_exit(rc);
}
