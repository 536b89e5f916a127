/* pack.c - item and decision records as zstd frames with a trained dictionary (pack.h). */
#include "store/pack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* data/zstd/items.dict and decisions.dict, compiled in by cmake/embed.cmake */
extern const unsigned char ex_dict_items[], ex_dict_decisions[];
extern const size_t ex_dict_items_len, ex_dict_decisions_len;

/* dictionary ids (in the dictionaries, and so in every frame made with them) */
enum { DICT_ITEMS = 1, DICT_DECISIONS = 2 };

/* Level 1: on the small-item benchmark's 300-400 byte records (with checksums), level 3
 * packed them 1% smaller (items 2.24x -> 2.26x, decisions 3.34x -> 3.36x) and took 10-35%
 * longer (1.12 -> 1.53 us per item record). */
#define LEVEL 1

static ZSTD_CDict *cdicts[3];
static ZSTD_DDict *ddicts[3];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load_dicts(void)
{
    cdicts[DICT_ITEMS] = ZSTD_createCDict(ex_dict_items, ex_dict_items_len, LEVEL);
    cdicts[DICT_DECISIONS] = ZSTD_createCDict(ex_dict_decisions, ex_dict_decisions_len, LEVEL);
    ddicts[DICT_ITEMS] = ZSTD_createDDict(ex_dict_items, ex_dict_items_len);
    ddicts[DICT_DECISIONS] = ZSTD_createDDict(ex_dict_decisions, ex_dict_decisions_len);
}

struct ex_packer {
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
    char *buf; /* the last unpacked record */
    size_t cap;
};

int
ex_packer_new(ex_packer **out)
{
    pthread_once(&once, load_dicts);
    ex_packer *p = calloc(1, sizeof *p);
    if (!p || !cdicts[DICT_ITEMS] || !cdicts[DICT_DECISIONS] || !ddicts[DICT_ITEMS] ||
        !ddicts[DICT_DECISIONS]) {
        free(p);
        return EX_ENOMEM;
    }
    *out = p; /* its contexts are made at first use: a reader never needs the compressor */
    return EX_OK;
}

void
ex_packer_free(ex_packer *p)
{
    if (!p)
        return;
    ZSTD_freeCCtx(p->c);
    ZSTD_freeDCtx(p->d);
    free(p->buf);
    free(p);
}

int
ex_pack(ex_packer *p, int table, const void *rec, size_t len, ex_buf *out)
{
    int dict = table == EX_TAB_ITEMS ? DICT_ITEMS : table == EX_TAB_DECISIONS ? DICT_DECISIONS : 0;
    if (!dict)
        return ex_buf_put(out, rec, len);
    if (len > EX_PACK_MAX)
        return EX_EINVAL;
    if (!p->c) {
        if (!(p->c = ZSTD_createCCtx()))
            return EX_ENOMEM;
        /* the frame names its dictionary and its size, and ends with a checksum (4 bytes):
         * the log's hashes would catch a damaged record too, but zstd alone does not catch
         * every damaged frame, and what it makes of one it misses can depend on its earlier
         * work (found by fuzz_unpack); with the checksum a damaged record is always refused,
         * and says so */
        ZSTD_CCtx_setParameter(p->c, ZSTD_c_checksumFlag, 1);
        ZSTD_CCtx_setParameter(p->c, ZSTD_c_contentSizeFlag, 1);
        ZSTD_CCtx_setParameter(p->c, ZSTD_c_dictIDFlag, 1);
    }
    size_t bound = ZSTD_compressBound(len);
    if (ex_buf_reserve(out, bound) != EX_OK)
        return EX_ENOMEM;
    ZSTD_CCtx_refCDict(p->c, cdicts[dict]);
    size_t n = ZSTD_compress2(p->c, out->data + out->len, bound, rec, len);
    if (ZSTD_isError(n))
        return EX_ENOMEM; /* with a bound-sized buffer only an allocation can fail */
    out->len += n;
    return EX_OK;
}

int
ex_packed(const void *data, size_t len)
{
    const unsigned char *b = data;
    return len >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD;
}

int
ex_unpack(ex_packer *p, const void *data, size_t len, const void **rec, size_t *rlen, ex_err *err)
{
    if (!ex_packed(data, len)) {
        *rec = data;
        *rlen = len;
        return EX_OK;
    }
    /* byte 4 is the frame header descriptor; bit 2: a checksum ends the frame */
    unsigned long long size = ZSTD_getFrameContentSize(data, len);
    if (len < 5 || !(((const unsigned char *)data)[4] & 4) || size == ZSTD_CONTENTSIZE_ERROR ||
        size == ZSTD_CONTENTSIZE_UNKNOWN)
        return ex_fail(err, EX_EFORMAT,
                       "damaged record: not a zstd frame with its size and checksum");
    if (size > EX_PACK_MAX)
        return ex_fail(err, EX_EFORMAT, "damaged record: it says it unpacks to %llu bytes", size);
    unsigned dict = ZSTD_getDictID_fromFrame(data, len);
    if (dict != 0 && dict != DICT_ITEMS && dict != DICT_DECISIONS)
        return ex_fail(err, EX_EFORMAT,
                       "record packed with dictionary %u, which this exante does not have "
                       "(written by a newer version?)", dict);
    if (!p->d && !(p->d = ZSTD_createDCtx()))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    if (p->cap < size + 1) {
        char *b = realloc(p->buf, size + 1);
        if (!b)
            return ex_fail(err, EX_ENOMEM, "out of memory");
        p->buf = b;
        p->cap = size + 1;
    }
    size_t n = dict ? ZSTD_decompress_usingDDict(p->d, p->buf, size, data, len, ddicts[dict])
                    : ZSTD_decompressDCtx(p->d, p->buf, size, data, len);
    if (ZSTD_isError(n) || n != size)
        return ex_fail(err, EX_EFORMAT, "damaged record: %s",
                       ZSTD_isError(n) ? ZSTD_getErrorName(n) : "shorter than it says");
    p->buf[n] = 0;
    *rec = p->buf;
    *rlen = n;
    return EX_OK;
}
