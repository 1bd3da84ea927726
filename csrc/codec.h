/* codec.h - byte buffers, base64url, base62 and hex. No Python here, so the
 * codecs can be fuzzed and tested on their own.
 *
 * All lengths are explicit; nothing here calls strlen on its input. Functions
 * that allocate return -1 on allocation failure and leave the buffer valid
 * (callers translate that into MemoryError). */
#ifndef SESSTOK_CODEC_H
#define SESSTOK_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer with inline storage for the common small case. */
#define SESSTOK_BUF_INLINE 512

typedef struct {
    unsigned char *data; /* points at inline or at heap storage */
    size_t len;
    size_t cap;
    unsigned char inline_data[SESSTOK_BUF_INLINE];
} sesstok_buf;

void sesstok_buf_init(sesstok_buf *b);
void sesstok_buf_free(sesstok_buf *b);
/* Make room for `extra` more bytes. Return 0, or -1 on overflow/OOM. */
int sesstok_buf_reserve(sesstok_buf *b, size_t extra);
int sesstok_buf_append(sesstok_buf *b, const void *p, size_t n);
int sesstok_buf_putc(sesstok_buf *b, unsigned char c);

/* base64url implementations. The first call picks the fastest one the CPU
 * supports, or the one the environment variable SESSTOK_B64URL_IMPL names
 * ("scalar", "avx2") if the CPU supports it. All accept and refuse the same
 * inputs and give the same bytes; tests and fuzz/fuzz_codec.c switch
 * between them to check that. */
enum { SESSTOK_B64_SCALAR, SESSTOK_B64_AVX2, SESSTOK_B64_IMPL_COUNT };
/* The name of an implementation, or NULL if impl is out of range. */
const char *sesstok_b64url_impl_name(int impl);
/* 1 if this build and CPU can run impl, else 0. */
int sesstok_b64url_impl_supported(int impl);
int sesstok_b64url_get_impl(void);
/* Switch to impl; return 0, or -1 (nothing changed) if it is not supported. */
int sesstok_b64url_set_impl(int impl);

/* base64url without padding (RFC 4648 section 5, as Django's b64_encode and
 * JWS produce it). */
size_t sesstok_b64url_encoded_len(size_t n);
/* Write the encoding of in[0:n] to out (sesstok_b64url_encoded_len(n) bytes);
 * return the number of bytes written. */
size_t sesstok_b64url_encode(const unsigned char *in, size_t n, char *out);

/* Upper bound of the decoded length of n input characters. */
size_t sesstok_b64url_decoded_max(size_t n);

/* Lax decode: accept exactly the inputs that Django's b64_decode decodes the
 * simple way: only url-safe alphabet characters, no padding, n % 4 != 1,
 * non-zero trailing bits ignored (as binascii does). Return the decoded length,
 * or -1 if the input needs the general (Python) path. */
long long sesstok_b64url_decode_lax(const char *in, size_t n,
                                    unsigned char *out);

/* Strict decode for JWS: url-safe alphabet only, no padding, no whitespace,
 * n % 4 != 1 and zero trailing bits (canonical encoding). Return the decoded
 * length or -1 if the input is not canonical base64url. */
long long sesstok_b64url_decode_strict(const char *in, size_t n,
                                       unsigned char *out);

/* base62 with Django's alphabet "0-9A-Za-z" and a leading '-' for negatives.
 * out needs SESSTOK_B62_MAX bytes; return the length written. */
#define SESSTOK_B62_MAX 13
size_t sesstok_b62_encode(int64_t value, char *out);
/* Decode as django.core.signing.b62_decode. Return 0 and set *value, or
 * -1 if the input is empty, has a character outside the alphabet, or does
 * not fit in int64 (the caller then takes the general path). */
int sesstok_b62_decode(const char *in, size_t n, int64_t *value);

/* Lower-case hex. out needs 2 * n bytes. */
void sesstok_hex_encode(const unsigned char *in, size_t n, char *out);

#endif
