/* signer_django.c - Django's own objects for the signers: install_django
 * (called once by sesstok.signing) and the functions that run Django's own
 * signer objects on the C core (sesstok.accelerate_django replaces the
 * methods of django.core.signing.Signer and TimestampSigner with small
 * Python functions that call these). */
#include "signer.h"

#include <stddef.h>
#include <string.h>

/* ---- install_django ------------------------------------------------------ */

/* The objects install_django takes, each by keyword, and where they go. */
typedef struct {
    const char *name;
    size_t offset; /* of a PyObject * in sesstok_state */
} django_object;

static const django_object django_objects[] = {
    {"settings", offsetof(sesstok_state, signer.django.settings)},
    {"BadSignature", offsetof(sesstok_state, signer.django.BadSignature)},
    {"SignatureExpired",
     offsetof(sesstok_state, signer.django.SignatureExpired)},
    {"JSONSerializer", offsetof(sesstok_state, signer.django.JSONSerializer)},
    {"sep_unsafe_match",
     offsetof(sesstok_state, signer.django.sep_unsafe_match)},
    {"Signer_sign", offsetof(sesstok_state, signer.django.Signer_sign)},
    {"Signer_unsign", offsetof(sesstok_state, signer.django.Signer_unsign)},
    {"Signer_sign_object",
     offsetof(sesstok_state, signer.django.Signer_sign_object)},
    {"base64_hmac", offsetof(sesstok_state, signer.django.base64_hmac)},
    {"b64_decode", offsetof(sesstok_state, signer.django.b64_decode)},
    {"b62_encode", offsetof(sesstok_state, signer.django.b62_encode)},
    {"b62_decode", offsetof(sesstok_state, signer.django.b62_decode)},
    {"PayloadTooLarge", offsetof(sesstok_state, limits.too_large)},
    {"Signer", offsetof(sesstok_state, signer.django.Signer)},
    {"TimestampSigner",
     offsetof(sesstok_state, signer.django.TimestampSigner)},
};

#define N_DJANGO_OBJECTS (sizeof(django_objects) / sizeof(django_objects[0]))

static PyObject **
django_object_slot(sesstok_state *st, const django_object *o)
{
    return (PyObject **)((char *)st + o->offset);
}

/* install_django(**objects): every object of django_objects, by keyword. */
static PyObject *
install_django(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    sesstok_state *st = sesstok_get_state(module);
    PyObject *given[N_DJANGO_OBJECTS] = {NULL};
    if (nargs != 0) {
        PyErr_SetString(PyExc_TypeError,
                        "install_django() takes keyword arguments only");
        return NULL;
    }
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        size_t i = 0;
        while (i < N_DJANGO_OBJECTS &&
               PyUnicode_CompareWithASCIIString(name,
                                                django_objects[i].name) != 0) {
            i++;
        }
        if (i == N_DJANGO_OBJECTS) {
            PyErr_Format(
                PyExc_TypeError,
                "install_django() got an unexpected keyword argument '%U'",
                name);
            return NULL;
        }
        given[i] = args[k];
    }
    for (size_t i = 0; i < N_DJANGO_OBJECTS; i++) {
        if (given[i] == NULL) {
            PyErr_Format(PyExc_TypeError,
                         "install_django() missing keyword argument '%s'",
                         django_objects[i].name);
            return NULL;
        }
    }
    for (size_t i = 0; i < N_DJANGO_OBJECTS; i++) {
        Py_XSETREF(*django_object_slot(st, &django_objects[i]),
                   Py_NewRef(given[i]));
    }
    Py_RETURN_NONE;
}

/* ---- Django's own signer objects (accelerate_django) --------------------- */

/* The view of Django signer object args[0], with TimestampSigner semantics
 * when args[1] is true; then *args and *nargs skip both. */
static int
django_view(PyObject *module, const char *fname, PyObject *const **args,
            Py_ssize_t *nargs, sesstok_state **st, signer_view *v)
{
    *st = sesstok_get_state(module);
    if (sesstok_view_require_django(*st) < 0) {
        return -1;
    }
    if (*nargs < 2) {
        PyErr_Format(
            PyExc_TypeError,
            "%s(self, timestamp, ...): %zd positional argument%s given", fname,
            *nargs, *nargs == 1 ? "" : "s");
        return -1;
    }
    int timestamp = PyObject_IsTrue((*args)[1]);
    if (timestamp < 0 ||
        sesstok_view_attrs(*st, (*args)[0], timestamp, v) < 0) {
        return -1;
    }
    *args += 2;
    *nargs -= 2;
    return 0;
}

/* django_view, then the remaining arguments parsed by p into argv; on
 * error (-1) nothing is left to clear. */
static int
django_view_args(PyObject *module, const char *fname, const sesstok_params *p,
                 PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                 PyObject **argv, sesstok_state **st, signer_view *v)
{
    if (django_view(module, fname, &args, &nargs, st, v) < 0) {
        return -1;
    }
    return sesstok_view_args(*st, v, p, args, nargs, kwnames, argv);
}

/* django_signature(self, timestamp, value, key=None): Signer.signature */
static PyObject *
django_signature(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    static const char *const names[] = {"value", "key"};
    static const sesstok_params params = {"signature", names, 2, 2, 1};
    PyObject *argv[2];
    sesstok_state *st;
    signer_view v;
    if (django_view_args(module, "django_signature", &params, args, nargs,
                         kwnames, argv, &st, &v) < 0) {
        return NULL;
    }
    PyObject *result = sesstok_signed_signature(st, &v, argv[0], argv[1]);
    sesstok_view_clear(&v);
    return result;
}

/* django_sign(self, timestamp, value): Signer.sign / TimestampSigner.sign */
static PyObject *
django_sign(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const names[] = {"value"};
    static const sesstok_params params = {"sign", names, 1, 1, 1};
    PyObject *argv[1];
    sesstok_state *st;
    signer_view v;
    if (django_view_args(module, "django_sign", &params, args, nargs, kwnames,
                         argv, &st, &v) < 0) {
        return NULL;
    }
    PyObject *result = v.timestamp ? sesstok_signed_ts_sign(st, &v, argv[0])
                                   : sesstok_signed_sign(st, &v, argv[0]);
    sesstok_view_clear(&v);
    return result;
}

/* django_unsign(self, timestamp, value[, max_age]): Signer.unsign /
 * TimestampSigner.unsign (only the latter takes max_age) */
static PyObject *
django_unsign(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const names[] = {"value", "max_age"};
    static const sesstok_params signer_params = {"unsign", names, 1, 1, 1};
    static const sesstok_params ts_params = {"unsign", names, 2, 2, 1};
    PyObject *argv[2];
    sesstok_state *st;
    signer_view v;
    if (django_view(module, "django_unsign", &args, &nargs, &st, &v) < 0) {
        return NULL;
    }
    const sesstok_params *p = v.timestamp ? &ts_params : &signer_params;
    if (sesstok_view_args(st, &v, p, args, nargs, kwnames, argv) < 0) {
        return NULL;
    }
    PyObject *result = v.timestamp
                           ? sesstok_signed_ts_unsign(st, &v, argv[0], argv[1])
                           : sesstok_signed_unsign(st, &v, argv[0]);
    sesstok_view_clear(&v);
    return result;
}

/* django_sign_object(self, timestamp, obj, serializer, compress) */
static PyObject *
django_sign_object(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    static const char *const names[] = {"obj", "serializer", "compress"};
    static const sesstok_params params = {"sign_object", names, 3, 3, 1};
    PyObject *argv[3];
    sesstok_state *st;
    signer_view v;
    if (django_view_args(module, "django_sign_object", &params, args, nargs,
                         kwnames, argv, &st, &v) < 0) {
        return NULL;
    }
    PyObject *result = sesstok_object_sign(st, &v, argv[0], argv[1], argv[2]);
    sesstok_view_clear(&v);
    return result;
}

/* django_unsign_object(self, timestamp, signed_obj, serializer, **kwargs) */
static PyObject *
django_unsign_object(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
{
    sesstok_state *st;
    signer_view v;
    if (django_view(module, "django_unsign_object", &args, &nargs, &st, &v) <
        0) {
        return NULL;
    }
    PyObject *result =
        sesstok_object_unsign_call(st, &v, args, nargs, kwnames);
    sesstok_view_clear(&v);
    return result;
}

PyMethodDef sesstok_django_methods[] = {
    {"django_signature", (PyCFunction)(void (*)(void))django_signature,
     METH_FASTCALL | METH_KEYWORDS,
     "django_signature(self, timestamp, value, key=None)\n--\n\n"
     "Signer.signature for a django.core.signing signer object."},
    {"django_sign", (PyCFunction)(void (*)(void))django_sign,
     METH_FASTCALL | METH_KEYWORDS,
     "django_sign(self, timestamp, value)\n--\n\n"
     "Signer.sign (TimestampSigner.sign if timestamp) for a Django signer."},
    {"django_unsign", (PyCFunction)(void (*)(void))django_unsign,
     METH_FASTCALL | METH_KEYWORDS,
     "django_unsign(self, timestamp, value, max_age=None)\n--\n\n"
     "Signer.unsign (TimestampSigner.unsign if timestamp) for a Django "
     "signer."},
    {"django_sign_object", (PyCFunction)(void (*)(void))django_sign_object,
     METH_FASTCALL | METH_KEYWORDS,
     "django_sign_object(self, timestamp, obj, serializer, compress)\n--\n\n"
     "Signer.sign_object for a Django signer."},
    {"django_unsign_object", (PyCFunction)(void (*)(void))django_unsign_object,
     METH_FASTCALL | METH_KEYWORDS,
     "django_unsign_object(self, timestamp, signed_obj, serializer, "
     "**kwargs)\n--\n\n"
     "Signer.unsign_object for a Django signer."},
    {"install_django", (PyCFunction)(void (*)(void))install_django,
     METH_FASTCALL | METH_KEYWORDS,
     "install_django(**objects)\n--\n\nGive the signers Django's settings, "
     "exceptions and\n"
     "general-path functions (done by sesstok.signing)."},
    {NULL, NULL, 0, NULL},
};
