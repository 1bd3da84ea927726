/* bench_asym.c - Ed25519 and ES256 sign/verify per C crypto library.
 *
 *     bench_asym [ED25519_VECTORS]     (built and run by run.sh)
 *
 * Every backend holds a prepared key (parsed once, as sesstok does) and signs
 * and verifies a 200-byte JWS signing input; ES256 includes the SHA-256 of
 * the message, Ed25519 hashes inside the algorithm. Before timing, each
 * backend's signature must verify (its own, and a tampered one must not);
 * Ed25519 backends share one seed, so their signatures must all be equal
 * (Ed25519 is deterministic; a difference is reported as MISMATCH). With a vector file (made from Wycheproof by
 * run.sh: one "pk msg sig valid|invalid" line of hex per test), each
 * Ed25519 verifier must give the expected result on every test.
 *
 * Prints one line per backend and operation: "alg backend op us_per_op",
 * the median of 7 rounds of thread CPU time; with BENCH_ITERS=N set, runs
 * each operation (or only BENCH_OP, "sign" or "verify") exactly N times
 * instead and prints nothing (for callgrind). BENCH_ONLY=alg/backend limits
 * the runs to one backend (the checks still run for all).
 * Backends are compiled in with -DHAVE_<NAME> (run.sh checks what is
 * installed). */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#ifdef HAVE_SODIUM
#include <sodium.h>
#endif
#ifdef HAVE_NETTLE
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/eddsa.h>
#include <nettle/sha2.h>
#endif
#ifdef HAVE_GCRYPT
#include <gcrypt.h>
#endif
#ifdef HAVE_WOLFSSL
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>
#endif
#ifdef HAVE_MBEDTLS
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>
#endif
#ifdef HAVE_DECAF
#include <decaf/ed255.h>
#endif

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

#define MSG_LEN 200
#define SIG_MAX 160
static unsigned char msg[MSG_LEN];
static const unsigned char seed[32] = "sesstok asym benchmark seed 0001";

/* One backend for one algorithm. sign() writes the signature and returns its
 * length (0 on failure); verify() returns 1 if sig is valid for m. vverify()
 * verifies with a raw Ed25519 public key (the Wycheproof tests). */
typedef struct {
    const char *alg, *name;
    void (*setup)(void);
    size_t (*sign)(const unsigned char *m, size_t n, unsigned char *sig);
    int (*verify)(const unsigned char *m, size_t n, const unsigned char *sig,
                  size_t siglen);
    int (*vverify)(const unsigned char pk[32], const unsigned char *m,
                   size_t n, const unsigned char sig[64]);
} backend;

/* ---- OpenSSL (the system libcrypto: what sesstok uses) ---------------- */

static EVP_PKEY *ossl_ed_priv, *ossl_ed_pub, *ossl_ec;
static unsigned char ed_pk[32]; /* the public key of seed, from OpenSSL */

static void
ossl_ed_setup(void)
{
    size_t len = 32;
    ossl_ed_priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    CHECK(ossl_ed_priv && EVP_PKEY_get_raw_public_key(ossl_ed_priv, ed_pk, &len));
    ossl_ed_pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, ed_pk, 32);
    CHECK(ossl_ed_pub);
}

/* a fresh EVP_MD_CTX per call (sesstok copies a prepared one where OpenSSL
 * allows it; bench_jwt.py's floor group shows it at the raw OpenSSL cost) */
static size_t
ossl_sign(EVP_PKEY *key, const char *md, const unsigned char *m, size_t n,
          unsigned char *sig)
{
    size_t len = SIG_MAX;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL) == 1
             && EVP_DigestSign(ctx, sig, &len, m, n) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? len : 0;
}

static int
ossl_verify(EVP_PKEY *key, const char *md, const unsigned char *m, size_t n,
            const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, key, NULL) == 1
             && EVP_DigestVerify(ctx, sig, siglen, m, n) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

static size_t
ossl_ed_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    return ossl_sign(ossl_ed_priv, NULL, m, n, sig);
}

static int
ossl_ed_verify(const unsigned char *m, size_t n, const unsigned char *sig,
               size_t siglen)
{
    return ossl_verify(ossl_ed_pub, NULL, m, n, sig, siglen);
}

static int
ossl_ed_vverify(const unsigned char pk[32], const unsigned char *m, size_t n,
                const unsigned char sig[64])
{
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
    int ok = key != NULL && ossl_verify(key, NULL, m, n, sig, 64);
    EVP_PKEY_free(key);
    return ok;
}

static void
ossl_ec_setup(void)
{
    ossl_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CHECK(ossl_ec);
}

static size_t
ossl_ec_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    return ossl_sign(ossl_ec, "SHA2-256", m, n, sig);
}

static int
ossl_ec_verify(const unsigned char *m, size_t n, const unsigned char *sig,
               size_t siglen)
{
    return ossl_verify(ossl_ec, "SHA2-256", m, n, sig, siglen);
}

/* ---- libsodium ------------------------------------------------------------ */
#ifdef HAVE_SODIUM
static unsigned char na_pk[crypto_sign_PUBLICKEYBYTES], na_sk[crypto_sign_SECRETKEYBYTES];

static void
sodium_ed_setup(void)
{
    CHECK(sodium_init() >= 0);
    CHECK(crypto_sign_seed_keypair(na_pk, na_sk, seed) == 0);
}

static size_t
sodium_ed_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    return crypto_sign_detached(sig, NULL, m, n, na_sk) == 0 ? 64 : 0;
}

static int
sodium_ed_verify(const unsigned char *m, size_t n, const unsigned char *sig,
                 size_t siglen)
{
    return siglen == 64 && crypto_sign_verify_detached(sig, m, n, na_pk) == 0;
}

static int
sodium_ed_vverify(const unsigned char pk[32], const unsigned char *m, size_t n,
                  const unsigned char sig[64])
{
    return crypto_sign_verify_detached(sig, m, n, pk) == 0;
}
#endif

/* ---- nettle (GnuTLS's crypto) ---------------------------------------------- */
#ifdef HAVE_NETTLE
static uint8_t ne_pub[ED25519_KEY_SIZE];
static struct ecc_point ne_ec_pub;
static struct ecc_scalar ne_ec_key;

static void
urandom(void *ctx, size_t n, uint8_t *out)
{
    CHECK(RAND_bytes(out, (int)n) == 1);
}

static void
nettle_ed_setup(void)
{
    ed25519_sha512_public_key(ne_pub, seed);
}

static size_t
nettle_ed_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    ed25519_sha512_sign(ne_pub, seed, n, m, sig);
    return 64;
}

static int
nettle_ed_verify(const unsigned char *m, size_t n, const unsigned char *sig,
                 size_t siglen)
{
    return siglen == 64 && ed25519_sha512_verify(ne_pub, n, m, sig);
}

static int
nettle_ed_vverify(const unsigned char pk[32], const unsigned char *m, size_t n,
                  const unsigned char sig[64])
{
    return ed25519_sha512_verify(pk, n, m, sig);
}

static void
nettle_ec_setup(void)
{
    ecc_point_init(&ne_ec_pub, nettle_get_secp_256r1());
    ecc_scalar_init(&ne_ec_key, nettle_get_secp_256r1());
    ecdsa_generate_keypair(&ne_ec_pub, &ne_ec_key, NULL, urandom);
}

/* the signature as r || s, 32 bytes each */
static size_t
nettle_ec_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    uint8_t digest[32];
    struct sha256_ctx h;
    struct dsa_signature s;
    sha256_init(&h);
    sha256_update(&h, n, m);
    sha256_digest(&h, 32, digest);
    dsa_signature_init(&s);
    ecdsa_sign(&ne_ec_key, NULL, urandom, 32, digest, &s);
    memset(sig, 0, 64);
    mpz_export(sig + 32 - (mpz_sizeinbase(s.r, 2) + 7) / 8, NULL, 1, 1, 1, 0, s.r);
    mpz_export(sig + 64 - (mpz_sizeinbase(s.s, 2) + 7) / 8, NULL, 1, 1, 1, 0, s.s);
    dsa_signature_clear(&s);
    return 64;
}

static int
nettle_ec_verify(const unsigned char *m, size_t n, const unsigned char *sig,
                 size_t siglen)
{
    uint8_t digest[32];
    struct sha256_ctx h;
    struct dsa_signature s;
    if (siglen != 64) {
        return 0;
    }
    sha256_init(&h);
    sha256_update(&h, n, m);
    sha256_digest(&h, 32, digest);
    dsa_signature_init(&s);
    mpz_import(s.r, 32, 1, 1, 1, 0, sig);
    mpz_import(s.s, 32, 1, 1, 1, 0, sig + 32);
    int ok = ecdsa_verify(&ne_ec_pub, 32, digest, &s);
    dsa_signature_clear(&s);
    return ok;
}
#endif

/* ---- libgcrypt (GnuPG's crypto) --------------------------------------------- */
#ifdef HAVE_GCRYPT
static gcry_sexp_t gc_ed_priv, gc_ed_pub, gc_ec_priv, gc_ec_pub;

static void
gcrypt_ed_setup(void)
{
    CHECK(gcry_check_version(NULL));
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    CHECK(gcry_sexp_build(&gc_ed_priv, NULL,
                          "(private-key(ecc(curve Ed25519)(flags eddsa)(q %b)(d %b)))",
                          32, ed_pk, 32, seed) == 0);
    CHECK(gcry_sexp_build(&gc_ed_pub, NULL,
                          "(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))", 32, ed_pk) == 0);
}

/* copy the value of token name in sexp to out, left-padded to len bytes */
static int
gc_value(gcry_sexp_t sexp, const char *name, unsigned char *out, size_t len)
{
    gcry_sexp_t t = gcry_sexp_find_token(sexp, name, 0);
    size_t n = 0;
    const char *p = t ? gcry_sexp_nth_data(t, 1, &n) : NULL;
    int ok = p != NULL && n <= len;
    if (ok) {
        memset(out, 0, len - n);
        memcpy(out + len - n, p, n);
    }
    gcry_sexp_release(t);
    return ok;
}

static size_t
gc_sign(gcry_sexp_t key, const char *fmt, const unsigned char *m, size_t n,
        unsigned char *sig)
{
    gcry_sexp_t data = NULL, s = NULL;
    size_t out = 0;
    if (gcry_sexp_build(&data, NULL, fmt, (int)n, m) == 0 && gcry_pk_sign(&s, data, key) == 0
        && gc_value(s, "r", sig, 32) && gc_value(s, "s", sig + 32, 32)) {
        out = 64;
    }
    gcry_sexp_release(data);
    gcry_sexp_release(s);
    return out;
}

static int
gc_verify(gcry_sexp_t key, const char *fmt, const char *sigfmt,
          const unsigned char *m, size_t n, const unsigned char *sig)
{
    gcry_sexp_t data = NULL, s = NULL;
    int ok = gcry_sexp_build(&data, NULL, fmt, (int)n, m) == 0
             && gcry_sexp_build(&s, NULL, sigfmt, 32, sig, 32, sig + 32) == 0
             && gcry_pk_verify(s, data, key) == 0;
    gcry_sexp_release(data);
    gcry_sexp_release(s);
    return ok;
}

#define GC_ED_DATA "(data(flags eddsa)(hash-algo sha512)(value %b))"
#define GC_ED_SIG "(sig-val(eddsa(r %b)(s %b)))"

static size_t
gcrypt_ed_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    return gc_sign(gc_ed_priv, GC_ED_DATA, m, n, sig);
}

static int
gcrypt_ed_verify(const unsigned char *m, size_t n, const unsigned char *sig,
                 size_t siglen)
{
    return siglen == 64 && gc_verify(gc_ed_pub, GC_ED_DATA, GC_ED_SIG, m, n, sig);
}

static int
gcrypt_ed_vverify(const unsigned char pk[32], const unsigned char *m, size_t n,
                  const unsigned char sig[64])
{
    gcry_sexp_t key = NULL;
    int ok = gcry_sexp_build(&key, NULL, "(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))",
                             32, pk) == 0
             && gc_verify(key, GC_ED_DATA, GC_ED_SIG, m, n, sig);
    gcry_sexp_release(key);
    return ok;
}

static void
gcrypt_ec_setup(void)
{
    gcry_sexp_t params = NULL, pair = NULL;
    CHECK(gcry_check_version(NULL));
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    CHECK(gcry_sexp_build(&params, NULL, "(genkey(ecc(curve \"NIST P-256\")))") == 0);
    CHECK(gcry_pk_genkey(&pair, params) == 0);
    gc_ec_priv = gcry_sexp_find_token(pair, "private-key", 0);
    gc_ec_pub = gcry_sexp_find_token(pair, "public-key", 0);
    CHECK(gc_ec_priv && gc_ec_pub);
    gcry_sexp_release(params);
    gcry_sexp_release(pair);
}

/* the library hashes: "(hash sha256 ...)" wants the digest, so hash first */
static void
gc_sha256(const unsigned char *m, size_t n, unsigned char *d)
{
    gcry_md_hash_buffer(GCRY_MD_SHA256, d, m, n);
}

#define GC_EC_DATA "(data(flags raw)(hash sha256 %b))"
#define GC_EC_SIG "(sig-val(ecdsa(r %b)(s %b)))"

static size_t
gcrypt_ec_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    unsigned char d[32];
    gc_sha256(m, n, d);
    return gc_sign(gc_ec_priv, GC_EC_DATA, d, 32, sig);
}

static int
gcrypt_ec_verify(const unsigned char *m, size_t n, const unsigned char *sig,
                 size_t siglen)
{
    unsigned char d[32];
    gc_sha256(m, n, d);
    return siglen == 64 && gc_verify(gc_ec_pub, GC_EC_DATA, GC_EC_SIG, d, 32, sig);
}
#endif

/* ---- wolfSSL (wolfCrypt) --------------------------------------------------- */
#ifdef HAVE_WOLFSSL
static ed25519_key wo_ed;
static ecc_key wo_ec;
static WC_RNG wo_rng;

static void
wolf_ed_setup(void)
{
    unsigned char pub[32];
    CHECK(wc_ed25519_init(&wo_ed) == 0);
    CHECK(wc_ed25519_import_private_only(seed, 32, &wo_ed) == 0);
    CHECK(wc_ed25519_make_public(&wo_ed, pub, 32) == 0);
    CHECK(wc_ed25519_import_private_key(seed, 32, pub, 32, &wo_ed) == 0);
}

static size_t
wolf_ed_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    word32 len = 64;
    return wc_ed25519_sign_msg(m, (word32)n, sig, &len, &wo_ed) == 0 ? len : 0;
}

static int
wolf_ed_verify(const unsigned char *m, size_t n, const unsigned char *sig,
               size_t siglen)
{
    int res = 0;
    return wc_ed25519_verify_msg(sig, (word32)siglen, m, (word32)n, &res, &wo_ed) == 0 && res == 1;
}

static int
wolf_ed_vverify(const unsigned char pk[32], const unsigned char *m, size_t n,
                const unsigned char sig[64])
{
    ed25519_key key;
    int res = 0;
    int ok = wc_ed25519_init(&key) == 0 && wc_ed25519_import_public(pk, 32, &key) == 0
             && wc_ed25519_verify_msg(sig, 64, m, (word32)n, &res, &key) == 0 && res == 1;
    wc_ed25519_free(&key);
    return ok;
}

static void
wolf_ec_setup(void)
{
    CHECK(wc_InitRng(&wo_rng) == 0);
    CHECK(wc_ecc_init(&wo_ec) == 0);
    CHECK(wc_ecc_make_key_ex(&wo_rng, 32, &wo_ec, ECC_SECP256R1) == 0);
    CHECK(wc_ecc_set_rng(&wo_ec, &wo_rng) == 0); /* blinding (ECC_TIMING_RESISTANT) */
}

static size_t
wolf_ec_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    unsigned char d[32];
    word32 len = SIG_MAX;
    return wc_Sha256Hash(m, (word32)n, d) == 0
                   && wc_ecc_sign_hash(d, 32, sig, &len, &wo_rng, &wo_ec) == 0
               ? len
               : 0;
}

static int
wolf_ec_verify(const unsigned char *m, size_t n, const unsigned char *sig,
               size_t siglen)
{
    unsigned char d[32];
    int res = 0;
    return wc_Sha256Hash(m, (word32)n, d) == 0
           && wc_ecc_verify_hash(sig, (word32)siglen, d, 32, &res, &wo_ec) == 0 && res == 1;
}
#endif

/* ---- Mbed TLS 2.28 (no Ed25519) ------------------------------------------- */
#ifdef HAVE_MBEDTLS
static mbedtls_ecdsa_context mb_ec;
static mbedtls_ctr_drbg_context mb_drbg;
static mbedtls_entropy_context mb_entropy;

static void
mbed_ec_setup(void)
{
    mbedtls_entropy_init(&mb_entropy);
    mbedtls_ctr_drbg_init(&mb_drbg);
    CHECK(mbedtls_ctr_drbg_seed(&mb_drbg, mbedtls_entropy_func, &mb_entropy, NULL, 0) == 0);
    mbedtls_ecdsa_init(&mb_ec);
    CHECK(mbedtls_ecdsa_genkey(&mb_ec, MBEDTLS_ECP_DP_SECP256R1, mbedtls_ctr_drbg_random,
                               &mb_drbg) == 0);
}

static size_t
mbed_ec_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    unsigned char d[32];
    size_t len = 0;
    return mbedtls_sha256_ret(m, n, d, 0) == 0
                   && mbedtls_ecdsa_write_signature(&mb_ec, MBEDTLS_MD_SHA256, d, 32, sig, &len,
                                                    mbedtls_ctr_drbg_random, &mb_drbg) == 0
               ? len
               : 0;
}

static int
mbed_ec_verify(const unsigned char *m, size_t n, const unsigned char *sig,
               size_t siglen)
{
    unsigned char d[32];
    return mbedtls_sha256_ret(m, n, d, 0) == 0
           && mbedtls_ecdsa_read_signature(&mb_ec, d, 32, sig, siglen) == 0;
}
#endif

/* ---- libdecaf (ed448-goldilocks) ------------------------------------------ */
#ifdef HAVE_DECAF
static uint8_t de_pub[DECAF_EDDSA_25519_PUBLIC_BYTES];

static void
decaf_ed_setup(void)
{
    decaf_ed25519_derive_public_key(de_pub, seed);
}

static size_t
decaf_ed_sign(const unsigned char *m, size_t n, unsigned char *sig)
{
    decaf_ed25519_sign(sig, seed, de_pub, m, n, 0, NULL, 0);
    return 64;
}

static int
decaf_ed_verify(const unsigned char *m, size_t n, const unsigned char *sig,
                size_t siglen)
{
    return siglen == 64 && decaf_ed25519_verify(sig, de_pub, m, n, 0, NULL, 0) == DECAF_SUCCESS;
}

static int
decaf_ed_vverify(const unsigned char pk[32], const unsigned char *m, size_t n,
                 const unsigned char sig[64])
{
    return decaf_ed25519_verify(sig, pk, m, n, 0, NULL, 0) == DECAF_SUCCESS;
}
#endif

static const backend backends[] = {
    {"Ed25519", "openssl", ossl_ed_setup, ossl_ed_sign, ossl_ed_verify, ossl_ed_vverify},
#ifdef HAVE_SODIUM
    {"Ed25519", "libsodium", sodium_ed_setup, sodium_ed_sign, sodium_ed_verify, sodium_ed_vverify},
#endif
#ifdef HAVE_NETTLE
    {"Ed25519", "nettle", nettle_ed_setup, nettle_ed_sign, nettle_ed_verify, nettle_ed_vverify},
#endif
#ifdef HAVE_GCRYPT
    {"Ed25519", "libgcrypt", gcrypt_ed_setup, gcrypt_ed_sign, gcrypt_ed_verify, gcrypt_ed_vverify},
#endif
#ifdef HAVE_WOLFSSL
    {"Ed25519", "wolfssl", wolf_ed_setup, wolf_ed_sign, wolf_ed_verify, wolf_ed_vverify},
#endif
#ifdef HAVE_DECAF
    {"Ed25519", "libdecaf", decaf_ed_setup, decaf_ed_sign, decaf_ed_verify, decaf_ed_vverify},
#endif
    {"ES256", "openssl", ossl_ec_setup, ossl_ec_sign, ossl_ec_verify, NULL},
#ifdef HAVE_NETTLE
    {"ES256", "nettle", nettle_ec_setup, nettle_ec_sign, nettle_ec_verify, NULL},
#endif
#ifdef HAVE_GCRYPT
    {"ES256", "libgcrypt", gcrypt_ec_setup, gcrypt_ec_sign, gcrypt_ec_verify, NULL},
#endif
#ifdef HAVE_WOLFSSL
    {"ES256", "wolfssl", wolf_ec_setup, wolf_ec_sign, wolf_ec_verify, NULL},
#endif
#ifdef HAVE_MBEDTLS
    {"ES256", "mbedtls", mbed_ec_setup, mbed_ec_sign, mbed_ec_verify, NULL},
#endif
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

static double
now(void)
{
    struct timespec t;
    /* CPU time of this thread: on a shared machine, time spent waiting for a
     * core is not the library's */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* op 0: sign, 1: verify; run it iters times; return seconds */
static double
run(const backend *b, int op, long iters, const unsigned char *sig, size_t siglen)
{
    unsigned char out[SIG_MAX];
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        if (op == 0) {
            CHECK(b->sign(msg, MSG_LEN, out) > 0);
        }
        else {
            CHECK(b->verify(msg, MSG_LEN, sig, siglen));
        }
    }
    return now() - t0;
}

static int
hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static size_t
unhex(const char *h, unsigned char *out, size_t cap)
{
    size_t n = strlen(h) / 2;
    CHECK(n <= cap);
    for (size_t i = 0; i < n; i++) {
        out[i] = (unsigned char)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
    }
    return n;
}

/* Run every Ed25519 verifier on the Wycheproof tests; return failures. */
static int
wycheproof(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    static char pkh[256], mh[8192], sigh[512], res[16];
    int tests = 0, fails[NBACKENDS] = {0};
    while (fscanf(f, "%255s %8191s %511s %15s", pkh, mh, sigh, res) == 4) {
        unsigned char pk[32], m[4096], sig[128];
        size_t pkn = unhex(pkh, pk, sizeof pk);
        size_t mn = strcmp(mh, "-") == 0 ? 0 : unhex(mh, m, sizeof m);
        size_t sn = unhex(sigh, sig, sizeof sig);
        int want = strcmp(res, "valid") == 0;
        tests++;
        for (size_t k = 0; k < NBACKENDS; k++) {
            if (backends[k].vverify == NULL) {
                continue;
            }
            /* a wrong-length key or signature is refused before the library */
            int got = pkn == 32 && sn == 64 && backends[k].vverify(pk, m, mn, sig);
            if (got != want) {
                fails[k]++;
                fprintf(stderr, "wycheproof %s: test %d (%s) gave %s\n", backends[k].name,
                        tests, res, got ? "valid" : "invalid");
            }
        }
    }
    fclose(f);
    int total = 0;
    for (size_t k = 0; k < NBACKENDS; k++) {
        if (backends[k].vverify != NULL) {
            printf("wycheproof Ed25519 %s %d/%d\n", backends[k].name, tests - fails[k], tests);
            total += fails[k];
        }
    }
    CHECK(tests > 100);
    return total;
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t k = 0; k < NBACKENDS; k++) {
            printf("%s/%s\n", backends[k].alg, backends[k].name);
        }
        return 0;
    }
    const char *fixed = getenv("BENCH_ITERS");
    const char *only = getenv("BENCH_ONLY"); /* "alg/backend" */
    const char *bench_op = getenv("BENCH_OP");
    for (size_t i = 0; i < MSG_LEN; i++) {
        msg[i] = (unsigned char)("eyJhbGciOiJFZERTQSJ9."[i % 21]);
    }
    unsigned char first_ed[64];
    int have_first = 0, mismatches = 0;
    for (size_t k = 0; k < NBACKENDS; k++) {
        const backend *b = &backends[k];
        backends[k].setup();
        /* checks: own signature verifies, a tampered one does not, Ed25519
         * signatures equal across backends */
        unsigned char sig[SIG_MAX];
        size_t siglen = b->sign(msg, MSG_LEN, sig);
        CHECK(siglen > 0 && b->verify(msg, MSG_LEN, sig, siglen));
        sig[siglen / 2] ^= 1;
        CHECK(!b->verify(msg, MSG_LEN, sig, siglen));
        sig[siglen / 2] ^= 1;
        if (strcmp(b->alg, "Ed25519") == 0) {
            CHECK(siglen == 64);
            if (!have_first) {
                memcpy(first_ed, sig, 64);
                have_first = 1;
            }
            else if (memcmp(first_ed, sig, 64) != 0) {
                printf("MISMATCH Ed25519 %s: signature differs from %s's (RFC 8032: it must not)\n",
                       b->name, backends[0].name);
                mismatches++;
            }
        }
        char label[64];
        snprintf(label, sizeof label, "%s/%s", b->alg, b->name);
        if (only && strcmp(only, label) != 0) {
            continue;
        }
        for (int op = 0; op < 2; op++) {
            if (fixed) {
                if (!bench_op || strcmp(bench_op, op ? "verify" : "sign") == 0) {
                    run(b, op, atol(fixed), sig, siglen);
                }
                continue;
            }
            long iters = 1;
            while (run(b, op, iters, sig, siglen) < 0.02) {
                iters *= 2;
            }
            double t[7];
            for (int r = 0; r < 7; r++) {
                t[r] = run(b, op, iters, sig, siglen) / iters * 1e6;
            }
            qsort(t, 7, sizeof t[0], cmp_double);
            printf("%s %s %s %.2f\n", b->alg, b->name, op ? "verify" : "sign", t[3]);
            fflush(stdout);
        }
    }
    int failures = argc > 1 ? wycheproof(argv[1]) : 0;
    return failures || mismatches ? 1 : 0;
}
