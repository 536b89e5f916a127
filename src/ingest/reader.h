/* reader.h - what every input reader produces: items, and quarantine reports for records it
 * cannot read. Readers stream: memory stays bounded whatever the input size. They know
 * nothing of policy or storage; the pipeline (ledger/) decides what to do with each item.
 *
 * Every pointer in ex_item and ex_quarantine is borrowed and valid only during the callback. */
#ifndef EX_READER_H
#define EX_READER_H

#include "core/core.h"

/* Payloads larger than this are digested in full but handed over only up to this many
 * bytes (content_len < size): enough for any header or HTML <head> scan. */
#define EX_ITEM_INLINE_MAX (8u << 20)

typedef struct ex_item {
    const char *file;      /* input path */
    uint64_t offset;       /* offset of the record in the decompressed stream */
    uint64_t member;       /* file offset of its gzip member / zstd frame; = offset if plain */
    uint64_t line;         /* JSONL: 1-based line number; 0 for other readers */
    uint8_t digest[EX_HASH_BYTES]; /* SHA-256 of the content bytes (DESIGN.md, "Content digest") */
    uint64_t size;         /* content size in bytes */
    const uint8_t *content; /* the content, or its first EX_ITEM_INLINE_MAX bytes */
    size_t content_len;
    const char *url;       /* NULL if none */
    const char *record_id; /* JSONL id field, WARC-Record-ID; NULL if none */
    const char *license;   /* declared license expression as given, or NULL */
    const char *fetched;   /* fetch time as given (JSONL field, WARC-Date), or NULL */
    /* WARC only (NULL / 0 otherwise) */
    const char *warc_type;    /* "response", "resource", "conversion" or "revisit" */
    int http_status;          /* HTTP status of a response record; 0 if not HTTP */
    const char *content_type; /* HTTP Content-Type (or WARC Content-Type for resources) */
    const char *http_headers; /* raw HTTP header block, status line included (NUL-terminated) */
    size_t http_headers_len;
    const char *refers_to_uri;    /* revisit: WARC-Refers-To-Target-URI */
    const char *refers_to_record; /* revisit: WARC-Refers-To, the WARC-Record-ID it repeats */
    const char *refers_to_digest; /* revisit: WARC-Payload-Digest as written */
    /* The record as it stands in the decompressed stream, for passing it on unchanged
     * (`exante filter`): bytes [offset, offset + raw_len). JSONL: the line without its newline
     * (and without the byte order mark at the start of a file); WARC: the whole record, from
     * its version line through the CRLF CRLF after its block; files: the file (raw_len = size).
     * raw points at them while they are in memory: always for JSONL, for WARC only when the
     * callbacks ask (ex_reader_cb.raw) and the record fits the reader's stream buffer; files
     * never. NULL otherwise: read them again from the input. */
    const uint8_t *raw;
    uint64_t raw_len;
} ex_item;

typedef struct ex_quarantine {
    const char *file;
    uint64_t offset; /* offset of the bad record in the decompressed stream */
    uint64_t member; /* file offset of its gzip member / zstd frame; = offset if plain */
    uint64_t line;   /* JSONL line number, else 0 */
    const char *reason; /* lowercase, specific: "line 12: invalid UTF-8 in field 'text'" */
} ex_quarantine;

/* Callbacks; a non-EX_OK return stops the reader, which returns that code (used by --strict
 * and by cancellation). quarantine may be NULL: bad records are then skipped silently.
 * Readers return EX_OK when the input was read to its end (quarantines included), a
 * callback's code, EX_EIO, EX_ENOMEM, or EX_EINVAL for bad arguments (a field path). */
typedef struct ex_reader_cb {
    int (*item)(void *ctx, const ex_item *it);
    int (*quarantine)(void *ctx, const ex_quarantine *q);
    void *ctx;
    int raw; /* WARC: keep each record's bytes in the stream buffer while it is read, so that
                its item carries them in raw (costs a larger move of the buffer now and then) */
} ex_reader_cb;

/* JSONL field names; dotted paths reach nested objects ("meta.url"). NULL: the default. */
typedef struct ex_jsonl_fields {
    const char *text;    /* default "text" */
    const char *url;     /* default "url" */
    const char *id;      /* default "id" */
    const char *license; /* default "license" */
    const char *fetched; /* default "fetched" */
} ex_jsonl_fields;

/* One item per JSON line of a .jsonl file, plain, .gz or .zst: content = the decoded UTF-8
 * text field. Malformed lines are quarantined and reading goes on; a corrupt or truncated
 * compressed stream quarantines the rest of the file. Returns EX_OK when the file was read
 * to its end (quarantines included), a callback's code, or EX_EIO. */
int ex_read_jsonl(const char *path, const ex_jsonl_fields *fields, const ex_reader_cb *cb,
                  ex_err *err);

/* One item per response, resource and conversion record of a WARC 1.0/1.1 file (plain or
 * gzip, per record or whole); revisit records become items without content (size 0) that
 * name their target. Bad records are quarantined and reading goes on where possible. */
int ex_read_warc(const char *path, const ex_reader_cb *cb, ex_err *err);

/* One item per regular file under path (a file, or a directory walked recursively in name
 * order, symlinks not followed): content = the file's bytes; url = NULL. */
int ex_read_files(const char *path, const ex_reader_cb *cb, ex_err *err);

#endif
