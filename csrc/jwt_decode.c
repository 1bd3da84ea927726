/* jwt_decode.c - PyJWS.decode_complete and PyJWT.decode_complete: loading a
 * token (the length limit, splitting and strict decoding in jws.c, the
 * header parse with its cache, PyJWS._validate_headers and "crit"), the
 * choice of the algorithm and the key (one key, or a Decoder's table by
 * "kid"), verification, the payload, and the claim checks of
 * jwt_claims.c. */
#include "jwt.h"

#include <string.h>

void
sesstok_jwt_token_init(jws_token *t)
{
    memset(t, 0, offsetof(jws_token, inline_scratch));
}

void
sesstok_jwt_token_clear(jws_token *t)
{
    Py_CLEAR(t->owner);
    Py_CLEAR(t->header);
    if (t->scratch != NULL && t->scratch != t->inline_scratch) {
        PyMem_Free(t->scratch);
    }
    t->scratch = NULL;
}

/* ---- the header --------------------------------------------------------- */

/* Registered header parameter names (RFC 7515 section 4.1, RFC 7516 section
 * 4.1, RFC 7518 section 4): never valid in "crit" (RFC 7515 section
 * 4.1.11). */
static const char *const registered_headers[] = {
    "alg",  "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty",
    "crit", "enc", "zip", "epk", "apu", "apv", "iv",  "tag",      "p2s", "p2c",
};

static int
is_registered_header(PyObject *name)
{
    size_t n = sizeof(registered_headers) / sizeof(registered_headers[0]);
    for (size_t r = 0; r < n; r++) {
        if (PyUnicode_CompareWithASCIIString(name, registered_headers[r]) ==
            0) {
            return 1;
        }
    }
    return 0;
}

/* Critical extensions sesstok understands (as PyJWT: RFC 7797's b64). */
static int
is_supported_crit(PyObject *name)
{
    return PyUnicode_CompareWithASCIIString(name, "b64") == 0;
}

/* Is crit[i] listed in crit[0:i]? 1, 0, or -1 with an exception set. */
static int
listed_before(PyObject *crit, Py_ssize_t i)
{
    PyObject *ext = PyList_GET_ITEM(crit, i);
    for (Py_ssize_t j = 0; j < i; j++) {
        int eq = PyUnicode_Compare(PyList_GET_ITEM(crit, j), ext);
        if (eq == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (eq == 0) {
            return 1;
        }
    }
    return 0;
}

/* One entry of "crit": a str, not registered, supported, present in the
 * header, listed once. */
static int
validate_crit_entry(sesstok_state *st, PyObject *header, PyObject *crit,
                    Py_ssize_t i)
{
    PyObject *ext = PyList_GET_ITEM(crit, i);
    if (!PyUnicode_Check(ext)) {
        return sesstok_jwt_fail(
            st, EXC_INVALID_TOKEN,
            "Invalid 'crit' header: values must be strings");
    }
    if (is_registered_header(ext)) {
        return sesstok_jwt_fail(
            st, EXC_INVALID_TOKEN,
            "Invalid 'crit' header: '%U' is a registered header "
            "parameter",
            ext);
    }
    if (!is_supported_crit(ext)) {
        return sesstok_jwt_fail(st, EXC_INVALID_TOKEN,
                                "Unsupported critical extension: %U", ext);
    }
    int has = PyDict_Contains(header, ext);
    if (has <= 0) {
        return has < 0 ? -1
                       : sesstok_jwt_fail(
                             st, EXC_INVALID_TOKEN,
                             "Critical extension '%U' is missing from "
                             "headers",
                             ext);
    }
    int twice = listed_before(crit, i);
    if (twice != 0) {
        return twice < 0
                   ? -1
                   : sesstok_jwt_fail(st, EXC_INVALID_TOKEN,
                                      "Invalid 'crit' header: '%U' is listed "
                                      "twice",
                                      ext);
    }
    return 0;
}

/* PyJWS._validate_crit, plus: no duplicates and no registered names. */
static int
validate_crit(sesstok_state *st, PyObject *header, PyObject *crit)
{
    if (!PyList_Check(crit) || PyList_GET_SIZE(crit) == 0) {
        return sesstok_jwt_fail(
            st, EXC_INVALID_TOKEN,
            "Invalid 'crit' header: must be a non-empty list");
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(crit); i++) {
        if (validate_crit_entry(st, header, crit, i) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Re-raise a strict JSON error as DecodeError("Invalid <what> string: ..."),
 * chained to the original. */
static void
rewrap_json_error(sesstok_state *st, const char *what)
{
    PyObject *decode = sesstok_jwt_exc(st, EXC_DECODE);
    if (decode == NULL || !PyErr_ExceptionMatches(decode)) {
        return;
    }
    PyObject *orig = sesstok_jwt_take_exception();
    sesstok_jwt_raise(st, EXC_DECODE, "Invalid %s string: %S", what, orig);
    PyObject *now = sesstok_jwt_take_exception();
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

/* Strict JSON of data[0:n] that must be an object (a new reference), or
 * DecodeError("Invalid <what> string: ..."). */
static PyObject *
decode_json_object(sesstok_state *st, const unsigned char *data, size_t n,
                   int max_depth, const char *what)
{
    PyObject *decode_exc = sesstok_jwt_exc(st, EXC_DECODE);
    if (decode_exc == NULL) {
        return NULL;
    }
    PyObject *obj = sesstok_json_decode_strict(
        (const char *)data, (Py_ssize_t)n, max_depth, decode_exc);
    if (obj == NULL) {
        rewrap_json_error(st, what);
        return NULL;
    }
    if (!PyDict_CheckExact(obj)) {
        Py_DECREF(obj);
        return sesstok_jwt_raise(
            st, EXC_DECODE, "Invalid %s string: must be a json object", what);
    }
    return obj;
}

/* The parse of recently seen header segments (header segment bytes -> the
 * header dict): tokens from one issuer share their header byte for byte.
 * Only headers whose members are all scalars are kept, so a dict handed out
 * (always as a copy) can share nothing mutable with the cache. The key is
 * the exact segment, so the cache holds only what the parser would return;
 * it is emptied when full. */
#define HEADER_CACHE_MAX     64
#define HEADER_CACHE_MAX_LEN 512

static int
header_cacheable(PyObject *header)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(header, &pos, &key, &value)) {
        if (!(PyUnicode_CheckExact(value) || PyLong_CheckExact(value) ||
              PyFloat_CheckExact(value) || value == Py_None ||
              PyBool_Check(value))) {
            return 0;
        }
    }
    return 1;
}

/* t->header from the cache when the segment is short enough to be cached
 * (*seg then is the cache key, a new reference, unless it was a hit). */
static int
header_from_cache(sesstok_state *st, jws_token *t, PyObject **seg)
{
    const sesstok_jws_parts *p = &t->parts;
    *seg = NULL;
    if (p->header_len > HEADER_CACHE_MAX_LEN) {
        return 0;
    }
    *seg = PyBytes_FromStringAndSize(t->data + p->header_start,
                                     (Py_ssize_t)p->header_len);
    if (*seg == NULL) {
        return -1;
    }
    PyObject *hit = PyDict_GetItemWithError(st->jwt.header_cache, *seg);
    if (hit != NULL) {
        t->header = Py_NewRef(hit);
        t->header_shared = 1;
        Py_CLEAR(*seg);
        return 0;
    }
    return PyErr_Occurred() ? -1 : 0;
}

/* Remember the parse of a header that passed every content check. */
static int
header_to_cache(sesstok_state *st, jws_token *t, PyObject *seg)
{
    if (seg == NULL || !header_cacheable(t->header)) {
        return 0;
    }
    if (PyDict_GET_SIZE(st->jwt.header_cache) >= HEADER_CACHE_MAX) {
        PyDict_Clear(st->jwt.header_cache);
    }
    t->header_shared = 1;
    return PyDict_SetItem(st->jwt.header_cache, seg, t->header);
}

/* ---- the token ---------------------------------------------------------- */

/* t->data and t->n from a str or bytes token. */
static int
token_bytes(sesstok_state *st, PyObject *jwt, const jwt_opts *o, jws_token *t)
{
    if (PyBytes_Check(jwt)) {
        t->data = PyBytes_AS_STRING(jwt);
        t->n = (size_t)PyBytes_GET_SIZE(jwt);
    }
    else if (!PyUnicode_Check(jwt)) {
        return sesstok_jwt_fail(
            st, EXC_DECODE,
            "Invalid token type. Token must be a <class 'bytes'>");
    }
    else if (PyUnicode_GET_LENGTH(jwt) > o->max_length) {
        return sesstok_jwt_fail(
            st, EXC_DECODE, "Token is longer than %zd bytes", o->max_length);
    }
    else if (PyUnicode_IS_ASCII(jwt)) {
        t->data = (const char *)PyUnicode_1BYTE_DATA(jwt);
        t->n = (size_t)PyUnicode_GET_LENGTH(jwt);
    }
    else {
        Py_ssize_t n;
        if ((t->data = PyUnicode_AsUTF8AndSize(jwt, &n)) == NULL) {
            PyErr_Clear();
            return sesstok_jwt_fail(st, EXC_DECODE,
                                    "Invalid token: not valid UTF-8");
        }
        t->n = (size_t)n;
    }
    t->owner = Py_NewRef(jwt);
    return 0;
}

/* Split the token and reserve scratch for its decoded segments. */
static int
token_split(sesstok_state *st, const jwt_opts *o, jws_token *t)
{
    int rc =
        sesstok_jws_split(t->data, t->n, (size_t)o->max_length, &t->parts);
    if (rc == SESSTOK_JWS_E_TOO_LONG) {
        return sesstok_jwt_fail(
            st, EXC_DECODE, "Token is longer than %zd bytes", o->max_length);
    }
    if (rc != SESSTOK_JWS_OK) {
        return sesstok_jwt_fail(st, EXC_DECODE, "%s",
                                sesstok_jws_strerror(rc));
    }
    const sesstok_jws_parts *p = &t->parts;
    size_t need = sesstok_b64url_decoded_max(p->header_len) +
                  sesstok_b64url_decoded_max(p->payload_len) +
                  sesstok_b64url_decoded_max(p->signature_len);
    if (need <= sizeof(t->inline_scratch)) {
        t->scratch = t->inline_scratch;
    }
    else if ((t->scratch = PyMem_Malloc(need)) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The payload and signature segments, once "b64" is known. */
static int
token_segments(sesstok_state *st, jws_token *t, unsigned char *payload_buf)
{
    const sesstok_jws_parts *p = &t->parts;
    t->payload = payload_buf;
    t->payload_len = 0;
    if (!t->b64) {
        /* the detached form (RFC 7515 Appendix F): nothing to decode */
        if (p->payload_len != 0) {
            return sesstok_jwt_fail(
                st, EXC_DECODE,
                "Payload segment must be empty when 'b64' is "
                "false.");
        }
    }
    else if (sesstok_jws_decode_segment(t->data + p->payload_start,
                                        p->payload_len, t->payload,
                                        &t->payload_len) != 0) {
        return sesstok_jwt_fail(st, EXC_DECODE, "Invalid payload padding");
    }
    t->sig = t->payload + t->payload_len;
    if (sesstok_jws_decode_segment(t->data + p->signature_start,
                                   p->signature_len, t->sig,
                                   &t->sig_len) != 0) {
        return sesstok_jwt_fail(st, EXC_DECODE, "Invalid crypto padding");
    }
    return 0;
}

/* b64, the payload and signature segments, and PyJWS._validate_headers,
 * once the header is parsed. payload_buf is where the payload goes. */
static int
token_load_rest(sesstok_state *st, jws_token *t, unsigned char *payload_buf)
{
    PyObject *b64 = PyDict_GetItemWithError(t->header, NAME(st, N_B64));
    if (b64 == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (b64 != NULL && b64 != Py_True && b64 != Py_False) {
        return sesstok_jwt_fail(
            st, EXC_DECODE, "Invalid header string: 'b64' must be a boolean");
    }
    t->b64 = b64 != Py_False;
    if (token_segments(st, t, payload_buf) < 0) {
        return -1;
    }
    /* PyJWS._validate_headers */
    t->kid = PyDict_GetItemWithError(t->header, NAME(st, N_KID));
    if (t->kid == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (t->kid != NULL && !PyUnicode_Check(t->kid)) {
        return sesstok_jwt_fail(st, EXC_INVALID_TOKEN,
                                "Key ID header parameter must be a string");
    }
    PyObject *crit = PyDict_GetItemWithError(t->header, NAME(st, N_CRIT));
    if (crit == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (crit != NULL && validate_crit(st, t->header, crit) < 0) {
        return -1;
    }
    t->alg_obj = PyDict_GetItemWithError(t->header, NAME(st, N_ALG));
    return t->alg_obj == NULL && PyErr_Occurred() ? -1 : 0;
}

int
sesstok_jwt_token_load(sesstok_state *st, PyObject *jwt, const jwt_opts *o,
                       jws_token *t)
{
    sesstok_jwt_token_init(t);
    if (token_bytes(st, jwt, o, t) < 0 || token_split(st, o, t) < 0) {
        return -1;
    }
    const sesstok_jws_parts *p = &t->parts;
    unsigned char *hdr = t->scratch;
    size_t hlen = 0;
    PyObject *seg; /* the header segment, as the cache's key */
    if (header_from_cache(st, t, &seg) < 0) {
        return -1;
    }
    if (t->header == NULL) {
        if (sesstok_jws_decode_segment(t->data + p->header_start,
                                       p->header_len, hdr, &hlen) != 0) {
            Py_XDECREF(seg);
            return sesstok_jwt_fail(st, EXC_DECODE, "Invalid header padding");
        }
        t->header = decode_json_object(st, hdr, hlen, o->max_depth, "header");
        if (t->header == NULL) {
            Py_XDECREF(seg);
            return -1;
        }
    }
    int rc = token_load_rest(st, t, hdr + hlen);
    if (rc == 0) {
        rc = header_to_cache(st, t, seg);
    }
    Py_XDECREF(seg);
    return rc;
}

PyObject *
sesstok_jwt_token_header(jws_token *t)
{
    return t->header_shared ? PyDict_Copy(t->header) : Py_NewRef(t->header);
}

/* ---- the algorithm and the key ------------------------------------------ */

/* The algorithm of a token, checked against the policy: mirrors the start of
 * PyJWS._verify_signature. Return the id or -1 (InvalidAlgorithmError). */
static int
token_alg(sesstok_state *st, jws_token *t, const alg_policy *pol,
          int bound_alg)
{
    if (t->alg_obj == NULL) {
        return sesstok_jwt_fail(st, EXC_INVALID_ALG,
                                "Algorithm not specified");
    }
    if (!PyUnicode_Check(t->alg_obj)) {
        return sesstok_jwt_fail(st, EXC_INVALID_ALG,
                                "The specified alg value is not allowed");
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(t->alg_obj, &n);
    if (s == NULL) {
        return -1;
    }
    int alg = sesstok_jwt_alg_from_utf8(s, n);
    if (alg < 0) {
        if (n > 0 && !sesstok_jwt_is_none_utf8(s, n) &&
            sesstok_jwt_algorithms_lists(pol->algorithms, t->alg_obj)) {
            return sesstok_jwt_fail(st, EXC_INVALID_ALG,
                                    "Algorithm not supported");
        }
        return sesstok_jwt_fail(st, EXC_INVALID_ALG,
                                "The specified alg value is not allowed");
    }
    if (!(pol->allowed & (1u << alg))) {
        return sesstok_jwt_fail(st, EXC_INVALID_ALG,
                                "The specified alg value is not allowed");
    }
    if (bound_alg >= 0 && alg != bound_alg) {
        return sesstok_jwt_fail(
            st, EXC_INVALID_ALG,
            "Token algorithm '%s' does not match the key's "
            "algorithm '%s'",
            sesstok_jwt_algs[alg].name, sesstok_jwt_algs[bound_alg].name);
    }
    if (!(pol->registered & (1u << alg))) {
        return sesstok_jwt_fail(st, EXC_INVALID_ALG,
                                "Algorithm not supported");
    }
    return alg;
}

/* The entry of a Decoder's table with the token's kid, or NULL (none, or
 * error: check PyErr_Occurred). */
static const dec_entry *
keys_by_kid(const dec_keys *keys, PyObject *kid)
{
    for (Py_ssize_t i = 0; i < keys->n; i++) {
        const dec_entry *e = &keys->entries[i];
        if (e->kid == NULL) {
            continue;
        }
        int eq = PyUnicode_Compare(e->kid, kid);
        if (eq == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (eq == 0) {
            return e;
        }
    }
    return NULL;
}

/* Choose the key(s) of a Decoder's table for a token and verify: a token's
 * kid selects the key with that kid; keys configured without a kid are
 * tried when no kid matches (or the token has none). A kid never reaches
 * anything but configured keys. Return 1 valid, 0 invalid, -1 error. */
static int
keys_verify(sesstok_state *st, const dec_keys *keys, int alg, PyObject *kid,
            const unsigned char *msg, size_t n, const unsigned char *sig,
            size_t siglen)
{
    unsigned bit = 1u << alg;
    int any_alg = 0, tried = 0;
    const dec_entry *match = kid != NULL ? keys_by_kid(keys, kid) : NULL;
    if (match != NULL) {
        if (!(match->mask & bit)) {
            return sesstok_jwt_fail(st, EXC_INVALID_ALG,
                                    "The specified alg value is not allowed");
        }
        return sesstok_jwt_key_verify(st, match->key, alg, msg, n, sig,
                                      siglen);
    }
    if (PyErr_Occurred()) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < keys->n; i++) {
        const dec_entry *e = &keys->entries[i];
        if (!(e->mask & bit)) {
            continue;
        }
        any_alg = 1;
        if (kid != NULL && e->kid != NULL) {
            continue; /* a different kid */
        }
        tried = 1;
        int rc = sesstok_jwt_key_verify(st, e->key, alg, msg, n, sig, siglen);
        if (rc != 0) {
            return rc;
        }
    }
    if (!any_alg) {
        return sesstok_jwt_fail(st, EXC_INVALID_ALG,
                                "The specified alg value is not allowed");
    }
    if (!tried) {
        return sesstok_jwt_fail(st, EXC_INVALID_SIGNATURE,
                                "No key matches the token's key ID (kid)");
    }
    return 0;
}

/* Verify with the one key of a PyJWT/PyJWS call (resolved now for a
 * str/bytes key, whose meaning depends on the algorithm). */
static int
key_verify_checked(sesstok_state *st, const key_source *ks,
                   const alg_policy *pol, int alg, const unsigned char *msg,
                   size_t msglen, jws_token *t)
{
    JwtKeyObject *k = ks->key;
    if (k == NULL) {
        int hmac = sesstok_jwt_algs[alg].family == FAM_HMAC;
        if ((k = sesstok_jwt_key_resolve(st, ks->key_obj, hmac)) == NULL) {
            return -1;
        }
    }
    else {
        Py_INCREF(k);
    }
    int ok =
        sesstok_jwt_key_check_alg(st, k, alg) < 0 ||
                sesstok_jwt_key_check_length(st, k, alg, pol->enforce_min) < 0
            ? -1
            : sesstok_jwt_key_verify(st, k, alg, msg, msglen, t->sig,
                                     t->sig_len);
    Py_DECREF(k);
    return ok;
}

/* Verify the token's signature; mirrors PyJWS._verify_signature. msg: the
 * token's first two segments, or header "." detached payload. */
static int
token_verify(sesstok_state *st, jws_token *t, const key_source *ks,
             const alg_policy *pol, const unsigned char *msg, size_t msglen)
{
    int bound = ks->key != NULL ? ks->key->bound_alg : -1;
    int alg = token_alg(st, t, pol, bound);
    if (alg < 0) {
        return -1;
    }
    int ok = ks->table != NULL
                 ? keys_verify(st, ks->table, alg, t->kid, msg, msglen, t->sig,
                               t->sig_len)
                 : key_verify_checked(st, ks, pol, alg, msg, msglen, t);
    if (ok <= 0) {
        return ok < 0 ? -1
                      : sesstok_jwt_fail(st, EXC_INVALID_SIGNATURE,
                                         "Signature verification failed");
    }
    return 0;
}

/* ---- the driver --------------------------------------------------------- */

/* The signing input of a token: its first two segments, or for "b64":
 * false (RFC 7797, JWS only) header "." detached_payload, copied into buf. */
static int
signing_input(sesstok_state *st, jws_token *t, decode_req *r, sesstok_buf *buf,
              const unsigned char **msg, size_t *msglen)
{
    *msg = (const unsigned char *)t->data;
    *msglen = t->parts.signing_input_len;
    if (t->b64) {
        return 0;
    }
    if (r->jwt_mode) {
        return sesstok_jwt_fail(
            st, EXC_INVALID_TOKEN,
            "A JWT cannot have \"b64\": false (RFC 7797 payloads "
            "are for JWS only)");
    }
    PyObject *crit = PyDict_GetItemWithError(t->header, NAME(st, N_CRIT));
    int listed = crit ? PySequence_Contains(crit, NAME(st, N_B64)) : 0;
    if (listed < 0 || (crit == NULL && PyErr_Occurred())) {
        return -1;
    }
    if (!listed) {
        return sesstok_jwt_fail(
            st, EXC_INVALID_TOKEN,
            "The 'b64' header parameter requires 'b64' to be "
            "listed in 'crit'.");
    }
    if (r->detached == NULL) {
        return sesstok_jwt_fail(
            st, EXC_DECODE,
            "It is required that you pass in a value for the "
            "\"detached_payload\" argument to decode a message "
            "having the b64 header set to false.");
    }
    Py_buffer dv;
    if (PyObject_GetBuffer(r->detached, &dv, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    int rc = sesstok_buf_append(buf, t->data, t->parts.header_len + 1) < 0 ||
                     sesstok_buf_append(buf, dv.buf, (size_t)dv.len) < 0
                 ? -1
                 : 0;
    PyBuffer_Release(&dv);
    if (rc < 0) {
        PyErr_NoMemory();
        return -1;
    }
    *msg = buf->data;
    *msglen = buf->len;
    return 0;
}

static PyObject *
make_complete(sesstok_state *st, PyObject *payload, PyObject *header,
              PyObject *sig)
{
    PyObject *d = PyDict_New();
    if (d == NULL || PyDict_SetItem(d, NAME(st, N_PAYLOAD), payload) < 0 ||
        PyDict_SetItem(d, NAME(st, N_HEADER), header) < 0 ||
        PyDict_SetItem(d, NAME(st, N_SIGNATURE), sig) < 0) {
        Py_XDECREF(d);
        return NULL;
    }
    return d;
}

/* {"payload", "header", "signature"} of the token (a new reference). */
static PyObject *
complete_of(sesstok_state *st, jws_token *t, PyObject *payload, PyObject *sig)
{
    PyObject *hdr = sesstok_jwt_token_header(t);
    PyObject *d = hdr ? make_complete(st, payload, hdr, sig) : NULL;
    Py_XDECREF(hdr);
    return d;
}

/* The payload the request returns (a new reference): the detached payload,
 * the bytes (a JWS, or PyJWT's _decode_jws), or the claims parsed as
 * strict JSON. */
static PyObject *
decode_payload(sesstok_state *st, decode_req *r, jws_token *t)
{
    if (!t->b64) {
        return Py_NewRef(r->detached);
    }
    if (!r->check_claims) {
        return PyBytes_FromStringAndSize((const char *)t->payload,
                                         (Py_ssize_t)t->payload_len);
    }
    return decode_json_object(st, t->payload, t->payload_len, r->opt.max_depth,
                              "payload");
}

/* Everything after the token is loaded. */
static PyObject *
decode_loaded(sesstok_state *st, decode_req *r, jws_token *t)
{
    sesstok_buf detached_input;
    const unsigned char *msg;
    size_t msglen;
    PyObject *payload = NULL, *sig = NULL, *result = NULL;
    sesstok_buf_init(&detached_input);
    if (r->detached != NULL && t->b64) {
        sesstok_jwt_raise(st, EXC_DECODE,
                          "It is only valid to pass \"detached_payload\" when "
                          "the protected header has \"b64\" set to false.");
        goto done;
    }
    if (signing_input(st, t, r, &detached_input, &msg, &msglen) < 0 ||
        (r->opt.verify_signature &&
         token_verify(st, t, &r->ks, &r->pol, msg, msglen) < 0)) {
        goto done;
    }
    sig = PyBytes_FromStringAndSize((const char *)t->sig,
                                    (Py_ssize_t)t->sig_len);
    if (sig == NULL || (payload = decode_payload(st, r, t)) == NULL ||
        (r->check_claims &&
         sesstok_jwt_validate_claims(st, payload, &r->opt, &r->claims) < 0)) {
        goto done;
    }
    result =
        r->complete ? complete_of(st, t, payload, sig) : Py_NewRef(payload);
done:
    sesstok_buf_free(&detached_input);
    Py_XDECREF(payload);
    Py_XDECREF(sig);
    return result;
}

PyObject *
sesstok_jwt_decode_run(sesstok_state *st, PyObject *jwt, decode_req *r)
{
    jws_token t;
    PyObject *result = NULL;
    if (sesstok_jwt_token_load(st, jwt, &r->opt, &t) == 0) {
        result = decode_loaded(st, r, &t);
    }
    sesstok_jwt_token_clear(&t);
    return result;
}
