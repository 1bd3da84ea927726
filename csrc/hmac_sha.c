/* hmac_sha.c - HMAC for SHA-1 and SHA-2 by copying precomputed low-level
 * digest states.
 *
 * OpenSSL 3's EVP_MD_CTX_copy_ex frees and reallocates the digest context on
 * every copy, which costs more than hashing a session. The SHA*_CTX structs
 * are plain data, so a prepared key copies them with memcpy. These functions
 * are deprecated in OpenSSL 3 but present unless OpenSSL was built with
 * no-deprecated; then this file compiles to the EVP path only (crypto.c). */
#undef OPENSSL_NO_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto.h"

#include <string.h>
#include <openssl/obj_mac.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#if !defined(OPENSSL_NO_DEPRECATED_3_0)

_Static_assert(sizeof(SHA512_CTX) <= SESSTOK_FAST_STATE_MAX, "state buffer too small");
_Static_assert(sizeof(SHA256_CTX) <= SESSTOK_FAST_STATE_MAX, "state buffer too small");
_Static_assert(sizeof(SHA_CTX) <= SESSTOK_FAST_STATE_MAX, "state buffer too small");

int
sesstok_hmac_fast_init(sesstok_hmac_key *k, int nid, const unsigned char *ipad,
                       const unsigned char *opad, size_t block_size)
{
    k->fast = 0;
    switch (nid) {
    case NID_sha1: {
        SHA_CTX c[2];
        if (block_size != SHA_CBLOCK || !SHA1_Init(&c[0]) || !SHA1_Update(&c[0], ipad, block_size)
            || !SHA1_Init(&c[1]) || !SHA1_Update(&c[1], opad, block_size)) {
            return 0;
        }
        memcpy(k->fast_state[0], &c[0], sizeof(c[0]));
        memcpy(k->fast_state[1], &c[1], sizeof(c[1]));
        break;
    }
    case NID_sha224:
    case NID_sha256: {
        SHA256_CTX c[2];
        int (*init)(SHA256_CTX *) = nid == NID_sha224 ? SHA224_Init : SHA256_Init;
        if (block_size != SHA256_CBLOCK || !init(&c[0]) || !SHA256_Update(&c[0], ipad, block_size)
            || !init(&c[1]) || !SHA256_Update(&c[1], opad, block_size)) {
            return 0;
        }
        memcpy(k->fast_state[0], &c[0], sizeof(c[0]));
        memcpy(k->fast_state[1], &c[1], sizeof(c[1]));
        break;
    }
    case NID_sha384:
    case NID_sha512: {
        SHA512_CTX c[2];
        int (*init)(SHA512_CTX *) = nid == NID_sha384 ? SHA384_Init : SHA512_Init;
        if (block_size != SHA512_CBLOCK || !init(&c[0]) || !SHA512_Update(&c[0], ipad, block_size)
            || !init(&c[1]) || !SHA512_Update(&c[1], opad, block_size)) {
            return 0;
        }
        memcpy(k->fast_state[0], &c[0], sizeof(c[0]));
        memcpy(k->fast_state[1], &c[1], sizeof(c[1]));
        break;
    }
    default:
        return 0;
    }
    k->fast = nid;
    return 1;
}

/* Finish the inner hash into ih, then the outer hash into out. */
#define HMAC_WITH(CTX, UPDATE, FINAL, DIGEST_LEN)                              \
    do {                                                                       \
        CTX c;                                                                 \
        unsigned char ih[DIGEST_LEN];                                          \
        memcpy(&c, k->fast_state[0], sizeof(c));                               \
        if (!UPDATE(&c, msg, len) || !FINAL(ih, &c)) {                         \
            return -1;                                                         \
        }                                                                      \
        memcpy(&c, k->fast_state[1], sizeof(c));                               \
        if (!UPDATE(&c, ih, DIGEST_LEN) || !FINAL(out, &c)) {                  \
            return -1;                                                         \
        }                                                                      \
        OPENSSL_cleanse(&c, sizeof(c));                                        \
        return 0;                                                              \
    } while (0)

int
sesstok_hmac_fast_compute(const sesstok_hmac_key *k, const unsigned char *msg, size_t len,
                          unsigned char *out)
{
    switch (k->fast) {
    case NID_sha1:
        HMAC_WITH(SHA_CTX, SHA1_Update, SHA1_Final, SHA_DIGEST_LENGTH);
    case NID_sha224:
        HMAC_WITH(SHA256_CTX, SHA224_Update, SHA224_Final, SHA224_DIGEST_LENGTH);
    case NID_sha256:
        HMAC_WITH(SHA256_CTX, SHA256_Update, SHA256_Final, SHA256_DIGEST_LENGTH);
    case NID_sha384:
        HMAC_WITH(SHA512_CTX, SHA384_Update, SHA384_Final, SHA384_DIGEST_LENGTH);
    case NID_sha512:
        HMAC_WITH(SHA512_CTX, SHA512_Update, SHA512_Final, SHA512_DIGEST_LENGTH);
    default:
        return -1;
    }
}

#else /* OpenSSL without deprecated APIs: the EVP path does everything */

int
sesstok_hmac_fast_init(sesstok_hmac_key *k, int nid, const unsigned char *ipad,
                       const unsigned char *opad, size_t block_size)
{
    k->fast = 0;
    return 0;
}

int
sesstok_hmac_fast_compute(const sesstok_hmac_key *k, const unsigned char *msg, size_t len,
                          unsigned char *out)
{
    return -1;
}

#endif
