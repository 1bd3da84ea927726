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

/* _configure(options, algorithms, header_typ, hooks): set up from a complete
 * options dict (sesstok.jwt merges the defaults), the registered algorithms
 * (None: all) and PyJWS.header_typ. */
static PyObject *
api_configure(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_OPTIONS, N_ALGORITHMS, N_HEADER_TYP, N_HOOKS};
    static const jwt_params params = {"_configure", ids, JWT_COUNT(ids), 4, 4};
    PyObject *argv[4];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    jwt_opts o;
    unsigned mask = ALL_ALGS;
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL)
            < 0
        || sesstok_jwt_opts_from_full(st, argv[0], &o) < 0) {
        return NULL;
    }
    long hooks = -1;
    if (argv[1] != Py_None && sesstok_jwt_algorithms_mask(st, argv[1], &mask) < 0) {
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
    sesstok_jwt_opts_release(&o);
    return NULL;
}

/* ---- encode ------------------------------------------------------------------ */

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
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL)
            < 0
        || api_ready(a) < 0) {
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
    if (sesstok_jwt_payload_json(st, op, a->hooks, &json, payload, argv[3],
                                 argv[4]) == 0) {
        jws_encode_args e = {json.data, json.len, argv[1], argv[2], argv[3],
                             argv[4],   0,        sort,    1};
        r = sesstok_jwt_jws_encode(st, a, &e);
    }
    sesstok_buf_free(&json);
    Py_DECREF(payload);
    return r;
}

/* PyJWS.encode(payload, key, algorithm=<unset>, headers=None,
 * json_encoder=None, is_payload_detached=False, sort_headers=True) */
static PyObject *
jwsapi_encode(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_PAYLOAD,      N_KEY,
                              N_ALGORITHM,    N_HEADERS,
                              N_JSON_ENCODER, N_IS_PAYLOAD_DETACHED,
                              N_SORT_HEADERS};
    static const jwt_params params = {"encode", ids, JWT_COUNT(ids), 7, 2};
    PyObject *argv[7];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL)
            < 0
        || api_ready(a) < 0) {
        return NULL;
    }
    int detached = argv[5] ? PyObject_IsTrue(argv[5]) : 0;
    int sort = argv[6] ? PyObject_IsTrue(argv[6]) : 1;
    if (detached < 0 || sort < 0) {
        return NULL;
    }
    Py_buffer v;
    if (PyUnicode_Check(argv[0])
        || PyObject_GetBuffer(argv[0], &v, PyBUF_SIMPLE) < 0) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "a bytes-like object is required, not '%.100s'",
                         Py_TYPE(argv[0])->tp_name);
        }
        return NULL;
    }
    jws_encode_args e = {v.buf,   (size_t)v.len, argv[1], argv[2], argv[3],
                         argv[4], detached,      sort,    0};
    PyObject *r = sesstok_jwt_jws_encode(st, a, &e);
    PyBuffer_Release(&v);
    return r;
}

/* ---- decode ------------------------------------------------------------------ */

/* The arguments of the decode methods, in PyJWT.decode's order (NULL when
 * not given). */
enum {
    D_JWT, D_KEY, D_ALGORITHMS, D_OPTIONS, D_VERIFY, D_DETACHED, D_AUDIENCE,
    D_SUBJECT, D_ISSUER, D_LEEWAY, D_COUNT
};

/* An optional argument: NULL when not given or None. */
static PyObject *
none_to_null(PyObject *v)
{
    return v == Py_None ? NULL : v;
}

/* Warn as PyJWT.decode_complete does when the legacy `verify` argument
 * disagrees with options["verify_signature"]. */
static int
check_verify_arg(sesstok_state *st, PyObject *verify, PyObject *options)
{
    PyObject *vs = Py_True;
    if (options != NULL) {
        vs = PyDict_GetItemWithError(options, NAME(st, N_VERIFY_SIGNATURE));
        if (vs == NULL) {
            if (PyErr_Occurred()) {
                return -1;
            }
            vs = Py_True;
        }
    }
    int ne = PyObject_RichCompareBool(verify, vs, Py_NE);
    if (ne <= 0) {
        return ne;
    }
    return PyErr_WarnEx(PyExc_DeprecationWarning,
                        "The `verify` argument to `decode` does nothing in "
                        "PyJWT 2.0 and newer. The equivalent is setting "
                        "`verify_signature` to False in the `options` "
                        "dictionary. This invocation has a mismatch between "
                        "the kwarg and the option entry.",
                        1);
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
        return sesstok_jwt_fail(st, EXC_DECODE,
                         "It is required that you pass in a value for the "
                         "\"algorithms\" argument when calling decode().");
    }
    if (algorithms == Py_None) {
        r->pol.allowed = 1u << bound;
    }
    else if (sesstok_jwt_algorithms_mask(st, algorithms, &r->pol.allowed) < 0) {
        return -1;
    }
    r->pol.registered = a->registered;
    r->pol.algorithms = algorithms;
    r->pol.enforce_min = r->opt.enforce_min;
    r->ks.key = *k;
    r->ks.key_obj = key;
    return 0;
}

/* The shared part of PyJWT/PyJWS decode and decode_complete. */
static PyObject *
api_decode(PyObject *op, sesstok_state *st, int jwt_mode, int complete,
           PyObject **argv, PyObject *extra, const char *fname)
{
    ApiObject *a = Api_CAST(op);
    decode_req r;
    PyObject *result = NULL;
    JwtKeyObject *k = NULL;
    memset(&r, 0, sizeof(r));
    if (api_ready(a) < 0
        || (extra != NULL && sesstok_jwt_warn_extra_kwargs(st, fname, extra) < 0)) {
        return NULL;
    }
    PyObject *options = none_to_null(argv[D_OPTIONS]);
    r.jwt_mode = jwt_mode;
    r.complete = complete;
    r.self = op;
    r.hooks = a->hooks;
    r.options_arg = options;
    if ((jwt_mode ? sesstok_jwt_opts_merge_jwt(st, &a->base, options, &r.opt)
                  : sesstok_jwt_opts_merge_jws(st, &a->base, options, &r.opt))
        < 0) {
        return NULL;
    }
    PyObject *verify = none_to_null(argv[D_VERIFY]);
    if (jwt_mode && verify != NULL && check_verify_arg(st, verify, options) < 0) {
        goto done;
    }
    /* PyJWT's default key "" */
    PyObject *key = argv[D_KEY] ? argv[D_KEY] : NAME(st, N_EMPTY);
    PyObject *algorithms = argv[D_ALGORITHMS] ? argv[D_ALGORITHMS] : Py_None;
    r.detached = none_to_null(argv[D_DETACHED]);
    if (r.opt.verify_signature
        && decode_policy(st, a, key, algorithms, &r, &k) < 0) {
        goto done;
    }
    if (jwt_mode) {
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

/* PyJWT.decode(jwt, key="", algorithms=None, options=None, verify=None,
 * detached_payload=None, audience=None, subject=None, issuer=None, leeway=0,
 * **kwargs) */
static PyObject *
jwtapi_decode(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_JWT_ARG,  N_KEY,   N_ALGORITHMS,
                              N_OPTIONS,  N_VERIFY, N_DETACHED_PAYLOAD,
                              N_AUDIENCE, N_SUBJECT, N_ISSUER,
                              N_LEEWAY};
    static const jwt_params params = {"decode", ids, JWT_COUNT(ids), D_COUNT, 1};
    PyObject *argv[D_COUNT], *extra;
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, &extra)
        < 0) {
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
jwtapi_decode_complete(PyObject *op, PyTypeObject *defcls,
                       PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames)
{
    static const int ids[] = {N_JWT_ARG,  N_KEY,    N_ALGORITHMS,
                              N_OPTIONS,  N_VERIFY, N_DETACHED_PAYLOAD,
                              N_AUDIENCE, N_ISSUER, N_SUBJECT,
                              N_LEEWAY};
    static const jwt_params params = {"decode_complete", ids, JWT_COUNT(ids), D_COUNT,
                                      1};
    PyObject *argv[D_COUNT], *extra;
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, &extra)
        < 0) {
        return NULL;
    }
    PyObject *swapped = argv[D_SUBJECT]; /* to decode's order */
    argv[D_SUBJECT] = argv[D_ISSUER];
    argv[D_ISSUER] = swapped;
    PyObject *r = api_decode(op, st, 1, 1, argv, extra, "decode_complete");
    Py_XDECREF(extra);
    return r;
}

/* PyJWS.decode / decode_complete(jwt, key="", algorithms=None, options=None,
 * detached_payload=None, **kwargs) */
static PyObject *
jwsapi_decode_common(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames, int complete)
{
    static const int ids[] = {N_JWT_ARG, N_KEY, N_ALGORITHMS, N_OPTIONS,
                              N_DETACHED_PAYLOAD};
    static const jwt_params decode = {"decode", ids, JWT_COUNT(ids), 5, 1};
    static const jwt_params decode_complete = {"decode_complete", ids, JWT_COUNT(ids), 5, 1};
    const jwt_params *params = complete ? &decode_complete : &decode;
    PyObject *in[5], *argv[D_COUNT] = {NULL}, *extra;
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, params, args, nargs, kwnames, in, &extra)
        < 0) {
        return NULL;
    }
    argv[D_JWT] = in[0];
    argv[D_KEY] = in[1];
    argv[D_ALGORITHMS] = in[2];
    argv[D_OPTIONS] = in[3];
    argv[D_DETACHED] = in[4];
    PyObject *r = api_decode(op, st, 0, complete, argv, extra, params->fname);
    Py_XDECREF(extra);
    return r;
}

static PyObject *
jwsapi_decode(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames)
{
    return jwsapi_decode_common(op, defcls, args, nargs, kwnames, 0);
}

static PyObject *
jwsapi_decode_complete(PyObject *op, PyTypeObject *defcls,
                       PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames)
{
    return jwsapi_decode_common(op, defcls, args, nargs, kwnames, 1);
}

/* get_unverified_header(jwt): mirrors PyJWS.get_unverified_header. */
static PyObject *
api_get_unverified_header(PyObject *op, PyTypeObject *defcls,
                          PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames)
{
    static const int ids[] = {N_JWT_ARG};
    static const jwt_params params = {"get_unverified_header", ids, JWT_COUNT(ids), 1, 1};
    PyObject *argv[1];
    ApiObject *a = Api_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    jws_token t;
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) < 0
        || api_ready(a) < 0) {
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

/* ---- the types ---------------------------------------------------------------- */

/* The methods PyJWT and PyJWS share (initializers only). */
#define API_SHARED_METHODS                                                    \
    {"_configure", (PyCFunction)(void (*)(void))api_configure, METH_MK, NULL}, \
    {"get_unverified_header",                                                 \
     (PyCFunction)(void (*)(void))api_get_unverified_header, METH_MK,         \
     "get_unverified_header(jwt)\n--\n\n"                                     \
     "The header, checked but not verified."},                                \
    {"get_algorithms", api_get_algorithms, METH_NOARGS,                       \
     "get_algorithms()\n--\n\nThe supported algorithm names."}

static PyMethodDef jwtapi_methods[] = {
    API_SHARED_METHODS,
    {"encode", (PyCFunction)(void (*)(void))jwtapi_encode, METH_MK,
     "encode(payload, key, algorithm='HS256', headers=None, json_encoder=None, "
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
    {NULL, NULL, 0, NULL},
};

static PyMethodDef jwsapi_methods[] = {
    API_SHARED_METHODS,
    {"encode", (PyCFunction)(void (*)(void))jwsapi_encode, METH_MK,
     "encode(payload, key, algorithm='HS256', headers=None, json_encoder=None, "
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
        {Py_tp_clear, api_clear}, {Py_tp_methods, methods}, {0, NULL}

static PyType_Slot jwtapi_slots[] = {
    API_SLOTS("The C half of sesstok.jwt.PyJWT.", jwtapi_methods),
};

static PyType_Slot jwsapi_slots[] = {
    API_SLOTS("The C half of sesstok.jwt.PyJWS.", jwsapi_methods),
};

PyType_Spec sesstok_jwt_api_spec = {
    .name = "sesstok._core.JwtApi",
    .basicsize = sizeof(ApiObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = jwtapi_slots,
};

PyType_Spec sesstok_jws_api_spec = {
    .name = "sesstok._core.JwsApi",
    .basicsize = sizeof(ApiObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = jwsapi_slots,
};
