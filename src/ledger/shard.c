/* shard.c - the share of an input list one worker ingests (exante ingest --shard I/N --inputs
 * LIST): "I/N", the shard of a Slurm job array task or a Kubernetes Indexed Job, and the list
 * itself. Entry k belongs to shard k mod N (exante.h): a list that grows at its end keeps
 * every earlier entry in its shard, so workers rerun on a longer list add only new entries. */
#include "core/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long ull;

/* s[0..len): a decimal of 1 to 19 digits (below 2^64), nothing else; 0 on success */
static int
dec(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 19)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int
ex_shard_has(const ex_shard *s, uint64_t k)
{
    return k % s->count == s->index;
}

int
ex_shard_parse(const char *s, ex_shard *out, ex_err *err)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    uint64_t i, n;
    if (!slash || dec(s, (size_t)(slash - s), &i) || dec(slash + 1, strlen(slash + 1), &n))
        return ex_fail(err, EX_EINVAL,
                       "'%.64s': expected I/N, two decimal numbers (shard I of N, from 0)",
                       s ? s : "");
    if (n == 0)
        return ex_fail(err, EX_EINVAL, "'%.64s': the count must be at least 1", s);
    if (i >= n)
        return ex_fail(err, EX_EINVAL, "'%.64s': the index must be below the count (0-based)",
                       s);
    out->index = i, out->count = n;
    return EX_OK;
}

/* Environment variable name as a number into *v; *set 0 if it is unset or empty. */
static int
env_num(const char *name, uint64_t *v, int *set, ex_err *err)
{
    const char *s = getenv(name);
    *set = s && *s;
    if (*set && dec(s, strlen(s), v))
        return ex_fail(err, EX_EINVAL, "%s='%.32s' is not a decimal number", name, s);
    return EX_OK;
}

/* A Slurm job array task (SLURM_ARRAY_TASK_ID is set): ids MIN, MIN + STEP, ... */
static int
from_slurm(uint64_t id, uint64_t shards, ex_shard *out, ex_err *err)
{
    uint64_t count = 0, min = 0, step = 1;
    int has_count, has_min, has_step, rc;
    if ((rc = env_num("SLURM_ARRAY_TASK_COUNT", &count, &has_count, err)) != EX_OK ||
        (rc = env_num("SLURM_ARRAY_TASK_MIN", &min, &has_min, err)) != EX_OK ||
        (rc = env_num("SLURM_ARRAY_TASK_STEP", &step, &has_step, err)) != EX_OK)
        return rc;
    if (!has_count && !shards)
        return ex_fail(err, EX_EINVAL, "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT "
                                       "is not: pass --shards N (the array's task count)");
    if (has_count && shards && shards != count)
        return ex_fail(err, EX_EINVAL, "--shards %llu disagrees with SLURM_ARRAY_TASK_COUNT=%llu",
                       (ull)shards, (ull)count);
    if (!has_count)
        count = shards;
    if (count == 0 || step == 0)
        return ex_fail(err, EX_EINVAL, "SLURM_ARRAY_TASK_%s=0: it must be at least 1",
                       count == 0 ? "COUNT" : "STEP");
    if (id < min || (id - min) % step)
        return ex_fail(err, EX_EINVAL,
                       "SLURM_ARRAY_TASK_ID=%llu is not SLURM_ARRAY_TASK_MIN=%llu plus a multiple "
                       "of SLURM_ARRAY_TASK_STEP=%llu (shards need an array of ids MIN-MAX[:STEP])",
                       (ull)id, (ull)min, (ull)step);
    if ((id - min) / step >= count)
        return ex_fail(err, EX_EINVAL,
                       "SLURM_ARRAY_TASK_ID=%llu is task %llu (from SLURM_ARRAY_TASK_MIN=%llu in "
                       "steps of %llu), not below the count %llu",
                       (ull)id, (ull)((id - min) / step), (ull)min, (ull)step, (ull)count);
    out->index = (id - min) / step, out->count = count;
    return EX_OK;
}

int
ex_shard_choose(const char *spec, uint64_t shards, ex_shard *out, ex_err *err)
{
    ex_shard s;
    uint64_t v = 0;
    int set, rc;
    if (spec) {
        ex_err e = {0};
        if ((rc = ex_shard_parse(spec, &s, &e)) != EX_OK)
            return ex_fail(err, rc, "--shard: %s", e.msg);
        if (shards && shards != s.count)
            return ex_fail(err, EX_EINVAL, "--shard %.64s and --shards %llu disagree", spec,
                           (ull)shards);
        *out = s;
        return EX_OK;
    }
    if ((rc = env_num("SLURM_ARRAY_TASK_ID", &v, &set, err)) != EX_OK)
        return rc;
    if (set)
        return from_slurm(v, shards, out, err);
    if ((rc = env_num("JOB_COMPLETION_INDEX", &v, &set, err)) != EX_OK)
        return rc;
    if (set && !shards)
        return ex_fail(err, EX_EINVAL, "JOB_COMPLETION_INDEX is set but the shard count is not: "
                                       "pass --shards N (the Job's completions)");
    if (set && v >= shards)
        return ex_fail(err, EX_EINVAL, "JOB_COMPLETION_INDEX=%llu is not below --shards %llu "
                                       "(0-based)",
                       (ull)v, (ull)shards);
    if (!set && shards)
        return ex_fail(err, EX_EINVAL,
                       "--shards %llu gives a count but no index: pass --shard I/N, or run as a "
                       "Slurm array task or a Kubernetes Indexed Job",
                       (ull)shards);
    out->index = set ? v : 0, out->count = set ? shards : 1;
    return EX_OK;
}

void
ex_shard_list_free(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}

/* nothing, or spaces and tabs only */
static int
blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

/* Append a copy of s[0..len) to *v (*n entries, room for *cap). */
static int
push(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        char **w = realloc(*v, c * sizeof *w);
        if (!w)
            return EX_ENOMEM;
        *v = w, *cap = c;
    }
    if (!((*v)[*n] = strndup(s, len)))
        return EX_ENOMEM;
    (*n)++;
    return EX_OK;
}

int
ex_shard_list_read(const char *file, const ex_shard *s, char ***paths, size_t *n,
                   uint64_t *total, ex_err *err)
{
    int in_std = strcmp(file, "-") == 0;
    const char *name = in_std ? "standard input" : file;
    FILE *f = in_std ? stdin : fopen(file, "r");
    if (!f)
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", file, strerror(errno));
    char *line = NULL, **v = NULL;
    size_t cap = 0, nv = 0, vcap = 0;
    uint64_t k = 0, lineno = 0;
    ssize_t got;
    int rc = EX_OK;
    errno = 0;
    while (rc == EX_OK && (got = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)got;
        lineno++;
        if (len && line[len - 1] == '\n')
            len--;
        if (len && line[len - 1] == '\r')
            len--;
        if (memchr(line, '\0', len))
            rc = ex_fail(err, EX_EFORMAT, "%s: line %llu: a NUL byte (a list is text, one path "
                                          "a line)", name, (ull)lineno);
        else if (!ex_utf8_valid(line, len))
            rc = ex_fail(err, EX_EFORMAT, "%s: line %llu: not valid UTF-8", name, (ull)lineno);
        else if (!blank(line, len) && line[0] != '#') {
            if ((!s || ex_shard_has(s, k)) && push(&v, &nv, &vcap, line, len) != EX_OK)
                rc = ex_fail(err, EX_ENOMEM, "out of memory");
            k++;
        }
        errno = 0;
    }
    if (rc == EX_OK && ferror(f))
        rc = ex_fail(err, EX_EIO, "cannot read '%s': %s", name, strerror(errno ? errno : EIO));
    free(line);
    if (!in_std)
        fclose(f);
    if (rc != EX_OK) {
        ex_shard_list_free(v, nv);
        return rc;
    }
    *paths = v, *n = nv, *total = k;
    return EX_OK;
}
