/* signer_object.c - signed objects: Signer.sign_object / unsign_object
 * (serialize, compress, base64, sign, and back) and the module functions
 * dumps / loads built on them. */
#include "signer.h"

#include <string.h>

/* base64d = ("." if compressed) + b64_encode(data), into text: data, or its
 * zlib compression when do_compress and that saves space (as Django
 * checks). */
static int
encode_payload(sesstok_state *st, const sesstok_buf *data, int do_compress,
               sesstok_buf *text)
{
    sesstok_buf out;
    sesstok_buf_init(&out);
    const unsigned char *payload = data->data;
    size_t payload_len = data->len;
    int compressed = 0, rc = 0;
    if (do_compress) {
        if (sesstok_zlib_compress(st, data->data, data->len, &out) < 0) {
            rc = -1;
            goto done;
        }
        if (out.len + 1 < data->len) {
            payload = out.data;
            payload_len = out.len;
            compressed = 1;
        }
    }
    if (sesstok_buf_reserve(text,
                            sesstok_b64url_encoded_len(payload_len) + 1) < 0) {
        PyErr_NoMemory();
        rc = -1;
        goto done;
    }
    if (compressed) {
        text->data[text->len++] = '.';
    }
    text->len += sesstok_b64url_encode(payload, payload_len,
                                       (char *)text->data + text->len);
done:
    sesstok_buf_free(&out);
    return rc;
}

/* self.sign(base64d) for base64d in text; mirrors the end of sign_object. */
static PyObject *
sign_payload(sesstok_state *st, signer_view *v, sesstok_buf *text)
{
    if (v->virt_sign || !PyUnicode_CheckExact(v->sep)) {
        PyObject *base64d = sesstok_signed_buf_to_str(text, 1);
        PyObject *result =
            base64d ? sesstok_signed_sign_call(st, v, base64d) : NULL;
        Py_XDECREF(base64d);
        return result;
    }
    int ascii = 1;
    if (v->timestamp &&
        (sesstok_signed_append_str(text, v->sep, &ascii) < 0 ||
         sesstok_signed_append_timestamp(st, v, text, &ascii) < 0)) {
        return NULL;
    }
    return sesstok_signed_finish(st, v, text, ascii);
}

/* mirrors Signer.sign_object */
PyObject *
sesstok_object_sign(sesstok_state *st, signer_view *v, PyObject *obj,
                    PyObject *serializer, PyObject *compress)
{
    int do_compress = compress ? PyObject_IsTrue(compress) : 0;
    if (do_compress < 0) {
        return NULL;
    }
    if (serializer == NULL) {
        serializer = st->signer.django.JSONSerializer;
    }
    sesstok_buf data, text;
    sesstok_buf_init(&data);
    sesstok_buf_init(&text);
    PyObject *result = NULL;
    int rc = serializer == st->signer.django.JSONSerializer
                 ? sesstok_json_encode(&data, obj, 0)
                 : 1;
    if (rc > 0) {
        /* a custom serializer or a value for json.dumps: Django's code (it
         * calls back into our sign) */
        PyObject *argv[4] = {v->self, obj, serializer,
                             compress ? compress : Py_False};
        result = PyObject_Vectorcall(st->signer.django.Signer_sign_object,
                                     argv, 4, NULL);
    }
    else if (rc == 0 && encode_payload(st, &data, do_compress, &text) == 0) {
        result = sign_payload(st, v, &text);
    }
    sesstok_buf_free(&data);
    sesstok_buf_free(&text);
    return result;
}

/* b64_decode(p[0:n]) into raw: in C for plain url-safe base64, else by
 * Django's b64_decode, which decides (and raises) exactly. */
static int
decode_base64d(sesstok_state *st, const char *p, Py_ssize_t n,
               sesstok_buf *raw)
{
    if (sesstok_buf_reserve(raw, sesstok_b64url_decoded_max((size_t)n)) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    long long got = sesstok_b64url_decode_lax(p, (size_t)n, raw->data);
    if (got >= 0) {
        raw->len = (size_t)got;
        return 0;
    }
    PyObject *text = PyBytes_FromStringAndSize(p, n);
    if (text == NULL) {
        return -1;
    }
    PyObject *decoded =
        PyObject_CallOneArg(st->signer.django.b64_decode, text);
    Py_DECREF(text);
    if (decoded == NULL) {
        return -1;
    }
    int ok = PyBytes_Check(decoded) &&
             sesstok_buf_append(raw, PyBytes_AS_STRING(decoded),
                                (size_t)PyBytes_GET_SIZE(decoded)) == 0;
    Py_DECREF(decoded);
    if (!ok && !PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    return ok ? 0 : -1;
}

/* serializer().loads(data) for the decoded payload; in C for Django's
 * JSONSerializer unless json.loads must decide. */
static PyObject *
deserialize(sesstok_state *st, const char *payload, Py_ssize_t len,
            PyObject *serializer)
{
    if (serializer == st->signer.django.JSONSerializer) {
        int fallback = 0;
        PyObject *result = sesstok_json_decode_lax_st(
            st, payload, len, st->limits.max_json_depth, st->limits.too_large,
            &fallback);
        if (result != NULL || !fallback) {
            return result;
        }
    }
    PyObject *data = PyBytes_FromStringAndSize(payload, len);
    if (data == NULL) {
        return NULL;
    }
    PyObject *result = NULL;
    PyObject *instance = PyObject_CallNoArgs(serializer);
    if (instance != NULL) {
        result = PyObject_CallMethodOneArg(instance, st->signer.str[SN_LOADS],
                                           data);
        Py_DECREF(instance);
    }
    Py_DECREF(data);
    return result;
}

/* From the unsigned text (base64d) to the object. mirrors the rest of
 * Signer.unsign_object. */
static PyObject *
load_payload(sesstok_state *st, const char *p, Py_ssize_t n,
             PyObject *serializer)
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
    PyObject *result = NULL;
    if (decode_base64d(st, p, n, &raw) == 0) {
        if (!decompress) {
            result = deserialize(st, (const char *)raw.data,
                                 (Py_ssize_t)raw.len, serializer);
        }
        else if (sesstok_zlib_inflate(st, raw.data, raw.len, &inflated) == 0) {
            result = deserialize(st, (const char *)inflated.data,
                                 (Py_ssize_t)inflated.len, serializer);
        }
    }
    sesstok_buf_free(&raw);
    sesstok_buf_free(&inflated);
    return result;
}

/* base64d = self.unsign(signed_obj, **kwargs).encode(), for a subclass that
 * overrides unsign; then the payload. kwargs may be NULL. */
static PyObject *
unsign_object_virtual(sesstok_state *st, signer_view *v, PyObject *signed_obj,
                      PyObject *serializer, PyObject *kwargs)
{
    PyObject *s;
    if (kwargs == NULL) {
        PyObject *args[2] = {v->self, signed_obj};
        s = PyObject_VectorcallMethod(st->signer.str[SN_UNSIGN], args,
                                      2 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                      NULL);
    }
    else {
        PyObject *method =
            PyObject_GetAttr(v->self, st->signer.str[SN_UNSIGN]);
        PyObject *args = method ? PyTuple_Pack(1, signed_obj) : NULL;
        s = args ? PyObject_Call(method, args, kwargs) : NULL;
        Py_XDECREF(args);
        Py_XDECREF(method);
    }
    if (s == NULL) {
        return NULL;
    }
    PyObject *b = PyObject_CallMethodNoArgs(s, st->signer.str[SN_ENCODE]);
    Py_DECREF(s);
    if (b == NULL) {
        return NULL;
    }
    if (!PyBytes_Check(b)) {
        Py_DECREF(b);
        PyErr_SetString(PyExc_TypeError, "encode() did not return bytes");
        return NULL;
    }
    PyObject *result = load_payload(st, PyBytes_AS_STRING(b),
                                    PyBytes_GET_SIZE(b), serializer);
    Py_DECREF(b);
    return result;
}

/* mirrors Signer.unsign_object(signed_obj, serializer, **kwargs) once the
 * arguments are bound: kwargs (a dict or NULL) go to an overriding unsign;
 * our own unsign takes only max_age (TimestampSigner; NULL: not given). */
static PyObject *
unsign_object_impl(sesstok_state *st, signer_view *v, PyObject *signed_obj,
                   PyObject *serializer, PyObject *kwargs, PyObject *max_age)
{
    if (serializer == NULL) {
        serializer = st->signer.django.JSONSerializer;
    }
    if (v->virt_unsign) {
        return unsign_object_virtual(st, v, signed_obj, serializer, kwargs);
    }
    const char *text;
    Py_ssize_t n;
    PyObject *holder = NULL;
    if (sesstok_signed_unsign_text(st, v, signed_obj, max_age, &text, &n,
                                   &holder) < 0) {
        return NULL;
    }
    PyObject *result = load_payload(st, text, n, serializer);
    Py_DECREF(holder);
    return result;
}

/* The arguments of unsign_object(signed_obj, serializer=..., **kwargs). */
typedef struct {
    PyObject *signed_obj; /* borrowed; NULL: not given */
    PyObject *serializer;
    PyObject *max_age;
    PyObject *kwargs;     /* owned: the **kwargs for an overriding unsign */
    PyObject *unexpected; /* borrowed: a keyword our own unsign refuses */
} unsign_object_args;

/* Bind one keyword argument; -1 with TypeError on a repeated parameter. */
static int
bind_unsign_keyword(sesstok_state *st, signer_view *v, unsign_object_args *a,
                    PyObject *name, PyObject *value)
{
    PyObject **slot =
        sesstok_str_eq(name, st->signer.str[SN_SIGNED_OBJ])   ? &a->signed_obj
        : sesstok_str_eq(name, st->signer.str[SN_SERIALIZER]) ? &a->serializer
                                                              : NULL;
    if (slot != NULL) {
        if (*slot != NULL) {
            PyErr_Format(
                PyExc_TypeError,
                "unsign_object() got multiple values for argument '%U'", name);
            return -1;
        }
        *slot = value;
        return 0;
    }
    if (v->virt_unsign) {
        if (a->kwargs == NULL && (a->kwargs = PyDict_New()) == NULL) {
            return -1;
        }
        return PyDict_SetItem(a->kwargs, name, value);
    }
    if (v->timestamp && sesstok_str_eq(name, st->signer.str[SN_MAX_AGE])) {
        a->max_age = value;
    }
    else if (a->unexpected == NULL) {
        a->unexpected = name;
    }
    return 0;
}

PyObject *
sesstok_object_unsign_call(sesstok_state *st, signer_view *v,
                           PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames)
{
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError,
                     "unsign_object() takes from 2 to 3 positional arguments "
                     "but %zd were given",
                     nargs + 1);
        return NULL;
    }
    unsign_object_args a = {nargs > 0 ? args[0] : NULL,
                            nargs > 1 ? args[1] : NULL, NULL, NULL, NULL};
    PyObject *result = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        if (bind_unsign_keyword(st, v, &a, PyTuple_GET_ITEM(kwnames, i),
                                args[nargs + i]) < 0) {
            goto done;
        }
    }
    if (a.signed_obj == NULL) {
        PyErr_SetString(PyExc_TypeError, "unsign_object() missing 1 required "
                                         "positional argument: 'signed_obj'");
        goto done;
    }
    if (a.unexpected != NULL) {
        PyErr_Format(PyExc_TypeError,
                     "%s.unsign() got an unexpected keyword argument '%U'",
                     v->timestamp ? "TimestampSigner" : "Signer",
                     a.unexpected);
        goto done;
    }
    result = unsign_object_impl(st, v, a.signed_obj, a.serializer, a.kwargs,
                                a.max_age);
done:
    Py_XDECREF(a.kwargs);
    return result;
}

/* The arguments of dumps/loads parsed by p into argv, and a view of
 * TimestampSigner(key=argv[1], salt=argv[2] or "django.core.signing",
 * fallback_keys=fallback_keys); *signer holds the signer. */
static int
module_signer(PyObject *module, const sesstok_params *p, PyObject *const *args,
              Py_ssize_t nargs, PyObject *kwnames, PyObject **argv,
              int fallback_keys_at, sesstok_state **st, PyObject **signer,
              signer_view *v)
{
    *st = sesstok_get_state(module);
    if (sesstok_view_require_django(*st) < 0 ||
        sesstok_args_parse(*st, p, args, nargs, kwnames, argv, NULL) < 0) {
        return -1;
    }
    PyObject *salt = argv[2] ? argv[2] : (*st)->signer.str[SN_SALT_SIGNING];
    PyObject *fallback_keys = fallback_keys_at ? argv[fallback_keys_at] : NULL;
    *signer = sesstok_signer_new_timestamp(*st, argv[1], salt, fallback_keys);
    if (*signer == NULL) {
        return -1;
    }
    if (sesstok_view_native(*st, Signer_CAST(*signer), v) < 0) {
        Py_CLEAR(*signer);
        return -1;
    }
    return 0;
}

/* mirrors django.core.signing.dumps */
static PyObject *
dumps(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
      PyObject *kwnames)
{
    static const char *const names[] = {"obj", "key", "salt", "serializer",
                                        "compress"};
    static const sesstok_params params = {"dumps", names, 5, 5, 1};
    PyObject *argv[5], *signer;
    sesstok_state *st;
    signer_view v;
    if (module_signer(module, &params, args, nargs, kwnames, argv, 0, &st,
                      &signer, &v) < 0) {
        return NULL;
    }
    PyObject *result = sesstok_object_sign(st, &v, argv[0], argv[3], argv[4]);
    sesstok_view_clear(&v);
    Py_DECREF(signer);
    return result;
}

/* mirrors django.core.signing.loads */
static PyObject *
loads(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
      PyObject *kwnames)
{
    static const char *const names[] = {
        "s", "key", "salt", "serializer", "max_age", "fallback_keys"};
    static const sesstok_params params = {"loads", names, 6, 6, 1};
    PyObject *argv[6], *signer;
    sesstok_state *st;
    signer_view v;
    if (module_signer(module, &params, args, nargs, kwnames, argv, 5, &st,
                      &signer, &v) < 0) {
        return NULL;
    }
    PyObject *result =
        unsign_object_impl(st, &v, argv[0], argv[3], NULL, argv[4]);
    sesstok_view_clear(&v);
    Py_DECREF(signer);
    return result;
}

PyMethodDef sesstok_object_methods[] = {
    {"dumps", (PyCFunction)(void (*)(void))dumps,
     METH_FASTCALL | METH_KEYWORDS,
     "dumps(obj, key=None, salt='django.core.signing', "
     "serializer=JSONSerializer, compress=False)\n--\n\n"
     "django.core.signing.dumps on the C core."},
    {"loads", (PyCFunction)(void (*)(void))loads,
     METH_FASTCALL | METH_KEYWORDS,
     "loads(s, key=None, salt='django.core.signing', "
     "serializer=JSONSerializer, max_age=None, "
     "fallback_keys=None)\n--\n\ndjango.core.signing.loads on the C core."},
    {NULL, NULL, 0, NULL},
};
