/* gen_log.c - test helper: make a ledger at DIR holding N generated entries, appended in
 * batches of varied sizes, for tests that need trees larger than CLI loops can make. */
#include <stdio.h>
#include <stdlib.h>

#include "exante.h"

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gen_log DIR ORIGIN N\n");
        return 2;
    }
    ex_ledger *l;
    ex_err e = {0};
    ex_ledger_opts o = {.origin = argv[2]};
    if (ex_ledger_init(argv[1], &o, &l, &e) != EX_OK) {
        fprintf(stderr, "gen_log: %s\n", e.msg);
        return 1;
    }
    unsigned long long n = strtoull(argv[3], NULL, 10), i = 0;
    static char bufs[5000][80];
    const void *ptrs[5000];
    size_t lens[5000], batch = 1;
    while (i < n) {
        size_t k = 0;
        for (; k < batch && i < n; k++, i++) {
            lens[k] = (size_t)snprintf(bufs[k], sizeof bufs[k],
                                       "{\"n\":%llu,\"type\":\"generated\"}", i);
            ptrs[k] = bufs[k];
        }
        if (ex_log_append(ex_ledger_log(l), ptrs, lens, k, NULL) != EX_OK) {
            fprintf(stderr, "gen_log: %s\n", ex_log_errmsg(ex_ledger_log(l)));
            ex_ledger_close(l);
            return 1;
        }
        batch = batch * 3 % 4999 + 1; /* 1, 4, 13, 40, ... varied batch sizes */
    }
    ex_ledger_close(l);
    return 0;
}
