/* jwt_encode.c - PyJWS.encode and PyJWT.encode: the payload (datetime
 * claims converted, the JSON PyJWT writes), the protected header (cached for
 * the default one), the key and algorithm PyJWS.encode would choose, and the
 * signature. The output is byte for byte PyJWT's. */
#include "jwt.h"

/* ---- JSON and base64url ------------------------------------------------- */

/* json.dumps(obj, separators=(",", ":"), cls=json_encoder,
 * sort_keys=sort_keys) through Python (a new str reference). */
static PyObject *
python_json_dumps(sesstok_state *st, PyObject *obj, PyObject *json_encoder,
                  int sort_keys)
{
    PyObject *seps = PyTuple_Pack(2, NAME(st, N_COMMA), NAME(st, N_COLON));
    if (seps == NULL) {
        return NULL;
    }
    PyObject *kwargs =
        Py_BuildValue("{O:O,O:O,O:O}", NAME(st, N_SEPARATORS), seps,
                      NAME(st, N_CLS), json_encoder ? json_encoder : Py_None,
                      NAME(st, N_SORT_KEYS), sort_keys ? Py_True : Py_False);
    Py_DECREF(seps);
    if (kwargs == NULL) {
        return NULL;
    }
    PyObject *args = PyTuple_Pack(1, obj);
    PyObject *s = args ? PyObject_Call(st->json_dumps, args, kwargs) : NULL;
    Py_XDECREF(args);
    Py_DECREF(kwargs);
    return s;
}

int
sesstok_jwt_json_dumps_into(sesstok_state *st, sesstok_buf *buf, PyObject *obj,
                            PyObject *json_encoder, int sort_keys)
{
    size_t mark = buf->len;
    if (json_encoder == NULL || json_encoder == Py_None) {
        int rc = sesstok_json_encode(buf, obj, sort_keys);
        if (rc <= 0) {
            return rc;
        }
        buf->len = mark; /* a value the C encoder leaves to Python */
    }
    PyObject *s = python_json_dumps(st, obj, json_encoder, sort_keys);
    if (s == NULL) {
        return -1;
    }
    Py_ssize_t n;
    const char *p = PyUnicode_Check(s) ? PyUnicode_AsUTF8AndSize(s, &n) : NULL;
    if (p == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError,
                            "json.dumps did not return a str");
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

int
sesstok_jwt_buf_b64(sesstok_buf *buf, const unsigned char *data, size_t n)
{
    size_t need = sesstok_b64url_encoded_len(n);
    if (sesstok_buf_reserve(buf, need) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    buf->len += sesstok_b64url_encode(data, n, (char *)buf->data + buf->len);
    return 0;
}

PyObject *
sesstok_jwt_ascii_str(const unsigned char *p, size_t n)
{
    PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
    if (s != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(s), p, n);
    }
    return s;
}

/* ---- the payload -------------------------------------------------------- */

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

/* If (*out)[name] is a datetime, replace it with its timestamp, copying
 * payload into *out first unless *copied says it is a copy already. */
static int
convert_time_claim(sesstok_state *st, PyObject *payload, PyObject **out,
                   int *copied, int name)
{
    PyObject *v = PyDict_GetItemWithError(*out, NAME(st, name));
    if (v == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if (Py_IS_TYPE(v, &PyLong_Type) || Py_IS_TYPE(v, &PyFloat_Type)) {
        return 0;
    }
    int is_dt = PyObject_IsInstance(v, st->datetime_type);
    if (is_dt <= 0) {
        return is_dt;
    }
    PyObject *ts = datetime_to_timestamp(st, v);
    if (ts == NULL) {
        return -1;
    }
    if (!*copied) {
        Py_SETREF(*out, PyDict_Copy(payload));
        *copied = 1;
        if (*out == NULL) {
            Py_DECREF(ts);
            return -1;
        }
    }
    int rc = PyObject_SetItem(*out, NAME(st, name), ts);
    Py_DECREF(ts);
    return rc;
}

PyObject *
sesstok_jwt_prepare_payload(sesstok_state *st, PyObject *payload)
{
    static const int time_claims[] = {N_EXP, N_IAT, N_NBF};
    if (!PyDict_Check(payload)) {
        PyErr_SetString(PyExc_TypeError,
                        "Expecting a dict object, as JWT only supports JSON "
                        "objects as payloads.");
        return NULL;
    }
    int copied = !PyDict_CheckExact(payload);
    PyObject *out = copied /* payload.copy(), as PyJWT */
                        ? PyObject_CallMethodNoArgs(payload, NAME(st, N_COPY))
                        : Py_NewRef(payload);
    if (out == NULL) {
        return NULL;
    }
    if (!PyDict_Check(out)) {
        PyErr_SetString(PyExc_TypeError,
                        "payload.copy() did not return a dict");
        goto error;
    }
    for (int i = 0; i < 3; i++) {
        if (convert_time_claim(st, payload, &out, &copied, time_claims[i]) <
            0) {
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

/* ---- the header --------------------------------------------------------- */

/* The base64url of the default header {"typ": "JWT", "alg": alg} (sorted or
 * not) for an ApiObject whose header_typ is "JWT": borrowed, cached. */
static PyObject *
default_header_b64(ApiObject *a, int alg, int sort)
{
    PyObject **slot = &a->hdr_cache[alg][sort ? 1 : 0];
    if (*slot == NULL) {
        const char *name = sesstok_jwt_algs[alg].name;
        char json[64], b64[96];
        int n = sort ? snprintf(json, sizeof(json),
                                "{\"alg\":\"%s\",\"typ\":\"JWT\"}", name)
                     : snprintf(json, sizeof(json),
                                "{\"typ\":\"JWT\",\"alg\":\"%s\"}", name);
        size_t m =
            sesstok_b64url_encode((const unsigned char *)json, (size_t)n, b64);
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
        return sesstok_jwt_fail(st, EXC_INVALID_TOKEN,
                                "Key ID header parameter must be a string");
    }
    return 0;
}

/* {"typ": header_typ, "alg": alg_obj, **headers}, without a falsy typ (a new
 * reference). */
static PyObject *
header_dict(sesstok_state *st, ApiObject *a, PyObject *alg_obj,
            PyObject *headers)
{
    PyObject *h = PyDict_New();
    if (h == NULL || PyDict_SetItem(h, NAME(st, N_TYP), a->header_typ) < 0 ||
        PyDict_SetItem(h, NAME(st, N_ALG), alg_obj) < 0) {
        goto error;
    }
    if (headers != NULL &&
        (validate_kid(st, headers) < 0 || PyDict_Update(h, headers) < 0)) {
        goto error;
    }
    PyObject *typ = PyDict_GetItemWithError(h, NAME(st, N_TYP));
    int truthy = typ ? PyObject_IsTrue(typ) : 0;
    if (truthy < 0 || (typ == NULL && PyErr_Occurred())) {
        goto error;
    }
    if (!truthy && PyDict_DelItem(h, NAME(st, N_TYP)) < 0) {
        goto error;
    }
    return h;
error:
    Py_XDECREF(h);
    return NULL;
}

/* A detached payload's header: "b64": false, listed in "crit" (RFC 7797
 * section 3). */
static int
header_set_detached(sesstok_state *st, PyObject *h)
{
    PyObject *b64 = NAME(st, N_B64);
    if (PyDict_SetItem(h, b64, Py_False) < 0) {
        return -1;
    }
    PyObject *crit = PyDict_GetItemWithError(h, NAME(st, N_CRIT));
    if (crit == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (crit != NULL && !PyList_Check(crit)) {
        return sesstok_jwt_fail(st, EXC_INVALID_TOKEN,
                                "Invalid 'crit' header: must be a list");
    }
    int has = crit ? PySequence_Contains(crit, b64) : 0;
    if (has != 0) {
        return has < 0 ? -1 : 0;
    }
    PyObject *nc =
        crit ? PyList_GetSlice(crit, 0, PyList_GET_SIZE(crit)) : PyList_New(0);
    int rc = nc == NULL || PyList_Append(nc, b64) < 0 ||
                     PyDict_SetItem(h, NAME(st, N_CRIT), nc) < 0
                 ? -1
                 : 0;
    Py_XDECREF(nc);
    return rc;
}

/* Append the base64url header of PyJWS.encode's general path to out:
 * mirrors the header part of PyJWS.encode. */
static int
encode_header(sesstok_state *st, ApiObject *a, sesstok_buf *out,
              PyObject *alg_obj, PyObject *headers, PyObject *json_encoder,
              int detached, int sort)
{
    sesstok_buf json;
    int rc = -1;
    sesstok_buf_init(&json);
    PyObject *h = header_dict(st, a, alg_obj, headers);
    if (h == NULL) {
        goto done;
    }
    if (detached) {
        if (header_set_detached(st, h) < 0) {
            goto done;
        }
    }
    else {
        int has = PyDict_Contains(h, NAME(st, N_B64));
        if (has < 0 || (has && PyDict_DelItem(h, NAME(st, N_B64)) < 0)) {
            goto done;
        }
    }
    if (sesstok_jwt_json_dumps_into(st, &json, h, json_encoder, sort) == 0) {
        rc = sesstok_jwt_buf_b64(out, json.data, json.len);
    }
done:
    Py_XDECREF(h);
    sesstok_buf_free(&json);
    return rc;
}

/* ---- PyJWS.encode ------------------------------------------------------- */

/* What PyJWS.encode settles before it signs. */
typedef struct {
    JwtKeyObject *k;   /* the key once resolved, or NULL */
    PyObject *hdrs;    /* the headers as a dict (when truthy), or NULL */
    PyObject *alg_obj; /* borrowed: the algorithm name */
    int alg;           /* its id, or -1 */
    int detached;
} jws_encoding;

/* The headers argument as a dict when it is truthy; "alg" and "b64": false
 * in it take precedence over the arguments. */
static int
encoding_headers(sesstok_state *st, PyObject *headers, jws_encoding *en)
{
    int t =
        headers != NULL && headers != Py_None ? PyObject_IsTrue(headers) : 0;
    if (t <= 0) {
        return t;
    }
    en->hdrs = PyDict_Check(headers)
                   ? Py_NewRef(headers)
                   : PyObject_CallOneArg((PyObject *)&PyDict_Type, headers);
    if (en->hdrs == NULL) {
        return -1;
    }
    /* Prefer headers values if present to function parameters. */
    PyObject *halg = PyDict_GetItemWithError(en->hdrs, NAME(st, N_ALG));
    int ht = halg ? PyObject_IsTrue(halg) : 0;
    if (ht < 0 || (halg == NULL && PyErr_Occurred())) {
        return -1;
    }
    if (ht) {
        en->alg_obj = halg;
    }
    PyObject *hb64 = PyDict_GetItemWithError(en->hdrs, NAME(st, N_B64));
    if (hb64 == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (hb64 == Py_False) {
        en->detached = 1;
    }
    return 0;
}

/* The algorithm PyJWS.encode uses: isinstance(key, PyJWK) decides the
 * default; the headers' "alg" wins. "none" (which PyJWT takes for None) is
 * refused. */
static int
encoding_algorithm(sesstok_state *st, const jws_encode_args *e,
                   jws_encoding *en)
{
    PyObject *key = e->key;
    /* None is not a key */
    int plain_key =
        PyUnicode_CheckExact(key) || PyBytes_CheckExact(key) || key == Py_None;
    if (!plain_key && (en->k = sesstok_jwt_key_resolve(st, key, 0)) == NULL) {
        return -1;
    }
    int bound = en->k != NULL && en->k->bound_alg >= 0;
    PyObject *algorithm = e->algorithm;
    if (algorithm != NULL && algorithm != Py_None) {
        en->alg_obj = algorithm;
    }
    else if (bound) {
        en->alg_obj = PyTuple_GET_ITEM(st->jwt.alg_names, en->k->bound_alg);
    }
    else if (algorithm == NULL) { /* PyJWT's _ALGORITHM_UNSET */
        en->alg_obj = PyTuple_GET_ITEM(st->jwt.alg_names, ALG_HS256);
    }
    if (encoding_headers(st, e->headers, en) < 0) {
        return -1;
    }
    if (en->alg_obj == NULL) {
        PyErr_SetString(PyExc_NotImplementedError,
                        "Algorithm 'none' is not supported: sesstok never "
                        "makes unsecured tokens");
        return -1;
    }
    if (e->jwt_mode && en->detached) {
        return sesstok_jwt_fail(
            st, EXC_INVALID_TOKEN,
            "A JWT cannot have \"b64\": false (RFC 7797 payloads "
            "are for JWS only)");
    }
    en->alg = sesstok_jwt_alg_from_obj(st, en->alg_obj);
    return 0;
}

/* Append the header segment: the cached default, or the general path. */
static int
encoding_header_segment(sesstok_state *st, ApiObject *a,
                        const jws_encode_args *e, jws_encoding *en,
                        sesstok_buf *out)
{
    PyObject *enc = e->json_encoder;
    if (en->hdrs == NULL && (enc == NULL || enc == Py_None) && en->alg >= 0 &&
        !en->detached && a->typ_default) {
        PyObject *h = default_header_b64(a, en->alg, e->sort);
        if (h == NULL) {
            return -1;
        }
        if (sesstok_buf_append(out, PyBytes_AS_STRING(h),
                               (size_t)PyBytes_GET_SIZE(h)) < 0) {
            PyErr_NoMemory();
            return -1;
        }
        return 0;
    }
    return encode_header(st, a, out, en->alg_obj, en->hdrs, enc, en->detached,
                         e->sort);
}

/* The algorithm must be one the object offers, and the key fit it. */
static int
encoding_key(sesstok_state *st, ApiObject *a, const jws_encode_args *e,
             jws_encoding *en)
{
    if (en->alg < 0 || !(a->registered & (1u << en->alg))) {
        PyErr_SetString(PyExc_NotImplementedError,
                        sesstok_jwt_obj_is_none_alg(en->alg_obj)
                            ? "Algorithm 'none' is not supported: sesstok "
                              "never makes unsecured tokens"
                            : "Algorithm not supported");
        return -1;
    }
    if (en->k == NULL) {
        int hmac = sesstok_jwt_algs[en->alg].family == FAM_HMAC;
        if ((en->k = sesstok_jwt_key_resolve(st, e->key, hmac)) == NULL) {
            return -1;
        }
    }
    if (sesstok_jwt_key_check_alg(st, en->k, en->alg) < 0 ||
        sesstok_jwt_key_check_length(st, en->k, en->alg, a->base.enforce_min) <
            0) {
        return -1;
    }
    return 0;
}

int
sesstok_jwt_sign_append(sesstok_state *st, JwtKeyObject *k, int alg,
                        const unsigned char *msg, size_t msglen,
                        sesstok_buf *out)
{
    /* the signature goes into the token: nothing here to cleanse */
    unsigned char sig[JWT_SIG_MAX];
    size_t siglen = 0;
    if (sesstok_jwt_key_sign(st, k, alg, msg, msglen, sig, &siglen) < 0) {
        return -1;
    }
    if (sesstok_buf_putc(out, '.') < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return sesstok_jwt_buf_b64(out, sig, siglen);
}

/* out holds the header segment and "."; append the payload segment and
 * the signature. The signing input of a detached payload is
 * header "." payload, and its payload segment stays empty. */
static int
encoding_sign(sesstok_state *st, const jws_encode_args *e, jws_encoding *en,
              sesstok_buf *out)
{
    sesstok_buf detached_input;
    int rc = -1;
    sesstok_buf_init(&detached_input);
    const unsigned char *msg = out->data;
    size_t msglen;
    if (en->detached) {
        if (sesstok_buf_append(&detached_input, out->data, out->len) < 0 ||
            sesstok_buf_append(&detached_input, e->payload, e->payload_len) <
                0) {
            PyErr_NoMemory();
            goto done;
        }
        msg = detached_input.data;
        msglen = detached_input.len;
    }
    else {
        if (sesstok_jwt_buf_b64(out, e->payload, e->payload_len) < 0) {
            goto done;
        }
        msg = out->data;
        msglen = out->len;
    }
    rc = sesstok_jwt_sign_append(st, en->k, en->alg, msg, msglen, out);
done:
    sesstok_buf_free(&detached_input);
    return rc;
}

PyObject *
sesstok_jwt_jws_encode(sesstok_state *st, ApiObject *a,
                       const jws_encode_args *e)
{
    jws_encoding en = {NULL, NULL, NULL, -1, e->detached};
    sesstok_buf out;
    PyObject *result = NULL;
    sesstok_buf_init(&out);
    if (encoding_algorithm(st, e, &en) < 0 ||
        encoding_header_segment(st, a, e, &en, &out) < 0) {
        goto done;
    }
    if (sesstok_buf_putc(&out, '.') < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (encoding_key(st, a, e, &en) == 0 &&
        encoding_sign(st, e, &en, &out) == 0) {
        result = sesstok_jwt_ascii_str(out.data, out.len);
    }
done:
    Py_XDECREF(en.k);
    Py_XDECREF(en.hdrs);
    sesstok_buf_free(&out);
    return result;
}

/* ---- module function ---------------------------------------------------- */

/* jwt_json_dumps(obj, json_encoder=None, sort_keys=False) -> bytes: what
 * json.dumps(obj, separators=(",", ":"), cls=json_encoder,
 * sort_keys=sort_keys).encode() returns, in C when it can be. */
static PyObject *
jwt_json_dumps(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const int ids[] = {N_OBJ, N_JSON_ENCODER, N_SORT_KEYS};
    static const jwt_params params = {"jwt_json_dumps", ids, JWT_COUNT(ids), 3,
                                      1};
    PyObject *argv[3];
    sesstok_state *st = sesstok_get_state(module);
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    int sort = argv[2] ? PyObject_IsTrue(argv[2]) : 0;
    if (sort < 0) {
        return NULL;
    }
    sesstok_buf b;
    sesstok_buf_init(&b);
    PyObject *r = NULL;
    if (sesstok_jwt_json_dumps_into(st, &b, argv[0], argv[1], sort) == 0) {
        r = PyBytes_FromStringAndSize((const char *)b.data, (Py_ssize_t)b.len);
    }
    sesstok_buf_free(&b);
    return r;
}

/* jwt_prepare_payload(payload) -> dict: the start of PyJWT.encode (for the
 * Python implementation of hooked subclasses). */
static PyObject *
jwt_prepare_payload(PyObject *module, PyObject *payload)
{
    return sesstok_jwt_prepare_payload(sesstok_get_state(module), payload);
}

PyMethodDef sesstok_jwt_encode_functions[] = {
    {"jwt_prepare_payload", jwt_prepare_payload, METH_O,
     "jwt_prepare_payload(payload, /)\n--\n\n"
     "The dict PyJWT.encode serializes: payload checked to be a dict, "
     "datetime exp/iat/nbf converted (on a copy), iss checked to be a str."},
    {"jwt_json_dumps", (PyCFunction)(void (*)(void))jwt_json_dumps,
     METH_FASTCALL | METH_KEYWORDS,
     "jwt_json_dumps(obj, json_encoder=None, sort_keys=False)\n--\n\n"
     "json.dumps(obj, separators=(',', ':'), cls=json_encoder, "
     "sort_keys=sort_keys).encode()"},
    {NULL, NULL, 0, NULL},
};
