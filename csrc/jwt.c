/* jwt.c - JWS compact serialization and JWT claims for sesstok.jwt: the
 * JwtKey type (prepared HMAC and asymmetric keys, cached by value), the
 * PyJWT/PyJWS method implementations (JwtApi, JwsApi: sesstok.jwt.PyJWT and
 * PyJWS subclass them), and the prepared Encoder/Decoder types.
 *
 * Contract (DESIGN.md, contract 2): encode output is byte-identical to the
 * installed PyJWT's; decode accepts what PyJWT accepts except where sesstok
 * is documented to be stricter (docs/jwt.md), and raises the exception
 * classes of sesstok.exceptions (PyJWT's names and hierarchy) with PyJWT's
 * messages where PyJWT has one. The methods mirror jwt/api_jws.py and
 * jwt/api_jwt.py of PyJWT 2.x; each function names the one it mirrors.
 *
 * Cold paths live in Python (sesstok/jwt.py): classifying and loading keys of
 * every form PyJWT accepts (called once per key, then cached here), JWK
 * parsing, option defaults. The token parsing that needs no Python is in
 * jws.c; OpenSSL key handling in pkey.c. */
#include "sesstok.h"
#include "jws.h"
#include "pkey.h"

#include <math.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

/* ---- algorithms ---------------------------------------------------------------- */

typedef enum {
    ALG_HS256, ALG_HS384, ALG_HS512,
    ALG_RS256, ALG_RS384, ALG_RS512,
    ALG_PS256, ALG_PS384, ALG_PS512,
    ALG_ES256, ALG_ES384, ALG_ES512,
    ALG_EDDSA,
    ALG_COUNT
} jwt_alg;

typedef enum { FAM_HMAC, FAM_RSA, FAM_PSS, FAM_EC, FAM_ED } jwt_family;

static const struct {
    const char *name;
    jwt_family family;
    sesstok_md_id md;
    sesstok_curve curve;
} algs[ALG_COUNT] = {
    {"HS256", FAM_HMAC, SESSTOK_MD_SHA256, SESSTOK_CURVE_NONE},
    {"HS384", FAM_HMAC, SESSTOK_MD_SHA384, SESSTOK_CURVE_NONE},
    {"HS512", FAM_HMAC, SESSTOK_MD_SHA512, SESSTOK_CURVE_NONE},
    {"RS256", FAM_RSA, SESSTOK_MD_SHA256, SESSTOK_CURVE_NONE},
    {"RS384", FAM_RSA, SESSTOK_MD_SHA384, SESSTOK_CURVE_NONE},
    {"RS512", FAM_RSA, SESSTOK_MD_SHA512, SESSTOK_CURVE_NONE},
    {"PS256", FAM_PSS, SESSTOK_MD_SHA256, SESSTOK_CURVE_NONE},
    {"PS384", FAM_PSS, SESSTOK_MD_SHA384, SESSTOK_CURVE_NONE},
    {"PS512", FAM_PSS, SESSTOK_MD_SHA512, SESSTOK_CURVE_NONE},
    {"ES256", FAM_EC, SESSTOK_MD_SHA256, SESSTOK_CURVE_P256},
    {"ES384", FAM_EC, SESSTOK_MD_SHA384, SESSTOK_CURVE_P384},
    {"ES512", FAM_EC, SESSTOK_MD_SHA512, SESSTOK_CURVE_P521},
    {"EdDSA", FAM_ED, SESSTOK_MD_SHA512, SESSTOK_CURVE_NONE},
};

#define ALL_ALGS ((1u << ALG_COUNT) - 1)
#define HMAC_ALGS ((1u << ALG_HS256) | (1u << ALG_HS384) | (1u << ALG_HS512))

/* Algorithm id of a name given as UTF-8; -1 if unknown. Case-sensitive, as
 * JWS algorithm names are. */
static int
alg_from_utf8(const char *s, Py_ssize_t n)
{
    if (n != 5) {
        return -1;
    }
    for (int i = 0; i < ALG_COUNT; i++) {
        if (memcmp(s, algs[i].name, 5) == 0) {
            return i;
        }
    }
    return -1;
}

/* "none" in any spelling */
static int
is_none_utf8(const char *s, Py_ssize_t n)
{
    return n == 4 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'o' && (s[2] | 0x20) == 'n'
           && (s[3] | 0x20) == 'e';
}

/* Algorithm id of a str object; -1 if unknown or not a str (no exception). */
static int
alg_from_obj(sesstok_state *st, PyObject *name)
{
    if (!PyUnicode_Check(name)) {
        return -1;
    }
    for (int i = 0; i < ALG_COUNT; i++) {
        if (PyTuple_GET_ITEM(st->jwt_alg_names, i) == name) {
            return i;
        }
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(name, &n);
    if (s == NULL) {
        PyErr_Clear();
        return -1;
    }
    return alg_from_utf8(s, n);
}

static int
obj_is_none_alg(PyObject *name)
{
    if (!PyUnicode_Check(name)) {
        return 0;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(name, &n);
    if (s == NULL) {
        PyErr_Clear();
        return 0;
    }
    return is_none_utf8(s, n);
}

static const EVP_MD *
alg_md(sesstok_state *st, int alg)
{
    return st->md[algs[alg].md];
}

/* ---- interned names, exceptions, Python helpers ------------------------------------- */

enum {
    N_ALG, N_TYP, N_KID, N_CRIT, N_B64, N_EXP, N_NBF, N_IAT, N_ISS, N_AUD, N_SUB, N_JTI,
    N_PAYLOAD, N_HEADER, N_SIGNATURE, N_UTCTIMETUPLE, N_JWT, N_SEPARATORS, N_CLS, N_SORT_KEYS,
    N_ENCODE_PAYLOAD, N_DECODE_PAYLOAD, N_VALIDATE_CLAIMS, N_HEADERS, N_JSON_ENCODER,
    N_AUDIENCE, N_ISSUER, N_SUBJECT, N_LEEWAY, N_TOTAL_SECONDS,
    N_VERIFY_SIGNATURE, N_VERIFY_EXP, N_VERIFY_NBF, N_VERIFY_IAT, N_VERIFY_AUD, N_VERIFY_ISS,
    N_VERIFY_SUB, N_VERIFY_JTI, N_REQUIRE, N_STRICT_AUD, N_ENFORCE_MIN, N_MAX_TOKEN_LENGTH,
    N_MAX_JSON_DEPTH, N_ENCODE, N_COMMA, N_COLON, N_EMPTY,
    N_COUNT
};

static const char *const name_strings[N_COUNT] = {
    "alg", "typ", "kid", "crit", "b64", "exp", "nbf", "iat", "iss", "aud", "sub", "jti",
    "payload", "header", "signature", "utctimetuple", "JWT", "separators", "cls", "sort_keys",
    "_encode_payload", "_decode_payload", "_validate_claims", "headers", "json_encoder",
    "audience", "issuer", "subject", "leeway", "total_seconds",
    "verify_signature", "verify_exp", "verify_nbf", "verify_iat", "verify_aud", "verify_iss",
    "verify_sub", "verify_jti", "require", "strict_aud", "enforce_minimum_key_length",
    "max_token_length", "max_json_depth", "encode", ",", ":", "",
};

#define NAME(st, i) PyTuple_GET_ITEM((st)->jwt_names, (i))

typedef enum {
    EXC_PYJWT, EXC_INVALID_TOKEN, EXC_DECODE, EXC_INVALID_SIGNATURE, EXC_EXPIRED,
    EXC_INVALID_AUDIENCE, EXC_INVALID_ISSUER, EXC_INVALID_IAT, EXC_IMMATURE, EXC_INVALID_KEY,
    EXC_INVALID_ALG, EXC_MISSING_CLAIM, EXC_INVALID_SUBJECT, EXC_INVALID_JTI,
    EXC_INSECURE_KEY_WARNING, EXC_REMOVED_WARNING,
    EXC_COUNT
} jwt_exc_id;

static const char *const exc_names[EXC_COUNT] = {
    "PyJWTError", "InvalidTokenError", "DecodeError", "InvalidSignatureError",
    "ExpiredSignatureError", "InvalidAudienceError", "InvalidIssuerError", "InvalidIssuedAtError",
    "ImmatureSignatureError", "InvalidKeyError", "InvalidAlgorithmError",
    "MissingRequiredClaimError", "InvalidSubjectError", "InvalidJTIError",
    "InsecureKeyLengthWarning", "RemovedInPyjwt3Warning",
};

/* The class sesstok.exceptions.<exc_names[id]> (borrowed), looked up on first
 * use. NULL with an exception set if the module cannot be imported. */
static PyObject *
jwt_exc(sesstok_state *st, jwt_exc_id id)
{
    if (st->jwt_exc == NULL) {
        PyObject *mod = PyImport_ImportModule("sesstok.exceptions");
        if (mod == NULL) {
            return NULL;
        }
        PyObject *t = PyTuple_New(EXC_COUNT);
        for (int i = 0; t != NULL && i < EXC_COUNT; i++) {
            PyObject *cls = PyObject_GetAttrString(mod, exc_names[i]);
            if (cls == NULL) {
                Py_CLEAR(t);
                break;
            }
            PyTuple_SET_ITEM(t, i, cls);
        }
        Py_DECREF(mod);
        if (t == NULL) {
            return NULL;
        }
        st->jwt_exc = t;
    }
    return PyTuple_GET_ITEM(st->jwt_exc, id);
}

/* Raise exception `id` with a formatted message. Always returns NULL. */
static PyObject *
jwt_raise(sesstok_state *st, jwt_exc_id id, const char *fmt, ...)
{
    PyObject *cls = jwt_exc(st, id);
    if (cls == NULL) {
        return NULL;
    }
    va_list va;
    va_start(va, fmt);
    PyObject *msg = PyUnicode_FromFormatV(fmt, va);
    va_end(va);
    if (msg != NULL) {
        PyErr_SetObject(cls, msg);
        Py_DECREF(msg);
    }
    return NULL;
}

#define RAISE_INT(...) (jwt_raise(__VA_ARGS__), -1)

/* MissingRequiredClaimError(claim); returns -1. */
static int
raise_missing_claim(sesstok_state *st, PyObject *claim)
{
    PyObject *cls = jwt_exc(st, EXC_MISSING_CLAIM);
    if (cls == NULL) {
        return -1;
    }
    PyObject *e = PyObject_CallOneArg(cls, claim);
    if (e != NULL) {
        PyErr_SetObject(cls, e);
        Py_DECREF(e);
    }
    return -1;
}

/* Emit a warning of class `id`; return 0, or -1 if it was turned into an
 * error. */
static int
jwt_warn(sesstok_state *st, jwt_exc_id id, PyObject *message, int stacklevel)
{
    PyObject *cls = jwt_exc(st, id);
    const char *s = cls ? PyUnicode_AsUTF8(message) : NULL;
    if (s == NULL) {
        return -1;
    }
    return PyErr_WarnEx(cls, s, stacklevel);
}

/* sesstok.jwt, imported on first use (borrowed). */
static PyObject *
jwt_py(sesstok_state *st)
{
    if (st->jwt_py == NULL) {
        st->jwt_py = PyImport_ImportModule("sesstok.jwt");
    }
    return st->jwt_py;
}

/* datetime.datetime and datetime.timedelta, on first use. */
static int
load_datetime(sesstok_state *st)
{
    if (st->py_datetime_type != NULL) {
        return 0;
    }
    PyObject *mod = PyImport_ImportModule("datetime");
    if (mod == NULL) {
        return -1;
    }
    PyObject *dt = PyObject_GetAttrString(mod, "datetime");
    PyObject *td = dt ? PyObject_GetAttrString(mod, "timedelta") : NULL;
    Py_DECREF(mod);
    if (td == NULL) {
        Py_XDECREF(dt);
        return -1;
    }
    st->py_datetime_type = dt;
    st->py_timedelta_type = td;
    return 0;
}

/* Warn as PyJWT does about **kwargs given to decode()/decode_complete(). */
static int
warn_extra_kwargs(sesstok_state *st, const char *fname, PyObject *extra)
{
    PyObject *msg = PyUnicode_FromFormat(
        "passing additional kwargs to %s() is deprecated and will be removed in pyjwt "
        "version 3. Unsupported kwargs: %R",
        fname, extra);
    if (msg == NULL) {
        return -1;
    }
    int rc = jwt_warn(st, EXC_REMOVED_WARNING, msg, 1);
    Py_DECREF(msg);
    return rc;
}

/* ---- JwtKey ---------------------------------------------------------------------- */

typedef enum { KEY_HMAC = 1, KEY_ASYM = 2 } key_kind;

typedef struct {
    PyObject_HEAD
    key_kind kind;
    PyObject *secret;  /* HMAC: the secret as bytes */
    PyObject *hmac[3]; /* HMAC: prepared HmacKey for HS256/384/512, made on first use */
    sesstok_pkey pk;   /* asymmetric */
    int bound_alg;     /* -1, or the only algorithm the key is for (JWK "alg", PyJWK) */
    PyObject *kid;     /* JWK "kid", or NULL */
} JwtKeyObject;

#define JwtKey_CAST(op) ((JwtKeyObject *)(op))

/* Largest signature of any key: RSA at the size limit. */
#define SIG_MAX (SESSTOK_RSA_MAX_BITS / 8 + SESSTOK_ECDSA_MAX_DER)

static PyObject *
key_alloc(sesstok_state *st, key_kind kind)
{
    PyTypeObject *tp = st->JwtKeyType;
    JwtKeyObject *k = (JwtKeyObject *)tp->tp_alloc(tp, 0);
    if (k == NULL) {
        return NULL;
    }
    k->kind = kind;
    k->bound_alg = -1;
    sesstok_pkey_init(&k->pk);
    return (PyObject *)k;
}

static int
key_traverse(PyObject *op, visitproc visit, void *arg)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    Py_VISIT(Py_TYPE(op));
    for (int i = 0; i < 3; i++) {
        Py_VISIT(k->hmac[i]);
    }
    return 0;
}

static void
key_dealloc(PyObject *op)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    Py_CLEAR(k->secret);
    for (int i = 0; i < 3; i++) {
        Py_CLEAR(k->hmac[i]);
    }
    Py_CLEAR(k->kid);
    sesstok_pkey_clear(&k->pk);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static const char *
pkey_kind_name(const sesstok_pkey *pk)
{
    switch (pk->kind) {
    case SESSTOK_PKEY_RSA:
        return "RSA";
    case SESSTOK_PKEY_EC:
        return "EC";
    case SESSTOK_PKEY_ED25519:
        return "Ed25519";
    default:
        return "unknown";
    }
}

/* Can key k be used with algorithm alg (type and curve)? Return 0, or -1 with
 * InvalidKeyError set. Mirrors the checks in PyJWT's Algorithm.prepare_key. */
static int
key_check_alg(sesstok_state *st, JwtKeyObject *k, int alg)
{
    jwt_family fam = algs[alg].family;
    if (fam == FAM_HMAC) {
        if (k->kind != KEY_HMAC) {
            return RAISE_INT(st, EXC_INVALID_KEY,
                             "The specified key is an asymmetric key or x509 certificate and "
                             "should not be used as an HMAC secret.");
        }
        return 0;
    }
    if (k->kind != KEY_ASYM) {
        return RAISE_INT(st, EXC_INVALID_KEY, "Could not parse the provided public key.");
    }
    sesstok_pkey_kind want = fam == FAM_EC ? SESSTOK_PKEY_EC
                             : fam == FAM_ED ? SESSTOK_PKEY_ED25519 : SESSTOK_PKEY_RSA;
    if (k->pk.kind != want) {
        return RAISE_INT(st, EXC_INVALID_KEY, "Expected %s key for %s, got %s key",
                         want == SESSTOK_PKEY_EC ? "an EC" : want == SESSTOK_PKEY_RSA ? "an RSA"
                                                                                      : "an Ed25519",
                         algs[alg].name, pkey_kind_name(&k->pk));
    }
    if (fam == FAM_EC && k->pk.curve != algs[alg].curve) {
        return RAISE_INT(st, EXC_INVALID_KEY,
                         "The key's curve '%s' does not match the expected curve '%s' for this "
                         "algorithm",
                         sesstok_curve_openssl_name(k->pk.curve),
                         sesstok_curve_openssl_name(algs[alg].curve));
    }
    return 0;
}

/* The minimum-length policy: PyJWT's check_key_length message, raised as
 * InvalidKeyError when `enforce`, else warned (InsecureKeyLengthWarning). */
static int
key_check_length(sesstok_state *st, JwtKeyObject *k, int alg, int enforce)
{
    PyObject *msg = NULL;
    if (k->kind == KEY_HMAC) {
        Py_ssize_t len = PyBytes_GET_SIZE(k->secret);
        int ds = EVP_MD_get_size(alg_md(st, alg));
        if (len < ds) {
            msg = PyUnicode_FromFormat(
                "The HMAC key is %zd bytes long, which is below the minimum recommended length "
                "of %d bytes for SHA%s. See RFC 7518 Section 3.2.",
                len, ds, algs[alg].name + 2);
        }
    }
    else if (k->pk.kind == SESSTOK_PKEY_RSA && k->pk.bits < 2048) {
        msg = PyUnicode_FromFormat(
            "The RSA key is %d bits long, which is below the minimum recommended size of 2048 "
            "bits. See NIST SP 800-131A.",
            k->pk.bits);
    }
    else {
        return 0;
    }
    if (msg == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    int rc;
    if (enforce) {
        PyObject *cls = jwt_exc(st, EXC_INVALID_KEY);
        if (cls != NULL) {
            PyErr_SetObject(cls, msg);
        }
        rc = -1;
    }
    else {
        rc = jwt_warn(st, EXC_INSECURE_KEY_WARNING, msg, 1);
    }
    Py_DECREF(msg);
    return rc;
}

/* The prepared HmacKey for alg (borrowed), made on first use. */
static PyObject *
key_hmac(sesstok_state *st, JwtKeyObject *k, int alg)
{
    int slot = alg - ALG_HS256;
    if (k->hmac[slot] == NULL) {
        PyObject *hk = sesstok_hmac_key_get(st, k->secret, NULL, NULL, st->md_name[algs[alg].md]);
        if (hk == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_ValueError, "%s is not available in this OpenSSL", algs[alg].name);
            }
            return NULL;
        }
        k->hmac[slot] = hk;
    }
    return k->hmac[slot];
}

/* Sign msg with k for alg (key and algorithm already checked). out holds
 * SIG_MAX bytes. Return 0 or -1 with an exception set. */
static int
key_sign(sesstok_state *st, JwtKeyObject *k, int alg, const unsigned char *msg, size_t n,
         unsigned char *out, size_t *outlen)
{
    if (algs[alg].family == FAM_HMAC) {
        PyObject *hk = key_hmac(st, k, alg);
        if (hk == NULL) {
            return -1;
        }
        sesstok_hmac_key *h = sesstok_hmac_key_of(hk);
        if (sesstok_hmac_compute(h, msg, n, out) < 0) {
            sesstok_raise_openssl_error(PyExc_ValueError, "HMAC");
            return -1;
        }
        *outlen = h->digest_size;
        return 0;
    }
    const char *why = "signing failed";
    if (!k->pk.is_private) {
        return RAISE_INT(st, EXC_INVALID_KEY, "Signing with %s needs a private key",
                         algs[alg].name);
    }
    /* asymmetric operations take tens of microseconds to milliseconds: let
     * other threads run (the key is immutable once loaded and the caller
     * holds references to it and to msg) */
    const EVP_MD *md = alg_md(st, alg);
    int pss = algs[alg].family == FAM_PSS, rc;
    EVP_MD_CTX *ctx = sesstok_pkey_ctx(&k->pk, md, pss, 1); /* with the GIL */
    Py_BEGIN_ALLOW_THREADS
    rc = sesstok_pkey_sign(&k->pk, ctx, md, pss, msg, n, out, outlen, &why);
    Py_END_ALLOW_THREADS
    if (rc < 0) {
        sesstok_raise_openssl_error(PyExc_ValueError, why);
        return -1;
    }
    return 0;
}

/* Verify sig over msg with k for alg. Return 1 valid, 0 invalid, -1 error. */
static int
key_verify(sesstok_state *st, JwtKeyObject *k, int alg, const unsigned char *msg, size_t n,
           const unsigned char *sig, size_t siglen)
{
    if (algs[alg].family == FAM_HMAC) {
        unsigned char mac[SESSTOK_MAX_DIGEST];
        PyObject *hk = key_hmac(st, k, alg);
        if (hk == NULL) {
            return -1;
        }
        sesstok_hmac_key *h = sesstok_hmac_key_of(hk);
        if (sesstok_hmac_compute(h, msg, n, mac) < 0) {
            sesstok_raise_openssl_error(PyExc_ValueError, "HMAC");
            return -1;
        }
        return sesstok_ct_equal(mac, h->digest_size, sig, siglen);
    }
    const char *why = "verification failed";
    const EVP_MD *md = alg_md(st, alg);
    int pss = algs[alg].family == FAM_PSS, rc;
    EVP_MD_CTX *ctx = sesstok_pkey_ctx(&k->pk, md, pss, 0); /* with the GIL */
    Py_BEGIN_ALLOW_THREADS
    rc = sesstok_pkey_verify(&k->pk, ctx, md, pss, msg, n, sig, siglen, &why);
    Py_END_ALLOW_THREADS
    if (rc < 0) {
        sesstok_raise_openssl_error(PyExc_ValueError, why);
    }
    return rc;
}

/* The algorithm name argument of JwtKey methods, as an id; -1 with an
 * exception for an unsupported one. */
static int
alg_arg(sesstok_state *st, PyObject *name)
{
    int alg = alg_from_obj(st, name);
    if (alg < 0) {
        PyErr_Format(PyExc_NotImplementedError, "Algorithm not supported: %R", name);
    }
    return alg;
}

/* Optional `algorithm`/`kid` keywords of the JwtKey constructors. */
static int
key_set_binding(sesstok_state *st, JwtKeyObject *k, PyObject *algorithm, PyObject *kid)
{
    if (algorithm != NULL && algorithm != Py_None) {
        int alg = alg_arg(st, algorithm);
        if (alg < 0 || key_check_alg(st, k, alg) < 0) {
            return -1;
        }
        k->bound_alg = alg;
    }
    if (kid != NULL && kid != Py_None) {
        if (!PyUnicode_Check(kid)) {
            PyErr_SetString(PyExc_TypeError, "kid must be a str");
            return -1;
        }
        k->kid = Py_NewRef(kid);
    }
    return 0;
}

/* Borrow bytes from a bytes-like argument (NULL/None allowed when optional). */
static int
bytes_arg(PyObject *obj, const char *what, int optional, Py_buffer *view)
{
    view->obj = NULL;
    view->buf = NULL;
    view->len = 0;
    if (obj == NULL || obj == Py_None) {
        if (optional) {
            return 0;
        }
        PyErr_Format(PyExc_TypeError, "%s is required", what);
        return -1;
    }
    if (PyUnicode_Check(obj) || PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) < 0) {
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError, "%s must be bytes", what);
        }
        else {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s must be bytes, not %.100s", what,
                         Py_TYPE(obj)->tp_name);
        }
        view->obj = NULL;
        return -1;
    }
    return 0;
}

static void
release_views(Py_buffer *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (v[i].obj != NULL) {
            PyBuffer_Release(&v[i]);
        }
    }
}

static sesstok_state *
key_state(PyTypeObject *cls)
{
    return (sesstok_state *)PyType_GetModuleState(cls);
}

/* Raise InvalidKeyError for a failed key load and clear OpenSSL's queue. */
static PyObject *
key_load_failed(sesstok_state *st, const char *why)
{
    ERR_clear_error();
    return jwt_raise(st, EXC_INVALID_KEY, "%s", why);
}

/* JwtKey.hmac(secret, *, algorithm=None, kid=None) */
static PyObject *
key_new_hmac(PyObject *cls, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const names[] = {"secret", "algorithm", "kid"};
    PyObject *argv[3];
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args("hmac", args, nargs, kwnames, names, 3, 1, 1, argv) < 0) {
        return NULL;
    }
    if (!PyBytes_Check(argv[0])) {
        PyErr_SetString(PyExc_TypeError, "secret must be bytes");
        return NULL;
    }
    JwtKeyObject *k = (JwtKeyObject *)key_alloc(st, KEY_HMAC);
    if (k == NULL) {
        return NULL;
    }
    k->secret = PyBytes_FromStringAndSize(PyBytes_AS_STRING(argv[0]), PyBytes_GET_SIZE(argv[0]));
    if (k->secret == NULL || key_set_binding(st, k, argv[1], argv[2]) < 0) {
        Py_DECREF(k);
        return NULL;
    }
    return (PyObject *)k;
}

/* JwtKey.load(data, *, algorithm=None, kid=None): PEM, DER or OpenSSH. */
static PyObject *
key_new_load(PyObject *cls, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const names[] = {"data", "algorithm", "kid"};
    PyObject *argv[3];
    Py_buffer v;
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args("load", args, nargs, kwnames, names, 3, 1, 1, argv) < 0
        || bytes_arg(argv[0], "data", 0, &v) < 0) {
        return NULL;
    }
    JwtKeyObject *k = (JwtKeyObject *)key_alloc(st, KEY_ASYM);
    if (k == NULL) {
        PyBuffer_Release(&v);
        return NULL;
    }
    const char *why = "Could not parse the provided key";
    int rc = sesstok_pkey_load(&k->pk, v.buf, (size_t)v.len, &why);
    PyBuffer_Release(&v);
    if (rc < 0) {
        Py_DECREF(k);
        return key_load_failed(st, why);
    }
    if (key_set_binding(st, k, argv[1], argv[2]) < 0) {
        Py_DECREF(k);
        return NULL;
    }
    return (PyObject *)k;
}

/* JwtKey.rsa(n, e, d=None, p=None, q=None, dp=None, dq=None, qi=None, *,
 * algorithm=None, kid=None): big-endian bytes. */
static PyObject *
key_new_rsa(PyObject *cls, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi", "algorithm", "kid"};
    PyObject *argv[10];
    Py_buffer v[8];
    sesstok_state *st = key_state(defcls);
    memset(v, 0, sizeof(v));
    if (sesstok_parse_args("rsa", args, nargs, kwnames, names, 10, 8, 2, argv) < 0) {
        return NULL;
    }
    for (int i = 0; i < 8; i++) {
        if (bytes_arg(argv[i], names[i], i >= 2, &v[i]) < 0) {
            release_views(v, i);
            return NULL;
        }
    }
    int crt = v[3].obj != NULL;
    for (int i = 4; i < 8; i++) {
        if ((v[i].obj != NULL) != crt || (crt && v[2].obj == NULL)) {
            release_views(v, 8);
            return jwt_raise(st, EXC_INVALID_KEY,
                             "RSA key must include all parameters if any are present besides d");
        }
    }
    JwtKeyObject *k = (JwtKeyObject *)key_alloc(st, KEY_ASYM);
    if (k == NULL) {
        release_views(v, 8);
        return NULL;
    }
    const char *why = "invalid RSA key";
#define B(i) (const unsigned char *)v[i].buf, (size_t)v[i].len
    int rc = sesstok_pkey_from_rsa(&k->pk, B(0), B(1), v[2].obj ? v[2].buf : NULL, (size_t)v[2].len,
                                   crt ? v[3].buf : NULL, (size_t)v[3].len, B(4), B(5), B(6), B(7),
                                   &why);
#undef B
    release_views(v, 8);
    if (rc < 0) {
        Py_DECREF(k);
        return key_load_failed(st, why);
    }
    if (key_set_binding(st, k, argv[8], argv[9]) < 0) {
        Py_DECREF(k);
        return NULL;
    }
    return (PyObject *)k;
}

/* JwtKey.ec(crv, x, y, d=None, *, algorithm=None, kid=None) */
static PyObject *
key_new_ec(PyObject *cls, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const names[] = {"crv", "x", "y", "d", "algorithm", "kid"};
    PyObject *argv[6];
    Py_buffer v[3] = {{0}};
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args("ec", args, nargs, kwnames, names, 6, 4, 3, argv) < 0) {
        return NULL;
    }
    Py_ssize_t clen;
    const char *crv = PyUnicode_Check(argv[0]) ? PyUnicode_AsUTF8AndSize(argv[0], &clen) : NULL;
    if (crv == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "crv must be a str");
        }
        return NULL;
    }
    sesstok_curve curve = sesstok_curve_from_name(crv, (size_t)clen);
    if (curve == SESSTOK_CURVE_NONE) {
        return jwt_raise(st, EXC_INVALID_KEY, "Invalid curve: %U", argv[0]);
    }
    if (bytes_arg(argv[1], "x", 0, &v[0]) < 0 || bytes_arg(argv[2], "y", 0, &v[1]) < 0
        || bytes_arg(argv[3], "d", 1, &v[2]) < 0) {
        release_views(v, 3);
        return NULL;
    }
    size_t cl = sesstok_curve_coord_len(curve);
    if ((size_t)v[0].len != cl || (size_t)v[1].len != cl || (v[2].obj && (size_t)v[2].len != cl)) {
        release_views(v, 3);
        return jwt_raise(st, EXC_INVALID_KEY, "Coords should be %zu bytes for curve %s", cl,
                         sesstok_curve_name(curve));
    }
    JwtKeyObject *k = (JwtKeyObject *)key_alloc(st, KEY_ASYM);
    if (k == NULL) {
        release_views(v, 3);
        return NULL;
    }
    const char *why = "invalid EC key";
    int rc = sesstok_pkey_from_ec(&k->pk, curve, v[0].buf, v[1].buf, cl,
                                  v[2].obj ? v[2].buf : NULL, (size_t)v[2].len, &why);
    release_views(v, 3);
    if (rc < 0) {
        Py_DECREF(k);
        return key_load_failed(st, why);
    }
    if (key_set_binding(st, k, argv[4], argv[5]) < 0) {
        Py_DECREF(k);
        return NULL;
    }
    return (PyObject *)k;
}

/* JwtKey.ed25519(x=None, d=None, *, algorithm=None, kid=None) */
static PyObject *
key_new_ed25519(PyObject *cls, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const names[] = {"x", "d", "algorithm", "kid"};
    PyObject *argv[4];
    Py_buffer v[2] = {{0}};
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args("ed25519", args, nargs, kwnames, names, 4, 2, 0, argv) < 0) {
        return NULL;
    }
    if (bytes_arg(argv[0], "x", 1, &v[0]) < 0 || bytes_arg(argv[1], "d", 1, &v[1]) < 0) {
        release_views(v, 2);
        return NULL;
    }
    JwtKeyObject *k = (JwtKeyObject *)key_alloc(st, KEY_ASYM);
    if (k == NULL) {
        release_views(v, 2);
        return NULL;
    }
    const char *why = "invalid Ed25519 key";
    int rc = sesstok_pkey_from_ed25519(&k->pk, v[0].obj ? v[0].buf : NULL, (size_t)v[0].len,
                                       v[1].obj ? v[1].buf : NULL, (size_t)v[1].len, &why);
    release_views(v, 2);
    if (rc < 0) {
        Py_DECREF(k);
        return key_load_failed(st, why);
    }
    if (key_set_binding(st, k, argv[2], argv[3]) < 0) {
        Py_DECREF(k);
        return NULL;
    }
    return (PyObject *)k;
}

/* JwtKey.sign(algorithm, msg): the raw signature (JWS form), no key-length
 * policy: the primitive the known-answer tests exercise. */
static PyObject *
key_meth_sign(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const names[] = {"algorithm", "msg"};
    PyObject *argv[2];
    Py_buffer v;
    unsigned char sig[SIG_MAX];
    size_t siglen = 0;
    sesstok_state *st = key_state(defcls);
    JwtKeyObject *k = JwtKey_CAST(op);
    if (sesstok_parse_args("sign", args, nargs, kwnames, names, 2, 2, 2, argv) < 0) {
        return NULL;
    }
    int alg = alg_arg(st, argv[0]);
    if (alg < 0 || key_check_alg(st, k, alg) < 0 || bytes_arg(argv[1], "msg", 0, &v) < 0) {
        return NULL;
    }
    int rc = key_sign(st, k, alg, v.buf, (size_t)v.len, sig, &siglen);
    PyBuffer_Release(&v);
    return rc < 0 ? NULL : PyBytes_FromStringAndSize((const char *)sig, (Py_ssize_t)siglen);
}

/* JwtKey.verify(algorithm, msg, signature) -> bool, no key-length policy. */
static PyObject *
key_meth_verify(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const names[] = {"algorithm", "msg", "signature"};
    PyObject *argv[3];
    Py_buffer v[2] = {{0}};
    sesstok_state *st = key_state(defcls);
    JwtKeyObject *k = JwtKey_CAST(op);
    if (sesstok_parse_args("verify", args, nargs, kwnames, names, 3, 3, 3, argv) < 0) {
        return NULL;
    }
    int alg = alg_arg(st, argv[0]);
    if (alg < 0 || key_check_alg(st, k, alg) < 0) {
        return NULL;
    }
    if (bytes_arg(argv[1], "msg", 0, &v[0]) < 0 || bytes_arg(argv[2], "signature", 0, &v[1]) < 0) {
        release_views(v, 2);
        return NULL;
    }
    int rc = key_verify(st, k, alg, v[0].buf, (size_t)v[0].len, v[1].buf, (size_t)v[1].len);
    release_views(v, 2);
    return rc < 0 ? NULL : PyBool_FromLong(rc);
}

/* JwtKey.check_length(algorithm, enforce) - the minimum-length policy. */
static PyObject *
key_meth_check_length(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"algorithm", "enforce"};
    PyObject *argv[2];
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args("check_length", args, nargs, kwnames, names, 2, 2, 2, argv) < 0) {
        return NULL;
    }
    int alg = alg_arg(st, argv[0]);
    int enforce = alg < 0 ? -1 : PyObject_IsTrue(argv[1]);
    if (enforce < 0 || key_check_alg(st, JwtKey_CAST(op), alg) < 0
        || key_check_length(st, JwtKey_CAST(op), alg, enforce) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
bytes_to_int(const unsigned char *b, size_t n)
{
    return PyObject_CallMethod((PyObject *)&PyLong_Type, "from_bytes", "y#s", (const char *)b,
                               (Py_ssize_t)n, "big");
}

/* JwtKey.rsa_public_numbers() -> (n, e) */
static PyObject *
key_meth_rsa_public_numbers(PyObject *op, PyObject *unused)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    unsigned char *n = NULL, *e = NULL;
    size_t nlen, elen;
    if (k->kind != KEY_ASYM || k->pk.kind != SESSTOK_PKEY_RSA) {
        PyErr_SetString(PyExc_TypeError, "not an RSA key");
        return NULL;
    }
    if (sesstok_pkey_rsa_public(&k->pk, &n, &nlen, &e, &elen) < 0) {
        return sesstok_raise_openssl_error(PyExc_ValueError, "RSA parameters");
    }
    PyObject *nn = bytes_to_int(n, nlen);
    PyObject *ee = nn ? bytes_to_int(e, elen) : NULL;
    OPENSSL_free(n);
    OPENSSL_free(e);
    PyObject *r = ee ? PyTuple_Pack(2, nn, ee) : NULL;
    Py_XDECREF(nn);
    Py_XDECREF(ee);
    return r;
}

/* JwtKey.public_der() -> SubjectPublicKeyInfo DER */
static PyObject *
key_meth_public_der(PyObject *op, PyObject *unused)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    unsigned char *der = NULL;
    size_t len;
    if (k->kind != KEY_ASYM) {
        PyErr_SetString(PyExc_TypeError, "an HMAC key has no public key");
        return NULL;
    }
    if (sesstok_pkey_public_der(&k->pk, &der, &len) < 0) {
        return sesstok_raise_openssl_error(PyExc_ValueError, "public key export");
    }
    PyObject *r = PyBytes_FromStringAndSize((const char *)der, (Py_ssize_t)len);
    OPENSSL_free(der);
    return r;
}

static PyObject *
key_get_kind(PyObject *op, void *c)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    if (k->kind == KEY_HMAC) {
        return PyUnicode_FromString("oct");
    }
    return PyUnicode_FromString(k->pk.kind == SESSTOK_PKEY_ED25519 ? "OKP" : pkey_kind_name(&k->pk));
}

static PyObject *
key_get_is_private(PyObject *op, void *c)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    return PyBool_FromLong(k->kind == KEY_HMAC || k->pk.is_private);
}

static PyObject *
key_get_key_size(PyObject *op, void *c)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    if (k->kind == KEY_HMAC) {
        return PyLong_FromSsize_t(PyBytes_GET_SIZE(k->secret) * 8);
    }
    return PyLong_FromLong(k->pk.bits);
}

static PyObject *
key_get_curve(PyObject *op, void *c)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    if (k->kind == KEY_ASYM && k->pk.kind == SESSTOK_PKEY_EC) {
        return PyUnicode_FromString(sesstok_curve_name(k->pk.curve));
    }
    if (k->kind == KEY_ASYM && k->pk.kind == SESSTOK_PKEY_ED25519) {
        return PyUnicode_FromString("Ed25519");
    }
    Py_RETURN_NONE;
}

static PyObject *
key_get_algorithm(PyObject *op, void *c)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    if (k->bound_alg < 0) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(algs[k->bound_alg].name);
}

static PyObject *
key_get_kid(PyObject *op, void *c)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    return Py_NewRef(k->kid ? k->kid : Py_None);
}

/* Bit mask of the algorithms the key can be used with. */
static unsigned
key_alg_mask(JwtKeyObject *k)
{
    if (k->bound_alg >= 0) {
        return 1u << k->bound_alg;
    }
    unsigned mask = 0;
    for (int a = 0; a < ALG_COUNT; a++) {
        jwt_family f = algs[a].family;
        int ok;
        if (k->kind == KEY_HMAC) {
            ok = f == FAM_HMAC;
        }
        else if (k->pk.kind == SESSTOK_PKEY_RSA) {
            ok = f == FAM_RSA || f == FAM_PSS;
        }
        else if (k->pk.kind == SESSTOK_PKEY_EC) {
            ok = f == FAM_EC && algs[a].curve == k->pk.curve;
        }
        else {
            ok = f == FAM_ED;
        }
        if (ok) {
            mask |= 1u << a;
        }
    }
    return mask;
}

static PyObject *
mask_to_names(unsigned mask)
{
    PyObject *t = PyList_New(0);
    for (int a = 0; t != NULL && a < ALG_COUNT; a++) {
        if (mask & (1u << a)) {
            PyObject *s = PyUnicode_FromString(algs[a].name);
            if (s == NULL || PyList_Append(t, s) < 0) {
                Py_XDECREF(s);
                Py_CLEAR(t);
                break;
            }
            Py_DECREF(s);
        }
    }
    if (t != NULL) {
        Py_SETREF(t, PyList_AsTuple(t));
    }
    return t;
}

static PyObject *
key_get_algorithms(PyObject *op, void *c)
{
    return mask_to_names(key_alg_mask(JwtKey_CAST(op)));
}

static PyObject *
key_repr(PyObject *op)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    const char *what = k->kind == KEY_HMAC ? "oct" : pkey_kind_name(&k->pk);
    if (k->kind == KEY_HMAC) {
        return PyUnicode_FromFormat("<JwtKey oct %zd bytes>", PyBytes_GET_SIZE(k->secret));
    }
    return PyUnicode_FromFormat("<JwtKey %s %d bits%s%s%s>", what, k->pk.bits,
                                k->pk.kind == SESSTOK_PKEY_EC ? " " : "",
                                k->pk.kind == SESSTOK_PKEY_EC ? sesstok_curve_name(k->pk.curve) : "",
                                k->pk.is_private ? " private" : " public");
}

#define METH_CM (METH_METHOD | METH_FASTCALL | METH_KEYWORDS | METH_CLASS)
#define METH_MK (METH_METHOD | METH_FASTCALL | METH_KEYWORDS)

static PyMethodDef key_methods[] = {
    {"hmac", (PyCFunction)(void (*)(void))key_new_hmac, METH_CM,
     "hmac(secret, *, algorithm=None, kid=None)\n--\n\nAn HMAC key from secret bytes (no checks: "
     "sesstok.jwt refuses asymmetric keys and short secrets before it gets here)."},
    {"load", (PyCFunction)(void (*)(void))key_new_load, METH_CM,
     "load(data, *, algorithm=None, kid=None)\n--\n\nAn RSA, EC or Ed25519 key from PEM, DER or "
     "an OpenSSH public key line."},
    {"rsa", (PyCFunction)(void (*)(void))key_new_rsa, METH_CM,
     "rsa(n, e, d=None, p=None, q=None, dp=None, dq=None, qi=None, *, algorithm=None, kid=None)"
     "\n--\n\nAn RSA key from big-endian integers (JWK members, decoded)."},
    {"ec", (PyCFunction)(void (*)(void))key_new_ec, METH_CM,
     "ec(crv, x, y, d=None, *, algorithm=None, kid=None)\n--\n\nAn EC key from JWK members."},
    {"ed25519", (PyCFunction)(void (*)(void))key_new_ed25519, METH_CM,
     "ed25519(x=None, d=None, *, algorithm=None, kid=None)\n--\n\nAn Ed25519 key."},
    {"sign", (PyCFunction)(void (*)(void))key_meth_sign, METH_MK,
     "sign(algorithm, msg)\n--\n\nThe JWS signature of msg (raw R||S for ECDSA)."},
    {"verify", (PyCFunction)(void (*)(void))key_meth_verify, METH_MK,
     "verify(algorithm, msg, signature)\n--\n\nWhether signature (JWS form) is valid for msg."},
    {"check_length", (PyCFunction)(void (*)(void))key_meth_check_length, METH_MK,
     "check_length(algorithm, enforce)\n--\n\nApply the minimum key length policy: raise "
     "InvalidKeyError (enforce) or warn InsecureKeyLengthWarning."},
    {"rsa_public_numbers", key_meth_rsa_public_numbers, METH_NOARGS,
     "rsa_public_numbers()\n--\n\n(n, e) of an RSA key."},
    {"public_der", key_meth_public_der, METH_NOARGS,
     "public_der()\n--\n\nThe public key as DER SubjectPublicKeyInfo."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef key_getset[] = {
    {"kty", key_get_kind, NULL, "JWK key type: 'oct', 'RSA', 'EC' or 'OKP'.", NULL},
    {"is_private", key_get_is_private, NULL, "Whether the key can sign.", NULL},
    {"key_size", key_get_key_size, NULL, "Size in bits (HMAC: secret length * 8).", NULL},
    {"curve", key_get_curve, NULL, "JWK curve name, or None.", NULL},
    {"algorithm", key_get_algorithm, NULL, "The algorithm the key is bound to, or None.", NULL},
    {"kid", key_get_kid, NULL, "The key ID, or None.", NULL},
    {"algorithms", key_get_algorithms, NULL, "Algorithms the key can be used with.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot key_slots[] = {
    {Py_tp_doc, "A prepared JWS key: an HMAC secret with its precomputed digest states, or an "
                "RSA, EC (P-256/384/521) or Ed25519 key parsed once. Made by sesstok.jwt from "
                "any key form PyJWT accepts and cached by value."},
    {Py_tp_dealloc, key_dealloc},
    {Py_tp_traverse, key_traverse},
    {Py_tp_methods, key_methods},
    {Py_tp_getset, key_getset},
    {Py_tp_repr, key_repr},
    {0, NULL},
};

static PyType_Spec key_spec = {
    .name = "sesstok._core.JwtKey",
    .basicsize = sizeof(JwtKeyObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE
             | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = key_slots,
};

/* ---- the key cache --------------------------------------------------------------- */

#define KEY_CACHE_MAX 256

/* The prepared key for `obj` (a new reference): a JwtKey is itself;
 * anything else is looked up in the bounded cache by value and, on a miss,
 * loaded by sesstok.jwt._load_key(obj, for_hmac), which refuses what PyJWT
 * refuses (and more, see docs/jwt.md). for_hmac only matters for str/bytes,
 * which are HMAC secrets for HS* and PEM/DER/OpenSSH keys otherwise. */
static JwtKeyObject *
resolve_key(sesstok_state *st, PyObject *obj, int for_hmac)
{
    if (Py_IS_TYPE(obj, st->JwtKeyType)) {
        return (JwtKeyObject *)Py_NewRef(obj);
    }
    /* by value for hashable objects (str, bytes, PyJWK, private key objects);
     * by identity for unhashable immutable ones (cryptography's public keys
     * define __eq__ but no __hash__), holding a reference so the id stays
     * theirs; never for dicts and lists, which can change after first use */
    PyObject *cache = st->jwt_key_cache, *cache_key = obj, *id = NULL;
    PyObject *k = PyDict_GetItemWithError(cache, obj);
    if (k != NULL) {
        return (JwtKeyObject *)Py_NewRef(k);
    }
    if (PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) {
            return NULL;
        }
        PyErr_Clear();
        cache = NULL;
        if (!PyDict_Check(obj) && !PyList_Check(obj)) {
            if ((id = PyLong_FromVoidPtr(obj)) == NULL) {
                return NULL;
            }
            PyObject *entry = PyDict_GetItemWithError(st->jwt_id_cache, id);
            if (entry != NULL && PyTuple_GET_ITEM(entry, 0) == obj) {
                Py_DECREF(id);
                return (JwtKeyObject *)Py_NewRef(PyTuple_GET_ITEM(entry, 1));
            }
            if (PyErr_Occurred()) {
                Py_DECREF(id);
                return NULL;
            }
            cache = st->jwt_id_cache;
            cache_key = id;
        }
    }
    PyObject *py = jwt_py(st);
    PyObject *fn = py ? PyObject_GetAttrString(py, "_load_key") : NULL;
    if (fn == NULL) {
        Py_XDECREF(id);
        return NULL;
    }
    k = PyObject_CallFunction(fn, "Oi", obj, for_hmac);
    Py_DECREF(fn);
    if (k != NULL && !Py_IS_TYPE(k, st->JwtKeyType)) {
        Py_CLEAR(k);
        PyErr_SetString(PyExc_TypeError, "_load_key must return a JwtKey");
    }
    if (k != NULL && cache != NULL) {
        PyObject *value = cache == st->jwt_id_cache ? PyTuple_Pack(2, obj, k) : Py_NewRef(k);
        if (PyDict_GET_SIZE(cache) >= KEY_CACHE_MAX) {
            PyDict_Clear(cache);
        }
        if (value == NULL || PyDict_SetItem(cache, cache_key, value) < 0) {
            Py_CLEAR(k);
        }
        Py_XDECREF(value);
    }
    Py_XDECREF(id);
    return (JwtKeyObject *)k;
}

/* ---- options ------------------------------------------------------------------------ */

typedef struct {
    int verify_signature;
    int verify_exp, verify_nbf, verify_iat, verify_aud, verify_iss, verify_sub, verify_jti;
    int strict_aud;
    int enforce_min; /* enforce_minimum_key_length: sesstok's default is on */
    /* an iterable of claim names, or NULL: a strong reference owned by
     * whoever holds the jwt_opts (released with opts_release). Decoding
     * reads it after Python code has run and with the GIL released in
     * between, so it is never borrowed from a dict someone can change. */
    PyObject *require;
    Py_ssize_t max_length;
    int max_depth;
} jwt_opts;

#define DEFAULT_JWT_MAX_DEPTH 32

static void
opts_default(sesstok_state *st, jwt_opts *o)
{
    o->verify_signature = o->verify_exp = o->verify_nbf = o->verify_iat = 1;
    o->verify_aud = o->verify_iss = o->verify_sub = o->verify_jti = 1;
    o->strict_aud = 0;
    o->enforce_min = 1;
    o->require = NULL;
    o->max_length = SESSTOK_JWS_DEFAULT_MAX_LENGTH;
    o->max_depth = DEFAULT_JWT_MAX_DEPTH;
}

/* Release what o owns (its require reference). */
static void
opts_release(jwt_opts *o)
{
    Py_CLEAR(o->require);
}

/* *dst = *src, with dst owning its own reference to require. */
static void
opts_copy(jwt_opts *dst, const jwt_opts *src)
{
    *dst = *src;
    Py_XINCREF(dst->require);
}

/* d[name] if present: *present = 1 and a borrowed value. */
static PyObject *
opt_get(sesstok_state *st, PyObject *d, int name, int *present)
{
    PyObject *v = PyDict_GetItemWithError(d, NAME(st, name));
    *present = v != NULL;
    return v;
}

/* Set *flag from d[name] (truthiness, as PyJWT's `if options[...]`). */
static int
opt_flag(sesstok_state *st, PyObject *d, int name, int *flag, int *present)
{
    PyObject *v = opt_get(st, d, name, present);
    if (v == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    int t = PyObject_IsTrue(v);
    if (t < 0) {
        return -1;
    }
    *flag = t;
    return 0;
}

/* The sesstok-only options: max_token_length, max_json_depth. */
static int
opt_limits(sesstok_state *st, PyObject *d, jwt_opts *o)
{
    int present;
    PyObject *v = opt_get(st, d, N_MAX_TOKEN_LENGTH, &present);
    if (v != NULL && v != Py_None) {
        Py_ssize_t n = PyNumber_AsSsize_t(v, PyExc_OverflowError);
        if (n == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (n < 16) {
            PyErr_SetString(PyExc_ValueError, "max_token_length must be at least 16");
            return -1;
        }
        o->max_length = n;
    }
    else if (PyErr_Occurred()) {
        return -1;
    }
    v = opt_get(st, d, N_MAX_JSON_DEPTH, &present);
    if (v != NULL && v != Py_None) {
        long n = PyLong_AsLong(v);
        if (n == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (n < 1 || n > 10000) {
            PyErr_SetString(PyExc_ValueError, "max_json_depth must be between 1 and 10000");
            return -1;
        }
        o->max_depth = (int)n;
    }
    else if (PyErr_Occurred()) {
        return -1;
    }
    return 0;
}

/* Read a complete options dict (PyJWT's FullOptions, already merged with the
 * defaults by sesstok.jwt) into o, which then owns a reference to
 * d["require"]; on error o owns nothing. */
static int
opts_from_full(sesstok_state *st, PyObject *d, jwt_opts *o)
{
    int present;
    opts_default(st, o);
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "options must be a dict");
        return -1;
    }
    static const int flags[] = {N_VERIFY_SIGNATURE, N_VERIFY_EXP, N_VERIFY_NBF, N_VERIFY_IAT,
                                N_VERIFY_AUD, N_VERIFY_ISS, N_VERIFY_SUB, N_VERIFY_JTI,
                                N_STRICT_AUD, N_ENFORCE_MIN};
    int *dest[] = {&o->verify_signature, &o->verify_exp, &o->verify_nbf, &o->verify_iat,
                   &o->verify_aud, &o->verify_iss, &o->verify_sub, &o->verify_jti,
                   &o->strict_aud, &o->enforce_min};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (opt_flag(st, d, flags[i], dest[i], &present) < 0) {
            return -1;
        }
    }
    PyObject *req = opt_get(st, d, N_REQUIRE, &present);
    if (req == NULL && PyErr_Occurred()) {
        return -1;
    }
    o->require = Py_XNewRef(req); /* before opt_limits runs any Python code */
    if (opt_limits(st, d, o) < 0) {
        opts_release(o);
        return -1;
    }
    return 0;
}

/* Per-call options of PyJWT.decode_complete: mirrors PyJWT.decode_complete
 * and PyJWT._merge_options. verify_signature comes from `options` alone
 * (True when absent: PyJWT ignores the instance's value for the signature),
 * and when it is false the verify_* claims default to false. */
static int opts_merge_jwt_dict(sesstok_state *st, PyObject *options, jwt_opts *o);

/* On success o owns a reference to its require (the call's, else base's);
 * on error o owns nothing. */
static int
opts_merge_jwt(sesstok_state *st, const jwt_opts *base, PyObject *options, jwt_opts *o)
{
    opts_copy(o, base);
    o->verify_signature = 1;
    if (options == NULL || options == Py_None) {
        return 0;
    }
    if (opts_merge_jwt_dict(st, options, o) < 0) {
        opts_release(o);
        return -1;
    }
    return 0;
}

static int
opts_merge_jwt_dict(sesstok_state *st, PyObject *options, jwt_opts *o)
{
    if (!PyDict_Check(options)) {
        PyErr_SetString(PyExc_TypeError, "options must be a dict");
        return -1;
    }
    int present;
    if (opt_flag(st, options, N_VERIFY_SIGNATURE, &o->verify_signature, &present) < 0) {
        return -1;
    }
    static const int claims[] = {N_VERIFY_EXP, N_VERIFY_NBF, N_VERIFY_IAT, N_VERIFY_AUD,
                                 N_VERIFY_ISS, N_VERIFY_SUB, N_VERIFY_JTI};
    int *dest[] = {&o->verify_exp, &o->verify_nbf, &o->verify_iat, &o->verify_aud,
                   &o->verify_iss, &o->verify_sub, &o->verify_jti};
    for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
        if (opt_flag(st, options, claims[i], dest[i], &present) < 0) {
            return -1;
        }
        if (!present && !o->verify_signature) {
            *dest[i] = 0;
        }
    }
    if (opt_flag(st, options, N_STRICT_AUD, &o->strict_aud, &present) < 0
        || opt_flag(st, options, N_ENFORCE_MIN, &o->enforce_min, &present) < 0) {
        return -1;
    }
    PyObject *req = opt_get(st, options, N_REQUIRE, &present);
    if (req != NULL) {
        Py_SETREF(o->require, Py_NewRef(req));
    }
    else if (PyErr_Occurred()) {
        return -1;
    }
    return opt_limits(st, options, o);
}

/* Per-call options of PyJWS.decode_complete: {**self.options, **options}. */
static int
opts_merge_jws(sesstok_state *st, const jwt_opts *base, PyObject *options, jwt_opts *o)
{
    opts_copy(o, base);
    if (options == NULL || options == Py_None) {
        return 0;
    }
    int present;
    if (!PyDict_Check(options)) {
        PyErr_SetString(PyExc_TypeError, "options must be a dict");
    }
    else if (opt_flag(st, options, N_VERIFY_SIGNATURE, &o->verify_signature, &present) == 0
             && opt_flag(st, options, N_ENFORCE_MIN, &o->enforce_min, &present) == 0
             && opt_limits(st, options, o) == 0) {
        return 0;
    }
    opts_release(o);
    return -1;
}

/* ---- JSON ------------------------------------------------------------------------ */

/* Append json.dumps(obj, separators=(",", ":"), cls=json_encoder,
 * sort_keys=sort_keys).encode() to buf: the C encoder when it can (no
 * json_encoder), json.dumps otherwise. */
static int
json_dumps_into(sesstok_state *st, sesstok_buf *buf, PyObject *obj, PyObject *json_encoder,
                int sort_keys)
{
    size_t mark = buf->len;
    if (json_encoder == NULL || json_encoder == Py_None) {
        int rc = sesstok_json_encode(buf, obj, sort_keys);
        if (rc <= 0) {
            return rc;
        }
        buf->len = mark;
    }
    if (st->py_json_dumps == NULL) {
        PyObject *json = PyImport_ImportModule("json");
        st->py_json_dumps = json ? PyObject_GetAttrString(json, "dumps") : NULL;
        Py_XDECREF(json);
        if (st->py_json_dumps == NULL) {
            return -1;
        }
    }
    PyObject *seps = PyTuple_Pack(2, NAME(st, N_COMMA), NAME(st, N_COLON));
    if (seps == NULL) {
        return -1;
    }
    PyObject *kwargs = Py_BuildValue("{O:O,O:O,O:O}", NAME(st, N_SEPARATORS), seps,
                                     NAME(st, N_CLS), json_encoder ? json_encoder : Py_None,
                                     NAME(st, N_SORT_KEYS), sort_keys ? Py_True : Py_False);
    Py_DECREF(seps);
    if (kwargs == NULL) {
        return -1;
    }
    PyObject *args = PyTuple_Pack(1, obj);
    PyObject *s = args ? PyObject_Call(st->py_json_dumps, args, kwargs) : NULL;
    Py_XDECREF(args);
    Py_DECREF(kwargs);
    if (s == NULL) {
        return -1;
    }
    Py_ssize_t n;
    const char *p = PyUnicode_Check(s) ? PyUnicode_AsUTF8AndSize(s, &n) : NULL;
    if (p == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "json.dumps did not return a str");
        }
        Py_DECREF(s);
        return -1;
    }
    int rc = sesstok_buf_append(buf, p, (size_t)n);
    Py_DECREF(s);
    if (rc < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Append the base64url of data[0:n] to buf. */
static int
buf_b64(sesstok_buf *buf, const unsigned char *data, size_t n)
{
    size_t need = sesstok_b64url_encoded_len(n);
    if (sesstok_buf_reserve(buf, need) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    buf->len += sesstok_b64url_encode(data, n, (char *)buf->data + buf->len);
    return 0;
}

static PyObject *
ascii_str(const unsigned char *p, size_t n)
{
    PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
    if (s != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(s), p, n);
    }
    return s;
}

/* ---- encode ------------------------------------------------------------------------ */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (as
 * datetime.date.toordinal() - EPOCH_ORDINAL). */
static long long
days_from_civil(long long y, long long m, long long d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* calendar.timegm(dt.utctimetuple()), as PyJWT converts datetime claims. */
static PyObject *
datetime_to_timestamp(sesstok_state *st, PyObject *dt)
{
    PyObject *tt = PyObject_CallMethodNoArgs(dt, NAME(st, N_UTCTIMETUPLE));
    if (tt == NULL) {
        return NULL;
    }
    long long f[6];
    for (int i = 0; i < 6; i++) {
        PyObject *item = PySequence_GetItem(tt, i);
        f[i] = item ? PyLong_AsLongLong(item) : -1;
        Py_XDECREF(item);
        if (f[i] == -1 && PyErr_Occurred()) {
            Py_DECREF(tt);
            return NULL;
        }
    }
    Py_DECREF(tt);
    long long days = days_from_civil(f[0], f[1], 1) + f[2] - 1;
    return PyLong_FromLongLong(((days * 24 + f[3]) * 60 + f[4]) * 60 + f[5]);
}

/* The dict PyJWT.encode serializes: payload checked to be a dict, exp/iat/nbf
 * datetimes converted (on a copy), iss checked to be a str. Mirrors the start
 * of PyJWT.encode. */
static PyObject *
jwt_prepare_payload(sesstok_state *st, PyObject *payload)
{
    static const int time_claims[] = {N_EXP, N_IAT, N_NBF};
    if (!PyDict_Check(payload)) {
        PyErr_SetString(PyExc_TypeError,
                        "Expecting a dict object, as JWT only supports JSON objects as payloads.");
        return NULL;
    }
    PyObject *out;
    int copied = !PyDict_CheckExact(payload);
    if (copied) {
        out = PyObject_CallMethod(payload, "copy", NULL); /* payload.copy(), as PyJWT */
        if (out == NULL) {
            return NULL;
        }
    }
    else {
        out = Py_NewRef(payload);
    }
    if (!PyDict_Check(out)) {
        PyErr_SetString(PyExc_TypeError, "payload.copy() did not return a dict");
        goto error;
    }
    for (int i = 0; i < 3; i++) {
        PyObject *name = NAME(st, time_claims[i]);
        PyObject *v = PyDict_GetItemWithError(out, name);
        if (v == NULL) {
            if (PyErr_Occurred()) {
                goto error;
            }
            continue;
        }
        if (Py_IS_TYPE(v, &PyLong_Type) || Py_IS_TYPE(v, &PyFloat_Type)) {
            continue;
        }
        if (load_datetime(st) < 0) {
            goto error;
        }
        int is_dt = PyObject_IsInstance(v, st->py_datetime_type);
        if (is_dt < 0) {
            goto error;
        }
        if (!is_dt) {
            continue;
        }
        PyObject *ts = datetime_to_timestamp(st, v);
        if (ts == NULL) {
            goto error;
        }
        if (!copied) {
            Py_SETREF(out, PyDict_Copy(payload));
            copied = 1;
            if (out == NULL) {
                Py_DECREF(ts);
                return NULL;
            }
        }
        int rc = PyObject_SetItem(out, name, ts);
        Py_DECREF(ts);
        if (rc < 0) {
            goto error;
        }
    }
    /* Issue #1039, iss being set to non-string */
    PyObject *iss = PyDict_GetItemWithError(out, NAME(st, N_ISS));
    if (iss == NULL && PyErr_Occurred()) {
        goto error;
    }
    if (iss != NULL && !PyUnicode_Check(iss)) {
        PyErr_SetString(PyExc_TypeError, "Issuer (iss) must be a string.");
        goto error;
    }
    return out;
error:
    Py_XDECREF(out);
    return NULL;
}

/* ---- PyJWT / PyJWS method implementations -------------------------------------------- */

enum { HOOK_ENCODE_PAYLOAD = 1, HOOK_DECODE_PAYLOAD = 2, HOOK_VALIDATE_CLAIMS = 4 };

typedef struct {
    PyObject_HEAD
    jwt_opts base;        /* the instance's options, parsed (owns base.require) */
    unsigned registered;  /* algorithms the instance offers (PyJWS(algorithms=...)) */
    PyObject *header_typ; /* PyJWS.header_typ */
    int typ_default;      /* header_typ is "JWT": default headers can be cached */
    int hooks;            /* PyJWT methods a subclass overrides (HOOK_*) */
    int configured;
    PyObject *hdr_cache[ALG_COUNT][2]; /* base64url of the default header, by sort_headers */
} ApiObject;

#define Api_CAST(op) ((ApiObject *)(op))

static int
api_traverse(PyObject *op, visitproc visit, void *arg)
{
    ApiObject *a = Api_CAST(op);
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(a->base.require);
    Py_VISIT(a->header_typ);
    return 0;
}

static int
api_clear(PyObject *op)
{
    ApiObject *a = Api_CAST(op);
    opts_release(&a->base);
    Py_CLEAR(a->header_typ);
    a->configured = 0;
    for (int i = 0; i < ALG_COUNT; i++) {
        Py_CLEAR(a->hdr_cache[i][0]);
        Py_CLEAR(a->hdr_cache[i][1]);
    }
    return 0;
}

static void
api_dealloc(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    api_clear(op);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static int
api_ready(ApiObject *a)
{
    if (!a->configured) {
        PyErr_SetString(PyExc_RuntimeError, "call _configure() first (sesstok.jwt does)");
        return -1;
    }
    return 0;
}

/* Algorithm names (an iterable of str, or None for all) -> mask. "none" in
 * any spelling is refused with InvalidAlgorithmError; unknown names are
 * skipped (a token using one is "not supported", as in PyJWT). */
static int
algorithms_mask(sesstok_state *st, PyObject *algorithms, unsigned *mask)
{
    *mask = 0;
    if (algorithms == NULL || algorithms == Py_None) {
        return 0;
    }
    if (PyUnicode_Check(algorithms)) {
        /* PyJWT tests `alg in algorithms`: a str matches substrings, which is
         * never what was meant. */
        PyErr_SetString(PyExc_TypeError, "algorithms must be a list of algorithm names, not a str");
        return -1;
    }
    PyObject *seq = PySequence_Fast(algorithms, "algorithms must be a list of algorithm names");
    if (seq == NULL) {
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        int a = alg_from_obj(st, items[i]);
        if (a >= 0) {
            *mask |= 1u << a;
        }
        else if (obj_is_none_alg(items[i])) {
            Py_DECREF(seq);
            return RAISE_INT(st, EXC_INVALID_ALG,
                             "The 'none' algorithm is not supported: sesstok never accepts "
                             "unsecured tokens");
        }
    }
    Py_DECREF(seq);
    return 0;
}

/* Is `alg` (not a known algorithm) listed in algorithms? PyJWT then says
 * "Algorithm not supported" rather than "not allowed". */
static int
algorithms_lists(PyObject *algorithms, PyObject *alg)
{
    if (algorithms == NULL || algorithms == Py_None) {
        return 0;
    }
    int r = PySequence_Contains(algorithms, alg);
    if (r < 0) {
        PyErr_Clear();
        return 0;
    }
    return r;
}

/* _configure(options, algorithms, header_typ, hooks): set up from a complete
 * options dict (sesstok.jwt merges the defaults), the registered algorithms
 * (None: all) and PyJWS.header_typ. */
static PyObject *
api_configure(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const names[] = {"options", "algorithms", "header_typ", "hooks"};
    PyObject *argv[4];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = key_state(defcls);
    jwt_opts o;
    unsigned mask = ALL_ALGS;
    if (sesstok_parse_args("_configure", args, nargs, kwnames, names, 4, 4, 4, argv) < 0
        || opts_from_full(st, argv[0], &o) < 0) {
        return NULL;
    }
    long hooks = -1;
    if (argv[1] != Py_None && algorithms_mask(st, argv[1], &mask) < 0) {
        goto error;
    }
    hooks = PyLong_AsLong(argv[3]);
    if (hooks == -1 && PyErr_Occurred()) {
        goto error;
    }
    if (argv[2] != Py_None && !PyUnicode_Check(argv[2])) {
        PyErr_SetString(PyExc_TypeError, "header_typ must be a str or None");
        goto error;
    }
    api_clear(op);
    a->base = o; /* owns o.require */
    a->registered = mask;
    a->header_typ = Py_NewRef(argv[2]);
    a->typ_default = PyUnicode_Check(argv[2])
                     && PyUnicode_Compare(argv[2], NAME(st, N_JWT)) == 0;
    a->hooks = (int)hooks;
    a->configured = 1;
    Py_RETURN_NONE;
error:
    opts_release(&o);
    return NULL;
}

/* The base64url of the default header {"typ": "JWT", "alg": alg} (sorted or
 * not) for an ApiObject whose header_typ is "JWT": borrowed, cached. */
static PyObject *
default_header_b64(sesstok_state *st, ApiObject *a, int alg, int sort)
{
    PyObject **slot = &a->hdr_cache[alg][sort ? 1 : 0];
    if (*slot == NULL) {
        char json[64], b64[96];
        int n = sort ? snprintf(json, sizeof(json), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", algs[alg].name)
                     : snprintf(json, sizeof(json), "{\"typ\":\"JWT\",\"alg\":\"%s\"}", algs[alg].name);
        size_t m = sesstok_b64url_encode((const unsigned char *)json, (size_t)n, b64);
        *slot = PyBytes_FromStringAndSize(b64, (Py_ssize_t)m);
    }
    return *slot;
}

/* PyJWS._validate_headers(headers, encoding=True): a kid must be a str. */
static int
validate_kid(sesstok_state *st, PyObject *headers)
{
    PyObject *kid = PyDict_GetItemWithError(headers, NAME(st, N_KID));
    if (kid == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyUnicode_Check(kid)) {
        return RAISE_INT(st, EXC_INVALID_TOKEN, "Key ID header parameter must be a string");
    }
    return 0;
}

/* Build and append the base64url header of PyJWS.encode's general path:
 * mirrors the header part of PyJWS.encode. */
static int
encode_header(sesstok_state *st, ApiObject *a, sesstok_buf *out, PyObject *alg_obj,
              PyObject *headers, PyObject *json_encoder, int detached, int sort)
{
    sesstok_buf json;
    int rc = -1;
    PyObject *h = PyDict_New();
    sesstok_buf_init(&json);
    if (h == NULL || PyDict_SetItem(h, NAME(st, N_TYP), a->header_typ) < 0
        || PyDict_SetItem(h, NAME(st, N_ALG), alg_obj) < 0) {
        goto done;
    }
    if (headers != NULL) {
        if (validate_kid(st, headers) < 0 || PyDict_Update(h, headers) < 0) {
            goto done;
        }
    }
    PyObject *typ = PyDict_GetItemWithError(h, NAME(st, N_TYP));
    int truthy = typ ? PyObject_IsTrue(typ) : 0;
    if (truthy < 0 || (typ == NULL && PyErr_Occurred())) {
        goto done;
    }
    if (!truthy && PyDict_DelItem(h, NAME(st, N_TYP)) < 0) {
        goto done;
    }
    if (detached) {
        /* RFC 7797 section 3: "b64" must be listed in "crit" */
        if (PyDict_SetItem(h, NAME(st, N_B64), Py_False) < 0) {
            goto done;
        }
        PyObject *crit = PyDict_GetItemWithError(h, NAME(st, N_CRIT));
        if (crit == NULL && PyErr_Occurred()) {
            goto done;
        }
        if (crit != NULL && !PyList_Check(crit)) {
            jwt_raise(st, EXC_INVALID_TOKEN, "Invalid 'crit' header: must be a list");
            goto done;
        }
        int has = crit ? PySequence_Contains(crit, NAME(st, N_B64)) : 0;
        if (has < 0) {
            goto done;
        }
        if (!has) {
            PyObject *nc = crit ? PyList_GetSlice(crit, 0, PyList_GET_SIZE(crit)) : PyList_New(0);
            if (nc == NULL || PyList_Append(nc, NAME(st, N_B64)) < 0
                || PyDict_SetItem(h, NAME(st, N_CRIT), nc) < 0) {
                Py_XDECREF(nc);
                goto done;
            }
            Py_DECREF(nc);
        }
    }
    else {
        int has = PyDict_Contains(h, NAME(st, N_B64));
        if (has < 0 || (has && PyDict_DelItem(h, NAME(st, N_B64)) < 0)) {
            goto done;
        }
    }
    if (json_dumps_into(st, &json, h, json_encoder, sort) < 0) {
        goto done;
    }
    rc = buf_b64(out, json.data, json.len);
done:
    Py_XDECREF(h);
    sesstok_buf_free(&json);
    return rc;
}

/* Mirrors PyJWS.encode. payload is the JWS payload; jwt_mode refuses
 * "b64": false (a JWT's payload is always base64url-encoded). */
static PyObject *
jws_encode_impl(sesstok_state *st, ApiObject *a, const unsigned char *payload, size_t plen,
                PyObject *key, PyObject *algorithm, PyObject *headers, PyObject *json_encoder,
                int detached, int sort, int jwt_mode)
{
    sesstok_buf out, sinput;
    JwtKeyObject *k = NULL;
    PyObject *hdrs = NULL, *result = NULL, *alg_obj;
    unsigned char sig[SIG_MAX];
    size_t siglen = 0;
    int alg;
    sesstok_buf_init(&out);
    sesstok_buf_init(&sinput);

    /* isinstance(key, PyJWK) decides the default algorithm; None (which
     * PyJWT takes for "none") is not a key */
    int plain_key = PyUnicode_CheckExact(key) || PyBytes_CheckExact(key) || key == Py_None;
    if (!plain_key && (k = resolve_key(st, key, 0)) == NULL) {
        goto done;
    }
    int bound = k != NULL && k->bound_alg >= 0; /* isinstance(key, PyJWK) */
    /* algorithm: PyJWT's _ALGORITHM_UNSET is algorithm == NULL here */
    if (algorithm == NULL || algorithm == Py_None) {
        alg_obj = bound ? PyTuple_GET_ITEM(st->jwt_alg_names, k->bound_alg)
                        : algorithm == NULL ? PyTuple_GET_ITEM(st->jwt_alg_names, ALG_HS256)
                                            : NULL; /* "none" */
    }
    else {
        alg_obj = algorithm;
    }
    if (headers != NULL && headers != Py_None) {
        int t = PyObject_IsTrue(headers);
        if (t < 0) {
            goto done;
        }
        if (t) {
            hdrs = PyDict_Check(headers) ? Py_NewRef(headers)
                                         : PyObject_CallOneArg((PyObject *)&PyDict_Type, headers);
            if (hdrs == NULL) {
                goto done;
            }
            /* Prefer headers values if present to function parameters. */
            PyObject *halg = PyDict_GetItemWithError(hdrs, NAME(st, N_ALG));
            int ht = halg ? PyObject_IsTrue(halg) : 0;
            if (ht < 0 || (halg == NULL && PyErr_Occurred())) {
                goto done;
            }
            if (ht) {
                alg_obj = halg;
            }
            PyObject *hb64 = PyDict_GetItemWithError(hdrs, NAME(st, N_B64));
            if (hb64 == NULL && PyErr_Occurred()) {
                goto done;
            }
            if (hb64 == Py_False) {
                detached = 1;
            }
        }
    }
    if (alg_obj == NULL) {
        PyErr_SetString(PyExc_NotImplementedError,
                        "Algorithm 'none' is not supported: sesstok never makes unsecured tokens");
        goto done;
    }
    if (jwt_mode && detached) {
        jwt_raise(st, EXC_INVALID_TOKEN, "A JWT cannot have \"b64\": false (RFC 7797 payloads are "
                                         "for JWS only)");
        goto done;
    }
    alg = alg_from_obj(st, alg_obj);

    /* header */
    if (hdrs == NULL && (json_encoder == NULL || json_encoder == Py_None) && alg >= 0
        && !detached && a->typ_default) {
        PyObject *h = default_header_b64(st, a, alg, sort);
        if (h == NULL || sesstok_buf_append(&out, PyBytes_AS_STRING(h), (size_t)PyBytes_GET_SIZE(h)) < 0) {
            if (!PyErr_Occurred()) {
                PyErr_NoMemory();
            }
            goto done;
        }
    }
    else if (encode_header(st, a, &out, alg_obj, hdrs, json_encoder, detached, sort) < 0) {
        goto done;
    }
    if (sesstok_buf_putc(&out, '.') < 0) {
        PyErr_NoMemory();
        goto done;
    }
    size_t header_len = out.len - 1;

    /* the algorithm and the key */
    if (alg < 0 || !(a->registered & (1u << alg))) {
        PyErr_SetString(PyExc_NotImplementedError, obj_is_none_alg(alg_obj)
                            ? "Algorithm 'none' is not supported: sesstok never makes unsecured tokens"
                            : "Algorithm not supported");
        goto done;
    }
    if (k == NULL && (k = resolve_key(st, key, algs[alg].family == FAM_HMAC)) == NULL) {
        goto done;
    }
    if (key_check_alg(st, k, alg) < 0 || key_check_length(st, k, alg, a->base.enforce_min) < 0) {
        goto done;
    }

    /* sign */
    const unsigned char *msg;
    size_t msglen;
    if (detached) {
        if (sesstok_buf_append(&sinput, out.data, out.len) < 0
            || sesstok_buf_append(&sinput, payload, plen) < 0) {
            PyErr_NoMemory();
            goto done;
        }
        msg = sinput.data;
        msglen = sinput.len;
    }
    else {
        if (buf_b64(&out, payload, plen) < 0) {
            goto done;
        }
        msg = out.data;
        msglen = out.len;
    }
    if (key_sign(st, k, alg, msg, msglen, sig, &siglen) < 0) {
        goto done;
    }
    if (detached) {
        out.len = header_len + 1; /* the payload segment stays empty */
    }
    if (sesstok_buf_putc(&out, '.') < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (buf_b64(&out, sig, siglen) < 0) {
        goto done;
    }
    result = ascii_str(out.data, out.len);
done:
    OPENSSL_cleanse(sig, sizeof(sig));
    Py_XDECREF(k);
    Py_XDECREF(hdrs);
    sesstok_buf_free(&out);
    sesstok_buf_free(&sinput);
    return result;
}

/* Serialize a prepared payload dict as PyJWT._encode_payload does, into buf. */
static int
jwt_payload_json(sesstok_state *st, PyObject *self, int hooks, sesstok_buf *buf, PyObject *payload,
                 PyObject *headers, PyObject *json_encoder)
{
    if (hooks & HOOK_ENCODE_PAYLOAD) {
        PyObject *kw = Py_BuildValue("{O:O,O:O}", NAME(st, N_HEADERS), headers ? headers : Py_None,
                                     NAME(st, N_JSON_ENCODER), json_encoder ? json_encoder : Py_None);
        PyObject *fn = kw ? PyObject_GetAttr(self, NAME(st, N_ENCODE_PAYLOAD)) : NULL;
        PyObject *args = fn ? PyTuple_Pack(1, payload) : NULL;
        PyObject *r = args ? PyObject_Call(fn, args, kw) : NULL;
        Py_XDECREF(kw);
        Py_XDECREF(fn);
        Py_XDECREF(args);
        if (r == NULL) {
            return -1;
        }
        Py_buffer v;
        if (PyObject_GetBuffer(r, &v, PyBUF_SIMPLE) < 0) {
            Py_DECREF(r);
            return -1;
        }
        int rc = sesstok_buf_append(buf, v.buf, (size_t)v.len);
        PyBuffer_Release(&v);
        Py_DECREF(r);
        if (rc < 0) {
            PyErr_NoMemory();
        }
        return rc;
    }
    return json_dumps_into(st, buf, payload, json_encoder, 0);
}

/* PyJWT.encode(payload, key, algorithm=<unset>, headers=None, json_encoder=None,
 * sort_headers=True) */
static PyObject *
jwtapi_encode(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const names[] = {"payload", "key", "algorithm", "headers", "json_encoder",
                                        "sort_headers"};
    PyObject *argv[6];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args("encode", args, nargs, kwnames, names, 6, 6, 2, argv) < 0
        || api_ready(a) < 0) {
        return NULL;
    }
    int sort = argv[5] ? PyObject_IsTrue(argv[5]) : 1;
    if (sort < 0) {
        return NULL;
    }
    PyObject *payload = jwt_prepare_payload(st, argv[0]);
    if (payload == NULL) {
        return NULL;
    }
    sesstok_buf json;
    sesstok_buf_init(&json);
    PyObject *r = NULL;
    if (jwt_payload_json(st, op, a->hooks, &json, payload, argv[3], argv[4]) == 0) {
        r = jws_encode_impl(st, a, json.data, json.len, argv[1], argv[2], argv[3], argv[4], 0, sort,
                            1);
    }
    sesstok_buf_free(&json);
    Py_DECREF(payload);
    return r;
}

/* PyJWS.encode(payload, key, algorithm=<unset>, headers=None, json_encoder=None,
 * is_payload_detached=False, sort_headers=True) */
static PyObject *
jwsapi_encode(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const names[] = {"payload", "key", "algorithm", "headers", "json_encoder",
                                        "is_payload_detached", "sort_headers"};
    PyObject *argv[7];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args("encode", args, nargs, kwnames, names, 7, 7, 2, argv) < 0
        || api_ready(a) < 0) {
        return NULL;
    }
    int detached = argv[5] ? PyObject_IsTrue(argv[5]) : 0;
    int sort = argv[6] ? PyObject_IsTrue(argv[6]) : 1;
    if (detached < 0 || sort < 0) {
        return NULL;
    }
    Py_buffer v;
    if (PyUnicode_Check(argv[0]) || PyObject_GetBuffer(argv[0], &v, PyBUF_SIMPLE) < 0) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "a bytes-like object is required, not '%.100s'",
                         Py_TYPE(argv[0])->tp_name);
        }
        return NULL;
    }
    PyObject *r = jws_encode_impl(st, a, v.buf, (size_t)v.len, argv[1], argv[2], argv[3], argv[4],
                                  detached, sort, 0);
    PyBuffer_Release(&v);
    return r;
}

/* ---- decode: the token ------------------------------------------------------------------ */

/* Registered header parameter names (RFC 7515 section 4.1, RFC 7516 section
 * 4.1, RFC 7518 section 4): never valid in "crit" (RFC 7515 section 4.1.11). */
static const char *const registered_headers[] = {
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
    "enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
};

/* Critical extensions sesstok understands (as PyJWT: RFC 7797's b64). */
static int
is_supported_crit(PyObject *name)
{
    return PyUnicode_CompareWithASCIIString(name, "b64") == 0;
}

typedef struct {
    PyObject *owner;        /* keeps the token bytes alive */
    const char *data;
    size_t n;
    sesstok_jws_parts parts;
    PyObject *header;       /* dict */
    int header_shared;      /* header is the cache's: copy before handing it out */
    PyObject *alg_obj;      /* borrowed from header, or NULL */
    PyObject *kid;          /* borrowed from header, or NULL */
    int b64;                /* 0 when the header has "b64": false */
    unsigned char *payload; /* into scratch */
    size_t payload_len;
    unsigned char *sig;     /* into scratch */
    size_t sig_len;
    unsigned char *scratch;
    unsigned char inline_scratch[768];
} jws_token;

static void
token_clear(jws_token *t)
{
    Py_CLEAR(t->owner);
    Py_CLEAR(t->header);
    if (t->scratch != NULL && t->scratch != t->inline_scratch) {
        PyMem_Free(t->scratch);
    }
    t->scratch = NULL;
}

/* The raised exception as an instance (a new reference), clearing it. */
static PyObject *
take_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value != NULL && tb != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

/* Re-raise a strict JSON error as DecodeError("Invalid <what> string: ..."),
 * chained to the original. */
static void
rewrap_json_error(sesstok_state *st, const char *what)
{
    PyObject *decode = jwt_exc(st, EXC_DECODE);
    if (decode == NULL || !PyErr_ExceptionMatches(decode)) {
        return;
    }
    PyObject *orig = take_exception();
    jwt_raise(st, EXC_DECODE, "Invalid %s string: %S", what, orig);
    PyObject *now = take_exception();
    if (now == NULL) {
        Py_XDECREF(orig);
        return;
    }
    if (orig != NULL) {
        PyException_SetCause(now, orig); /* steals orig */
    }
    PyErr_SetObject((PyObject *)Py_TYPE(now), now);
    Py_DECREF(now);
}

/* PyJWS._validate_crit, plus: no duplicates and no registered names. */
static int
validate_crit(sesstok_state *st, PyObject *header, PyObject *crit)
{
    if (!PyList_Check(crit) || PyList_GET_SIZE(crit) == 0) {
        return RAISE_INT(st, EXC_INVALID_TOKEN, "Invalid 'crit' header: must be a non-empty list");
    }
    Py_ssize_t n = PyList_GET_SIZE(crit);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *ext = PyList_GET_ITEM(crit, i);
        if (!PyUnicode_Check(ext)) {
            return RAISE_INT(st, EXC_INVALID_TOKEN, "Invalid 'crit' header: values must be strings");
        }
        for (size_t r = 0; r < sizeof(registered_headers) / sizeof(registered_headers[0]); r++) {
            if (PyUnicode_CompareWithASCIIString(ext, registered_headers[r]) == 0) {
                return RAISE_INT(st, EXC_INVALID_TOKEN,
                                 "Invalid 'crit' header: '%U' is a registered header parameter",
                                 ext);
            }
        }
        if (!is_supported_crit(ext)) {
            return RAISE_INT(st, EXC_INVALID_TOKEN, "Unsupported critical extension: %U", ext);
        }
        int has = PyDict_Contains(header, ext);
        if (has < 0) {
            return -1;
        }
        if (!has) {
            return RAISE_INT(st, EXC_INVALID_TOKEN, "Critical extension '%U' is missing from headers",
                             ext);
        }
        for (Py_ssize_t j = 0; j < i; j++) {
            int eq = PyUnicode_Compare(PyList_GET_ITEM(crit, j), ext);
            if (eq == 0) {
                return RAISE_INT(st, EXC_INVALID_TOKEN, "Invalid 'crit' header: '%U' is listed twice",
                                 ext);
            }
            if (eq == -1 && PyErr_Occurred()) {
                return -1;
            }
        }
    }
    return 0;
}

/* The parse of recently seen header segments (header segment bytes -> the
 * header dict): tokens from one issuer share their header byte for byte.
 * Only headers whose members are all scalars are kept, so a dict handed out
 * (always as a copy) can share nothing mutable with the cache. The key is
 * the exact segment, so the cache holds only what the parser would return;
 * it is emptied when full. */
#define HEADER_CACHE_MAX 64
#define HEADER_CACHE_MAX_LEN 512

static int
header_cacheable(PyObject *header)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(header, &pos, &key, &value)) {
        if (!(PyUnicode_CheckExact(value) || PyLong_CheckExact(value) || PyFloat_CheckExact(value)
              || value == Py_None || PyBool_Check(value))) {
            return 0;
        }
    }
    return 1;
}

static int token_load_rest(sesstok_state *st, jws_token *t, unsigned char *payload_buf);

/* A header dict to hand out (a new reference): a copy of a cached one. */
static PyObject *
token_header(jws_token *t)
{
    return t->header_shared ? PyDict_Copy(t->header) : Py_NewRef(t->header);
}

/* Load and check the token's structure: mirrors PyJWS._load and
 * PyJWS._validate_headers, with sesstok's strictness: a length limit checked
 * first, exactly three segments, canonical base64url only, strict JSON. */
static int
token_load(sesstok_state *st, PyObject *jwt, const jwt_opts *o, jws_token *t)
{
    memset(t, 0, offsetof(jws_token, inline_scratch));
    if (PyUnicode_Check(jwt)) {
        if (PyUnicode_GET_LENGTH(jwt) > o->max_length) {
            return RAISE_INT(st, EXC_DECODE, "Token is longer than %zd bytes", o->max_length);
        }
        Py_ssize_t n;
        if (PyUnicode_IS_ASCII(jwt)) {
            t->data = (const char *)PyUnicode_1BYTE_DATA(jwt);
            n = PyUnicode_GET_LENGTH(jwt);
        }
        else {
            t->data = PyUnicode_AsUTF8AndSize(jwt, &n);
            if (t->data == NULL) {
                PyErr_Clear();
                return RAISE_INT(st, EXC_DECODE, "Invalid token: not valid UTF-8");
            }
        }
        t->n = (size_t)n;
    }
    else if (PyBytes_Check(jwt)) {
        t->data = PyBytes_AS_STRING(jwt);
        t->n = (size_t)PyBytes_GET_SIZE(jwt);
    }
    else {
        return RAISE_INT(st, EXC_DECODE, "Invalid token type. Token must be a <class 'bytes'>");
    }
    t->owner = Py_NewRef(jwt);
    int rc = sesstok_jws_split(t->data, t->n, (size_t)o->max_length, &t->parts);
    if (rc != SESSTOK_JWS_OK) {
        if (rc == SESSTOK_JWS_E_TOO_LONG) {
            return RAISE_INT(st, EXC_DECODE, "Token is longer than %zd bytes", o->max_length);
        }
        return RAISE_INT(st, EXC_DECODE, "%s", sesstok_jws_strerror(rc));
    }
    const sesstok_jws_parts *p = &t->parts;

    /* scratch for the decoded header, payload and signature */
    size_t need = sesstok_b64url_decoded_max(p->header_len)
                  + sesstok_b64url_decoded_max(p->payload_len)
                  + sesstok_b64url_decoded_max(p->signature_len);
    if (need <= sizeof(t->inline_scratch)) {
        t->scratch = t->inline_scratch;
    }
    else if ((t->scratch = PyMem_Malloc(need)) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    unsigned char *hdr = t->scratch;
    size_t hlen = 0;
    PyObject *seg = NULL; /* the header segment, as the cache's key */
    if (p->header_len <= HEADER_CACHE_MAX_LEN) {
        seg = PyBytes_FromStringAndSize(t->data + p->header_start, (Py_ssize_t)p->header_len);
        if (seg == NULL) {
            return -1;
        }
        PyObject *hit = PyDict_GetItemWithError(st->jwt_header_cache, seg);
        if (hit != NULL) {
            t->header = Py_NewRef(hit);
            t->header_shared = 1;
            Py_CLEAR(seg);
        }
        else if (PyErr_Occurred()) {
            Py_DECREF(seg);
            return -1;
        }
    }
    if (t->header == NULL) {
        if (sesstok_jws_decode_segment(t->data + p->header_start, p->header_len, hdr, &hlen) != 0) {
            Py_XDECREF(seg);
            return RAISE_INT(st, EXC_DECODE, "Invalid header padding");
        }
        PyObject *decode_exc = jwt_exc(st, EXC_DECODE);
        if (decode_exc == NULL) {
            Py_XDECREF(seg);
            return -1;
        }
        t->header = sesstok_json_decode_strict((const char *)hdr, (Py_ssize_t)hlen, o->max_depth,
                                               decode_exc);
        if (t->header == NULL) {
            Py_XDECREF(seg);
            rewrap_json_error(st, "header");
            return -1;
        }
        if (!PyDict_CheckExact(t->header)) {
            Py_XDECREF(seg);
            return RAISE_INT(st, EXC_DECODE, "Invalid header string: must be a json object");
        }
    }
    int rc_rest = token_load_rest(st, t, hdr + hlen);
    if (rc_rest == 0 && seg != NULL && header_cacheable(t->header)) {
        /* a header that passed every content check: remember its parse */
        if (PyDict_GET_SIZE(st->jwt_header_cache) >= HEADER_CACHE_MAX) {
            PyDict_Clear(st->jwt_header_cache);
        }
        if (PyDict_SetItem(st->jwt_header_cache, seg, t->header) < 0) {
            rc_rest = -1;
        }
        t->header_shared = 1;
    }
    Py_XDECREF(seg);
    return rc_rest;
}

/* The rest of token_load once the header is parsed: b64, the payload and
 * signature segments, and PyJWS._validate_headers. payload_buf is where the
 * decoded payload goes. */
static int
token_load_rest(sesstok_state *st, jws_token *t, unsigned char *payload_buf)
{
    const sesstok_jws_parts *p = &t->parts;
    PyObject *b64 = PyDict_GetItemWithError(t->header, NAME(st, N_B64));
    if (b64 == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (b64 != NULL && b64 != Py_True && b64 != Py_False) {
        return RAISE_INT(st, EXC_DECODE, "Invalid header string: 'b64' must be a boolean");
    }
    t->b64 = b64 != Py_False;
    t->payload = payload_buf;
    if (!t->b64) {
        /* the detached form (RFC 7515 Appendix F): nothing to decode */
        if (p->payload_len != 0) {
            return RAISE_INT(st, EXC_DECODE, "Payload segment must be empty when 'b64' is false.");
        }
        t->payload_len = 0;
    }
    else if (sesstok_jws_decode_segment(t->data + p->payload_start, p->payload_len, t->payload,
                                        &t->payload_len) != 0) {
        return RAISE_INT(st, EXC_DECODE, "Invalid payload padding");
    }
    t->sig = t->payload + t->payload_len;
    if (sesstok_jws_decode_segment(t->data + p->signature_start, p->signature_len, t->sig,
                                   &t->sig_len) != 0) {
        return RAISE_INT(st, EXC_DECODE, "Invalid crypto padding");
    }

    /* PyJWS._validate_headers */
    t->kid = PyDict_GetItemWithError(t->header, NAME(st, N_KID));
    if (t->kid == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (t->kid != NULL && !PyUnicode_Check(t->kid)) {
        return RAISE_INT(st, EXC_INVALID_TOKEN, "Key ID header parameter must be a string");
    }
    PyObject *crit = PyDict_GetItemWithError(t->header, NAME(st, N_CRIT));
    if (crit == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (crit != NULL && validate_crit(st, t->header, crit) < 0) {
        return -1;
    }
    t->alg_obj = PyDict_GetItemWithError(t->header, NAME(st, N_ALG));
    if (t->alg_obj == NULL && PyErr_Occurred()) {
        return -1;
    }
    return 0;
}

/* ---- decode: the signature -------------------------------------------------------------- */

/* Where the keys come from: one key (PyJWT.decode's `key`), or a Decoder's
 * table. */
typedef struct {
    JwtKeyObject *key;      /* borrowed; or NULL */
    PyObject *key_obj;      /* the caller's key object, resolved lazily (str/bytes) */
    struct DecoderObject *decoder;
} key_source;

typedef struct {
    unsigned allowed;       /* algorithms allowed for this call */
    unsigned registered;    /* algorithms the instance offers */
    PyObject *algorithms;   /* the caller's list, for messages */
    int enforce_min;
} alg_policy;

struct dec_entry;
static int decoder_verify(sesstok_state *st, struct DecoderObject *d, int alg, PyObject *kid,
                          const unsigned char *msg, size_t n, const unsigned char *sig,
                          size_t siglen);

/* The algorithm of a token, checked against the policy: mirrors the start of
 * PyJWS._verify_signature. Return the id or -1 (InvalidAlgorithmError). */
static int
token_alg(sesstok_state *st, jws_token *t, const alg_policy *pol, int bound_alg)
{
    if (t->alg_obj == NULL) {
        return RAISE_INT(st, EXC_INVALID_ALG, "Algorithm not specified");
    }
    if (!PyUnicode_Check(t->alg_obj)) {
        return RAISE_INT(st, EXC_INVALID_ALG, "The specified alg value is not allowed");
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(t->alg_obj, &n);
    if (s == NULL) {
        return -1;
    }
    int alg = alg_from_utf8(s, n);
    if (alg < 0) {
        if (n > 0 && !is_none_utf8(s, n) && algorithms_lists(pol->algorithms, t->alg_obj)) {
            return RAISE_INT(st, EXC_INVALID_ALG, "Algorithm not supported");
        }
        return RAISE_INT(st, EXC_INVALID_ALG, "The specified alg value is not allowed");
    }
    if (!(pol->allowed & (1u << alg))) {
        return RAISE_INT(st, EXC_INVALID_ALG, "The specified alg value is not allowed");
    }
    if (bound_alg >= 0 && alg != bound_alg) {
        return RAISE_INT(st, EXC_INVALID_ALG,
                         "Token algorithm '%s' does not match the key's algorithm '%s'",
                         algs[alg].name, algs[bound_alg].name);
    }
    if (!(pol->registered & (1u << alg))) {
        return RAISE_INT(st, EXC_INVALID_ALG, "Algorithm not supported");
    }
    return alg;
}

/* Verify the token's signature; mirrors PyJWS._verify_signature.
 * signing input: the token's first two segments, or header "." detached. */
static int
token_verify(sesstok_state *st, jws_token *t, key_source *ks, const alg_policy *pol,
             const unsigned char *msg, size_t msglen)
{
    int bound = ks->key != NULL ? ks->key->bound_alg : -1;
    int alg = token_alg(st, t, pol, bound);
    if (alg < 0) {
        return -1;
    }
    int ok;
    if (ks->decoder != NULL) {
        ok = decoder_verify(st, ks->decoder, alg, t->kid, msg, msglen, t->sig, t->sig_len);
    }
    else {
        JwtKeyObject *k = ks->key;
        if (k == NULL) {
            k = resolve_key(st, ks->key_obj, algs[alg].family == FAM_HMAC);
            if (k == NULL) {
                return -1;
            }
        }
        else {
            Py_INCREF(k);
        }
        ok = key_check_alg(st, k, alg) < 0 || key_check_length(st, k, alg, pol->enforce_min) < 0
                 ? -1
                 : key_verify(st, k, alg, msg, msglen, t->sig, t->sig_len);
        Py_DECREF(k);
    }
    if (ok < 0) {
        return -1;
    }
    if (!ok) {
        return RAISE_INT(st, EXC_INVALID_SIGNATURE, "Signature verification failed");
    }
    return 0;
}

/* ---- decode: claims ----------------------------------------------------------------------- */

/* NumericDates are accepted in [0, 2**53]: integers and finite floats (bool,
 * str, null, lists and objects are refused), so C never converts an
 * out-of-range value. The value compared is int(v), as in PyJWT. */
#define NUMERIC_DATE_MAX 9007199254740992.0

/* 1: *out set; 0: wrong type or out of range (no exception); -1: error */
static int
numeric_date(PyObject *v, double *out)
{
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow || x < 0 || x > (1LL << 53)) {
            return 0;
        }
        *out = (double)x;
        return 1;
    }
    if (PyFloat_CheckExact(v)) {
        double x = PyFloat_AS_DOUBLE(v);
        if (!isfinite(x) || x < 0 || x > NUMERIC_DATE_MAX) {
            return 0;
        }
        *out = trunc(x);
        return 1;
    }
    return 0;
}

/* The current time, read from time.time() at call time (tests patch it). */
static int
now_time(sesstok_state *st, double *now, int *have)
{
    if (*have) {
        return 0;
    }
    PyObject *t = PyObject_CallMethodNoArgs(st->time_module, st->str_time);
    if (t == NULL) {
        return -1;
    }
    *now = PyFloat_AsDouble(t);
    Py_DECREF(t);
    if (*now == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    *have = 1;
    return 0;
}

static int
contains_str(PyObject *list, PyObject *item, int *found)
{
    *found = 0;
    Py_ssize_t n = PyList_GET_SIZE(list);
    for (Py_ssize_t i = 0; i < n; i++) {
        int eq = PyObject_RichCompareBool(PyList_GET_ITEM(list, i), item, Py_EQ);
        if (eq < 0) {
            return -1;
        }
        if (eq) {
            *found = 1;
            return 0;
        }
    }
    return 0;
}

/* mirrors PyJWT._validate_aud */
static int
validate_aud(sesstok_state *st, PyObject *payload, PyObject *audience, int strict)
{
    PyObject *claims = PyDict_GetItemWithError(payload, NAME(st, N_AUD));
    if (claims == NULL && PyErr_Occurred()) {
        return -1;
    }
    int truthy = claims ? PyObject_IsTrue(claims) : 0;
    if (truthy < 0) {
        return -1;
    }
    if (audience == NULL) {
        if (!truthy) {
            return 0;
        }
        return RAISE_INT(st, EXC_INVALID_AUDIENCE, "Invalid audience");
    }
    if (!truthy) {
        return raise_missing_claim(st, NAME(st, N_AUD));
    }
    if (strict) {
        if (!PyUnicode_Check(audience)) {
            return RAISE_INT(st, EXC_INVALID_AUDIENCE, "Invalid audience (strict)");
        }
        if (!PyUnicode_Check(claims)) {
            return RAISE_INT(st, EXC_INVALID_AUDIENCE, "Invalid claim format in token (strict)");
        }
        int eq = PyObject_RichCompareBool(audience, claims, Py_EQ);
        if (eq < 0) {
            return -1;
        }
        if (!eq) {
            return RAISE_INT(st, EXC_INVALID_AUDIENCE, "Audience doesn't match (strict)");
        }
        return 0;
    }
    PyObject *list;
    if (PyUnicode_Check(claims)) {
        list = PyList_New(1);
        if (list == NULL) {
            return -1;
        }
        PyList_SET_ITEM(list, 0, Py_NewRef(claims));
    }
    else if (PyList_Check(claims)) {
        list = Py_NewRef(claims);
    }
    else {
        return RAISE_INT(st, EXC_INVALID_AUDIENCE, "Invalid claim format in token");
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        if (!PyUnicode_Check(PyList_GET_ITEM(list, i))) {
            Py_DECREF(list);
            return RAISE_INT(st, EXC_INVALID_AUDIENCE, "Invalid claim format in token");
        }
    }
    int found = 0;
    if (PyUnicode_Check(audience)) {
        if (contains_str(list, audience, &found) < 0) {
            Py_DECREF(list);
            return -1;
        }
    }
    else {
        PyObject *it = PyObject_GetIter(audience), *a;
        if (it == NULL) {
            Py_DECREF(list);
            return -1;
        }
        while (!found && (a = PyIter_Next(it)) != NULL) {
            int rc = contains_str(list, a, &found);
            Py_DECREF(a);
            if (rc < 0) {
                break;
            }
        }
        Py_DECREF(it);
        if (PyErr_Occurred()) {
            Py_DECREF(list);
            return -1;
        }
    }
    Py_DECREF(list);
    if (!found) {
        return RAISE_INT(st, EXC_INVALID_AUDIENCE, "Audience doesn't match");
    }
    return 0;
}

/* mirrors PyJWT._validate_iss */
static int
validate_iss(sesstok_state *st, PyObject *payload, PyObject *issuer)
{
    if (issuer == NULL) {
        return 0;
    }
    PyObject *iss = PyDict_GetItemWithError(payload, NAME(st, N_ISS));
    if (iss == NULL) {
        return PyErr_Occurred() ? -1 : raise_missing_claim(st, NAME(st, N_ISS));
    }
    if (!PyUnicode_Check(iss)) {
        return RAISE_INT(st, EXC_INVALID_ISSUER, "Payload Issuer (iss) must be a string");
    }
    if (PyUnicode_Check(issuer)) {
        int eq = PyObject_RichCompareBool(iss, issuer, Py_EQ);
        if (eq < 0) {
            return -1;
        }
        return eq ? 0 : RAISE_INT(st, EXC_INVALID_ISSUER, "Invalid issuer");
    }
    int in = PySequence_Contains(issuer, iss);
    if (in < 0) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) {
            return -1;
        }
        PyErr_Clear();
        return RAISE_INT(st, EXC_INVALID_ISSUER, "Issuer param must be \"str\" or \"Container[str]\"");
    }
    return in ? 0 : RAISE_INT(st, EXC_INVALID_ISSUER, "Invalid issuer");
}

/* mirrors PyJWT._validate_sub; stricter: with `subject` given, a token
 * without "sub" is refused (MissingRequiredClaimError), as for "iss". */
static int
validate_sub(sesstok_state *st, PyObject *payload, PyObject *subject)
{
    PyObject *sub = PyDict_GetItemWithError(payload, NAME(st, N_SUB));
    if (sub == NULL) {
        if (PyErr_Occurred()) {
            return -1;
        }
        return subject != NULL ? raise_missing_claim(st, NAME(st, N_SUB)) : 0;
    }
    if (!PyUnicode_Check(sub)) {
        return RAISE_INT(st, EXC_INVALID_SUBJECT, "Subject must be a string");
    }
    if (subject != NULL) {
        int eq = PyObject_RichCompareBool(sub, subject, Py_EQ);
        if (eq < 0) {
            return -1;
        }
        if (!eq) {
            return RAISE_INT(st, EXC_INVALID_SUBJECT, "Invalid subject");
        }
    }
    return 0;
}

typedef struct {
    PyObject *audience, *issuer, *subject; /* borrowed; NULL for None */
    double leeway;
} claim_args;

/* mirrors PyJWT._validate_claims (order of the checks included) */
static int
validate_claims(sesstok_state *st, PyObject *payload, const jwt_opts *o, const claim_args *c)
{
    double now = 0, v;
    int have_now = 0;
    if (c->audience != NULL && !PyUnicode_Check(c->audience) && Py_TYPE(c->audience)->tp_iter == NULL) {
        PyErr_SetString(PyExc_TypeError, "audience must be a string, iterable or None");
        return -1;
    }
    if (o->require != NULL && !(PyList_Check(o->require) && PyList_GET_SIZE(o->require) == 0)) {
        PyObject *it = PyObject_GetIter(o->require), *claim;
        if (it == NULL) {
            return -1;
        }
        while ((claim = PyIter_Next(it)) != NULL) {
            PyObject *val = PyDict_GetItemWithError(payload, claim);
            if ((val == NULL && !PyErr_Occurred()) || val == Py_None) {
                raise_missing_claim(st, claim);
            }
            Py_DECREF(claim);
            if (PyErr_Occurred()) {
                break;
            }
        }
        Py_DECREF(it);
        if (PyErr_Occurred()) {
            return -1;
        }
    }
    static const struct {
        int name;
        jwt_exc_id exc;
        const char *type_msg;
    } dates[] = {
        {N_IAT, EXC_INVALID_IAT, "Issued At claim (iat) must be an integer."},
        {N_NBF, EXC_DECODE, "Not Before claim (nbf) must be an integer."},
        {N_EXP, EXC_DECODE, "Expiration Time claim (exp) must be an integer."},
    };
    const int enabled[] = {o->verify_iat, o->verify_nbf, o->verify_exp};
    for (int i = 0; i < 3; i++) {
        if (!enabled[i]) {
            continue;
        }
        PyObject *val = PyDict_GetItemWithError(payload, NAME(st, dates[i].name));
        if (val == NULL) {
            if (PyErr_Occurred()) {
                return -1;
            }
            continue;
        }
        int rc = numeric_date(val, &v);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            return RAISE_INT(st, dates[i].exc, "%s", dates[i].type_msg);
        }
        if (now_time(st, &now, &have_now) < 0) {
            return -1;
        }
        if (dates[i].name == N_IAT && v > now + c->leeway) {
            return RAISE_INT(st, EXC_IMMATURE, "The token is not yet valid (iat)");
        }
        if (dates[i].name == N_NBF && v > now + c->leeway) {
            return RAISE_INT(st, EXC_IMMATURE, "The token is not yet valid (nbf)");
        }
        if (dates[i].name == N_EXP && v <= now - c->leeway) {
            return RAISE_INT(st, EXC_EXPIRED, "Signature has expired");
        }
    }
    if (o->verify_iss && validate_iss(st, payload, c->issuer) < 0) {
        return -1;
    }
    if (o->verify_aud && validate_aud(st, payload, c->audience, o->strict_aud) < 0) {
        return -1;
    }
    if (o->verify_sub && validate_sub(st, payload, c->subject) < 0) {
        return -1;
    }
    if (o->verify_jti) {
        PyObject *jti = PyDict_GetItemWithError(payload, NAME(st, N_JTI));
        if (jti == NULL && PyErr_Occurred()) {
            return -1;
        }
        if (jti != NULL && !PyUnicode_Check(jti)) {
            return RAISE_INT(st, EXC_INVALID_JTI, "JWT ID must be a string");
        }
    }
    return 0;
}

/* leeway: a number or a timedelta; must be finite. */
static int
leeway_arg(sesstok_state *st, PyObject *leeway, double *out)
{
    *out = 0;
    if (leeway == NULL) {
        return 0;
    }
    if (PyLong_CheckExact(leeway) || PyFloat_CheckExact(leeway)) {
        *out = PyFloat_AsDouble(leeway);
    }
    else {
        if (load_datetime(st) < 0) {
            return -1;
        }
        int is_td = PyObject_IsInstance(leeway, st->py_timedelta_type);
        if (is_td < 0) {
            return -1;
        }
        if (is_td) {
            PyObject *s = PyObject_CallMethodNoArgs(leeway, NAME(st, N_TOTAL_SECONDS));
            if (s == NULL) {
                return -1;
            }
            *out = PyFloat_AsDouble(s);
            Py_DECREF(s);
        }
        else if (PyNumber_Check(leeway)) {
            *out = PyFloat_AsDouble(leeway);
        }
        else {
            PyErr_Format(PyExc_TypeError, "leeway must be a number or a timedelta, not %.100s",
                         Py_TYPE(leeway)->tp_name);
            return -1;
        }
    }
    if (*out == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    if (!isfinite(*out)) {
        PyErr_SetString(PyExc_ValueError, "leeway must be finite");
        return -1;
    }
    return 0;
}

/* ---- decode: the driver ------------------------------------------------------------------ */

typedef struct {
    int jwt_mode;          /* parse the payload as JSON claims */
    int complete;          /* return {"payload", "header", "signature"} */
    jwt_opts opt;
    key_source ks;
    alg_policy pol;
    claim_args claims;
    PyObject *detached;    /* detached_payload, or NULL */
    PyObject *self;        /* the PyJWT object, for overridden hooks */
    int hooks;
    PyObject *options_arg; /* the call's options (for an overridden _validate_claims) */
} decode_req;

static PyObject *
make_complete(sesstok_state *st, PyObject *payload, PyObject *header, PyObject *sig)
{
    PyObject *d = PyDict_New();
    if (d == NULL || PyDict_SetItem(d, NAME(st, N_PAYLOAD), payload) < 0
        || PyDict_SetItem(d, NAME(st, N_HEADER), header) < 0
        || PyDict_SetItem(d, NAME(st, N_SIGNATURE), sig) < 0) {
        Py_XDECREF(d);
        return NULL;
    }
    return d;
}

/* Call an overridden PyJWT._validate_claims(payload, options, audience=,
 * issuer=, subject=, leeway=). */
static int
call_validate_hook(sesstok_state *st, decode_req *r, PyObject *payload)
{
    PyObject *merged = PyObject_CallMethod(r->self, "_merge_options", "O",
                                           r->options_arg ? r->options_arg : Py_None);
    if (merged == NULL) {
        return -1;
    }
    PyObject *kw = Py_BuildValue("{O:O,O:O,O:O,O:d}", NAME(st, N_AUDIENCE),
                                 r->claims.audience ? r->claims.audience : Py_None,
                                 NAME(st, N_ISSUER), r->claims.issuer ? r->claims.issuer : Py_None,
                                 NAME(st, N_SUBJECT), r->claims.subject ? r->claims.subject : Py_None,
                                 NAME(st, N_LEEWAY), r->claims.leeway);
    PyObject *fn = kw ? PyObject_GetAttr(r->self, NAME(st, N_VALIDATE_CLAIMS)) : NULL;
    PyObject *args = fn ? PyTuple_Pack(2, payload, merged) : NULL;
    PyObject *res = args ? PyObject_Call(fn, args, kw) : NULL;
    Py_DECREF(merged);
    Py_XDECREF(kw);
    Py_XDECREF(fn);
    Py_XDECREF(args);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

/* Mirrors PyJWS.decode_complete, and for JWTs PyJWT.decode_complete. */
static PyObject *
decode_run(sesstok_state *st, PyObject *jwt, decode_req *r)
{
    jws_token t;
    sesstok_buf detached_input;
    Py_buffer dv = {.obj = NULL};
    PyObject *payload = NULL, *sig = NULL, *result = NULL;
    sesstok_buf_init(&detached_input);
    t.scratch = NULL;
    t.owner = NULL;
    t.header = NULL;

    if (token_load(st, jwt, &r->opt, &t) < 0) {
        goto done;
    }
    if (r->detached != NULL && t.b64) {
        jwt_raise(st, EXC_DECODE, "It is only valid to pass \"detached_payload\" when the "
                                  "protected header has \"b64\" set to false.");
        goto done;
    }
    const unsigned char *msg = (const unsigned char *)t.data;
    size_t msglen = t.parts.signing_input_len;
    if (!t.b64) {
        if (r->jwt_mode) {
            jwt_raise(st, EXC_INVALID_TOKEN, "A JWT cannot have \"b64\": false (RFC 7797 payloads "
                                             "are for JWS only)");
            goto done;
        }
        PyObject *crit = PyDict_GetItemWithError(t.header, NAME(st, N_CRIT));
        int listed = crit ? PySequence_Contains(crit, NAME(st, N_B64)) : 0;
        if (listed < 0 || (crit == NULL && PyErr_Occurred())) {
            goto done;
        }
        if (!listed) {
            jwt_raise(st, EXC_INVALID_TOKEN,
                      "The 'b64' header parameter requires 'b64' to be listed in 'crit'.");
            goto done;
        }
        if (r->detached == NULL) {
            jwt_raise(st, EXC_DECODE,
                      "It is required that you pass in a value for the \"detached_payload\" "
                      "argument to decode a message having the b64 header set to false.");
            goto done;
        }
        if (PyObject_GetBuffer(r->detached, &dv, PyBUF_SIMPLE) < 0) {
            goto done;
        }
        if (sesstok_buf_append(&detached_input, t.data, t.parts.header_len + 1) < 0
            || sesstok_buf_append(&detached_input, dv.buf, (size_t)dv.len) < 0) {
            PyErr_NoMemory();
            goto done;
        }
        msg = detached_input.data;
        msglen = detached_input.len;
    }
    if (r->opt.verify_signature && token_verify(st, &t, &r->ks, &r->pol, msg, msglen) < 0) {
        goto done;
    }
    sig = PyBytes_FromStringAndSize((const char *)t.sig, (Py_ssize_t)t.sig_len);
    if (sig == NULL) {
        goto done;
    }
    if (!t.b64) {
        payload = Py_NewRef(r->detached);
    }
    else if (!r->jwt_mode || (r->hooks & HOOK_DECODE_PAYLOAD)) {
        payload = PyBytes_FromStringAndSize((const char *)t.payload, (Py_ssize_t)t.payload_len);
        if (payload == NULL) {
            goto done;
        }
        if (r->jwt_mode) {
            PyObject *hdr = token_header(&t);
            PyObject *decoded = hdr ? make_complete(st, payload, hdr, sig) : NULL;
            Py_XDECREF(hdr);
            Py_SETREF(payload, decoded ? PyObject_CallMethodOneArg(r->self, NAME(st, N_DECODE_PAYLOAD),
                                                                   decoded)
                                       : NULL);
            Py_XDECREF(decoded);
            if (payload == NULL) {
                goto done;
            }
        }
    }
    else {
        PyObject *decode_exc = jwt_exc(st, EXC_DECODE);
        if (decode_exc == NULL) {
            goto done;
        }
        payload = sesstok_json_decode_strict((const char *)t.payload, (Py_ssize_t)t.payload_len,
                                             r->opt.max_depth, decode_exc);
        if (payload == NULL) {
            rewrap_json_error(st, "payload");
            goto done;
        }
        if (!PyDict_CheckExact(payload)) {
            jwt_raise(st, EXC_DECODE, "Invalid payload string: must be a json object");
            goto done;
        }
    }
    if (r->jwt_mode) {
        if (r->hooks & HOOK_VALIDATE_CLAIMS) {
            if (call_validate_hook(st, r, payload) < 0) {
                goto done;
            }
        }
        else if (!PyDict_Check(payload)) {
            PyErr_SetString(PyExc_TypeError, "_decode_payload must return a dict");
            goto done;
        }
        else if (validate_claims(st, payload, &r->opt, &r->claims) < 0) {
            goto done;
        }
    }
    if (r->complete) {
        PyObject *hdr = token_header(&t);
        result = hdr ? make_complete(st, payload, hdr, sig) : NULL;
        Py_XDECREF(hdr);
    }
    else {
        result = Py_NewRef(payload);
    }
done:
    if (dv.obj != NULL) {
        PyBuffer_Release(&dv);
    }
    sesstok_buf_free(&detached_input);
    Py_XDECREF(payload);
    Py_XDECREF(sig);
    token_clear(&t);
    return result;
}

/* The shared part of PyJWT/PyJWS decode and decode_complete. */
static PyObject *
api_decode(PyObject *op, sesstok_state *st, int jwt_mode, int complete, PyObject **argv,
           PyObject *extra, const char *fname)
{
    /* argv: jwt, key, algorithms, options, verify, detached_payload,
     * audience, subject, issuer, leeway */
    ApiObject *a = Api_CAST(op);
    decode_req r;
    PyObject *result = NULL;
    JwtKeyObject *k = NULL;
    memset(&r, 0, sizeof(r));
    if (api_ready(a) < 0) {
        return NULL;
    }
    if (extra != NULL && warn_extra_kwargs(st, fname, extra) < 0) {
        goto done;
    }
    PyObject *options = argv[3] == NULL || argv[3] == Py_None ? NULL : argv[3];
    r.jwt_mode = jwt_mode;
    r.complete = complete;
    r.self = op;
    r.hooks = a->hooks;
    r.options_arg = options;
    if ((jwt_mode ? opts_merge_jwt(st, &a->base, options, &r.opt)
                  : opts_merge_jws(st, &a->base, options, &r.opt)) < 0) {
        goto done;
    }
    PyObject *verify = argv[4];
    if (jwt_mode && verify != NULL && verify != Py_None) {
        PyObject *vs = Py_True;
        if (options != NULL) {
            vs = PyDict_GetItemWithError(options, NAME(st, N_VERIFY_SIGNATURE));
            if (vs == NULL) {
                if (PyErr_Occurred()) {
                    goto done;
                }
                vs = Py_True;
            }
        }
        int ne = PyObject_RichCompareBool(verify, vs, Py_NE);
        if (ne < 0) {
            goto done;
        }
        if (ne && PyErr_WarnEx(PyExc_DeprecationWarning,
                               "The `verify` argument to `decode` does nothing in PyJWT 2.0 and "
                               "newer. The equivalent is setting `verify_signature` to False in "
                               "the `options` dictionary. This invocation has a mismatch between "
                               "the kwarg and the option entry.",
                               1) < 0) {
            goto done;
        }
    }
    PyObject *key = argv[1] ? argv[1] : NAME(st, N_EMPTY); /* PyJWT's default key "" */
    PyObject *algorithms = argv[2] ? argv[2] : Py_None;
    r.detached = argv[5] == NULL || argv[5] == Py_None ? NULL : argv[5];
    if (r.opt.verify_signature) {
        int bound = -1;
        if (!PyUnicode_CheckExact(key) && !PyBytes_CheckExact(key)) {
            if ((k = resolve_key(st, key, 0)) == NULL) {
                goto done;
            }
            bound = k->bound_alg;
        }
        int given = PyObject_IsTrue(algorithms);
        if (given < 0) {
            goto done;
        }
        if (!given && bound < 0) {
            jwt_raise(st, EXC_DECODE, "It is required that you pass in a value for the "
                                      "\"algorithms\" argument when calling decode().");
            goto done;
        }
        if (algorithms == Py_None) {
            r.pol.allowed = 1u << bound;
        }
        else if (algorithms_mask(st, algorithms, &r.pol.allowed) < 0) {
            goto done;
        }
        r.pol.registered = a->registered;
        r.pol.algorithms = algorithms;
        r.pol.enforce_min = r.opt.enforce_min;
        r.ks.key = k;
        r.ks.key_obj = key;
    }
    if (jwt_mode) {
        r.claims.audience = argv[6] == NULL || argv[6] == Py_None ? NULL : argv[6];
        r.claims.subject = argv[7] == NULL || argv[7] == Py_None ? NULL : argv[7];
        r.claims.issuer = argv[8] == NULL || argv[8] == Py_None ? NULL : argv[8];
        if (leeway_arg(st, argv[9], &r.claims.leeway) < 0) {
            goto done;
        }
    }
    result = decode_run(st, argv[0], &r);
done:
    Py_XDECREF(k);
    opts_release(&r.opt); /* r.opt owned its require: another thread may have
                           * changed the options while this one ran without the GIL */
    return result;
}

/* PyJWT.decode(jwt, key="", algorithms=None, options=None, verify=None,
 * detached_payload=None, audience=None, subject=None, issuer=None, leeway=0,
 * **kwargs) */
static PyObject *
jwtapi_decode(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const names[] = {"jwt", "key", "algorithms", "options", "verify",
                                        "detached_payload", "audience", "subject", "issuer",
                                        "leeway"};
    PyObject *argv[10], *extra;
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args_extra("decode", args, nargs, kwnames, names, 10, 10, 1, argv, &extra) < 0) {
        return NULL;
    }
    PyObject *r = api_decode(op, st, 1, 0, argv, extra, "decode");
    Py_XDECREF(extra);
    return r;
}

/* PyJWT.decode_complete(jwt, key="", algorithms=None, options=None,
 * verify=None, detached_payload=None, audience=None, issuer=None,
 * subject=None, leeway=0, **kwargs) -- note issuer/subject order */
static PyObject *
jwtapi_decode_complete(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames)
{
    static const char *const names[] = {"jwt", "key", "algorithms", "options", "verify",
                                        "detached_payload", "audience", "issuer", "subject",
                                        "leeway"};
    PyObject *argv[10], *extra;
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args_extra("decode_complete", args, nargs, kwnames, names, 10, 10, 1, argv, &extra)
        < 0) {
        return NULL;
    }
    PyObject *swapped = argv[7]; /* to the decode order: subject, issuer */
    argv[7] = argv[8];
    argv[8] = swapped;
    PyObject *r = api_decode(op, st, 1, 1, argv, extra, "decode_complete");
    Py_XDECREF(extra);
    return r;
}

/* PyJWS.decode / decode_complete(jwt, key="", algorithms=None, options=None,
 * detached_payload=None, **kwargs) */
static PyObject *
jwsapi_decode_common(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames, int complete)
{
    static const char *const names[] = {"jwt", "key", "algorithms", "options", "detached_payload"};
    const char *fname = complete ? "decode_complete" : "decode";
    PyObject *in[5], *argv[10] = {NULL}, *extra;
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args_extra(fname, args, nargs, kwnames, names, 5, 5, 1, in, &extra) < 0) {
        return NULL;
    }
    argv[0] = in[0];
    argv[1] = in[1];
    argv[2] = in[2];
    argv[3] = in[3] ? in[3] : Py_None;
    argv[5] = in[4] ? in[4] : Py_None;
    PyObject *r = api_decode(op, st, 0, complete, argv, extra, fname);
    Py_XDECREF(extra);
    return r;
}

static PyObject *
jwsapi_decode(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    return jwsapi_decode_common(op, defcls, args, nargs, kwnames, 0);
}

static PyObject *
jwsapi_decode_complete(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    return jwsapi_decode_common(op, defcls, args, nargs, kwnames, 1);
}

/* get_unverified_header(jwt): mirrors PyJWS.get_unverified_header. */
static PyObject *
api_get_unverified_header(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                          Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"jwt"};
    PyObject *argv[1];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = key_state(defcls);
    jws_token t;
    if (sesstok_parse_args("get_unverified_header", args, nargs, kwnames, names, 1, 1, 1, argv) < 0
        || api_ready(a) < 0) {
        return NULL;
    }
    t.scratch = NULL;
    t.owner = NULL;
    t.header = NULL;
    PyObject *r = NULL;
    if (token_load(st, argv[0], &a->base, &t) == 0) {
        r = token_header(&t);
    }
    token_clear(&t);
    return r;
}

static PyObject *
api_get_algorithms(PyObject *op, PyObject *unused)
{
    ApiObject *a = Api_CAST(op);
    return mask_to_names(a->configured ? a->registered : ALL_ALGS);
}

static PyMethodDef jwtapi_methods[] = {
    {"_configure", (PyCFunction)(void (*)(void))api_configure, METH_MK, NULL},
    {"encode", (PyCFunction)(void (*)(void))jwtapi_encode, METH_MK,
     "encode(payload, key, algorithm='HS256', headers=None, json_encoder=None, sort_headers=True)"
     "\n--\n\nEncode the payload dict as a JWT (PyJWT.encode)."},
    {"decode", (PyCFunction)(void (*)(void))jwtapi_decode, METH_MK,
     "decode(jwt, key='', algorithms=None, options=None, verify=None, detached_payload=None, "
     "audience=None, subject=None, issuer=None, leeway=0, **kwargs)\n--\n\n"
     "Verify the token and its claims; return the claims (PyJWT.decode)."},
    {"decode_complete", (PyCFunction)(void (*)(void))jwtapi_decode_complete, METH_MK,
     "decode_complete(jwt, key='', algorithms=None, options=None, verify=None, "
     "detached_payload=None, audience=None, issuer=None, subject=None, leeway=0, **kwargs)"
     "\n--\n\nAs decode, returning {'payload', 'header', 'signature'}."},
    {"get_unverified_header", (PyCFunction)(void (*)(void))api_get_unverified_header, METH_MK,
     "get_unverified_header(jwt)\n--\n\nThe header, checked but not verified."},
    {"get_algorithms", api_get_algorithms, METH_NOARGS,
     "get_algorithms()\n--\n\nThe supported algorithm names."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef jwsapi_methods[] = {
    {"_configure", (PyCFunction)(void (*)(void))api_configure, METH_MK, NULL},
    {"encode", (PyCFunction)(void (*)(void))jwsapi_encode, METH_MK,
     "encode(payload, key, algorithm='HS256', headers=None, json_encoder=None, "
     "is_payload_detached=False, sort_headers=True)\n--\n\nSign payload bytes (PyJWS.encode)."},
    {"decode", (PyCFunction)(void (*)(void))jwsapi_decode, METH_MK,
     "decode(jwt, key='', algorithms=None, options=None, detached_payload=None, **kwargs)"
     "\n--\n\nVerify the token; return the payload bytes (PyJWS.decode)."},
    {"decode_complete", (PyCFunction)(void (*)(void))jwsapi_decode_complete, METH_MK,
     "decode_complete(jwt, key='', algorithms=None, options=None, detached_payload=None, "
     "**kwargs)\n--\n\nAs decode, returning {'payload', 'header', 'signature'}."},
    {"get_unverified_header", (PyCFunction)(void (*)(void))api_get_unverified_header, METH_MK,
     "get_unverified_header(jwt)\n--\n\nThe header, checked but not verified."},
    {"get_algorithms", api_get_algorithms, METH_NOARGS,
     "get_algorithms()\n--\n\nThe supported algorithm names."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot jwtapi_slots[] = {
    {Py_tp_doc, "The C half of sesstok.jwt.PyJWT."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, api_dealloc},
    {Py_tp_traverse, api_traverse},
    {Py_tp_clear, api_clear},
    {Py_tp_methods, jwtapi_methods},
    {0, NULL},
};

static PyType_Slot jwsapi_slots[] = {
    {Py_tp_doc, "The C half of sesstok.jwt.PyJWS."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, api_dealloc},
    {Py_tp_traverse, api_traverse},
    {Py_tp_clear, api_clear},
    {Py_tp_methods, jwsapi_methods},
    {0, NULL},
};

static PyType_Spec jwtapi_spec = {
    .name = "sesstok._core.JwtApi",
    .basicsize = sizeof(ApiObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = jwtapi_slots,
};

static PyType_Spec jwsapi_spec = {
    .name = "sesstok._core.JwsApi",
    .basicsize = sizeof(ApiObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = jwsapi_slots,
};

/* ---- Decoder ---------------------------------------------------------------------------- */

typedef struct dec_entry {
    JwtKeyObject *key;
    PyObject *kid; /* str or NULL */
    unsigned mask; /* algorithms this key verifies (key type & the Decoder's algorithms) */
} dec_entry;

typedef struct DecoderObject {
    PyObject_HEAD
    dec_entry *entries;
    Py_ssize_t n;
    unsigned allowed;
    int kid_less;         /* some key has no kid */
    jwt_opts opt;         /* owns opt.require: a tuple, taken at init */
    PyObject *options;    /* a private copy of the options given, with that tuple */
    PyObject *algorithms; /* tuple of names */
    PyObject *audience, *issuer, *subject;
    double leeway;
} DecoderObject;

#define Decoder_CAST(op) ((DecoderObject *)(op))

static void
decoder_release(DecoderObject *d)
{
    for (Py_ssize_t i = 0; i < d->n; i++) {
        Py_CLEAR(d->entries[i].key);
        Py_CLEAR(d->entries[i].kid);
    }
    PyMem_Free(d->entries);
    d->entries = NULL;
    d->n = 0;
}

static int
decoder_traverse(PyObject *op, visitproc visit, void *arg)
{
    DecoderObject *d = Decoder_CAST(op);
    Py_VISIT(Py_TYPE(op));
    for (Py_ssize_t i = 0; i < d->n; i++) {
        Py_VISIT(d->entries[i].key);
    }
    Py_VISIT(d->opt.require);
    Py_VISIT(d->options);
    Py_VISIT(d->algorithms);
    Py_VISIT(d->audience);
    Py_VISIT(d->issuer);
    Py_VISIT(d->subject);
    return 0;
}

static int
decoder_clear(PyObject *op)
{
    DecoderObject *d = Decoder_CAST(op);
    decoder_release(d);
    Py_CLEAR(d->options);
    Py_CLEAR(d->algorithms);
    Py_CLEAR(d->audience);
    Py_CLEAR(d->issuer);
    Py_CLEAR(d->subject);
    opts_release(&d->opt);
    return 0;
}

static void
decoder_dealloc(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    decoder_clear(op);
    tp->tp_free(op);
    Py_DECREF(tp);
}

/* Choose the key(s) for a token and verify: a token's kid selects the key
 * with that kid; keys configured without a kid are tried when no kid matches
 * (or the token has none). A kid never reaches anything but configured keys.
 * Return 1 valid, 0 invalid, -1 error. */
static int
decoder_verify(sesstok_state *st, DecoderObject *d, int alg, PyObject *kid,
               const unsigned char *msg, size_t n, const unsigned char *sig, size_t siglen)
{
    unsigned bit = 1u << alg;
    int any_alg = 0, tried = 0;
    if (kid != NULL) {
        for (Py_ssize_t i = 0; i < d->n; i++) {
            dec_entry *e = &d->entries[i];
            if (e->kid == NULL) {
                continue;
            }
            int eq = PyUnicode_Compare(e->kid, kid);
            if (eq == -1 && PyErr_Occurred()) {
                return -1;
            }
            if (eq == 0) {
                if (!(e->mask & bit)) {
                    return RAISE_INT(st, EXC_INVALID_ALG, "The specified alg value is not allowed");
                }
                return key_verify(st, e->key, alg, msg, n, sig, siglen);
            }
        }
    }
    for (Py_ssize_t i = 0; i < d->n; i++) {
        dec_entry *e = &d->entries[i];
        if (!(e->mask & bit)) {
            continue;
        }
        any_alg = 1;
        if (kid != NULL && e->kid != NULL) {
            continue; /* a different kid */
        }
        tried = 1;
        int rc = key_verify(st, e->key, alg, msg, n, sig, siglen);
        if (rc != 0) {
            return rc;
        }
    }
    if (!any_alg) {
        return RAISE_INT(st, EXC_INVALID_ALG, "The specified alg value is not allowed");
    }
    if (!tried) {
        return RAISE_INT(st, EXC_INVALID_SIGNATURE, "No key matches the token's key ID (kid)");
    }
    return 0;
}

/* The Decoder's own copy of its options dict: o->require becomes a tuple
 * (a snapshot nobody can change) and the copy holds that tuple, so what
 * Decoder.options shows is what decode uses. Return the copy, or NULL with
 * an exception set (o then owns nothing). */
static PyObject *
decoder_own_options(sesstok_state *st, PyObject *options, jwt_opts *o)
{
    PyObject *copy = NULL;
    if (o->require != NULL) {
        Py_SETREF(o->require, PySequence_Tuple(o->require));
        if (o->require == NULL) {
            return NULL;
        }
    }
    copy = PyDict_Copy(options);
    if (copy == NULL
        || (o->require != NULL && PyDict_SetItem(copy, NAME(st, N_REQUIRE), o->require) < 0)) {
        Py_XDECREF(copy);
        opts_release(o);
        return NULL;
    }
    return copy;
}

/* JwtDecoder(entries, algorithms, options, audience, issuer, subject, leeway):
 * entries is a list of (JwtKey, kid or None); sesstok.jwt.Decoder builds it
 * and checks the key set (no mixed symmetric/asymmetric keys, no duplicate
 * kids, key lengths). options is a complete options dict. */
static int
decoder_init(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"entries", "algorithms", "options", "audience", "issuer", "subject",
                             "leeway", NULL};
    PyObject *entries, *algorithms, *options, *audience, *issuer, *subject, *leeway;
    DecoderObject *d = Decoder_CAST(op);
    sesstok_state *st = sesstok_state_from_type(Py_TYPE(op));
    if (st == NULL
        || !PyArg_ParseTupleAndKeywords(args, kwargs, "O!OO!OOOO:JwtDecoder", kwlist, &PyList_Type,
                                        &entries, &algorithms, &PyDict_Type, &options, &audience,
                                        &issuer, &subject, &leeway)) {
        return -1;
    }
    if (d->n > 0) {
        /* decode releases the GIL while it holds pointers into the key table */
        PyErr_SetString(PyExc_RuntimeError, "a Decoder cannot be initialized twice");
        return -1;
    }
    jwt_opts o;
    unsigned allowed;
    double lw;
    if (opts_from_full(st, options, &o) < 0) {
        return -1;
    }
    PyObject *own_options = decoder_own_options(st, options, &o);
    if (own_options == NULL) {
        return -1;
    }
    if (algorithms_mask(st, algorithms, &allowed) < 0 || leeway_arg(st, leeway, &lw) < 0) {
        goto error;
    }
    if (allowed == 0) {
        PyErr_SetString(PyExc_ValueError, "a Decoder needs at least one supported algorithm");
        goto error;
    }
    if (!o.verify_signature) {
        PyErr_SetString(PyExc_ValueError, "a Decoder always verifies signatures");
        goto error;
    }
    Py_ssize_t n = PyList_GET_SIZE(entries);
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "a Decoder needs at least one key");
        goto error;
    }
    dec_entry *es = PyMem_Calloc((size_t)n, sizeof(dec_entry));
    if (es == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    int kid_less = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(entries, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2
            || !Py_IS_TYPE(PyTuple_GET_ITEM(item, 0), st->JwtKeyType)
            || (PyTuple_GET_ITEM(item, 1) != Py_None && !PyUnicode_Check(PyTuple_GET_ITEM(item, 1)))) {
            PyErr_SetString(PyExc_TypeError, "entries must be (JwtKey, kid or None) pairs");
            for (Py_ssize_t j = 0; j < i; j++) {
                Py_XDECREF(es[j].key);
                Py_XDECREF(es[j].kid);
            }
            PyMem_Free(es);
            goto error;
        }
        es[i].key = (JwtKeyObject *)Py_NewRef(PyTuple_GET_ITEM(item, 0));
        PyObject *kid = PyTuple_GET_ITEM(item, 1);
        es[i].kid = kid == Py_None ? NULL : Py_NewRef(kid);
        es[i].mask = key_alg_mask(es[i].key) & allowed;
        kid_less |= es[i].kid == NULL;
    }
    PyObject *names = mask_to_names(allowed);
    if (names == NULL) {
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_XDECREF(es[j].key);
            Py_XDECREF(es[j].kid);
        }
        PyMem_Free(es);
        goto error;
    }
    decoder_clear(op);
    d->entries = es;
    d->n = n;
    d->allowed = allowed;
    d->kid_less = kid_less;
    d->opt = o;               /* owns o.require */
    d->options = own_options; /* owned */
    d->algorithms = names;
    d->audience = audience == Py_None ? NULL : Py_NewRef(audience);
    d->issuer = issuer == Py_None ? NULL : Py_NewRef(issuer);
    d->subject = subject == Py_None ? NULL : Py_NewRef(subject);
    d->leeway = lw;
    return 0;
error:
    opts_release(&o);
    Py_DECREF(own_options);
    return -1;
}

static PyObject *
decoder_run(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames, int complete, int jwt_mode)
{
    static const char *const names[] = {"jwt"};
    PyObject *argv[1];
    DecoderObject *d = Decoder_CAST(op);
    sesstok_state *st = key_state(defcls);
    if (sesstok_parse_args(!jwt_mode ? "decode_jws" : complete ? "decode_complete" : "decode", args,
                           nargs, kwnames, names, 1, 1, 1, argv) < 0) {
        return NULL;
    }
    if (d->n == 0) {
        PyErr_SetString(PyExc_RuntimeError, "Decoder is not initialized");
        return NULL;
    }
    decode_req r;
    memset(&r, 0, sizeof(r));
    r.jwt_mode = jwt_mode;
    r.complete = complete;
    opts_copy(&r.opt, &d->opt);
    r.ks.decoder = d;
    r.pol.allowed = d->allowed;
    r.pol.registered = ALL_ALGS;
    r.pol.algorithms = d->algorithms;
    r.pol.enforce_min = d->opt.enforce_min;
    r.claims.audience = d->audience;
    r.claims.issuer = d->issuer;
    r.claims.subject = d->subject;
    r.claims.leeway = d->leeway;
    PyObject *result = decode_run(st, argv[0], &r);
    opts_release(&r.opt);
    return result;
}

static PyObject *
decoder_decode(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    return decoder_run(op, defcls, args, nargs, kwnames, 0, 1);
}

static PyObject *
decoder_decode_complete(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames)
{
    return decoder_run(op, defcls, args, nargs, kwnames, 1, 1);
}

static PyObject *
decoder_decode_jws(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    return decoder_run(op, defcls, args, nargs, kwnames, 0, 0);
}

static PyObject *
decoder_get_algorithms(PyObject *op, void *c)
{
    DecoderObject *d = Decoder_CAST(op);
    return Py_NewRef(d->algorithms ? d->algorithms : Py_None);
}

/* A read-only view of the Decoder's own copy of its options. */
static PyObject *
decoder_get_options(PyObject *op, void *c)
{
    DecoderObject *d = Decoder_CAST(op);
    if (d->options == NULL) {
        Py_RETURN_NONE;
    }
    return PyDictProxy_New(d->options);
}

static PyObject *
decoder_get_keys(PyObject *op, void *c)
{
    DecoderObject *d = Decoder_CAST(op);
    PyObject *t = PyTuple_New(d->n);
    for (Py_ssize_t i = 0; t != NULL && i < d->n; i++) {
        PyObject *pair = PyTuple_Pack(2, d->entries[i].key, d->entries[i].kid ? d->entries[i].kid : Py_None);
        if (pair == NULL) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, pair);
    }
    return t;
}

static PyMethodDef decoder_methods[] = {
    {"decode", (PyCFunction)(void (*)(void))decoder_decode, METH_MK,
     "decode(jwt)\n--\n\nVerify the token and its claims with the configured keys and "
     "options; return the claims."},
    {"decode_complete", (PyCFunction)(void (*)(void))decoder_decode_complete, METH_MK,
     "decode_complete(jwt)\n--\n\nAs decode, returning {'payload', 'header', 'signature'}."},
    {"decode_jws", (PyCFunction)(void (*)(void))decoder_decode_jws, METH_MK,
     "decode_jws(jwt)\n--\n\nVerify a JWS with the configured keys and return its payload "
     "bytes (no JSON, no claims: for payloads that are not JWT claims)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef decoder_getset[] = {
    {"algorithms", decoder_get_algorithms, NULL, "The accepted algorithms.", NULL},
    {"keys", decoder_get_keys, NULL, "The configured (key, kid) pairs.", NULL},
    {"options", decoder_get_options, NULL,
     "The options, read-only: a Decoder copies them (\"require\" as a tuple) when made.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot decoder_slots[] = {
    {Py_tp_doc, "The C half of sesstok.jwt.Decoder: verification with prepared keys."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, decoder_init},
    {Py_tp_dealloc, decoder_dealloc},
    {Py_tp_traverse, decoder_traverse},
    {Py_tp_clear, decoder_clear},
    {Py_tp_methods, decoder_methods},
    {Py_tp_getset, decoder_getset},
    {0, NULL},
};

static PyType_Spec decoder_spec = {
    .name = "sesstok._core.JwtDecoder",
    .basicsize = sizeof(DecoderObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = decoder_slots,
};

/* ---- Encoder ----------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    JwtKeyObject *key;
    int alg;
    PyObject *header_b64;   /* bytes: the base64url header, computed once */
    PyObject *json_encoder; /* or NULL */
} EncoderObject;

#define Encoder_CAST(op) ((EncoderObject *)(op))

static int
encoder_traverse(PyObject *op, visitproc visit, void *arg)
{
    EncoderObject *e = Encoder_CAST(op);
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(e->key);
    Py_VISIT(e->header_b64);
    Py_VISIT(e->json_encoder);
    return 0;
}

static int
encoder_clear(PyObject *op)
{
    EncoderObject *e = Encoder_CAST(op);
    Py_CLEAR(e->key);
    Py_CLEAR(e->header_b64);
    Py_CLEAR(e->json_encoder);
    return 0;
}

static void
encoder_dealloc(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    encoder_clear(op);
    tp->tp_free(op);
    Py_DECREF(tp);
}

/* JwtEncoder(key, algorithm, header_b64, json_encoder): sesstok.jwt.Encoder
 * computes the header (exactly as PyJWT.encode would) and checks the key. */
static int
encoder_init(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"key", "algorithm", "header_b64", "json_encoder", NULL};
    PyObject *key, *algorithm, *header, *json_encoder;
    EncoderObject *e = Encoder_CAST(op);
    sesstok_state *st = sesstok_state_from_type(Py_TYPE(op));
    if (st == NULL
        || !PyArg_ParseTupleAndKeywords(args, kwargs, "O!OO!O:JwtEncoder", kwlist, st->JwtKeyType,
                                        &key, &algorithm, &PyBytes_Type, &header, &json_encoder)) {
        return -1;
    }
    if (e->key != NULL) {
        /* encode releases the GIL while it uses the key */
        PyErr_SetString(PyExc_RuntimeError, "an Encoder cannot be initialized twice");
        return -1;
    }
    int alg = alg_arg(st, algorithm);
    if (alg < 0 || key_check_alg(st, JwtKey_CAST(key), alg) < 0) {
        return -1;
    }
    if (algs[alg].family != FAM_HMAC && !JwtKey_CAST(key)->pk.is_private) {
        jwt_raise(st, EXC_INVALID_KEY, "Signing with %s needs a private key", algs[alg].name);
        return -1;
    }
    encoder_clear(op);
    e->key = (JwtKeyObject *)Py_NewRef(key);
    e->alg = alg;
    e->header_b64 = Py_NewRef(header);
    e->json_encoder = json_encoder == Py_None ? NULL : Py_NewRef(json_encoder);
    return 0;
}

/* Encoder.encode(payload): PyJWT.encode with everything but the payload
 * prepared. */
static PyObject *
encoder_encode(PyObject *op, PyTypeObject *defcls, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const names[] = {"payload"};
    PyObject *argv[1];
    EncoderObject *e = Encoder_CAST(op);
    sesstok_state *st = key_state(defcls);
    unsigned char sig[SIG_MAX];
    size_t siglen;
    if (sesstok_parse_args("encode", args, nargs, kwnames, names, 1, 1, 1, argv) < 0) {
        return NULL;
    }
    if (e->key == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Encoder is not initialized");
        return NULL;
    }
    PyObject *payload = jwt_prepare_payload(st, argv[0]);
    if (payload == NULL) {
        return NULL;
    }
    sesstok_buf json, out;
    PyObject *r = NULL;
    sesstok_buf_init(&json);
    sesstok_buf_init(&out);
    if (json_dumps_into(st, &json, payload, e->json_encoder, 0) < 0) {
        goto done;
    }
    if (sesstok_buf_append(&out, PyBytes_AS_STRING(e->header_b64),
                           (size_t)PyBytes_GET_SIZE(e->header_b64)) < 0
        || sesstok_buf_putc(&out, '.') < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (buf_b64(&out, json.data, json.len) < 0
        || key_sign(st, e->key, e->alg, out.data, out.len, sig, &siglen) < 0) {
        goto done;
    }
    if (sesstok_buf_putc(&out, '.') < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (buf_b64(&out, sig, siglen) == 0) {
        r = ascii_str(out.data, out.len);
    }
done:
    Py_DECREF(payload);
    sesstok_buf_free(&json);
    sesstok_buf_free(&out);
    return r;
}

static PyObject *
encoder_get_algorithm(PyObject *op, void *c)
{
    EncoderObject *e = Encoder_CAST(op);
    if (e->key == NULL) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(algs[e->alg].name);
}

static PyObject *
encoder_get_key(PyObject *op, void *c)
{
    EncoderObject *e = Encoder_CAST(op);
    return Py_NewRef(e->key ? (PyObject *)e->key : Py_None);
}

static PyMethodDef encoder_methods[] = {
    {"encode", (PyCFunction)(void (*)(void))encoder_encode, METH_MK,
     "encode(payload)\n--\n\nThe JWT for payload (a dict), signed with the prepared key and "
     "header."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef encoder_getset[] = {
    {"algorithm", encoder_get_algorithm, NULL, "The signing algorithm.", NULL},
    {"key", encoder_get_key, NULL, "The prepared key.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot encoder_slots[] = {
    {Py_tp_doc, "The C half of sesstok.jwt.Encoder: signing with a prepared key and header."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, encoder_init},
    {Py_tp_dealloc, encoder_dealloc},
    {Py_tp_traverse, encoder_traverse},
    {Py_tp_clear, encoder_clear},
    {Py_tp_methods, encoder_methods},
    {Py_tp_getset, encoder_getset},
    {0, NULL},
};

static PyType_Spec encoder_spec = {
    .name = "sesstok._core.JwtEncoder",
    .basicsize = sizeof(EncoderObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = encoder_slots,
};

/* ---- module functions ------------------------------------------------------------------------- */

/* jwt_json_dumps(obj, json_encoder=None, sort_keys=False) -> bytes: what
 * json.dumps(obj, separators=(",", ":"), cls=json_encoder,
 * sort_keys=sort_keys).encode() returns, in C when it can be. */
static PyObject *
jwt_json_dumps(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"obj", "json_encoder", "sort_keys"};
    PyObject *argv[3];
    sesstok_state *st = sesstok_get_state(module);
    if (sesstok_parse_args("jwt_json_dumps", args, nargs, kwnames, names, 3, 3, 1, argv) < 0) {
        return NULL;
    }
    int sort = argv[2] ? PyObject_IsTrue(argv[2]) : 0;
    if (sort < 0) {
        return NULL;
    }
    sesstok_buf b;
    sesstok_buf_init(&b);
    PyObject *r = NULL;
    if (json_dumps_into(st, &b, argv[0], argv[1], sort) == 0) {
        r = PyBytes_FromStringAndSize((const char *)b.data, (Py_ssize_t)b.len);
    }
    sesstok_buf_free(&b);
    return r;
}

static PyObject *
jwt_key_cache_clear(PyObject *module, PyObject *unused)
{
    PyDict_Clear(sesstok_get_state(module)->jwt_key_cache);
    PyDict_Clear(sesstok_get_state(module)->jwt_id_cache);
    Py_RETURN_NONE;
}

static PyObject *
jwt_key_cache_size(PyObject *module, PyObject *unused)
{
    sesstok_state *st = sesstok_get_state(module);
    return PyLong_FromSsize_t(PyDict_GET_SIZE(st->jwt_key_cache) + PyDict_GET_SIZE(st->jwt_id_cache));
}

/* is_der_certificate(data) -> bool */
static PyObject *
is_der_certificate(PyObject *module, PyObject *arg)
{
    Py_buffer v;
    if (PyObject_GetBuffer(arg, &v, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    int r = sesstok_pkey_is_der_certificate(v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
    return PyBool_FromLong(r);
}

/* ecdsa_der_to_raw(der, coord_len) / ecdsa_raw_to_der(raw): the conversions
 * of jws.c, for tests. */
static PyObject *
ecdsa_der_to_raw(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer v;
    unsigned char out[2 * SESSTOK_ECDSA_MAX_COORD];
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "ecdsa_der_to_raw(der, coord_len)");
        return NULL;
    }
    Py_ssize_t cl = PyNumber_AsSsize_t(args[1], PyExc_OverflowError);
    if (cl == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (cl < 1 || cl > SESSTOK_ECDSA_MAX_COORD) {
        PyErr_SetString(PyExc_ValueError, "coord_len out of range");
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &v, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    int rc = sesstok_ecdsa_der_to_raw(v.buf, (size_t)v.len, (size_t)cl, out);
    PyBuffer_Release(&v);
    if (rc < 0) {
        PyErr_SetString(PyExc_ValueError, "not a strict DER ECDSA signature");
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)out, 2 * cl);
}

static PyObject *
ecdsa_raw_to_der(PyObject *module, PyObject *arg)
{
    Py_buffer v;
    unsigned char out[SESSTOK_ECDSA_MAX_DER];
    if (PyObject_GetBuffer(arg, &v, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    size_t n = v.len % 2 == 0 ? sesstok_ecdsa_raw_to_der(v.buf, (size_t)v.len / 2, out) : 0;
    PyBuffer_Release(&v);
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "raw signature length out of range");
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)n);
}

/* jwt_validate_claims(payload, options, audience=None, issuer=None,
 * subject=None, leeway=0): PyJWT._validate_claims with a complete options
 * dict (the default implementation of sesstok.jwt.PyJWT._validate_claims). */
static PyObject *
jwt_validate_claims_fn(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames)
{
    static const char *const names[] = {"payload", "options", "audience", "issuer", "subject",
                                        "leeway"};
    PyObject *argv[6];
    sesstok_state *st = sesstok_get_state(module);
    jwt_opts o;
    claim_args c;
    if (sesstok_parse_args("jwt_validate_claims", args, nargs, kwnames, names, 6, 6, 2, argv) < 0
        || opts_from_full(st, argv[1], &o) < 0) {
        return NULL;
    }
    if (!PyDict_Check(argv[0])) {
        PyErr_SetString(PyExc_TypeError, "payload must be a dict");
        opts_release(&o);
        return NULL;
    }
#define OPT(i) (argv[i] == NULL || argv[i] == Py_None ? NULL : argv[i])
    c.audience = OPT(2);
    c.issuer = OPT(3);
    c.subject = OPT(4);
#undef OPT
    int rc = leeway_arg(st, argv[5], &c.leeway) < 0 || validate_claims(st, argv[0], &o, &c) < 0;
    opts_release(&o);
    if (rc) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef jwt_functions[] = {
    {"jwt_json_dumps", (PyCFunction)(void (*)(void))jwt_json_dumps, METH_FASTCALL | METH_KEYWORDS,
     "jwt_json_dumps(obj, json_encoder=None, sort_keys=False)\n--\n\n"
     "json.dumps(obj, separators=(',', ':'), cls=json_encoder, sort_keys=sort_keys).encode()"},
    {"jwt_validate_claims", (PyCFunction)(void (*)(void))jwt_validate_claims_fn,
     METH_FASTCALL | METH_KEYWORDS,
     "jwt_validate_claims(payload, options, audience=None, issuer=None, subject=None, leeway=0)"
     "\n--\n\nPyJWT._validate_claims in C (options: a complete options dict)."},
    {"jwt_key_cache_clear", jwt_key_cache_clear, METH_NOARGS,
     "jwt_key_cache_clear()\n--\n\nForget all cached JWT keys."},
    {"jwt_key_cache_size", jwt_key_cache_size, METH_NOARGS,
     "jwt_key_cache_size()\n--\n\nNumber of cached JWT keys."},
    {"is_der_certificate", is_der_certificate, METH_O,
     "is_der_certificate(data, /)\n--\n\nWhether data is a DER X.509 certificate."},
    {"ecdsa_der_to_raw", (PyCFunction)(void (*)(void))ecdsa_der_to_raw, METH_FASTCALL,
     "ecdsa_der_to_raw(der, coord_len, /)\n--\n\nStrict DER ECDSA signature to raw R||S."},
    {"ecdsa_raw_to_der", ecdsa_raw_to_der, METH_O,
     "ecdsa_raw_to_der(raw, /)\n--\n\nRaw R||S to DER."},
    {NULL, NULL, 0, NULL},
};

int
sesstok_jwt_exec(PyObject *m)
{
    sesstok_state *st = sesstok_get_state(m);
    if ((st->jwt_names = PyTuple_New(N_COUNT)) == NULL) {
        return -1;
    }
    for (int i = 0; i < N_COUNT; i++) {
        PyObject *s = PyUnicode_InternFromString(name_strings[i]);
        if (s == NULL) {
            return -1;
        }
        PyTuple_SET_ITEM(st->jwt_names, i, s);
    }
    if ((st->jwt_alg_names = PyTuple_New(ALG_COUNT)) == NULL) {
        return -1;
    }
    for (int i = 0; i < ALG_COUNT; i++) {
        PyObject *s = PyUnicode_InternFromString(algs[i].name);
        if (s == NULL) {
            return -1;
        }
        PyTuple_SET_ITEM(st->jwt_alg_names, i, s);
    }
    if ((st->jwt_key_cache = PyDict_New()) == NULL || (st->jwt_id_cache = PyDict_New()) == NULL
        || (st->jwt_header_cache = PyDict_New()) == NULL) {
        return -1;
    }
#define ADD_TYPE(field, spec)                                                       \
    st->field = (PyTypeObject *)PyType_FromModuleAndSpec(m, &spec, NULL);          \
    if (st->field == NULL || PyModule_AddType(m, st->field) < 0) {                 \
        return -1;                                                                 \
    }
    ADD_TYPE(JwtKeyType, key_spec)
    ADD_TYPE(JwtApiType, jwtapi_spec)
    ADD_TYPE(JwsApiType, jwsapi_spec)
    ADD_TYPE(JwtEncoderType, encoder_spec)
    ADD_TYPE(JwtDecoderType, decoder_spec)
#undef ADD_TYPE
    if (PyModule_AddObjectRef(m, "JWT_ALGORITHMS", st->jwt_alg_names) < 0
        || PyModule_AddIntConstant(m, "JWT_DEFAULT_MAX_TOKEN_LENGTH", SESSTOK_JWS_DEFAULT_MAX_LENGTH) < 0
        || PyModule_AddIntConstant(m, "JWT_DEFAULT_MAX_JSON_DEPTH", DEFAULT_JWT_MAX_DEPTH) < 0) {
        return -1;
    }
    return PyModule_AddFunctions(m, jwt_functions);
}
