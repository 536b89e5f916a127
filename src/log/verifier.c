/* verifier.c - a proof verifier for many documents under one key: it reads snapshot proofs
 * with the fast reader (snapscan.c), keeps its hasher and buffers, and remembers the
 * checkpoints it has opened, so that a run of proofs under one signed checkpoint checks the
 * Ed25519 signature once: that one check costs several times all of a snapshot proof's other
 * steps together, and every one of those still runs on every proof. */
#include "snapproof.h"

#include <stdlib.h>
#include <string.h>

/* Checkpoints remembered: proofs come in runs under one checkpoint (a snapshot's proofs carry
 * the checkpoint of the log's size when it was opened), and a verifier fed by several logs or
 * sizes holds a few. Least recently used out. */
#define SLOTS 16

typedef struct slot {
    char *note; /* the note's exact bytes (NUL-terminated), NULL for an empty slot */
    size_t len;
    ex_checkpoint c; /* what it says, its signature by the key checked */
    uint64_t used;   /* the clock when last given out */
} slot;

struct ex_cpcache {
    ex_vkey key; /* the one key every slot was checked with */
    slot s[SLOTS];
    uint64_t clock;
    uint64_t opened, reused; /* signature checks made, and spared */
};

struct ex_proof_verifier {
    ex_sha256 *h;
    ex_cpcache cc;
    ex_buf scratch; /* the fast reader's copy of each document */
    ex_log_proof p; /* each document's values (17 KB: not on the caller's stack) */
    uint64_t checked, verified;
};

/* The notes are the cache key, byte for byte: a note that differs anywhere, even in a way
 * that keeps its size and root line (another signature, an extra line), is not the one that
 * was checked. A few hundred bytes compared against 16 slots cost less than hashing the note
 * would, and nothing weaker than the whole note is ever compared. */
int
ex_cpcache_open(ex_cpcache *cc, const char *note, const ex_vkey *key, ex_checkpoint *out,
                ex_err *err)
{
    size_t len = strlen(note);
    if (!cc || memcmp(key, &cc->key, sizeof *key) != 0)
        return ex_checkpoint_open(note, len, key, out, err);
    slot *old = &cc->s[0];
    for (int i = 0; i < SLOTS; i++) {
        slot *s = &cc->s[i];
        if (s->note && s->len == len && memcmp(s->note, note, len) == 0) {
            s->used = ++cc->clock;
            cc->reused++;
            *out = s->c;
            return EX_OK;
        }
        if (!s->note || (old->note && s->used < old->used))
            old = s;
    }
    ex_checkpoint c;
    cc->opened++;
    int rc = ex_checkpoint_open(note, len, key, &c, err);
    if (rc != EX_OK)
        return rc;
    /* only opened notes are kept: a failure is checked again each time it comes */
    char *copy = malloc(len + 1);
    if (copy) { /* out of memory: the checkpoint holds, it is just not remembered */
        memcpy(copy, note, len + 1);
        free(old->note);
        *old = (slot){.note = copy, .len = len, .c = c, .used = ++cc->clock};
    }
    *out = c;
    return EX_OK;
}

int
ex_proof_verifier_new(const ex_vkey *key, ex_proof_verifier **out)
{
    if (!key || !out)
        return EX_EINVAL;
    ex_proof_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return EX_ENOMEM;
    int rc = ex_sha256_new(&v->h);
    if (rc != EX_OK) {
        free(v);
        return rc;
    }
    v->cc.key = *key;
    *out = v;
    return EX_OK;
}

void
ex_proof_verifier_free(ex_proof_verifier *v)
{
    if (!v)
        return;
    for (int i = 0; i < SLOTS; i++)
        free(v->cc.s[i].note);
    ex_buf_free(&v->scratch);
    ex_log_proof_clear(&v->p);
    ex_sha256_free(v->h);
    free(v);
}

int
ex_proof_verifier_check(ex_proof_verifier *v, const char *json, size_t len, int *kind, ex_err *err)
{
    if (!v || (!json && len))
        return ex_fail(err, EX_EINVAL, "no verifier or no document");
    v->checked++;
    ex_log_proof *p = &v->p;
    memset(p, 0, sizeof *p);
    int rc = ex_snapshot_proof_scan(json ? json : "", len, p, &v->scratch);
    if (rc == EX_EFORMAT) { /* not a canonical snapshot proof: another kind, or a bad one */
        ex_log_proof_clear(p);
        rc = ex_log_proof_parse_tree(json ? json : "", len, p, err);
    } else if (rc == EX_ENOMEM) {
        ex_fail(err, rc, "out of memory");
    }
    if (rc == EX_OK)
        rc = ex_log_proof_check(v->h, p, &v->cc.key, &v->cc, err);
    if (rc == EX_OK) {
        v->verified++;
        if (kind)
            *kind = p->kind;
    }
    ex_log_proof_clear(p);
    return rc;
}

void
ex_proof_verifier_stat(const ex_proof_verifier *v, ex_verifier_stat *out)
{
    *out = (ex_verifier_stat){.checked = v->checked,
                              .verified = v->verified,
                              .signatures = v->cc.opened,
                              .reused = v->cc.reused};
}
