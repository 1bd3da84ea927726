/* jws.c - token splitting, strict segment decoding and ECDSA signature
 * conversion. See jws.h. No Python here. */
#include "jws.h"
#include "codec.h"

#include <string.h>

static const char *const jws_messages[SESSTOK_JWS_E_COUNT] = {
    [SESSTOK_JWS_OK] = "no error",
    [SESSTOK_JWS_E_TOO_LONG] = "Token exceeds the maximum length",
    [SESSTOK_JWS_E_NOT_ENOUGH_SEGMENTS] = "Not enough segments",
    [SESSTOK_JWS_E_TOO_MANY_SEGMENTS] = "Too many segments",
    [SESSTOK_JWS_E_NUL] = "Token contains a NUL byte",
    [SESSTOK_JWS_E_NON_ASCII] = "Token contains a non-ASCII character",
    [SESSTOK_JWS_E_BASE64] = "Invalid base64url encoding",
};

const char *
sesstok_jws_strerror(int code)
{
    if (code < 0 || code >= SESSTOK_JWS_E_COUNT) {
        return "unknown error";
    }
    return jws_messages[code];
}

int
sesstok_jws_split(const char *token, size_t n, size_t max_len,
                  sesstok_jws_parts *parts)
{
    const unsigned char *s = (const unsigned char *)token;
    size_t dots[2];
    int ndots = 0;
    if (n > max_len) {
        return SESSTOK_JWS_E_TOO_LONG;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '.') {
            if (ndots == 2) {
                return SESSTOK_JWS_E_TOO_MANY_SEGMENTS;
            }
            dots[ndots++] = i;
        }
        else if (c == 0) {
            return SESSTOK_JWS_E_NUL;
        }
        else if (c >= 0x80) {
            return SESSTOK_JWS_E_NON_ASCII;
        }
    }
    if (ndots < 2) {
        return SESSTOK_JWS_E_NOT_ENOUGH_SEGMENTS;
    }
    parts->header_start = 0;
    parts->header_len = dots[0];
    parts->payload_start = dots[0] + 1;
    parts->payload_len = dots[1] - dots[0] - 1;
    parts->signature_start = dots[1] + 1;
    parts->signature_len = n - dots[1] - 1;
    parts->signing_input_len = dots[1];
    return SESSTOK_JWS_OK;
}

int
sesstok_jws_decode_segment(const char *seg, size_t n, unsigned char *out,
                           size_t *outlen)
{
    long long got = sesstok_b64url_decode_strict(seg, n, out);
    if (got < 0) {
        return SESSTOK_JWS_E_BASE64;
    }
    *outlen = (size_t)got;
    return SESSTOK_JWS_OK;
}

/* ---- ECDSA -------------------------------------------------------------- */

/* Is the big-endian number a[0:len] zero? (not secret: signatures are
 * public) */
static int
is_zero(const unsigned char *a, size_t len)
{
    unsigned char acc = 0;
    for (size_t i = 0; i < len; i++) {
        acc |= a[i];
    }
    return acc == 0;
}

int
sesstok_ecdsa_raw_check(const unsigned char *sig, size_t siglen,
                        const unsigned char *order, size_t coord_len)
{
    if (coord_len == 0 || coord_len > SESSTOK_ECDSA_MAX_COORD ||
        siglen != 2 * coord_len) {
        return 0;
    }
    const unsigned char *r = sig, *s = sig + coord_len;
    if (is_zero(r, coord_len) || is_zero(s, coord_len)) {
        return 0;
    }
    /* big-endian, equal lengths: memcmp orders them numerically */
    if (memcmp(r, order, coord_len) >= 0 || memcmp(s, order, coord_len) >= 0) {
        return 0;
    }
    return 1;
}

/* Write a DER length; return the bytes written (lengths here are < 65536). */
static size_t
put_der_len(unsigned char *o, size_t len)
{
    if (len < 0x80) {
        o[0] = (unsigned char)len;
        return 1;
    }
    if (len < 0x100) {
        o[0] = 0x81;
        o[1] = (unsigned char)len;
        return 2;
    }
    o[0] = 0x82;
    o[1] = (unsigned char)(len >> 8);
    o[2] = (unsigned char)len;
    return 3;
}

/* Minimal positive INTEGER content of the big-endian a[0:len]: skip leading
 * zero bytes (keeping one for zero), add 0x00 if the top bit is set. */
static size_t
int_content_len(const unsigned char *a, size_t len, size_t *skip, int *pad)
{
    size_t i = 0;
    while (i + 1 < len && a[i] == 0) {
        i++;
    }
    *skip = i;
    *pad = (a[i] & 0x80) != 0;
    return len - i + (size_t)*pad;
}

static size_t
put_der_int(unsigned char *o, const unsigned char *a, size_t len)
{
    size_t skip;
    int pad;
    size_t clen = int_content_len(a, len, &skip, &pad);
    size_t k = 0;
    o[k++] = 0x02;
    k += put_der_len(o + k, clen);
    if (pad) {
        o[k++] = 0x00;
    }
    memcpy(o + k, a + skip, len - skip);
    return k + len - skip;
}

static size_t
der_len_size(size_t len)
{
    return len < 0x80 ? 1 : len < 0x100 ? 2 : 3;
}

size_t
sesstok_ecdsa_raw_to_der(const unsigned char *sig, size_t coord_len,
                         unsigned char *out)
{
    if (coord_len == 0 || coord_len > SESSTOK_ECDSA_MAX_COORD) {
        return 0;
    }
    size_t skip;
    int pad;
    size_t rlen = int_content_len(sig, coord_len, &skip, &pad);
    size_t slen = int_content_len(sig + coord_len, coord_len, &skip, &pad);
    size_t body =
        1 + der_len_size(rlen) + rlen + 1 + der_len_size(slen) + slen;
    size_t k = 0;
    out[k++] = 0x30;
    k += put_der_len(out + k, body);
    k += put_der_int(out + k, sig, coord_len);
    k += put_der_int(out + k, sig + coord_len, coord_len);
    return k;
}

/* Read a strict DER length at der[*pos]; return 0 and advance, or -1. */
static int
get_der_len(const unsigned char *der, size_t n, size_t *pos, size_t *len)
{
    if (*pos >= n) {
        return -1;
    }
    unsigned char b = der[(*pos)++];
    if (b < 0x80) {
        *len = b;
        return 0;
    }
    size_t nbytes = b & 0x7f;
    if (nbytes == 0 || nbytes > 2 || n - *pos < nbytes) {
        return -1; /* indefinite or absurdly long */
    }
    size_t v = 0;
    for (size_t i = 0; i < nbytes; i++) {
        v = (v << 8) | der[(*pos)++];
    }
    if (v < 0x80 || (nbytes == 2 && v < 0x100)) {
        return -1; /* not minimal */
    }
    *len = v;
    return 0;
}

/* Read a strict, minimal, non-negative INTEGER into out[0:coord_len]. */
static int
get_der_uint(const unsigned char *der, size_t n, size_t *pos, size_t coord_len,
             unsigned char *out)
{
    size_t len;
    if (*pos >= n || der[(*pos)++] != 0x02 ||
        get_der_len(der, n, pos, &len) < 0) {
        return -1;
    }
    if (len == 0 || n - *pos < len) {
        return -1;
    }
    const unsigned char *p = der + *pos;
    *pos += len;
    if (p[0] & 0x80) {
        return -1; /* negative */
    }
    if (len > 1 && p[0] == 0 && !(p[1] & 0x80)) {
        return -1; /* not minimal */
    }
    if (p[0] == 0 && len > 1) {
        p++;
        len--;
    }
    if (len > coord_len) {
        return -1;
    }
    memset(out, 0, coord_len - len);
    memcpy(out + coord_len - len, p, len);
    return 0;
}

int
sesstok_ecdsa_der_to_raw(const unsigned char *der, size_t n, size_t coord_len,
                         unsigned char *out)
{
    size_t pos = 0, len;
    if (coord_len == 0 || coord_len > SESSTOK_ECDSA_MAX_COORD) {
        return -1;
    }
    if (n < 2 || der[pos++] != 0x30 || get_der_len(der, n, &pos, &len) < 0 ||
        len != n - pos) {
        return -1;
    }
    if (get_der_uint(der, n, &pos, coord_len, out) < 0 ||
        get_der_uint(der, n, &pos, coord_len, out + coord_len) < 0 ||
        pos != n) {
        return -1;
    }
    return 0;
}
