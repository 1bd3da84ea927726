/* hmac_sha.c - HMAC for SHA-1 and SHA-2 by copying precomputed low-level
 * digest states.
 *
 * OpenSSL 3's EVP_MD_CTX_copy_ex frees and reallocates the digest context on
 * every copy, which costs more than hashing a session. The SHA*_CTX structs
 * are plain data, so a prepared key copies them with memcpy. These functions
 * are deprecated in OpenSSL 3 but present unless OpenSSL was built with
 * no-deprecated; then, or when SESSTOK_NO_FAST_HMAC is defined (setup.py:
 * SESSTOK_NO_FAST_HMAC=1, a CI build of its own), this file compiles to
 * stubs and every HMAC takes the EVP path of crypto.c.
 *
 * OPENSSL_NO_DEPRECATED_3_0 cannot be used to force that: OpenSSL's
 * macros.h derives it from OPENSSL_NO_DEPRECATED, which this file
 * undefines. */
#undef OPENSSL_NO_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto.h"

#include <string.h>
#include <openssl/obj_mac.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#if !defined(OPENSSL_NO_DEPRECATED_3_0) && !defined(SESSTOK_NO_FAST_HMAC)

_Static_assert(sizeof(SHA512_CTX) <= SESSTOK_FAST_STATE_MAX,
               "state buffer too small");
_Static_assert(sizeof(SHA256_CTX) <= SESSTOK_FAST_STATE_MAX,
               "state buffer too small");
_Static_assert(sizeof(SHA_CTX) <= SESSTOK_FAST_STATE_MAX,
               "state buffer too small");

const int sesstok_hmac_fast_path = 1;

/* The states after absorbing ipad and opad, for each family. Return 1 on
 * success, 0 if the block size does not match or OpenSSL failed. */
static int
init_sha1(sesstok_hmac_key *k, const unsigned char *ipad,
          const unsigned char *opad, size_t block_size)
{
    SHA_CTX c[2];
    if (block_size != SHA_CBLOCK || !SHA1_Init(&c[0]) ||
        !SHA1_Update(&c[0], ipad, block_size) || !SHA1_Init(&c[1]) ||
        !SHA1_Update(&c[1], opad, block_size)) {
        return 0;
    }
    memcpy(k->fast_state[0], &c[0], sizeof(c[0]));
    memcpy(k->fast_state[1], &c[1], sizeof(c[1]));
    OPENSSL_cleanse(c, sizeof(c));
    return 1;
}

static int
init_sha256(sesstok_hmac_key *k, int (*init)(SHA256_CTX *),
            const unsigned char *ipad, const unsigned char *opad,
            size_t block_size)
{
    SHA256_CTX c[2];
    if (block_size != SHA256_CBLOCK || !init(&c[0]) ||
        !SHA256_Update(&c[0], ipad, block_size) || !init(&c[1]) ||
        !SHA256_Update(&c[1], opad, block_size)) {
        return 0;
    }
    memcpy(k->fast_state[0], &c[0], sizeof(c[0]));
    memcpy(k->fast_state[1], &c[1], sizeof(c[1]));
    OPENSSL_cleanse(c, sizeof(c));
    return 1;
}

static int
init_sha512(sesstok_hmac_key *k, int (*init)(SHA512_CTX *),
            const unsigned char *ipad, const unsigned char *opad,
            size_t block_size)
{
    SHA512_CTX c[2];
    if (block_size != SHA512_CBLOCK || !init(&c[0]) ||
        !SHA512_Update(&c[0], ipad, block_size) || !init(&c[1]) ||
        !SHA512_Update(&c[1], opad, block_size)) {
        return 0;
    }
    memcpy(k->fast_state[0], &c[0], sizeof(c[0]));
    memcpy(k->fast_state[1], &c[1], sizeof(c[1]));
    OPENSSL_cleanse(c, sizeof(c));
    return 1;
}

int
sesstok_hmac_fast_init(sesstok_hmac_key *k, int nid, const unsigned char *ipad,
                       const unsigned char *opad, size_t block_size)
{
    int ok = 0;
    switch (nid) {
    case NID_sha1:
        ok = init_sha1(k, ipad, opad, block_size);
        break;
    case NID_sha224:
        ok = init_sha256(k, SHA224_Init, ipad, opad, block_size);
        break;
    case NID_sha256:
        ok = init_sha256(k, SHA256_Init, ipad, opad, block_size);
        break;
    case NID_sha384:
        ok = init_sha512(k, SHA384_Init, ipad, opad, block_size);
        break;
    case NID_sha512:
        ok = init_sha512(k, SHA512_Init, ipad, opad, block_size);
        break;
    default:
        break;
    }
    k->fast = ok ? nid : 0;
    return ok;
}

/* Inner hash of msg from the ipad state, then the outer hash of that from
 * the opad state, into out. One function per state type; SHA-224 and
 * SHA-384 use their family's functions (the state records the output
 * length, so SHA256_Final/SHA512_Final write the truncated digest). */
static int
mac_sha1(const sesstok_hmac_key *k, const unsigned char *msg, size_t len,
         unsigned char *out)
{
    SHA_CTX c;
    unsigned char ih[SHA_DIGEST_LENGTH];
    memcpy(&c, k->fast_state[0], sizeof(c));
    int ok = SHA1_Update(&c, msg, len) && SHA1_Final(ih, &c);
    memcpy(&c, k->fast_state[1], sizeof(c));
    ok = ok && SHA1_Update(&c, ih, sizeof(ih)) && SHA1_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof(c));
    return ok ? 0 : -1;
}

static int
mac_sha256(const sesstok_hmac_key *k, const unsigned char *msg, size_t len,
           unsigned char *out)
{
    SHA256_CTX c;
    unsigned char ih[SHA256_DIGEST_LENGTH];
    memcpy(&c, k->fast_state[0], sizeof(c));
    int ok = SHA256_Update(&c, msg, len) && SHA256_Final(ih, &c);
    memcpy(&c, k->fast_state[1], sizeof(c));
    ok = ok && SHA256_Update(&c, ih, k->digest_size) && SHA256_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof(c));
    return ok ? 0 : -1;
}

static int
mac_sha512(const sesstok_hmac_key *k, const unsigned char *msg, size_t len,
           unsigned char *out)
{
    SHA512_CTX c;
    unsigned char ih[SHA512_DIGEST_LENGTH];
    memcpy(&c, k->fast_state[0], sizeof(c));
    int ok = SHA512_Update(&c, msg, len) && SHA512_Final(ih, &c);
    memcpy(&c, k->fast_state[1], sizeof(c));
    ok = ok && SHA512_Update(&c, ih, k->digest_size) && SHA512_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof(c));
    return ok ? 0 : -1;
}

int
sesstok_hmac_fast_compute(const sesstok_hmac_key *k, const unsigned char *msg,
                          size_t len, unsigned char *out)
{
    switch (k->fast) {
    case NID_sha1:
        return mac_sha1(k, msg, len, out);
    case NID_sha224:
    case NID_sha256:
        return mac_sha256(k, msg, len, out);
    case NID_sha384:
    case NID_sha512:
        return mac_sha512(k, msg, len, out);
    default:
        return -1;
    }
}

#else /* no fast path: the EVP path of crypto.c does everything */

const int sesstok_hmac_fast_path = 0;

int
sesstok_hmac_fast_init(sesstok_hmac_key *k, int nid, const unsigned char *ipad,
                       const unsigned char *opad, size_t block_size)
{
    k->fast = 0;
    return 0;
}

int
sesstok_hmac_fast_compute(const sesstok_hmac_key *k, const unsigned char *msg,
                          size_t len, unsigned char *out)
{
    return -1;
}

#endif
