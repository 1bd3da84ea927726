/* crypto_py.c - digests fetched once, the HmacKey type (prepared HMAC state),
 * the bounded cache of prepared keys, and compare_digest. */
#include "sesstok.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

/* hashlib names and OpenSSL names, in sesstok_md_id order */
static const char *const md_hashlib_names[SESSTOK_MD_COUNT] = {
    "sha1",     "sha224",   "sha256",   "sha384",   "sha512",  "md5",
    "sha3_224", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s",
};
static const char *const md_openssl_names[SESSTOK_MD_COUNT] = {
    "SHA1",     "SHA2-224", "SHA2-256",    "SHA2-384",
    "SHA2-512", "MD5",      "SHA3-224",    "SHA3-256",
    "SHA3-384", "SHA3-512", "BLAKE2B-512", "BLAKE2S-256",
};

/* Prepared keys kept at most; the cache is emptied when it is full. */
#define HMAC_CACHE_MAX 256

const EVP_MD *
sesstok_md_lookup(sesstok_state *st, PyObject *name)
{
    if (!PyUnicode_Check(name)) {
        return NULL;
    }
    for (int i = 0; i < SESSTOK_MD_COUNT; i++) {
        if (st->md_name[i] == name) {
            return st->md[i];
        }
    }
    for (int i = 0; i < SESSTOK_MD_COUNT; i++) {
        if (PyUnicode_Compare(st->md_name[i], name) == 0) {
            return st->md[i];
        }
    }
    if (PyErr_Occurred()) {
        PyErr_Clear();
    }
    return NULL;
}

/* ---- HmacKey --------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD sesstok_hmac_key key;
    PyObject *algorithm;
} HmacKeyObject;

#define HmacKey_CAST(op) ((HmacKeyObject *)(op))

sesstok_hmac_key *
sesstok_hmac_key_of(PyObject *op)
{
    return &HmacKey_CAST(op)->key;
}

/* Build an HmacKey; salt NULL: plain HMAC, else Django's salted derivation.
 * secret_p/salt_p are raw bytes. */
static PyObject *
hmac_key_new_raw(sesstok_state *st, const EVP_MD *md, PyObject *algorithm,
                 const char *secret, Py_ssize_t secretlen, const char *salt,
                 Py_ssize_t saltlen)
{
    PyTypeObject *tp = st->crypto.HmacKeyType;
    HmacKeyObject *self = (HmacKeyObject *)tp->tp_alloc(tp, 0);
    if (self == NULL) {
        return NULL;
    }
    int rc =
        salt == NULL
            ? sesstok_hmac_key_init(&self->key, md,
                                    (const unsigned char *)secret,
                                    (size_t)secretlen)
            : sesstok_hmac_key_init_salted(
                  &self->key, md, (const unsigned char *)salt, (size_t)saltlen,
                  (const unsigned char *)secret, (size_t)secretlen);
    if (rc < 0) {
        Py_DECREF(self);
        return sesstok_raise_openssl_error(PyExc_ValueError, "HMAC key setup");
    }
    self->algorithm = Py_NewRef(algorithm);
    return (PyObject *)self;
}

static PyObject *
hmac_key_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"secret", "algorithm", "salt", NULL};
    PyObject *secret, *algorithm = NULL, *salt = Py_None;
    sesstok_state *st = sesstok_state_from_type(type);
    if (st == NULL) {
        return NULL;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|U$O:HmacKey", kwlist,
                                     &secret, &algorithm, &salt)) {
        return NULL;
    }
    if (algorithm == NULL) {
        algorithm = st->md_name[SESSTOK_MD_SHA256];
    }
    const EVP_MD *md = sesstok_md_lookup(st, algorithm);
    if (md == NULL) {
        PyErr_Format(PyExc_ValueError, "unsupported HMAC algorithm %R",
                     algorithm);
        return NULL;
    }
    Py_buffer sv, tv;
    const char *sp, *tp_ = NULL;
    Py_ssize_t sn, tn = 0;
    int rc = sesstok_bytes_view(secret, &sv, &sp, &sn);
    if (rc != 0) {
        if (rc > 0) {
            PyErr_Format(PyExc_TypeError,
                         "secret must be str or bytes, not %.100s",
                         Py_TYPE(secret)->tp_name);
        }
        return NULL;
    }
    if (salt != Py_None) {
        rc = sesstok_bytes_view(salt, &tv, &tp_, &tn);
        if (rc != 0) {
            if (rc > 0) {
                PyErr_Format(PyExc_TypeError,
                             "salt must be str or bytes, not %.100s",
                             Py_TYPE(salt)->tp_name);
            }
            PyBuffer_Release(&sv);
            return NULL;
        }
    }
    PyObject *result =
        hmac_key_new_raw(st, md, algorithm, sp, sn,
                         salt == Py_None ? NULL : (tp_ ? tp_ : ""), tn);
    if (sv.obj) {
        PyBuffer_Release(&sv);
    }
    if (salt != Py_None && tv.obj) {
        PyBuffer_Release(&tv);
    }
    return result;
}

static void
hmac_key_dealloc(PyObject *op)
{
    HmacKeyObject *self = HmacKey_CAST(op);
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    sesstok_hmac_key_clear(&self->key);
    Py_CLEAR(self->algorithm);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static int
hmac_key_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(HmacKey_CAST(op)->algorithm);
    return 0;
}

/* MAC of bytes-like/str msg into out; return digest length or -1. */
static Py_ssize_t
hmac_key_mac(HmacKeyObject *self, PyObject *msg, unsigned char *out)
{
    Py_buffer view;
    const char *p;
    Py_ssize_t n;
    int rc = sesstok_bytes_view(msg, &view, &p, &n);
    if (rc != 0) {
        if (rc > 0) {
            PyErr_Format(PyExc_TypeError,
                         "message must be str or bytes-like, not %.100s",
                         Py_TYPE(msg)->tp_name);
        }
        return -1;
    }
    rc = sesstok_hmac_compute(&self->key, (const unsigned char *)p, (size_t)n,
                              out);
    if (view.obj) {
        PyBuffer_Release(&view);
    }
    if (rc < 0) {
        sesstok_raise_openssl_error(PyExc_ValueError, "HMAC");
        return -1;
    }
    return (Py_ssize_t)self->key.digest_size;
}

static PyObject *
hmac_key_digest(PyObject *op, PyObject *msg)
{
    unsigned char mac[SESSTOK_MAX_DIGEST];
    Py_ssize_t n = hmac_key_mac(HmacKey_CAST(op), msg, mac);
    return n < 0 ? NULL : PyBytes_FromStringAndSize((const char *)mac, n);
}

static PyObject *
hmac_key_verify(PyObject *op, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError,
                        "verify() takes exactly two arguments (msg, mac)");
        return NULL;
    }
    unsigned char mac[SESSTOK_MAX_DIGEST];
    Py_ssize_t n = hmac_key_mac(HmacKey_CAST(op), args[0], mac);
    if (n < 0) {
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    int eq = sesstok_ct_equal(mac, (size_t)n, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return PyBool_FromLong(eq);
}

static PyObject *
hmac_key_get_digest_size(PyObject *op, void *closure)
{
    return PyLong_FromSize_t(HmacKey_CAST(op)->key.digest_size);
}

static PyObject *
hmac_key_get_algorithm(PyObject *op, void *closure)
{
    return Py_NewRef(HmacKey_CAST(op)->algorithm);
}

static PyMethodDef hmac_key_methods[] = {
    {"digest", hmac_key_digest, METH_O,
     "digest(msg, /)\n--\n\nThe HMAC of msg (bytes)."},
    {"verify", (PyCFunction)(void (*)(void))hmac_key_verify, METH_FASTCALL,
     "verify(msg, mac, /)\n--\n\nWhether mac is the HMAC of msg (constant "
     "time)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef hmac_key_getset[] = {
    {"digest_size", hmac_key_get_digest_size, NULL,
     "Size of the MAC in bytes.", NULL},
    {"algorithm", hmac_key_get_algorithm, NULL,
     "The hashlib name of the digest.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot hmac_key_slots[] = {
    {Py_tp_doc,
     "HmacKey(secret, algorithm='sha256', *, salt=None)\n--\n\n"
     "A prepared HMAC key holding the precomputed inner and outer digest\n"
     "state. With salt, the key is Django's salted_hmac derivation\n"
     "H(salt + secret); without, secret is the HMAC key itself."},
    {Py_tp_new, hmac_key_tp_new},
    {Py_tp_dealloc, hmac_key_dealloc},
    {Py_tp_traverse, hmac_key_traverse},
    {Py_tp_methods, hmac_key_methods},
    {Py_tp_getset, hmac_key_getset},
    {0, NULL},
};

static PyType_Spec hmac_key_spec = {
    .name = "sesstok._core.HmacKey",
    .basicsize = sizeof(HmacKeyObject),
    .flags =
        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = hmac_key_slots,
};

/* ---- the cache ------------------------------------------------------------- */

PyObject *
sesstok_hmac_key_get(sesstok_state *st, PyObject *secret, PyObject *salt,
                     PyObject *suffix, PyObject *algorithm)
{
    PyObject *cache_key = PyTuple_Pack(4, secret, salt ? salt : Py_None,
                                       suffix ? suffix : Py_None, algorithm);
    if (cache_key == NULL) {
        return NULL;
    }
    PyObject *key = PyDict_GetItemWithError(st->crypto.hmac_cache, cache_key);
    if (key != NULL) {
        Py_DECREF(cache_key);
        return Py_NewRef(key);
    }
    if (PyErr_Occurred()) {
        goto error;
    }
    const EVP_MD *md = sesstok_md_lookup(st, algorithm);
    if (md == NULL) {
        Py_DECREF(cache_key);
        return NULL; /* not computed in C: no exception, caller falls back */
    }
    const char *sp;
    Py_ssize_t sn;
    if (PyUnicode_Check(secret)) {
        if ((sp = PyUnicode_AsUTF8AndSize(secret, &sn)) == NULL) {
            goto error;
        }
    }
    else if (PyBytes_Check(secret)) {
        sp = PyBytes_AS_STRING(secret);
        sn = PyBytes_GET_SIZE(secret);
    }
    else {
        PyErr_SetString(PyExc_TypeError, "secret must be str or bytes");
        goto error;
    }
    if (salt == NULL) {
        key = hmac_key_new_raw(st, md, algorithm, sp, sn, NULL, 0);
    }
    else {
        PyObject *full =
            suffix ? PyUnicode_Concat(salt, suffix) : Py_NewRef(salt);
        if (full == NULL) {
            goto error;
        }
        Py_ssize_t tn;
        const char *tp = PyUnicode_AsUTF8AndSize(full, &tn);
        key = tp ? hmac_key_new_raw(st, md, algorithm, sp, sn, tp, tn) : NULL;
        Py_DECREF(full);
    }
    if (key == NULL) {
        goto error;
    }
    if (PyDict_GET_SIZE(st->crypto.hmac_cache) >= HMAC_CACHE_MAX) {
        PyDict_Clear(st->crypto.hmac_cache);
    }
    if (PyDict_SetItem(st->crypto.hmac_cache, cache_key, key) < 0) {
        Py_DECREF(key);
        goto error;
    }
    Py_DECREF(cache_key);
    return key;
error:
    Py_DECREF(cache_key);
    return NULL;
}

static PyObject *
hmac_cache_clear(PyObject *module, PyObject *unused)
{
    PyDict_Clear(sesstok_get_state(module)->crypto.hmac_cache);
    Py_RETURN_NONE;
}

static PyObject *
hmac_cache_size(PyObject *module, PyObject *unused)
{
    return PyLong_FromSsize_t(
        PyDict_GET_SIZE(sesstok_get_state(module)->crypto.hmac_cache));
}

/* mirrors hmac.compare_digest: two ASCII str, or two bytes-like values */
static PyObject *
compare_digest(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError,
                        "compare_digest() takes exactly two arguments");
        return NULL;
    }
    PyObject *a = args[0], *b = args[1];
    if (PyUnicode_Check(a) && PyUnicode_Check(b)) {
        if (!PyUnicode_IS_ASCII(a) || !PyUnicode_IS_ASCII(b)) {
            PyErr_SetString(PyExc_TypeError,
                            "comparing strings with non-ASCII characters is "
                            "not supported");
            return NULL;
        }
        return PyBool_FromLong(sesstok_ct_equal(
            PyUnicode_DATA(a), (size_t)PyUnicode_GET_LENGTH(a),
            PyUnicode_DATA(b), (size_t)PyUnicode_GET_LENGTH(b)));
    }
    if (PyUnicode_Check(a) || PyUnicode_Check(b) || !PyObject_CheckBuffer(a) ||
        !PyObject_CheckBuffer(b)) {
        PyErr_Format(PyExc_TypeError,
                     "unsupported operand types(s) or combination of types: "
                     "'%.100s' and '%.100s'",
                     Py_TYPE(a)->tp_name, Py_TYPE(b)->tp_name);
        return NULL;
    }
    Py_buffer va, vb;
    if (PyObject_GetBuffer(a, &va, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(b, &vb, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&va);
        return NULL;
    }
    int eq = sesstok_ct_equal(va.buf, (size_t)va.len, vb.buf, (size_t)vb.len);
    PyBuffer_Release(&va);
    PyBuffer_Release(&vb);
    return PyBool_FromLong(eq);
}

static PyObject *
digest(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(
            PyExc_TypeError,
            "digest() takes exactly two arguments (algorithm, data)");
        return NULL;
    }
    sesstok_state *st = sesstok_get_state(module);
    const EVP_MD *md = sesstok_md_lookup(st, args[0]);
    if (md == NULL) {
        PyErr_Format(PyExc_ValueError, "unsupported digest %R", args[0]);
        return NULL;
    }
    Py_buffer view;
    const char *p;
    Py_ssize_t n;
    int rc = sesstok_bytes_view(args[1], &view, &p, &n);
    if (rc != 0) {
        if (rc > 0) {
            PyErr_SetString(PyExc_TypeError,
                            "digest() needs str or bytes-like data");
        }
        return NULL;
    }
    unsigned char out[SESSTOK_MAX_DIGEST];
    rc = sesstok_digest(md, (const unsigned char *)p, (size_t)n, out);
    if (view.obj) {
        PyBuffer_Release(&view);
    }
    if (rc < 0) {
        return sesstok_raise_openssl_error(PyExc_ValueError, "digest");
    }
    return PyBytes_FromStringAndSize((const char *)out, EVP_MD_get_size(md));
}

static PyMethodDef crypto_methods[] = {
    {"compare_digest", (PyCFunction)(void (*)(void))compare_digest,
     METH_FASTCALL,
     "compare_digest(a, b, /)\n--\n\nConstant-time equality, as "
     "hmac.compare_digest: two ASCII str or two\nbytes-like values."},
    {"digest", (PyCFunction)(void (*)(void))digest, METH_FASTCALL,
     "digest(algorithm, data, /)\n--\n\nOne-shot digest by hashlib name."},
    {"hmac_cache_clear", hmac_cache_clear, METH_NOARGS,
     "hmac_cache_clear()\n--\n\nForget all prepared HMAC keys."},
    {"hmac_cache_size", hmac_cache_size, METH_NOARGS,
     "hmac_cache_size()\n--\n\nNumber of prepared HMAC keys held."},
    {NULL, NULL, 0, NULL},
};

int
sesstok_crypto_exec(PyObject *m)
{
    sesstok_state *st = sesstok_get_state(m);
    if (sesstok_intern_names(st->md_name, md_hashlib_names, SESSTOK_MD_COUNT) <
        0) {
        return -1;
    }
    PyObject *names = PyList_New(0);
    if (names == NULL) {
        return -1;
    }
    for (int i = 0; i < SESSTOK_MD_COUNT; i++) {
        /* An algorithm the provider lacks (e.g. MD5 under FIPS) stays NULL
         * and is computed by the Python fallback instead. */
        st->md[i] = EVP_MD_fetch(NULL, md_openssl_names[i], NULL);
        if (st->md[i] == NULL) {
            ERR_clear_error();
        }
        else if (PyList_Append(names, st->md_name[i]) < 0) {
            goto error;
        }
    }
    if ((st->crypto.hmac_cache = PyDict_New()) == NULL) {
        goto error;
    }
    st->crypto.HmacKeyType =
        (PyTypeObject *)PyType_FromModuleAndSpec(m, &hmac_key_spec, NULL);
    if (st->crypto.HmacKeyType == NULL ||
        PyModule_AddType(m, st->crypto.HmacKeyType) < 0) {
        goto error;
    }
    if (PyModule_AddObjectRef(m, "HMAC_ALGORITHMS", names) < 0 ||
        PyModule_AddObjectRef(m, "HMAC_FAST_PATH",
                              sesstok_hmac_fast_path ? Py_True : Py_False) <
            0) {
        goto error;
    }
    Py_DECREF(names);
    return PyModule_AddFunctions(m, crypto_methods);
error:
    Py_DECREF(names);
    return -1;
}

/* The crypto state and the digest table (md, md_name) it fills. */
int
sesstok_crypto_traverse(sesstok_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->crypto.HmacKeyType);
    Py_VISIT(st->crypto.hmac_cache);
    for (int i = 0; i < SESSTOK_MD_COUNT; i++) {
        Py_VISIT(st->md_name[i]);
    }
    return 0;
}

void
sesstok_crypto_clear(sesstok_state *st)
{
    Py_CLEAR(st->crypto.HmacKeyType);
    Py_CLEAR(st->crypto.hmac_cache);
    for (int i = 0; i < SESSTOK_MD_COUNT; i++) {
        Py_CLEAR(st->md_name[i]);
        EVP_MD_free(st->md[i]);
        st->md[i] = NULL;
    }
}
