/* fuzz_shard.c - a worker's input list and shard (ex_shard_list_read, ex_shard_parse;
 * src/ledger/shard.c) on any bytes. The input is written to a file and read as a list, whole
 * and as shard 1 of 3; its first line is also parsed as an "I/N" spec. Invariants: a list
 * that reads gives entries without NUL or newline (a CR is stripped once, as CRLF), none blank, none a
 * comment; shard 1/3 holds exactly the entries k with k mod 3 = 1, in order; a spec that
 * parses has index < count. */
#include "fuzz_common.h"

#include <unistd.h>

static char path[64];

static void
cleanup(void)
{
    unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/exante-fuzz-shard-%d", (int)getpid());
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char **all = NULL, **part = NULL;
    size_t n = 0, np = 0;
    uint64_t total = 0, total2 = 0;
    ex_err err = {0};
    ex_shard s = {1, 3};
    int rc = ex_shard_list_read(path, NULL, &all, &n, &total, &err);
    int rc2 = ex_shard_list_read(path, &s, &part, &np, &total2, &err);
    if (rc != rc2)
        FUZZ_FAIL("the whole list and a shard of it read differently");
    if (rc == EX_OK) {
        if (total != n || total2 != n)
            FUZZ_FAIL("counts differ");
        for (size_t k = 0; k < n; k++) {
            size_t len = strlen(all[k]);
            if (!len || strchr(all[k], '\n') || all[k][0] == '#')
                FUZZ_FAIL("an entry that is not one");
        }
        size_t j = 0;
        for (size_t k = 1; k < n; k += 3, j++)
            if (j >= np || strcmp(all[k], part[j]) != 0)
                FUZZ_FAIL("shard 1/3 is not entries 1, 4, 7, ...");
        if (j != np)
            FUZZ_FAIL("shard 1/3 has more entries");
    }
    ex_shard_list_free(all, n);
    ex_shard_list_free(part, np);
    char spec[64];
    size_t sl = size < sizeof spec - 1 ? size : sizeof spec - 1;
    memcpy(spec, data, sl);
    spec[sl] = '\0';
    spec[strcspn(spec, "\n")] = '\0';
    ex_shard sh;
    if (ex_shard_parse(spec, &sh, &err) == EX_OK && (sh.count == 0 || sh.index >= sh.count))
        FUZZ_FAIL("a spec parsed to a shard that is not one");
    return 0;
}
