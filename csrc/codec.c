/* codec.c - byte buffers, base64url, base62, hex. See codec.h. */
#include "codec.h"

#include <limits.h>
#include <stdatomic.h>
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

/* Two implementations: a table-driven scalar one, and an AVX2 one
 * (Mula and Lemire, "Faster Base64 Encoding and Decoding Using AVX2
 * Instructions", 2018, with the url-safe alphabet) that handles the input in
 * blocks of 24 bytes / 32 characters and hands the rest to the scalar code.
 * Both accept and refuse exactly the same inputs; fuzz/fuzz_codec.c checks
 * that they agree with each other and with a plain reference decoder. */

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define B64_HAVE_AVX2 1
#include <immintrin.h>
#endif

#define B64_ALPHABET                                                          \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
static const char b64url_alphabet[64] = B64_ALPHABET;

/* Encode table: the two characters of each 12-bit value, so a 3-byte group
 * takes two lookups. */
// clang-format off
#define B64_PAIR(i) {B64_ALPHABET[(i) >> 6], B64_ALPHABET[(i) & 63]}
#define B64_PAIR4(i) \
    B64_PAIR(i), B64_PAIR(i + 1), B64_PAIR(i + 2), B64_PAIR(i + 3)
#define B64_PAIR16(i) \
    B64_PAIR4(i), B64_PAIR4(i + 4), B64_PAIR4(i + 8), B64_PAIR4(i + 12)
#define B64_PAIR64(i) \
    B64_PAIR16(i), B64_PAIR16(i + 16), B64_PAIR16(i + 32), B64_PAIR16(i + 48)
#define B64_PAIR256(i) \
    B64_PAIR64(i), B64_PAIR64(i + 64), B64_PAIR64(i + 128), \
    B64_PAIR64(i + 192)
#define B64_PAIR1024(i) \
    B64_PAIR256(i), B64_PAIR256(i + 256), B64_PAIR256(i + 512), \
    B64_PAIR256(i + 768)
static const char b64_pairs[4096][2] = {
    B64_PAIR1024(0), B64_PAIR1024(1024), B64_PAIR1024(2048),
    B64_PAIR1024(3072)};

/* The value (0..63) of each byte as a url-safe base64 character, X (0xFF)
 * if the byte is not in the alphabet; F makes one table entry of it. */
#define X 0xFF
#define B64_X16(F)                                                      \
    F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X),                        \
    F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X),
#define B64_VALUES(F)                                                  \
    B64_X16(F) B64_X16(F) /* 0x00..0x1F */                       \
    F(X), F(X), F(X), F(X), F(X), F(X), F(X), F(X),              \
    F(X), F(X), F(X), F(X), F(X), F(62), F(X), F(X),             \
    F(52), F(53), F(54), F(55), F(56), F(57), F(58), F(59),      \
    F(60), F(61), F(X), F(X), F(X), F(X), F(X), F(X),            \
    F(X), F(0), F(1), F(2), F(3), F(4), F(5), F(6),              \
    F(7), F(8), F(9), F(10), F(11), F(12), F(13), F(14),         \
    F(15), F(16), F(17), F(18), F(19), F(20), F(21), F(22),      \
    F(23), F(24), F(25), F(X), F(X), F(X), F(X), F(63),          \
    F(X), F(26), F(27), F(28), F(29), F(30), F(31), F(32),       \
    F(33), F(34), F(35), F(36), F(37), F(38), F(39), F(40),      \
    F(41), F(42), F(43), F(44), F(45), F(46), F(47), F(48),      \
    F(49), F(50), F(51), F(X), F(X), F(X), F(X), F(X),           \
    B64_X16(F) B64_X16(F) B64_X16(F) B64_X16(F) /* 0x80..0xFF */ \
    B64_X16(F) B64_X16(F) B64_X16(F) B64_X16(F)
/* Decode tables: the value pre-shifted into its place in a 24-bit group, so
 * a group of four characters is d0[a] | d1[b] | d2[c] | d3[d], and a
 * character outside the alphabet sets B64_BAD in the result. */
#define B64_BAD 0x01000000u
#define B64_AT(v, shift) ((v) == X ? B64_BAD : (uint32_t)(v) << (shift))
#define B64_D0(v) B64_AT(v, 18)
#define B64_D1(v) B64_AT(v, 12)
#define B64_D2(v) B64_AT(v, 6)
#define B64_D3(v) B64_AT(v, 0)
// clang-format on
static const uint32_t b64_d0[256] = {B64_VALUES(B64_D0)};
static const uint32_t b64_d1[256] = {B64_VALUES(B64_D1)};
static const uint32_t b64_d2[256] = {B64_VALUES(B64_D2)};
static const uint32_t b64_d3[256] = {B64_VALUES(B64_D3)};
#undef X

static const char *const b64_impl_names[SESSTOK_B64_IMPL_COUNT] = {
    [SESSTOK_B64_SCALAR] = "scalar",
    [SESSTOK_B64_AVX2] = "avx2",
};

/* The implementation in use; -1 until the first call picks one. Relaxed
 * atomics: racing first calls all store the same value. */
static _Atomic int b64_impl = -1;

const char *
sesstok_b64url_impl_name(int impl)
{
    return impl >= 0 && impl < SESSTOK_B64_IMPL_COUNT ? b64_impl_names[impl]
                                                      : NULL;
}

int
sesstok_b64url_impl_supported(int impl)
{
    switch (impl) {
    case SESSTOK_B64_SCALAR:
        return 1;
#ifdef B64_HAVE_AVX2
    case SESSTOK_B64_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
#endif
    default:
        return 0;
    }
}

/* The fastest supported implementation, or the one SESSTOK_B64URL_IMPL
 * names if it is supported. */
static int
b64_pick(void)
{
    const char *forced = getenv("SESSTOK_B64URL_IMPL");
    for (int impl = 0; forced != NULL && impl < SESSTOK_B64_IMPL_COUNT;
         impl++) {
        if (strcmp(forced, b64_impl_names[impl]) == 0 &&
            sesstok_b64url_impl_supported(impl)) {
            return impl;
        }
    }
    return sesstok_b64url_impl_supported(SESSTOK_B64_AVX2)
               ? SESSTOK_B64_AVX2
               : SESSTOK_B64_SCALAR;
}

int
sesstok_b64url_get_impl(void)
{
    int impl = atomic_load_explicit(&b64_impl, memory_order_relaxed);
    if (impl < 0) {
        impl = b64_pick();
        atomic_store_explicit(&b64_impl, impl, memory_order_relaxed);
    }
    return impl;
}

int
sesstok_b64url_set_impl(int impl)
{
    if (!sesstok_b64url_impl_supported(impl)) {
        return -1;
    }
    atomic_store_explicit(&b64_impl, impl, memory_order_relaxed);
    return 0;
}

#ifdef B64_HAVE_AVX2
/* Encode whole blocks of 24 bytes (read with two overlapping 16-byte loads,
 * never past the block); return the number of input bytes consumed. */
__attribute__((target("avx2"))) static size_t
b64_encode_avx2(const unsigned char *in, size_t n, char *out)
{
    /* per 32-bit lane: bytes b1 b0 b2 b1 of each 3-byte group */
    const __m256i spread = _mm256_setr_epi8(
        1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10, /* lane 0 */
        1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
    /* index class (see below) -> offset from the 6-bit value to ASCII */
    const __m256i offsets = _mm256_setr_epi8(
        'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
        '0' - 52, '0' - 52, '0' - 52, '0' - 52, '-' - 62, '_' - 63, 'A', 0, 0,
        'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
        '0' - 52, '0' - 52, '0' - 52, '0' - 52, '-' - 62, '_' - 63, 'A', 0, 0);
    size_t i = 0;
    for (; n - i >= 24; i += 24, out += 32) {
        __m128i lo = _mm_loadu_si128((const __m128i *)(in + i));
        /* bytes 12..23 at the start of the upper lane */
        __m128i hi =
            _mm_srli_si128(_mm_loadu_si128((const __m128i *)(in + i + 8)), 4);
        __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
        v = _mm256_shuffle_epi8(v, spread);
        /* split each 24-bit group into four 6-bit values, one per byte */
        __m256i ac = _mm256_mulhi_epu16(
            _mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00)),
            _mm256_set1_epi32(0x04000040));
        __m256i bd = _mm256_mullo_epi16(
            _mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0)),
            _mm256_set1_epi32(0x01000010));
        __m256i idx = _mm256_or_si256(ac, bd);
        /* class: 0 for 26..51, 1..12 for 52..63, 13 for 0..25 */
        __m256i cls = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
        __m256i upper = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx);
        cls = _mm256_or_si256(cls,
                              _mm256_and_si256(upper, _mm256_set1_epi8(13)));
        __m256i ascii =
            _mm256_add_epi8(_mm256_shuffle_epi8(offsets, cls), idx);
        _mm256_storeu_si256((__m256i *)out, ascii);
    }
    return i;
}

/* Decode whole blocks of 32 characters (24 bytes out, stored exactly) up to
 * the first block holding a byte outside the alphabet; return the number of
 * characters consumed.
 *
 * Validation looks up both nibbles of each byte: hi_class[h] is one bit for
 * the high nibble's class, lo_invalid[l] the classes in which low nibble l
 * is not a url-safe character (high nibbles 0, 1 and 8..F: never valid);
 * a byte is valid iff the two share no bit. The value is the byte plus an
 * offset chosen by its high nibble, '_' taking slot 0. */
__attribute__((target("avx2"))) static size_t
b64_decode_avx2(const unsigned char *s, size_t n, unsigned char *out)
{
    /* classes: 2x '-': 0x01, 3x digits: 0x02, 4x/6x letters from 1: 0x04,
     * 5x 'P'..'Z' and '_': 0x08, 7x 'p'..'z': 0x10, never valid: 0x20 */
    const __m256i hi_class = _mm256_setr_epi8(
        0x20, 0x20, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10, 0x20, 0x20, 0x20, 0x20,
        0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10,
        0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20);
    const __m256i lo_invalid = _mm256_setr_epi8(
        0x25, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x23, 0x3B,
        0x3B, 0x3A, 0x3B, 0x33, 0x25, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21,
        0x21, 0x21, 0x23, 0x3B, 0x3B, 0x3A, 0x3B, 0x33);
    const __m256i offset = _mm256_setr_epi8(
        63 - '_', 0, 62 - '-', 52 - '0', -'A', -'A', 26 - 'a', 26 - 'a', 0, 0,
        0, 0, 0, 0, 0, 0, 63 - '_', 0, 62 - '-', 52 - '0', -'A', -'A',
        26 - 'a', 26 - 'a', 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i pack = _mm256_setr_epi8(
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, /* lane 0 */
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    size_t i = 0;
    for (; n - i >= 32; i += 32, out += 24) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i hi = _mm256_and_si256(_mm256_srli_epi32(c, 4), nibble);
        __m256i lo = _mm256_and_si256(c, nibble);
        if (!_mm256_testz_si256(_mm256_shuffle_epi8(hi_class, hi),
                                _mm256_shuffle_epi8(lo_invalid, lo))) {
            break; /* the scalar code finds and refuses the byte */
        }
        __m256i under = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('_'));
        __m256i v = _mm256_add_epi8(
            c, _mm256_shuffle_epi8(offset, _mm256_andnot_si256(under, hi)));
        /* four 6-bit values per 32-bit lane -> one 24-bit group */
        v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
        v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
        /* 12 bytes at the start of each lane */
        v = _mm256_shuffle_epi8(v, pack);
        v = _mm256_permutevar8x32_epi32(v, join); /* 24 contiguous bytes */
        _mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(v));
        _mm_storel_epi64((__m128i *)(out + 16),
                         _mm256_extracti128_si256(v, 1));
    }
    return i;
}
#endif

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
#ifdef B64_HAVE_AVX2
    if (n >= 24 && sesstok_b64url_get_impl() == SESSTOK_B64_AVX2) {
        i = b64_encode_avx2(in, n, out);
        o += i / 3 * 4;
    }
#endif
    for (; i + 3 <= n; i += 3) {
        uint32_t v =
            ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        memcpy(o, b64_pairs[v >> 12], 2);
        memcpy(o + 2, b64_pairs[v & 0xFFF], 2);
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
#ifdef B64_HAVE_AVX2
    if (n >= 32 && sesstok_b64url_get_impl() == SESSTOK_B64_AVX2) {
        i = b64_decode_avx2(s, n, out);
        o += i / 4 * 3;
    }
#endif
    for (; i + 4 <= n; i += 4) {
        uint32_t v = b64_d0[s[i]] | b64_d1[s[i + 1]] | b64_d2[s[i + 2]] |
                     b64_d3[s[i + 3]];
        if (v & B64_BAD) {
            return -1;
        }
        o[0] = (unsigned char)(v >> 16);
        o[1] = (unsigned char)(v >> 8);
        o[2] = (unsigned char)v;
        o += 3;
    }
    /* a tail of 2 (3) characters carries 4 (2) unused low bits */
    size_t rest = n - i;
    if (rest == 2) {
        uint32_t v = b64_d0[s[i]] | b64_d1[s[i + 1]];
        if (v & B64_BAD || (strict && (v & 0xFFFF))) {
            return -1;
        }
        *o++ = (unsigned char)(v >> 16);
    }
    else if (rest == 3) {
        uint32_t v = b64_d0[s[i]] | b64_d1[s[i + 1]] | b64_d2[s[i + 2]];
        if (v & B64_BAD || (strict && (v & 0xFF))) {
            return -1;
        }
        *o++ = (unsigned char)(v >> 16);
        *o++ = (unsigned char)(v >> 8);
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
