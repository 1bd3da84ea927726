/* jwt_api.c - JwtApi and JwsApi, the C bases of sesstok.jwt.PyJWT and
 * PyJWS: their encode, decode, decode_complete and get_unverified_header
 * methods with PyJWT 2.x's signatures, on options the Python class prepares
 * (_configure) whenever they change. */
#include "jwt.h"

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
    sesstok_jwt_opts_release(&a->base);
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
        PyErr_SetString(PyExc_RuntimeError,
                        "call _configure() first (sesstok.jwt does)");
        return -1;
    }
    return 0;
}

/* _configure(options, algorithms, header_typ, hooked): set up from a
 * complete options dict (sesstok.jwt merges the defaults), the registered
 * algorithms (None: all), PyJWS.header_typ, and whether encode and decode
 * run in Python (a subclass overrides a PyJWT extension point). */
static PyObject *
api_configure(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_OPTIONS, N_ALGORITHMS, N_HEADER_TYP, N_HOOKED};
    static const jwt_params params = {"_configure", ids, JWT_COUNT(ids), 4, 4};
    PyObject *argv[4];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    jwt_opts o;
    unsigned mask = ALL_ALGS;
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
            0 ||
        sesstok_jwt_opts_from_full(st, argv[0], &o) < 0) {
        return NULL;
    }
    int hooked = -1;
    if (argv[1] != Py_None &&
        sesstok_jwt_algorithms_mask(st, argv[1], &mask) < 0) {
        goto error;
    }
    if ((hooked = PyObject_IsTrue(argv[3])) < 0) {
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
    a->typ_default = PyUnicode_Check(argv[2]) &&
                     PyUnicode_Compare(argv[2], NAME(st, N_JWT)) == 0;
    a->hooked = hooked;
    a->configured = 1;
    Py_RETURN_NONE;
error:
    sesstok_jwt_opts_release(&o);
    return NULL;
}

/* The Python implementation sesstok.jwt.<name>(self, *args, **kwargs) of
 * a method, for objects whose class overrides a PyJWT extension point. */
static PyObject *
hooked_call(sesstok_state *st, int name, PyObject *self, PyObject *const *args,
            Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t n = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
    PyObject *py = sesstok_jwt_py(st);
    PyObject *fn = py ? PyObject_GetAttr(py, NAME(st, name)) : NULL;
    PyObject **all = fn ? PyMem_New(PyObject *, n + 1) : NULL;
    PyObject *r = NULL;
    if (all != NULL) {
        all[0] = self;
        for (Py_ssize_t i = 0; i < n; i++) {
            all[i + 1] = args[i];
        }
        r = PyObject_Vectorcall(fn, all, (size_t)nargs + 1, kwnames);
    }
    else if (fn != NULL) {
        PyErr_NoMemory();
    }
    PyMem_Free(all);
    Py_XDECREF(fn);
    return r;
}

/* ---- encode ------------------------------------------------------------- */

/* PyJWT.encode(payload, key, algorithm=<unset>, headers=None,
 * json_encoder=None, sort_headers=True) */
static PyObject *
jwtapi_encode(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_PAYLOAD, N_KEY,          N_ALGORITHM,
                              N_HEADERS, N_JSON_ENCODER, N_SORT_HEADERS};
    static const jwt_params params = {"encode", ids, JWT_COUNT(ids), 6, 2};
    PyObject *argv[6];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (api_ready(a) < 0) {
        return NULL;
    }
    if (a->hooked) {
        return hooked_call(st, N_HOOKED_ENCODE, op, args, nargs, kwnames);
    }
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    int sort = argv[5] ? PyObject_IsTrue(argv[5]) : 1;
    if (sort < 0) {
        return NULL;
    }
    PyObject *payload = sesstok_jwt_prepare_payload(st, argv[0]);
    if (payload == NULL) {
        return NULL;
    }
    sesstok_buf json;
    sesstok_buf_init(&json);
    PyObject *r = NULL;
    if (sesstok_jwt_json_dumps_into(st, &json, payload, argv[4], 0) == 0) {
        jws_encode_args e = {json.data, json.len, argv[1], argv[2], argv[3],
                             argv[4],   0,        sort,    1};
        r = sesstok_jwt_jws_encode(st, a, &e);
    }
    sesstok_buf_free(&json);
    Py_DECREF(payload);
    return r;
}

/* PyJWS.encode(payload, key, algorithm=<unset>, headers=None,
 * json_encoder=None, is_payload_detached=False, sort_headers=True); with
 * jwt_mode for PyJWT._encode_jws, the JWS step of PyJWT.encode. */
static PyObject *
jws_encode_method(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                  Py_ssize_t nargs, PyObject *kwnames, int jwt_mode)
{
    static const int ids[] = {N_PAYLOAD,      N_KEY,
                              N_ALGORITHM,    N_HEADERS,
                              N_JSON_ENCODER, N_IS_PAYLOAD_DETACHED,
                              N_SORT_HEADERS};
    static const jwt_params params = {"encode", ids, JWT_COUNT(ids), 7, 2};
    PyObject *argv[7];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
            0 ||
        api_ready(a) < 0) {
        return NULL;
    }
    int detached = argv[5] ? PyObject_IsTrue(argv[5]) : 0;
    int sort = argv[6] ? PyObject_IsTrue(argv[6]) : 1;
    if (detached < 0 || sort < 0) {
        return NULL;
    }
    Py_buffer v;
    if (PyUnicode_Check(argv[0]) ||
        PyObject_GetBuffer(argv[0], &v, PyBUF_SIMPLE) < 0) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "a bytes-like object is required, not '%.100s'",
                         Py_TYPE(argv[0])->tp_name);
        }
        return NULL;
    }
    jws_encode_args e = {v.buf,   (size_t)v.len, argv[1], argv[2], argv[3],
                         argv[4], detached,      sort,    jwt_mode};
    PyObject *r = sesstok_jwt_jws_encode(st, a, &e);
    PyBuffer_Release(&v);
    return r;
}

static PyObject *
jwsapi_encode(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    return jws_encode_method(op, defcls, args, nargs, kwnames, 0);
}

static PyObject *
jwtapi_encode_jws(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                  Py_ssize_t nargs, PyObject *kwnames)
{
    return jws_encode_method(op, defcls, args, nargs, kwnames, 1);
}

/* ---- decode ------------------------------------------------------------- */

/* The arguments of the decode methods, in PyJWT.decode's order (NULL when
 * not given). */
enum {
    D_JWT,
    D_KEY,
    D_ALGORITHMS,
    D_OPTIONS,
    D_VERIFY,
    D_DETACHED,
    D_AUDIENCE,
    D_SUBJECT,
    D_ISSUER,
    D_LEEWAY,
    D_COUNT
};

/* What a decode method does. */
typedef struct {
    int jwt_mode;     /* a JWT: "b64": false refused, PyJWT's option merge */
    int check_claims; /* parse and check the claims */
    int complete;     /* return {"payload", "header", "signature"} */
    int fname;        /* its name, for warnings */
} decode_kind;

/* An optional argument: NULL when not given or None. */
static PyObject *
none_to_null(PyObject *v)
{
    return v == Py_None ? NULL : v;
}

/* The key and the algorithm policy of a verifying call; *k gets the
 * resolved key for anything but a str/bytes key (whose meaning depends on
 * the token's algorithm, so it is resolved later). */
static int
decode_policy(sesstok_state *st, ApiObject *a, PyObject *key,
              PyObject *algorithms, decode_req *r, JwtKeyObject **k)
{
    int bound = -1;
    if (!PyUnicode_CheckExact(key) && !PyBytes_CheckExact(key)) {
        if ((*k = sesstok_jwt_key_resolve(st, key, 0)) == NULL) {
            return -1;
        }
        bound = (*k)->bound_alg;
    }
    int given = PyObject_IsTrue(algorithms);
    if (given < 0) {
        return -1;
    }
    if (!given && bound < 0) {
        return sesstok_jwt_fail(
            st, EXC_DECODE,
            "It is required that you pass in a value for the "
            "\"algorithms\" argument when calling decode().");
    }
    if (algorithms == Py_None) {
        r->pol.allowed = 1u << bound;
    }
    else if (sesstok_jwt_algorithms_mask(st, algorithms, &r->pol.allowed) <
             0) {
        return -1;
    }
    r->pol.registered = a->registered;
    r->pol.algorithms = algorithms;
    r->pol.enforce_min = r->opt.enforce_min;
    r->ks.key = *k;
    r->ks.key_obj = key;
    return 0;
}

/* The shared part of the decode methods. */
static PyObject *
api_decode(PyObject *op, sesstok_state *st, const decode_kind *kind,
           PyObject **argv, PyObject *extra)
{
    ApiObject *a = Api_CAST(op);
    decode_req r;
    PyObject *result = NULL;
    JwtKeyObject *k = NULL;
    memset(&r, 0, sizeof(r));
    PyObject *options = none_to_null(argv[D_OPTIONS]);
    PyObject *verify = none_to_null(argv[D_VERIFY]);
    if (api_ready(a) < 0 ||
        ((extra != NULL || verify != NULL) &&
         sesstok_jwt_decode_warnings(st, kind->fname, extra, verify, options) <
             0)) {
        return NULL;
    }
    r.jwt_mode = kind->jwt_mode;
    r.check_claims = kind->check_claims;
    r.complete = kind->complete;
    if ((kind->jwt_mode
             ? sesstok_jwt_opts_merge_jwt(st, &a->base, options, &r.opt)
             : sesstok_jwt_opts_merge_jws(st, &a->base, options, &r.opt)) <
        0) {
        return NULL;
    }
    /* PyJWT's default key "" */
    PyObject *key = argv[D_KEY] ? argv[D_KEY] : NAME(st, N_EMPTY);
    PyObject *algorithms = argv[D_ALGORITHMS] ? argv[D_ALGORITHMS] : Py_None;
    r.detached = none_to_null(argv[D_DETACHED]);
    if (r.opt.verify_signature &&
        decode_policy(st, a, key, algorithms, &r, &k) < 0) {
        goto done;
    }
    if (kind->check_claims) {
        r.claims.audience = none_to_null(argv[D_AUDIENCE]);
        r.claims.subject = none_to_null(argv[D_SUBJECT]);
        r.claims.issuer = none_to_null(argv[D_ISSUER]);
        if (sesstok_jwt_leeway_arg(st, argv[D_LEEWAY], &r.claims.leeway) < 0) {
            goto done;
        }
    }
    result = sesstok_jwt_decode_run(st, argv[D_JWT], &r);
done:
    Py_XDECREF(k);
    /* r.opt owned its require: another thread may have changed the options
     * while this one ran without the GIL */
    sesstok_jwt_opts_release(&r.opt);
    return result;
}

/* PyJWT.decode and decode_complete. */
static PyObject *
jwtapi_decode_method(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames, int complete)
{
    /* decode: audience, subject, issuer; decode_complete: audience, issuer,
     * subject (PyJWT's orders) */
    static const int decode_ids[] = {
        N_JWT_ARG,          N_KEY,      N_ALGORITHMS, N_OPTIONS, N_VERIFY,
        N_DETACHED_PAYLOAD, N_AUDIENCE, N_SUBJECT,    N_ISSUER,  N_LEEWAY};
    static const int complete_ids[] = {
        N_JWT_ARG,          N_KEY,      N_ALGORITHMS, N_OPTIONS, N_VERIFY,
        N_DETACHED_PAYLOAD, N_AUDIENCE, N_ISSUER,     N_SUBJECT, N_LEEWAY};
    static const jwt_params params[2] = {
        {"decode", decode_ids, JWT_COUNT(decode_ids), D_COUNT, 1},
        {"decode_complete", complete_ids, JWT_COUNT(complete_ids), D_COUNT,
         1}};
    static const decode_kind kinds[2] = {{1, 1, 0, N_DECODE},
                                         {1, 1, 1, N_DECODE_COMPLETE}};
    static const int hooked[2] = {N_HOOKED_DECODE, N_HOOKED_DECODE_COMPLETE};
    PyObject *argv[D_COUNT], *extra;
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (a->hooked) {
        return hooked_call(st, hooked[complete], op, args, nargs, kwnames);
    }
    if (sesstok_jwt_parse_args(st, &params[complete], args, nargs, kwnames,
                               argv, &extra) < 0) {
        return NULL;
    }
    if (complete) { /* to decode's order */
        PyObject *swapped = argv[D_SUBJECT];
        argv[D_SUBJECT] = argv[D_ISSUER];
        argv[D_ISSUER] = swapped;
    }
    PyObject *r = api_decode(op, st, &kinds[complete], argv, extra);
    Py_XDECREF(extra);
    return r;
}

static PyObject *
jwtapi_decode(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    return jwtapi_decode_method(op, defcls, args, nargs, kwnames, 0);
}

static PyObject *
jwtapi_decode_complete(PyObject *op, PyTypeObject *defcls,
                       PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames)
{
    return jwtapi_decode_method(op, defcls, args, nargs, kwnames, 1);
}

/* decode(jwt, key="", algorithms=None, options=None, detached_payload=None,
 * **kwargs) of PyJWS, and PyJWT._decode_jws (the signature step of
 * PyJWT.decode_complete, which returns the payload bytes). */
static PyObject *
jws_decode_method(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                  Py_ssize_t nargs, PyObject *kwnames, const decode_kind *kind)
{
    static const int ids[] = {N_JWT_ARG, N_KEY, N_ALGORITHMS, N_OPTIONS,
                              N_DETACHED_PAYLOAD};
    static const jwt_params decode = {"decode", ids, JWT_COUNT(ids), 5, 1};
    static const jwt_params decode_complete = {"decode_complete", ids,
                                               JWT_COUNT(ids), 5, 1};
    PyObject *in[5], *argv[D_COUNT] = {NULL}, *extra;
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, kind->complete ? &decode_complete : &decode,
                               args, nargs, kwnames, in, &extra) < 0) {
        return NULL;
    }
    argv[D_JWT] = in[0];
    argv[D_KEY] = in[1];
    argv[D_ALGORITHMS] = in[2];
    argv[D_OPTIONS] = in[3];
    argv[D_DETACHED] = in[4];
    PyObject *r = api_decode(op, st, kind, argv, extra);
    Py_XDECREF(extra);
    return r;
}

static PyObject *
jwsapi_decode(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    static const decode_kind kind = {0, 0, 0, N_DECODE};
    return jws_decode_method(op, defcls, args, nargs, kwnames, &kind);
}

static PyObject *
jwsapi_decode_complete(PyObject *op, PyTypeObject *defcls,
                       PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames)
{
    static const decode_kind kind = {0, 0, 1, N_DECODE_COMPLETE};
    return jws_decode_method(op, defcls, args, nargs, kwnames, &kind);
}

static PyObject *
jwtapi_decode_jws(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                  Py_ssize_t nargs, PyObject *kwnames)
{
    static const decode_kind kind = {1, 0, 1, N_DECODE_COMPLETE};
    return jws_decode_method(op, defcls, args, nargs, kwnames, &kind);
}

/* get_unverified_header(jwt): mirrors PyJWS.get_unverified_header. */
static PyObject *
api_get_unverified_header(PyObject *op, PyTypeObject *defcls,
                          PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames)
{
    static const int ids[] = {N_JWT_ARG};
    static const jwt_params params = {"get_unverified_header", ids,
                                      JWT_COUNT(ids), 1, 1};
    PyObject *argv[1];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    jws_token t;
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
            0 ||
        api_ready(a) < 0) {
        return NULL;
    }
    PyObject *r = NULL;
    if (sesstok_jwt_token_load(st, argv[0], &a->base, &t) == 0) {
        r = sesstok_jwt_token_header(&t);
    }
    sesstok_jwt_token_clear(&t);
    return r;
}

static PyObject *
api_get_algorithms(PyObject *op, PyObject *unused)
{
    ApiObject *a = Api_CAST(op);
    return sesstok_jwt_mask_to_names(a->configured ? a->registered : ALL_ALGS);
}

/* ---- the types ---------------------------------------------------------- */

/* The methods PyJWT and PyJWS share (initializers only). */
#define API_SHARED_METHODS                                                    \
    {"_configure", (PyCFunction)(void (*)(void))api_configure, METH_MK,       \
     NULL},                                                                   \
        {"get_unverified_header",                                             \
         (PyCFunction)(void (*)(void))api_get_unverified_header, METH_MK,     \
         "get_unverified_header(jwt)\n--\n\n"                                 \
         "The header, checked but not verified."},                            \
    {                                                                         \
        "get_algorithms", api_get_algorithms, METH_NOARGS,                    \
            "get_algorithms()\n--\n\nThe supported algorithm names."          \
    }

static PyMethodDef jwtapi_methods[] = {
    API_SHARED_METHODS,
    {"encode", (PyCFunction)(void (*)(void))jwtapi_encode, METH_MK,
     "encode(payload, key, algorithm='HS256', headers=None, "
     "json_encoder=None, "
     "sort_headers=True)\n--\n\n"
     "Encode the payload dict as a JWT (PyJWT.encode)."},
    {"decode", (PyCFunction)(void (*)(void))jwtapi_decode, METH_MK,
     "decode(jwt, key='', algorithms=None, options=None, verify=None, "
     "detached_payload=None, audience=None, subject=None, issuer=None, "
     "leeway=0, **kwargs)\n--\n\n"
     "Verify the token and its claims; return the claims (PyJWT.decode)."},
    {"decode_complete", (PyCFunction)(void (*)(void))jwtapi_decode_complete,
     METH_MK,
     "decode_complete(jwt, key='', algorithms=None, options=None, "
     "verify=None, detached_payload=None, audience=None, issuer=None, "
     "subject=None, leeway=0, **kwargs)\n--\n\n"
     "As decode, returning {'payload', 'header', 'signature'}."},
    {"_encode_jws", (PyCFunction)(void (*)(void))jwtapi_encode_jws, METH_MK,
     "The JWS step of PyJWT.encode: sign the payload bytes, as "
     "self._jws.encode "
     "(for the Python implementation of hooked subclasses)."},
    {"_decode_jws", (PyCFunction)(void (*)(void))jwtapi_decode_jws, METH_MK,
     "The JWS step of PyJWT.decode_complete: verify, return the payload "
     "bytes, as self._jws.decode_complete (for the Python implementation of "
     "hooked subclasses)."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef jwsapi_methods[] = {
    API_SHARED_METHODS,
    {"encode", (PyCFunction)(void (*)(void))jwsapi_encode, METH_MK,
     "encode(payload, key, algorithm='HS256', headers=None, "
     "json_encoder=None, "
     "is_payload_detached=False, sort_headers=True)\n--\n\n"
     "Sign payload bytes (PyJWS.encode)."},
    {"decode", (PyCFunction)(void (*)(void))jwsapi_decode, METH_MK,
     "decode(jwt, key='', algorithms=None, options=None, "
     "detached_payload=None, **kwargs)\n--\n\n"
     "Verify the token; return the payload bytes (PyJWS.decode)."},
    {"decode_complete", (PyCFunction)(void (*)(void))jwsapi_decode_complete,
     METH_MK,
     "decode_complete(jwt, key='', algorithms=None, options=None, "
     "detached_payload=None, **kwargs)\n--\n\n"
     "As decode, returning {'payload', 'header', 'signature'}."},
    {NULL, NULL, 0, NULL},
};

/* The slots of both types (initializers only). */
#define API_SLOTS(doc, methods)                                               \
    {Py_tp_doc, doc}, {Py_tp_new, PyType_GenericNew},                         \
        {Py_tp_dealloc, api_dealloc}, {Py_tp_traverse, api_traverse},         \
        {Py_tp_clear, api_clear}, {Py_tp_methods, methods},                   \
    {                                                                         \
        0, NULL                                                               \
    }

static PyType_Slot jwtapi_slots[] = {
    API_SLOTS("The C half of sesstok.jwt.PyJWT.", jwtapi_methods),
};

static PyType_Slot jwsapi_slots[] = {
    API_SLOTS("The C half of sesstok.jwt.PyJWS.", jwsapi_methods),
};

PyType_Spec sesstok_jwt_api_spec = {
    .name = "sesstok._core.JwtApi",
    .basicsize = sizeof(ApiObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = jwtapi_slots,
};

PyType_Spec sesstok_jws_api_spec = {
    .name = "sesstok._core.JwsApi",
    .basicsize = sizeof(ApiObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = jwsapi_slots,
};
