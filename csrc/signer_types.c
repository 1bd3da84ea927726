/* signer_types.c - the Signer and TimestampSigner types (mirrors
 * django.core.signing.Signer and TimestampSigner: same arguments, defaults,
 * attributes, output and exceptions) and the signer exec function. */
#include "signer.h"

#include <string.h>
#include <structmember.h>

/* bool(v) for an optional argument (NULL: not given, false): 1, 0 or -1. */
static int
given_and_true(PyObject *v)
{
    return v == NULL ? 0 : PyObject_IsTrue(v);
}

/* The salt Signer.__init__ defaults to: "%s.%s" % (self.__class__.__module__,
 * self.__class__.__name__), interned for our own two types. */
static PyObject *
default_salt(sesstok_state *st, PyObject *op)
{
    if (Py_IS_TYPE(op, st->signer.SignerType)) {
        return Py_NewRef(st->signer.str[SN_SALT_SIGNER]);
    }
    if (Py_IS_TYPE(op, st->signer.TimestampSignerType)) {
        return Py_NewRef(st->signer.str[SN_SALT_TS]);
    }
    PyObject *cls = (PyObject *)Py_TYPE(op);
    PyObject *mod = PyObject_GetAttrString(cls, "__module__");
    PyObject *name = mod ? PyObject_GetAttrString(cls, "__name__") : NULL;
    PyObject *salt = name ? PyUnicode_FromFormat("%S.%S", mod, name) : NULL;
    Py_XDECREF(mod);
    Py_XDECREF(name);
    return salt;
}

/* Django's separator check, with its own pattern: 1 unsafe, 0 safe, -1. */
static int
sep_is_unsafe(sesstok_state *st, PyObject *sep)
{
    if (sep == st->signer.str[SN_COLON]) {
        return 0;
    }
    PyObject *match =
        PyObject_CallOneArg(st->signer.django.sep_unsafe_match, sep);
    if (match == NULL) {
        return -1;
    }
    int unsafe = match != Py_None;
    Py_DECREF(match);
    return unsafe;
}

/* key or settings.SECRET_KEY; fallback_keys or settings.SECRET_KEY_FALLBACKS
 * (mirrors the first two lines of Signer.__init__). New references. */
static int
signer_keys(sesstok_state *st, PyObject *key, PyObject *fallback_keys,
            PyObject **k, PyObject **fb)
{
    int truth = given_and_true(key);
    if (truth < 0) {
        return -1;
    }
    *k = truth ? Py_NewRef(key)
               : sesstok_view_setting(st, st->signer.str[SN_SECRET_KEY]);
    if (*k == NULL) {
        return -1;
    }
    *fb = fallback_keys && fallback_keys != Py_None
              ? Py_NewRef(fallback_keys)
              : sesstok_view_setting(st,
                                     st->signer.str[SN_SECRET_KEY_FALLBACKS]);
    if (*fb == NULL) {
        Py_CLEAR(*k);
        return -1;
    }
    return 0;
}

/* mirrors Signer.__init__ after argument parsing; NULL means "not given" */
static int
signer_set_fields(sesstok_state *st, PyObject *op, PyObject *key,
                  PyObject *sep, PyObject *salt, PyObject *algorithm,
                  PyObject *fallback_keys)
{
    SignerObject *self = Signer_CAST(op);
    PyObject *k = NULL, *fb = NULL, *sa = NULL, *al = NULL;
    if (signer_keys(st, key, fallback_keys, &k, &fb) < 0) {
        return -1;
    }
    if (sep == NULL) {
        sep = st->signer.str[SN_COLON];
    }
    int truth = given_and_true(salt);
    if (truth < 0 ||
        (sa = truth ? Py_NewRef(salt) : default_salt(st, op)) == NULL) {
        goto error;
    }
    if ((truth = given_and_true(algorithm)) < 0) {
        goto error;
    }
    al = Py_NewRef(truth ? algorithm : st->signer.str[SN_SHA256]);
    int unsafe = sep_is_unsafe(st, sep);
    if (unsafe < 0) {
        goto error;
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
                     "Unsafe Signer separator: %R (cannot be empty or consist "
                     "of only A-z0-9-_=)",
                     sep);
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
    if (st == NULL || sesstok_view_require_django(st) < 0) {
        return -1;
    }
    if (PyTuple_GET_SIZE(args) != 0) {
        PyErr_Format(
            PyExc_TypeError,
            "%s.__init__() takes 1 positional argument but %zd were given",
            _PyType_Name(Py_TYPE(op)), PyTuple_GET_SIZE(args) + 1);
        return -1;
    }
    static char *kwlist[] = {"key",       "sep",           "salt",
                             "algorithm", "fallback_keys", NULL};
    PyObject *key = NULL, *sep = NULL, *salt = NULL, *algorithm = NULL,
             *fallback_keys = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$OOOOO:__init__", kwlist,
                                     &key, &sep, &salt, &algorithm,
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

/* The attributes with getters and setters; changing key, salt or algorithm
 * drops the derived key material. The getset closure is the index here. */
typedef struct {
    const char *name;
    size_t offset;
    int derived;
} signer_attr;

static const signer_attr signer_attrs[] = {
    {"key", offsetof(SignerObject, key), 1},
    {"salt", offsetof(SignerObject, salt), 1},
    {"algorithm", offsetof(SignerObject, algorithm), 1},
    {"sep", offsetof(SignerObject, sep), 0},
    {"fallback_keys", offsetof(SignerObject, fallback_keys), 0},
};

static PyObject **
attr_slot(PyObject *op, const signer_attr *a)
{
    return (PyObject **)((char *)op + a->offset);
}

static PyObject *
signer_get_attr(PyObject *op, void *closure)
{
    const signer_attr *a = &signer_attrs[(uintptr_t)closure];
    PyObject *v = *attr_slot(op, a);
    return v ? Py_NewRef(v) : sesstok_view_missing(op, a->name);
}

static int
signer_set_attr(PyObject *op, PyObject *value, void *closure)
{
    const signer_attr *a = &signer_attrs[(uintptr_t)closure];
    PyObject **slot = attr_slot(op, a);
    if (value == NULL && *slot == NULL) {
        sesstok_view_missing(op, a->name);
        return -1;
    }
    Py_XSETREF(*slot, Py_XNewRef(value));
    if (a->derived) {
        Py_CLEAR(Signer_CAST(op)->key_salt);
        Py_CLEAR(Signer_CAST(op)->prepared);
    }
    return 0;
}

static PyGetSetDef signer_getset[] = {
    {"key", signer_get_attr, signer_set_attr, NULL, (void *)0},
    {"salt", signer_get_attr, signer_set_attr, NULL, (void *)1},
    {"algorithm", signer_get_attr, signer_set_attr, NULL, (void *)2},
    {"sep", signer_get_attr, signer_set_attr, NULL, (void *)3},
    {"fallback_keys", signer_get_attr, signer_set_attr, NULL, (void *)4},
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef signer_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(SignerObject, dict), READONLY,
     NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(SignerObject, weakreflist),
     READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* fn(st, view of op, value), for the methods that take one argument. */
static PyObject *
call_with_view(PyObject *op, PyObject *value,
               PyObject *(*fn)(sesstok_state *, signer_view *, PyObject *))
{
    sesstok_state *st;
    signer_view v;
    if (sesstok_view_of(op, &st, &v) < 0) {
        return NULL;
    }
    PyObject *result = fn(st, &v, value);
    sesstok_view_clear(&v);
    return result;
}

/* The view of op and the call's arguments parsed by p into argv; on error
 * (-1) nothing is left to clear. */
static int
view_and_args(PyObject *op, const sesstok_params *p, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames, PyObject **argv,
              sesstok_state **st, signer_view *v)
{
    if (sesstok_view_of(op, st, v) < 0) {
        return -1;
    }
    return sesstok_view_args(*st, v, p, args, nargs, kwnames, argv);
}

static PyObject *
signer_signature(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    static const char *const names[] = {"value", "key"};
    static const sesstok_params params = {"signature", names, 2, 2, 1};
    PyObject *argv[2];
    sesstok_state *st;
    signer_view v;
    if (view_and_args(op, &params, args, nargs, kwnames, argv, &st, &v) < 0) {
        return NULL;
    }
    PyObject *result = sesstok_signed_signature(st, &v, argv[0], argv[1]);
    sesstok_view_clear(&v);
    return result;
}

static PyObject *
signer_sign(PyObject *op, PyObject *value)
{
    return call_with_view(op, value, sesstok_signed_sign);
}

static PyObject *
signer_unsign(PyObject *op, PyObject *value)
{
    return call_with_view(op, value, sesstok_signed_unsign);
}

static PyObject *
signer_sign_object(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    static const char *const names[] = {"obj", "serializer", "compress"};
    static const sesstok_params params = {"sign_object", names, 3, 3, 1};
    PyObject *argv[3];
    sesstok_state *st;
    signer_view v;
    if (view_and_args(op, &params, args, nargs, kwnames, argv, &st, &v) < 0) {
        return NULL;
    }
    PyObject *result = sesstok_object_sign(st, &v, argv[0], argv[1], argv[2]);
    sesstok_view_clear(&v);
    return result;
}

/* unsign_object(signed_obj, serializer=JSONSerializer, **kwargs) */
static PyObject *
signer_unsign_object(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
{
    sesstok_state *st;
    signer_view v;
    if (sesstok_view_of(op, &st, &v) < 0) {
        return NULL;
    }
    PyObject *result =
        sesstok_object_unsign_call(st, &v, args, nargs, kwnames);
    sesstok_view_clear(&v);
    return result;
}

static PyObject *
ts_timestamp(PyObject *op, PyObject *unused)
{
    sesstok_state *st;
    signer_view v;
    if (sesstok_view_of(op, &st, &v) < 0) {
        return NULL;
    }
    v.virt_timestamp = 0;
    sesstok_buf buf;
    sesstok_buf_init(&buf);
    int ascii = 1;
    PyObject *result = NULL;
    if (sesstok_signed_append_timestamp(st, &v, &buf, &ascii) == 0) {
        result = sesstok_signed_buf_to_str(&buf, ascii);
    }
    sesstok_buf_free(&buf);
    sesstok_view_clear(&v);
    return result;
}

static PyObject *
ts_sign(PyObject *op, PyObject *value)
{
    return call_with_view(op, value, sesstok_signed_ts_sign);
}

static PyObject *
ts_unsign(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const names[] = {"value", "max_age"};
    static const sesstok_params params = {"unsign", names, 2, 2, 1};
    PyObject *argv[2];
    sesstok_state *st;
    signer_view v;
    if (view_and_args(op, &params, args, nargs, kwnames, argv, &st, &v) < 0) {
        return NULL;
    }
    PyObject *result = sesstok_signed_ts_unsign(st, &v, argv[0], argv[1]);
    sesstok_view_clear(&v);
    return result;
}

static PyMethodDef signer_methods[] = {
    {"signature", (PyCFunction)(void (*)(void))signer_signature,
     METH_FASTCALL | METH_KEYWORDS,
     "signature(value, key=None)\n--\n\nThe base64 HMAC of value (Django's "
     "Signer.signature)."},
    {"sign", signer_sign, METH_O,
     "sign(value, /)\n--\n\nvalue + sep + signature."},
    {"unsign", signer_unsign, METH_O,
     "unsign(signed_value, /)\n--\n\nThe value, or BadSignature."},
    {"sign_object", (PyCFunction)(void (*)(void))signer_sign_object,
     METH_FASTCALL | METH_KEYWORDS,
     "sign_object(obj, serializer=JSONSerializer, compress=False)\n--\n\n"
     "URL-safe signed (optionally compressed) serialization of obj."},
    {"unsign_object", (PyCFunction)(void (*)(void))signer_unsign_object,
     METH_FASTCALL | METH_KEYWORDS,
     "unsign_object(signed_obj, serializer=JSONSerializer, **kwargs)\n--\n\n"
     "Reverse of sign_object; kwargs go to unsign()."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef ts_methods[] = {
    {"timestamp", ts_timestamp, METH_NOARGS,
     "timestamp()\n--\n\nb62_encode(int(time.time()))."},
    {"sign", ts_sign, METH_O,
     "sign(value, /)\n--\n\nvalue + sep + timestamp, signed."},
    {"unsign", (PyCFunction)(void (*)(void))ts_unsign,
     METH_FASTCALL | METH_KEYWORDS,
     "unsign(value, max_age=None)\n--\n\nThe value, checking the timestamp "
     "against max_age\n"
     "(seconds as int/float, or a timedelta); SignatureExpired when older."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot signer_slots[] = {
    {Py_tp_doc, "Signer(*, key=None, sep=':', salt=None, algorithm=None, "
                "fallback_keys=None)\n--\n\n"
                "django.core.signing.Signer on sesstok's C core: same "
                "arguments, defaults,\n"
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
    {Py_tp_doc, "TimestampSigner(*, key=None, sep=':', salt=None, "
                "algorithm=None, fallback_keys=None)\n--\n\n"
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


/* TimestampSigner(key=key, salt=salt, fallback_keys=fallback_keys) without
 * a type call (NULL: not given). */
PyObject *
sesstok_signer_new_timestamp(sesstok_state *st, PyObject *key, PyObject *salt,
                             PyObject *fallback_keys)
{
    PyTypeObject *tp = st->signer.TimestampSignerType;
    PyObject *self = tp->tp_alloc(tp, 0);
    if (self != NULL && signer_set_fields(st, self, key, NULL, salt, NULL,
                                          fallback_keys) < 0) {
        Py_CLEAR(self);
    }
    return self;
}


/* Texts of the interned names, in sesstok_signer_name order. */
static const char *const signer_names[SN_COUNT] = {
    [SN_SIGNATURE] = "signature",
    [SN_TIMESTAMP] = "timestamp",
    [SN_SIGN] = "sign",
    [SN_UNSIGN] = "unsign",
    [SN_SECRET_KEY] = "SECRET_KEY",
    [SN_SECRET_KEY_FALLBACKS] = "SECRET_KEY_FALLBACKS",
    [SN_TOTAL_SECONDS] = "total_seconds",
    [SN_SIGNER] = "signer",
    [SN_KEY] = "key",
    [SN_FALLBACK_KEYS] = "fallback_keys",
    [SN_SEP] = "sep",
    [SN_SALT] = "salt",
    [SN_ALGORITHM] = "algorithm",
    [SN_LOADS] = "loads",
    [SN_COLON] = ":",
    [SN_ENCODE] = "encode",
    [SN_SHA256] = "sha256",
    [SN_SALT_SIGNING] = "django.core.signing",
    [SN_SALT_SIGNER] = "django.core.signing.Signer",
    [SN_SALT_TS] = "django.core.signing.TimestampSigner",
    [SN_SIGNED_OBJ] = "signed_obj",
    [SN_SERIALIZER] = "serializer",
    [SN_MAX_AGE] = "max_age",
};

/* A new reference to the method `name` defined by type tp itself. */
static PyObject *
own_method(PyTypeObject *tp, const char *name)
{
    PyObject *m = PyDict_GetItemString(tp->tp_dict, name);
    if (m == NULL) {
        PyErr_Format(PyExc_RuntimeError, "%s.%s missing", tp->tp_name, name);
        return NULL;
    }
    return Py_NewRef(m);
}

int
sesstok_signer_exec(PyObject *m)
{
    sesstok_state *st = sesstok_get_state(m);
    sesstok_signer_state *s = &st->signer;
    if (sesstok_intern_names(s->str, signer_names, SN_COUNT) < 0) {
        return -1;
    }
    s->SignerType =
        (PyTypeObject *)PyType_FromModuleAndSpec(m, &signer_spec, NULL);
    if (s->SignerType == NULL) {
        return -1;
    }
    s->TimestampSignerType = (PyTypeObject *)PyType_FromModuleAndSpec(
        m, &ts_spec, (PyObject *)s->SignerType);
    if (s->TimestampSignerType == NULL ||
        PyModule_AddType(m, s->SignerType) < 0 ||
        PyModule_AddType(m, s->TimestampSignerType) < 0) {
        return -1;
    }
    /* our method descriptors, to tell when a subclass overrides one */
    if ((s->m_signature = own_method(s->SignerType, "signature")) == NULL ||
        (s->m_sign = own_method(s->SignerType, "sign")) == NULL ||
        (s->m_unsign = own_method(s->SignerType, "unsign")) == NULL ||
        (s->m_ts_sign = own_method(s->TimestampSignerType, "sign")) == NULL ||
        (s->m_ts_unsign = own_method(s->TimestampSignerType, "unsign")) ==
            NULL ||
        (s->m_timestamp = own_method(s->TimestampSignerType, "timestamp")) ==
            NULL) {
        return -1;
    }
    if (PyModule_AddFunctions(m, sesstok_signed_methods) < 0 ||
        PyModule_AddFunctions(m, sesstok_object_methods) < 0) {
        return -1;
    }
    return PyModule_AddFunctions(m, sesstok_django_methods);
}

int
sesstok_signer_traverse(sesstok_state *st, visitproc visit, void *arg)
{
    sesstok_signer_state *s = &st->signer;
    Py_VISIT(s->SignerType);
    Py_VISIT(s->TimestampSignerType);
    Py_VISIT(s->m_signature);
    Py_VISIT(s->m_sign);
    Py_VISIT(s->m_unsign);
    Py_VISIT(s->m_ts_sign);
    Py_VISIT(s->m_ts_unsign);
    Py_VISIT(s->m_timestamp);
    for (int i = 0; i < SN_COUNT; i++) {
        Py_VISIT(s->str[i]);
    }
    Py_VISIT(s->django.settings);
    Py_VISIT(s->django.BadSignature);
    Py_VISIT(s->django.SignatureExpired);
    Py_VISIT(s->django.JSONSerializer);
    Py_VISIT(s->django.sep_unsafe_match);
    Py_VISIT(s->django.Signer);
    Py_VISIT(s->django.TimestampSigner);
    Py_VISIT(s->django.Signer_sign);
    Py_VISIT(s->django.Signer_unsign);
    Py_VISIT(s->django.Signer_sign_object);
    Py_VISIT(s->django.base64_hmac);
    Py_VISIT(s->django.b64_decode);
    Py_VISIT(s->django.b62_encode);
    Py_VISIT(s->django.b62_decode);
    return 0;
}

void
sesstok_signer_clear(sesstok_state *st)
{
    sesstok_signer_state *s = &st->signer;
    Py_CLEAR(s->SignerType);
    Py_CLEAR(s->TimestampSignerType);
    Py_CLEAR(s->m_signature);
    Py_CLEAR(s->m_sign);
    Py_CLEAR(s->m_unsign);
    Py_CLEAR(s->m_ts_sign);
    Py_CLEAR(s->m_ts_unsign);
    Py_CLEAR(s->m_timestamp);
    for (int i = 0; i < SN_COUNT; i++) {
        Py_CLEAR(s->str[i]);
    }
    Py_CLEAR(s->django.settings);
    Py_CLEAR(s->django.BadSignature);
    Py_CLEAR(s->django.SignatureExpired);
    Py_CLEAR(s->django.JSONSerializer);
    Py_CLEAR(s->django.sep_unsafe_match);
    Py_CLEAR(s->django.Signer);
    Py_CLEAR(s->django.TimestampSigner);
    Py_CLEAR(s->django.Signer_sign);
    Py_CLEAR(s->django.Signer_unsign);
    Py_CLEAR(s->django.Signer_sign_object);
    Py_CLEAR(s->django.base64_hmac);
    Py_CLEAR(s->django.b64_decode);
    Py_CLEAR(s->django.b62_encode);
    Py_CLEAR(s->django.b62_decode);
}
