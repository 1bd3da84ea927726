/* fuzz_jws.c - libFuzzer harness for csrc/jws.c: splitting a compact token,
 * strict segment decoding, and the ECDSA signature conversions (raw R||S
 * range check, raw -> DER, strict DER -> raw), with csrc/json_scan.c
 * validating a decoded header in strict mode as jwt_decode.c does. No
 * Python.
 *
 * fuzz-sources: csrc/jws.c csrc/codec.c csrc/json_scan.c
 *
 * Checks, for every input (any mismatch aborts):
 *  - split: agrees with a reference scan (length limit first, then NUL,
 *    non-ASCII and the number of dots); on success the three parts tile the
 *    token exactly and hold no '.'.
 *  - segments: strict decoding never writes past sesstok_b64url_decoded_max()
 *    (heap buffers of exactly that size) and accepts exactly canonical text:
 *    re-encoding the output gives the segment back.
 *  - a decoded header goes through the strict JSON driver (no crash, no
 *    overrun, bounded depth).
 *  - ECDSA, for each coordinate size (P-256, P-384, P-521): the raw range
 *    check agrees with a reference comparison against the group order; DER
 *    from raw parses back to the same raw; DER the strict parser accepts
 *    re-encodes to the very same bytes (strict DER is canonical). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "json_scan.h"
#include "jws.h"

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    CHECK(p != NULL);
    return p;
}

/* ---- strict JSON validation of a decoded header (no-op handlers) ---------- */

static int on_pos(void *ctx, size_t pos) { return 0; }
static int on_str(void *ctx, const unsigned char *d, const sesstok_json_string *s)
{
    /* decoding the string must stay within its declared length */
    if (s->length > 0 && s->length < 4096) {
        uint32_t *out = xmalloc(s->length * sizeof(uint32_t));
        sesstok_json_decode_string(d, SESSTOK_JSON_STRICT, s, out, 4);
        free(out);
    }
    return 0;
}
static int on_num(void *ctx, const unsigned char *t, size_t n, int f, size_t pos) { return 0; }
static int on_const(void *ctx, sesstok_json_constant c, size_t pos)
{
    CHECK(c == SESSTOK_JSON_NULL || c == SESSTOK_JSON_TRUE || c == SESSTOK_JSON_FALSE);
    return 0;
}

static const sesstok_json_handler noop = {
    .begin_array = on_pos,
    .end_array = on_pos,
    .begin_object = on_pos,
    .end_object = on_pos,
    .key = on_str,
    .string = on_str,
    .number = on_num,
    .constant = on_const,
};

/* ---- token splitting and segments ------------------------------------------- */

static void
check_segment(const char *seg, size_t n, int is_header)
{
    size_t cap = sesstok_b64url_decoded_max(n);
    unsigned char *out = xmalloc(cap);
    size_t got = 0;
    int rc = sesstok_jws_decode_segment(seg, n, out, &got);
    if (rc == SESSTOK_JWS_OK) {
        CHECK(got <= cap);
        size_t elen = sesstok_b64url_encoded_len(got);
        char *again = xmalloc(elen);
        CHECK(sesstok_b64url_encode(out, got, again) == elen);
        CHECK(elen == n && memcmp(again, seg, n) == 0); /* canonical only */
        free(again);
        if (is_header) {
            size_t err = 0;
            int jr = sesstok_json_parse(out, got, SESSTOK_JSON_STRICT, 32, &noop, NULL, &err);
            CHECK(jr >= 0 && jr < SESSTOK_JSON_E_COUNT);
            CHECK(jr == SESSTOK_JSON_OK || err <= got);
        }
    }
    else {
        CHECK(rc == SESSTOK_JWS_E_BASE64);
    }
    free(out);
}

static void
fuzz_split(const uint8_t *data, size_t size)
{
    char *tok = xmalloc(size);
    if (size) {
        memcpy(tok, data, size);
    }
    size_t max_len = size > 0 ? (size_t)data[0] * 8 : 0; /* sometimes shorter than the input */
    for (int pass = 0; pass < 2; pass++) {
        size_t limit = pass == 0 ? max_len : SESSTOK_JWS_DEFAULT_MAX_LENGTH;
        sesstok_jws_parts p;
        int rc = sesstok_jws_split(tok, size, limit, &p);
        /* reference */
        size_t dots = 0;
        int nul = 0, high = 0, expect;
        for (size_t i = 0; i < size; i++) {
            unsigned char c = (unsigned char)tok[i];
            dots += c == '.';
            nul |= c == 0;
            high |= c >= 0x80;
        }
        if (size > limit) {
            expect = SESSTOK_JWS_E_TOO_LONG;
        }
        else if (nul || high || dots != 2) {
            expect = -1; /* one of the structural errors; which depends on order */
        }
        else {
            expect = SESSTOK_JWS_OK;
        }
        if (expect == -1) {
            CHECK(rc == SESSTOK_JWS_E_NUL || rc == SESSTOK_JWS_E_NON_ASCII
                  || rc == SESSTOK_JWS_E_NOT_ENOUGH_SEGMENTS || rc == SESSTOK_JWS_E_TOO_MANY_SEGMENTS);
            CHECK(rc != SESSTOK_JWS_E_NUL || nul);
            CHECK(rc != SESSTOK_JWS_E_NON_ASCII || high);
            CHECK(rc != SESSTOK_JWS_E_NOT_ENOUGH_SEGMENTS || dots < 2);
            CHECK(rc != SESSTOK_JWS_E_TOO_MANY_SEGMENTS || dots > 2);
            continue;
        }
        CHECK(rc == expect);
        if (rc != SESSTOK_JWS_OK) {
            continue;
        }
        CHECK(p.header_start == 0);
        CHECK(p.payload_start == p.header_len + 1);
        CHECK(p.signature_start == p.payload_start + p.payload_len + 1);
        CHECK(p.signature_start + p.signature_len == size);
        CHECK(p.signing_input_len == p.signature_start - 1);
        CHECK(memchr(tok, '.', p.header_len) == NULL);
        CHECK(memchr(tok + p.payload_start, '.', p.payload_len) == NULL);
        CHECK(memchr(tok + p.signature_start, '.', p.signature_len) == NULL);
        CHECK(sesstok_jws_strerror(rc) != NULL);
        /* each segment from its own heap copy, so overreads are caught */
        const size_t starts[3] = {p.header_start, p.payload_start, p.signature_start};
        const size_t lens[3] = {p.header_len, p.payload_len, p.signature_len};
        for (int s = 0; s < 3; s++) {
            char *seg = xmalloc(lens[s]);
            if (lens[s]) {
                memcpy(seg, tok + starts[s], lens[s]);
            }
            check_segment(seg, lens[s], s == 0);
            free(seg);
        }
    }
    free(tok);
}

/* ---- ECDSA ------------------------------------------------------------------- */

static const unsigned char order_p256[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};
static const unsigned char order_p384[48] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
};
static const unsigned char order_p521[66] = {
    0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b, 0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09,
    0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c, 0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38,
    0x64, 0x09,
};

/* Reference: is the big-endian a[0:n] in [1, order)? */
static int
ref_in_range(const unsigned char *a, const unsigned char *order, size_t n)
{
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        nonzero |= a[i] != 0;
    }
    if (!nonzero) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (a[i] != order[i]) {
            return a[i] < order[i];
        }
    }
    return 0; /* equal to the order */
}

static void
fuzz_ecdsa(const uint8_t *data, size_t size)
{
    static const struct {
        const unsigned char *order;
        size_t len;
    } curves[3] = {{order_p256, 32}, {order_p384, 48}, {order_p521, 66}};
    for (int c = 0; c < 3; c++) {
        size_t cl = curves[c].len;
        /* the input as a raw signature */
        unsigned char *raw = xmalloc(size);
        if (size) {
            memcpy(raw, data, size);
        }
        int ok = sesstok_ecdsa_raw_check(raw, size, curves[c].order, cl);
        int expect = size == 2 * cl && ref_in_range(raw, curves[c].order, cl)
                     && ref_in_range(raw + cl, curves[c].order, cl);
        CHECK(ok == expect);
        if (size == 2 * cl) {
            unsigned char *der = xmalloc(SESSTOK_ECDSA_MAX_DER);
            size_t dlen = sesstok_ecdsa_raw_to_der(raw, cl, der);
            CHECK(dlen > 0 && dlen <= SESSTOK_ECDSA_MAX_DER);
            unsigned char *back = xmalloc(2 * cl);
            CHECK(sesstok_ecdsa_der_to_raw(der, dlen, cl, back) == 0);
            CHECK(memcmp(back, raw, 2 * cl) == 0);
            free(back);
            free(der);
        }
        free(raw);

        /* the input as DER */
        unsigned char *der = xmalloc(size);
        if (size) {
            memcpy(der, data, size);
        }
        unsigned char *out = xmalloc(2 * cl);
        if (sesstok_ecdsa_der_to_raw(der, size, cl, out) == 0) {
            unsigned char *again = xmalloc(SESSTOK_ECDSA_MAX_DER);
            size_t alen = sesstok_ecdsa_raw_to_der(out, cl, again);
            CHECK(alen == size && memcmp(again, der, size) == 0);
            free(again);
        }
        free(out);
        free(der);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_split(data, size);
    fuzz_ecdsa(data, size);
    return 0;
}
