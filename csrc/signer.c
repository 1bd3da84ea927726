/* signer.c - Django's signed-value format: the Signer and TimestampSigner
 * types, dumps/loads, base64_hmac, and the functions that run Django's own
 * signer objects on the C core (sesstok.accelerate_django).
 *
 * Contract: every result and every exception equals what the installed
 * django.core.signing returns or raises for the same input and clock. The C
 * code takes the fast path for the common types (str values, str/bytes keys,
 * hashlib algorithms OpenSSL has, Django's JSONSerializer) and hands anything
 * else to Django's own functions (installed by sesstok.signing through
 * install_django), so unusual input behaves exactly as in Django. The clock
 * is read at call time through time.time, so tests can patch it. */
#include "sesstok.h"

#include <string.h>
#include <structmember.h>

/* ---- objects ---------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *key;
    PyObject *fallback_keys;
    PyObject *sep;
    PyObject *salt;
    PyObject *algorithm;
    PyObject *dict;
    PyObject *weakreflist;
    /* derived from key, salt and algorithm; cleared when one changes */
    PyObject *key_salt; /* salt + "signer" */
    PyObject *prepared; /* HmacKey for (key, key_salt, algorithm) */
} SignerObject;

#define Signer_CAST(op) ((SignerObject *)(op))

/* A signer's attributes, taken from a SignerObject or (for Django's own
 * signer objects under accelerate_django) read with getattr. */
typedef struct {
    PyObject *self;          /* borrowed */
    SignerObject *native;    /* self if it is one of ours, else NULL */
    PyObject *key;           /* new references */
    PyObject *sep;
    PyObject *salt;
    PyObject *algorithm;
    int timestamp;           /* TimestampSigner semantics */
    /* call the Python-level method instead of the C one (subclass override) */
    int virt_signature, virt_timestamp, virt_sign, virt_unsign;
} signer_view;

static void
view_clear(signer_view *v)
{
    Py_CLEAR(v->key);
    Py_CLEAR(v->sep);
    Py_CLEAR(v->salt);
    Py_CLEAR(v->algorithm);
}

static int
require_django(sesstok_state *st)
{
    if (st->dj_settings == NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "sesstok._core signers need Django: import sesstok.signing first");
        return -1;
    }
    return 0;
}

/* settings.<name>. LazySettings caches every value it has read in its
 * __dict__ and clears that cache whenever settings change (override_settings
 * included), so a hit there is what getattr would return, without the cost
 * of LazyObject.__getattribute__ (a Python function). */
static PyObject *
django_setting(sesstok_state *st, PyObject *name)
{
    PyObject *d = PyObject_GenericGetDict(st->dj_settings, NULL);
    if (d == NULL) {
        PyErr_Clear();
    }
    else {
        PyObject *v = PyDict_Check(d) ? PyDict_GetItemWithError(d, name) : NULL;
        Py_XINCREF(v);
        Py_DECREF(d);
        if (v != NULL) {
            return v;
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    return PyObject_GetAttr(st->dj_settings, name);
}

/* Is `name` on type(self) something other than our C method `ours`? */
static int
is_overridden(PyObject *self, PyObject *name, PyObject *ours)
{
    PyObject *attr = PyObject_GetAttr((PyObject *)Py_TYPE(self), name);
    if (attr == NULL) {
        return -1;
    }
    int overridden = attr != ours;
    Py_DECREF(attr);
    return overridden;
}

static PyObject *
missing_attribute(PyObject *self, const char *name)
{
    PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute '%s'",
                 Py_TYPE(self)->tp_name, name);
    return NULL;
}

static int
view_from_native(sesstok_state *st, SignerObject *so, signer_view *v)
{
    memset(v, 0, sizeof(*v));
    v->self = (PyObject *)so;
    v->native = so;
    v->timestamp = PyObject_TypeCheck((PyObject *)so, st->TimestampSignerType);
    if (so->key == NULL || so->sep == NULL || so->salt == NULL || so->algorithm == NULL) {
        missing_attribute((PyObject *)so, so->key == NULL ? "key" : so->sep == NULL ? "sep"
                                                  : so->salt == NULL ? "salt" : "algorithm");
        return -1;
    }
    v->key = Py_NewRef(so->key);
    v->sep = Py_NewRef(so->sep);
    v->salt = Py_NewRef(so->salt);
    v->algorithm = Py_NewRef(so->algorithm);
    PyTypeObject *tp = Py_TYPE(so);
    if (tp != st->SignerType && tp != st->TimestampSignerType) {
        PyObject *self = (PyObject *)so;
        if ((v->virt_signature = is_overridden(self, st->str_signature, st->m_signature)) < 0
            || (v->virt_sign = is_overridden(self, st->str_sign, v->timestamp ? st->m_ts_sign : st->m_sign)) < 0
            || (v->virt_unsign = is_overridden(self, st->str_unsign, v->timestamp ? st->m_ts_unsign : st->m_unsign)) < 0
            || (v->timestamp && (v->virt_timestamp = is_overridden(self, st->str_timestamp, st->m_timestamp)) < 0)) {
            view_clear(v);
            return -1;
        }
    }
    return 0;
}

/* Does type(self) define `name` differently from `base`? */
static int
differs_from(PyObject *self, PyObject *base, PyObject *name)
{
    PyObject *ours = PyObject_GetAttr(base, name);
    if (ours == NULL) {
        PyErr_Clear();
        return 0; /* base has no such method (Signer.timestamp): nothing to override */
    }
    int rc = is_overridden(self, name, ours);
    Py_DECREF(ours);
    return rc;
}

/* For Django's own signer objects (accelerate_django): attributes by getattr;
 * methods a subclass overrides are called, as Django's code would. */
static int
view_from_attrs(sesstok_state *st, PyObject *self, int timestamp, signer_view *v)
{
    memset(v, 0, sizeof(*v));
    v->self = self;
    v->timestamp = timestamp;
    if ((v->key = PyObject_GetAttr(self, st->str_key)) == NULL
        || (v->sep = PyObject_GetAttr(self, st->str_sep)) == NULL
        || (v->salt = PyObject_GetAttr(self, st->str_salt)) == NULL
        || (v->algorithm = PyObject_GetAttr(self, st->str_algorithm)) == NULL) {
        view_clear(v);
        return -1;
    }
    PyObject *base = timestamp ? st->dj_TimestampSigner : st->dj_Signer;
    if ((PyObject *)Py_TYPE(self) != base) {
        if ((v->virt_signature = differs_from(self, base, st->str_signature)) < 0
            || (v->virt_sign = differs_from(self, base, st->str_sign)) < 0
            || (v->virt_unsign = differs_from(self, base, st->str_unsign)) < 0
            || (v->virt_timestamp = differs_from(self, base, st->str_timestamp)) < 0) {
            view_clear(v);
            return -1;
        }
    }
    return 0;
}

static PyObject *
view_fallback_keys(sesstok_state *st, signer_view *v)
{
    if (v->native) {
        if (v->native->fallback_keys == NULL) {
            return missing_attribute(v->self, "fallback_keys");
        }
        return Py_NewRef(v->native->fallback_keys);
    }
    return PyObject_GetAttr(v->self, st->str_fallback_keys);
}

/* ---- signature ------------------------------------------------------------- */

/* salt + "signer", as Signer.signature computes it (cached on our objects). */
static PyObject *
view_key_salt(sesstok_state *st, signer_view *v)
{
    if (v->native && v->native->key_salt) {
        return Py_NewRef(v->native->key_salt);
    }
    PyObject *ks = PyNumber_Add(v->salt, st->str_signer);
    if (ks != NULL && v->native) {
        Py_XSETREF(v->native->key_salt, Py_NewRef(ks));
    }
    return ks;
}

/* The prepared key for `key` (the signer's own key when it is v->key), or
 * NULL without an exception when this key/salt/algorithm is not for C. */
static PyObject *
view_prepared(sesstok_state *st, signer_view *v, PyObject *key)
{
    int own = key == v->key;
    if (own && v->native && v->native->prepared) {
        return Py_NewRef(v->native->prepared);
    }
    if (!(PyUnicode_CheckExact(key) || PyBytes_CheckExact(key)) || !PyUnicode_CheckExact(v->salt)
        || !PyUnicode_CheckExact(v->algorithm)) {
        return NULL;
    }
    PyObject *prepared = sesstok_hmac_key_get(st, key, v->salt, st->str_signer, v->algorithm);
    if (prepared != NULL && own && v->native) {
        Py_XSETREF(v->native->prepared, Py_NewRef(prepared));
    }
    return prepared;
}

#define SIG_MAX ((SESSTOK_MAX_DIGEST * 4) / 3 + 4)

/* Compute base64(HMAC) of msg with a prepared key into out; return length. */
static Py_ssize_t
mac_b64(PyObject *prepared, const char *msg, Py_ssize_t n, char *out)
{
    unsigned char mac[SESSTOK_MAX_DIGEST];
    sesstok_hmac_key *k = sesstok_hmac_key_of(prepared);
    if (sesstok_hmac_compute(k, (const unsigned char *)msg, (size_t)n, mac) < 0) {
        sesstok_raise_openssl_error(PyExc_ValueError, "HMAC");
        return -1;
    }
    return (Py_ssize_t)sesstok_b64url_encode(mac, k->digest_size, out);
}

/* mirrors django.core.signing.Signer.signature(value, key=None) without
 * virtual dispatch. Returns a str (or whatever Django's base64_hmac returns
 * on the general path). */
static PyObject *
signature_impl(sesstok_state *st, signer_view *v, PyObject *value, PyObject *key)
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
        prepared = view_prepared(st, v, key);
        if (prepared == NULL && PyErr_Occurred()) {
            goto done;
        }
    }
    if (prepared != NULL) {
        const char *p;
        Py_ssize_t n;
        if (PyUnicode_CheckExact(value)) {
            if ((p = PyUnicode_AsUTF8AndSize(value, &n)) == NULL) {
                goto done;
            }
        }
        else {
            p = PyBytes_AS_STRING(value);
            n = PyBytes_GET_SIZE(value);
        }
        char sig[SIG_MAX];
        Py_ssize_t siglen = mac_b64(prepared, p, n, sig);
        if (siglen >= 0) {
            result = PyUnicode_FromStringAndSize(sig, siglen);
        }
    }
    else if ((key_salt = view_key_salt(st, v)) != NULL) {
        /* the general path: Django's own base64_hmac */
        PyObject *args[4] = {key_salt, value, key, v->algorithm};
        result = PyObject_Vectorcall(st->dj_base64_hmac, args, 4, NULL);
    }
done:
    Py_XDECREF(prepared);
    Py_XDECREF(key_salt);
    return result;
}

/* self.signature(value, key) with virtual dispatch. */
static PyObject *
signature_call(sesstok_state *st, signer_view *v, PyObject *value, PyObject *key)
{
    if (v->virt_signature) {
        PyObject *args[3] = {v->self, value, key};
        return PyObject_VectorcallMethod(st->str_signature, args,
                                         (key ? 3 : 2) | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
    return signature_impl(st, v, value, key);
}

/* ---- building results -------------------------------------------------------- */

/* Append the UTF-8 of str s to buf. Return 0, -1 on error (e.g. lone
 * surrogates: UnicodeEncodeError, as force_bytes raises). *ascii is cleared
 * when s is not ASCII. */
static int
append_str(sesstok_buf *buf, PyObject *s, int *ascii)
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

static PyObject *
buf_to_str(sesstok_buf *buf, int ascii)
{
    if (ascii) {
        PyObject *s = PyUnicode_New((Py_ssize_t)buf->len, 127);
        if (s != NULL) {
            memcpy(PyUnicode_DATA(s), buf->data, buf->len);
        }
        return s;
    }
    return PyUnicode_DecodeUTF8((const char *)buf->data, (Py_ssize_t)buf->len, "strict");
}

/* The current timestamp as Django's TimestampSigner.timestamp() makes it:
 * b62_encode(int(time.time())). Appends it to buf. */
static int
append_timestamp(sesstok_state *st, signer_view *v, sesstok_buf *buf, int *ascii)
{
    PyObject *ts;
    if (v->virt_timestamp) {
        PyObject *args[1] = {v->self};
        ts = PyObject_VectorcallMethod(st->str_timestamp, args, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        if (ts == NULL) {
            return -1;
        }
        PyObject *s = PyObject_Str(ts);
        Py_DECREF(ts);
        if (s == NULL) {
            return -1;
        }
        int rc = append_str(buf, s, ascii);
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
        PyObject *s = PyObject_CallOneArg(st->dj_b62_encode, secs);
        Py_DECREF(secs);
        if (s == NULL) {
            return -1;
        }
        int rc = PyUnicode_Check(s) ? append_str(buf, s, ascii) : -1;
        if (rc < 0 && !PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "b62_encode() did not return str");
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
        return append_str(buf, value, ascii);
    }
    PyObject *s = PyObject_Str(value);
    if (s == NULL) {
        return -1;
    }
    int rc = append_str(buf, s, ascii);
    Py_DECREF(s);
    return rc;
}

/* Given buf holding the text to sign (UTF-8), append sep and its signature
 * and return the whole as str. mirrors Signer.sign on a str value. */
static PyObject *
finish_sign(sesstok_state *st, signer_view *v, sesstok_buf *buf, int ascii)
{
    size_t signed_len = buf->len;
    if (!v->virt_signature) {
        PyObject *prepared = view_prepared(st, v, v->key);
        if (prepared != NULL) {
            char sig[SIG_MAX];
            Py_ssize_t siglen = mac_b64(prepared, (const char *)buf->data, (Py_ssize_t)signed_len, sig);
            Py_DECREF(prepared);
            if (siglen < 0 || append_str(buf, v->sep, &ascii) < 0) {
                return NULL;
            }
            if (sesstok_buf_append(buf, sig, (size_t)siglen) < 0) {
                return PyErr_NoMemory();
            }
            return buf_to_str(buf, ascii);
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    /* general: value + sep + self.signature(value) as Python objects */
    PyObject *value = buf_to_str(buf, ascii);
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

/* ---- sign / unsign ------------------------------------------------------------ */

/* mirrors Signer.sign (non-virtual) */
static PyObject *
signer_sign_impl(sesstok_state *st, signer_view *v, PyObject *value)
{
    if (!PyUnicode_CheckExact(value) || !PyUnicode_CheckExact(v->sep)) {
        /* "%s" of a non-str value and force_bytes differ (bytes!): Django's code */
        PyObject *args[2] = {v->self, value};
        return PyObject_Vectorcall(st->dj_Signer_sign, args, 2, NULL);
    }
    sesstok_buf buf;
    sesstok_buf_init(&buf);
    int ascii = 1;
    PyObject *result = NULL;
    if (append_str(&buf, value, &ascii) == 0) {
        result = finish_sign(st, v, &buf, ascii);
    }
    sesstok_buf_free(&buf);
    return result;
}

/* mirrors TimestampSigner.sign (non-virtual) */
static PyObject *
ts_sign_impl(sesstok_state *st, signer_view *v, PyObject *value)
{
    sesstok_buf buf;
    sesstok_buf_init(&buf);
    int ascii = 1;
    PyObject *result = NULL;
    /* value = "%s%s%s" % (value, self.sep, self.timestamp()) */
    if (append_formatted(&buf, value, &ascii) < 0 || append_formatted(&buf, v->sep, &ascii) < 0
        || append_timestamp(st, v, &buf, &ascii) < 0) {
        goto done;
    }
    if (!PyUnicode_CheckExact(v->sep)) {
        PyObject *s = buf_to_str(&buf, ascii);
        if (s != NULL) {
            PyObject *args[2] = {v->self, s};
            result = PyObject_Vectorcall(st->dj_Signer_sign, args, 2, NULL);
            Py_DECREF(s);
        }
        goto done;
    }
    result = finish_sign(st, v, &buf, ascii);
done:
    sesstok_buf_free(&buf);
    return result;
}

/* self.sign(value) with virtual dispatch */
static PyObject *
sign_call(sesstok_state *st, signer_view *v, PyObject *value)
{
    if (v->virt_sign) {
        PyObject *args[2] = {v->self, value};
        return PyObject_VectorcallMethod(st->str_sign, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
    return v->timestamp ? ts_sign_impl(st, v, value) : signer_sign_impl(st, v, value);
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
        PyObject *msg = PyUnicode_FromFormat("Signature \"%U\" does not match", s);
        if (msg != NULL) {
            PyErr_SetObject(st->dj_BadSignature, msg);
            Py_DECREF(msg);
        }
        Py_DECREF(s);
    }
    return NULL;
}

/* Does expected (a str or bytes from signature()) equal sig? mirrors
 * constant_time_compare(sig, expected). Return 1, 0 or -1. */
static int
compare_signature(sesstok_state *st, const char *sig, Py_ssize_t siglen, PyObject *expected)
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
check_key(sesstok_state *st, signer_view *v, PyObject *key, const char *value_p, Py_ssize_t value_n,
          PyObject **value_obj, const char *sig, Py_ssize_t siglen)
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
        PyObject *prepared = view_prepared(st, v, k);
        if (prepared != NULL) {
            char expected[SIG_MAX];
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
    if (*value_obj == NULL && (*value_obj = PyUnicode_DecodeUTF8(value_p, value_n, "strict")) == NULL) {
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
unsign_core(sesstok_state *st, signer_view *v, PyObject *signed_value, const char **text,
            Py_ssize_t *value_n)
{
    if (!PyUnicode_CheckExact(signed_value) || !PyUnicode_CheckExact(v->sep)
        || PyUnicode_GET_LENGTH(v->sep) == 0) {
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
        PyErr_Format(st->dj_BadSignature, "No \"%U\" found in value", v->sep);
        return -1;
    }
    const char *sig = p + at + sepn;
    Py_ssize_t siglen = n - at - sepn;
    /* [self.key, *self.fallback_keys] is built before any comparison, so an
     * iterator of fallback keys is consumed even when the first key matches. */
    PyObject *fallbacks = view_fallback_keys(st, v);
    if (fallbacks == NULL) {
        return -1;
    }
    if (!PyList_CheckExact(fallbacks) && !PyTuple_CheckExact(fallbacks)) {
        PyObject *it = PyObject_GetIter(fallbacks);
        if (it == NULL) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError, "Value after * must be an iterable, not %.200s",
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
static PyObject *
signer_unsign_impl(sesstok_state *st, signer_view *v, PyObject *signed_value)
{
    const char *text;
    Py_ssize_t n;
    int rc = unsign_core(st, v, signed_value, &text, &n);
    if (rc < 0) {
        return NULL;
    }
    if (rc > 0) {
        PyObject *args[2] = {v->self, signed_value};
        return PyObject_Vectorcall(st->dj_Signer_unsign, args, 2, NULL);
    }
    return PyUnicode_DecodeUTF8(text, n, "strict");
}

/* The timestamp check of TimestampSigner.unsign on the unsigned text
 * result[0:n] (UTF-8). Return the length of the value part, or -1. */
static Py_ssize_t
check_timestamp(sesstok_state *st, signer_view *v, const char *text, Py_ssize_t n, PyObject *max_age)
{
    Py_ssize_t sepn;
    const char *sepp = PyUnicode_AsUTF8AndSize(v->sep, &sepn);
    if (sepp == NULL) {
        return -1;
    }
    /* value, timestamp = result.rsplit(self.sep, 1) */
    Py_ssize_t at = rfind_bytes(text, n, sepp, sepn);
    if (at < 0) {
        PyErr_SetString(PyExc_ValueError, "not enough values to unpack (expected 2, got 1)");
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
        timestamp = PyObject_CallOneArg(st->dj_b62_decode, s);
        Py_DECREF(s);
    }
    if (timestamp == NULL) {
        return -1;
    }
    Py_ssize_t result = at;
    if (max_age != NULL && max_age != Py_None) {
        PyObject *limit = Py_NewRef(max_age);
        PyObject *now = NULL, *age = NULL;
        int is_td = PyObject_IsInstance(max_age, st->py_timedelta);
        if (is_td < 0) {
            result = -1;
        }
        else if (is_td) {
            Py_SETREF(limit, PyObject_CallMethodNoArgs(max_age, st->str_total_seconds));
        }
        if (result >= 0 && limit != NULL && (now = PyObject_CallMethodNoArgs(st->time_module, st->str_time)) != NULL
            && (age = PyNumber_Subtract(now, timestamp)) != NULL) {
            int expired = PyObject_RichCompareBool(age, limit, Py_GT);
            if (expired < 0) {
                result = -1;
            }
            else if (expired) {
                PyObject *msg = PyUnicode_FromFormat("Signature age %S > %S seconds", age, limit);
                if (msg != NULL) {
                    PyErr_SetObject(st->dj_SignatureExpired, msg);
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

/* TimestampSigner.unsign up to the value: text and value_n as unsign_core.
 * `holder` receives a reference keeping *text alive. */
static int
ts_unsign_core(sesstok_state *st, signer_view *v, PyObject *signed_value, PyObject *max_age,
               const char **text, Py_ssize_t *value_n, PyObject **holder)
{
    Py_ssize_t n;
    int rc = unsign_core(st, v, signed_value, text, &n);
    if (rc < 0) {
        return -1;
    }
    if (rc > 0) {
        /* result = super().unsign(value), by Django's code */
        PyObject *args[2] = {v->self, signed_value};
        PyObject *result = PyObject_Vectorcall(st->dj_Signer_unsign, args, 2, NULL);
        if (result == NULL) {
            return -1;
        }
        if (!PyUnicode_Check(result) || !PyUnicode_Check(v->sep)) {
            /* cannot happen for Django's Signer.unsign on str input */
            Py_DECREF(result);
            PyErr_SetString(PyExc_TypeError, "unsign() returned a non-str value");
            return -1;
        }
        if ((*text = PyUnicode_AsUTF8AndSize(result, &n)) == NULL) {
            Py_DECREF(result);
            return -1;
        }
        *holder = result;
    }
    else {
        *holder = Py_NewRef(signed_value);
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
static PyObject *
ts_unsign_impl(sesstok_state *st, signer_view *v, PyObject *signed_value, PyObject *max_age)
{
    const char *text;
    Py_ssize_t n;
    PyObject *holder = NULL;
    if (ts_unsign_core(st, v, signed_value, max_age, &text, &n, &holder) < 0) {
        return NULL;
    }
    PyObject *result = PyUnicode_DecodeUTF8(text, n, "strict");
    Py_DECREF(holder);
    return result;
}

/* ---- objects: sign_object / unsign_object ------------------------------------- */

/* mirrors Signer.sign_object */
static PyObject *
sign_object_impl(sesstok_state *st, signer_view *v, PyObject *obj, PyObject *serializer, PyObject *compress)
{
    int do_compress = compress ? PyObject_IsTrue(compress) : 0;
    if (do_compress < 0) {
        return NULL;
    }
    if (serializer == NULL) {
        serializer = st->dj_JSONSerializer;
    }
    sesstok_buf data, out;
    sesstok_buf_init(&data);
    sesstok_buf_init(&out);
    PyObject *result = NULL;
    int rc = serializer == st->dj_JSONSerializer ? sesstok_json_encode(&data, obj, 0) : 1;
    if (rc != 0) {
        if (rc > 0) {
            /* custom serializer or a value for json.dumps: Django's code (it
             * calls back into our sign) */
            PyObject *argv[4] = {v->self, obj, serializer, compress ? compress : Py_False};
            result = PyObject_Vectorcall(st->dj_Signer_sign_object, argv, 4, NULL);
        }
        goto done;
    }
    const unsigned char *payload = data.data;
    size_t payload_len = data.len;
    int compressed = 0;
    if (do_compress) {
        if (sesstok_zlib_compress(st, data.data, data.len, &out) < 0) {
            goto done;
        }
        /* only if it saves space, as Django checks */
        if (out.len + 1 < data.len) {
            payload = out.data;
            payload_len = out.len;
            compressed = 1;
        }
    }
    /* base64d = ("." if compressed) + b64_encode(data) */
    sesstok_buf text;
    sesstok_buf_init(&text);
    size_t b64len = sesstok_b64url_encoded_len(payload_len);
    if (sesstok_buf_reserve(&text, b64len + 1) < 0) {
        PyErr_NoMemory();
        sesstok_buf_free(&text);
        goto done;
    }
    if (compressed) {
        text.data[text.len++] = '.';
    }
    text.len += sesstok_b64url_encode(payload, payload_len, (char *)text.data + text.len);
    if (!v->virt_sign && PyUnicode_CheckExact(v->sep)) {
        int ascii = 1;
        if (v->timestamp) {
            if (append_str(&text, v->sep, &ascii) == 0 && append_timestamp(st, v, &text, &ascii) == 0) {
                result = finish_sign(st, v, &text, ascii);
            }
        }
        else {
            result = finish_sign(st, v, &text, ascii);
        }
    }
    else {
        PyObject *base64d = buf_to_str(&text, 1);
        if (base64d != NULL) {
            result = sign_call(st, v, base64d);
            Py_DECREF(base64d);
        }
    }
    sesstok_buf_free(&text);
done:
    sesstok_buf_free(&data);
    sesstok_buf_free(&out);
    return result;
}

/* From the unsigned text (base64d) to the object. mirrors the rest of
 * Signer.unsign_object. */
static PyObject *
load_payload(sesstok_state *st, const char *p, Py_ssize_t n, PyObject *serializer)
{
    int decompress = n > 0 && p[0] == '.';
    if (decompress) {
        p++;
        n--;
    }
    /* Decode (and inflate) into buffers with inline storage: a session
     * needs no heap allocation until the objects themselves. */
    sesstok_buf raw, inflated;
    sesstok_buf_init(&raw);
    sesstok_buf_init(&inflated);
    PyObject *data = NULL; /* bytes, made only when Python needs them */
    PyObject *result = NULL;
    const char *payload;
    Py_ssize_t payload_len;
    if (sesstok_buf_reserve(&raw, sesstok_b64url_decoded_max((size_t)n)) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    long long got = sesstok_b64url_decode_lax(p, (size_t)n, raw.data);
    if (got >= 0) {
        raw.len = (size_t)got;
    }
    else {
        /* not plain url-safe base64: Django's b64_decode decides */
        PyObject *text = PyBytes_FromStringAndSize(p, n);
        if (text == NULL) {
            goto done;
        }
        PyObject *decoded = PyObject_CallOneArg(st->dj_b64_decode, text);
        Py_DECREF(text);
        if (decoded == NULL) {
            goto done;
        }
        int ok = PyBytes_Check(decoded)
                 && sesstok_buf_append(&raw, PyBytes_AS_STRING(decoded), (size_t)PyBytes_GET_SIZE(decoded)) == 0;
        Py_DECREF(decoded);
        if (!ok) {
            if (!PyErr_Occurred()) {
                PyErr_NoMemory();
            }
            goto done;
        }
    }
    payload = (const char *)raw.data;
    payload_len = (Py_ssize_t)raw.len;
    if (decompress) {
        if (sesstok_zlib_inflate(st, raw.data, raw.len, &inflated) < 0) {
            goto done;
        }
        payload = (const char *)inflated.data;
        payload_len = (Py_ssize_t)inflated.len;
    }
    if (serializer == st->dj_JSONSerializer) {
        int fallback = 0;
        result = sesstok_json_decode_lax_st(st, payload, payload_len, st->max_json_depth,
                                         st->PayloadTooLarge ? st->PayloadTooLarge : PyExc_ValueError,
                                         &fallback);
        if (result != NULL || !fallback) {
            goto done;
        }
    }
    /* serializer().loads(data) */
    if ((data = PyBytes_FromStringAndSize(payload, payload_len)) != NULL) {
        PyObject *instance = PyObject_CallNoArgs(serializer);
        if (instance != NULL) {
            result = PyObject_CallMethodOneArg(instance, st->str_loads, data);
            Py_DECREF(instance);
        }
    }
done:
    Py_XDECREF(data);
    sesstok_buf_free(&raw);
    sesstok_buf_free(&inflated);
    return result;
}

/* mirrors Signer.unsign_object(signed_obj, serializer, **kwargs) where
 * kwargs were already checked: max_age is the only one a native unsign takes. */
static PyObject *
unsign_object_impl(sesstok_state *st, signer_view *v, PyObject *signed_obj, PyObject *serializer,
                   PyObject *const *kwvalues, PyObject *kwnames, PyObject *max_age)
{
    if (serializer == NULL) {
        serializer = st->dj_JSONSerializer;
    }
    if (v->virt_unsign) {
        /* base64d = self.unsign(signed_obj, **kwargs).encode() */
        Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
        PyObject *stack[16];
        if (nkw > 14) {
            PyErr_SetString(PyExc_TypeError, "too many keyword arguments");
            return NULL;
        }
        stack[0] = v->self;
        stack[1] = signed_obj;
        for (Py_ssize_t i = 0; i < nkw; i++) {
            stack[2 + i] = kwvalues[i];
        }
        PyObject *s = PyObject_VectorcallMethod(st->str_unsign, stack, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                                nkw ? kwnames : NULL);
        if (s == NULL) {
            return NULL;
        }
        PyObject *b = PyObject_CallMethod(s, "encode", NULL);
        Py_DECREF(s);
        if (b == NULL) {
            return NULL;
        }
        if (!PyBytes_Check(b)) {
            Py_DECREF(b);
            PyErr_SetString(PyExc_TypeError, "encode() did not return bytes");
            return NULL;
        }
        PyObject *result = load_payload(st, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b), serializer);
        Py_DECREF(b);
        return result;
    }
    const char *text;
    Py_ssize_t n;
    PyObject *holder = NULL;
    if (v->timestamp) {
        if (ts_unsign_core(st, v, signed_obj, max_age, &text, &n, &holder) < 0) {
            return NULL;
        }
    }
    else {
        int rc = unsign_core(st, v, signed_obj, &text, &n);
        if (rc < 0) {
            return NULL;
        }
        if (rc > 0) {
            PyObject *args[2] = {v->self, signed_obj};
            holder = PyObject_Vectorcall(st->dj_Signer_unsign, args, 2, NULL);
            if (holder == NULL) {
                return NULL;
            }
            /* .encode() of the str result */
            if (!PyUnicode_Check(holder)) {
                Py_DECREF(holder);
                PyErr_SetString(PyExc_TypeError, "unsign() returned a non-str value");
                return NULL;
            }
            if ((text = PyUnicode_AsUTF8AndSize(holder, &n)) == NULL) {
                Py_DECREF(holder);
                return NULL;
            }
        }
        else {
            holder = Py_NewRef(signed_obj);
        }
    }
    PyObject *result = load_payload(st, text, n, serializer);
    Py_DECREF(holder);
    return result;
}

/* ---- the Signer types ------------------------------------------------------------ */

/* mirrors Signer.__init__ after argument parsing; NULL means "not given" */
static int
signer_set_fields(sesstok_state *st, PyObject *op, PyObject *key, PyObject *sep, PyObject *salt,
                  PyObject *algorithm, PyObject *fallback_keys)
{
    SignerObject *self = Signer_CAST(op);
    PyObject *k = NULL, *fb = NULL, *sa = NULL, *al = NULL;
    /* self.key = key or settings.SECRET_KEY */
    int truth = key ? PyObject_IsTrue(key) : 0;
    if (truth < 0) {
        return -1;
    }
    k = truth ? Py_NewRef(key) : django_setting(st, st->str_SECRET_KEY);
    if (k == NULL) {
        return -1;
    }
    fb = fallback_keys && fallback_keys != Py_None
             ? Py_NewRef(fallback_keys)
             : django_setting(st, st->str_SECRET_KEY_FALLBACKS);
    if (fb == NULL) {
        goto error;
    }
    if (sep == NULL) {
        sep = st->str_colon;
    }
    if ((truth = salt ? PyObject_IsTrue(salt) : 0) < 0) {
        goto error;
    }
    if (truth) {
        sa = Py_NewRef(salt);
    }
    else if (Py_IS_TYPE(op, st->SignerType)) {
        sa = Py_NewRef(st->str_salt_signer);
    }
    else if (Py_IS_TYPE(op, st->TimestampSignerType)) {
        sa = Py_NewRef(st->str_salt_ts);
    }
    else {
        /* "%s.%s" % (self.__class__.__module__, self.__class__.__name__) */
        PyObject *cls = (PyObject *)Py_TYPE(op);
        PyObject *mod = PyObject_GetAttrString(cls, "__module__");
        PyObject *name = mod ? PyObject_GetAttrString(cls, "__name__") : NULL;
        sa = name ? PyUnicode_FromFormat("%S.%S", mod, name) : NULL;
        Py_XDECREF(mod);
        Py_XDECREF(name);
    }
    if (sa == NULL || (truth = algorithm ? PyObject_IsTrue(algorithm) : 0) < 0) {
        goto error;
    }
    al = Py_NewRef(truth ? algorithm : st->str_sha256);
    /* the separator check, with Django's own pattern */
    int unsafe = 0;
    if (sep != st->str_colon) {
        PyObject *match = PyObject_CallOneArg(st->dj_sep_unsafe_match, sep);
        if (match == NULL) {
            goto error;
        }
        unsafe = match != Py_None;
        Py_DECREF(match);
    }
    Py_XSETREF(self->key, k);
    Py_XSETREF(self->fallback_keys, fb);
    Py_XSETREF(self->sep, Py_NewRef(sep));
    Py_XSETREF(self->salt, sa);
    Py_XSETREF(self->algorithm, al);
    Py_CLEAR(self->key_salt);
    Py_CLEAR(self->prepared);
    if (unsafe) {
        PyErr_Format(PyExc_ValueError,
                     "Unsafe Signer separator: %R (cannot be empty or consist of only A-z0-9-_=)", sep);
        return -1;
    }
    return 0;
error:
    Py_XDECREF(k);
    Py_XDECREF(fb);
    Py_XDECREF(sa);
    Py_XDECREF(al);
    return -1;
}

static int
signer_init(PyObject *op, PyObject *args, PyObject *kwargs)
{
    sesstok_state *st = sesstok_state_from_type(Py_TYPE(op));
    if (st == NULL || require_django(st) < 0) {
        return -1;
    }
    if (PyTuple_GET_SIZE(args) != 0) {
        PyErr_Format(PyExc_TypeError, "%s.__init__() takes 1 positional argument but %zd were given",
                     _PyType_Name(Py_TYPE(op)), PyTuple_GET_SIZE(args) + 1);
        return -1;
    }
    static char *kwlist[] = {"key", "sep", "salt", "algorithm", "fallback_keys", NULL};
    PyObject *key = NULL, *sep = NULL, *salt = NULL, *algorithm = NULL, *fallback_keys = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$OOOOO:__init__", kwlist, &key, &sep, &salt, &algorithm,
                                     &fallback_keys)) {
        return -1;
    }
    return signer_set_fields(st, op, key, sep, salt, algorithm, fallback_keys);
}

static int
signer_traverse(PyObject *op, visitproc visit, void *arg)
{
    SignerObject *self = Signer_CAST(op);
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->key);
    Py_VISIT(self->fallback_keys);
    Py_VISIT(self->sep);
    Py_VISIT(self->salt);
    Py_VISIT(self->algorithm);
    Py_VISIT(self->dict);
    Py_VISIT(self->key_salt);
    Py_VISIT(self->prepared);
    return 0;
}

static int
signer_clear(PyObject *op)
{
    SignerObject *self = Signer_CAST(op);
    Py_CLEAR(self->key);
    Py_CLEAR(self->fallback_keys);
    Py_CLEAR(self->sep);
    Py_CLEAR(self->salt);
    Py_CLEAR(self->algorithm);
    Py_CLEAR(self->dict);
    Py_CLEAR(self->key_salt);
    Py_CLEAR(self->prepared);
    return 0;
}

static void
signer_dealloc(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (Signer_CAST(op)->weakreflist != NULL) {
        PyObject_ClearWeakRefs(op);
    }
    signer_clear(op);
    tp->tp_free(op);
    Py_DECREF(tp);
}

/* getters and setters: changing key, salt or algorithm drops derived keys */
#define SIGNER_ATTR(name, derived)                                             \
    static PyObject *signer_get_##name(PyObject *op, void *c)                  \
    {                                                                          \
        PyObject *v = Signer_CAST(op)->name;                                   \
        return v ? Py_NewRef(v) : missing_attribute(op, #name);                \
    }                                                                          \
    static int signer_set_##name(PyObject *op, PyObject *value, void *c)       \
    {                                                                          \
        SignerObject *self = Signer_CAST(op);                                  \
        if (value == NULL && self->name == NULL) {                             \
            missing_attribute(op, #name);                                      \
            return -1;                                                         \
        }                                                                      \
        Py_XSETREF(self->name, Py_XNewRef(value));                             \
        if (derived) {                                                         \
            Py_CLEAR(self->key_salt);                                          \
            Py_CLEAR(self->prepared);                                          \
        }                                                                      \
        return 0;                                                              \
    }

SIGNER_ATTR(key, 1)
SIGNER_ATTR(salt, 1)
SIGNER_ATTR(algorithm, 1)
SIGNER_ATTR(sep, 0)
SIGNER_ATTR(fallback_keys, 0)

static PyGetSetDef signer_getset[] = {
#define ENTRY(name) {#name, signer_get_##name, signer_set_##name, NULL, NULL},
    ENTRY(key) ENTRY(salt) ENTRY(algorithm) ENTRY(sep) ENTRY(fallback_keys)
#undef ENTRY
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef signer_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(SignerObject, dict), READONLY, NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(SignerObject, weakreflist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* Run fn on a view of self. */
#define WITH_VIEW(op, st, v, fail)                                             \
    sesstok_state *st = sesstok_state_from_type(Py_TYPE(op));                  \
    signer_view v;                                                             \
    if (st == NULL || require_django(st) < 0 || view_from_native(st, Signer_CAST(op), &v) < 0) { \
        return fail;                                                           \
    }

static PyObject *
signer_signature(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"value", "key"};
    PyObject *argv[2];
    if (sesstok_parse_args("signature", args, nargs, kwnames, names, 2, 2, 1, argv) < 0) {
        return NULL;
    }
    WITH_VIEW(op, st, v, NULL)
    PyObject *result = signature_impl(st, &v, argv[0], argv[1]);
    view_clear(&v);
    return result;
}

static PyObject *
signer_sign(PyObject *op, PyObject *value)
{
    WITH_VIEW(op, st, v, NULL)
    PyObject *result = signer_sign_impl(st, &v, value);
    view_clear(&v);
    return result;
}

static PyObject *
signer_unsign(PyObject *op, PyObject *value)
{
    WITH_VIEW(op, st, v, NULL)
    PyObject *result = signer_unsign_impl(st, &v, value);
    view_clear(&v);
    return result;
}

static PyObject *
signer_sign_object(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"obj", "serializer", "compress"};
    PyObject *argv[3];
    if (sesstok_parse_args("sign_object", args, nargs, kwnames, names, 3, 3, 1, argv) < 0) {
        return NULL;
    }
    WITH_VIEW(op, st, v, NULL)
    PyObject *result = sign_object_impl(st, &v, argv[0], argv[1], argv[2]);
    view_clear(&v);
    return result;
}

/* unsign_object(signed_obj, serializer=JSONSerializer, **kwargs) */
static PyObject *
signer_unsign_object(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    WITH_VIEW(op, st, v, NULL)
    PyObject *result = NULL;
    PyObject *signed_obj = nargs > 0 ? args[0] : NULL, *serializer = nargs > 1 ? args[1] : NULL;
    PyObject *max_age = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    PyObject *rest_names = NULL;
    PyObject *rest_values[16];
    Py_ssize_t nrest = 0;
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError, "unsign_object() takes from 2 to 3 positional arguments but %zd were given",
                     nargs + 1);
        goto done;
    }
    if (nkw > 16) {
        PyErr_SetString(PyExc_TypeError, "unsign_object(): too many keyword arguments");
        goto done;
    }
    if ((rest_names = PyList_New(0)) == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        PyObject *value = args[nargs + i];
        if (PyUnicode_CompareWithASCIIString(name, "signed_obj") == 0 && signed_obj == NULL) {
            signed_obj = value;
        }
        else if (PyUnicode_CompareWithASCIIString(name, "serializer") == 0 && serializer == NULL) {
            serializer = value;
        }
        else {
            if (PyList_Append(rest_names, name) < 0) {
                goto done;
            }
            rest_values[nrest++] = value;
        }
    }
    if (signed_obj == NULL) {
        PyErr_SetString(PyExc_TypeError, "unsign_object() missing 1 required positional argument: 'signed_obj'");
        goto done;
    }
    if (!v.virt_unsign) {
        /* the kwargs go to our own unsign: only TimestampSigner takes max_age */
        for (Py_ssize_t i = 0; i < nrest; i++) {
            PyObject *name = PyList_GET_ITEM(rest_names, i);
            if (v.timestamp && PyUnicode_CompareWithASCIIString(name, "max_age") == 0) {
                max_age = rest_values[i];
            }
            else {
                PyErr_Format(PyExc_TypeError, "%s.unsign() got an unexpected keyword argument '%U'",
                             v.timestamp ? "TimestampSigner" : "Signer", name);
                goto done;
            }
        }
    }
    PyObject *rest_tuple = nrest ? PyList_AsTuple(rest_names) : NULL;
    if (nrest && rest_tuple == NULL) {
        goto done;
    }
    result = unsign_object_impl(st, &v, signed_obj, serializer, rest_values, rest_tuple, max_age);
    Py_XDECREF(rest_tuple);
done:
    Py_XDECREF(rest_names);
    view_clear(&v);
    return result;
}

static PyObject *
ts_timestamp(PyObject *op, PyObject *unused)
{
    WITH_VIEW(op, st, v, NULL)
    v.virt_timestamp = 0;
    sesstok_buf buf;
    sesstok_buf_init(&buf);
    int ascii = 1;
    PyObject *result = NULL;
    if (append_timestamp(st, &v, &buf, &ascii) == 0) {
        result = buf_to_str(&buf, ascii);
    }
    sesstok_buf_free(&buf);
    view_clear(&v);
    return result;
}

static PyObject *
ts_sign(PyObject *op, PyObject *value)
{
    WITH_VIEW(op, st, v, NULL)
    PyObject *result = ts_sign_impl(st, &v, value);
    view_clear(&v);
    return result;
}

static PyObject *
ts_unsign(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"value", "max_age"};
    PyObject *argv[2];
    if (sesstok_parse_args("unsign", args, nargs, kwnames, names, 2, 2, 1, argv) < 0) {
        return NULL;
    }
    WITH_VIEW(op, st, v, NULL)
    PyObject *result = ts_unsign_impl(st, &v, argv[0], argv[1]);
    view_clear(&v);
    return result;
}

static PyMethodDef signer_methods[] = {
    {"signature", (PyCFunction)(void (*)(void))signer_signature, METH_FASTCALL | METH_KEYWORDS,
     "signature(value, key=None)\n--\n\nThe base64 HMAC of value (Django's Signer.signature)."},
    {"sign", signer_sign, METH_O, "sign(value, /)\n--\n\nvalue + sep + signature."},
    {"unsign", signer_unsign, METH_O,
     "unsign(signed_value, /)\n--\n\nThe value, or BadSignature."},
    {"sign_object", (PyCFunction)(void (*)(void))signer_sign_object, METH_FASTCALL | METH_KEYWORDS,
     "sign_object(obj, serializer=JSONSerializer, compress=False)\n--\n\n"
     "URL-safe signed (optionally compressed) serialization of obj."},
    {"unsign_object", (PyCFunction)(void (*)(void))signer_unsign_object, METH_FASTCALL | METH_KEYWORDS,
     "unsign_object(signed_obj, serializer=JSONSerializer, **kwargs)\n--\n\n"
     "Reverse of sign_object; kwargs go to unsign()."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef ts_methods[] = {
    {"timestamp", ts_timestamp, METH_NOARGS, "timestamp()\n--\n\nb62_encode(int(time.time()))."},
    {"sign", ts_sign, METH_O, "sign(value, /)\n--\n\nvalue + sep + timestamp, signed."},
    {"unsign", (PyCFunction)(void (*)(void))ts_unsign, METH_FASTCALL | METH_KEYWORDS,
     "unsign(value, max_age=None)\n--\n\nThe value, checking the timestamp against max_age\n"
     "(seconds as int/float, or a timedelta); SignatureExpired when older."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot signer_slots[] = {
    {Py_tp_doc, "Signer(*, key=None, sep=':', salt=None, algorithm=None, fallback_keys=None)\n--\n\n"
                "django.core.signing.Signer on sesstok's C core: same arguments, defaults,\n"
                "output and exceptions."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, signer_init},
    {Py_tp_dealloc, signer_dealloc},
    {Py_tp_traverse, signer_traverse},
    {Py_tp_clear, signer_clear},
    {Py_tp_methods, signer_methods},
    {Py_tp_getset, signer_getset},
    {Py_tp_members, signer_members},
    {0, NULL},
};

static PyType_Spec signer_spec = {
    .name = "sesstok.signing.Signer",
    .basicsize = sizeof(SignerObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = signer_slots,
};

static PyType_Slot ts_slots[] = {
    {Py_tp_doc, "TimestampSigner(*, key=None, sep=':', salt=None, algorithm=None, fallback_keys=None)\n--\n\n"
                "django.core.signing.TimestampSigner on sesstok's C core."},
    {Py_tp_methods, ts_methods},
    {0, NULL},
};

static PyType_Spec ts_spec = {
    .name = "sesstok.signing.TimestampSigner",
    .basicsize = sizeof(SignerObject),
    /* GC support, traverse and clear are inherited from Signer */
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = ts_slots,
};

/* ---- module functions -------------------------------------------------------------- */

/* TimestampSigner(key=key, salt=salt, fallback_keys=fallback_keys) without
 * a type call (NULL: not given). */
static PyObject *
new_timestamp_signer(sesstok_state *st, PyObject *key, PyObject *salt, PyObject *fallback_keys)
{
    PyTypeObject *tp = st->TimestampSignerType;
    PyObject *self = tp->tp_alloc(tp, 0);
    if (self != NULL && signer_set_fields(st, self, key, NULL, salt, NULL, fallback_keys) < 0) {
        Py_CLEAR(self);
    }
    return self;
}

/* mirrors django.core.signing.dumps */
static PyObject *
dumps(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"obj", "key", "salt", "serializer", "compress"};
    PyObject *argv[5];
    sesstok_state *st = sesstok_get_state(module);
    if (require_django(st) < 0 || sesstok_parse_args("dumps", args, nargs, kwnames, names, 5, 5, 1, argv) < 0) {
        return NULL;
    }
    PyObject *signer = new_timestamp_signer(st, argv[1], argv[2] ? argv[2] : st->str_salt_signing, NULL);
    if (signer == NULL) {
        return NULL;
    }
    signer_view v;
    PyObject *result = NULL;
    if (view_from_native(st, Signer_CAST(signer), &v) == 0) {
        result = sign_object_impl(st, &v, argv[0], argv[3], argv[4]);
        view_clear(&v);
    }
    Py_DECREF(signer);
    return result;
}

/* mirrors django.core.signing.loads */
static PyObject *
loads(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"s", "key", "salt", "serializer", "max_age", "fallback_keys"};
    PyObject *argv[6];
    sesstok_state *st = sesstok_get_state(module);
    if (require_django(st) < 0 || sesstok_parse_args("loads", args, nargs, kwnames, names, 6, 6, 1, argv) < 0) {
        return NULL;
    }
    PyObject *signer = new_timestamp_signer(st, argv[1], argv[2] ? argv[2] : st->str_salt_signing, argv[5]);
    if (signer == NULL) {
        return NULL;
    }
    signer_view v;
    PyObject *result = NULL;
    if (view_from_native(st, Signer_CAST(signer), &v) == 0) {
        result = unsign_object_impl(st, &v, argv[0], argv[3], NULL, NULL, argv[4]);
        view_clear(&v);
    }
    Py_DECREF(signer);
    return result;
}

/* mirrors django.core.signing.base64_hmac(salt, value, key, algorithm) with
 * an explicit algorithm (sesstok.signing handles Django's default). */
static PyObject *
base64_hmac(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"salt", "value", "key", "algorithm"};
    PyObject *argv[4];
    sesstok_state *st = sesstok_get_state(module);
    if (require_django(st) < 0
        || sesstok_parse_args("base64_hmac", args, nargs, kwnames, names, 4, 4, 4, argv) < 0) {
        return NULL;
    }
    PyObject *salt = argv[0], *value = argv[1], *key = argv[2], *algorithm = argv[3];
    if (PyUnicode_CheckExact(salt) && (PyUnicode_CheckExact(value) || PyBytes_CheckExact(value))
        && (PyUnicode_CheckExact(key) || PyBytes_CheckExact(key)) && PyUnicode_CheckExact(algorithm)) {
        PyObject *prepared = sesstok_hmac_key_get(st, key, salt, NULL, algorithm);
        if (prepared != NULL) {
            const char *p;
            Py_ssize_t n;
            if (PyUnicode_CheckExact(value)) {
                p = PyUnicode_AsUTF8AndSize(value, &n);
            }
            else {
                p = PyBytes_AS_STRING(value);
                n = PyBytes_GET_SIZE(value);
            }
            PyObject *result = NULL;
            if (p != NULL) {
                char sig[SIG_MAX];
                Py_ssize_t siglen = mac_b64(prepared, p, n, sig);
                if (siglen >= 0) {
                    result = PyUnicode_FromStringAndSize(sig, siglen);
                }
            }
            Py_DECREF(prepared);
            return result;
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    PyObject *fargs[4] = {salt, value, key, algorithm};
    return PyObject_Vectorcall(st->dj_base64_hmac, fargs, 4, NULL);
}

/* ---- Django's own signer objects (accelerate_django) -------------------------------- */

/* signer_call(kind, self, timestamp, *args): run one of Django's Signer
 * methods for a Django signer object whose class overrides none of them.
 * kind: "signature", "sign", "unsign", "sign_object", "unsign_object". */
static PyObject *
django_signer_call(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    sesstok_state *st = sesstok_get_state(module);
    if (require_django(st) < 0) {
        return NULL;
    }
    if (nargs < 3) {
        PyErr_SetString(PyExc_TypeError, "django_signer_call(kind, self, timestamp, ...)");
        return NULL;
    }
    PyObject *kind = args[0], *self = args[1];
    int timestamp = PyObject_IsTrue(args[2]);
    if (timestamp < 0) {
        return NULL;
    }
    args += 3;
    nargs -= 3;
    signer_view v;
    if (view_from_attrs(st, self, timestamp, &v) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    PyObject *argv[3] = {NULL, NULL, NULL};
    if (PyUnicode_CompareWithASCIIString(kind, "signature") == 0) {
        static const char *const names[] = {"value", "key"};
        if (sesstok_parse_args("signature", args, nargs, kwnames, names, 2, 2, 1, argv) == 0) {
            result = signature_impl(st, &v, argv[0], argv[1]);
        }
    }
    else if (PyUnicode_CompareWithASCIIString(kind, "sign") == 0) {
        static const char *const names[] = {"value"};
        if (sesstok_parse_args("sign", args, nargs, kwnames, names, 1, 1, 1, argv) == 0) {
            result = timestamp ? ts_sign_impl(st, &v, argv[0]) : signer_sign_impl(st, &v, argv[0]);
        }
    }
    else if (PyUnicode_CompareWithASCIIString(kind, "unsign") == 0) {
        static const char *const names[] = {"value", "max_age"};
        if (sesstok_parse_args("unsign", args, nargs, kwnames, names, 2, timestamp ? 2 : 1, 1, argv) == 0) {
            result = timestamp ? ts_unsign_impl(st, &v, argv[0], argv[1]) : signer_unsign_impl(st, &v, argv[0]);
        }
    }
    else if (PyUnicode_CompareWithASCIIString(kind, "sign_object") == 0) {
        static const char *const names[] = {"obj", "serializer", "compress"};
        if (sesstok_parse_args("sign_object", args, nargs, kwnames, names, 3, 3, 1, argv) == 0) {
            result = sign_object_impl(st, &v, argv[0], argv[1], argv[2]);
        }
    }
    else if (PyUnicode_CompareWithASCIIString(kind, "unsign_object") == 0) {
        static const char *const names[] = {"signed_obj", "serializer", "max_age"};
        if (sesstok_parse_args("unsign_object", args, nargs, kwnames, names, 3, 2, 1, argv) == 0) {
            if (argv[2] != NULL && !timestamp) {
                PyErr_SetString(PyExc_TypeError, "Signer.unsign() got an unexpected keyword argument 'max_age'");
            }
            else {
                result = unsign_object_impl(st, &v, argv[0], argv[1], NULL, NULL, argv[2]);
            }
        }
    }
    else {
        PyErr_Format(PyExc_ValueError, "unknown signer call %R", kind);
    }
    view_clear(&v);
    return result;
}

/* install_django(**objects): the Django objects the signers need. */
static PyObject *
install_django(PyObject *module, PyObject *args, PyObject *kwargs)
{
    sesstok_state *st = sesstok_get_state(module);
    static char *kwlist[] = {"settings", "BadSignature", "SignatureExpired", "JSONSerializer",
                             "sep_unsafe_match", "Signer_sign", "Signer_unsign", "Signer_sign_object",
                             "base64_hmac", "b64_decode", "b62_encode", "b62_decode", "timedelta",
                             "PayloadTooLarge", "Signer", "TimestampSigner", NULL};
    PyObject *o[16];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$OOOOOOOOOOOOOOOO:install_django", kwlist, &o[0], &o[1],
                                     &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &o[8], &o[9], &o[10], &o[11],
                                     &o[12], &o[13], &o[14], &o[15])) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) != 0 || kwargs == NULL || PyDict_GET_SIZE(kwargs) != 16) {
        PyErr_SetString(PyExc_TypeError, "install_django() needs every object by keyword");
        return NULL;
    }
    Py_XSETREF(st->dj_settings, Py_NewRef(o[0]));
    Py_XSETREF(st->dj_BadSignature, Py_NewRef(o[1]));
    Py_XSETREF(st->dj_SignatureExpired, Py_NewRef(o[2]));
    Py_XSETREF(st->dj_JSONSerializer, Py_NewRef(o[3]));
    Py_XSETREF(st->dj_sep_unsafe_match, Py_NewRef(o[4]));
    Py_XSETREF(st->dj_Signer_sign, Py_NewRef(o[5]));
    Py_XSETREF(st->dj_Signer_unsign, Py_NewRef(o[6]));
    Py_XSETREF(st->dj_Signer_sign_object, Py_NewRef(o[7]));
    Py_XSETREF(st->dj_base64_hmac, Py_NewRef(o[8]));
    Py_XSETREF(st->dj_b64_decode, Py_NewRef(o[9]));
    Py_XSETREF(st->dj_b62_encode, Py_NewRef(o[10]));
    Py_XSETREF(st->dj_b62_decode, Py_NewRef(o[11]));
    Py_XSETREF(st->py_timedelta, Py_NewRef(o[12]));
    Py_XSETREF(st->PayloadTooLarge, Py_NewRef(o[13]));
    Py_XSETREF(st->dj_Signer, Py_NewRef(o[14]));
    Py_XSETREF(st->dj_TimestampSigner, Py_NewRef(o[15]));
    Py_RETURN_NONE;
}

static PyMethodDef signer_module_methods[] = {
    {"dumps", (PyCFunction)(void (*)(void))dumps, METH_FASTCALL | METH_KEYWORDS,
     "dumps(obj, key=None, salt='django.core.signing', serializer=JSONSerializer, compress=False)\n--\n\n"
     "django.core.signing.dumps on the C core."},
    {"loads", (PyCFunction)(void (*)(void))loads, METH_FASTCALL | METH_KEYWORDS,
     "loads(s, key=None, salt='django.core.signing', serializer=JSONSerializer, max_age=None, "
     "fallback_keys=None)\n--\n\ndjango.core.signing.loads on the C core."},
    {"base64_hmac", (PyCFunction)(void (*)(void))base64_hmac, METH_FASTCALL | METH_KEYWORDS,
     "base64_hmac(salt, value, key, algorithm)\n--\n\nb64_encode(salted_hmac(...).digest()).decode()."},
    {"django_signer_call", (PyCFunction)(void (*)(void))django_signer_call, METH_FASTCALL | METH_KEYWORDS,
     "django_signer_call(kind, self, timestamp, *args, **kwargs)\n--\n\n"
     "Run a django.core.signing signer method on the C core (accelerate_django)."},
    {"install_django", (PyCFunction)(void (*)(void))install_django, METH_VARARGS | METH_KEYWORDS,
     "install_django(**objects)\n--\n\nGive the signers Django's settings, exceptions and\n"
     "general-path functions (done by sesstok.signing)."},
    {NULL, NULL, 0, NULL},
};

int
sesstok_signer_exec(PyObject *m)
{
    sesstok_state *st = sesstok_get_state(m);
    st->SignerType = (PyTypeObject *)PyType_FromModuleAndSpec(m, &signer_spec, NULL);
    if (st->SignerType == NULL) {
        return -1;
    }
    st->TimestampSignerType =
        (PyTypeObject *)PyType_FromModuleAndSpec(m, &ts_spec, (PyObject *)st->SignerType);
    if (st->TimestampSignerType == NULL) {
        return -1;
    }
    if (PyModule_AddType(m, st->SignerType) < 0 || PyModule_AddType(m, st->TimestampSignerType) < 0) {
        return -1;
    }
    /* our method descriptors, to tell when a subclass overrides one */
    PyObject *sd = st->SignerType->tp_dict, *td = st->TimestampSignerType->tp_dict;
    st->m_signature = Py_XNewRef(PyDict_GetItemString(sd, "signature"));
    st->m_sign = Py_XNewRef(PyDict_GetItemString(sd, "sign"));
    st->m_unsign = Py_XNewRef(PyDict_GetItemString(sd, "unsign"));
    st->m_ts_sign = Py_XNewRef(PyDict_GetItemString(td, "sign"));
    st->m_ts_unsign = Py_XNewRef(PyDict_GetItemString(td, "unsign"));
    st->m_timestamp = Py_XNewRef(PyDict_GetItemString(td, "timestamp"));
    if (!st->m_signature || !st->m_sign || !st->m_unsign || !st->m_ts_sign || !st->m_ts_unsign
        || !st->m_timestamp) {
        PyErr_SetString(PyExc_RuntimeError, "signer method descriptors missing");
        return -1;
    }
    return PyModule_AddFunctions(m, signer_module_methods);
}
