/* crypto.h - HMAC with prepared keys, digests, constant-time comparison and
 * the OS random generator. No Python here.
 *
 * Every function returns 0 on success and -1 on failure; on failure from
 * OpenSSL the OpenSSL error queue holds the reason (callers drain it into a
 * Python exception with sesstok_raise_openssl_error). */
#ifndef SESSTOK_CRYPTO_H
#define SESSTOK_CRYPTO_H

#include <stddef.h>
#include <openssl/evp.h>

#define SESSTOK_MAX_DIGEST EVP_MAX_MD_SIZE
#define SESSTOK_MAX_BLOCK  144 /* SHA3-224 has the largest block: 144 bytes */

/* Precomputed HMAC state: the digest state after absorbing key^ipad and
 * key^opad. Computing a MAC copies these states and does nothing else. */
#define SESSTOK_FAST_STATE_MAX 256

typedef struct {
    const EVP_MD *md; /* not owned */
    EVP_MD_CTX *inner;
    EVP_MD_CTX *outer;
    EVP_MD_CTX *scratch; /* reused work context; callers hold the GIL */
    size_t digest_size;
    /* SHA-1/SHA-2: the same two states as plain structs (hmac_sha.c);
     * fast is the digest's NID, or 0 when the EVP path is used */
    int fast;
    _Alignas(16) unsigned char fast_state[2][SESSTOK_FAST_STATE_MAX];
} sesstok_hmac_key;

/* Prepare an HMAC key (RFC 2104): key longer than the block is hashed. */
int sesstok_hmac_key_init(sesstok_hmac_key *k, const EVP_MD *md,
                          const unsigned char *key, size_t keylen);
/* Prepare Django's salted_hmac key: HMAC key = H(key_salt + secret). */
int sesstok_hmac_key_init_salted(sesstok_hmac_key *k, const EVP_MD *md,
                                 const unsigned char *salt, size_t saltlen,
                                 const unsigned char *secret,
                                 size_t secretlen);
void sesstok_hmac_key_clear(sesstok_hmac_key *k);
/* out must hold k->digest_size bytes. */
int sesstok_hmac_compute(sesstok_hmac_key *k, const unsigned char *msg,
                         size_t len, unsigned char *out);

/* hmac_sha.c: set up / use the low-level SHA state copies. init returns 1
 * when the fast path is available for nid, 0 otherwise. The fast path is
 * compiled in (sesstok_hmac_fast_path is 1) unless OpenSSL lacks the
 * deprecated SHA functions or SESSTOK_NO_FAST_HMAC is defined; without it
 * every HMAC takes the EVP path of crypto.c. */
extern const int sesstok_hmac_fast_path;
int sesstok_hmac_fast_init(sesstok_hmac_key *k, int nid,
                           const unsigned char *ipad,
                           const unsigned char *opad, size_t block_size);
int sesstok_hmac_fast_compute(const sesstok_hmac_key *k,
                              const unsigned char *msg, size_t len,
                              unsigned char *out);

/* One-shot digest; out must hold EVP_MD_get_size(md) bytes. */
int sesstok_digest(const EVP_MD *md, const unsigned char *in, size_t n,
                   unsigned char *out);

/* Constant-time equality of a and b; lengths compared first (they are not
 * secret). Return 1 if equal, 0 if not. */
int sesstok_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Fill out[0:n] from the operating system's CSPRNG (getrandom(2) on Linux,
 * OpenSSL's RAND_bytes elsewhere). Return 0, or -1 with errno set. */
int sesstok_random_bytes(unsigned char *out, size_t n);

#endif
