/* test_elide.c - a paired decision's provenance left out of its block (src/store/elide.c): cut
 * only when it is the item's SHA-256 and the only one, put back byte for byte; anything else
 * stored and given back as it is. */
#include "t.h"

#include <openssl/sha.h>

#include "store/elide.h"

static void
hexdigest(const char *s, char out[65])
{
    unsigned char d[32];
    SHA256((const unsigned char *)s, strlen(s), d);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int
main(void)
{
    const char *item = "{\"digest\":\"sha256:00ff\",\"type\":\"item\",\"url\":\"https://a.example/\"}";
    char hx[65], dec[512], other[512], twice[700];
    hexdigest(item, hx);
    snprintf(dec, sizeof dec, "{\"item\":1,\"provenance\":\"sha256:%s\",\"verdict\":\"admit\"}", hx);
    ex_buf st = {0}, out = {0};
    ex_sha256 *h = NULL;
    CHECK_RC(ex_sha256_new(&h), EX_OK);
    const void *rec;
    size_t rlen;
    /* cut, and back */
    CHECK_RC(ex_elide_put(h, item, strlen(item), dec, strlen(dec), &st), EX_OK);
    CHECK(st.len == strlen(dec) - 64);
    CHECK(memmem(st.data, st.len, "\"provenance\":\"sha256:\"", 22) != NULL);
    CHECK_RC(ex_elide_get(h, item, strlen(item), st.data, st.len, &out, &rec, &rlen), EX_OK);
    CHECK(rlen == strlen(dec) && memcmp(rec, dec, rlen) == 0);
    /* another item's provenance, or two of them, or none: stored as it is */
    snprintf(other, sizeof other, "{\"item\":1,\"provenance\":\"sha256:%064d\"}", 0);
    snprintf(twice, sizeof twice, "{\"a\":{\"provenance\":\"sha256:%s\"},\"provenance\":\"sha256:%s\"}",
             hx, hx);
    const char *keep[] = {other, twice, "{\"item\":1}", "", "\"provenance\":\"sha256:"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        st.len = 0;
        CHECK_RC(ex_elide_put(h, item, strlen(item), keep[i], strlen(keep[i]), &st), EX_OK);
        CHECK(st.len == strlen(keep[i]) && memcmp(st.data, keep[i], st.len) == 0);
        CHECK_RC(ex_elide_get(h, item, strlen(item), keep[i], strlen(keep[i]), &out, &rec, &rlen),
                 EX_OK);
        CHECK(rec == keep[i] && rlen == strlen(keep[i]));
    }
    /* a record altered in its block: the provenance put back is the altered item's */
    const char *changed = "{\"digest\":\"sha256:00ff\",\"type\":\"item\",\"url\":\"https://b.example/\"}";
    char h2[65];
    hexdigest(changed, h2);
    st.len = 0;
    CHECK_RC(ex_elide_put(h, item, strlen(item), dec, strlen(dec), &st), EX_OK);
    CHECK_RC(ex_elide_get(h, changed, strlen(changed), st.data, st.len, &out, &rec, &rlen), EX_OK);
    CHECK(rlen == strlen(dec) && memmem(rec, rlen, h2, 64) != NULL);
    ex_buf_free(&st);
    ex_buf_free(&out);
    ex_sha256_free(h);
    return t_done("test_elide");
}
