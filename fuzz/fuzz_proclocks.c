/* fuzz_proclocks.c - one line of /proc/locks as the "database locked by PID N" message reads it
 * (sq_locks_line, src/store/sqlite_cause.c), on any bytes (a NUL ends the line, as fgets would
 * leave it).
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - a line read gives a pid above 0 that is written in the line, in decimal;
 *   - a waiter's line (holding "->") is never read;
 *   - the same answer twice. */
#include "fuzz_common.h"
#include "store/sqlite_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1); /* NUL-terminated, as fgets leaves a line */
    if (!line)
        return 0;
    if (size) /* an empty input may come as NULL */
        memcpy(line, data, size);
    line[size] = '\0';
    long pid = 0, pid2 = 0;
    unsigned long long ino = 0, ino2 = 0;
    int w = 0, w2 = 0;
    int r = sq_locks_line(line, &pid, &ino, &w);
    int r2 = sq_locks_line(line, &pid2, &ino2, &w2);
    if (r != r2 || (r && (pid != pid2 || ino != ino2 || w != w2)))
        FUZZ_FAIL("the same line read twice gave two answers");
    if (r) {
        char dec[32];
        snprintf(dec, sizeof dec, "%ld", pid);
        if (pid <= 0 || !strstr(line, dec))
            FUZZ_FAIL("a line read gives a pid that is not in it");
        if (strstr(line, "->"))
            FUZZ_FAIL("a waiter's line was read");
    }
    free(line);
    return 0;
}
