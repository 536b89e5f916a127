/* test_shard.c - shards of an input list: "I/N", the shard from Slurm's and Kubernetes'
 * environment, reading lists (errors with their line), and the rule k mod N: a partition,
 * balanced, and stable when the list grows at its end. */
#include "core/core.h"
#include "t.h"

#include <unistd.h>

static const char *const env_names[] = {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT",
                                        "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP",
                                        "JOB_COMPLETION_INDEX"};

static void
env_clear(void)
{
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
        unsetenv(env_names[i]);
}

/* ex_shard_choose's answer as "I/N", or its error message prefixed with "error: " */
static const char *
choose(const char *spec, uint64_t shards)
{
    static char out[300];
    ex_shard s = {7, 9};
    ex_err e = {0};
    int rc = ex_shard_choose(spec, shards, &s, &e);
    if (rc == EX_OK)
        snprintf(out, sizeof out, "%llu/%llu", (unsigned long long)s.index,
                 (unsigned long long)s.count);
    else
        snprintf(out, sizeof out, "error: %s", rc == EX_EINVAL ? e.msg : "not EX_EINVAL");
    return out;
}

static void
test_parse(void)
{
    static const struct {
        const char *in, *want; /* "I/N", or the error message */
    } cases[] = {
        {"0/1", "0/1"},
        {"3/4", "3/4"},
        {"07/10", "7/10"},
        {"3/3", "'3/3': the index must be below the count (0-based)"},
        {"5/3", "'5/3': the index must be below the count (0-based)"},
        {"0/0", "'0/0': the count must be at least 1"},
        {"1", "'1': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {"", "'': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {"/4", "'/4': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {"1/", "'1/': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {"-1/4", "'-1/4': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {"+1/4", "'+1/4': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {" 1/4", "' 1/4': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {"1/4 ", "'1/4 ': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {"1/4x", "'1/4x': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {"1/2/4", "'1/2/4': expected I/N, two decimal numbers (shard I of N, from 0)"},
        {"1/99999999999999999999", /* over 2^64 */
         "'1/99999999999999999999': expected I/N, two decimal numbers (shard I of N, from 0)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ex_shard s = {42, 43};
        ex_err e = {0};
        char got[300];
        if (ex_shard_parse(cases[i].in, &s, &e) == EX_OK)
            snprintf(got, sizeof got, "%llu/%llu", (unsigned long long)s.index,
                     (unsigned long long)s.count);
        else {
            CHECK(e.code == EX_EINVAL && s.index == 42 && s.count == 43);
            snprintf(got, sizeof got, "%s", e.msg);
        }
        CHECK_STR(got, cases[i].want);
    }
}

static void
test_env(void)
{
    env_clear();
    /* nothing: the whole list; --shard alone; --shard wins over the environment */
    CHECK_STR(choose(NULL, 0), "0/1");
    CHECK_STR(choose("2/5", 0), "2/5");
    CHECK_STR(choose("2/5", 5), "2/5");
    CHECK_STR(choose("2/5", 4), "error: --shard 2/5 and --shards 4 disagree");
    CHECK_STR(choose("5/5", 0),
              "error: --shard: '5/5': the index must be below the count (0-based)");
    CHECK_STR(choose(NULL, 4), "error: --shards 4 gives a count but no index: pass --shard I/N, or "
                               "run as a Slurm array task or a Kubernetes Indexed Job");
    setenv("SLURM_ARRAY_TASK_ID", "9", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "2", 1);
    setenv("JOB_COMPLETION_INDEX", "x", 1);
    CHECK_STR(choose("1/3", 0), "1/3");

    /* Slurm: --array=0-3, then 1-4, then 10-16:2 (ids 10, 12, 14, 16) */
    env_clear();
    setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
    setenv("SLURM_ARRAY_TASK_ID", "3", 1);
    CHECK_STR(choose(NULL, 0), "3/4");
    CHECK_STR(choose(NULL, 4), "3/4");
    CHECK_STR(choose(NULL, 5), "error: --shards 5 disagrees with SLURM_ARRAY_TASK_COUNT=4");
    setenv("SLURM_ARRAY_TASK_ID", "4", 1);
    CHECK_STR(choose(NULL, 0),
              "error: SLURM_ARRAY_TASK_ID=4 is task 4 (from SLURM_ARRAY_TASK_MIN=0 "
              "in steps of 1), not below the count 4");
    setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
    CHECK_STR(choose(NULL, 0), "3/4");
    setenv("SLURM_ARRAY_TASK_ID", "1", 1);
    CHECK_STR(choose(NULL, 0), "0/4");
    setenv("SLURM_ARRAY_TASK_ID", "0", 1);
    CHECK_STR(choose(NULL, 0),
              "error: SLURM_ARRAY_TASK_ID=0 is not SLURM_ARRAY_TASK_MIN=1 plus a multiple of "
              "SLURM_ARRAY_TASK_STEP=1 (shards need an array of ids MIN-MAX[:STEP])");
    setenv("SLURM_ARRAY_TASK_MIN", "10", 1);
    setenv("SLURM_ARRAY_TASK_STEP", "2", 1);
    const char *want[] = {"0/4", NULL, "1/4", NULL, "2/4", NULL, "3/4"};
    for (int id = 10; id <= 16; id++) {
        char v[8];
        snprintf(v, sizeof v, "%d", id);
        setenv("SLURM_ARRAY_TASK_ID", v, 1);
        if (want[id - 10])
            CHECK_STR(choose(NULL, 0), want[id - 10]);
        else
            CHECK(strncmp(choose(NULL, 0), "error: SLURM_ARRAY_TASK_ID=", 27) == 0);
    }
    setenv("SLURM_ARRAY_TASK_ID", "18", 1);
    CHECK_STR(choose(NULL, 0),
              "error: SLURM_ARRAY_TASK_ID=18 is task 4 (from SLURM_ARRAY_TASK_MIN=10 "
              "in steps of 2), not below the count 4");
    setenv("SLURM_ARRAY_TASK_STEP", "0", 1);
    CHECK_STR(choose(NULL, 0), "error: SLURM_ARRAY_TASK_STEP=0: it must be at least 1");
    setenv("SLURM_ARRAY_TASK_STEP", "1", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "4x", 1);
    CHECK_STR(choose(NULL, 0), "error: SLURM_ARRAY_TASK_COUNT='4x' is not a decimal number");
    setenv("SLURM_ARRAY_TASK_COUNT", "0", 1);
    CHECK_STR(choose(NULL, 0), "error: SLURM_ARRAY_TASK_COUNT=0: it must be at least 1");
    setenv("SLURM_ARRAY_TASK_ID", "-1", 1);
    CHECK_STR(choose(NULL, 0), "error: SLURM_ARRAY_TASK_ID='-1' is not a decimal number");
    /* no count from Slurm: --shards gives it */
    env_clear();
    setenv("SLURM_ARRAY_TASK_ID", "2", 1);
    CHECK_STR(choose(NULL, 3), "2/3");
    CHECK_STR(choose(NULL, 0), "error: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is "
                               "not: pass --shards N (the array's task count)");
    /* an empty variable is an unset one */
    setenv("SLURM_ARRAY_TASK_ID", "", 1);
    CHECK_STR(choose(NULL, 0), "0/1");

    /* Kubernetes Indexed Job: the index, and --shards for the count */
    env_clear();
    setenv("JOB_COMPLETION_INDEX", "2", 1);
    CHECK_STR(choose(NULL, 3), "2/3");
    CHECK_STR(choose(NULL, 0), "error: JOB_COMPLETION_INDEX is set but the shard count is not: "
                               "pass --shards N (the Job's completions)");
    CHECK_STR(choose(NULL, 2), "error: JOB_COMPLETION_INDEX=2 is not below --shards 2 (0-based)");
    CHECK_STR(choose("0/2", 0), "0/2");
    setenv("JOB_COMPLETION_INDEX", "2 ", 1);
    CHECK_STR(choose(NULL, 3), "error: JOB_COMPLETION_INDEX='2 ' is not a decimal number");
    env_clear();
}

/* write text[0..len) to a new temporary file named into path */
static void
tmpfile_with(char path[64], const char *text, size_t len)
{
    snprintf(path, 64, "%s/exante-shard-XXXXXX", P_tmpdir);
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, text, len) == (ssize_t)len);
    close(fd);
}

/* ex_shard_list_read of text: EX_OK and the entries joined with '|', or the error message */
static const char *
list_of(const char *text, size_t len, const ex_shard *s, uint64_t *total)
{
    static char out[512];
    char path[64], **v = NULL;
    size_t n = 0;
    ex_err e = {0};
    tmpfile_with(path, text, len);
    int rc = ex_shard_list_read(path, s, &v, &n, total, &e);
    if (rc != EX_OK) {
        /* the message names the file: take it off */
        size_t pl = strlen(path);
        CHECK(strncmp(e.msg, path, pl) == 0);
        snprintf(out, sizeof out, "%s", strncmp(e.msg, path, pl) == 0 ? e.msg + pl : e.msg);
    } else {
        out[0] = 0;
        for (size_t i = 0; i < n; i++)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "|" : "", v[i]);
    }
    ex_shard_list_free(v, n);
    unlink(path);
    return out;
}

#define LIST(lit, s, total) list_of(lit, sizeof lit - 1, s, total)

static void
test_list(void)
{
    uint64_t total = 0;
    /* comments, blank lines (spaces and tabs too), CRLF; paths kept as they are */
    CHECK_STR(LIST("# inputs\na.jsonl\n\nb dir/c.warc.gz\r\n \t\n#x\n./d # not a comment\n"
                   "/abs/e\n",
                   NULL, &total),
              "a.jsonl|b dir/c.warc.gz|./d # not a comment|/abs/e");
    CHECK(total == 4);
    /* no final newline; an empty list */
    CHECK_STR(LIST("a\nb", NULL, &total), "a|b");
    CHECK(total == 2);
    CHECK_STR(LIST("", NULL, &total), "");
    CHECK(total == 0);
    CHECK_STR(LIST("# nothing\n\n", NULL, &total), "");
    CHECK(total == 0);
    /* errors name the line, whatever shard the line falls in */
    ex_shard one = {1, 2};
    CHECK_STR(LIST("a\n# c\nb\x00x\nc\n", &one, &total),
              ": line 3: a NUL byte (a list is text, one path a line)");
    CHECK_STR(LIST("a\n\nb\nc\xff\n", NULL, &total), ": line 4: not valid UTF-8");
    CHECK_STR(LIST("a\n\xed\xa0\x80\n", &one, &total), ": line 2: not valid UTF-8");
    CHECK_STR(LIST("# \xc3\x28\n", NULL, &total), ": line 1: not valid UTF-8"); /* a comment too */
    CHECK_STR(LIST("caf\xc3\xa9.jsonl\n", NULL, &total), "caf\xc3\xa9.jsonl");
    /* a missing list */
    char **v = NULL;
    size_t n = 0;
    ex_err e = {0};
    CHECK_RC(ex_shard_list_read("/nonexistent/list", NULL, &v, &n, &total, &e), EX_EIO);
    CHECK_STR(e.msg, "cannot open '/nonexistent/list': No such file or directory");
}

/* the rule: entry k to shard k mod N, counting entries only */
static void
test_select(void)
{
    enum { MAXN = 200 };
    char text[8192];
    size_t len = 0;
    uint64_t total;
    /* entries e0..e{m-1}, with comments and blank lines between them */
    for (int m = 0; m <= MAXN; m += 1 + m / 8) {
        len = 0;
        for (int k = 0; k < m; k++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%se%d\n",
                                    k % 3 == 0 ? "# c\n\n" : "", k);
        for (uint64_t N = 1; N <= 9; N++) {
            size_t seen = 0, min = SIZE_MAX, max = 0;
            for (uint64_t I = 0; I < N; I++) {
                ex_shard s = {I, N};
                char path[64], **v = NULL;
                size_t n = 0;
                ex_err e = {0};
                tmpfile_with(path, text, len);
                CHECK_RC(ex_shard_list_read(path, &s, &v, &n, &total, &e), EX_OK);
                unlink(path);
                CHECK(total == (uint64_t)m);
                for (size_t j = 0; j < n; j++) { /* entry I + j*N, in list order */
                    char want[16];
                    snprintf(want, sizeof want, "e%llu", (unsigned long long)(I + j * N));
                    CHECK_STR(v[j], want);
                    CHECK(ex_shard_has(&s, I + j * N));
                }
                seen += n;
                min = n < min ? n : min;
                max = n > max ? n : max;
                ex_shard_list_free(v, n);
            }
            CHECK(seen == (size_t)m); /* every entry in exactly one shard */
            CHECK(max - min <= 1);   /* balanced */
        }
    }
    /* a list that grows at its end: every shard keeps what it had, in the same order, and
     * gains only new entries */
    const char small[] = "a\n# c\nb\nc\n\nd\ne\n";
    const char grown[] = "a\n# c\nb\nc\n\nd\ne\nf\n# more\ng\nh\n";
    const char *before[3] = {"a|d", "b|e", "c"};
    const char *after[3] = {"a|d|g", "b|e|h", "c|f"};
    for (uint64_t I = 0; I < 3; I++) {
        ex_shard s = {I, 3};
        CHECK_STR(LIST(small, &s, &total), before[I]);
        CHECK(total == 5);
        CHECK_STR(LIST(grown, &s, &total), after[I]);
        CHECK(total == 8);
    }
}

int
main(void)
{
    test_parse();
    test_env();
    test_list();
    test_select();
    return t_done("test_shard");
}
