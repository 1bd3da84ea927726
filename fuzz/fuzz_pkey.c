/* fuzz_pkey.c - libFuzzer harness for csrc/pkey.c: the key loader (PEM and
 * DER through OpenSSL's decoders, sesstok's own OpenSSH public key parser),
 * JWK-component key construction, and verification with hostile signatures.
 * No Python.
 *
 * fuzz-sources: csrc/pkey.c csrc/jws.c csrc/codec.c
 * fuzz-libs: -lcrypto
 *
 * Checks, for every input (any crash, sanitizer report or failed check
 * aborts):
 *  - sesstok_pkey_load on the input as is, behind an "ssh-rsa " /
 *    "ssh-ed25519 " / "ecdsa-sha2-nistp256 " prefix (the SSH parser), and
 *    as a PEM body: either fails with a reason, or yields a key whose kind,
 *    size and curve are consistent; a loaded key verifies the input as a
 *    signature without crashing (and rejects it, unless by astronomical
 *    luck), and a private key signs and then verifies its own signature.
 *  - EC and Ed25519 keys from input slices as JWK coordinates: invalid
 *    points are refused, valid ones behave as above. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "pkey.h"

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static const EVP_MD *sha256;

static void
exercise(sesstok_pkey *k, const uint8_t *data, size_t size)
{
    const char *why = NULL;
    CHECK(k->pkey != NULL);
    CHECK(k->kind == SESSTOK_PKEY_RSA || k->kind == SESSTOK_PKEY_EC
          || k->kind == SESSTOK_PKEY_ED25519);
    if (k->kind == SESSTOK_PKEY_EC) {
        CHECK(k->coord_len == 32 || k->coord_len == 48 || k->coord_len == 66);
        CHECK(sesstok_curve_coord_len(k->curve) == k->coord_len);
    }
    if (k->kind == SESSTOK_PKEY_RSA) {
        CHECK(k->bits >= 2 && k->bits <= SESSTOK_RSA_MAX_BITS);
    }
    if (k->kind == SESSTOK_PKEY_RSA && k->bits > 4096) {
        return; /* big RSA operations would only slow the fuzzer down */
    }
    /* the input as a signature over itself */
    for (int pss = 0; pss < 2; pss++) {
        EVP_MD_CTX *ctx = sesstok_pkey_ctx(k, sha256, pss, 0);
        int rc = sesstok_pkey_verify(k, ctx, sha256, pss, data, size, data, size, &why);
        CHECK(rc == 0 || rc == 1 || rc == -1);
        ERR_clear_error();
    }
    if (k->is_private) {
        unsigned char sig[SESSTOK_RSA_MAX_BITS / 8 + SESSTOK_ECDSA_MAX_DER];
        size_t siglen = 0;
        CHECK(sesstok_pkey_sig_max(k) <= sizeof(sig));
        EVP_MD_CTX *ctx = sesstok_pkey_ctx(k, sha256, 0, 1);
        if (sesstok_pkey_sign(k, ctx, sha256, 0, data, size, sig, &siglen, &why) == 0) {
            CHECK(siglen <= sesstok_pkey_sig_max(k));
            ctx = sesstok_pkey_ctx(k, sha256, 0, 0);
            CHECK(sesstok_pkey_verify(k, ctx, sha256, 0, data, size, sig, siglen, &why) == 1);
        }
        ERR_clear_error();
    }
}

static void
try_load(const uint8_t *data, size_t size)
{
    sesstok_pkey k;
    const char *why = NULL;
    if (sesstok_pkey_load(&k, data, size, &why) == 0) {
        exercise(&k, data, size);
        sesstok_pkey_clear(&k);
    }
    else {
        CHECK(why != NULL);
        CHECK(k.pkey == NULL);
    }
    ERR_clear_error();
}

static void
with_prefix(const char *prefix, const char *suffix, const uint8_t *data, size_t size)
{
    size_t p = strlen(prefix), s = strlen(suffix);
    uint8_t *buf = malloc(p + size + s + 1);
    CHECK(buf != NULL);
    memcpy(buf, prefix, p);
    if (size) {
        memcpy(buf + p, data, size);
    }
    memcpy(buf + p + size, suffix, s);
    try_load(buf, p + size + s);
    free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (sha256 == NULL) {
        sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
        CHECK(sha256 != NULL);
    }
    if (size > 8192) {
        return 0;
    }
    try_load(data, size);
    with_prefix("ssh-rsa ", " comment\n", data, size);
    with_prefix("ssh-ed25519 ", "", data, size);
    with_prefix("ecdsa-sha2-nistp256 ", "", data, size);
    with_prefix("-----BEGIN PUBLIC KEY-----\n", "\n-----END PUBLIC KEY-----\n", data, size);

    /* JWK components from slices of the input */
    sesstok_pkey k;
    const char *why = NULL;
    static const sesstok_curve curves[3] = {SESSTOK_CURVE_P256, SESSTOK_CURVE_P384,
                                            SESSTOK_CURVE_P521};
    for (int c = 0; c < 3; c++) {
        size_t cl = sesstok_curve_coord_len(curves[c]);
        if (size >= 2 * cl) {
            const unsigned char *d = size >= 3 * cl ? data + 2 * cl : NULL;
            if (sesstok_pkey_from_ec(&k, curves[c], data, data + cl, cl, d, d ? cl : 0, &why) == 0) {
                exercise(&k, data, size);
                sesstok_pkey_clear(&k);
            }
            ERR_clear_error();
        }
    }
    if (size >= 32) {
        const unsigned char *d = size >= 64 ? data + 32 : NULL;
        if (sesstok_pkey_from_ed25519(&k, data, 32, d, d ? 32 : 0, &why) == 0) {
            exercise(&k, data, size);
            sesstok_pkey_clear(&k);
        }
        if (d != NULL && sesstok_pkey_from_ed25519(&k, NULL, 0, d, 32, &why) == 0) {
            CHECK(k.is_private);
            exercise(&k, data, size);
            sesstok_pkey_clear(&k);
        }
        ERR_clear_error();
    }
    return 0;
}
