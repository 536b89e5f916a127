/* cmd_impact.c - exante impact: what a piece of content, or an opt-out, reaches */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante impact (--digest sha256:HEX | --url URL | --file PATH | --optout INDEX)\n"
    "                     [--items]\n"
    "\n"
    "What the content (or every item an opt-out reaches) is in: the snapshots holding it, the\n"
    "models trained on those snapshots and every model derived from them (fine-tunes,\n"
    "distillations, merges), each with how it is reached, and the clean-room snapshot that\n"
    "would leave it out. --file hashes a file as ingest would (its bytes); INDEX is the log\n"
    "index of an opt-out ('exante optout list'). --items also lists every item holding the\n"
    "content, exact copies at other URLs included (a pass over all items; an opt-out always\n"
    "does it). --json: the answer as one JSON object (query, digests, digests_count, items,\n"
    "item_list, snapshots, models, clean_room).\n";

static void
words(const char *json)
{
    json_t *o = json_loads(json, 0, NULL), *v;
    size_t i;
    json_t *snaps = json_object_get(o, "snapshots"), *models = json_object_get(o, "models");
    printf("%s:\n", json_string_value(json_object_get(o, "query")));
    json_t *items = json_object_get(o, "item_list");
    if (json_is_array(items)) {
        printf("  held by %lld item(s), exact copies included:\n",
               (long long)json_integer_value(json_object_get(o, "items")));
        json_array_foreach(items, i, v) {
            const char *u = json_string_value(json_object_get(v, "url"));
            printf("    item %lld %s\n", (long long)json_integer_value(json_object_get(v, "id")),
                   u ? u : "(no URL)");
        }
    }
    if (json_array_size(snaps) == 0) {
        printf("  in no snapshot, so no attested model was trained on it.\n");
        json_decref(o);
        return;
    }
    printf("  in %zu snapshot(s):\n", json_array_size(snaps));
    json_array_foreach(snaps, i, v)
        printf("    %s (%lld of its %lld members)\n",
               json_string_value(json_object_get(v, "name")),
               (long long)json_integer_value(json_object_get(v, "members_reached")),
               (long long)json_integer_value(json_object_get(v, "size")));
    if (json_array_size(models) == 0) {
        printf("  no attested model was trained on those snapshots.\n");
    } else {
        printf("  carried by %zu model(s); training cannot be undone retroactively, so each of\n"
               "  these holds what it took from the content until it is retired or retrained:\n",
               json_array_size(models));
        json_array_foreach(models, i, v)
            printf("    %s %s: %s%s\n", json_string_value(json_object_get(v, "name")),
                   json_string_value(json_object_get(v, "model")),
                   json_string_value(json_object_get(v, "how")),
                   json_is_true(json_object_get(v, "retired")) ? " (retired)" : "");
    }
    json_array_foreach(json_object_get(o, "clean_room"), i, v)
        printf("  clean room: 'exante snapshot create NEW --from %s' after an opt-out drops %lld "
               "member(s), %lld stay\n",
               json_string_value(json_object_get(v, "from")),
               (long long)json_integer_value(json_object_get(v, "drops")),
               (long long)json_integer_value(json_object_get(v, "members_after")));
    json_decref(o);
}

int
cmd_impact(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"digest", required_argument, NULL, 'd'}, {"url", required_argument, NULL, 'u'},
        {"file", required_argument, NULL, 'f'},   {"optout", required_argument, NULL, 'o'},
        {"items", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    ex_impact_query q = {0};
    const char *file = NULL;
    char dig[EX_DIGEST_STR_BYTES];
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': q.digest = optarg; break;
        case 'u': q.url = optarg; break;
        case 'f': file = optarg; break;
        case 'i': q.items = 1; break;
        case 'o':
            if (cli_parse_u64(optarg, &q.optout_index))
                return cli_usage(usage, "impact: --optout takes a log index");
            q.optout = 1;
            break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "impact: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(usage, "impact: unexpected argument '%s'", argv[optind]);
    if (!!q.digest + !!q.url + !!file + q.optout != 1)
        return cli_usage(usage, "impact: give one of --digest, --url, --file, --optout");
    if (file) {
        ex_sha256 *h = NULL;
        uint8_t d[EX_HASH_BYTES];
        uint64_t size;
        ex_err e = {0};
        int rc = ex_sha256_new(&h);
        if (rc == EX_OK)
            rc = ex_sha256_file(h, file, d, &size, &e);
        ex_sha256_free(h);
        if (rc != EX_OK) {
            cli_err("impact: %s", e.msg[0] ? e.msg : ex_strerror(rc));
            return cli_exit(rc);
        }
        ex_digest_format(d, dig);
        q.digest = dig;
    }
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    char *out = NULL;
    size_t len = 0;
    int rc = ex_ledger_impact_dup(l, &q, &out, &len);
    if (rc != EX_OK)
        return cli_emit(l, rc, out, len);
    if (c->json)
        printf("%s\n", out);
    else
        words(out);
    free(out);
    ex_ledger_close(l);
    return EXIT_OKAY;
}
