/* failure.c - the part of an ingest or reevaluate summary that a failed run adds: what was
 * committed (the library's counts then cover only the batches that landed), what was read
 * and not committed, and the command that resumes (issue 18: a disk-full ingest used to claim
 * every item it had read). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* s, quoted for a POSIX shell where it needs to be */
static void
put_word(FILE *f, const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-./:=,@%+";
    if (*s && strspn(s, plain) == strlen(s)) {
        fprintf(f, " %s", s);
        return;
    }
    fputs(" '", f);
    for (; *s; s++)
        *s == '\'' ? fputs("'\\''", f) : fputc(*s, f);
    fputc('\'', f);
}

/* The command as given (its options as getopt left them, which means the same), malloc'd;
 * NULL without memory. A --db URL may hold a password: it is written as the word URL. */
static char *
resume_dup(const cli *c)
{
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    if (!f)
        return NULL;
    fputs("exante", f);
    if (c->chdir) {
        put_word(f, "-C");
        put_word(f, c->chdir);
    }
    if (c->db_given)
        fputs(" --db URL", f);
    if (c->json)
        put_word(f, "--json");
    if (c->quiet)
        put_word(f, "-q");
    for (int i = 0; i < c->argc; i++)
        put_word(f, c->argv[i]);
    if (ferror(f)) {
        fclose(f);
        free(line);
        return NULL;
    }
    return fclose(f) == 0 ? line : (free(line), NULL);
}

void
cli_failure_json(const cli *c, const ex_ingest_stats *st, int rc, json_t *j)
{
    json_object_set_new(j, "complete", json_boolean(rc == EX_OK));
    if (rc == EX_OK)
        return;
    json_t *done = json_object(), *undone = json_object();
    json_object_set_new(done, "items", json_integer((json_int_t)st->items));
    json_object_set_new(done, "admitted", json_integer((json_int_t)st->admitted));
    json_object_set_new(done, "rejected", json_integer((json_int_t)st->rejected));
    json_object_set_new(done, "pending", json_integer((json_int_t)st->pending));
    json_object_set_new(done, "duplicates", json_integer((json_int_t)st->duplicates));
    json_object_set_new(done, "quarantined", json_integer((json_int_t)st->quarantined));
    json_object_set_new(done, "batches", json_integer((json_int_t)st->batches));
    json_object_set_new(j, "committed", done);
    json_object_set_new(undone, "items", json_integer((json_int_t)st->uncommitted));
    json_object_set_new(j, "not_committed", undone);
    char *line = resume_dup(c);
    json_object_set_new(j, "resume", line ? json_string(line) : json_null());
    free(line);
}

void
cli_failure_text(const cli *c, const ex_ingest_stats *st, int rc)
{
    if (rc == EX_OK)
        return;
    printf("incomplete: the counts above are what was committed, in %llu batches; %llu items "
           "read after them were not committed\n",
           (unsigned long long)st->batches, (unsigned long long)st->uncommitted);
    char *line = resume_dup(c);
    printf("to resume, %s, run the same command again (what was committed is not repeated):\n"
           "  %s\n",
           cli_exit(rc) == EXIT_IO ? "once the cause above is fixed (space freed, permission "
                                     "given, the other process done)"
                                   : "once the error above is dealt with",
           line ? line : "(out of memory)");
    free(line);
}
