/* bench_weights.c - hashing weight files as statement subjects (src/attest/weights.h).
 *
 *   bench_weights [--jobs N] PATH...
 *
 * Adds each PATH (file, directory or safetensors index), hashes the set with N threads and
 * prints the files, bytes, seconds, MB/s (10^6 bytes) of ex_weights_hash alone and the model
 * id. Compare with `openssl dgst -sha256` over the same files (bench/weights.sh does both). */
#define BENCH_NAME "bench_weights"
#include "bench_util.h"

#include "attest/weights.h"

#include <string.h>

int
main(int argc, char **argv)
{
    unsigned jobs = 1;
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "--jobs") == 0) {
        jobs = (unsigned)atoi(argv[2]);
        i = 3;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: bench_weights [--jobs N] PATH...\n");
        return 2;
    }
    ex_weights *w = NULL;
    ex_err e = {0};
    if (ex_weights_new(&w) != EX_OK)
        return 1;
    for (; i < argc; i++)
        if (ex_weights_add(w, argv[i], &e) != EX_OK) {
            fprintf(stderr, "bench_weights: %s\n", e.msg);
            return 1;
        }
    double t0 = now();
    if (ex_weights_hash(w, jobs, &e) != EX_OK) {
        fprintf(stderr, "bench_weights: %s\n", e.msg);
        return 1;
    }
    double dt = now() - t0;
    size_t n;
    const ex_subject *s = ex_weights_subjects(w, &n);
    uint8_t id[EX_HASH_BYTES];
    char hex[EX_DIGEST_STR_BYTES];
    if (ex_model_id(s, n, id, &e) != EX_OK) {
        fprintf(stderr, "bench_weights: %s\n", e.msg);
        return 1;
    }
    ex_digest_format(id, hex);
    uint64_t total = ex_weights_total(w);
    printf("files %zu bytes %llu jobs %u seconds %.3f MB/s %.1f model %s\n", n,
           (unsigned long long)total, jobs, dt, dt > 0 ? (double)total / dt / 1e6 : 0.0, hex);
    ex_weights_free(w);
    return 0;
}
