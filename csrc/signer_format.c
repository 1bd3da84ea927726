/* signer_format.c - Django's signed-value format: signature, sign, unsign,
 * the timestamps of TimestampSigner, and base64_hmac. */
#include "signer.h"

#include <string.h>

/* Compute base64(HMAC) of msg with a prepared key into out; return length. */
static Py_ssize_t
mac_b64(PyObject *prepared, const char *msg, Py_ssize_t n, char *out)
{
    unsigned char mac[SESSTOK_MAX_DIGEST];
    sesstok_hmac_key *k = sesstok_hmac_key_of(prepared);
    if (sesstok_hmac_compute(k, (const unsigned char *)msg, (size_t)n, mac) <
        0) {
        sesstok_raise_openssl_error(PyExc_ValueError, "HMAC");
        return -1;
    }
    return (Py_ssize_t)sesstok_b64url_encode(mac, k->digest_size, out);
}

/* base64(HMAC) of an exact str (its UTF-8) or bytes value, as a str. */
static PyObject *
mac_b64_str(PyObject *prepared, PyObject *value)
{
    const char *p;
    Py_ssize_t n;
    if (PyUnicode_CheckExact(value)) {
        if ((p = PyUnicode_AsUTF8AndSize(value, &n)) == NULL) {
            return NULL;
        }
    }
    else {
        p = PyBytes_AS_STRING(value);
        n = PyBytes_GET_SIZE(value);
    }
    char sig[SIGNED_B64_MAX];
    Py_ssize_t siglen = mac_b64(prepared, p, n, sig);
    return siglen < 0 ? NULL : PyUnicode_FromStringAndSize(sig, siglen);
}

/* mirrors django.core.signing.Signer.signature(value, key=None) without
 * virtual dispatch. Returns a str (or whatever Django's base64_hmac returns
 * on the general path). */
PyObject *
sesstok_signed_signature(sesstok_state *st, signer_view *v, PyObject *value,
                         PyObject *key)
{
    if (key == NULL || key == Py_None) {
        key = v->key;
    }
    else {
        int truth = PyObject_IsTrue(key);
        if (truth < 0) {
            return NULL;
        }
        if (!truth) {
            key = v->key;
        }
    }
    PyObject *key_salt = NULL;
    PyObject *result = NULL;
    PyObject *prepared = NULL;
    if (PyUnicode_CheckExact(value) || PyBytes_CheckExact(value)) {
        prepared = sesstok_view_prepared(st, v, key);
        if (prepared == NULL && PyErr_Occurred()) {
            goto done;
        }
    }
    if (prepared != NULL) {
        result = mac_b64_str(prepared, value);
    }
    else if ((key_salt = sesstok_view_key_salt(st, v)) != NULL) {
        /* the general path: Django's own base64_hmac */
        PyObject *args[4] = {key_salt, value, key, v->algorithm};
        result =
            PyObject_Vectorcall(st->signer.django.base64_hmac, args, 4, NULL);
    }
done:
    Py_XDECREF(prepared);
    Py_XDECREF(key_salt);
    return result;
}

/* self.signature(value, key) with virtual dispatch. */
static PyObject *
signature_call(sesstok_state *st, signer_view *v, PyObject *value,
               PyObject *key)
{
    if (v->virt_signature) {
        PyObject *args[3] = {v->self, value, key};
        return PyObject_VectorcallMethod(
            st->signer.str[SN_SIGNATURE], args,
            (key ? 3 : 2) | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
    return sesstok_signed_signature(st, v, value, key);
}

/* ---- building results -------------------------------------------------------- */

/* Append the UTF-8 of str s to buf. Return 0, -1 on error (e.g. lone
 * surrogates: UnicodeEncodeError, as force_bytes raises). *ascii is cleared
 * when s is not ASCII. */
int
sesstok_signed_append_str(sesstok_buf *buf, PyObject *s, int *ascii)
{
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    if (p == NULL) {
        return -1;
    }
    if (!PyUnicode_IS_ASCII(s)) {
        *ascii = 0;
    }
    if (sesstok_buf_append(buf, p, (size_t)n) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

PyObject *
sesstok_signed_buf_to_str(sesstok_buf *buf, int ascii)
{
    if (ascii) {
        PyObject *s = PyUnicode_New((Py_ssize_t)buf->len, 127);
        if (s != NULL) {
            memcpy(PyUnicode_DATA(s), buf->data, buf->len);
        }
        return s;
    }
    return PyUnicode_DecodeUTF8((const char *)buf->data, (Py_ssize_t)buf->len,
                                "strict");
}

/* The current timestamp as Django's TimestampSigner.timestamp() makes it:
 * b62_encode(int(time.time())). Appends it to buf. */
int
sesstok_signed_append_timestamp(sesstok_state *st, signer_view *v,
                                sesstok_buf *buf, int *ascii)
{
    PyObject *ts;
    if (v->virt_timestamp) {
        PyObject *args[1] = {v->self};
        ts = PyObject_VectorcallMethod(st->signer.str[SN_TIMESTAMP], args,
                                       1 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                       NULL);
        if (ts == NULL) {
            return -1;
        }
        PyObject *s = PyObject_Str(ts);
        Py_DECREF(ts);
        if (s == NULL) {
            return -1;
        }
        int rc = sesstok_signed_append_str(buf, s, ascii);
        Py_DECREF(s);
        return rc;
    }
    PyObject *now = PyObject_CallMethodNoArgs(st->time_module, st->str_time);
    if (now == NULL) {
        return -1;
    }
    PyObject *secs = PyNumber_Long(now);
    Py_DECREF(now);
    if (secs == NULL) {
        return -1;
    }
    int overflow = 0;
    long long t = PyLong_AsLongLongAndOverflow(secs, &overflow);
    if (t == -1 && PyErr_Occurred()) {
        Py_DECREF(secs);
        return -1;
    }
    if (overflow) {
        /* outside int64: Django's own b62_encode */
        PyObject *s = PyObject_CallOneArg(st->signer.django.b62_encode, secs);
        Py_DECREF(secs);
        if (s == NULL) {
            return -1;
        }
        int rc =
            PyUnicode_Check(s) ? sesstok_signed_append_str(buf, s, ascii) : -1;
        if (rc < 0 && !PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError,
                            "b62_encode() did not return str");
        }
        Py_DECREF(s);
        return rc;
    }
    Py_DECREF(secs);
    char out[SESSTOK_B62_MAX];
    size_t n = sesstok_b62_encode((int64_t)t, out);
    if (sesstok_buf_append(buf, out, n) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Append value's text as "%s" formats it. */
static int
append_formatted(sesstok_buf *buf, PyObject *value, int *ascii)
{
    if (PyUnicode_CheckExact(value)) {
        return sesstok_signed_append_str(buf, value, ascii);
    }
    PyObject *s = PyObject_Str(value);
    if (s == NULL) {
        return -1;
    }
    int rc = sesstok_signed_append_str(buf, s, ascii);
    Py_DECREF(s);
    return rc;
}

/* Given buf holding the text to sign (UTF-8), append sep and its signature
 * and return the whole as str. mirrors Signer.sign on a str value. */
PyObject *
sesstok_signed_finish(sesstok_state *st, signer_view *v, sesstok_buf *buf,
                      int ascii)
{
    size_t signed_len = buf->len;
    if (!v->virt_signature) {
        PyObject *prepared = sesstok_view_prepared(st, v, v->key);
        if (prepared != NULL) {
            char sig[SIGNED_B64_MAX];
            Py_ssize_t siglen = mac_b64(prepared, (const char *)buf->data,
                                        (Py_ssize_t)signed_len, sig);
            Py_DECREF(prepared);
            if (siglen < 0 ||
                sesstok_signed_append_str(buf, v->sep, &ascii) < 0) {
                return NULL;
            }
            if (sesstok_buf_append(buf, sig, (size_t)siglen) < 0) {
                return PyErr_NoMemory();
            }
            return sesstok_signed_buf_to_str(buf, ascii);
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    /* general: value + sep + self.signature(value) as Python objects */
    PyObject *value = sesstok_signed_buf_to_str(buf, ascii);
    if (value == NULL) {
        return NULL;
    }
    PyObject *sig = signature_call(st, v, value, NULL);
    PyObject *result = NULL;
    if (sig != NULL) {
        result = PyUnicode_FromFormat("%U%S%S", value, v->sep, sig);
        Py_DECREF(sig);
    }
    Py_DECREF(value);
    return result;
}

/* ---- sign / unsign ------------------------------------------------------- */

/* mirrors Signer.sign (non-virtual) */
PyObject *
sesstok_signed_sign(sesstok_state *st, signer_view *v, PyObject *value)
{
    if (!PyUnicode_CheckExact(value) || !PyUnicode_CheckExact(v->sep)) {
        /* "%s" of a non-str value and force_bytes differ (bytes!): Django's code */
        PyObject *args[2] = {v->self, value};
        return PyObject_Vectorcall(st->signer.django.Signer_sign, args, 2,
                                   NULL);
    }
    sesstok_buf buf;
    sesstok_buf_init(&buf);
    int ascii = 1;
    PyObject *result = NULL;
    if (sesstok_signed_append_str(&buf, value, &ascii) == 0) {
        result = sesstok_signed_finish(st, v, &buf, ascii);
    }
    sesstok_buf_free(&buf);
    return result;
}

/* mirrors TimestampSigner.sign (non-virtual) */
PyObject *
sesstok_signed_ts_sign(sesstok_state *st, signer_view *v, PyObject *value)
{
    sesstok_buf buf;
    sesstok_buf_init(&buf);
    int ascii = 1;
    PyObject *result = NULL;
    /* value = "%s%s%s" % (value, self.sep, self.timestamp()) */
    if (append_formatted(&buf, value, &ascii) < 0 ||
        append_formatted(&buf, v->sep, &ascii) < 0 ||
        sesstok_signed_append_timestamp(st, v, &buf, &ascii) < 0) {
        goto done;
    }
    if (!PyUnicode_CheckExact(v->sep)) {
        PyObject *s = sesstok_signed_buf_to_str(&buf, ascii);
        if (s != NULL) {
            PyObject *args[2] = {v->self, s};
            result = PyObject_Vectorcall(st->signer.django.Signer_sign, args,
                                         2, NULL);
            Py_DECREF(s);
        }
        goto done;
    }
    result = sesstok_signed_finish(st, v, &buf, ascii);
done:
    sesstok_buf_free(&buf);
    return result;
}

/* self.sign(value) with virtual dispatch */
PyObject *
sesstok_signed_sign_call(sesstok_state *st, signer_view *v, PyObject *value)
{
    if (v->virt_sign) {
        PyObject *args[2] = {v->self, value};
        return PyObject_VectorcallMethod(st->signer.str[SN_SIGN], args,
                                         2 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                         NULL);
    }
    return v->timestamp ? sesstok_signed_ts_sign(st, v, value)
                        : sesstok_signed_sign(st, v, value);
}

/* Last occurrence of needle in hay[0:n]; -1 if absent. */
static Py_ssize_t
rfind_bytes(const char *hay, Py_ssize_t n, const char *needle, Py_ssize_t m)
{
    if (m == 0 || m > n) {
        return -1;
    }
    for (Py_ssize_t i = n - m; i >= 0; i--) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, (size_t)m) == 0) {
            return i;
        }
    }
    return -1;
}

static PyObject *
raise_bad_signature_sig(sesstok_state *st, const char *sig, Py_ssize_t n)
{
    PyObject *s = PyUnicode_DecodeUTF8(sig, n, "strict");
    if (s != NULL) {
        PyObject *msg =
            PyUnicode_FromFormat("Signature \"%U\" does not match", s);
        if (msg != NULL) {
            PyErr_SetObject(st->signer.django.BadSignature, msg);
            Py_DECREF(msg);
        }
        Py_DECREF(s);
    }
    return NULL;
}

/* Does expected (a str or bytes from signature()) equal sig? mirrors
 * constant_time_compare(sig, expected). Return 1, 0 or -1. */
static int
compare_signature(sesstok_state *st, const char *sig, Py_ssize_t siglen,
                  PyObject *expected)
{
    const char *p;
    Py_ssize_t n;
    if (PyUnicode_Check(expected)) {
        if ((p = PyUnicode_AsUTF8AndSize(expected, &n)) == NULL) {
            return -1;
        }
    }
    else if (PyBytes_Check(expected)) {
        p = PyBytes_AS_STRING(expected);
        n = PyBytes_GET_SIZE(expected);
    }
    else {
        /* force_bytes(other) is str(other).encode() */
        PyObject *s = PyObject_Str(expected);
        if (s == NULL) {
            return -1;
        }
        int rc = -1;
        if ((p = PyUnicode_AsUTF8AndSize(s, &n)) != NULL) {
            rc = sesstok_ct_equal(sig, (size_t)siglen, p, (size_t)n);
        }
        Py_DECREF(s);
        return rc;
    }
    return sesstok_ct_equal(sig, (size_t)siglen, p, (size_t)n);
}

/* Check sig against the signature of value under one key. 1 match, 0 not,
 * -1 error. value is UTF-8 text value_p[0:value_n]; value_obj lazily made. */
static int
check_key(sesstok_state *st, signer_view *v, PyObject *key,
          const char *value_p, Py_ssize_t value_n, PyObject **value_obj,
          const char *sig, Py_ssize_t siglen)
{
    if (!v->virt_signature) {
        PyObject *k = key;
        int truth = PyObject_IsTrue(key);
        if (truth < 0) {
            return -1;
        }
        if (!truth) {
            k = v->key; /* signature(value, key): key = key or self.key */
        }
        PyObject *prepared = sesstok_view_prepared(st, v, k);
        if (prepared != NULL) {
            char expected[SIGNED_B64_MAX];
            Py_ssize_t n = mac_b64(prepared, value_p, value_n, expected);
            Py_DECREF(prepared);
            if (n < 0) {
                return -1;
            }
            return sesstok_ct_equal(sig, (size_t)siglen, expected, (size_t)n);
        }
        if (PyErr_Occurred()) {
            return -1;
        }
    }
    if (*value_obj == NULL && (*value_obj = PyUnicode_DecodeUTF8(
                                   value_p, value_n, "strict")) == NULL) {
        return -1;
    }
    PyObject *expected = signature_call(st, v, *value_obj, key);
    if (expected == NULL) {
        return -1;
    }
    int rc = compare_signature(st, sig, siglen, expected);
    Py_DECREF(expected);
    return rc;
}

/* The core of Signer.unsign on str signed_value: on success set *value_n to
 * the length of the unsigned value (a prefix of the UTF-8 text *text) and
 * return 0; -1 with an exception otherwise; 1 when Django's own code must
 * run (no exception). *text borrows from signed_value. */
static int
unsign_core(sesstok_state *st, signer_view *v, PyObject *signed_value,
            const char **text, Py_ssize_t *value_n)
{
    if (!PyUnicode_CheckExact(signed_value) || !PyUnicode_CheckExact(v->sep) ||
        PyUnicode_GET_LENGTH(v->sep) == 0) {
        return 1;
    }
    Py_ssize_t n, sepn;
    const char *p = PyUnicode_AsUTF8AndSize(signed_value, &n);
    if (p == NULL) {
        PyErr_Clear(); /* lone surrogates: Django's code raises what it raises */
        return 1;
    }
    const char *sepp = PyUnicode_AsUTF8AndSize(v->sep, &sepn);
    if (sepp == NULL) {
        PyErr_Clear();
        return 1;
    }
    Py_ssize_t at = rfind_bytes(p, n, sepp, sepn);
    if (at < 0) {
        PyErr_Format(st->signer.django.BadSignature,
                     "No \"%U\" found in value", v->sep);
        return -1;
    }
    const char *sig = p + at + sepn;
    Py_ssize_t siglen = n - at - sepn;
    /* [self.key, *self.fallback_keys] is built before any comparison, so an
     * iterator of fallback keys is consumed even when the first key matches. */
    PyObject *fallbacks = sesstok_view_fallback_keys(st, v);
    if (fallbacks == NULL) {
        return -1;
    }
    if (!PyList_CheckExact(fallbacks) && !PyTuple_CheckExact(fallbacks)) {
        PyObject *it = PyObject_GetIter(fallbacks);
        if (it == NULL) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError,
                             "Value after * must be an iterable, not %.200s",
                             Py_TYPE(fallbacks)->tp_name);
            }
            Py_DECREF(fallbacks);
            return -1;
        }
        Py_SETREF(fallbacks, PySequence_List(it));
        Py_DECREF(it);
        if (fallbacks == NULL) {
            return -1;
        }
    }
    PyObject *value_obj = NULL;
    int rc = check_key(st, v, v->key, p, at, &value_obj, sig, siglen);
    Py_ssize_t nfb = PySequence_Fast_GET_SIZE(fallbacks);
    for (Py_ssize_t i = 0; rc == 0 && i < nfb; i++) {
        PyObject *k = PySequence_Fast_GET_ITEM(fallbacks, i);
        Py_INCREF(k);
        rc = check_key(st, v, k, p, at, &value_obj, sig, siglen);
        Py_DECREF(k);
        /* a list may shrink while signature() runs Python code */
        nfb = PySequence_Fast_GET_SIZE(fallbacks);
    }
    Py_XDECREF(value_obj);
    Py_DECREF(fallbacks);
    if (rc < 0) {
        return -1;
    }
    if (rc == 0) {
        raise_bad_signature_sig(st, sig, siglen);
        return -1;
    }
    *text = p;
    *value_n = at;
    return 0;
}

/* mirrors Signer.unsign (non-virtual) */
PyObject *
sesstok_signed_unsign(sesstok_state *st, signer_view *v,
                      PyObject *signed_value)
{
    const char *text;
    Py_ssize_t n;
    int rc = unsign_core(st, v, signed_value, &text, &n);
    if (rc < 0) {
        return NULL;
    }
    if (rc > 0) {
        PyObject *args[2] = {v->self, signed_value};
        return PyObject_Vectorcall(st->signer.django.Signer_unsign, args, 2,
                                   NULL);
    }
    return PyUnicode_DecodeUTF8(text, n, "strict");
}

/* The timestamp check of TimestampSigner.unsign on the unsigned text
 * result[0:n] (UTF-8). Return the length of the value part, or -1. */
static Py_ssize_t
check_timestamp(sesstok_state *st, signer_view *v, const char *text,
                Py_ssize_t n, PyObject *max_age)
{
    Py_ssize_t sepn;
    const char *sepp = PyUnicode_AsUTF8AndSize(v->sep, &sepn);
    if (sepp == NULL) {
        return -1;
    }
    /* value, timestamp = result.rsplit(self.sep, 1) */
    Py_ssize_t at = rfind_bytes(text, n, sepp, sepn);
    if (at < 0) {
        PyErr_SetString(PyExc_ValueError,
                        "not enough values to unpack (expected 2, got 1)");
        return -1;
    }
    const char *tsp = text + at + sepn;
    Py_ssize_t tsn = n - at - sepn;
    int64_t ts;
    PyObject *timestamp;
    if (sesstok_b62_decode(tsp, (size_t)tsn, &ts) == 0) {
        timestamp = PyLong_FromLongLong((long long)ts);
    }
    else {
        /* Django's b62_decode raises (or decodes a huge value) exactly */
        PyObject *s = PyUnicode_DecodeUTF8(tsp, tsn, "strict");
        if (s == NULL) {
            return -1;
        }
        timestamp = PyObject_CallOneArg(st->signer.django.b62_decode, s);
        Py_DECREF(s);
    }
    if (timestamp == NULL) {
        return -1;
    }
    Py_ssize_t result = at;
    if (max_age != NULL && max_age != Py_None) {
        PyObject *limit = Py_NewRef(max_age);
        PyObject *now = NULL, *age = NULL;
        int is_td = PyObject_IsInstance(max_age, st->timedelta_type);
        if (is_td < 0) {
            result = -1;
        }
        else if (is_td) {
            Py_SETREF(limit, PyObject_CallMethodNoArgs(
                                 max_age, st->signer.str[SN_TOTAL_SECONDS]));
        }
        if (result >= 0 && limit != NULL &&
            (now = PyObject_CallMethodNoArgs(st->time_module, st->str_time)) !=
                NULL &&
            (age = PyNumber_Subtract(now, timestamp)) != NULL) {
            int expired = PyObject_RichCompareBool(age, limit, Py_GT);
            if (expired < 0) {
                result = -1;
            }
            else if (expired) {
                PyObject *msg = PyUnicode_FromFormat(
                    "Signature age %S > %S seconds", age, limit);
                if (msg != NULL) {
                    PyErr_SetObject(st->signer.django.SignatureExpired, msg);
                    Py_DECREF(msg);
                }
                result = -1;
            }
        }
        else {
            result = -1;
        }
        Py_XDECREF(limit);
        Py_XDECREF(now);
        Py_XDECREF(age);
    }
    Py_DECREF(timestamp);
    return result;
}

/* Django's own Signer.unsign(signed_value) (super().unsign(value) in
 * TimestampSigner.unsign), for the input unsign_core leaves to it: its str
 * result as UTF-8 in *text[0:*n], kept alive by *holder. */
static int
django_unsign_text(sesstok_state *st, signer_view *v, PyObject *signed_value,
                   const char **text, Py_ssize_t *n, PyObject **holder)
{
    PyObject *args[2] = {v->self, signed_value};
    PyObject *result =
        PyObject_Vectorcall(st->signer.django.Signer_unsign, args, 2, NULL);
    if (result == NULL) {
        return -1;
    }
    if (!PyUnicode_Check(result) ||
        (v->timestamp && !PyUnicode_Check(v->sep))) {
        /* cannot happen for Django's Signer.unsign on str input */
        Py_DECREF(result);
        PyErr_SetString(PyExc_TypeError, "unsign() returned a non-str value");
        return -1;
    }
    if ((*text = PyUnicode_AsUTF8AndSize(result, n)) == NULL) {
        Py_DECREF(result);
        return -1;
    }
    *holder = result;
    return 0;
}

int
sesstok_signed_unsign_text(sesstok_state *st, signer_view *v,
                           PyObject *signed_value, PyObject *max_age,
                           const char **text, Py_ssize_t *value_n,
                           PyObject **holder)
{
    Py_ssize_t n;
    int rc = unsign_core(st, v, signed_value, text, &n);
    if (rc < 0) {
        return -1;
    }
    if (rc > 0) {
        if (django_unsign_text(st, v, signed_value, text, &n, holder) < 0) {
            return -1;
        }
    }
    else {
        *holder = Py_NewRef(signed_value);
    }
    if (!v->timestamp) {
        *value_n = n;
        return 0;
    }
    Py_ssize_t vn = check_timestamp(st, v, *text, n, max_age);
    if (vn < 0) {
        Py_CLEAR(*holder);
        return -1;
    }
    *value_n = vn;
    return 0;
}

/* mirrors TimestampSigner.unsign (non-virtual) */
PyObject *
sesstok_signed_ts_unsign(sesstok_state *st, signer_view *v,
                         PyObject *signed_value, PyObject *max_age)
{
    const char *text;
    Py_ssize_t n;
    PyObject *holder = NULL;
    if (sesstok_signed_unsign_text(st, v, signed_value, max_age, &text, &n,
                                   &holder) < 0) {
        return NULL;
    }
    PyObject *result = PyUnicode_DecodeUTF8(text, n, "strict");
    Py_DECREF(holder);
    return result;
}

/* mirrors django.core.signing.base64_hmac(salt, value, key, algorithm) with
 * an explicit algorithm (sesstok.signing handles Django's default). */
static PyObject *
base64_hmac(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const names[] = {"salt", "value", "key", "algorithm"};
    static const sesstok_params params = {"base64_hmac", names, 4, 4, 4};
    PyObject *argv[4];
    sesstok_state *st = sesstok_get_state(module);
    if (sesstok_view_require_django(st) < 0 ||
        sesstok_args_parse(st, &params, args, nargs, kwnames, argv, NULL) <
            0) {
        return NULL;
    }
    PyObject *salt = argv[0], *value = argv[1], *key = argv[2],
             *algorithm = argv[3];
    if (PyUnicode_CheckExact(salt) &&
        (PyUnicode_CheckExact(value) || PyBytes_CheckExact(value)) &&
        (PyUnicode_CheckExact(key) || PyBytes_CheckExact(key)) &&
        PyUnicode_CheckExact(algorithm)) {
        PyObject *prepared =
            sesstok_hmac_key_get(st, key, salt, NULL, algorithm);
        if (prepared != NULL) {
            PyObject *result = mac_b64_str(prepared, value);
            Py_DECREF(prepared);
            return result;
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    PyObject *fargs[4] = {salt, value, key, algorithm};
    return PyObject_Vectorcall(st->signer.django.base64_hmac, fargs, 4, NULL);
}

PyMethodDef sesstok_signed_methods[] = {
    {"base64_hmac", (PyCFunction)(void (*)(void))base64_hmac,
     METH_FASTCALL | METH_KEYWORDS,
     "base64_hmac(salt, value, key, "
     "algorithm)\n--\n\nb64_encode(salted_hmac(...).digest()).decode()."},
    {NULL, NULL, 0, NULL},
};
