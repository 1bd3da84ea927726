/* codec.c - byte buffers, base64url, base62, hex. See codec.h. */
#include "codec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer ------------------------------------------------------------ */

void
sesstok_buf_init(sesstok_buf *b)
{
    b->data = b->inline_data;
    b->len = 0;
    b->cap = SESSTOK_BUF_INLINE;
}

void
sesstok_buf_free(sesstok_buf *b)
{
    if (b->data != b->inline_data) {
        free(b->data);
    }
    sesstok_buf_init(b);
}

int
sesstok_buf_reserve(sesstok_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len) {
        return 0;
    }
    if (extra > SIZE_MAX / 2 - b->len) {
        return -1;
    }
    size_t need = b->len + extra;
    size_t cap = b->cap * 2;
    if (cap < need) {
        cap = need;
    }
    unsigned char *p;
    if (b->data == b->inline_data) {
        p = malloc(cap);
        if (p == NULL) {
            return -1;
        }
        memcpy(p, b->data, b->len);
    }
    else {
        p = realloc(b->data, cap);
        if (p == NULL) {
            return -1;
        }
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int
sesstok_buf_append(sesstok_buf *b, const void *p, size_t n)
{
    if (sesstok_buf_reserve(b, n) < 0) {
        return -1;
    }
    if (n) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    return 0;
}

int
sesstok_buf_putc(sesstok_buf *b, unsigned char c)
{
    if (b->len == b->cap && sesstok_buf_reserve(b, 1) < 0) {
        return -1;
    }
    b->data[b->len++] = c;
    return 0;
}

/* ---- base64url --------------------------------------------------------- */

static const char b64url_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for url-safe alphabet characters, 0xFF for anything else. */
static const unsigned char b64url_value[256] = {
#define X 0xFF
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,
    X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  63,
    X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
};

size_t
sesstok_b64url_encoded_len(size_t n)
{
    return (n / 3) * 4 + ((n % 3) ? (n % 3) + 1 : 0);
}

size_t
sesstok_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        o[0] = b64url_alphabet[(v >> 18) & 63];
        o[1] = b64url_alphabet[(v >> 12) & 63];
        o[2] = b64url_alphabet[(v >> 6) & 63];
        o[3] = b64url_alphabet[v & 63];
        o += 4;
    }
    size_t rest = n - i;
    if (rest == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        o[0] = b64url_alphabet[(v >> 18) & 63];
        o[1] = b64url_alphabet[(v >> 12) & 63];
        o += 2;
    }
    else if (rest == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        o[0] = b64url_alphabet[(v >> 18) & 63];
        o[1] = b64url_alphabet[(v >> 12) & 63];
        o[2] = b64url_alphabet[(v >> 6) & 63];
        o += 3;
    }
    return (size_t)(o - out);
}

size_t
sesstok_b64url_decoded_max(size_t n)
{
    return (n / 4) * 3 + 2;
}

/* Shared decoder. strict: reject non-zero trailing bits. */
static long long
b64url_decode(const char *in, size_t n, unsigned char *out, int strict)
{
    if (n % 4 == 1 || n > (size_t)LLONG_MAX / 2) {
        return -1;
    }
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = out;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        unsigned a = b64url_value[s[i]], b = b64url_value[s[i + 1]];
        unsigned c = b64url_value[s[i + 2]], d = b64url_value[s[i + 3]];
        if ((a | b | c | d) & 0xC0) {
            return -1;
        }
        uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        o[0] = (unsigned char)(v >> 16);
        o[1] = (unsigned char)(v >> 8);
        o[2] = (unsigned char)v;
        o += 3;
    }
    size_t rest = n - i;
    if (rest == 2) {
        unsigned a = b64url_value[s[i]], b = b64url_value[s[i + 1]];
        if ((a | b) & 0xC0 || (strict && (b & 0x0F))) {
            return -1;
        }
        *o++ = (unsigned char)((a << 2) | (b >> 4));
    }
    else if (rest == 3) {
        unsigned a = b64url_value[s[i]], b = b64url_value[s[i + 1]];
        unsigned c = b64url_value[s[i + 2]];
        if ((a | b | c) & 0xC0 || (strict && (c & 0x03))) {
            return -1;
        }
        *o++ = (unsigned char)((a << 2) | (b >> 4));
        *o++ = (unsigned char)(((b & 0x0F) << 4) | (c >> 2));
    }
    return (long long)(o - out);
}

long long
sesstok_b64url_decode_lax(const char *in, size_t n, unsigned char *out)
{
    return b64url_decode(in, n, out, 0);
}

long long
sesstok_b64url_decode_strict(const char *in, size_t n, unsigned char *out)
{
    return b64url_decode(in, n, out, 1);
}

/* ---- base62 ------------------------------------------------------------ */

static const char b62_alphabet[62] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* mirrors django.core.signing.b62_encode */
size_t
sesstok_b62_encode(int64_t value, char *out)
{
    char tmp[SESSTOK_B62_MAX];
    size_t n = 0;
    if (value == 0) {
        out[0] = '0';
        return 1;
    }
    /* Work on the magnitude as unsigned so INT64_MIN does not overflow. */
    uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    while (mag > 0) {
        tmp[n++] = b62_alphabet[mag % 62];
        mag /= 62;
    }
    size_t o = 0;
    if (value < 0) {
        out[o++] = '-';
    }
    while (n > 0) {
        out[o++] = tmp[--n];
    }
    return o;
}

static int
b62_digit(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 36;
    }
    return -1;
}

/* mirrors django.core.signing.b62_decode (for values that fit in int64) */
int
sesstok_b62_decode(const char *in, size_t n, int64_t *value)
{
    if (n == 0) {
        return -1;
    }
    if (n == 1 && in[0] == '0') {
        *value = 0;
        return 0;
    }
    size_t i = 0;
    int negative = 0;
    if (in[0] == '-') {
        negative = 1;
        i = 1;
    }
    uint64_t acc = 0;
    for (; i < n; i++) {
        int d = b62_digit((unsigned char)in[i]);
        if (d < 0) {
            return -1;
        }
        if (acc > (UINT64_MAX - (uint64_t)d) / 62) {
            return -1;
        }
        acc = acc * 62 + (uint64_t)d;
    }
    if (negative) {
        if (acc > (uint64_t)INT64_MAX + 1) {
            return -1;
        }
        *value = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
    }
    else {
        if (acc > (uint64_t)INT64_MAX) {
            return -1;
        }
        *value = (int64_t)acc;
    }
    return 0;
}

/* ---- hex --------------------------------------------------------------- */

void
sesstok_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[16] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
}
