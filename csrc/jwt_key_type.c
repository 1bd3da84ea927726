/* jwt_key_type.c - the JwtKey type, as Python sees it: the constructors
 * sesstok.jwt uses to load every key form (hmac, load for PEM/DER/OpenSSH,
 * rsa/ec/ed25519 for JWK members), the sign/verify/check_length primitives
 * the known-answer tests exercise, and the attributes. What a key does is in
 * jwt_key.c. */
#include "jwt.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

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

/* Optional `algorithm`/`kid` keywords of the JwtKey constructors. */
static int
key_set_binding(sesstok_state *st, JwtKeyObject *k, PyObject *algorithm,
                PyObject *kid)
{
    if (algorithm != NULL && algorithm != Py_None) {
        int alg = sesstok_jwt_alg_arg(st, algorithm);
        if (alg < 0 || sesstok_jwt_key_check_alg(st, k, alg) < 0) {
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

/* Borrow bytes from a bytes-like argument (NULL/None allowed when
 * optional). */
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
    if (PyUnicode_Check(obj) ||
        PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) < 0) {
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

/* Raise InvalidKeyError for a failed key load and clear OpenSSL's queue. */
static PyObject *
key_load_failed(sesstok_state *st, const char *why)
{
    ERR_clear_error();
    return sesstok_jwt_raise(st, EXC_INVALID_KEY, "%s", why);
}

/* The end of a constructor: rc < 0 (pkey.c failed to load k, for `why`)
 * raises InvalidKeyError; else the algorithm/kid keywords bind k. Returns k,
 * or NULL with k released. */
static PyObject *
key_finish(sesstok_state *st, JwtKeyObject *k, int rc, const char *why,
           PyObject *algorithm, PyObject *kid)
{
    if (rc < 0) {
        Py_DECREF(k);
        return key_load_failed(st, why);
    }
    if (key_set_binding(st, k, algorithm, kid) < 0) {
        Py_DECREF(k);
        return NULL;
    }
    return (PyObject *)k;
}

/* JwtKey.hmac(secret, *, algorithm=None, kid=None) */
static PyObject *
key_new_hmac(PyObject *cls, PyTypeObject *defcls, PyObject *const *args,
             Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_SECRET, N_ALGORITHM, N_KID};
    static const jwt_params params = {"hmac", ids, JWT_COUNT(ids), 1, 1};
    PyObject *argv[3];
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    if (!PyBytes_Check(argv[0])) {
        PyErr_SetString(PyExc_TypeError, "secret must be bytes");
        return NULL;
    }
    JwtKeyObject *k = sesstok_jwt_key_alloc(st, KEY_HMAC);
    if (k == NULL) {
        return NULL;
    }
    k->secret = PyBytes_FromStringAndSize(PyBytes_AS_STRING(argv[0]),
                                          PyBytes_GET_SIZE(argv[0]));
    if (k->secret == NULL || key_set_binding(st, k, argv[1], argv[2]) < 0) {
        Py_DECREF(k);
        return NULL;
    }
    return (PyObject *)k;
}

/* JwtKey.load(data, *, algorithm=None, kid=None): PEM, DER or OpenSSH. */
static PyObject *
key_new_load(PyObject *cls, PyTypeObject *defcls, PyObject *const *args,
             Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_DATA, N_ALGORITHM, N_KID};
    static const jwt_params params = {"load", ids, JWT_COUNT(ids), 1, 1};
    PyObject *argv[3];
    Py_buffer v;
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
            0 ||
        bytes_arg(argv[0], "data", 0, &v) < 0) {
        return NULL;
    }
    JwtKeyObject *k = sesstok_jwt_key_alloc(st, KEY_ASYM);
    if (k == NULL) {
        PyBuffer_Release(&v);
        return NULL;
    }
    const char *why = "Could not parse the provided key";
    int rc = sesstok_pkey_load(&k->pk, v.buf, (size_t)v.len, &why);
    PyBuffer_Release(&v);
    return key_finish(st, k, rc, why, argv[1], argv[2]);
}

/* JwtKey.rsa(n, e, d=None, p=None, q=None, dp=None, dq=None, qi=None, *,
 * algorithm=None, kid=None): big-endian bytes. */
static PyObject *
key_new_rsa(PyObject *cls, PyTypeObject *defcls, PyObject *const *args,
            Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_N,  N_E,  N_D,  N_P,         N_Q,
                              N_DP, N_DQ, N_QI, N_ALGORITHM, N_KID};
    static const jwt_params params = {"rsa", ids, JWT_COUNT(ids), 8, 2};
    PyObject *argv[10];
    Py_buffer v[8];
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    memset(v, 0, sizeof(v));
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    for (int i = 0; i < 8; i++) {
        if (bytes_arg(argv[i], sesstok_jwt_name_strings[ids[i]], i >= 2,
                      &v[i]) < 0) {
            release_views(v, i);
            return NULL;
        }
    }
    int crt = v[3].obj != NULL;
    for (int i = 4; i < 8; i++) {
        if ((v[i].obj != NULL) != crt || (crt && v[2].obj == NULL)) {
            release_views(v, 8);
            return sesstok_jwt_raise(st, EXC_INVALID_KEY,
                                     "RSA key must include all parameters if "
                                     "any are present besides d");
        }
    }
    JwtKeyObject *k = sesstok_jwt_key_alloc(st, KEY_ASYM);
    if (k == NULL) {
        release_views(v, 8);
        return NULL;
    }
    const char *why = "invalid RSA key";
    sesstok_bytes m[SESSTOK_RSA_MEMBERS];
    for (int i = 0; i < SESSTOK_RSA_MEMBERS; i++) {
        m[i].p = v[i].obj != NULL ? (const unsigned char *)v[i].buf : NULL;
        m[i].n = (size_t)v[i].len;
    }
    int rc = sesstok_pkey_from_rsa(&k->pk, m, &why);
    release_views(v, 8);
    return key_finish(st, k, rc, why, argv[8], argv[9]);
}

/* JwtKey.ec(crv, x, y, d=None, *, algorithm=None, kid=None) */
static PyObject *
key_new_ec(PyObject *cls, PyTypeObject *defcls, PyObject *const *args,
           Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_CRV, N_X, N_Y, N_D, N_ALGORITHM, N_KID};
    static const jwt_params params = {"ec", ids, JWT_COUNT(ids), 4, 3};
    PyObject *argv[6];
    Py_buffer v[3] = {{0}};
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    Py_ssize_t clen;
    const char *crv = PyUnicode_Check(argv[0])
                          ? PyUnicode_AsUTF8AndSize(argv[0], &clen)
                          : NULL;
    if (crv == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "crv must be a str");
        }
        return NULL;
    }
    sesstok_curve curve = sesstok_curve_from_name(crv, (size_t)clen);
    if (curve == SESSTOK_CURVE_NONE) {
        return sesstok_jwt_raise(st, EXC_INVALID_KEY, "Invalid curve: %U",
                                 argv[0]);
    }
    if (bytes_arg(argv[1], "x", 0, &v[0]) < 0 ||
        bytes_arg(argv[2], "y", 0, &v[1]) < 0 ||
        bytes_arg(argv[3], "d", 1, &v[2]) < 0) {
        release_views(v, 3);
        return NULL;
    }
    size_t cl = sesstok_curve_coord_len(curve);
    if ((size_t)v[0].len != cl || (size_t)v[1].len != cl ||
        (v[2].obj && (size_t)v[2].len != cl)) {
        release_views(v, 3);
        return sesstok_jwt_raise(st, EXC_INVALID_KEY,
                                 "Coords should be %zu bytes for curve %s", cl,
                                 sesstok_curve_name(curve));
    }
    JwtKeyObject *k = sesstok_jwt_key_alloc(st, KEY_ASYM);
    if (k == NULL) {
        release_views(v, 3);
        return NULL;
    }
    const char *why = "invalid EC key";
    int rc = sesstok_pkey_from_ec(&k->pk, curve, v[0].buf, v[1].buf, cl,
                                  v[2].obj ? v[2].buf : NULL, (size_t)v[2].len,
                                  &why);
    release_views(v, 3);
    return key_finish(st, k, rc, why, argv[4], argv[5]);
}

/* JwtKey.ed25519(x=None, d=None, *, algorithm=None, kid=None) */
static PyObject *
key_new_ed25519(PyObject *cls, PyTypeObject *defcls, PyObject *const *args,
                Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_X, N_D, N_ALGORITHM, N_KID};
    static const jwt_params params = {"ed25519", ids, JWT_COUNT(ids), 2, 0};
    PyObject *argv[4];
    Py_buffer v[2] = {{0}};
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    if (bytes_arg(argv[0], "x", 1, &v[0]) < 0 ||
        bytes_arg(argv[1], "d", 1, &v[1]) < 0) {
        release_views(v, 2);
        return NULL;
    }
    JwtKeyObject *k = sesstok_jwt_key_alloc(st, KEY_ASYM);
    if (k == NULL) {
        release_views(v, 2);
        return NULL;
    }
    const char *why = "invalid Ed25519 key";
    int rc = sesstok_pkey_from_ed25519(
        &k->pk, v[0].obj ? v[0].buf : NULL, (size_t)v[0].len,
        v[1].obj ? v[1].buf : NULL, (size_t)v[1].len, &why);
    release_views(v, 2);
    return key_finish(st, k, rc, why, argv[2], argv[3]);
}

/* JwtKey.sign(algorithm, msg): the raw signature (JWS form), no key-length
 * policy: the primitive the known-answer tests exercise. */
static PyObject *
key_meth_sign(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_ALGORITHM, N_MSG};
    static const jwt_params params = {"sign", ids, JWT_COUNT(ids), 2, 2};
    PyObject *argv[2];
    Py_buffer v;
    unsigned char sig[JWT_SIG_MAX];
    size_t siglen = 0;
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    JwtKeyObject *k = JwtKey_CAST(op);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    int alg = sesstok_jwt_alg_arg(st, argv[0]);
    if (alg < 0 || sesstok_jwt_key_check_alg(st, k, alg) < 0 ||
        bytes_arg(argv[1], "msg", 0, &v) < 0) {
        return NULL;
    }
    int rc =
        sesstok_jwt_key_sign(st, k, alg, v.buf, (size_t)v.len, sig, &siglen);
    PyBuffer_Release(&v);
    return rc < 0 ? NULL
                  : PyBytes_FromStringAndSize((const char *)sig,
                                              (Py_ssize_t)siglen);
}

/* JwtKey.verify(algorithm, msg, signature) -> bool, no key-length policy. */
static PyObject *
key_meth_verify(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_ALGORITHM, N_MSG, N_SIGNATURE};
    static const jwt_params params = {"verify", ids, JWT_COUNT(ids), 3, 3};
    PyObject *argv[3];
    Py_buffer v[2] = {{0}};
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    JwtKeyObject *k = JwtKey_CAST(op);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    int alg = sesstok_jwt_alg_arg(st, argv[0]);
    if (alg < 0 || sesstok_jwt_key_check_alg(st, k, alg) < 0) {
        return NULL;
    }
    if (bytes_arg(argv[1], "msg", 0, &v[0]) < 0 ||
        bytes_arg(argv[2], "signature", 0, &v[1]) < 0) {
        release_views(v, 2);
        return NULL;
    }
    int rc = sesstok_jwt_key_verify(st, k, alg, v[0].buf, (size_t)v[0].len,
                                    v[1].buf, (size_t)v[1].len);
    release_views(v, 2);
    return rc < 0 ? NULL : PyBool_FromLong(rc);
}

/* JwtKey.check_length(algorithm, enforce) - the minimum-length policy. */
static PyObject *
key_meth_check_length(PyObject *op, PyTypeObject *defcls,
                      PyObject *const *args, Py_ssize_t nargs,
                      PyObject *kwnames)
{
    static const int ids[] = {N_ALGORITHM, N_ENFORCE};
    static const jwt_params params = {"check_length", ids, JWT_COUNT(ids), 2,
                                      2};
    PyObject *argv[2];
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    int alg = sesstok_jwt_alg_arg(st, argv[0]);
    int enforce = alg < 0 ? -1 : PyObject_IsTrue(argv[1]);
    if (enforce < 0 ||
        sesstok_jwt_key_check_alg(st, JwtKey_CAST(op), alg) < 0 ||
        sesstok_jwt_key_check_length(st, JwtKey_CAST(op), alg, enforce) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* int.from_bytes(b[0:n], "big") */
static PyObject *
bytes_to_int(sesstok_state *st, const unsigned char *b, size_t n)
{
    PyObject *bytes =
        PyBytes_FromStringAndSize((const char *)b, (Py_ssize_t)n);
    PyObject *r = bytes ? PyObject_CallMethodObjArgs(
                              (PyObject *)&PyLong_Type, NAME(st, N_FROM_BYTES),
                              bytes, NAME(st, N_BIG), NULL)
                        : NULL;
    Py_XDECREF(bytes);
    return r;
}

/* JwtKey.rsa_public_numbers() -> (n, e) */
static PyObject *
key_meth_rsa_public_numbers(PyObject *op, PyObject *unused)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    sesstok_state *st = sesstok_state_from_type(Py_TYPE(op));
    unsigned char *n = NULL, *e = NULL;
    size_t nlen, elen;
    if (st == NULL) {
        return NULL;
    }
    if (k->kind != KEY_ASYM || k->pk.kind != SESSTOK_PKEY_RSA) {
        PyErr_SetString(PyExc_TypeError, "not an RSA key");
        return NULL;
    }
    if (sesstok_pkey_rsa_public(&k->pk, &n, &nlen, &e, &elen) < 0) {
        return sesstok_raise_openssl_error(PyExc_ValueError, "RSA parameters");
    }
    PyObject *nn = bytes_to_int(st, n, nlen);
    PyObject *ee = nn ? bytes_to_int(st, e, elen) : NULL;
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
        return sesstok_raise_openssl_error(PyExc_ValueError,
                                           "public key export");
    }
    PyObject *r =
        PyBytes_FromStringAndSize((const char *)der, (Py_ssize_t)len);
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
    return PyUnicode_FromString(k->pk.kind == SESSTOK_PKEY_ED25519
                                    ? "OKP"
                                    : sesstok_jwt_pkey_kind_name(&k->pk));
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
    return PyUnicode_FromString(sesstok_jwt_algs[k->bound_alg].name);
}

static PyObject *
key_get_kid(PyObject *op, void *c)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    return Py_NewRef(k->kid ? k->kid : Py_None);
}

static PyObject *
key_get_algorithms(PyObject *op, void *c)
{
    return sesstok_jwt_mask_to_names(
        sesstok_jwt_key_alg_mask(JwtKey_CAST(op)));
}

static PyObject *
key_repr(PyObject *op)
{
    JwtKeyObject *k = JwtKey_CAST(op);
    const char *what =
        k->kind == KEY_HMAC ? "oct" : sesstok_jwt_pkey_kind_name(&k->pk);
    if (k->kind == KEY_HMAC) {
        return PyUnicode_FromFormat("<JwtKey oct %zd bytes>",
                                    PyBytes_GET_SIZE(k->secret));
    }
    return PyUnicode_FromFormat(
        "<JwtKey %s %d bits%s%s%s>", what, k->pk.bits,
        k->pk.kind == SESSTOK_PKEY_EC ? " " : "",
        k->pk.kind == SESSTOK_PKEY_EC ? sesstok_curve_name(k->pk.curve) : "",
        k->pk.is_private ? " private" : " public");
}

static PyMethodDef key_methods[] = {
    {"hmac", (PyCFunction)(void (*)(void))key_new_hmac, METH_CM,
     "hmac(secret, *, algorithm=None, kid=None)\n--\n\nAn HMAC key from "
     "secret bytes (no checks: "
     "sesstok.jwt refuses asymmetric keys and short secrets before it gets "
     "here)."},
    {"load", (PyCFunction)(void (*)(void))key_new_load, METH_CM,
     "load(data, *, algorithm=None, kid=None)\n--\n\nAn RSA, EC or Ed25519 "
     "key from PEM, DER or "
     "an OpenSSH public key line."},
    {"rsa", (PyCFunction)(void (*)(void))key_new_rsa, METH_CM,
     "rsa(n, e, d=None, p=None, q=None, dp=None, dq=None, qi=None, *, "
     "algorithm=None, kid=None)"
     "\n--\n\nAn RSA key from big-endian integers (JWK members, decoded)."},
    {"ec", (PyCFunction)(void (*)(void))key_new_ec, METH_CM,
     "ec(crv, x, y, d=None, *, algorithm=None, kid=None)\n--\n\nAn EC key "
     "from JWK members."},
    {"ed25519", (PyCFunction)(void (*)(void))key_new_ed25519, METH_CM,
     "ed25519(x=None, d=None, *, algorithm=None, kid=None)\n--\n\nAn Ed25519 "
     "key."},
    {"sign", (PyCFunction)(void (*)(void))key_meth_sign, METH_MK,
     "sign(algorithm, msg)\n--\n\nThe JWS signature of msg (raw R||S for "
     "ECDSA)."},
    {"verify", (PyCFunction)(void (*)(void))key_meth_verify, METH_MK,
     "verify(algorithm, msg, signature)\n--\n\nWhether signature (JWS form) "
     "is valid for msg."},
    {"check_length", (PyCFunction)(void (*)(void))key_meth_check_length,
     METH_MK,
     "check_length(algorithm, enforce)\n--\n\nApply the minimum key length "
     "policy: raise "
     "InvalidKeyError (enforce) or warn InsecureKeyLengthWarning."},
    {"rsa_public_numbers", key_meth_rsa_public_numbers, METH_NOARGS,
     "rsa_public_numbers()\n--\n\n(n, e) of an RSA key."},
    {"public_der", key_meth_public_der, METH_NOARGS,
     "public_der()\n--\n\nThe public key as DER SubjectPublicKeyInfo."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef key_getset[] = {
    {"kty", key_get_kind, NULL, "JWK key type: 'oct', 'RSA', 'EC' or 'OKP'.",
     NULL},
    {"is_private", key_get_is_private, NULL, "Whether the key can sign.",
     NULL},
    {"key_size", key_get_key_size, NULL,
     "Size in bits (HMAC: secret length * 8).", NULL},
    {"curve", key_get_curve, NULL, "JWK curve name, or None.", NULL},
    {"algorithm", key_get_algorithm, NULL,
     "The algorithm the key is bound to, or None.", NULL},
    {"kid", key_get_kid, NULL, "The key ID, or None.", NULL},
    {"algorithms", key_get_algorithms, NULL,
     "Algorithms the key can be used with.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot key_slots[] = {
    {Py_tp_doc, "A prepared JWS key: an HMAC secret with its precomputed "
                "digest states, or an "
                "RSA, EC (P-256/384/521) or Ed25519 key parsed once. Made by "
                "sesstok.jwt from "
                "any key form PyJWT accepts and cached by value."},
    {Py_tp_dealloc, key_dealloc},
    {Py_tp_traverse, key_traverse},
    {Py_tp_methods, key_methods},
    {Py_tp_getset, key_getset},
    {Py_tp_repr, key_repr},
    {0, NULL},
};

PyType_Spec sesstok_jwt_key_spec = {
    .name = "sesstok._core.JwtKey",
    .basicsize = sizeof(JwtKeyObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
             Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = key_slots,
};
