/* codec_py.c - Python bindings for codec.c: base64url, base62, hex. */
#include "sesstok.h"

/* Encode bytes-like data as unpadded base64url; return bytes. */
static PyObject *
b64url_encode(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    size_t n = (size_t)view.len;
    if (n > (size_t)PY_SSIZE_T_MAX / 4 * 3 - 3) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    PyObject *out = PyBytes_FromStringAndSize(
        NULL, (Py_ssize_t)sesstok_b64url_encoded_len(n));
    if (out != NULL) {
        sesstok_b64url_encode(view.buf, n, PyBytes_AS_STRING(out));
    }
    PyBuffer_Release(&view);
    return out;
}

static PyObject *
b64url_decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const names[] = {"data", "strict"};
    PyObject *argv[2];
    if (sesstok_parse_args("b64url_decode", args, nargs, kwnames, names, 2, 1,
                           1, argv) < 0) {
        return NULL;
    }
    PyObject *data = argv[0];
    int strict = argv[1] ? PyObject_IsTrue(argv[1]) : 0;
    if (strict < 0) {
        return NULL;
    }
    const char *p;
    Py_ssize_t n;
    Py_buffer view;
    if (PyUnicode_Check(data)) {
        if (!PyUnicode_IS_ASCII(data)) {
            PyErr_SetString(PyExc_ValueError,
                            "invalid base64url: non-ASCII character");
            return NULL;
        }
        p = (const char *)PyUnicode_DATA(data);
        n = PyUnicode_GET_LENGTH(data);
        view.obj = NULL;
    }
    else {
        if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
            return NULL;
        }
        p = view.buf;
        n = view.len;
    }
    PyObject *out = PyBytes_FromStringAndSize(
        NULL, (Py_ssize_t)sesstok_b64url_decoded_max((size_t)n));
    if (out == NULL) {
        goto done;
    }
    long long got =
        strict ? sesstok_b64url_decode_strict(
                     p, (size_t)n, (unsigned char *)PyBytes_AS_STRING(out))
               : sesstok_b64url_decode_lax(
                     p, (size_t)n, (unsigned char *)PyBytes_AS_STRING(out));
    if (got < 0) {
        Py_CLEAR(out);
        PyErr_SetString(
            PyExc_ValueError,
            strict ? "invalid base64url: not canonical unpadded base64url"
                   : "invalid base64url");
        goto done;
    }
    if (_PyBytes_Resize(&out, (Py_ssize_t)got) < 0) {
        goto done;
    }
done:
    if (view.obj != NULL) {
        PyBuffer_Release(&view);
    }
    return out;
}

/* base62 of an int that fits in 64 bits; OverflowError/TypeError otherwise
 * (sesstok.signing then takes Django's general path). */
static PyObject *
b62_encode(PyObject *module, PyObject *arg)
{
    if (!PyLong_CheckExact(arg)) {
        PyErr_Format(PyExc_TypeError, "b62_encode() needs an int, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    long long v = PyLong_AsLongLong(arg);
    if (v == -1 && PyErr_Occurred()) {
        return NULL;
    }
    char out[SESSTOK_B62_MAX];
    size_t n = sesstok_b62_encode((int64_t)v, out);
    return PyUnicode_FromStringAndSize(out, (Py_ssize_t)n);
}

static PyObject *
b62_decode(PyObject *module, PyObject *arg)
{
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) {
        PyErr_SetString(PyExc_ValueError, "invalid base62 value");
        return NULL;
    }
    int64_t v;
    if (sesstok_b62_decode((const char *)PyUnicode_DATA(arg),
                           (size_t)PyUnicode_GET_LENGTH(arg), &v) < 0) {
        PyErr_SetString(PyExc_ValueError, "invalid base62 value");
        return NULL;
    }
    return PyLong_FromLongLong((long long)v);
}

static PyObject *
hex_encode(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (view.len > PY_SSIZE_T_MAX / 2) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    PyObject *out = PyUnicode_New(view.len * 2, 127);
    if (out != NULL) {
        sesstok_hex_encode(view.buf, (size_t)view.len,
                           (char *)PyUnicode_DATA(out));
    }
    PyBuffer_Release(&view);
    return out;
}

/* _b64url_impl(name=None, /): the name of the base64url implementation in
 * use; with a name, switch to it first (tests cover every implementation
 * this way). ValueError if the name is unknown or the CPU cannot run it. */
static PyObject *
b64url_impl(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError,
                     "_b64url_impl() takes at most 1 argument (%zd given)",
                     nargs);
        return NULL;
    }
    if (nargs == 1 && args[0] != Py_None) {
        const char *name =
            PyUnicode_Check(args[0]) ? PyUnicode_AsUTF8(args[0]) : NULL;
        if (name == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError,
                                "_b64url_impl() needs a str or None");
            }
            return NULL;
        }
        int impl = 0;
        while (impl < SESSTOK_B64_IMPL_COUNT &&
               strcmp(name, sesstok_b64url_impl_name(impl)) != 0) {
            impl++;
        }
        if (sesstok_b64url_set_impl(impl) < 0) {
            PyErr_Format(
                PyExc_ValueError,
                "base64url implementation %R is unknown or not supported here",
                args[0]);
            return NULL;
        }
    }
    return PyUnicode_FromString(
        sesstok_b64url_impl_name(sesstok_b64url_get_impl()));
}

/* _b64url_impls(): the names of the implementations this CPU can run. */
static PyObject *
b64url_impls(PyObject *module, PyObject *unused)
{
    PyObject *out = PyList_New(0);
    for (int impl = 0; out != NULL && impl < SESSTOK_B64_IMPL_COUNT; impl++) {
        if (!sesstok_b64url_impl_supported(impl)) {
            continue;
        }
        PyObject *name = PyUnicode_FromString(sesstok_b64url_impl_name(impl));
        if (name == NULL || PyList_Append(out, name) < 0) {
            Py_XDECREF(name);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(name);
    }
    return out;
}

static PyMethodDef codec_methods[] = {
    {"b64url_encode", b64url_encode, METH_O,
     "b64url_encode(data, /)\n--\n\nUnpadded base64url of bytes-like data, as "
     "bytes."},
    {"b64url_decode", (PyCFunction)(void (*)(void))b64url_decode,
     METH_FASTCALL | METH_KEYWORDS,
     "b64url_decode(data, /, *, strict=False)\n--\n\n"
     "Decode unpadded base64url (str or bytes). strict also refuses non-zero\n"
     "trailing bits. Raise ValueError on invalid input."},
    {"b62_encode", b62_encode, METH_O,
     "b62_encode(value, /)\n--\n\nDjango's base62 of a 64-bit int."},
    {"b62_decode", b62_decode, METH_O,
     "b62_decode(value, /)\n--\n\nDjango's base62 decode (64-bit range); "
     "ValueError otherwise."},
    {"hex", hex_encode, METH_O,
     "hex(data, /)\n--\n\nLower-case hex of bytes-like data."},
    {"_b64url_impl", (PyCFunction)(void (*)(void))b64url_impl, METH_FASTCALL,
     "_b64url_impl(name=None, /)\n--\n\nThe base64url implementation in use; "
     "switch to name first (tests)."},
    {"_b64url_impls", b64url_impls, METH_NOARGS,
     "_b64url_impls()\n--\n\nThe base64url implementations this CPU can run."},
    {NULL, NULL, 0, NULL},
};

int
sesstok_codec_exec(PyObject *m)
{
    return PyModule_AddFunctions(m, codec_methods);
}
