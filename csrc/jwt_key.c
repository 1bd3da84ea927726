/* jwt_key.c - what a prepared JwtKey does: the algorithm and key-length
 * policy (PyJWT's Algorithm.prepare_key and check_key_length), signing and
 * verification (HMAC with precomputed states; RS/PS/ES/EdDSA through pkey.c
 * with the GIL released), and the bounded cache that maps the key objects
 * callers pass (str, bytes, PyJWK, dicts, cryptography keys) to JwtKeys.
 * The type itself (constructors, attributes) is in jwt_key_type.c. */
#include "jwt.h"

JwtKeyObject *
sesstok_jwt_key_alloc(sesstok_state *st, key_kind kind)
{
    PyTypeObject *tp = st->jwt.KeyType;
    JwtKeyObject *k = (JwtKeyObject *)tp->tp_alloc(tp, 0);
    if (k == NULL) {
        return NULL;
    }
    k->kind = kind;
    k->bound_alg = -1;
    sesstok_pkey_init(&k->pk);
    return k;
}

const char *
sesstok_jwt_pkey_kind_name(const sesstok_pkey *pk)
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

/* ---- policy ------------------------------------------------------------- */

static sesstok_pkey_kind
family_pkey_kind(jwt_family fam)
{
    return fam == FAM_EC   ? SESSTOK_PKEY_EC
           : fam == FAM_ED ? SESSTOK_PKEY_ED25519
                           : SESSTOK_PKEY_RSA;
}

static const char *
article_kind_name(sesstok_pkey_kind kind)
{
    return kind == SESSTOK_PKEY_EC    ? "an EC"
           : kind == SESSTOK_PKEY_RSA ? "an RSA"
                                      : "an Ed25519";
}

int
sesstok_jwt_key_check_alg(sesstok_state *st, JwtKeyObject *k, int alg)
{
    const jwt_alg_info *info = &sesstok_jwt_algs[alg];
    if (info->family == FAM_HMAC) {
        if (k->kind != KEY_HMAC) {
            return sesstok_jwt_fail(
                st, EXC_INVALID_KEY,
                "The specified key is an asymmetric key or x509 "
                "certificate and should not be used as an HMAC "
                "secret.");
        }
        return 0;
    }
    if (k->kind != KEY_ASYM) {
        return sesstok_jwt_fail(st, EXC_INVALID_KEY,
                                "Could not parse the provided public key.");
    }
    sesstok_pkey_kind want = family_pkey_kind(info->family);
    if (k->pk.kind != want) {
        return sesstok_jwt_fail(st, EXC_INVALID_KEY,
                                "Expected %s key for %s, got %s key",
                                article_kind_name(want), info->name,
                                sesstok_jwt_pkey_kind_name(&k->pk));
    }
    if (info->family == FAM_EC && k->pk.curve != info->curve) {
        return sesstok_jwt_fail(
            st, EXC_INVALID_KEY,
            "The key's curve '%s' does not match the expected "
            "curve '%s' for this algorithm",
            sesstok_curve_openssl_name(k->pk.curve),
            sesstok_curve_openssl_name(info->curve));
    }
    return 0;
}

/* PyJWT's check_key_length message for k and alg (a new reference), or NULL
 * (no exception) when the key is long enough. */
static PyObject *
key_length_message(sesstok_state *st, JwtKeyObject *k, int alg)
{
    if (k->kind == KEY_HMAC) {
        Py_ssize_t len = PyBytes_GET_SIZE(k->secret);
        int ds = EVP_MD_get_size(sesstok_jwt_alg_md(st, alg));
        if (len >= ds) {
            return NULL;
        }
        return PyUnicode_FromFormat(
            "The HMAC key is %zd bytes long, which is below the minimum "
            "recommended length of %d bytes for SHA%s. See RFC 7518 Section "
            "3.2.",
            len, ds, sesstok_jwt_algs[alg].name + 2);
    }
    if (k->pk.kind == SESSTOK_PKEY_RSA && k->pk.bits < 2048) {
        return PyUnicode_FromFormat(
            "The RSA key is %d bits long, which is below the minimum "
            "recommended size of 2048 bits. See NIST SP 800-131A.",
            k->pk.bits);
    }
    return NULL;
}

int
sesstok_jwt_key_check_length(sesstok_state *st, JwtKeyObject *k, int alg,
                             int enforce)
{
    PyObject *msg = key_length_message(st, k, alg);
    if (msg == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    int rc = -1;
    if (enforce) {
        PyObject *cls = sesstok_jwt_exc(st, EXC_INVALID_KEY);
        if (cls != NULL) {
            PyErr_SetObject(cls, msg);
        }
    }
    else {
        rc = sesstok_jwt_warn(st, EXC_INSECURE_KEY_WARNING, msg, 1);
    }
    Py_DECREF(msg);
    return rc;
}

unsigned
sesstok_jwt_key_alg_mask(JwtKeyObject *k)
{
    if (k->bound_alg >= 0) {
        return 1u << k->bound_alg;
    }
    unsigned mask = 0;
    for (int a = 0; a < ALG_COUNT; a++) {
        jwt_family f = sesstok_jwt_algs[a].family;
        int ok;
        if (k->kind == KEY_HMAC) {
            ok = f == FAM_HMAC;
        }
        else if (k->pk.kind == SESSTOK_PKEY_RSA) {
            ok = f == FAM_RSA || f == FAM_PSS;
        }
        else if (k->pk.kind == SESSTOK_PKEY_EC) {
            ok = f == FAM_EC && sesstok_jwt_algs[a].curve == k->pk.curve;
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

/* ---- sign and verify ---------------------------------------------------- */

/* The prepared HmacKey for alg (borrowed), made on first use. */
static PyObject *
key_hmac(sesstok_state *st, JwtKeyObject *k, int alg)
{
    int slot = alg - ALG_HS256;
    if (k->hmac[slot] == NULL) {
        PyObject *hk = sesstok_hmac_key_get(
            st, k->secret, NULL, NULL, st->md_name[sesstok_jwt_algs[alg].md]);
        if (hk == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_ValueError,
                             "%s is not available in this OpenSSL",
                             sesstok_jwt_algs[alg].name);
            }
            return NULL;
        }
        k->hmac[slot] = hk;
    }
    return k->hmac[slot];
}

/* HMAC of msg with k for alg into mac (SESSTOK_MAX_DIGEST bytes). */
static int
key_mac(sesstok_state *st, JwtKeyObject *k, int alg, const unsigned char *msg,
        size_t n, unsigned char *mac, size_t *maclen)
{
    PyObject *hk = key_hmac(st, k, alg);
    if (hk == NULL) {
        return -1;
    }
    sesstok_hmac_key *h = sesstok_hmac_key_of(hk);
    if (sesstok_hmac_compute(h, msg, n, mac) < 0) {
        sesstok_raise_openssl_error(PyExc_ValueError, "HMAC");
        return -1;
    }
    *maclen = h->digest_size;
    return 0;
}

/* The digest, the PSS flag and a set-up context (or NULL: pkey.c makes one)
 * for an asymmetric operation. Called with the GIL held; the operation then
 * runs without it: asymmetric operations take tens of microseconds to
 * milliseconds, and the key is immutable once loaded (the caller holds
 * references to it and to the message). */
static EVP_MD_CTX *
pkey_op_ctx(sesstok_state *st, JwtKeyObject *k, int alg, int sign,
            const EVP_MD **md, int *pss)
{
    *md = sesstok_jwt_alg_md(st, alg);
    *pss = sesstok_jwt_algs[alg].family == FAM_PSS;
    return sesstok_pkey_ctx(&k->pk, *md, *pss, sign);
}

int
sesstok_jwt_key_sign(sesstok_state *st, JwtKeyObject *k, int alg,
                     const unsigned char *msg, size_t n, unsigned char *out,
                     size_t *outlen)
{
    if (sesstok_jwt_algs[alg].family == FAM_HMAC) {
        return key_mac(st, k, alg, msg, n, out, outlen);
    }
    const char *why = "signing failed";
    if (!k->pk.is_private) {
        return sesstok_jwt_fail(st, EXC_INVALID_KEY,
                                "Signing with %s needs a private key",
                                sesstok_jwt_algs[alg].name);
    }
    const EVP_MD *md;
    int pss, rc;
    EVP_MD_CTX *ctx = pkey_op_ctx(st, k, alg, 1, &md, &pss);
    Py_BEGIN_ALLOW_THREADS rc =
        sesstok_pkey_sign(&k->pk, ctx, md, pss, msg, n, out, outlen, &why);
    Py_END_ALLOW_THREADS if (rc < 0)
    {
        sesstok_raise_openssl_error(PyExc_ValueError, why);
        return -1;
    }
    return 0;
}

int
sesstok_jwt_key_verify(sesstok_state *st, JwtKeyObject *k, int alg,
                       const unsigned char *msg, size_t n,
                       const unsigned char *sig, size_t siglen)
{
    if (sesstok_jwt_algs[alg].family == FAM_HMAC) {
        unsigned char mac[SESSTOK_MAX_DIGEST];
        size_t maclen;
        if (key_mac(st, k, alg, msg, n, mac, &maclen) < 0) {
            return -1;
        }
        return sesstok_ct_equal(mac, maclen, sig, siglen);
    }
    const char *why = "verification failed";
    const EVP_MD *md;
    int pss, rc;
    EVP_MD_CTX *ctx = pkey_op_ctx(st, k, alg, 0, &md, &pss);
    Py_BEGIN_ALLOW_THREADS rc =
        sesstok_pkey_verify(&k->pk, ctx, md, pss, msg, n, sig, siglen, &why);
    Py_END_ALLOW_THREADS if (rc < 0)
    {
        sesstok_raise_openssl_error(PyExc_ValueError, why);
    }
    return rc;
}

/* ---- the key cache ------------------------------------------------------ */

#define KEY_CACHE_MAX 256

/* Where a key object is cached: by value for hashable objects (str, bytes,
 * PyJWK, private key objects); by identity for unhashable immutable ones
 * (cryptography's public keys define __eq__ but no __hash__), holding a
 * reference so the id stays theirs; never for dicts and lists, which can
 * change after first use. */
typedef struct {
    PyObject *cache;     /* borrowed: the dict to store in, or NULL */
    PyObject *cache_key; /* borrowed obj, or `id` */
    PyObject *id;        /* new reference, or NULL */
} key_slot;

/* Look obj up. Return 1 with *found (a new reference), 0 on a miss with
 * *slot telling where to store the loaded key, -1 on error. */
static int
key_cache_lookup(sesstok_state *st, PyObject *obj, JwtKeyObject **found,
                 key_slot *slot)
{
    slot->cache = st->jwt.key_cache;
    slot->cache_key = obj;
    slot->id = NULL;
    PyObject *k = PyDict_GetItemWithError(st->jwt.key_cache, obj);
    if (k != NULL) {
        *found = (JwtKeyObject *)Py_NewRef(k);
        return 1;
    }
    if (!PyErr_Occurred()) {
        return 0;
    }
    if (!PyErr_ExceptionMatches(PyExc_TypeError)) {
        return -1;
    }
    PyErr_Clear(); /* unhashable */
    slot->cache = NULL;
    if (PyDict_Check(obj) || PyList_Check(obj)) {
        return 0;
    }
    if ((slot->id = PyLong_FromVoidPtr(obj)) == NULL) {
        return -1;
    }
    PyObject *entry = PyDict_GetItemWithError(st->jwt.id_cache, slot->id);
    if (entry != NULL && PyTuple_GET_ITEM(entry, 0) == obj) {
        *found = (JwtKeyObject *)Py_NewRef(PyTuple_GET_ITEM(entry, 1));
        return 1;
    }
    if (PyErr_Occurred()) {
        return -1;
    }
    slot->cache = st->jwt.id_cache;
    slot->cache_key = slot->id;
    return 0;
}

/* Store k for obj where slot says (the cache is emptied when full). */
static int
key_cache_store(sesstok_state *st, key_slot *slot, PyObject *obj, PyObject *k)
{
    if (slot->cache == NULL) {
        return 0;
    }
    PyObject *value = slot->cache == st->jwt.id_cache ? PyTuple_Pack(2, obj, k)
                                                      : Py_NewRef(k);
    if (PyDict_GET_SIZE(slot->cache) >= KEY_CACHE_MAX) {
        PyDict_Clear(slot->cache);
    }
    int rc = value == NULL
                 ? -1
                 : PyDict_SetItem(slot->cache, slot->cache_key, value);
    Py_XDECREF(value);
    return rc;
}

/* sesstok.jwt._load_key(obj, for_hmac), checked to return a JwtKey. */
static PyObject *
key_load(sesstok_state *st, PyObject *obj, int for_hmac)
{
    PyObject *py = sesstok_jwt_py(st);
    PyObject *args[2] = {obj, for_hmac ? Py_True : Py_False};
    PyObject *fn = py ? PyObject_GetAttr(py, NAME(st, N_LOAD_KEY)) : NULL;
    if (fn == NULL) {
        return NULL;
    }
    PyObject *k = PyObject_Vectorcall(fn, args, 2, NULL);
    Py_DECREF(fn);
    if (k != NULL && !Py_IS_TYPE(k, st->jwt.KeyType)) {
        Py_CLEAR(k);
        PyErr_SetString(PyExc_TypeError, "_load_key must return a JwtKey");
    }
    return k;
}

JwtKeyObject *
sesstok_jwt_key_resolve(sesstok_state *st, PyObject *obj, int for_hmac)
{
    if (Py_IS_TYPE(obj, st->jwt.KeyType)) {
        return (JwtKeyObject *)Py_NewRef(obj);
    }
    JwtKeyObject *found = NULL;
    key_slot slot;
    int hit = key_cache_lookup(st, obj, &found, &slot);
    if (hit != 0) {
        Py_XDECREF(slot.id);
        return hit > 0 ? found : NULL;
    }
    PyObject *k = key_load(st, obj, for_hmac);
    if (k != NULL && key_cache_store(st, &slot, obj, k) < 0) {
        Py_CLEAR(k);
    }
    Py_XDECREF(slot.id);
    return (JwtKeyObject *)k;
}

static PyObject *
jwt_key_cache_clear(PyObject *module, PyObject *unused)
{
    sesstok_state *st = sesstok_get_state(module);
    PyDict_Clear(st->jwt.key_cache);
    PyDict_Clear(st->jwt.id_cache);
    Py_RETURN_NONE;
}

static PyObject *
jwt_key_cache_size(PyObject *module, PyObject *unused)
{
    sesstok_state *st = sesstok_get_state(module);
    return PyLong_FromSsize_t(PyDict_GET_SIZE(st->jwt.key_cache) +
                              PyDict_GET_SIZE(st->jwt.id_cache));
}

PyMethodDef sesstok_jwt_key_functions[] = {
    {"jwt_key_cache_clear", jwt_key_cache_clear, METH_NOARGS,
     "jwt_key_cache_clear()\n--\n\nForget all cached JWT keys."},
    {"jwt_key_cache_size", jwt_key_cache_size, METH_NOARGS,
     "jwt_key_cache_size()\n--\n\nNumber of cached JWT keys."},
    {NULL, NULL, 0, NULL},
};
