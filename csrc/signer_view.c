/* signer_view.c - the attribute view of a signer: the fields of one of our
 * SignerObjects, or the attributes of Django's own signer objects (read with
 * getattr, under accelerate_django), and which methods a subclass overrides
 * (those are called, as Django's code would). */
#include "signer.h"

#include <string.h>

void
sesstok_view_clear(signer_view *v)
{
    Py_CLEAR(v->key);
    Py_CLEAR(v->sep);
    Py_CLEAR(v->salt);
    Py_CLEAR(v->algorithm);
}

int
sesstok_view_require_django(sesstok_state *st)
{
    if (st->signer.django.settings == NULL) {
        PyErr_SetString(
            PyExc_RuntimeError,
            "sesstok._core signers need Django: import sesstok.signing first");
        return -1;
    }
    return 0;
}

/* settings.<name>. LazySettings caches every value it has read in its
 * __dict__ and clears that cache whenever settings change (override_settings
 * included), so a hit there is what getattr would return, without the cost
 * of LazyObject.__getattribute__ (a Python function). */
PyObject *
sesstok_view_setting(sesstok_state *st, PyObject *name)
{
    PyObject *d = PyObject_GenericGetDict(st->signer.django.settings, NULL);
    if (d == NULL) {
        PyErr_Clear();
    }
    else {
        PyObject *v =
            PyDict_Check(d) ? PyDict_GetItemWithError(d, name) : NULL;
        Py_XINCREF(v);
        Py_DECREF(d);
        if (v != NULL) {
            return v;
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    return PyObject_GetAttr(st->signer.django.settings, name);
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

PyObject *
sesstok_view_missing(PyObject *self, const char *name)
{
    PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute '%s'",
                 Py_TYPE(self)->tp_name, name);
    return NULL;
}

int
sesstok_view_native(sesstok_state *st, SignerObject *so, signer_view *v)
{
    memset(v, 0, sizeof(*v));
    v->self = (PyObject *)so;
    v->native = so;
    v->timestamp =
        PyObject_TypeCheck((PyObject *)so, st->signer.TimestampSignerType);
    if (so->key == NULL || so->sep == NULL || so->salt == NULL ||
        so->algorithm == NULL) {
        sesstok_view_missing((PyObject *)so, so->key == NULL    ? "key"
                                             : so->sep == NULL  ? "sep"
                                             : so->salt == NULL ? "salt"
                                                                : "algorithm");
        return -1;
    }
    v->key = Py_NewRef(so->key);
    v->sep = Py_NewRef(so->sep);
    v->salt = Py_NewRef(so->salt);
    v->algorithm = Py_NewRef(so->algorithm);
    PyTypeObject *tp = Py_TYPE(so);
    if (tp != st->signer.SignerType && tp != st->signer.TimestampSignerType) {
        PyObject *self = (PyObject *)so;
        if ((v->virt_signature =
                 is_overridden(self, st->signer.str[SN_SIGNATURE],
                               st->signer.m_signature)) < 0 ||
            (v->virt_sign = is_overridden(self, st->signer.str[SN_SIGN],
                                          v->timestamp ? st->signer.m_ts_sign
                                                       : st->signer.m_sign)) <
                0 ||
            (v->virt_unsign =
                 is_overridden(self, st->signer.str[SN_UNSIGN],
                               v->timestamp ? st->signer.m_ts_unsign
                                            : st->signer.m_unsign)) < 0 ||
            (v->timestamp && (v->virt_timestamp = is_overridden(
                                  self, st->signer.str[SN_TIMESTAMP],
                                  st->signer.m_timestamp)) < 0)) {
            sesstok_view_clear(v);
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
int
sesstok_view_attrs(sesstok_state *st, PyObject *self, int timestamp,
                   signer_view *v)
{
    memset(v, 0, sizeof(*v));
    v->self = self;
    v->timestamp = timestamp;
    if ((v->key = PyObject_GetAttr(self, st->signer.str[SN_KEY])) == NULL ||
        (v->sep = PyObject_GetAttr(self, st->signer.str[SN_SEP])) == NULL ||
        (v->salt = PyObject_GetAttr(self, st->signer.str[SN_SALT])) == NULL ||
        (v->algorithm =
             PyObject_GetAttr(self, st->signer.str[SN_ALGORITHM])) == NULL) {
        sesstok_view_clear(v);
        return -1;
    }
    PyObject *base = timestamp ? st->signer.django.TimestampSigner
                               : st->signer.django.Signer;
    if ((PyObject *)Py_TYPE(self) != base) {
        if ((v->virt_signature =
                 differs_from(self, base, st->signer.str[SN_SIGNATURE])) < 0 ||
            (v->virt_sign =
                 differs_from(self, base, st->signer.str[SN_SIGN])) < 0 ||
            (v->virt_unsign =
                 differs_from(self, base, st->signer.str[SN_UNSIGN])) < 0 ||
            (v->virt_timestamp =
                 differs_from(self, base, st->signer.str[SN_TIMESTAMP])) < 0) {
            sesstok_view_clear(v);
            return -1;
        }
    }
    return 0;
}

PyObject *
sesstok_view_fallback_keys(sesstok_state *st, signer_view *v)
{
    if (v->native) {
        if (v->native->fallback_keys == NULL) {
            return sesstok_view_missing(v->self, "fallback_keys");
        }
        return Py_NewRef(v->native->fallback_keys);
    }
    return PyObject_GetAttr(v->self, st->signer.str[SN_FALLBACK_KEYS]);
}

/* salt + "signer", as Signer.signature computes it (cached on our objects). */
PyObject *
sesstok_view_key_salt(sesstok_state *st, signer_view *v)
{
    if (v->native && v->native->key_salt) {
        return Py_NewRef(v->native->key_salt);
    }
    PyObject *ks = PyNumber_Add(v->salt, st->signer.str[SN_SIGNER]);
    if (ks != NULL && v->native) {
        Py_XSETREF(v->native->key_salt, Py_NewRef(ks));
    }
    return ks;
}

/* The prepared key for `key` (the signer's own key when it is v->key), or
 * NULL without an exception when this key/salt/algorithm is not for C. */
PyObject *
sesstok_view_prepared(sesstok_state *st, signer_view *v, PyObject *key)
{
    int own = key == v->key;
    if (own && v->native && v->native->prepared) {
        return Py_NewRef(v->native->prepared);
    }
    if (!(PyUnicode_CheckExact(key) || PyBytes_CheckExact(key)) ||
        !PyUnicode_CheckExact(v->salt) ||
        !PyUnicode_CheckExact(v->algorithm)) {
        return NULL;
    }
    PyObject *prepared = sesstok_hmac_key_get(
        st, key, v->salt, st->signer.str[SN_SIGNER], v->algorithm);
    if (prepared != NULL && own && v->native) {
        Py_XSETREF(v->native->prepared, Py_NewRef(prepared));
    }
    return prepared;
}

int
sesstok_view_of(PyObject *op, sesstok_state **st, signer_view *v)
{
    *st = sesstok_state_from_type(Py_TYPE(op));
    if (*st == NULL || sesstok_view_require_django(*st) < 0) {
        return -1;
    }
    return sesstok_view_native(*st, Signer_CAST(op), v);
}

int
sesstok_view_args(sesstok_state *st, signer_view *v, const sesstok_params *p,
                  PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                  PyObject **argv)
{
    if (sesstok_args_parse(st, p, args, nargs, kwnames, argv, NULL) < 0) {
        sesstok_view_clear(v);
        return -1;
    }
    return 0;
}
