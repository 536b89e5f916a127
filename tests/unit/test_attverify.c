/* test_attverify.c - ex_attest_verify (src/attest/verify.c) against envelopes that are signed
 * by the ledger's own key but say something else: a real ledger with two snapshots and a
 * genuine training run (ex_ledger_attest_run); its statement read back (statement.h), one field
 * changed, written again and signed again (dsse.h) with the ledger's key loaded from key.pem.
 * Each forgery must fail with EX_EVERIFY and the message of the check it breaks; an unchanged
 * re-signing must give the genuine envelope byte for byte and pass, so that a failure comes from
 * the change alone. Also: a forked log (the same key and origin, another root at the same size),
 * another ledger's checkpoint, the order of the checks, and the envelope's own log entry. */
#include <jansson.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/dsse.h"
#include "attest/statement.h"
#include "exante.h"
#include "log/log.h"
#include "t.h"

static char Dir[] = "/tmp/exante-attverifyXXXXXX";
static ex_ledger *L;
static ex_key *Key;   /* the ledger's, from key.pem */
static ex_vkey VK;    /* the ledger's verifier key */
static char *Genuine; /* the genuine envelope */
static size_t GenuineLen;
static uint64_t GenuineIndex;
static char Model[EX_DIGEST_STR_BYTES];
static char S2Root[64]; /* the root of snapshot s2, base64 */

static char *
path_of(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", Dir, name);
    return buf[k];
}

static void
put(const char *name, const char *text)
{
    FILE *f = fopen(path_of(name), "wb");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* ---- forging: the genuine statement, changed, signed again with the ledger's key ---- */

typedef struct forgery {
    ex_statement st;  /* subjects and predicateType, as read (changeable) */
    json_t *p;        /* the predicate, a copy (changeable) */
    const char *type; /* predicateType to write */
} forgery;

static void
forge_begin(forgery *f)
{
    ex_dsse_env env;
    ex_err e = {0};
    memset(&env, 0, sizeof env);
    memset(f, 0, sizeof *f);
    CHECK_RC(ex_dsse_parse(Genuine, GenuineLen, &env, &e), EX_OK);
    CHECK_RC(ex_statement_parse(env.payload, env.payload_len, &f->st, &e), EX_OK);
    f->p = json_deep_copy(f->st.predicate);
    f->type = f->st.predicate_type;
    ex_dsse_env_clear(&env);
}

/* the forgery as a signed envelope (malloc'd) */
static char *
forge_end(forgery *f, size_t *len)
{
    char *ptext = json_dumps(f->p, JSON_COMPACT | JSON_SORT_KEYS);
    char *stmt = NULL, *env = NULL;
    size_t sl = 0;
    ex_err e = {0};
    CHECK(ptext != NULL);
    CHECK_RC(ex_statement_write(f->st.subjects, f->st.nsubjects, f->type, ptext, strlen(ptext),
                                &stmt, &sl, &e),
             EX_OK);
    CHECK_RC(ex_dsse_sign(&Key, 1, EX_DSSE_INTOTO_TYPE, stmt, sl, &env, len, &e), EX_OK);
    free(ptext);
    free(stmt);
    json_decref(f->p);
    ex_statement_clear(&f->st);
    return env;
}

static json_t *
snap0(forgery *f)
{
    return json_array_get(json_object_get(f->p, "snapshots"), 0);
}

static void
set_str(json_t *o, const char *k, const char *v)
{
    CHECK(json_object_set_new(o, k, json_string(v)) == 0);
}

/* verify env with o (NULL: the ledger's key alone): want rc and a message starting with
 * prefix and holding also (may be NULL) */
static void
expect_opts(const char *what, const char *env, size_t len, const ex_attest_verify_opts *o,
            int want, const char *prefix, const char *also)
{
    ex_attest_verify_opts dflt = {.log_key = &VK};
    ex_attest_info info;
    ex_err e = {0};
    int rc = ex_attest_verify(env, len, o ? o : &dflt, &info, &e);
    t_checks++;
    if (rc != want || (prefix && strncmp(e.msg, prefix, strlen(prefix)) != 0) ||
        (also && !strstr(e.msg, also))) {
        t_failures++;
        fprintf(stderr, "%s: got %d (%s) \"%s\", want %d \"%s...%s\"\n", what, rc,
                ex_strerror(rc), e.msg, want, prefix ? prefix : "", also ? also : "");
    }
}

static void
expect(const char *what, char *env, size_t len, const char *prefix, const char *also)
{
    expect_opts(what, env, len, NULL, EX_EVERIFY, prefix, also);
    free(env);
}

/* ---- the ledger ---- */

static int
setup(void)
{
    ex_err e = {0};
    ex_ledger_opts lo = {.origin = "test.example/attverify"};
    CHECK_RC(ex_ledger_init(path_of("ledger"), &lo, &L, &e), EX_OK);
    if (!L) {
        fprintf(stderr, "init: %s\n", e.msg);
        return -1;
    }
    CHECK_RC(ex_vkey_parse(ex_ledger_vkey(L), &VK, &e), EX_OK);
    CHECK_RC(ex_key_load(path_of("ledger/key.pem"), ex_ledger_origin(L), NULL, &Key, &e), EX_OK);
    if (!Key)
        return -1;
    uint64_t idx;
    ex_source_opts so = {.kind = "other"};
    CHECK_RC(ex_ledger_source_add(L, "s", &so, &idx), EX_OK);
    static const char policy[] = "reject optout\nadmit license MIT\nreject * \"no\"\n";
    char pd[EX_DIGEST_STR_BYTES];
    ex_policy_diag d;
    CHECK_RC(ex_ledger_policy_adopt(L, policy, strlen(policy), pd, &idx, &d), EX_OK);
    put("corpus.jsonl",
        "{\"text\":\"alpha\",\"url\":\"https://a.example/1\",\"license\":\"MIT\"}\n"
        "{\"text\":\"bravo\",\"url\":\"https://b.example/2\",\"license\":\"MIT\"}\n"
        "{\"text\":\"charlie\",\"url\":\"https://c.example/3\",\"license\":\"MIT\"}\n");
    const char *in[1] = {path_of("corpus.jsonl")};
    ex_ingest_opts io = {.source = "s"};
    ex_ingest_stats st;
    CHECK_RC(ex_ledger_ingest(L, in, 1, &io, &st), EX_OK);
    CHECK(st.admitted == 3);
    CHECK_RC(ex_ledger_snapshot_create(L, "s1", NULL, NULL, NULL, NULL), EX_OK);
    ex_optout_opts oo = {.domain = "b.example"};
    CHECK_RC(ex_ledger_optout_add(L, &oo, &idx, pd), EX_OK);
    char *rec = NULL;
    size_t rl = 0;
    CHECK_RC(ex_ledger_snapshot_create(L, "s2", NULL, &rec, &rl, NULL), EX_OK);
    json_t *r = rec ? json_loadb(rec, rl, 0, NULL) : NULL;
    snprintf(S2Root, sizeof S2Root, "%s", json_string_value(json_object_get(r, "root")));
    CHECK(strlen(S2Root) == 44);
    json_decref(r);
    free(rec);

    CHECK(mkdir(path_of("w"), 0755) == 0);
    put("w/model.safetensors", "weights of the base model");
    put("w/config.json", "{\"layers\":2}");
    const char *snaps[1] = {"s1"}, *weights[1] = {path_of("w")};
    ex_attest_opts ao = {.snapshots = snaps, .nsnapshots = 1, .weights = weights,
                         .nweights = 1, .name = "base", .code = "0123abc"};
    int rc = ex_ledger_attest_run(L, &ao, &Genuine, &GenuineLen, &GenuineIndex, Model);
    CHECK_RC(rc, EX_OK);
    if (rc != EX_OK)
        fprintf(stderr, "attest run: %s\n", ex_ledger_errmsg(L));
    return rc == EX_OK ? 0 : -1;
}

/* ---- the cases ---- */

static void
genuine(void)
{
    const char *weights[1] = {path_of("w")};
    ex_attest_verify_opts o = {.log_key = &VK, .weights = weights, .nweights = 1};
    ex_attest_info info;
    ex_err e = {0};
    CHECK_RC(ex_attest_verify(Genuine, GenuineLen, &o, &info, &e), EX_OK);
    CHECK_STR(info.model, Model);
    CHECK_STR(info.name, "base");
    CHECK_STR(info.kind, "pretrain");
    CHECK(info.subjects == 2 && info.snapshots == 1 && info.parents == 0);
    CHECK(info.weights_bytes == strlen("weights of the base model") + strlen("{\"layers\":2}"));

    /* re-signed unchanged: the same bytes (canonical JSON, deterministic Ed25519) */
    forgery f;
    forge_begin(&f);
    size_t len = 0;
    char *env = forge_end(&f, &len);
    CHECK(len == GenuineLen && env && memcmp(env, Genuine, len) == 0);
    expect_opts("re-signed", env, len, NULL, EX_OK, NULL, NULL);
    free(env);
}

static void
snapshots(void)
{
    forgery f;
    size_t len;
    char *env;

    /* a root that is not the one logged (another snapshot's) */
    forge_begin(&f);
    set_str(snap0(&f), "root", S2Root);
    env = forge_end(&f, &len);
    expect("root", env, len, "snapshot 's1': the statement says root ", S2Root);

    /* the member count */
    forge_begin(&f);
    json_object_set_new(snap0(&f), "size", json_integer(4));
    env = forge_end(&f, &len);
    expect("size", env, len, "snapshot 's1': the statement says 4 members", NULL);

    /* an inclusion hash changed */
    forge_begin(&f);
    {
        json_t *inc = json_object_get(snap0(&f), "inclusion");
        CHECK(json_array_size(inc) >= 1);
        char h[64];
        snprintf(h, sizeof h, "%s", json_string_value(json_array_get(inc, 0)));
        h[0] = h[0] == 'A' ? 'B' : 'A';
        json_array_set_new(inc, 0, json_string(h));
    }
    env = forge_end(&f, &len);
    expect("inclusion", env, len, "snapshot 's1': its record is not in the log", NULL);

    /* one inclusion hash too few */
    forge_begin(&f);
    json_array_remove(json_object_get(snap0(&f), "inclusion"), 0);
    env = forge_end(&f, &len);
    expect("inclusion short", env, len, "snapshot 's1': its record is not in the log", NULL);

    /* an inclusion hash that is not one */
    forge_begin(&f);
    json_array_set_new(json_object_get(snap0(&f), "inclusion"), 0, json_string("AAAA"));
    env = forge_end(&f, &len);
    expect("inclusion b64", env, len, "snapshot 's1': inclusion hash 0 is not", NULL);

    /* the record and the root both say another root: consistent, but not what was logged */
    forge_begin(&f);
    {
        json_t *s = snap0(&f);
        json_t *r = json_loads(json_string_value(json_object_get(s, "record")), 0, NULL);
        set_str(r, "root", S2Root);
        char *rt = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
        set_str(s, "record", rt);
        set_str(s, "root", S2Root);
        free(rt);
        json_decref(r);
    }
    env = forge_end(&f, &len);
    expect("record", env, len, "snapshot 's1': its record is not in the log", NULL);

    /* another log index for the same record */
    forge_begin(&f);
    json_object_set_new(snap0(&f), "log_index",
                        json_integer(json_integer_value(json_object_get(snap0(&f), "log_index")) -
                                     1));
    env = forge_end(&f, &len);
    expect("log_index", env, len, "snapshot 's1': its record is not in the log", NULL);

    /* s1's record under the name s2 */
    forge_begin(&f);
    set_str(snap0(&f), "name", "s2");
    env = forge_end(&f, &len);
    expect("name", env, len, "snapshot 's2': the logged record is not snapshot 's2'", NULL);

    /* a snapshot without its record */
    forge_begin(&f);
    json_object_del(snap0(&f), "record");
    env = forge_end(&f, &len);
    expect("no record", env, len, "statement: a snapshot lacks", NULL);
}

/* A fork: a log of the same origin signed by the same key whose first entry differs, so that
 * the checkpoint at the genuine size has another root. Built on a store of its own with the
 * log's internal constructor (a ledger makes a key of its own). */
static void
fork_log(void)
{
    ex_log *g = ex_ledger_log(L);
    forgery f;
    forge_begin(&f);
    json_t *log = json_object_get(f.p, "log");
    uint64_t size = (uint64_t)json_integer_value(json_object_get(log, "size"));
    uint64_t si = (uint64_t)json_integer_value(json_object_get(snap0(&f), "log_index"));
    CHECK(size > si && si > 0);

    ex_store *st = NULL;
    ex_log *fk = NULL;
    ex_err e = {0};
    ex_store_opts so = {.create = 1};
    CHECK_RC(ex_store_open_sqlite(":memory:", &so, &st, &e), EX_OK);
    CHECK_RC(ex_log_open(st, ex_ledger_origin(L), Key, &fk, &e), EX_OK);
    if (!fk) {
        json_decref(f.p);
        ex_statement_clear(&f.st);
        ex_store_close(st);
        return;
    }
    for (uint64_t i = 0; i < size; i++) {
        uint8_t *d = NULL;
        size_t dl = 0;
        CHECK_RC(ex_log_entry_dup(g, i, &d, &dl), EX_OK);
        if (i == 0 && dl > 2)
            d[dl - 2] ^= 1; /* the first entry, one byte off */
        const void *p = d;
        CHECK_RC(ex_log_append(fk, &p, &dl, 1, NULL), EX_OK);
        free(d);
    }
    CHECK(ex_log_size(fk) == size);
    uint8_t r1[EX_HASH_BYTES], r2[EX_HASH_BYTES];
    CHECK_RC(ex_log_root(g, size, r1), EX_OK);
    CHECK_RC(ex_log_root(fk, size, r2), EX_OK);
    CHECK(memcmp(r1, r2, EX_HASH_BYTES) != 0);
    char *note = NULL;
    size_t nl = 0;
    CHECK_RC(ex_log_checkpoint_at_dup(fk, size, &note, &nl), EX_OK);
    ex_checkpoint cp;
    CHECK_RC(ex_checkpoint_open(note, nl, &VK, &cp, &e), EX_OK); /* the ledger's key signed it */

    /* the forked checkpoint with the genuine inclusion proof */
    set_str(f.p, "checkpoint", note);
    size_t len;
    char *env = forge_end(&f, &len);
    expect("fork", env, len, "snapshot 's1': its record is not in the log under the checkpoint",
           "forked");

    /* the forked checkpoint with the record's inclusion in the fork: offline, nothing tells the
     * two apart (the key vouches for both); a consistency proof from a checkpoint the verifier
     * already holds does (docs/FORMATS.md, "Training runs") */
    forge_begin(&f);
    set_str(f.p, "checkpoint", note);
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t np = 0;
    CHECK_RC(ex_log_prove_inclusion(fk, si, size, proof, &np), EX_OK);
    json_t *inc = json_array();
    for (size_t k = 0; k < np; k++) {
        char b64[64];
        ex_b64_encode(proof[k], EX_HASH_BYTES, b64);
        json_array_append_new(inc, json_string(b64));
    }
    json_object_set_new(snap0(&f), "inclusion", inc);
    env = forge_end(&f, &len);
    expect_opts("fork with its own proof", env, len, NULL, EX_OK, NULL, NULL);
    free(env);

    free(note);
    ex_log_close(fk);
    ex_store_close(st);
}

static void
checkpoints(void)
{
    forgery f;
    size_t len;
    char *env;
    ex_err e = {0};

    /* another ledger's checkpoint (its own key and origin), the predicate's log naming it */
    ex_ledger *o = NULL;
    ex_ledger_opts mo = {.origin = "other.example/log", .in_memory = 1};
    CHECK_RC(ex_ledger_init(NULL, &mo, &o, &e), EX_OK);
    char *note = NULL;
    size_t nl = 0;
    if (o)
        CHECK_RC(ex_log_checkpoint_dup(ex_ledger_log(o), &note, &nl), EX_OK);
    forge_begin(&f);
    set_str(f.p, "checkpoint", note ? note : "");
    set_str(json_object_get(f.p, "log"), "origin", "other.example/log");
    json_object_set_new(json_object_get(f.p, "log"), "size", json_integer(0));
    env = forge_end(&f, &len);
    expect("other ledger", env, len, "checkpoint: ", "signature");
    free(note);
    ex_ledger_close(o);

    /* a checkpoint of another origin signed by the ledger's own key */
    forge_begin(&f);
    {
        ex_checkpoint cp;
        const char *gn = json_string_value(json_object_get(f.p, "checkpoint"));
        CHECK_RC(ex_checkpoint_open(gn, strlen(gn), &VK, &cp, &e), EX_OK);
        snprintf(cp.origin, sizeof cp.origin, "%s", "other.example/log");
        char body[512], *signed_note = NULL;
        size_t bl = 0, sl = 0;
        CHECK_RC(ex_checkpoint_format(&cp, body, sizeof body, &bl), EX_OK);
        CHECK_RC(ex_note_sign(body, bl, &Key, 1, &signed_note, &sl, &e), EX_OK);
        set_str(f.p, "checkpoint", signed_note ? signed_note : "");
        set_str(json_object_get(f.p, "log"), "origin", "other.example/log");
        free(signed_note);
    }
    env = forge_end(&f, &len);
    expect("other origin, same key", env, len,
           "checkpoint: it is of log 'other.example/log', the verifier key of log "
           "'test.example/attverify'",
           NULL);

    /* the predicate names another origin than the checkpoint's */
    forge_begin(&f);
    set_str(json_object_get(f.p, "log"), "origin", "other.example/log");
    env = forge_end(&f, &len);
    expect("log.origin", env, len, "checkpoint: it is of log 'test.example/attverify'",
           "'other.example/log'");

    /* ... or another size */
    forge_begin(&f);
    json_object_set_new(json_object_get(f.p, "log"), "size", json_integer(3));
    env = forge_end(&f, &len);
    expect("log.size", env, len, "checkpoint: it is of log ", "at 3");

    /* a signature bit of the checkpoint */
    forge_begin(&f);
    {
        char *cp = strdup(json_string_value(json_object_get(f.p, "checkpoint")));
        char *b64 = cp ? strrchr(cp, ' ') : NULL;
        CHECK(b64 != NULL);
        if (b64)
            b64[12] = b64[12] == 'A' ? 'B' : 'A';
        set_str(f.p, "checkpoint", cp ? cp : "");
        free(cp);
    }
    env = forge_end(&f, &len);
    expect("checkpoint signature", env, len, "checkpoint: ", NULL);
}

static void
model_and_statement(void)
{
    forgery f;
    size_t len;
    char *env;

    /* the predicate names a model that is not the subjects' */
    forge_begin(&f);
    set_str(json_object_get(f.p, "model"), "id",
            "sha256:0000000000000000000000000000000000000000000000000000000000000000");
    env = forge_end(&f, &len);
    expect("model id", env, len, "model: the subjects make model ",
           "the statement says sha256:0000");

    /* a subject's digest changed: the id no longer matches (and "model" comes before the
     * snapshot, whose root is wrong too) */
    forge_begin(&f);
    f.st.subjects[0].sha256[0] ^= 1;
    set_str(snap0(&f), "root", S2Root);
    env = forge_end(&f, &len);
    expect("subject", env, len, "model: the subjects make model ", Model);

    /* another predicateType */
    forge_begin(&f);
    f.type = "https://slsa.dev/provenance/v1";
    env = forge_end(&f, &len);
    expect("predicateType", env, len, "statement: not a training run", NULL);

    /* a kind that is not one of the predicate's (it is printed in verify --json) */
    forge_begin(&f);
    set_str(f.p, "kind", "rlhf\"");
    env = forge_end(&f, &len);
    expect("kind", env, len, "statement: kind 'rlhf\"' is not one of", NULL);

    /* no parents */
    forge_begin(&f);
    json_object_del(f.p, "parents");
    env = forge_end(&f, &len);
    expect("parents", env, len, "statement: not a training run", NULL);

    /* no checkpoint: "statement" before "checkpoint" */
    forge_begin(&f);
    json_object_del(f.p, "checkpoint");
    set_str(json_object_get(f.p, "model"), "id", "sha256:00");
    env = forge_end(&f, &len);
    expect("no checkpoint", env, len, "statement: not a training run", NULL);

    /* signed by another key: "signature", before anything in the statement */
    ex_key *k2 = NULL;
    CHECK_RC(ex_key_generate("someone.else", &k2, NULL), EX_OK);
    ex_err e = {0};
    CHECK_RC(ex_dsse_sign(&k2, 1, EX_DSSE_INTOTO_TYPE, "{}", 2, &env, &len, &e), EX_OK);
    expect("other signer", env, len, "signature: ", NULL);
    ex_key_free(k2);
}

/* the envelope's own entry (--proof) */
static void
own_entry(void)
{
    ex_log *g = ex_ledger_log(L);
    char *proof = NULL, *other = NULL;
    size_t pl = 0, ol = 0;
    CHECK_RC(ex_log_inclusion_doc_dup(g, GenuineIndex, 0, &proof, &pl), EX_OK);
    CHECK_RC(ex_log_inclusion_doc_dup(g, GenuineIndex - 1, 0, &other, &ol), EX_OK);
    ex_attest_verify_opts o = {.log_key = &VK, .proof = proof, .proof_len = pl};
    expect_opts("own entry", Genuine, GenuineLen, &o, EX_OK, NULL, NULL);
    /* as the CLI saves it: with a newline, and pretty-printed */
    char *nl = malloc(GenuineLen + 2);
    memcpy(nl, Genuine, GenuineLen);
    memcpy(nl + GenuineLen, "\n", 2);
    expect_opts("own entry, newline", nl, GenuineLen + 1, &o, EX_OK, NULL, NULL);
    json_t *j = json_loadb(Genuine, GenuineLen, 0, NULL);
    char *pretty = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    expect_opts("own entry, indented", pretty, strlen(pretty), &o, EX_OK, NULL, NULL);
    free(pretty);
    free(nl);
    /* the proof of another entry */
    o.proof = other, o.proof_len = ol;
    expect_opts("another entry", Genuine, GenuineLen, &o, EX_EVERIFY, "log: ",
                "names another envelope");
    /* a forged envelope with the genuine proof */
    forgery f;
    forge_begin(&f);
    set_str(f.p, "started", "2020-01-01T00:00:00Z");
    size_t len;
    char *env = forge_end(&f, &len);
    o.proof = proof, o.proof_len = pl;
    expect_opts("forged, genuine proof", env, len, &o, EX_EVERIFY, "log: ",
                "names another envelope");
    /* ... which otherwise verifies: nothing else checks the times */
    expect_opts("forged, no proof", env, len, NULL, EX_OK, NULL, NULL);
    free(env);
    /* a proof whose bytes are altered */
    char *bad = strdup(proof);
    char *root = strstr(bad, "\"root\":\"");
    CHECK(root != NULL);
    if (root)
        root[8] = root[8] == 'A' ? 'B' : 'A';
    o.proof = bad, o.proof_len = pl;
    expect_opts("altered proof", Genuine, GenuineLen, &o, EX_EVERIFY, "log: ", NULL);
    free(bad);
    free(proof);
    free(other);
}

/* a child's --parent envelopes: the genuine one (also as saved, with a newline), one of the same
 * model that says something else, one that is no parent */
static void
parents(void)
{
    CHECK(mkdir(path_of("child"), 0755) == 0);
    put("child/model.safetensors", "weights of the fine-tune");
    const char *snaps[1] = {"s2"}, *weights[1] = {path_of("child")}, *par[1] = {"base"};
    ex_attest_opts ao = {.snapshots = snaps, .nsnapshots = 1, .weights = weights,
                         .nweights = 1, .parents = par, .nparents = 1, .name = "child",
                         .kind = "fine-tune"};
    char *child = NULL;
    size_t cl = 0;
    CHECK_RC(ex_ledger_attest_run(L, &ao, &child, &cl, NULL, NULL), EX_OK);
    if (!child)
        return;
    const char *pv[1] = {Genuine};
    size_t plen[1] = {GenuineLen};
    ex_attest_verify_opts o = {.log_key = &VK, .parents = pv, .parent_lens = plen, .nparents = 1};
    expect_opts("parent", child, cl, &o, EX_OK, NULL, NULL);
    char *nl = malloc(GenuineLen + 2);
    memcpy(nl, Genuine, GenuineLen);
    memcpy(nl + GenuineLen, "\n", 2);
    pv[0] = nl, plen[0] = GenuineLen + 1;
    expect_opts("parent, newline", child, cl, &o, EX_OK, NULL, NULL);
    free(nl);
    /* the base model's weights, signed by the ledger's key, claiming snapshot s2 instead */
    forgery f;
    forge_begin(&f);
    {
        json_t *s = snap0(&f);
        set_str(s, "name", "s2");
        set_str(s, "root", S2Root);
    }
    size_t len;
    char *env = forge_end(&f, &len);
    pv[0] = env, plen[0] = len;
    expect_opts("parent, another envelope of its model", child, cl, &o, EX_EVERIFY,
                "parent 1: snapshot 's2'", NULL);
    free(env);
    /* ... or the same run said otherwise (its times), which verifies on its own */
    forge_begin(&f);
    set_str(f.p, "finished", "2030-01-01T00:00:00Z");
    env = forge_end(&f, &len);
    expect_opts("forged parent alone", env, len, NULL, EX_OK, NULL, NULL);
    pv[0] = env, plen[0] = len;
    expect_opts("parent, re-signed otherwise", child, cl, &o, EX_EVERIFY,
                "parent: model 'base' is a parent, but this run names its attestation sha256:",
                NULL);
    free(env);
    /* the child is not its own parent's parent */
    pv[0] = child, plen[0] = cl;
    expect_opts("not a parent", Genuine, GenuineLen, &o, EX_EVERIFY, "parent: model ",
                "('child') is not a parent of this run");
    free(child);
}

int
main(void)
{
    if (!mkdtemp(Dir)) {
        perror("mkdtemp");
        return 1;
    }
    if (setup() == 0) {
        genuine();
        snapshots();
        fork_log();
        checkpoints();
        model_and_statement();
        own_entry();
        parents();
    }
    free(Genuine);
    ex_key_free(Key);
    ex_ledger_close(L);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", Dir);
    CHECK(system(cmd) == 0);
    return t_done("test_attverify");
}
