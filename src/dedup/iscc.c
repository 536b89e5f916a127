/* iscc.c - ISCC Text-Code v0 (iscc.h, exante.h). The collapse steps follow iscc-core's
 * collapse_text on a Python str: utf8proc gives the normal forms and categories, and the two
 * things Python does its own way (what str.split() calls white space, and str.lower()'s final
 * sigma) are written out here, checked against Python 3.11 for every code point. */
#include "iscc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Copied from ../shared/vectors/iscc/minhash-constants.tsv (iscc-core, Apache-2.0);
 * tests/unit/test_iscc.c checks them against it. */
const uint64_t ex_iscc_mpa[EX_ISCC_PERMS] = {
    UINT64_C(853146490016488653), UINT64_C(1849332765672628665), UINT64_C(1131688930666554379),
    UINT64_C(1936485333668353377), UINT64_C(890837126813020267), UINT64_C(1988249303247129861),
    UINT64_C(1408894512544874755), UINT64_C(2140251716176616185), UINT64_C(1755124413189049421),
    UINT64_C(1355916793659431597), UINT64_C(546586563822844083), UINT64_C(497603761441203021),
    UINT64_C(2000709902557454173), UINT64_C(1057597903350092207), UINT64_C(1576204252850880253),
    UINT64_C(2078784234495706739), UINT64_C(1022616668454863635), UINT64_C(2150082342606334489),
    UINT64_C(712341150087765807), UINT64_C(1511757510246096559), UINT64_C(1525853819909660573),
    UINT64_C(1263771796138990131), UINT64_C(1215963627200985263), UINT64_C(590069150281426443),
    UINT64_C(130824646248385081), UINT64_C(962725325544728503), UINT64_C(1702561325943522847),
    UINT64_C(296074222435072629), UINT64_C(490211158716051523), UINT64_C(1255327197241792767),
    UINT64_C(699458998727907367), UINT64_C(32930168991409845), UINT64_C(1985097843455124585),
    UINT64_C(362027841570125531), UINT64_C(1903252144040897835), UINT64_C(900391845076405289),
    UINT64_C(547470123601853551), UINT64_C(1689373724032359119), UINT64_C(845594231933442371),
    UINT64_C(400331968021206285), UINT64_C(174967108345233429), UINT64_C(876513700861085019),
    UINT64_C(505848386844809885), UINT64_C(1920468508342256199), UINT64_C(1292611725303815789),
    UINT64_C(963317239501343903), UINT64_C(1730880032297268007), UINT64_C(284614929850059717),
    UINT64_C(1185026248283273081), UINT64_C(2167288823816985197), UINT64_C(1214905315086686483),
    UINT64_C(1555253098157439857), UINT64_C(1048013650291539723), UINT64_C(1238618594841147605),
    UINT64_C(1213502582686547311), UINT64_C(286300733803129311), UINT64_C(1250358511639043529),
    UINT64_C(407534797452854371), UINT64_C(960869149538623787), UINT64_C(1722699901467253087),
    UINT64_C(1325704236119824319), UINT64_C(196979859428570839), UINT64_C(1669408735473259699),
    UINT64_C(781336617016068757),
};
const uint64_t ex_iscc_mpb[EX_ISCC_PERMS] = {
    UINT64_C(1089606993368836715), UINT64_C(726972438868274737), UINT64_C(66204585613901025),
    UINT64_C(1078410179646709132), UINT64_C(1343470117098523467), UINT64_C(698653121981343911),
    UINT64_C(1248486536592473639), UINT64_C(1447963007834012793), UINT64_C(1034598851883537815),
    UINT64_C(1474008409379745934), UINT64_C(793773480906057541), UINT64_C(980501101461882479),
    UINT64_C(963941556313537655), UINT64_C(233651787311327325), UINT64_C(243905121737149907),
    UINT64_C(570269452476776142), UINT64_C(297633284648631084), UINT64_C(1516796967247398557),
    UINT64_C(1494795672066692649), UINT64_C(1728741177365151059), UINT64_C(1029197538967983408),
    UINT64_C(1660732464170610344), UINT64_C(1399769594446678069), UINT64_C(506465470557005705),
    UINT64_C(1279720146829545181), UINT64_C(860096419955634036), UINT64_C(411519685280832908),
    UINT64_C(69539191273403207), UINT64_C(1960489729088056217), UINT64_C(605092075716397684),
    UINT64_C(1017496016211653149), UINT64_C(1304834535101321372), UINT64_C(949013511180032347),
    UINT64_C(1142776242221098779), UINT64_C(576980004709031232), UINT64_C(1071272177143100544),
    UINT64_C(1494527341093835499), UINT64_C(1073290814142727850), UINT64_C(1285904200674942617),
    UINT64_C(1277176606329477335), UINT64_C(343788427301735585), UINT64_C(2100915269685487331),
    UINT64_C(1227711252031557450), UINT64_C(18593166391963377), UINT64_C(2101884148332688233),
    UINT64_C(191808277534686888), UINT64_C(2170124912729392024), UINT64_C(918430470748151293),
    UINT64_C(1831024560113812361), UINT64_C(1951365515851067694), UINT64_C(744352348473654499),
    UINT64_C(1921518311887826722), UINT64_C(2020165648600700886), UINT64_C(1764930142256726985),
    UINT64_C(1903893374912839788), UINT64_C(1449378957774802122), UINT64_C(1435825328374066345),
    UINT64_C(833197549717762813), UINT64_C(2238991044337210799), UINT64_C(748955638857938366),
    UINT64_C(1834583747494146901), UINT64_C(222012292803592982), UINT64_C(901238460725547841),
    UINT64_C(1501611130776083278),
};

#define M61 ((UINT64_C(1) << 61) - 1)

/* ---- codes --------------------------------------------------------------------------------- */

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char *const mtypes[] = {"META", "SEMANTIC", "CONTENT", "DATA",
                                     "INSTANCE", "ISCC", "ID", "FLAKE"};

/* main types whose length field counts 32-bit blocks of the digest */
static int
standard(unsigned mtype)
{
    return mtype <= 4 || mtype == 7;
}

/* v as a varnibble: 0xxx (0-7), 10xx xxxx (8-71), 110x xxxx xxxx (72-583), 1110 and 12 bits
 * (584-4679); appended to nib[*n..]. */
static void
put_varnibble(uint8_t *nib, unsigned *n, unsigned v)
{
    unsigned bits, count;
    if (v < 8)
        bits = v, count = 1;
    else if (v < 72)
        bits = 0x80 | (v - 8), count = 2;
    else if (v < 584)
        bits = 0xC00 | (v - 72), count = 3;
    else
        bits = 0xE000 | (v - 584), count = 4;
    while (count--)
        nib[(*n)++] = bits >> 4 * count & 0xF;
}

int
ex_iscc_encode(unsigned mtype, unsigned stype, unsigned version, unsigned bits,
               const uint8_t *digest, char *code, size_t cap)
{
    if (!standard(mtype) || bits < 32 || bits > EX_ISCC_BITS_MAX || bits % 32 || stype > 4679 ||
        version > 4679 || !code)
        return EX_EINVAL;
    uint8_t nib[16], raw[8 + EX_ISCC_DIGEST_BYTES];
    unsigned nn = 0;
    put_varnibble(nib, &nn, mtype);
    put_varnibble(nib, &nn, stype);
    put_varnibble(nib, &nn, version);
    put_varnibble(nib, &nn, bits / 32 - 1);
    if (nn % 2)
        nib[nn++] = 0;
    size_t h = nn / 2, len = h + bits / 8;
    for (size_t i = 0; i < h; i++)
        raw[i] = (uint8_t)(nib[2 * i] << 4 | nib[2 * i + 1]);
    memcpy(raw + h, digest, bits / 8);
    if (cap < 5 + (len * 8 + 4) / 5 + 1)
        return EX_EINVAL;
    memcpy(code, "ISCC:", 5);
    size_t o = 5;
    unsigned acc = 0, have = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8 | raw[i]) & 0xFFF, have += 8;
        while (have >= 5)
            code[o++] = b32[acc >> (have -= 5) & 31];
    }
    if (have)
        code[o++] = b32[acc << (5 - have) & 31];
    code[o] = '\0';
    return EX_OK;
}

int
ex_iscc_text_code(const char *text, size_t len, unsigned bits, char *code, size_t code_cap,
                  uint8_t digest[EX_ISCC_DIGEST_BYTES], size_t *characters)
{
    if (bits < EX_ISCC_BITS_MIN || bits > EX_ISCC_BITS_MAX || bits % 32 || !code ||
        code_cap < 5 + ((2 + bits / 8) * 8 + 4) / 5 + 1 || (!text && len))
        return EX_EINVAL;
    ex_buf c = {0};
    size_t chars;
    int rc = ex_iscc_collapse(text, len, &c, &chars);
    if (rc == EX_OK) {
        uint8_t d[EX_ISCC_DIGEST_BYTES];
        ex_iscc_soft_hash(c.data, c.len, EX_ISCC_IMPL_BEST, d);
        rc = ex_iscc_encode(EX_ISCC_MT_CONTENT, EX_ISCC_ST_TEXT, 0, bits, d, code, code_cap);
        if (digest) {
            memcpy(digest, d, bits / 8);
            memset(digest + bits / 8, 0, EX_ISCC_DIGEST_BYTES - bits / 8);
        }
        if (characters)
            *characters = chars;
    }
    ex_buf_free(&c);
    return rc;
}

/* Read one varnibble from nib[*at..n); -1 if the nibbles end inside it or it starts 1111. */
static long
get_varnibble(const uint8_t *nib, unsigned n, unsigned *at)
{
    static const unsigned count[16] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 0};
    static const unsigned mask[5] = {0, 0x7, 0x3F, 0x1FF, 0xFFF}, base[5] = {0, 0, 8, 72, 584};
    unsigned c = *at < n ? count[nib[*at]] : 0;
    if (c == 0 || *at + c > n)
        return -1;
    unsigned v = 0;
    for (unsigned i = 0; i < c; i++)
        v = v << 4 | nib[(*at)++];
    return (long)((v & mask[c]) + base[c]);
}

int
ex_iscc_decode(const char *code, unsigned *mtype, unsigned *stype, unsigned *version,
               unsigned *bits, uint8_t digest[EX_ISCC_DIGEST_BYTES], ex_err *err)
{
    if (!code)
        return ex_fail(err, EX_EINVAL, "no code");
    if (strncasecmp(code, "ISCC:", 5) == 0)
        code += 5;
    size_t n = strlen(code);
    if (n == 0)
        return ex_fail(err, EX_EFORMAT, "empty");
    if (n > 64) /* 8 header bytes and 32 digest bytes */
        return ex_fail(err, EX_EFORMAT, "%zu characters, longer than any ISCC unit", n);
    uint8_t val[64], raw[40];
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)code[i];
        const char *at = strchr(b32, ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
        if (!at)
            return ex_fail(err, EX_EFORMAT, "character %zu is not base32 (A-Z, 2-7)", i + 1);
        val[i] = (uint8_t)(at - b32);
    }
    if (n % 8 == 1 || n % 8 == 3 || n % 8 == 6)
        return ex_fail(err, EX_EFORMAT, "%zu base32 characters are not a whole number of bytes",
                       n);
    size_t len = 0;
    unsigned acc = 0, have = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 5 | val[i]) & 0xFFF, have += 5;
        if (have >= 8)
            raw[len++] = (uint8_t)(acc >> (have -= 8));
    }
    if (acc & ((1u << have) - 1))
        return ex_fail(err, EX_EFORMAT, "base32 with nonzero padding bits");
    uint8_t nib[16];
    unsigned nn = len * 2 < 16 ? (unsigned)len * 2 : 16, at = 0;
    for (unsigned i = 0; i < nn; i++)
        nib[i] = i % 2 ? raw[i / 2] & 0xF : raw[i / 2] >> 4;
    long f[4];
    for (int i = 0; i < 4; i++)
        if ((f[i] = get_varnibble(nib, nn, &at)) < 0)
            return ex_fail(err, EX_EFORMAT, "the header does not decode");
    if (at % 2 && nib[at++] != 0)
        return ex_fail(err, EX_EFORMAT, "the header's padding is not zero");
    if (f[0] == 5 || f[0] == 6)
        return ex_fail(err, EX_EFORMAT, "an %s, not a unit", f[0] == 5 ? "ISCC-CODE" : "ISCC-ID");
    if (!standard((unsigned)f[0]))
        return ex_fail(err, EX_EFORMAT, "unknown main type %ld", f[0]);
    long b = (f[3] + 1) * 32;
    size_t body = len - at / 2;
    if (b > EX_ISCC_BITS_MAX)
        return ex_fail(err, EX_EFORMAT, "a digest of %ld bits, more than %d", b,
                       EX_ISCC_BITS_MAX);
    if (body != (size_t)b / 8)
        return ex_fail(err, EX_EFORMAT, "the header says %ld bits, but %zu bytes follow", b,
                       body);
    if (mtype)
        *mtype = (unsigned)f[0];
    if (stype)
        *stype = (unsigned)f[1];
    if (version)
        *version = (unsigned)f[2];
    if (bits)
        *bits = (unsigned)b;
    if (digest) {
        memset(digest, 0, EX_ISCC_DIGEST_BYTES);
        memcpy(digest, raw + at / 2, body);
    }
    return EX_OK;
}

int
ex_iscc_text64(const char *code, uint64_t *v, ex_err *err)
{
    unsigned mt, st, ver, bits;
    uint8_t d[EX_ISCC_DIGEST_BYTES];
    int rc = ex_iscc_decode(code, &mt, &st, &ver, &bits, d, err);
    if (rc != EX_OK)
        return rc;
    if (mt != EX_ISCC_MT_CONTENT)
        return ex_fail(err, EX_EFORMAT, "main type %s, not CONTENT", mtypes[mt]);
    if (st != EX_ISCC_ST_TEXT)
        return ex_fail(err, EX_EFORMAT, "a CONTENT code of subtype %u, not TEXT (0)", st);
    if (ver != 0)
        return ex_fail(err, EX_EFORMAT, "version %u, not 0", ver);
    if (bits < 64)
        return ex_fail(err, EX_EFORMAT, "%u bits, fewer than 64", bits);
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | d[i];
    *v = x;
    return EX_OK;
}

unsigned
ex_iscc_hamming(uint64_t a, uint64_t b)
{
    return (unsigned)__builtin_popcountll(a ^ b);
}
