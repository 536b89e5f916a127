/* bom.h - the supply-chain and dataset documents (exante.h, ex_bom_dup): the facts read
 * strictly (bom.c) and written as SPDX 3.0.1 (spdx.c), CycloneDX 1.6 (cyclonedx.c) or
 * Croissant 1.1 (croissant.c). Each writer builds a jansson tree and bom.c writes it as
 * canonical JSON. Failures are kept in the context: the first one in rc (and err), and the
 * helpers do nothing useful after it, so a writer checks once at its end. docs/EXPORTS.md maps
 * every fact to its field. */
#ifndef EX_EXPORT_BOM_H
#define EX_EXPORT_BOM_H

#include "core/core.h"

#include <jansson.h>

typedef struct bom {
    json_t *facts;  /* the facts, read and checked */
    json_t *model;  /* facts.model, NULL for a snapshot */
    json_t *snaps;  /* facts.snapshots: at least one */
    json_t *pool;   /* strings made for the document (bom_enc, bom_fmt), alive as long as b */
    const char *origin;
    const char *base;    /* "https://" and the log origin, percent-encoded where a URL needs */
    const char *subject; /* the IRI of what the document describes: base/v1/snapshots/NAME or
                            base/v1/models/HEX */
    const char *when;    /* the document's time: the snapshot's created, the run's finished */
    uint8_t digest[EX_HASH_BYTES]; /* SHA-256 of the facts as given */
    ex_err *err;
    int rc;
} bom;

/* Members of facts object o (at where): a string, a nullable string (NULL for null), a count
 * (an integer >= 0). A wrong or missing member was refused by bom_read already. */
const char *bom_s(json_t *o, const char *k);
uint64_t bom_n(json_t *o, const char *k);

/* o[k] = v (taking v), a[] += v: a NULL v or a failure is EX_ENOMEM in b. */
void bom_put(bom *b, json_t *o, const char *k, json_t *v);
void bom_push(bom *b, json_t *a, json_t *v);
/* A string made with printf's format, kept in b's pool (NULL on failure, noted in b). */
const char *bom_fmt(bom *b, const char *fmt, ...) EX_PRINTF(2, 3);
/* s percent-encoded for a URL's path segment or fragment (RFC 3986 unreserved kept), in the
 * pool. */
const char *bom_enc(bom *b, const char *s);
/* A string value of fmt, as bom_fmt, for a tree. */
json_t *bom_jfmt(bom *b, const char *fmt, ...) EX_PRINTF(2, 3);
/* "urn:uuid:..." of a UUID (RFC 9562 version 8) made from SHA-256(salt || the facts' digest),
 * into out (46 bytes). */
void bom_uuid(const bom *b, const char *salt, char out[46]);
/* 1 if the normalised expression is one license id of the SPDX list (no operator, no '+', not
 * a LicenseRef, NONE or NOASSERTION). */
int bom_listed_id(const char *expr);
/* The IRI of snapshot facts s: base/v1/snapshots/NAME (what `exante serve` answers there). */
const char *bom_snap_iri(bom *b, json_t *s);

/* The writers: the document's tree into *out. */
int bom_spdx(bom *b, json_t **out);
int bom_cyclonedx(bom *b, json_t **out);
int bom_croissant(bom *b, json_t **out);

#endif
