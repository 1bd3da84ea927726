/* json_encode.c - the compact JSON encoder: json.dumps(obj,
 * separators=(",", ":"), sort_keys=...) byte for byte, and its binding
 * json_encode.
 *
 * It mirrors CPython's Modules/_json.c (c_make_encoder, the path json.dumps
 * takes): same output for exact dict, list, tuple, str, int, float, bool and
 * None; anything else makes it hand the whole object back to Python. */
#include "sesstok.h"

#include <math.h>
#include <string.h>

/* Nesting beyond this goes to Python, which raises its RecursionError (or,
 * with a raised recursion limit, encodes it). */
#define ENCODE_MAX_DEPTH 1000
/* Past this depth, reserve extra recursion-limit room so that C succeeds only
 * where json.dumps (a few Python frames deeper) would succeed too. */
#define ENCODE_RESERVE_AT 64
#define ENCODE_RESERVE    16

typedef struct {
    sesstok_buf *buf;
    int sort_keys;
    int depth;
    int reserved; /* recursion-limit levels taken at ENCODE_RESERVE_AT */
    PyObject *path[ENCODE_MAX_DEPTH]; /* containers being encoded (markers) */
} encoder;

/* Result of an encoder step: 0 done, 1 leave it to Python, -1 error. */
#define ENC_PYTHON 1

static inline int
need(sesstok_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len) {
        return 0;
    }
    if (sesstok_buf_reserve(b, extra) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static inline int
put_bytes(sesstok_buf *b, const char *s, size_t n)
{
    if (need(b, n) < 0) {
        return -1;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static inline int
put_char(sesstok_buf *b, char c)
{
    if (b->len == b->cap && need(b, 1) < 0) {
        return -1;
    }
    b->data[b->len++] = (unsigned char)c;
    return 0;
}

/* Output width of each ASCII character in py_encode_basestring_ascii:
 * 1 for S_CHAR, 2 for the short escapes, 6 for \u00XX. */
static const unsigned char ascii_width[128] = {
    6, 6, 6, 6, 6, 6, 6, 6, 2, 2, 2, 6, 2, 2, 6, 6, /* 0x00 */
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, /* 0x10 */
    1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, /* 0x50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6, /* 0x70 */
};

static const char hexdigits[] = "0123456789abcdef";

static inline unsigned char *
put_u4(unsigned char *o, Py_UCS4 c)
{
    o[0] = '\\';
    o[1] = 'u';
    o[2] = (unsigned char)hexdigits[(c >> 12) & 0xf];
    o[3] = (unsigned char)hexdigits[(c >> 8) & 0xf];
    o[4] = (unsigned char)hexdigits[(c >> 4) & 0xf];
    o[5] = (unsigned char)hexdigits[c & 0xf];
    return o + 6;
}

/* Escape one character that is not S_CHAR; mirrors ascii_escape_unichar. */
static inline unsigned char *
put_escape(unsigned char *o, Py_UCS4 c)
{
    switch (c) {
    case '\\':
        *o++ = '\\';
        *o++ = '\\';
        return o;
    case '"':
        *o++ = '\\';
        *o++ = '"';
        return o;
    case '\b':
        *o++ = '\\';
        *o++ = 'b';
        return o;
    case '\f':
        *o++ = '\\';
        *o++ = 'f';
        return o;
    case '\n':
        *o++ = '\\';
        *o++ = 'n';
        return o;
    case '\r':
        *o++ = '\\';
        *o++ = 'r';
        return o;
    case '\t':
        *o++ = '\\';
        *o++ = 't';
        return o;
    default:
        if (c >= 0x10000) {
            /* UTF-16 surrogate pair */
            o = put_u4(o, 0xD800 + ((c - 0x10000) >> 10));
            return put_u4(o, 0xDC00 + ((c - 0x10000) & 0x3FF));
        }
        return put_u4(o, c);
    }
}

/* Append the JSON string for exact str s; mirrors py_encode_basestring_ascii:
 * size first (as ascii_escape_unicode does), then one write. */
static int
encode_str(sesstok_buf *b, PyObject *s)
{
    size_t len = (size_t)PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (len > (SIZE_MAX - 2) / 12) {
        PyErr_NoMemory();
        return -1;
    }
    size_t size = 2;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *p = data;
        for (size_t i = 0; i < len; i++) {
            size += p[i] < 128 ? ascii_width[p[i]] : 6;
        }
    }
    else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *p = data;
        for (size_t i = 0; i < len; i++) {
            size += p[i] < 128 ? ascii_width[p[i]] : 6;
        }
    }
    else {
        const Py_UCS4 *p = data;
        for (size_t i = 0; i < len; i++) {
            size += p[i] < 128 ? ascii_width[p[i]] : p[i] >= 0x10000 ? 12 : 6;
        }
    }
    if (need(b, size) < 0) {
        return -1;
    }
    unsigned char *o = b->data + b->len;
    *o++ = '"';
    if (size == len + 2) {
        /* only S_CHAR: the text itself (kind 1, since all are < 128) */
        memcpy(o, data, len);
        o += len;
    }
    else {
        for (size_t i = 0; i < len; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 128 && ascii_width[c] == 1) {
                *o++ = (unsigned char)c;
            }
            else {
                o = put_escape(o, c);
            }
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
}

/* Append repr(obj) for an exact int (PyLong_Type.tp_repr, as
 * encoder_listencode_obj; its digit limit raises the same ValueError). */
static int
encode_long(sesstok_buf *b, PyObject *obj)
{
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (!overflow) {
        if (v == -1 && PyErr_Occurred()) {
            return -1;
        }
        char tmp[24];
        char *end = tmp + sizeof(tmp), *p = end;
        unsigned long long u =
            v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0) {
            *--p = '-';
        }
        return put_bytes(b, p, (size_t)(end - p));
    }
    PyObject *r = PyLong_Type.tp_repr(obj);
    if (r == NULL) {
        return -1;
    }
    int rc = put_bytes(b, (const char *)PyUnicode_1BYTE_DATA(r),
                       (size_t)PyUnicode_GET_LENGTH(r));
    Py_DECREF(r);
    return rc;
}

/* Append the text of an exact float; mirrors encoder_encode_float with
 * allow_nan=True: "NaN", "Infinity", "-Infinity", else float.__repr__. */
static int
encode_float(sesstok_buf *b, PyObject *obj)
{
    double x = PyFloat_AS_DOUBLE(obj);
    if (!isfinite(x)) {
        if (x > 0) {
            return put_bytes(b, "Infinity", 8);
        }
        if (x < 0) {
            return put_bytes(b, "-Infinity", 9);
        }
        return put_bytes(b, "NaN", 3);
    }
    /* what float_repr formats */
    char *r = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (r == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        return -1;
    }
    int rc = put_bytes(b, r, strlen(r)); /* our own formatted number */
    PyMem_Free(r);
    return rc;
}

static int encode_obj(encoder *e, PyObject *obj);

/* Start encoding container obj: refuse cycles and deep nesting (Python then
 * raises its own error). Return 0, ENC_PYTHON or -1. */
static int
enter_container(encoder *e, PyObject *obj)
{
    for (int k = 0; k < e->depth; k++) {
        if (e->path[k] == obj) {
            return ENC_PYTHON; /* "Circular reference detected" */
        }
    }
    if (e->depth >= ENCODE_MAX_DEPTH) {
        return ENC_PYTHON;
    }
    if (e->depth == ENCODE_RESERVE_AT && e->reserved == 0) {
        for (; e->reserved < ENCODE_RESERVE; e->reserved++) {
            if (Py_EnterRecursiveCall(" while encoding a JSON object")) {
                goto recursion;
            }
        }
    }
    if (Py_EnterRecursiveCall(" while encoding a JSON object")) {
        goto recursion;
    }
    e->path[e->depth++] = obj;
    return 0;

recursion:
    if (PyErr_ExceptionMatches(PyExc_RecursionError)) {
        PyErr_Clear();
        return ENC_PYTHON;
    }
    return -1;
}

static void
leave_container(encoder *e)
{
    e->depth--;
    Py_LeaveRecursiveCall();
}

/* list or tuple; mirrors encoder_listencode_list */
static int
encode_seq(encoder *e, PyObject *seq)
{
    if (PySequence_Fast_GET_SIZE(seq) == 0) {
        return put_bytes(e->buf, "[]", 2);
    }
    int rc = enter_container(e, seq);
    if (rc != 0) {
        return rc;
    }
    if (put_char(e->buf, '[') < 0) {
        rc = -1;
        goto done;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        if (i > 0 && put_char(e->buf, ',') < 0) {
            rc = -1;
            goto done;
        }
        PyObject *item = Py_NewRef(PySequence_Fast_GET_ITEM(seq, i));
        rc = encode_obj(e, item);
        Py_DECREF(item);
        if (rc != 0) {
            goto done;
        }
    }
    rc = put_char(e->buf, ']');
done:
    leave_container(e);
    return rc;
}

/* A dict key converted as encoder_listencode_dict does: str as is; float,
 * True/False/None and int to their JSON text; in quotes. */
static int
encode_key(sesstok_buf *b, PyObject *key)
{
    PyTypeObject *tp = Py_TYPE(key);
    if (tp == &PyUnicode_Type) {
        return encode_str(b, key);
    }
    if (tp == &PyFloat_Type) {
        if (put_char(b, '"') < 0 || encode_float(b, key) < 0) {
            return -1;
        }
        return put_char(b, '"');
    }
    if (key == Py_True) {
        return put_bytes(b, "\"true\"", 6);
    }
    if (key == Py_False) {
        return put_bytes(b, "\"false\"", 7);
    }
    if (key == Py_None) {
        return put_bytes(b, "\"null\"", 6);
    }
    if (tp == &PyLong_Type) {
        if (put_char(b, '"') < 0 || encode_long(b, key) < 0) {
            return -1;
        }
        return put_char(b, '"');
    }
    return ENC_PYTHON; /* other types: Python raises TypeError (or skips) */
}

typedef struct {
    PyObject *key;
    PyObject *value;
} dict_item;

/* Order of str keys by code points, as str.__lt__ (and so PyList_Sort of
 * the items in encoder_listencode_dict: keys are distinct). */
static int
compare_items(const void *pa, const void *pb)
{
    PyObject *a = ((const dict_item *)pa)->key,
             *b = ((const dict_item *)pb)->key;
    if (PyUnicode_KIND(a) == PyUnicode_1BYTE_KIND &&
        PyUnicode_KIND(b) == PyUnicode_1BYTE_KIND) {
        Py_ssize_t la = PyUnicode_GET_LENGTH(a), lb = PyUnicode_GET_LENGTH(b);
        int c = memcmp(PyUnicode_1BYTE_DATA(a), PyUnicode_1BYTE_DATA(b),
                       (size_t)(la < lb ? la : lb));
        if (c != 0) {
            return c;
        }
        return la < lb ? -1 : la > lb;
    }
    return PyUnicode_Compare(a, b); /* exact str: cannot fail */
}

#define SORT_INLINE 32

static int
encode_dict_sorted(encoder *e, PyObject *dict)
{
    Py_ssize_t n = PyDict_GET_SIZE(dict);
    dict_item inline_items[SORT_INLINE];
    dict_item *items = inline_items;
    if (n > SORT_INLINE) {
        items = PyMem_New(dict_item, n);
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    Py_ssize_t pos = 0, k = 0;
    PyObject *key, *value;
    int rc = 0;
    while (k < n && PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) {
            rc =
                ENC_PYTHON; /* Python sorts mixed keys (or raises TypeError) */
            goto done;
        }
        items[k].key = key;
        items[k].value = value;
        k++;
    }
    qsort(items, (size_t)k, sizeof(dict_item), compare_items);
    for (Py_ssize_t i = 0; i < k; i++) {
        if ((i > 0 && put_char(e->buf, ',') < 0) ||
            encode_str(e->buf, items[i].key) < 0 ||
            put_char(e->buf, ':') < 0) {
            rc = -1;
            goto done;
        }
        value = Py_NewRef(items[i].value);
        rc = encode_obj(e, value);
        Py_DECREF(value);
        if (rc != 0) {
            goto done;
        }
    }
done:
    if (items != inline_items) {
        PyMem_Free(items);
    }
    return rc;
}

/* mirrors encoder_listencode_dict */
static int
encode_dict(encoder *e, PyObject *dict)
{
    if (PyDict_GET_SIZE(dict) == 0) {
        return put_bytes(e->buf, "{}", 2);
    }
    int rc = enter_container(e, dict);
    if (rc != 0) {
        return rc;
    }
    if (put_char(e->buf, '{') < 0) {
        rc = -1;
        goto done;
    }
    if (e->sort_keys) {
        rc = encode_dict_sorted(e, dict);
    }
    else {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        int first = 1;
        while (PyDict_Next(dict, &pos, &key, &value)) {
            if (!first && put_char(e->buf, ',') < 0) {
                rc = -1;
                goto done;
            }
            first = 0;
            rc = encode_key(e->buf, key);
            if (rc != 0) {
                goto done;
            }
            if (put_char(e->buf, ':') < 0) {
                rc = -1;
                goto done;
            }
            Py_INCREF(value);
            rc = encode_obj(e, value);
            Py_DECREF(value);
            if (rc != 0) {
                goto done;
            }
        }
    }
    if (rc == 0) {
        rc = put_char(e->buf, '}');
    }
done:
    leave_container(e);
    return rc;
}

/* mirrors encoder_listencode_obj, for exact types only */
static int
encode_obj(encoder *e, PyObject *obj)
{
    if (obj == Py_None) {
        return put_bytes(e->buf, "null", 4);
    }
    if (obj == Py_True) {
        return put_bytes(e->buf, "true", 4);
    }
    if (obj == Py_False) {
        return put_bytes(e->buf, "false", 5);
    }
    PyTypeObject *tp = Py_TYPE(obj);
    if (tp == &PyUnicode_Type) {
        return encode_str(e->buf, obj);
    }
    if (tp == &PyLong_Type) {
        return encode_long(e->buf, obj);
    }
    if (tp == &PyFloat_Type) {
        return encode_float(e->buf, obj);
    }
    if (tp == &PyList_Type || tp == &PyTuple_Type) {
        return encode_seq(e, obj);
    }
    if (tp == &PyDict_Type) {
        return encode_dict(e, obj);
    }
    return ENC_PYTHON; /* subclasses and other types: default() and friends */
}

int
sesstok_json_encode(sesstok_buf *buf, PyObject *obj, int sort_keys)
{
    encoder e;
    e.buf = buf;
    e.sort_keys = sort_keys;
    e.depth = 0;
    e.reserved = 0;
    int rc = encode_obj(&e, obj);
    for (; e.reserved > 0; e.reserved--) {
        Py_LeaveRecursiveCall();
    }
    return rc;
}

/* ---- binding ------------------------------------------------------------ */

PyDoc_STRVAR(
    json_encode_doc,
    "json_encode(obj, *, sort_keys=False)\n--\n\n"
    "Compact JSON as ASCII bytes: exactly\n"
    "json.dumps(obj, separators=(',', ':'), sort_keys=sort_keys).encode().\n"
    "Exact dict, list, tuple, str, int, float, bool and None are encoded in "
    "C;\n"
    "anything else (subclasses included) goes through json.dumps, which also\n"
    "raises its own errors (TypeError, circular references, RecursionError).");

static PyObject *
json_encode(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const names[] = {"obj", "sort_keys"};
    static const sesstok_params params = {"json_encode", names, 2, 1, 1};
    PyObject *argv[2];
    sesstok_state *st = sesstok_get_state(module);
    if (sesstok_args_parse(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    int sort_keys = argv[1] ? PyObject_IsTrue(argv[1]) : 0;
    if (sort_keys < 0) {
        return NULL;
    }
    sesstok_buf buf;
    sesstok_buf_init(&buf);
    PyObject *result = NULL;
    int rc = sesstok_json_encode(&buf, argv[0], sort_keys);
    if (rc == 0) {
        result = PyBytes_FromStringAndSize((const char *)buf.data,
                                           (Py_ssize_t)buf.len);
    }
    else if (rc > 0) {
        /* json.dumps(obj, separators=(",", ":"), sort_keys=sort_keys).encode("ascii") */
        PyObject *a = PyTuple_Pack(1, argv[0]);
        PyObject *kw =
            a ? Py_BuildValue("{s:(ss),s:O}", "separators", ",", ":",
                              "sort_keys", sort_keys ? Py_True : Py_False)
              : NULL;
        PyObject *text = kw ? PyObject_Call(st->json_dumps, a, kw) : NULL;
        if (text != NULL) {
            result = PyUnicode_AsASCIIString(text);
        }
        Py_XDECREF(text);
        Py_XDECREF(kw);
        Py_XDECREF(a);
    }
    sesstok_buf_free(&buf);
    return result;
}

PyMethodDef sesstok_json_encode_methods[] = {
    {"json_encode", (PyCFunction)(void (*)(void))json_encode,
     METH_FASTCALL | METH_KEYWORDS, json_encode_doc},
    {NULL, NULL, 0, NULL},
};
