/* pkey.c - asymmetric JWS keys on OpenSSL 3: load, check, sign, verify.
 * See pkey.h. No Python here.
 *
 * Keys are checked once, when loaded: the type must be RSA (2..16384-bit
 * modulus, odd public exponent >= 3), EC on P-256/P-384/P-521 (public point
 * validated) or Ed25519; private keys must match their public half
 * (EVP_PKEY_pairwise_check for EC and Ed25519; for RSA a sign-then-verify
 * test, as OpenSSL 3.0's RSA check would test the primes for primality,
 * which costs tens of milliseconds). */
#include "pkey.h"

#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

void
sesstok_pkey_init(sesstok_pkey *k)
{
    memset(k, 0, sizeof(*k));
}

void
sesstok_pkey_clear(sesstok_pkey *k)
{
    for (int i = 0; i < SESSTOK_PKEY_TEMPLATES; i++) {
        EVP_MD_CTX_free(k->tmpl[i]);
    }
    EVP_PKEY_free(k->pkey);
    sesstok_pkey_init(k);
}

/* ---- curves ------------------------------------------------------------- */

static const struct {
    sesstok_curve curve;
    const char *jwk;     /* JWK "crv" */
    const char *openssl; /* OpenSSL group name */
    const char *alias;   /* NIST / SSH spelling */
    int nid;
    size_t coord_len;
    int bits;
} curves[] = {
    {SESSTOK_CURVE_P256, "P-256", "prime256v1", "nistp256",
     NID_X9_62_prime256v1, 32, 256},
    {SESSTOK_CURVE_P384, "P-384", "secp384r1", "nistp384", NID_secp384r1, 48,
     384},
    {SESSTOK_CURVE_P521, "P-521", "secp521r1", "nistp521", NID_secp521r1, 66,
     521},
};
#define NCURVES (sizeof(curves) / sizeof(curves[0]))

static int
name_eq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b); /* b is one of our constants */
    return alen == blen && memcmp(a, b, alen) == 0;
}

sesstok_curve
sesstok_curve_from_name(const char *name, size_t len)
{
    for (size_t i = 0; i < NCURVES; i++) {
        if (name_eq(name, len, curves[i].jwk) ||
            name_eq(name, len, curves[i].openssl) ||
            name_eq(name, len, curves[i].alias) ||
            (curves[i].curve == SESSTOK_CURVE_P256 &&
             name_eq(name, len, "secp256r1"))) {
            return curves[i].curve;
        }
    }
    return SESSTOK_CURVE_NONE;
}

static int
curve_index(sesstok_curve c)
{
    for (size_t i = 0; i < NCURVES; i++) {
        if (curves[i].curve == c) {
            return (int)i;
        }
    }
    return -1;
}

const char *
sesstok_curve_name(sesstok_curve c)
{
    int i = curve_index(c);
    return i < 0 ? "unknown" : curves[i].jwk;
}

const char *
sesstok_curve_openssl_name(sesstok_curve c)
{
    static const char *const names[] = {"none", "secp256r1", "secp384r1",
                                        "secp521r1"};
    return (unsigned)c < 4 ? names[c] : "unknown";
}

size_t
sesstok_curve_coord_len(sesstok_curve c)
{
    int i = curve_index(c);
    return i < 0 ? 0 : curves[i].coord_len;
}

/* ---- checks ------------------------------------------------------------- */

/* Sign a fixed message with an RSA private key and verify it with the same
 * key's public half. Return 0 if they match. */
static int
rsa_pairwise_test(EVP_PKEY *pkey)
{
    static const unsigned char msg[] = "sesstok pairwise consistency test";
    unsigned char sig[SESSTOK_RSA_MAX_BITS / 8];
    size_t siglen = sizeof(sig);
    int ok = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx != NULL &&
        EVP_DigestSignInit_ex(ctx, NULL, "SHA2-256", NULL, NULL, pkey, NULL) ==
            1 &&
        EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg) - 1) == 1) {
        EVP_MD_CTX_free(ctx);
        ctx = EVP_MD_CTX_new();
        ok = ctx != NULL &&
             EVP_DigestVerifyInit_ex(ctx, NULL, "SHA2-256", NULL, NULL, pkey,
                                     NULL) == 1 &&
             EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg) - 1) == 1;
    }
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* An RSA key: modulus size and public exponent. */
static int
classify_rsa(sesstok_pkey *k, EVP_PKEY *pkey, const char **why)
{
    BIGNUM *e = NULL;
    int rc = -1;
    k->kind = SESSTOK_PKEY_RSA;
    k->bits = EVP_PKEY_get_bits(pkey);
    if (k->bits < 2 || k->bits > SESSTOK_RSA_MAX_BITS) {
        *why = "RSA modulus size out of range";
    }
    else if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
        *why = "RSA key without a public exponent";
    }
    else if (!BN_is_odd(e) || BN_is_one(e)) {
        *why = "RSA public exponent must be odd and at least 3";
    }
    else {
        rc = 0;
    }
    BN_free(e);
    return rc;
}

/* An EC key: one of the supported curves; k->order is its group order. */
static int
classify_ec(sesstok_pkey *k, EVP_PKEY *pkey, const char **why)
{
    char group[64];
    size_t glen = 0;
    k->kind = SESSTOK_PKEY_EC;
    if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen)) {
        *why = "EC key without a named curve";
        return -1;
    }
    k->curve = sesstok_curve_from_name(group, glen);
    int ci = curve_index(k->curve);
    if (ci < 0) {
        *why = "unsupported EC curve (P-256, P-384 and P-521 are supported)";
        return -1;
    }
    k->coord_len = curves[ci].coord_len;
    k->bits = curves[ci].bits;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(curves[ci].nid);
    if (g == NULL) {
        *why = "EC group setup failed";
        return -1;
    }
    int ok = BN_bn2binpad(EC_GROUP_get0_order(g), k->order,
                          (int)k->coord_len) == (int)k->coord_len;
    EC_GROUP_free(g);
    if (!ok) {
        *why = "EC group order";
        return -1;
    }
    return 0;
}

/* Set k's kind, size and curve from pkey. */
static int
classify(sesstok_pkey *k, EVP_PKEY *pkey, const char **why)
{
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
        return classify_rsa(k, pkey, why);
    case EVP_PKEY_EC:
        return classify_ec(k, pkey, why);
    case EVP_PKEY_ED25519:
        k->kind = SESSTOK_PKEY_ED25519;
        k->bits = 256;
        return 0;
    default:
        *why = "unsupported key type (RSA, EC and Ed25519 keys are supported)";
        return -1;
    }
}

/* A private key must match its public half; an EC public key must be a
 * point on its curve. */
static int
check_key(const sesstok_pkey *k, EVP_PKEY *pkey, int is_private,
          const char **why)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int rc = -1;
    if (ctx == NULL) {
        *why = "key check setup failed";
    }
    else if (is_private && k->kind == SESSTOK_PKEY_RSA) {
        /* OpenSSL 3.0's RSA keypair check tests p and q for primality (tens
         * of milliseconds, the cost PyJWT pays on every call); a pairwise
         * consistency test (sign, then verify with the public half) catches
         * a mismatched key for the cost of one signature. */
        rc = rsa_pairwise_test(pkey);
    }
    else if (is_private) {
        rc = EVP_PKEY_pairwise_check(ctx) == 1 ? 0 : -1;
    }
    else if (k->kind == SESSTOK_PKEY_EC && EVP_PKEY_public_check(ctx) != 1) {
        *why = "invalid EC public key (point not on the curve)";
    }
    else {
        rc = 0;
    }
    if (rc < 0 && ctx != NULL && is_private) {
        *why = "private key does not match its public key";
    }
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* Classify a freshly loaded key and check it. On success k->pkey is set
 * (pkey is owned by k); on failure pkey is freed. */
static int
finish(sesstok_pkey *k, EVP_PKEY *pkey, int is_private, const char **why)
{
    sesstok_pkey_init(k);
    if (classify(k, pkey, why) < 0 ||
        check_key(k, pkey, is_private, why) < 0) {
        EVP_PKEY_free(pkey);
        k->kind = SESSTOK_PKEY_NONE;
        return -1;
    }
    k->is_private = is_private;
    k->pkey = pkey;
    return 0;
}

/* ---- PEM and DER -------------------------------------------------------- */

/* Never prompt for a passphrase: encrypted keys are refused. */
static int
no_passphrase(char *buf, size_t size, size_t *len, const OSSL_PARAM params[],
              void *arg)
{
    return 0;
}

/* Decode data as `input` ("PEM" or "DER") with `selection`; NULL if it does
 * not hold such a key. For DER nothing may follow the key. */
static EVP_PKEY *
decode(const char *input, const unsigned char *data, size_t n, int selection)
{
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(
        &pkey, input, NULL, NULL, selection, NULL, NULL);
    if (dctx == NULL) {
        return NULL;
    }
    OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, NULL);
    const unsigned char *p = data;
    size_t left = n;
    if (!OSSL_DECODER_from_data(dctx, &p, &left) ||
        (input[0] == 'D' && left != 0)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(dctx);
    return pkey;
}

/* try: 1 private only, 2 public only, 3 private then public */
static int
load_encoded(sesstok_pkey *k, const char *input, const unsigned char *data,
             size_t n, int try, const char **why)
{
    EVP_PKEY *pkey =
        (try & 1) ? decode(input, data, n, EVP_PKEY_KEYPAIR) : NULL;
    int is_private = pkey != NULL;
    if (pkey == NULL && (try & 2)) {
        pkey = decode(input, data, n, EVP_PKEY_PUBLIC_KEY);
    }
    if (pkey == NULL) {
        *why = input[0] == 'P' ? "Could not parse the provided key (PEM)"
                               : "Could not parse the provided key";
        return -1;
    }
    ERR_clear_error(); /* the failed attempts leave errors behind */
    return finish(k, pkey, is_private, why);
}

int
sesstok_pkey_is_der_certificate(const unsigned char *data, size_t n)
{
    const unsigned char *p = data;
    if (n == 0 || n > 1 << 20) {
        return 0;
    }
    X509 *cert = d2i_X509(NULL, &p, (long)n);
    int is_cert = cert != NULL && p == data + n;
    X509_free(cert);
    ERR_clear_error();
    return is_cert;
}

/* ---- OpenSSH public keys ------------------------------------------------ */

static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

/* Standard base64 with padding; out holds n / 4 * 3 bytes. Return the length
 * or -1. */
static long
b64_std_decode(const unsigned char *in, size_t n, unsigned char *out)
{
    if (n == 0 || n % 4 != 0) {
        return -1;
    }
    size_t pad = 0;
    if (in[n - 1] == '=') {
        pad = in[n - 2] == '=' ? 2 : 1;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            if (i + (size_t)j >= n - pad) {
                v[j] = 0;
            }
            else if ((v[j] = b64_value(in[i + (size_t)j])) < 0) {
                return -1;
            }
        }
        unsigned long w = ((unsigned long)v[0] << 18) |
                          ((unsigned long)v[1] << 12) |
                          ((unsigned long)v[2] << 6) | (unsigned long)v[3];
        out[o++] = (unsigned char)(w >> 16);
        out[o++] = (unsigned char)(w >> 8);
        out[o++] = (unsigned char)w;
    }
    return (long)(o - pad);
}

/* The SSH wire format: uint32 length + bytes. */
typedef struct {
    const unsigned char *p;
    size_t n;
} ssh_reader;

static int
ssh_string(ssh_reader *r, const unsigned char **s, size_t *len)
{
    if (r->n < 4) {
        return -1;
    }
    size_t l = ((size_t)r->p[0] << 24) | ((size_t)r->p[1] << 16) |
               ((size_t)r->p[2] << 8) | r->p[3];
    if (r->n - 4 < l) {
        return -1;
    }
    *s = r->p + 4;
    *len = l;
    r->p += 4 + l;
    r->n -= 4 + l;
    return 0;
}

/* An SSH mpint that must be positive: strip the sign byte. */
static int
ssh_mpint(ssh_reader *r, const unsigned char **s, size_t *len)
{
    if (ssh_string(r, s, len) < 0 || *len == 0 || ((*s)[0] & 0x80)) {
        return -1;
    }
    while (*len > 0 && (*s)[0] == 0) {
        (*s)++;
        (*len)--;
    }
    return *len > 0 ? 0 : -1;
}

/* The body of an "ssh-rsa" key: e, n. */
static int
ssh_rsa(sesstok_pkey *k, ssh_reader *r, const char **why)
{
    const unsigned char *e, *n;
    size_t elen, nlen;
    if (ssh_mpint(r, &e, &elen) < 0 || ssh_mpint(r, &n, &nlen) < 0 ||
        r->n != 0) {
        return -1;
    }
    sesstok_bytes m[SESSTOK_RSA_MEMBERS] = {{n, nlen}, {e, elen}};
    return sesstok_pkey_from_rsa(k, m, why);
}

/* The body of an "ssh-ed25519" key: the 32-byte public key. */
static int
ssh_ed25519(sesstok_pkey *k, ssh_reader *r, const char **why)
{
    const unsigned char *x;
    size_t xlen;
    if (ssh_string(r, &x, &xlen) < 0 || xlen != 32 || r->n != 0) {
        return -1;
    }
    return sesstok_pkey_from_ed25519(k, x, xlen, NULL, 0, why);
}

/* The body of an "ecdsa-sha2-<alias>" key: the curve name, which must match
 * the alias, and the uncompressed point. */
static int
ssh_ecdsa(sesstok_pkey *k, ssh_reader *r, const char *alias, size_t alias_len,
          const char **why)
{
    const unsigned char *name, *q;
    size_t name_len, qlen;
    if (ssh_string(r, &name, &name_len) < 0 || ssh_string(r, &q, &qlen) < 0 ||
        r->n != 0) {
        return -1;
    }
    sesstok_curve curve =
        sesstok_curve_from_name((const char *)name, name_len);
    size_t cl = sesstok_curve_coord_len(curve);
    if (curve == SESSTOK_CURVE_NONE ||
        !name_eq(alias, alias_len, curves[curve_index(curve)].alias) ||
        qlen != 1 + 2 * cl || q[0] != 0x04) {
        return -1;
    }
    return sesstok_pkey_from_ec(k, curve, q + 1, q + 1 + cl, cl, NULL, 0, why);
}

/* The key in an OpenSSH blob whose type name (data[0:t], checked to be the
 * blob's first string) says how to read the rest. */
static int
ssh_blob(sesstok_pkey *k, const unsigned char *type, size_t t, ssh_reader *r,
         const char **why)
{
    const unsigned char *name;
    size_t name_len;
    if (ssh_string(r, &name, &name_len) < 0 || name_len != t ||
        memcmp(name, type, t) != 0) {
        return -1;
    }
    if (name_eq((const char *)type, t, "ssh-rsa")) {
        return ssh_rsa(k, r, why);
    }
    if (name_eq((const char *)type, t, "ssh-ed25519")) {
        return ssh_ed25519(k, r, why);
    }
    if (t > 11 && memcmp(type, "ecdsa-sha2-", 11) == 0) {
        return ssh_ecdsa(k, r, (const char *)type + 11, t - 11, why);
    }
    *why = "unsupported OpenSSH key type";
    return -1;
}

static int
load_ssh(sesstok_pkey *k, const unsigned char *data, size_t n,
         const char **why)
{
    size_t t = 0;
    while (t < n && data[t] != ' ') {
        t++;
    }
    size_t b = t + 1, e;
    *why = "Could not parse the provided OpenSSH public key";
    if (b >= n) {
        return -1;
    }
    e = b;
    while (e < n && data[e] != ' ' && data[e] != '\n' && data[e] != '\r') {
        e++;
    }
    unsigned char *blob = OPENSSL_malloc((e - b) / 4 * 3 + 3);
    if (blob == NULL) {
        *why = "out of memory";
        return -1;
    }
    long blen = b64_std_decode(data + b, e - b, blob);
    ssh_reader r = {blob, blen > 0 ? (size_t)blen : 0};
    int rc = blen > 0 ? ssh_blob(k, data, t, &r, why) : -1;
    OPENSSL_free(blob);
    return rc;
}

/* ---- entry point -------------------------------------------------------- */

static int
has_prefix(const unsigned char *data, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);
    return n >= m && memcmp(data, prefix, m) == 0;
}

static int
contains(const unsigned char *data, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        if (data[i] == (unsigned char)needle[0] &&
            memcmp(data + i, needle, m) == 0) {
            return 1;
        }
    }
    return 0;
}

int
sesstok_pkey_load(sesstok_pkey *k, const unsigned char *data, size_t n,
                  const char **why)
{
    sesstok_pkey_init(k);
    if (n == 0 || n > 1 << 20) {
        *why = "key data is empty or too large";
        return -1;
    }
    if (has_prefix(data, n, "ssh-") || has_prefix(data, n, "ecdsa-sha2-")) {
        return load_ssh(k, data, n, why);
    }
    if (contains(data, n, "-----BEGIN")) {
        /* a decoder set up per attempt is the expensive part: go by the
         * label */
        int try = contains(data, n, "PRIVATE KEY-----")  ? 1
                  : contains(data, n, "PUBLIC KEY-----") ? 2
                                                         : 3;
        return load_encoded(k, "PEM", data, n, try, why);
    }
    if (data[0] != 0x30) {
        /* every DER key structure is a SEQUENCE: skip the decoders (this is
         * the common case of an HMAC secret being checked) */
        *why = "Could not parse the provided key";
        return -1;
    }
    return load_encoded(k, "DER", data, n, 3, why);
}

/* ---- from components ---------------------------------------------------- */

static int
from_params(sesstok_pkey *k, const char *type, OSSL_PARAM_BLD *bld,
            int is_private, const char **why)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;
    int ok =
        params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pkey,
                          is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params) == 1;
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        EVP_PKEY_free(pkey);
        *why = "invalid key parameters";
        return -1;
    }
    return finish(k, pkey, is_private, why);
}

/* Push a big-endian unsigned integer; BIGNUMs are collected for freeing. */
static int
push_bn(OSSL_PARAM_BLD *bld, const char *name, const unsigned char *b,
        size_t len, BIGNUM **keep)
{
    if (len > SESSTOK_RSA_MAX_BITS / 8 + 1) {
        return 0;
    }
    *keep = BN_bin2bn(b, (int)len, NULL);
    return *keep != NULL && OSSL_PARAM_BLD_push_BN(bld, name, *keep);
}

/* The OSSL_PARAM names of the SESSTOK_RSA_* members. */
static const char *const rsa_params[SESSTOK_RSA_MEMBERS] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

int
sesstok_pkey_from_rsa(sesstok_pkey *k,
                      const sesstok_bytes m[SESSTOK_RSA_MEMBERS],
                      const char **why)
{
    BIGNUM *bns[SESSTOK_RSA_MEMBERS] = {NULL};
    int rc = -1, ok = 1;
    sesstok_pkey_init(k);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        *why = "out of memory";
        return -1;
    }
    /* n and e always; d when given; the CRT members when p is given */
    int last =
        m[SESSTOK_RSA_P].p != NULL ? SESSTOK_RSA_MEMBERS : SESSTOK_RSA_P;
    for (int i = 0; ok && i < last; i++) {
        if (i != SESSTOK_RSA_D || m[i].p != NULL) {
            ok = push_bn(bld, rsa_params[i], m[i].p, m[i].n, &bns[i]);
        }
    }
    if (!ok) {
        *why = "invalid RSA key parameters";
    }
    else {
        rc = from_params(k, "RSA", bld, m[SESSTOK_RSA_D].p != NULL, why);
    }
    OSSL_PARAM_BLD_free(bld);
    for (int i = 0; i < SESSTOK_RSA_MEMBERS; i++) {
        BN_clear_free(bns[i]);
    }
    return rc;
}

int
sesstok_pkey_from_ec(sesstok_pkey *k, sesstok_curve curve,
                     const unsigned char *x, const unsigned char *y,
                     size_t coord_len, const unsigned char *d, size_t dlen,
                     const char **why)
{
    unsigned char point[1 + 2 * SESSTOK_ECDSA_MAX_COORD];
    BIGNUM *priv = NULL;
    int rc = -1;
    sesstok_pkey_init(k);
    int ci = curve_index(curve);
    if (ci < 0 || coord_len != curves[ci].coord_len ||
        (d != NULL && dlen != coord_len)) {
        *why = "EC coordinates do not match the curve";
        return -1;
    }
    point[0] = 0x04;
    memcpy(point + 1, x, coord_len);
    memcpy(point + 1 + coord_len, y, coord_len);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        *why = "out of memory";
        return -1;
    }
    int ok = OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                             curves[ci].openssl, 0) &&
             OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                              point, 1 + 2 * coord_len) &&
             (d == NULL ||
              ((priv = BN_bin2bn(d, (int)dlen, NULL)) != NULL &&
               OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)));
    if (!ok) {
        *why = "invalid EC key parameters";
    }
    else {
        rc = from_params(k, "EC", bld, d != NULL, why);
        if (rc < 0 && d == NULL) {
            *why = "invalid EC public key (point not on the curve)";
        }
    }
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(priv);
    return rc;
}

int
sesstok_pkey_from_ed25519(sesstok_pkey *k, const unsigned char *x, size_t xlen,
                          const unsigned char *d, size_t dlen,
                          const char **why)
{
    EVP_PKEY *pkey;
    sesstok_pkey_init(k);
    if ((x != NULL && xlen != 32) || (d != NULL && dlen != 32) ||
        (x == NULL && d == NULL)) {
        *why = "Ed25519 keys are 32 bytes";
        return -1;
    }
    if (d != NULL) {
        pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, 32);
        if (pkey != NULL && x != NULL) {
            unsigned char pub[32];
            size_t publen = sizeof(pub);
            if (!EVP_PKEY_get_raw_public_key(pkey, pub, &publen) ||
                publen != 32 || memcmp(pub, x, 32) != 0) {
                EVP_PKEY_free(pkey);
                *why = "Public key does not match private key";
                return -1;
            }
        }
    }
    else {
        pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
    }
    if (pkey == NULL) {
        *why = "invalid Ed25519 key";
        return -1;
    }
    return finish(k, pkey, d != NULL, why);
}

/* ---- sign and verify ---------------------------------------------------- */

size_t
sesstok_pkey_sig_max(const sesstok_pkey *k)
{
    switch (k->kind) {
    case SESSTOK_PKEY_RSA:
        return (size_t)(k->bits + 7) / 8;
    case SESSTOK_PKEY_EC:
        return SESSTOK_ECDSA_MAX_DER > 2 * k->coord_len ? SESSTOK_ECDSA_MAX_DER
                                                        : 2 * k->coord_len;
    case SESSTOK_PKEY_ED25519:
        return 64;
    default:
        return 0;
    }
}

/* Set up ctx for a digest signature or verification with k. */
static int
digest_init(EVP_MD_CTX *ctx, const sesstok_pkey *k, const EVP_MD *md, int pss,
            int sign)
{
    EVP_PKEY_CTX *pctx = NULL;
    if (k->kind == SESSTOK_PKEY_ED25519) {
        md = NULL; /* EdDSA hashes internally */
        pss = 0;
    }
    int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, k->pkey)
                  : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k->pkey);
    if (ok != 1) {
        return -1;
    }
    if (k->kind == SESSTOK_PKEY_RSA) {
        /* mirrors PyJWT's RSAPSSAlgorithm: MGF1(hash), salt length = digest
         * size, for signing and (exactly) for verification */
        if (pss) {
            if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <=
                    0 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(
                    pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
                EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0) {
                return -1;
            }
        }
        else if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
            return -1;
        }
    }
    return 0;
}

static int verify_with(const sesstok_pkey *k, EVP_MD_CTX *ctx,
                       const EVP_MD *md, int pss, const unsigned char *msg,
                       size_t n, const unsigned char *sig, size_t siglen,
                       const char **why);

/* A fresh context set up the slow way (or NULL). */
static EVP_MD_CTX *
new_ctx(const sesstok_pkey *k, const EVP_MD *md, int pss, int sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx != NULL && digest_init(ctx, k, md, pss, sign) < 0) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

EVP_MD_CTX *
sesstok_pkey_ctx(sesstok_pkey *k, const EVP_MD *md, int pss, int sign)
{
    int ds = k->kind == SESSTOK_PKEY_ED25519 ? 32 : EVP_MD_get_size(md);
    int mdi = ds == 32 ? 0 : ds == 48 ? 1 : ds == 64 ? 2 : -1;
    if (mdi < 0) {
        return new_ctx(k, md, pss, sign);
    }
    int slot = (sign ? 6 : 0) + mdi * 2 + (pss && k->kind == SESSTOK_PKEY_RSA);
    if (k->tmpl_state[slot] == 0) {
        k->tmpl[slot] = new_ctx(k, md, pss, sign);
        k->tmpl_state[slot] = k->tmpl[slot] != NULL ? 1 : -1;
    }
    if (k->tmpl_state[slot] < 0) {
        return new_ctx(k, md, pss, sign);
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return NULL;
    }
    if (!EVP_MD_CTX_copy_ex(ctx, k->tmpl[slot])) {
        /* this OpenSSL cannot copy such a context: set up afresh from now
         * on */
        ERR_clear_error();
        EVP_MD_CTX_free(ctx);
        EVP_MD_CTX_free(k->tmpl[slot]);
        k->tmpl[slot] = NULL;
        k->tmpl_state[slot] = -1;
        return new_ctx(k, md, pss, sign);
    }
    return ctx;
}

int
sesstok_pkey_sign(const sesstok_pkey *k, EVP_MD_CTX *ctx, const EVP_MD *md,
                  int pss, const unsigned char *msg, size_t n,
                  unsigned char *sig, size_t *siglen, const char **why)
{
    unsigned char der[SESSTOK_ECDSA_MAX_DER + 16];
    int rc = -1;
    if (!k->is_private) {
        EVP_MD_CTX_free(ctx);
        *why = "signing needs a private key";
        return -1;
    }
    *why = "signing failed";
    if (ctx == NULL && (ctx = new_ctx(k, md, pss, 1)) == NULL) {
        return -1;
    }
    if (k->kind == SESSTOK_PKEY_EC) {
        size_t dlen = sizeof(der);
        if (EVP_DigestSign(ctx, der, &dlen, msg, n) != 1 ||
            sesstok_ecdsa_der_to_raw(der, dlen, k->coord_len, sig) < 0) {
            goto done;
        }
        *siglen = 2 * k->coord_len;
    }
    else {
        size_t len = sesstok_pkey_sig_max(k);
        if (EVP_DigestSign(ctx, sig, &len, msg, n) != 1) {
            goto done;
        }
        *siglen = len;
    }
    rc = 0;
done:
    EVP_MD_CTX_free(ctx);
    return rc;
}

int
sesstok_pkey_verify(const sesstok_pkey *k, EVP_MD_CTX *ctx, const EVP_MD *md,
                    int pss, const unsigned char *msg, size_t n,
                    const unsigned char *sig, size_t siglen, const char **why)
{
    int rc = verify_with(k, ctx, md, pss, msg, n, sig, siglen, why);
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int
verify_with(const sesstok_pkey *k, EVP_MD_CTX *ctx, const EVP_MD *md, int pss,
            const unsigned char *msg, size_t n, const unsigned char *sig,
            size_t siglen, const char **why)
{
    unsigned char der[SESSTOK_ECDSA_MAX_DER];
    const unsigned char *s = sig;
    size_t slen = siglen;
    if (k->kind == SESSTOK_PKEY_EC) {
        if (!sesstok_ecdsa_raw_check(sig, siglen, k->order, k->coord_len)) {
            return 0;
        }
        slen = sesstok_ecdsa_raw_to_der(sig, k->coord_len, der);
        s = der;
    }
    else if (k->kind == SESSTOK_PKEY_RSA) {
        if (siglen != (size_t)(k->bits + 7) / 8) {
            return 0;
        }
    }
    else if (k->kind == SESSTOK_PKEY_ED25519) {
        if (siglen != 64) {
            return 0;
        }
    }
    EVP_MD_CTX *own = NULL;
    if (ctx == NULL && (ctx = own = new_ctx(k, md, pss, 0)) == NULL) {
        *why = "verification setup failed";
        return -1;
    }
    int rc = EVP_DigestVerify(ctx, s, slen, msg, n) == 1;
    if (!rc) {
        ERR_clear_error();
    }
    EVP_MD_CTX_free(own);
    return rc;
}

/* ---- export ------------------------------------------------------------- */

static int
bn_bytes(const BIGNUM *bn, unsigned char **out, size_t *len)
{
    int l = BN_num_bytes(bn);
    *out = OPENSSL_malloc(l > 0 ? (size_t)l : 1);
    if (*out == NULL) {
        return -1;
    }
    *len = (size_t)BN_bn2bin(bn, *out);
    return 0;
}

int
sesstok_pkey_rsa_public(const sesstok_pkey *k, unsigned char **n, size_t *nlen,
                        unsigned char **e, size_t *elen)
{
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    int rc = -1;
    *n = *e = NULL;
    if (k->kind == SESSTOK_PKEY_RSA &&
        EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &bn_n) &&
        EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &bn_e) &&
        bn_bytes(bn_n, n, nlen) == 0 && bn_bytes(bn_e, e, elen) == 0) {
        rc = 0;
    }
    else {
        OPENSSL_free(*n);
        *n = NULL;
    }
    BN_free(bn_n);
    BN_free(bn_e);
    return rc;
}

int
sesstok_pkey_public_der(const sesstok_pkey *k, unsigned char **der,
                        size_t *len)
{
    *der = NULL;
    int l = i2d_PUBKEY(k->pkey, der);
    if (l <= 0) {
        return -1;
    }
    *len = (size_t)l;
    return 0;
}
