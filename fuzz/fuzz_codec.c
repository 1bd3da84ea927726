/* fuzz_codec.c - libFuzzer harness for csrc/codec.c (no Python).
 *
 * fuzz-sources: csrc/codec.c
 *
 * Checks, for every input:
 *  - base64url, differential: every implementation this CPU runs (scalar,
 *    AVX2) gives exactly what a plain bit-at-a-time reference gives, for
 *    encoding the input, decoding it as text, and decoding a valid encoding
 *    with one byte overwritten (so the SIMD blocks see mostly valid text),
 *    in both modes: same accept/refuse, same length, same bytes.
 *  - base64url: encode -> strict and lax decode give the input back; decoding
 *    the input as text never writes past sesstok_b64url_decoded_max() bytes
 *    (outputs are heap buffers of exactly that size, so ASan sees overruns);
 *    strict accepts exactly the canonical encodings; strict => lax, with the
 *    same bytes; lax accepts exactly alphabet-only text with n % 4 != 1.
 *  - base62: decode never reads past n; decode(encode(v)) == v for the int64
 *    read from the input; a decoded value re-encodes to the input with its
 *    redundant leading zeros and "-" removed.
 *  - hex and the growable buffer agree with simple reference loops.
 * Any mismatch calls abort(), which libFuzzer reports as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                             \
        }                                                                        \
    } while (0)

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    CHECK(p != NULL);
    return p;
}

/* A heap copy of data[0:n], so reads past n hit ASan's redzone. */
static char *
copy(const uint8_t *data, size_t n)
{
    char *p = xmalloc(n);
    if (n) {
        memcpy(p, data, n);
    }
    return p;
}

static int
in_alphabet(unsigned char c)
{
    return c != 0 && memchr(alphabet, c, 64) != NULL;
}

/* Reference encoder: six bits at a time. */
static size_t
ref_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, bits = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 63];
        }
    }
    if (bits > 0) {
        out[o++] = alphabet[(acc << (6 - bits)) & 63];
    }
    return o;
}

/* Reference decoder with the contract of sesstok_b64url_decode_lax/strict. */
static long long
ref_decode(const char *in, size_t n, unsigned char *out, int strict)
{
    if (n % 4 == 1) {
        return -1;
    }
    size_t o = 0, bits = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = in_alphabet((unsigned char)in[i]) ? memchr(alphabet, in[i], 64) : NULL;
        if (p == NULL) {
            return -1;
        }
        acc = (acc << 6) | (uint32_t)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (strict && (acc & ((1u << bits) - 1)) != 0) {
        return -1; /* non-zero unused trailing bits */
    }
    return (long long)o;
}

/* Decode text[0:n] with the implementation in use and check it against the
 * reference, in both modes. */
static void
check_decode_against_ref(const char *text, size_t n)
{
    size_t dmax = sesstok_b64url_decoded_max(n);
    unsigned char *got = xmalloc(dmax), *want = xmalloc(dmax);
    for (int strict = 0; strict < 2; strict++) {
        long long r = ref_decode(text, n, want, strict);
        long long g = strict ? sesstok_b64url_decode_strict(text, n, got)
                             : sesstok_b64url_decode_lax(text, n, got);
        CHECK(g == r);
        CHECK(r <= 0 || memcmp(got, want, (size_t)r) == 0);
    }
    free(want);
    free(got);
}

static void
fuzz_b64_differential(const uint8_t *data, size_t size)
{
    int saved = sesstok_b64url_get_impl();
    size_t elen = sesstok_b64url_encoded_len(size);
    char *want = xmalloc(elen), *got = xmalloc(elen);
    CHECK(ref_encode(data, size, want) == elen);
    char *text = copy(data, size);
    for (int impl = 0; impl < SESSTOK_B64_IMPL_COUNT; impl++) {
        if (!sesstok_b64url_impl_supported(impl)) {
            CHECK(sesstok_b64url_set_impl(impl) == -1);
            continue;
        }
        CHECK(sesstok_b64url_set_impl(impl) == 0 && sesstok_b64url_get_impl() == impl);
        CHECK(sesstok_b64url_encode(data, size, got) == elen);
        CHECK(elen == 0 || memcmp(got, want, elen) == 0);
        check_decode_against_ref(text, size);
        check_decode_against_ref(want, elen);
        if (size >= 2 && elen > 0) {
            char *mutated = copy((const uint8_t *)want, elen);
            mutated[(data[0] * 131u + data[1]) % elen] = (char)data[size - 1];
            check_decode_against_ref(mutated, elen);
            free(mutated);
        }
    }
    CHECK(sesstok_b64url_set_impl(saved) == 0);
    free(text);
    free(got);
    free(want);
}

static void
fuzz_b64_roundtrip(const uint8_t *data, size_t size)
{
    size_t elen = sesstok_b64url_encoded_len(size);
    char *enc = xmalloc(elen);
    CHECK(sesstok_b64url_encode(data, size, enc) == elen);
    for (size_t i = 0; i < elen; i++) {
        CHECK(in_alphabet((unsigned char)enc[i]));
    }
    size_t dmax = sesstok_b64url_decoded_max(elen);
    CHECK(dmax >= size);
    unsigned char *dec = xmalloc(dmax);
    CHECK(sesstok_b64url_decode_strict(enc, elen, dec) == (long long)size);
    CHECK(size == 0 || memcmp(dec, data, size) == 0);
    memset(dec, 0, dmax);
    CHECK(sesstok_b64url_decode_lax(enc, elen, dec) == (long long)size);
    CHECK(size == 0 || memcmp(dec, data, size) == 0);
    free(dec);
    free(enc);
}

static void
fuzz_b64_decode_text(const uint8_t *data, size_t size)
{
    char *text = copy(data, size);
    size_t dmax = sesstok_b64url_decoded_max(size);
    unsigned char *strict_out = xmalloc(dmax);
    unsigned char *lax_out = xmalloc(dmax);
    long long s = sesstok_b64url_decode_strict(text, size, strict_out);
    long long l = sesstok_b64url_decode_lax(text, size, lax_out);

    int simple = size % 4 != 1;
    for (size_t i = 0; simple && i < size; i++) {
        simple = in_alphabet(data[i]);
    }
    CHECK((l >= 0) == simple);
    if (l >= 0) {
        CHECK((size_t)l == size / 4 * 3 + (size % 4 ? size % 4 - 1 : 0));
        CHECK((size_t)l <= dmax);
        /* re-encoding gives the input, up to the ignored trailing bits */
        size_t elen = sesstok_b64url_encoded_len((size_t)l);
        CHECK(elen == size);
        char *again = xmalloc(elen);
        sesstok_b64url_encode(lax_out, (size_t)l, again);
        CHECK(elen == 0 || memcmp(again, text, elen - 1) == 0);
        int canonical = elen == 0 || again[elen - 1] == text[elen - 1];
        CHECK((s >= 0) == canonical);
        free(again);
    }
    else {
        CHECK(s < 0);
    }
    if (s >= 0) {
        CHECK(s == l && (s == 0 || memcmp(strict_out, lax_out, (size_t)s) == 0));
    }
    free(lax_out);
    free(strict_out);
    free(text);
}

static void
fuzz_b62(const uint8_t *data, size_t size)
{
    /* decode arbitrary text */
    char *text = copy(data, size);
    int64_t v;
    if (sesstok_b62_decode(text, size, &v) == 0) {
        char enc[SESSTOK_B62_MAX];
        size_t n = sesstok_b62_encode(v, enc);
        CHECK(n <= SESSTOK_B62_MAX);
        /* canonical form of the input: drop '-' for zero and leading zeros */
        size_t i = 0;
        int neg = size > 0 && text[0] == '-';
        if (neg) {
            i = 1;
        }
        while (i < size && text[i] == '0') {
            i++;
        }
        if (i == size) {
            CHECK(v == 0 && n == 1 && enc[0] == '0');
        }
        else {
            CHECK((size_t)(neg) + (size - i) == n);
            CHECK(!neg || enc[0] == '-');
            CHECK(memcmp(enc + neg, text + i, size - i) == 0);
        }
    }
    free(text);

    /* encode an int64 from the input and decode it back */
    if (size >= 8) {
        uint64_t u = 0;
        for (int k = 0; k < 8; k++) {
            u = (u << 8) | data[k];
        }
        int64_t value = (int64_t)u;
        char *enc = xmalloc(SESSTOK_B62_MAX);
        size_t n = sesstok_b62_encode(value, enc);
        CHECK(n >= 1 && n <= SESSTOK_B62_MAX - 1);
        char *exact = copy((const uint8_t *)enc, n);
        int64_t back;
        CHECK(sesstok_b62_decode(exact, n, &back) == 0);
        CHECK(back == value);
        free(exact);
        free(enc);
    }
}

static void
fuzz_hex_and_buf(const uint8_t *data, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    char *out = xmalloc(2 * size);
    sesstok_hex_encode(data, size, out);
    for (size_t i = 0; i < size; i++) {
        CHECK(out[2 * i] == digits[data[i] >> 4] && out[2 * i + 1] == digits[data[i] & 15]);
    }
    free(out);

    /* append the input in chunks whose sizes come from the input itself */
    sesstok_buf b;
    sesstok_buf_init(&b);
    size_t pos = 0;
    while (pos < size) {
        size_t chunk = (size_t)data[pos] * 7 + 1;
        if (chunk > size - pos) {
            chunk = size - pos;
        }
        if (data[pos] & 1) {
            CHECK(sesstok_buf_putc(&b, data[pos]) == 0);
            chunk = 1;
        }
        else {
            CHECK(sesstok_buf_append(&b, data + pos, chunk) == 0);
        }
        pos += chunk;
        CHECK(b.len == pos && b.len <= b.cap);
    }
    CHECK(size == 0 || memcmp(b.data, data, size) == 0);
    CHECK(sesstok_buf_reserve(&b, SIZE_MAX) == -1); /* overflow refused */
    CHECK(b.len == size);
    sesstok_buf_free(&b);
    CHECK(b.len == 0 && b.data == b.inline_data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_b64_differential(data, size);
    fuzz_b64_roundtrip(data, size);
    fuzz_b64_decode_text(data, size);
    fuzz_b62(data, size);
    fuzz_hex_and_buf(data, size);
    return 0;
}
