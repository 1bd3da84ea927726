/* jwt_common.c - what every part of the JWT concern shares: the algorithm
 * table and algorithm names, the interned names, the exception classes of
 * sesstok.exceptions and PyJWT's warnings, the Python objects imported on
 * first use; and sesstok_jwt_exec, which sets the concern up. */
#include "jwt.h"

#include <string.h>

/* ---- algorithms --------------------------------------------------------- */

const jwt_alg_info sesstok_jwt_algs[ALG_COUNT] = {
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

int
sesstok_jwt_alg_from_utf8(const char *s, Py_ssize_t n)
{
    if (n != 5) {
        return -1;
    }
    for (int i = 0; i < ALG_COUNT; i++) {
        if (memcmp(s, sesstok_jwt_algs[i].name, 5) == 0) {
            return i;
        }
    }
    return -1;
}

int
sesstok_jwt_is_none_utf8(const char *s, Py_ssize_t n)
{
    return n == 4 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'o' &&
           (s[2] | 0x20) == 'n' && (s[3] | 0x20) == 'e';
}

int
sesstok_jwt_alg_from_obj(sesstok_state *st, PyObject *name)
{
    if (!PyUnicode_Check(name)) {
        return -1;
    }
    for (int i = 0; i < ALG_COUNT; i++) {
        if (PyTuple_GET_ITEM(st->jwt.alg_names, i) == name) {
            return i;
        }
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(name, &n);
    if (s == NULL) {
        PyErr_Clear();
        return -1;
    }
    return sesstok_jwt_alg_from_utf8(s, n);
}

int
sesstok_jwt_obj_is_none_alg(PyObject *name)
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
    return sesstok_jwt_is_none_utf8(s, n);
}

int
sesstok_jwt_alg_arg(sesstok_state *st, PyObject *name)
{
    int alg = sesstok_jwt_alg_from_obj(st, name);
    if (alg < 0) {
        PyErr_Format(PyExc_NotImplementedError, "Algorithm not supported: %R",
                     name);
    }
    return alg;
}

int
sesstok_jwt_algorithms_mask(sesstok_state *st, PyObject *algorithms,
                            unsigned *mask)
{
    *mask = 0;
    if (algorithms == NULL || algorithms == Py_None) {
        return 0;
    }
    if (PyUnicode_Check(algorithms)) {
        /* PyJWT tests `alg in algorithms`: a str matches substrings, which is
         * never what was meant. */
        PyErr_SetString(
            PyExc_TypeError,
            "algorithms must be a list of algorithm names, not a str");
        return -1;
    }
    PyObject *seq = PySequence_Fast(
        algorithms, "algorithms must be a list of algorithm names");
    if (seq == NULL) {
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        int a = sesstok_jwt_alg_from_obj(st, items[i]);
        if (a >= 0) {
            *mask |= 1u << a;
        }
        else if (sesstok_jwt_obj_is_none_alg(items[i])) {
            Py_DECREF(seq);
            return sesstok_jwt_fail(
                st, EXC_INVALID_ALG,
                "The 'none' algorithm is not supported: sesstok "
                "never accepts unsecured tokens");
        }
    }
    Py_DECREF(seq);
    return 0;
}

int
sesstok_jwt_algorithms_lists(PyObject *algorithms, PyObject *alg)
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

PyObject *
sesstok_jwt_mask_to_names(unsigned mask)
{
    PyObject *t = PyList_New(0);
    for (int a = 0; t != NULL && a < ALG_COUNT; a++) {
        if (mask & (1u << a)) {
            PyObject *s = PyUnicode_FromString(sesstok_jwt_algs[a].name);
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

/* ---- interned names ----------------------------------------------------- */

#define JWT_NAME_TEXT(id, text) text,
const char *const sesstok_jwt_name_strings[N_COUNT] = {
    JWT_NAMES(JWT_NAME_TEXT)};
#undef JWT_NAME_TEXT

/* ---- argument parsing --------------------------------------------------- */

/* The fast path of sesstok_jwt_parse_args: every keyword name is one of the
 * interned names (so it is whenever the caller wrote it in Python source).
 * 1 when out is filled and complete; 0: let the general parser decide. */
static int
match_keywords(sesstok_state *st, const jwt_params *p, PyObject *const *args,
               Py_ssize_t nargs, PyObject *kwnames, PyObject **out)
{
    for (int i = 0; i < p->n; i++) {
        out[i] = i < nargs ? args[i] : NULL;
    }
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int i = 0;
        while (i < p->n && NAME(st, p->ids[i]) != name) {
            i++;
        }
        if (i == p->n || out[i] != NULL) {
            return 0; /* not interned, unknown, or given twice */
        }
        out[i] = args[nargs + k];
    }
    for (int i = 0; i < p->min_args; i++) {
        if (out[i] == NULL) {
            return 0;
        }
    }
    return 1;
}

int
sesstok_jwt_parse_args(sesstok_state *st, const jwt_params *p,
                       PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames, PyObject **out, PyObject **extra)
{
    if (nargs <= p->max_pos &&
        match_keywords(st, p, args, nargs, kwnames, out)) {
        if (extra != NULL) {
            *extra = NULL;
        }
        return 0;
    }
    const char *names[JWT_MAX_PARAMS];
    if (p->n > JWT_MAX_PARAMS) {
        PyErr_Format(PyExc_SystemError, "%s: too many parameters", p->fname);
        return -1;
    }
    for (int i = 0; i < p->n; i++) {
        names[i] = sesstok_jwt_name_strings[p->ids[i]];
    }
    return sesstok_parse_args_extra(p->fname, args, nargs, kwnames, names,
                                    p->n, p->max_pos, p->min_args, out, extra);
}

/* ---- exceptions and warnings -------------------------------------------- */

static const char *const exc_names[EXC_COUNT] = {
    "PyJWTError",
    "InvalidTokenError",
    "DecodeError",
    "InvalidSignatureError",
    "ExpiredSignatureError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidIssuedAtError",
    "ImmatureSignatureError",
    "InvalidKeyError",
    "InvalidAlgorithmError",
    "MissingRequiredClaimError",
    "InvalidSubjectError",
    "InvalidJTIError",
    "InsecureKeyLengthWarning",
    "RemovedInPyjwt3Warning",
};

PyObject *
sesstok_jwt_exc(sesstok_state *st, jwt_exc_id id)
{
    if (st->jwt.exc == NULL) {
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
        st->jwt.exc = t;
    }
    return PyTuple_GET_ITEM(st->jwt.exc, id);
}

static void
raise_v(sesstok_state *st, jwt_exc_id id, const char *fmt, va_list va)
{
    PyObject *cls = sesstok_jwt_exc(st, id);
    PyObject *msg = cls ? PyUnicode_FromFormatV(fmt, va) : NULL;
    if (msg != NULL) {
        PyErr_SetObject(cls, msg);
        Py_DECREF(msg);
    }
}

PyObject *
sesstok_jwt_raise(sesstok_state *st, jwt_exc_id id, const char *fmt, ...)
{
    va_list va;
    va_start(va, fmt);
    raise_v(st, id, fmt, va);
    va_end(va);
    return NULL;
}

int
sesstok_jwt_fail(sesstok_state *st, jwt_exc_id id, const char *fmt, ...)
{
    va_list va;
    va_start(va, fmt);
    raise_v(st, id, fmt, va);
    va_end(va);
    return -1;
}

int
sesstok_jwt_raise_missing_claim(sesstok_state *st, PyObject *claim)
{
    PyObject *cls = sesstok_jwt_exc(st, EXC_MISSING_CLAIM);
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

int
sesstok_jwt_warn(sesstok_state *st, jwt_exc_id id, PyObject *message,
                 int stacklevel)
{
    PyObject *cls = sesstok_jwt_exc(st, id);
    const char *s = cls ? PyUnicode_AsUTF8(message) : NULL;
    if (s == NULL) {
        return -1;
    }
    return PyErr_WarnEx(cls, s, stacklevel);
}

int
sesstok_jwt_decode_warnings(sesstok_state *st, int fname, PyObject *extra,
                            PyObject *verify, PyObject *options)
{
    PyObject *py = sesstok_jwt_py(st);
    PyObject *fn =
        py ? PyObject_GetAttr(py, NAME(st, N_DECODE_WARNINGS)) : NULL;
    if (fn == NULL) {
        return -1;
    }
    PyObject *args[4] = {NAME(st, fname), extra ? extra : Py_None,
                         verify ? verify : Py_None,
                         options ? options : Py_None};
    PyObject *r = PyObject_Vectorcall(fn, args, 4, NULL);
    Py_DECREF(fn);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

PyObject *
sesstok_jwt_take_exception(void)
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

/* ---- Python objects used on slow paths ---------------------------------- */

PyObject *
sesstok_jwt_py(sesstok_state *st)
{
    if (st->jwt.py_jwt == NULL) {
        st->jwt.py_jwt = PyImport_ImportModule("sesstok.jwt");
    }
    return st->jwt.py_jwt;
}

/* ---- module functions: the Python-free files, for tests ----------------- */

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
 * of jws.c. */
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
    size_t n = v.len % 2 == 0
                   ? sesstok_ecdsa_raw_to_der(v.buf, (size_t)v.len / 2, out)
                   : 0;
    PyBuffer_Release(&v);
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "raw signature length out of range");
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)n);
}

PyMethodDef sesstok_jwt_common_functions[] = {
    {"is_der_certificate", is_der_certificate, METH_O,
     "is_der_certificate(data, /)\n--\n\n"
     "Whether data is a DER X.509 certificate."},
    {"ecdsa_der_to_raw", (PyCFunction)(void (*)(void))ecdsa_der_to_raw,
     METH_FASTCALL,
     "ecdsa_der_to_raw(der, coord_len, /)\n--\n\n"
     "Strict DER ECDSA signature to raw R||S."},
    {"ecdsa_raw_to_der", ecdsa_raw_to_der, METH_O,
     "ecdsa_raw_to_der(raw, /)\n--\n\nRaw R||S to DER."},
    {NULL, NULL, 0, NULL},
};

/* ---- exec --------------------------------------------------------------- */

/* A tuple of interned str for strings[0:n]. */
static PyObject *
intern_all(const char *const *strings, int n)
{
    PyObject *t = PyTuple_New(n);
    for (int i = 0; t != NULL && i < n; i++) {
        PyObject *s = PyUnicode_InternFromString(strings[i]);
        if (s == NULL) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

/* A heap type from spec, added to the module as st->jwt.<field>. */
static int
add_type(PyObject *m, PyType_Spec *spec, PyTypeObject **field)
{
    *field = (PyTypeObject *)PyType_FromModuleAndSpec(m, spec, NULL);
    return *field == NULL || PyModule_AddType(m, *field) < 0 ? -1 : 0;
}

int
sesstok_jwt_exec(PyObject *m)
{
    JwtState *js = &sesstok_get_state(m)->jwt;
    const char *alg_strings[ALG_COUNT];
    for (int i = 0; i < ALG_COUNT; i++) {
        alg_strings[i] = sesstok_jwt_algs[i].name;
    }
    if ((js->names = intern_all(sesstok_jwt_name_strings, N_COUNT)) == NULL ||
        (js->alg_names = intern_all(alg_strings, ALG_COUNT)) == NULL ||
        (js->key_cache = PyDict_New()) == NULL ||
        (js->id_cache = PyDict_New()) == NULL ||
        (js->header_cache = PyDict_New()) == NULL) {
        return -1;
    }
    if (add_type(m, &sesstok_jwt_key_spec, &js->KeyType) < 0 ||
        add_type(m, &sesstok_jwt_api_spec, &js->ApiType) < 0 ||
        add_type(m, &sesstok_jws_api_spec, &js->JwsApiType) < 0 ||
        add_type(m, &sesstok_jwt_encoder_spec, &js->EncoderType) < 0 ||
        add_type(m, &sesstok_jwt_decoder_spec, &js->DecoderType) < 0) {
        return -1;
    }
    if (PyModule_AddObjectRef(m, "JWT_ALGORITHMS", js->alg_names) < 0 ||
        PyModule_AddIntConstant(m, "JWT_DEFAULT_MAX_TOKEN_LENGTH",
                                SESSTOK_JWS_DEFAULT_MAX_LENGTH) < 0 ||
        PyModule_AddIntConstant(m, "JWT_DEFAULT_MAX_JSON_DEPTH",
                                DEFAULT_JWT_MAX_DEPTH) < 0) {
        return -1;
    }
    if (PyModule_AddFunctions(m, sesstok_jwt_common_functions) < 0 ||
        PyModule_AddFunctions(m, sesstok_jwt_key_functions) < 0 ||
        PyModule_AddFunctions(m, sesstok_jwt_claims_functions) < 0 ||
        PyModule_AddFunctions(m, sesstok_jwt_encode_functions) < 0) {
        return -1;
    }
    return 0;
}

/* Every object of JwtState, for traverse and clear. */
// clang-format off
#define JWT_STATE_OBJECTS(X) \
    X(KeyType)               \
    X(ApiType)               \
    X(JwsApiType)            \
    X(EncoderType)           \
    X(DecoderType)           \
    X(key_cache)             \
    X(id_cache)              \
    X(header_cache)          \
    X(names)                 \
    X(alg_names)             \
    X(exc)                   \
    X(py_jwt)
// clang-format on

int
sesstok_jwt_state_traverse(JwtState *js, visitproc visit, void *arg)
{
#define VISIT(name) Py_VISIT(js->name);
    JWT_STATE_OBJECTS(VISIT)
#undef VISIT
    return 0;
}

void
sesstok_jwt_state_clear(JwtState *js)
{
#define CLEAR(name) Py_CLEAR(js->name);
    JWT_STATE_OBJECTS(CLEAR)
#undef CLEAR
}
