/* records.c - the canonical records the ingest pipeline writes (pipeline.h), member by member
 * in canonical key order with the one canonical JSON writer (core/cjson.h). Their bytes are
 * hashed into the log: tests/golden pins them. */
#include "pipeline.h"

#include <string.h>

#include "signals/html.h"

const char ex_copy_reason[] = "exact copy of an earlier item";
const char ex_revisit_reason[] = "WARC revisit: a copy of the record it refers to";
const char ex_pending_reason[] = "no policy adopted yet: pending until 'exante reevaluate' "
                                 "decides it under an adopted policy";

/* what a record says of a text that is not UTF-8, rather than drop it */
static const char not_utf8[] = "(invalid UTF-8)";

static const char *
utf8_or_mark(const char *s)
{
    return s && !ex_utf8_valid(s, strlen(s)) ? not_utf8 : s;
}

int
recfix_init(recfix *f, const char *source)
{
    memset(f, 0, sizeof *f);
    snprintf(f->source, sizeof f->source, "%s", source);
    size_t sl = strlen(f->source);
    ex_cj w;
    ex_cj_init(&w, &f->buf);
    /* the items' tail: source, type */
    ex_cj_obj(&w);
    ex_cj_kstr(&w, "source", f->source, sl);
    ex_cj_kstr(&w, "type", "item", 4);
    f->item = 1;
    f->item_len = f->buf.len - 1;
    f->rc = w.rc;
    /* the decisions whose reason, rule and verdict are fixed: everything after provenance */
    static const char *const reason[TAIL_COUNT] = {NULL, ex_copy_reason, ex_revisit_reason,
                                                   ex_pending_reason};
    static const char *const rule[TAIL_COUNT] = {NULL, "duplicate", "duplicate", "no-policy"};
    static const char *const verdict[TAIL_COUNT] = {NULL, "duplicate", "duplicate", "pending"};
    for (int k = TAIL_COPY; k < TAIL_COUNT; k++) {
        size_t start = f->buf.len;
        ex_cj_init(&w, &f->buf);
        ex_cj_obj(&w);
        ex_cj_kstr(&w, "reason", reason[k], strlen(reason[k]));
        ex_cj_kstr(&w, "rule", rule[k], strlen(rule[k]));
        ex_cj_kstr(&w, "source", f->source, sl);
        ex_cj_kstr(&w, "type", "decision", 8);
        ex_cj_kstr(&w, "verdict", verdict[k], strlen(verdict[k]));
        f->tail[k] = start + 1;
        f->tail_len[k] = f->buf.len - start - 1;
        if (f->rc == EX_OK)
            f->rc = w.rc; /* the objects stay open: they are members to copy */
    }
    return f->rc == EX_ENOMEM ? EX_ENOMEM : EX_OK;
}

void
recfix_free(recfix *f)
{
    ex_buf_free(&f->buf);
}

int
rec_item(const recfix *f, const ex_item *it, const char *dig, const char *head, size_t headl,
         ex_buf *b)
{
    if (f->rc != EX_OK)
        return f->rc; /* the source name is not UTF-8: no record can hold it */
    size_t hl = ex_headers_kept(it->http_headers, it->http_headers_len);
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    ex_cj_kopt(&w, "content_type", it->content_type);
    ex_cj_kstr(&w, "digest", dig, EX_DIGEST_STR_LEN);
    ex_cj_kopt(&w, "fetched", it->fetched);
    ex_cj_kopt(&w, "file", it->file);
    if (headl)
        ex_cj_kstr(&w, "html_head", head, headl);
    if (hl)
        ex_cj_kstr(&w, "http_headers", it->http_headers, hl);
    if (it->http_status)
        ex_cj_kint(&w, "http_status", it->http_status);
    ex_cj_kopt(&w, "license", it->license);
    if (it->line)
        ex_cj_kint(&w, "line", (int64_t)it->line);
    if (it->member != it->offset)
        ex_cj_kint(&w, "member", (int64_t)it->member);
    ex_cj_kint(&w, "offset", (int64_t)it->offset);
    ex_cj_kopt(&w, "record_id", it->record_id);
    ex_cj_kopt(&w, "refers_to_digest", it->refers_to_digest);
    ex_cj_kopt(&w, "refers_to_record", it->refers_to_record);
    ex_cj_kopt(&w, "refers_to_uri", it->refers_to_uri);
    ex_cj_kint(&w, "size", (int64_t)it->size);
    ex_cj_members(&w, f->buf.data + f->item, f->item_len, "type"); /* source, type */
    ex_cj_kopt(&w, "url", it->url);
    ex_cj_kopt(&w, "warc_type", it->warc_type);
    ex_cj_end(&w);
    return ex_cj_done(&w);
}

int
rec_decision(const recfix *f, const char *source, const dec *d, ex_buf *b)
{
    if (f && f->rc != EX_OK)
        return f->rc;
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    if (d->carried_by)
        ex_cj_kint(&w, "carried_by", (int64_t)d->carried_by);
    if (d->copy_of)
        ex_cj_kint(&w, "copy_of", (int64_t)d->copy_of);
    ex_cj_kstr(&w, "digest", d->dig, strlen(d->dig));
    if (d->nevidence) {
        ex_cj_key(&w, "evidence");
        ex_cj_arr(&w);
        for (int i = 0; i < d->nevidence; i++)
            ex_cj_str(&w, d->evidence[i], strlen(d->evidence[i]));
        ex_cj_end(&w);
    }
    ex_cj_kint(&w, "item", (int64_t)d->item);
    if (d->near_of)
        ex_cj_kint(&w, "near_of", (int64_t)d->near_of);
    ex_cj_key(&w, "policy");
    if (d->policy)
        ex_cj_str(&w, d->policy, strlen(d->policy));
    else
        ex_cj_null(&w);
    ex_cj_kstr(&w, "provenance", d->prov, strlen(d->prov));
    if (f && d->tail != TAIL_NONE && !d->supersedes) {
        ex_cj_members(&w, f->buf.data + f->tail[d->tail], f->tail_len[d->tail], "verdict");
    } else {
        ex_cj_kstr(&w, "reason", d->reason, strlen(d->reason));
        if (d->reservation)
            ex_cj_kstr(&w, "reservation", d->reservation, strlen(d->reservation));
        ex_cj_kstr(&w, "rule", d->rule, strlen(d->rule));
        if (d->similarity)
            ex_cj_kstr(&w, "similarity", d->similarity, strlen(d->similarity));
        ex_cj_kstr(&w, "source", source, strlen(source));
        if (d->supersedes)
            ex_cj_kint(&w, "supersedes", (int64_t)d->supersedes);
        ex_cj_kstr(&w, "type", "decision", 8);
        ex_cj_kstr(&w, "verdict", d->verdict, strlen(d->verdict));
    }
    ex_cj_end(&w);
    return ex_cj_done(&w);
}

int
rec_quarantine(const ex_quarantine *q, const char *source, ex_buf *b)
{
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    ex_cj_kopt(&w, "file", utf8_or_mark(q->file));
    if (q->line)
        ex_cj_kint(&w, "line", (int64_t)q->line);
    if (q->member != q->offset)
        ex_cj_kint(&w, "member", (int64_t)q->member);
    ex_cj_kint(&w, "offset", (int64_t)q->offset);
    ex_cj_kopt(&w, "reason", utf8_or_mark(q->reason));
    ex_cj_kopt(&w, "source", source);
    ex_cj_end(&w);
    return ex_cj_done(&w);
}

int
rec_input(const char *source, size_t source_len, const char *path, uint64_t size,
          uint64_t mtime, uint64_t through, ex_buf *b)
{
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    ex_cj_kint(&w, "mtime", (int64_t)mtime);
    ex_cj_kopt(&w, "path", utf8_or_mark(path));
    ex_cj_kint(&w, "size", (int64_t)size);
    ex_cj_kstr(&w, "source", source, source_len);
    ex_cj_kint(&w, "through", (int64_t)through);
    ex_cj_end(&w);
    return ex_cj_done(&w);
}

int
rec_batch(const char *source, uint64_t first, uint64_t count, const uint8_t root[EX_HASH_BYTES],
          const char *logged, ex_buf *b)
{
    char b64[64];
    size_t n = ex_b64_encode(root, EX_HASH_BYTES, b64);
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    ex_cj_kint(&w, "count", (int64_t)count);
    ex_cj_kint(&w, "first", (int64_t)first);
    ex_cj_kopt(&w, "logged", logged);
    ex_cj_kstr(&w, "root", b64, n);
    ex_cj_kopt(&w, "source", source);
    ex_cj_kstr(&w, "type", "batch", 5);
    ex_cj_end(&w);
    return ex_cj_done(&w);
}
