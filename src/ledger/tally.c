/* tally.c - counters by key (tally.h). */
#include "tally.h"

#include <stdlib.h>
#include <string.h>

void
tally_init(tally *t, size_t max)
{
    memset(t, 0, sizeof *t);
    t->max = max;
}

void
tally_free(tally *t)
{
    ex_buf_free(&t->arena);
    free(t->e);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

static size_t
slot_of(const void *k, size_t len, size_t nslots)
{
    return (size_t)ex_mix64(ex_fnv1a64(k, len)) & (nslots - 1);
}

/* twice the slots, every entry placed again */
static int
grow(tally *t)
{
    size_t ns = t->nslots ? 2 * t->nslots : 64;
    uint32_t *s = calloc(ns, sizeof *s);
    if (!s)
        return EX_ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = slot_of(tally_key(t, i), t->e[i].len, ns);
        while (s[j])
            j = (j + 1) & (ns - 1);
        s[j] = (uint32_t)i + 1;
    }
    free(t->slot);
    t->slot = s;
    t->nslots = ns;
    return EX_OK;
}

uint64_t *
tally_find(const tally *t, const void *k, size_t len)
{
    if (!t->nslots)
        return NULL;
    for (size_t j = slot_of(k, len, t->nslots); t->slot[j]; j = (j + 1) & (t->nslots - 1)) {
        tally_ent *e = &t->e[t->slot[j] - 1];
        if (e->len == len && memcmp(t->arena.data + e->off, k, len) == 0)
            return e->v;
    }
    return NULL;
}

int
tally_at(tally *t, const void *k, size_t len, uint64_t **v)
{
    *v = NULL;
    if (t->n * 2 >= t->nslots && grow(t) != EX_OK)
        return EX_ENOMEM;
    size_t j = slot_of(k, len, t->nslots);
    for (; t->slot[j]; j = (j + 1) & (t->nslots - 1)) {
        tally_ent *e = &t->e[t->slot[j] - 1];
        if (e->len == len && memcmp(t->arena.data + e->off, k, len) == 0) {
            *v = e->v;
            return EX_OK;
        }
    }
    if (t->n >= t->max) {
        t->capped = 1;
        *v = t->over;
        return EX_OK;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        tally_ent *e = realloc(t->e, cap * sizeof *e);
        if (!e)
            return EX_ENOMEM;
        t->e = e;
        t->cap = cap;
    }
    size_t off = t->arena.len;
    if (ex_buf_put(&t->arena, k, len) != EX_OK || ex_buf_putc(&t->arena, '\0') != EX_OK)
        return EX_ENOMEM;
    tally_ent *e = &t->e[t->n];
    memset(e, 0, sizeof *e);
    e->off = off;
    e->len = len;
    t->slot[j] = (uint32_t)++t->n;
    *v = e->v;
    return EX_OK;
}

typedef struct sort_ctx {
    tally *t;
    int (*cmp)(const tally *t, size_t a, size_t b);
} sort_ctx;

static int
by_cmp(const void *a, const void *b, void *ctx)
{
    const sort_ctx *c = ctx;
    return c->cmp(c->t, *(const size_t *)a, *(const size_t *)b);
}

size_t *
tally_sorted(tally *t, int (*cmp)(const tally *t, size_t a, size_t b), int *ok)
{
    *ok = 1;
    if (t->n == 0)
        return NULL;
    size_t *ix = malloc(t->n * sizeof *ix);
    if (!ix) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < t->n; i++)
        ix[i] = i;
    sort_ctx c = {t, cmp};
    qsort_r(ix, t->n, sizeof *ix, by_cmp, &c);
    return ix;
}

int
tally_key_cmp(const tally *t, size_t a, size_t b)
{
    const tally_ent *x = &t->e[a], *y = &t->e[b];
    int c = memcmp(tally_key(t, a), tally_key(t, b), x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}
