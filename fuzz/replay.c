/* replay.c - run a libFuzzer target over corpus files without libFuzzer, so corpora replay
 * as ordinary tests with any compiler.
 *
 *   replay_<name> DIR...   calls LLVMFuzzerTestOneInput once per regular file in each DIR
 *                          (not recursive, files in name order) and prints "replayed N inputs".
 *
 * Exits 1 if a directory cannot be read or holds no files (an empty corpus replays nothing
 * and would hide a broken setup); a failing invariant in the target aborts, and the input is
 * named on stderr. Sanitizer reports exit without a signal: set REPLAY_VERBOSE=1 to name
 * every input before it runs. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *current; /* the input being run, for the crash handler */
static int verbose;

static void
on_crash(int sig)
{
    static const char pre[] = "replay: crashed on input ";
    if (current) {
        (void)!write(2, pre, sizeof pre - 1);
        (void)!write(2, current, strlen(current));
        (void)!write(2, "\n", 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Read a whole file into an exact-size malloc'd buffer (NULL data for an empty file). */
static int
read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 4096;
            uint8_t *p = realloc(buf, ncap);
            if (!p) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = p;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    /* shrink to the exact size so out-of-bounds reads are caught by ASan */
    uint8_t *exact = NULL;
    if (len) {
        exact = malloc(len);
        if (!exact) {
            free(buf);
            return -1;
        }
        memcpy(exact, buf, len);
    }
    free(buf);
    *data = exact;
    *size = len;
    return 0;
}

static int
replay_dir(const char *dir, unsigned long *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: cannot read directory '%s': %s\n", dir, strerror(errno));
        return -1;
    }
    unsigned long here = 0;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (rc == 0 && name[0] != '.') {
            size_t plen = strlen(dir) + 1 + strlen(name) + 1;
            char *path = malloc(plen);
            struct stat st;
            if (!path) {
                rc = -1;
            } else {
                snprintf(path, plen, "%s/%s", dir, name);
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                    uint8_t *data = NULL;
                    size_t size = 0;
                    if (read_file(path, &data, &size) != 0) {
                        fprintf(stderr, "replay: cannot read '%s': %s\n", path, strerror(errno));
                        rc = -1;
                    } else {
                        if (verbose)
                            fprintf(stderr, "replay: %s\n", path);
                        current = path;
                        LLVMFuzzerTestOneInput(data, size);
                        current = NULL;
                        free(data);
                        here++;
                    }
                }
                free(path);
            }
        }
        free(names[i]);
    }
    free(names);
    if (rc == 0 && here == 0) {
        fprintf(stderr, "replay: no input files in '%s'\n", dir);
        rc = -1;
    }
    *count += here;
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR...\n", argv[0]);
        return 2;
    }
    const char *v = getenv("REPLAY_VERBOSE");
    verbose = v && *v && strcmp(v, "0") != 0;
    static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], on_crash);
    unsigned long count = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++)
        if (replay_dir(argv[i], &count) != 0)
            bad = 1;
    printf("replayed %lu inputs\n", count);
    return bad ? 1 : 0;
}
