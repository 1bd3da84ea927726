/* pkey.h - asymmetric keys for JWS: loading (PEM, DER, OpenSSH public keys,
 * JWK components), checks, and RS/PS/ES/EdDSA signing and verification on
 * OpenSSL 3. No Python here.
 *
 * Functions that can fail return 0 on success and -1 on failure with *why set
 * to a static description; the OpenSSL error queue may hold more detail and
 * is left for the caller to drain (sesstok_raise_openssl_error) or clear. */
#ifndef SESSTOK_PKEY_H
#define SESSTOK_PKEY_H

#include <stddef.h>
#include <openssl/evp.h>

#include "jws.h"

typedef enum {
    SESSTOK_PKEY_NONE = 0,
    SESSTOK_PKEY_RSA,
    SESSTOK_PKEY_EC,
    SESSTOK_PKEY_ED25519,
} sesstok_pkey_kind;

typedef enum {
    SESSTOK_CURVE_NONE = 0,
    SESSTOK_CURVE_P256,
    SESSTOK_CURVE_P384,
    SESSTOK_CURVE_P521,
} sesstok_curve;

/* RSA moduli above this are refused (a verification with a huge modulus is a
 * denial of service, and no JWS issuer uses one). */
#define SESSTOK_RSA_MAX_BITS 16384

/* (sign or verify) x (SHA-256, -384, -512) x (PKCS#1 v1.5 or PSS) */
#define SESSTOK_PKEY_TEMPLATES 12

typedef struct {
    EVP_PKEY *pkey;
    sesstok_pkey_kind kind;
    int is_private;
    int bits; /* RSA modulus size, or the curve size */
    sesstok_curve curve;
    size_t coord_len; /* EC: bytes per coordinate (32, 48, 66) */
    unsigned char
        order[SESSTOK_ECDSA_MAX_COORD]; /* EC: group order, coord_len bytes */
    /* set-up sign/verify contexts, copied for each operation (see
     * sesstok_pkey_ctx); made on first use; -1 in tmpl_state: copying does
     * not work for this one, set up afresh each time */
    EVP_MD_CTX *tmpl[SESSTOK_PKEY_TEMPLATES];
    signed char tmpl_state[SESSTOK_PKEY_TEMPLATES];
} sesstok_pkey;

void sesstok_pkey_init(sesstok_pkey *k);
void sesstok_pkey_clear(sesstok_pkey *k);

/* Load a key from PEM (PKCS#8, PKCS#1, SEC1, SubjectPublicKeyInfo; not
 * encrypted), DER (the same structures, nothing trailing) or an OpenSSH
 * public key line ("ssh-rsa ...", "ecdsa-sha2-nistp256 ...", "ssh-ed25519
 * ..."). Private keys are preferred when the data holds one. The key is then
 * checked as sesstok_pkey_finish does. */
int sesstok_pkey_load(sesstok_pkey *k, const unsigned char *data, size_t n,
                      const char **why);

/* Is data[0:n] a DER X.509 certificate? (for refusing it as an HMAC secret) */
int sesstok_pkey_is_der_certificate(const unsigned char *data, size_t n);

/* A byte string; p == NULL for an absent one. */
typedef struct {
    const unsigned char *p;
    size_t n;
} sesstok_bytes;

/* The members of an RSA JWK, in this order. */
enum {
    SESSTOK_RSA_N,
    SESSTOK_RSA_E,
    SESSTOK_RSA_D,
    SESSTOK_RSA_P,
    SESSTOK_RSA_Q,
    SESSTOK_RSA_DP,
    SESSTOK_RSA_DQ,
    SESSTOK_RSA_QI,
    SESSTOK_RSA_MEMBERS
};

/* Build keys from JWK components (big-endian unsigned integers and raw
 * octets, already base64url-decoded). NULL/0 for absent members. For RSA,
 * m[SESSTOK_RSA_*]: n and e, and either only d or all of p, q, dp, dq, qi
 * with d. */
int sesstok_pkey_from_rsa(sesstok_pkey *k,
                          const sesstok_bytes m[SESSTOK_RSA_MEMBERS],
                          const char **why);
int sesstok_pkey_from_ec(sesstok_pkey *k, sesstok_curve curve,
                         const unsigned char *x, const unsigned char *y,
                         size_t coord_len, const unsigned char *d, size_t dlen,
                         const char **why);
/* x (32 bytes) may be NULL when d is given; when both are given they must
 * match. */
int sesstok_pkey_from_ed25519(sesstok_pkey *k, const unsigned char *x,
                              size_t xlen, const unsigned char *d, size_t dlen,
                              const char **why);

/* Curve by name: JWK "P-256"/"P-384"/"P-521" or OpenSSL/SSH names. */
sesstok_curve sesstok_curve_from_name(const char *name, size_t len);
const char *sesstok_curve_name(sesstok_curve curve); /* "P-256" ... */
const char *
sesstok_curve_openssl_name(sesstok_curve curve); /* "secp256r1" ... */
size_t sesstok_curve_coord_len(sesstok_curve curve);

/* Upper bound of a signature's size in JWS form. */
size_t sesstok_pkey_sig_max(const sesstok_pkey *k);

/* A context set up for signing (sign = 1) or verifying with k, md and pss,
 * ready for one EVP_DigestSign/EVP_DigestVerify; the caller owns it (or
 * passes it to sesstok_pkey_sign/verify, which free it). It is a copy of a
 * template k keeps: in OpenSSL 3.0 the set-up (fetching the algorithms) costs
 * more than a small signature. Not thread-safe: callers serialize (the GIL).
 * NULL on failure. */
EVP_MD_CTX *sesstok_pkey_ctx(sesstok_pkey *k, const EVP_MD *md, int pss,
                             int sign);

/* Sign msg. md is the digest (ignored for Ed25519); pss selects RSASSA-PSS
 * (MGF1 with md, salt length = digest length) over PKCS#1 v1.5. sig must hold
 * sesstok_pkey_sig_max(k) bytes; ECDSA signatures come out as raw R || S. */
int sesstok_pkey_sign(const sesstok_pkey *k, EVP_MD_CTX *ctx, const EVP_MD *md,
                      int pss, const unsigned char *msg, size_t n,
                      unsigned char *sig, size_t *siglen, const char **why);

/* Verify; sig is in JWS form (raw R || S for ECDSA, checked with
 * sesstok_ecdsa_raw_check before OpenSSL sees it). Return 1 if valid, 0 if
 * not (the OpenSSL error queue is cleared), -1 on an internal failure.
 * ctx: from sesstok_pkey_ctx (freed here), or NULL to set one up here;
 * with a ctx these two are safe without the GIL. */
int sesstok_pkey_verify(const sesstok_pkey *k, EVP_MD_CTX *ctx,
                        const EVP_MD *md, int pss, const unsigned char *msg,
                        size_t n, const unsigned char *sig, size_t siglen,
                        const char **why);

/* RSA modulus and public exponent as big-endian bytes (malloc'ed; free with
 * OPENSSL_free). */
int sesstok_pkey_rsa_public(const sesstok_pkey *k, unsigned char **n,
                            size_t *nlen, unsigned char **e, size_t *elen);

/* SubjectPublicKeyInfo DER of the public key (OPENSSL_free it). */
int sesstok_pkey_public_der(const sesstok_pkey *k, unsigned char **der,
                            size_t *len);

#endif
