/* jwt_prepared.c - JwtDecoder and JwtEncoder, the C halves of
 * sesstok.jwt.Decoder and Encoder: keys, options, claim expectations and the
 * header are prepared once (sesstok.jwt checks the key set), so a decode or
 * an encode is one C call. Both copy what they keep when they are made and
 * refuse a second __init__: decode and encode release the GIL while they
 * hold pointers into that state. */
#include "jwt.h"

/* ---- Decoder ------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD dec_keys keys;
    unsigned allowed;
    jwt_opts opt;         /* owns opt.require: a tuple, taken at init */
    PyObject *options;    /* a private copy of the options, with that tuple */
    PyObject *algorithms; /* tuple of names */
    PyObject *audience, *issuer, *subject;
    double leeway;
} DecoderObject;

#define Decoder_CAST(op) ((DecoderObject *)(op))

static void
keys_free(dec_entry *entries, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_CLEAR(entries[i].key);
        Py_CLEAR(entries[i].kid);
    }
    PyMem_Free(entries);
}

static int
decoder_traverse(PyObject *op, visitproc visit, void *arg)
{
    DecoderObject *d = Decoder_CAST(op);
    Py_VISIT(Py_TYPE(op));
    for (Py_ssize_t i = 0; i < d->keys.n; i++) {
        Py_VISIT(d->keys.entries[i].key);
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
    keys_free(d->keys.entries, d->keys.n);
    d->keys.entries = NULL;
    d->keys.n = 0;
    Py_CLEAR(d->options);
    Py_CLEAR(d->algorithms);
    Py_CLEAR(d->audience);
    Py_CLEAR(d->issuer);
    Py_CLEAR(d->subject);
    sesstok_jwt_opts_release(&d->opt);
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
    if (copy == NULL ||
        (o->require != NULL &&
         PyDict_SetItem(copy, NAME(st, N_REQUIRE), o->require) < 0)) {
        Py_XDECREF(copy);
        sesstok_jwt_opts_release(o);
        return NULL;
    }
    return copy;
}

/* The key table from entries, a list of (JwtKey, kid or None). */
static int
decoder_keys(sesstok_state *st, PyObject *entries, unsigned allowed,
             dec_keys *keys)
{
    Py_ssize_t n = PyList_GET_SIZE(entries);
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "a Decoder needs at least one key");
        return -1;
    }
    dec_entry *es = PyMem_Calloc((size_t)n, sizeof(dec_entry));
    if (es == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(entries, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 ||
            !Py_IS_TYPE(PyTuple_GET_ITEM(item, 0), st->jwt.KeyType) ||
            (PyTuple_GET_ITEM(item, 1) != Py_None &&
             !PyUnicode_Check(PyTuple_GET_ITEM(item, 1)))) {
            PyErr_SetString(PyExc_TypeError,
                            "entries must be (JwtKey, kid or None) pairs");
            keys_free(es, i);
            return -1;
        }
        es[i].key = (JwtKeyObject *)Py_NewRef(PyTuple_GET_ITEM(item, 0));
        PyObject *kid = PyTuple_GET_ITEM(item, 1);
        es[i].kid = kid == Py_None ? NULL : Py_NewRef(kid);
        es[i].mask = sesstok_jwt_key_alg_mask(es[i].key) & allowed;
    }
    keys->entries = es;
    keys->n = n;
    return 0;
}

/* The checks on everything but the keys. */
static int
decoder_check(sesstok_state *st, PyObject *algorithms, PyObject *leeway,
              const jwt_opts *o, unsigned *allowed, double *lw)
{
    if (sesstok_jwt_algorithms_mask(st, algorithms, allowed) < 0 ||
        sesstok_jwt_leeway_arg(st, leeway, lw) < 0) {
        return -1;
    }
    if (*allowed == 0) {
        PyErr_SetString(PyExc_ValueError,
                        "a Decoder needs at least one supported algorithm");
        return -1;
    }
    if (!o->verify_signature) {
        PyErr_SetString(PyExc_ValueError,
                        "a Decoder always verifies signatures");
        return -1;
    }
    return 0;
}

/* JwtDecoder(entries, algorithms, options, audience, issuer, subject, leeway):
 * entries is a list of (JwtKey, kid or None); sesstok.jwt.Decoder builds it
 * and checks the key set (no mixed symmetric/asymmetric keys, no duplicate
 * kids, key lengths). options is a complete options dict. */
static int
decoder_init(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"entries", "algorithms", "options", "audience",
                             "issuer",  "subject",    "leeway",  NULL};
    PyObject *entries, *algorithms, *options, *audience, *issuer, *subject,
        *leeway;
    DecoderObject *d = Decoder_CAST(op);
    sesstok_state *st = sesstok_state_from_type(Py_TYPE(op));
    if (st == NULL || !PyArg_ParseTupleAndKeywords(
                          args, kwargs, "O!OO!OOOO:JwtDecoder", kwlist,
                          &PyList_Type, &entries, &algorithms, &PyDict_Type,
                          &options, &audience, &issuer, &subject, &leeway)) {
        return -1;
    }
    if (d->keys.n > 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "a Decoder cannot be initialized twice");
        return -1;
    }
    jwt_opts o;
    unsigned allowed;
    double lw;
    dec_keys keys;
    PyObject *names = NULL, *own_options;
    if (sesstok_jwt_opts_from_full(st, options, &o) < 0) {
        return -1;
    }
    if ((own_options = decoder_own_options(st, options, &o)) == NULL) {
        return -1;
    }
    if (decoder_check(st, algorithms, leeway, &o, &allowed, &lw) < 0 ||
        (names = sesstok_jwt_mask_to_names(allowed)) == NULL ||
        decoder_keys(st, entries, allowed, &keys) < 0) {
        sesstok_jwt_opts_release(&o);
        Py_DECREF(own_options);
        Py_XDECREF(names);
        return -1;
    }
    decoder_clear(op);
    d->keys = keys;
    d->allowed = allowed;
    d->opt = o;               /* owns o.require */
    d->options = own_options; /* owned */
    d->algorithms = names;
    d->audience = audience == Py_None ? NULL : Py_NewRef(audience);
    d->issuer = issuer == Py_None ? NULL : Py_NewRef(issuer);
    d->subject = subject == Py_None ? NULL : Py_NewRef(subject);
    d->leeway = lw;
    return 0;
}

static PyObject *
decoder_run(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
            Py_ssize_t nargs, PyObject *kwnames, int complete, int jwt_mode)
{
    static const int ids[] = {N_JWT_ARG};
    static const jwt_params decode = {"decode", ids, JWT_COUNT(ids), 1, 1};
    static const jwt_params decode_complete = {"decode_complete", ids,
                                               JWT_COUNT(ids), 1, 1};
    static const jwt_params decode_jws = {"decode_jws", ids, JWT_COUNT(ids), 1,
                                          1};
    PyObject *argv[1];
    DecoderObject *d = Decoder_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    const jwt_params *params = !jwt_mode  ? &decode_jws
                               : complete ? &decode_complete
                                          : &decode;
    if (sesstok_jwt_parse_args(st, params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    if (d->keys.n == 0) {
        PyErr_SetString(PyExc_RuntimeError, "Decoder is not initialized");
        return NULL;
    }
    decode_req r;
    memset(&r, 0, sizeof(r));
    r.jwt_mode = jwt_mode;
    r.check_claims = jwt_mode;
    r.complete = complete;
    sesstok_jwt_opts_copy(&r.opt, &d->opt);
    r.ks.table = &d->keys;
    r.pol.allowed = d->allowed;
    r.pol.registered = ALL_ALGS;
    r.pol.algorithms = d->algorithms;
    r.pol.enforce_min = d->opt.enforce_min;
    r.claims.audience = d->audience;
    r.claims.issuer = d->issuer;
    r.claims.subject = d->subject;
    r.claims.leeway = d->leeway;
    PyObject *result = sesstok_jwt_decode_run(st, argv[0], &r);
    sesstok_jwt_opts_release(&r.opt);
    return result;
}

static PyObject *
decoder_decode(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
               Py_ssize_t nargs, PyObject *kwnames)
{
    return decoder_run(op, defcls, args, nargs, kwnames, 0, 1);
}

static PyObject *
decoder_decode_complete(PyObject *op, PyTypeObject *defcls,
                        PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames)
{
    return decoder_run(op, defcls, args, nargs, kwnames, 1, 1);
}

static PyObject *
decoder_decode_jws(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
                   Py_ssize_t nargs, PyObject *kwnames)
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
    PyObject *t = PyTuple_New(d->keys.n);
    for (Py_ssize_t i = 0; t != NULL && i < d->keys.n; i++) {
        const dec_entry *e = &d->keys.entries[i];
        PyObject *pair = PyTuple_Pack(2, e->key, e->kid ? e->kid : Py_None);
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
     "decode(jwt)\n--\n\nVerify the token and its claims with the configured "
     "keys and options; return the claims."},
    {"decode_complete", (PyCFunction)(void (*)(void))decoder_decode_complete,
     METH_MK,
     "decode_complete(jwt)\n--\n\n"
     "As decode, returning {'payload', 'header', 'signature'}."},
    {"decode_jws", (PyCFunction)(void (*)(void))decoder_decode_jws, METH_MK,
     "decode_jws(jwt)\n--\n\nVerify a JWS with the configured keys and return "
     "its payload bytes (no JSON, no claims: for payloads that are not JWT "
     "claims)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef decoder_getset[] = {
    {"algorithms", decoder_get_algorithms, NULL, "The accepted algorithms.",
     NULL},
    {"keys", decoder_get_keys, NULL, "The configured (key, kid) pairs.", NULL},
    {"options", decoder_get_options, NULL,
     "The options, read-only: a Decoder copies them (\"require\" as a tuple) "
     "when made.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot decoder_slots[] = {
    {Py_tp_doc, "The C half of sesstok.jwt.Decoder: verification with "
                "prepared keys."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, decoder_init},
    {Py_tp_dealloc, decoder_dealloc},
    {Py_tp_traverse, decoder_traverse},
    {Py_tp_clear, decoder_clear},
    {Py_tp_methods, decoder_methods},
    {Py_tp_getset, decoder_getset},
    {0, NULL},
};

PyType_Spec sesstok_jwt_decoder_spec = {
    .name = "sesstok._core.JwtDecoder",
    .basicsize = sizeof(DecoderObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = decoder_slots,
};

/* ---- Encoder ------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD JwtKeyObject *key;
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
    static char *kwlist[] = {"key", "algorithm", "header_b64", "json_encoder",
                             NULL};
    PyObject *key, *algorithm, *header, *json_encoder;
    EncoderObject *e = Encoder_CAST(op);
    sesstok_state *st = sesstok_state_from_type(Py_TYPE(op));
    if (st == NULL ||
        !PyArg_ParseTupleAndKeywords(args, kwargs, "O!OO!O:JwtEncoder", kwlist,
                                     st->jwt.KeyType, &key, &algorithm,
                                     &PyBytes_Type, &header, &json_encoder)) {
        return -1;
    }
    if (e->key != NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "an Encoder cannot be initialized twice");
        return -1;
    }
    int alg = sesstok_jwt_alg_arg(st, algorithm);
    if (alg < 0 || sesstok_jwt_key_check_alg(st, JwtKey_CAST(key), alg) < 0) {
        return -1;
    }
    if (sesstok_jwt_algs[alg].family != FAM_HMAC &&
        !JwtKey_CAST(key)->pk.is_private) {
        sesstok_jwt_raise(st, EXC_INVALID_KEY,
                          "Signing with %s needs a private key",
                          sesstok_jwt_algs[alg].name);
        return -1;
    }
    encoder_clear(op);
    e->key = (JwtKeyObject *)Py_NewRef(key);
    e->alg = alg;
    e->header_b64 = Py_NewRef(header);
    e->json_encoder = json_encoder == Py_None ? NULL : Py_NewRef(json_encoder);
    return 0;
}

/* header_b64 "." base64url(json) "." base64url(signature) into out. */
static int
encoder_sign(sesstok_state *st, EncoderObject *e, const sesstok_buf *json,
             sesstok_buf *out)
{
    if (sesstok_buf_append(out, PyBytes_AS_STRING(e->header_b64),
                           (size_t)PyBytes_GET_SIZE(e->header_b64)) < 0 ||
        sesstok_buf_putc(out, '.') < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (sesstok_jwt_buf_b64(out, json->data, json->len) < 0) {
        return -1;
    }
    return sesstok_jwt_sign_append(st, e->key, e->alg, out->data, out->len,
                                   out);
}

/* Encoder.encode(payload): PyJWT.encode with everything but the payload
 * prepared. */
static PyObject *
encoder_encode(PyObject *op, PyTypeObject *defcls, PyObject *const *args,
               Py_ssize_t nargs, PyObject *kwnames)
{
    static const int ids[] = {N_PAYLOAD};
    static const jwt_params params = {"encode", ids, JWT_COUNT(ids), 1, 1};
    PyObject *argv[1];
    EncoderObject *e = Encoder_CAST(op);
    sesstok_state *st = sesstok_jwt_state_of(defcls);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    if (e->key == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Encoder is not initialized");
        return NULL;
    }
    PyObject *payload = sesstok_jwt_prepare_payload(st, argv[0]);
    if (payload == NULL) {
        return NULL;
    }
    sesstok_buf json, out;
    PyObject *r = NULL;
    sesstok_buf_init(&json);
    sesstok_buf_init(&out);
    if (sesstok_jwt_json_dumps_into(st, &json, payload, e->json_encoder, 0) ==
            0 &&
        encoder_sign(st, e, &json, &out) == 0) {
        r = sesstok_jwt_ascii_str(out.data, out.len);
    }
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
    return PyUnicode_FromString(sesstok_jwt_algs[e->alg].name);
}

static PyObject *
encoder_get_key(PyObject *op, void *c)
{
    EncoderObject *e = Encoder_CAST(op);
    return Py_NewRef(e->key ? (PyObject *)e->key : Py_None);
}

static PyMethodDef encoder_methods[] = {
    {"encode", (PyCFunction)(void (*)(void))encoder_encode, METH_MK,
     "encode(payload)\n--\n\nThe JWT for payload (a dict), signed with the "
     "prepared key and header."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef encoder_getset[] = {
    {"algorithm", encoder_get_algorithm, NULL, "The signing algorithm.", NULL},
    {"key", encoder_get_key, NULL, "The prepared key.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot encoder_slots[] = {
    {Py_tp_doc, "The C half of sesstok.jwt.Encoder: signing with a prepared "
                "key and header."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, encoder_init},
    {Py_tp_dealloc, encoder_dealloc},
    {Py_tp_traverse, encoder_traverse},
    {Py_tp_clear, encoder_clear},
    {Py_tp_methods, encoder_methods},
    {Py_tp_getset, encoder_getset},
    {0, NULL},
};

PyType_Spec sesstok_jwt_encoder_spec = {
    .name = "sesstok._core.JwtEncoder",
    .basicsize = sizeof(EncoderObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = encoder_slots,
};
