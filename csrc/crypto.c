/* crypto.c - prepared HMAC keys, digests, constant-time compare, CSPRNG. */
#define _GNU_SOURCE
#include "crypto.h"

#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#if defined(__linux__)
#include <sys/random.h>
#endif

void
sesstok_hmac_key_clear(sesstok_hmac_key *k)
{
    EVP_MD_CTX_free(k->inner);
    EVP_MD_CTX_free(k->outer);
    EVP_MD_CTX_free(k->scratch);
    k->inner = k->outer = k->scratch = NULL;
    k->md = NULL;
    k->fast = 0;
    OPENSSL_cleanse(k->fast_state, sizeof(k->fast_state));
    k->digest_size = 0;
}

int
sesstok_hmac_key_init(sesstok_hmac_key *k, const EVP_MD *md,
                      const unsigned char *key, size_t keylen)
{
    unsigned char block[SESSTOK_MAX_BLOCK];
    unsigned char pad[SESSTOK_MAX_BLOCK];
    memset(k, 0, sizeof(*k));
    int bs = EVP_MD_get_block_size(md);
    int ds = EVP_MD_get_size(md);
    if (bs <= 0 || bs > SESSTOK_MAX_BLOCK || ds <= 0 ||
        ds > SESSTOK_MAX_DIGEST) {
        return -1;
    }
    memset(block, 0, sizeof(block));
    if (keylen > (size_t)bs) {
        if (sesstok_digest(md, key, keylen, block) < 0) {
            return -1;
        }
    }
    else if (keylen) {
        memcpy(block, key, keylen);
    }
    k->md = md;
    k->digest_size = (size_t)ds;
    k->inner = EVP_MD_CTX_new();
    k->outer = EVP_MD_CTX_new();
    k->scratch = EVP_MD_CTX_new();
    if (k->inner == NULL || k->outer == NULL || k->scratch == NULL) {
        goto error;
    }
    unsigned char opad[SESSTOK_MAX_BLOCK];
    for (int i = 0; i < bs; i++) {
        pad[i] = block[i] ^ 0x36;
        opad[i] = block[i] ^ 0x5c;
    }
    int ok = EVP_DigestInit_ex(k->inner, md, NULL) &&
             EVP_DigestUpdate(k->inner, pad, (size_t)bs) &&
             EVP_DigestInit_ex(k->outer, md, NULL) &&
             EVP_DigestUpdate(k->outer, opad, (size_t)bs);
    if (ok) {
        sesstok_hmac_fast_init(k, EVP_MD_get_type(md), pad, opad, (size_t)bs);
    }
    OPENSSL_cleanse(opad, sizeof(opad));
    if (!ok) {
        goto error;
    }
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));
    return 0;
error:
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));
    sesstok_hmac_key_clear(k);
    return -1;
}

/* mirrors django.utils.crypto.salted_hmac's key derivation */
int
sesstok_hmac_key_init_salted(sesstok_hmac_key *k, const EVP_MD *md,
                             const unsigned char *salt, size_t saltlen,
                             const unsigned char *secret, size_t secretlen)
{
    unsigned char derived[SESSTOK_MAX_DIGEST];
    int ds = EVP_MD_get_size(md);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    memset(k, 0, sizeof(*k));
    if (ctx == NULL || ds <= 0 || ds > SESSTOK_MAX_DIGEST) {
        EVP_MD_CTX_free(ctx);
        return -1;
    }
    int ok = EVP_DigestInit_ex(ctx, md, NULL) &&
             EVP_DigestUpdate(ctx, salt, saltlen) &&
             EVP_DigestUpdate(ctx, secret, secretlen) &&
             EVP_DigestFinal_ex(ctx, derived, NULL);
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return -1;
    }
    int rc = sesstok_hmac_key_init(k, md, derived, (size_t)ds);
    OPENSSL_cleanse(derived, sizeof(derived));
    return rc;
}

int
sesstok_hmac_compute(sesstok_hmac_key *k, const unsigned char *msg, size_t len,
                     unsigned char *out)
{
    if (k->fast) {
        return sesstok_hmac_fast_compute(k, msg, len, out);
    }
    unsigned char ihash[SESSTOK_MAX_DIGEST];
    unsigned int n = 0;
    if (!EVP_MD_CTX_copy_ex(k->scratch, k->inner) ||
        !EVP_DigestUpdate(k->scratch, msg, len) ||
        !EVP_DigestFinal_ex(k->scratch, ihash, &n) ||
        !EVP_MD_CTX_copy_ex(k->scratch, k->outer) ||
        !EVP_DigestUpdate(k->scratch, ihash, n) ||
        !EVP_DigestFinal_ex(k->scratch, out, &n)) {
        return -1;
    }
    return 0;
}

int
sesstok_digest(const EVP_MD *md, const unsigned char *in, size_t n,
               unsigned char *out)
{
    return EVP_Digest(in, n, out, NULL, md, NULL) ? 0 : -1;
}

int
sesstok_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen) {
        return 0;
    }
    return CRYPTO_memcmp(a, b, alen) == 0;
}

int
sesstok_random_bytes(unsigned char *out, size_t n)
{
#if defined(__linux__)
    while (n > 0) {
        ssize_t got = getrandom(out, n, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        out += got;
        n -= (size_t)got;
    }
    return 0;
#else
    while (n > 0) {
        int chunk = n > 1 << 20 ? 1 << 20 : (int)n;
        if (RAND_bytes(out, chunk) != 1) {
            errno = EIO;
            return -1;
        }
        out += chunk;
        n -= (size_t)chunk;
    }
    return 0;
#endif
}
