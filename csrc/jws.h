/* jws.h - the Python-free parts of JWS compact serialization: splitting a
 * token, strict segment decoding, and ECDSA signature conversion between the
 * JWS form (raw R || S, RFC 7518 section 3.4) and the DER form OpenSSL
 * speaks, with the range check 0 < r, s < n done before OpenSSL sees it.
 *
 * Nothing here allocates or calls strlen; every length is explicit. jwt.c
 * builds on it, and fuzz/fuzz_jws.c drives it alone under the sanitizers. */
#ifndef SESSTOK_JWS_H
#define SESSTOK_JWS_H

#include <stddef.h>
#include <stdint.h>

/* Default cap on the length of a compact token, checked before anything else
 * is decoded. */
#define SESSTOK_JWS_DEFAULT_MAX_LENGTH 8192

/* Results of sesstok_jws_split and sesstok_jws_decode_segment. */
typedef enum {
    SESSTOK_JWS_OK = 0,
    SESSTOK_JWS_E_TOO_LONG, /* longer than the configured maximum */
    SESSTOK_JWS_E_NOT_ENOUGH_SEGMENTS,
    SESSTOK_JWS_E_TOO_MANY_SEGMENTS,
    SESSTOK_JWS_E_NUL,       /* a NUL byte anywhere in the token */
    SESSTOK_JWS_E_NON_ASCII, /* a byte >= 0x80: never base64url */
    SESSTOK_JWS_E_BASE64,    /* not canonical unpadded base64url */
    SESSTOK_JWS_E_COUNT
} sesstok_jws_error;

/* A description of an error code, e.g. "Not enough segments". */
const char *sesstok_jws_strerror(int code);

/* The three segments of a compact token: offsets into the token. */
typedef struct {
    size_t header_start, header_len;
    size_t payload_start, payload_len;
    size_t signature_start, signature_len;
    size_t signing_input_len; /* header "." payload: [0, signing_input_len) */
} sesstok_jws_parts;

/* Split token[0:n] into exactly three '.'-separated segments. Refuses tokens
 * longer than max_len (before looking at their content), NUL bytes, bytes
 * >= 0x80 and a wrong number of segments. The segments themselves are not
 * decoded. */
int sesstok_jws_split(const char *token, size_t n, size_t max_len,
                      sesstok_jws_parts *parts);

/* Decode one segment as canonical base64url (no padding, no whitespace, only
 * the url-safe alphabet, zero trailing bits). out must hold
 * sesstok_b64url_decoded_max(n) bytes. Return SESSTOK_JWS_OK and set *outlen,
 * or SESSTOK_JWS_E_BASE64. */
int sesstok_jws_decode_segment(const char *seg, size_t n, unsigned char *out,
                               size_t *outlen);

/* ---- ECDSA signatures --------------------------------------------------- */

/* Largest coordinate (P-521: 66 bytes) and the DER encoding's upper bound:
 * SEQUENCE(3) + 2 * INTEGER(2 + 1 + 66). */
#define SESSTOK_ECDSA_MAX_COORD 66
#define SESSTOK_ECDSA_MAX_DER   (3 + 2 * (2 + 1 + SESSTOK_ECDSA_MAX_COORD))

/* Check a JWS ECDSA signature before verification: exactly 2 * coord_len
 * bytes, and with r and s its big-endian halves, 0 < r < order and
 * 0 < s < order. order is the group order as coord_len big-endian bytes.
 * Return 1 if the signature is well formed, 0 if not. */
int sesstok_ecdsa_raw_check(const unsigned char *sig, size_t siglen,
                            const unsigned char *order, size_t coord_len);

/* DER-encode the raw signature sig (2 * coord_len bytes) as
 * Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }. out must hold
 * SESSTOK_ECDSA_MAX_DER bytes. Return the DER length, or 0 if coord_len is
 * out of range. */
size_t sesstok_ecdsa_raw_to_der(const unsigned char *sig, size_t coord_len,
                                unsigned char *out);

/* Parse a strict DER Ecdsa-Sig-Value (minimal lengths, minimal positive
 * integers, nothing trailing) into raw R || S of 2 * coord_len bytes. Return
 * 0, or -1 if the encoding is not strict DER or an integer does not fit in
 * coord_len bytes. */
int sesstok_ecdsa_der_to_raw(const unsigned char *der, size_t n,
                             size_t coord_len, unsigned char *out);

#endif
