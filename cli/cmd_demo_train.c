/* cmd_demo_train.c - the second half of exante demo: after the snapshot, a training run on
 * it (a toy weights file attested and verified), a member's proof, what the opt-out and a
 * member reach (impact), and the documents the outside world reads (the EU summary, the
 * report), written where they outlive the demo's temporary ledger. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* write data into dir/name, its path into path; EXIT_OKAY or EXIT_IO (printed) */
static int
put(const char *dir, const char *name, const char *data, size_t len, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    return cli_write_out(path, data, len, "demo");
}

/* the size of a JSON answer's array key */
static size_t
count(const char *json, const char *key)
{
    json_t *o = json_loads(json, 0, NULL);
    size_t n = json_array_size(json_object_get(o, key));
    json_decref(o);
    return n;
}

int
cli_demo_train(ex_ledger *l, const ex_vkey *vk, const char *root, const char *outdir,
               uint64_t optout, FILE *out)
{
    char model[EX_DIGEST_STR_BYTES], *env = NULL, *doc = NULL, *json = NULL;
    size_t elen = 0, dlen = 0, jlen = 0;
    uint64_t aidx = 0;
    ex_err e = {0};
    int rc, x = EXIT_OKAY;

    /* a toy model: 64 KiB of deterministic weights, trained on the snapshot */
    char wdir[4200], wfile[4300];
    snprintf(wdir, sizeof wdir, "%s/model", root);
    snprintf(wfile, sizeof wfile, "%s/model.safetensors", wdir);
    char *w = malloc(65536);
    if (!w || (mkdir(wdir, 0777) != 0 && errno != EEXIST)) {
        free(w);
        cli_err("demo: cannot make '%s': %s", wdir, strerror(errno));
        return EXIT_IO;
    }
    for (size_t i = 0; i < 65536; i++)
        w[i] = (char)(i * 2654435761u >> 24);
    x = cli_write_out(wfile, w, 65536, "demo");
    free(w);
    if (x != EXIT_OKAY)
        return x;
    const char *snaps[] = {"demo-train"}, *weights[] = {wdir};
    ex_attest_opts ao = {.snapshots = snaps, .nsnapshots = 1, .weights = weights, .nweights = 1,
                         .name = "demo-model", .code = "0123abcd"};
    if ((rc = ex_ledger_attest_run(l, &ao, &env, &elen, &aidx, model)) != EX_OK) {
        cli_err("attest run: %s", ex_ledger_errmsg(l));
        return cli_exit(rc);
    }
    ex_attest_verify_opts vo = {.log_key = vk, .weights = weights, .nweights = 1};
    ex_attest_info info;
    rc = ex_attest_verify(env, elen, &vo, &info, &e);
    fprintf(out, "\n== training run: demo-model (%.19s...) trained on demo-train, its weights "
                 "hashed and attested in a DSSE envelope (log index %llu)\n   verify: %s\n",
            model, (unsigned long long)aidx,
            rc == EX_OK ? "signature, statement, checkpoint, snapshot record and weights all check"
                        : e.msg);
    free(env);
    if (rc != EX_OK)
        return cli_exit(rc);

    /* a member's proof: the first item the snapshot admitted */
    char *dl = NULL, dig[EX_DIGEST_STR_BYTES] = "";
    size_t dll;
    uint8_t d[EX_HASH_BYTES];
    int member = 0;
    if (ex_ledger_decisions_dup(l, "admit", NULL, NULL, 1, &dl, &dll) == EX_OK && dl) {
        json_t *d1 = json_loads(dl, 0, NULL);
        const char *g = json_string_value(json_object_get(d1, "digest"));
        snprintf(dig, sizeof dig, "%s", g ? g : "");
        json_decref(d1);
    }
    free(dl);
    if (ex_digest_parse(dig, d) != EX_OK ||
        (rc = ex_ledger_snapshot_prove_dup(l, "demo-train", d, &doc, &dlen, &member)) != EX_OK) {
        cli_err("prove: %s", ex_ledger_errmsg(l));
        return EXIT_IO;
    }
    ex_log_proof p;
    if ((rc = ex_log_proof_parse(doc, dlen, &p, &e)) == EX_OK)
        rc = ex_log_proof_verify(&p, vk, &e);
    ex_log_proof_clear(&p);
    fprintf(out, "   an admitted item is %s it: a %zu-byte %s proof %s\n",
            member ? "in" : "not in", dlen, member ? "membership" : "non-membership",
            rc == EX_OK ? "verifies offline against the vkey" : e.msg);
    free(doc);
    if (rc != EX_OK || !member)
        return rc != EX_OK ? cli_exit(rc) : EXIT_NO;

    /* impact: the opt-out's reach (its domain's items, and copies of them at other URLs),
     * then the member's: in the snapshot, carried by the model */
    ex_impact_query q = {.optout = 1, .optout_index = optout};
    if ((rc = ex_ledger_impact_dup(l, &q, &json, &jlen)) != EX_OK) {
        cli_err("impact: %s", ex_ledger_errmsg(l));
        return cli_exit(rc);
    }
    json_t *io = json_loads(json, 0, NULL), *v;
    size_t i, mirrors = 0;
    json_array_foreach(json_object_get(io, "item_list"), i, v) {
        const char *u = json_string_value(json_object_get(v, "url"));
        mirrors += u && !strstr(u, "shop.example.net");
    }
    fprintf(out, "\n== impact of the opt-out: %lld item(s), %zu of them copies mirrored at other "
                 "URLs; in %zu snapshot(s), so %zu model(s) trained on it\n",
            (long long)json_integer_value(json_object_get(io, "items")), mirrors,
            count(json, "snapshots"), count(json, "models"));
    json_decref(io);
    free(json);
    q = (ex_impact_query){.digest = dig};
    if ((rc = ex_ledger_impact_dup(l, &q, &json, &jlen)) != EX_OK) {
        cli_err("impact: %s", ex_ledger_errmsg(l));
        return cli_exit(rc);
    }
    fprintf(out, "   impact of the admitted item: in %zu snapshot(s), carried by %zu model(s)\n",
            count(json, "snapshots"), count(json, "models"));
    free(json);

    /* the documents: the EU summary of the model, the report of the ledger */
    char *facts = NULL, *md = NULL, *js = NULL, *html = NULL;
    size_t flen = 0, mlen = 0, jslen = 0, hlen = 0;
    ex_eu_opts eo = {.format = EX_DOC_MARKDOWN};
    if ((rc = ex_ledger_eu_facts_dup(l, "demo-model", &facts, &flen)) != EX_OK) {
        cli_err("eu-summary: %s", ex_ledger_errmsg(l));
        return cli_exit(rc);
    }
    rc = ex_eu_summary_dup(facts, flen, &eo, &md, &mlen, &e);
    eo.format = EX_DOC_JSON;
    if (rc == EX_OK)
        rc = ex_eu_summary_dup(facts, flen, &eo, &js, &jslen, &e);
    free(facts);
    if (rc == EX_OK && (rc = ex_ledger_report_dup(l, &facts, &flen)) != EX_OK)
        snprintf(e.msg, sizeof e.msg, "%s", ex_ledger_errmsg(l));
    ex_report_opts ro = {.title = "exante demo"};
    if (rc == EX_OK)
        rc = ex_report_html_dup(facts, flen, &ro, &html, &hlen, &e);
    free(facts);
    if (rc != EX_OK) {
        cli_err("demo: %s", e.msg);
        x = cli_exit(rc);
    }
    char p1[4300], p2[4300], p3[4300];
    if (x == EXIT_OKAY && (x = put(outdir, "eu-summary.md", md, mlen, p1, sizeof p1)) == EXIT_OKAY &&
        (x = put(outdir, "eu-summary.json", js, jslen, p2, sizeof p2)) == EXIT_OKAY &&
        (x = put(outdir, "report.html", html, hlen, p3, sizeof p3)) == EXIT_OKAY)
        fprintf(out, "\n== for the outside world (kept after the demo):\n"
                     "   EU training-content summary of demo-model: %s (and %s)\n"
                     "   the ledger's report, one self-contained page: %s\n",
                p1, p2, p3);
    free(md);
    free(js);
    free(html);
    return x;
}
