/* random_py.c - random material from the OS CSPRNG: bytes, hex and
 * base64url tokens, and unbiased random strings.
 *
 * Nothing is buffered in-process: each call asks the kernel, so a forked
 * worker can never repeat its parent's tokens. */
#include "sesstok.h"

#include <errno.h>
#include <stdlib.h>

#define DEFAULT_TOKEN_BYTES 32
#define MAX_RANDOM_BYTES    ((Py_ssize_t)1 << 30)

static int
fill_random(unsigned char *out, size_t n)
{
    if (sesstok_random_bytes(out, n) < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return 0;
}

/* Parse an optional byte count as secrets does (None -> 32). */
static int
nbytes_arg(PyObject *const *args, Py_ssize_t nargs, const char *fname,
           Py_ssize_t *n)
{
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError,
                     "%s() takes at most 1 argument (%zd given)", fname,
                     nargs);
        return -1;
    }
    if (nargs == 0 || args[0] == Py_None) {
        *n = DEFAULT_TOKEN_BYTES;
        return 0;
    }
    *n = PyNumber_AsSsize_t(args[0], PyExc_OverflowError);
    if (*n == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (*n < 0) {
        PyErr_Format(PyExc_ValueError, "%s(): negative argument not allowed",
                     fname);
        return -1;
    }
    if (*n > MAX_RANDOM_BYTES) {
        PyErr_Format(PyExc_ValueError, "%s(): at most %zd bytes at a time",
                     fname, MAX_RANDOM_BYTES);
        return -1;
    }
    return 0;
}

static PyObject *
random_bytes(PyObject *module, PyObject *arg)
{
    Py_ssize_t n = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (n < 0 || n > MAX_RANDOM_BYTES) {
        PyErr_SetString(PyExc_ValueError,
                        "random_bytes(): n must be between 0 and 2**30");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, n);
    if (out != NULL &&
        fill_random((unsigned char *)PyBytes_AS_STRING(out), (size_t)n) < 0) {
        Py_CLEAR(out);
    }
    return out;
}

static PyObject *
token_hex(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t n;
    if (nbytes_arg(args, nargs, "token_hex", &n) < 0) {
        return NULL;
    }
    unsigned char *raw = PyMem_Malloc((size_t)n + 1);
    if (raw == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *out = NULL;
    if (fill_random(raw, (size_t)n) == 0 &&
        (out = PyUnicode_New(2 * n, 127)) != NULL) {
        sesstok_hex_encode(raw, (size_t)n, (char *)PyUnicode_DATA(out));
    }
    PyMem_Free(raw);
    return out;
}

static PyObject *
token_urlsafe(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t n;
    if (nbytes_arg(args, nargs, "token_urlsafe", &n) < 0) {
        return NULL;
    }
    unsigned char *raw = PyMem_Malloc((size_t)n + 1);
    if (raw == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *out = NULL;
    if (fill_random(raw, (size_t)n) == 0 &&
        (out = PyUnicode_New((Py_ssize_t)sesstok_b64url_encoded_len((size_t)n),
                             127)) != NULL) {
        sesstok_b64url_encode(raw, (size_t)n, (char *)PyUnicode_DATA(out));
    }
    PyMem_Free(raw);
    return out;
}

/* A source of uniformly distributed indexes below n, by rejection sampling
 * over OS random bytes fetched in batches (one call per string). */
typedef struct {
    unsigned char *pool;
    size_t size, pos;
} random_pool;

static int
pool_refill(random_pool *p)
{
    p->pos = 0;
    return fill_random(p->pool, p->size);
}

/* Next index in [0, n). Return -1 with an exception on failure. */
static long
pool_index(random_pool *p, uint32_t n)
{
    if (n <= 256) {
        /* one byte per draw; reject the top 256 % n values */
        uint32_t limit = 256 - (256 % n);
        for (;;) {
            if (p->pos == p->size && pool_refill(p) < 0) {
                return -1;
            }
            uint32_t v = p->pool[p->pos++];
            if (v < limit) {
                return (long)(v % n);
            }
        }
    }
    uint64_t limit = ((uint64_t)1 << 32) - (((uint64_t)1 << 32) % n);
    for (;;) {
        if (p->size - p->pos < 4 && pool_refill(p) < 0) {
            return -1;
        }
        uint32_t v = (uint32_t)p->pool[p->pos] |
                     (uint32_t)p->pool[p->pos + 1] << 8 |
                     (uint32_t)p->pool[p->pos + 2] << 16 |
                     (uint32_t)p->pool[p->pos + 3] << 24;
        p->pos += 4;
        if (v < limit) {
            return (long)(v % n);
        }
    }
}

/* allowed_chars as a new reference to a str (Django's default when not
 * given). */
static PyObject *
allowed_chars_arg(PyObject *chars)
{
    static const char default_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    if (chars == NULL) {
        return PyUnicode_FromStringAndSize(default_chars,
                                           sizeof(default_chars) - 1);
    }
    if (!PyUnicode_Check(chars)) {
        PyErr_Format(PyExc_TypeError, "allowed_chars must be str, not %.100s",
                     Py_TYPE(chars)->tp_name);
        return NULL;
    }
    return Py_NewRef(chars);
}

/* Refuse what random.choice refuses, and sizes beyond the limits. */
static int
check_draw(Py_ssize_t length, Py_ssize_t nchars)
{
    if (length > 0 && nchars == 0) {
        PyErr_SetString(PyExc_IndexError,
                        "Cannot choose from an empty sequence");
        return -1;
    }
    if (nchars > (Py_ssize_t)UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "allowed_chars is too long");
        return -1;
    }
    if (length > MAX_RANDOM_BYTES) {
        PyErr_SetString(PyExc_ValueError,
                        "random_string(): length must be at most 2**30");
        return -1;
    }
    return 0;
}

/* Draw length > 0 characters of chars uniformly into out[0:length] (UCS-4),
 * or into the ASCII str ascii_out when chars is ASCII. */
static int
draw_chars(PyObject *chars, Py_ssize_t length, Py_UCS4 *out,
           PyObject *ascii_out)
{
    Py_ssize_t nchars = PyUnicode_GET_LENGTH(chars);
    random_pool pool = {NULL, 0, 0};
    /* enough bytes for the expected number of draws, with margin */
    pool.size = (size_t)length * (nchars <= 256 ? 1 : 4) * 5 / 4 + 16;
    if ((pool.pool = PyMem_Malloc(pool.size)) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int rc = pool_refill(&pool);
    int kind = PyUnicode_KIND(chars);
    const void *src = PyUnicode_DATA(chars);
    for (Py_ssize_t i = 0; rc == 0 && i < length; i++) {
        long idx = pool_index(&pool, (uint32_t)nchars);
        if (idx < 0) {
            rc = -1;
            break;
        }
        Py_UCS4 c = PyUnicode_READ(kind, src, idx);
        if (ascii_out != NULL) {
            ((Py_UCS1 *)PyUnicode_DATA(ascii_out))[i] = (Py_UCS1)c;
        }
        else {
            out[i] = c;
        }
    }
    PyMem_Free(pool.pool);
    return rc;
}

/* length > 0 random characters of chars, as a canonical str. */
static PyObject *
random_text(PyObject *chars, Py_ssize_t length)
{
    if (PyUnicode_IS_ASCII(chars)) {
        PyObject *out = PyUnicode_New(length, 127);
        if (out != NULL && draw_chars(chars, length, NULL, out) < 0) {
            Py_CLEAR(out);
        }
        return out;
    }
    /* drawn into UCS-4, then made canonical (the narrowest kind that holds
     * the characters actually drawn) */
    Py_UCS4 *ucs4 = PyMem_New(Py_UCS4, (size_t)length);
    if (ucs4 == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *out = NULL;
    if (draw_chars(chars, length, ucs4, NULL) == 0) {
        out = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, ucs4, length);
    }
    PyMem_Free(ucs4);
    return out;
}

/* mirrors django.utils.crypto.get_random_string */
static PyObject *
random_string(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const names[] = {"length", "allowed_chars"};
    static const sesstok_params params = {"random_string", names, 2, 2, 1};
    PyObject *argv[2];
    sesstok_state *st = sesstok_get_state(module);
    if (sesstok_args_parse(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    Py_ssize_t length = PyNumber_AsSsize_t(argv[0], PyExc_OverflowError);
    if (length == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (length < 0) {
        length = 0; /* range(negative) is empty: Django returns "" */
    }
    PyObject *chars = allowed_chars_arg(argv[1]);
    if (chars == NULL) {
        return NULL;
    }
    PyObject *out = NULL;
    if (check_draw(length, PyUnicode_GET_LENGTH(chars)) == 0) {
        out = length == 0 ? PyUnicode_New(0, 127) : random_text(chars, length);
    }
    Py_DECREF(chars);
    return out;
}

static PyMethodDef random_methods[] = {
    {"random_bytes", random_bytes, METH_O,
     "random_bytes(n, /)\n--\n\nn bytes from the OS CSPRNG."},
    {"token_hex", (PyCFunction)(void (*)(void))token_hex, METH_FASTCALL,
     "token_hex(nbytes=None, /)\n--\n\nLike secrets.token_hex: 2*nbytes hex "
     "digits (default 32 bytes)."},
    {"token_urlsafe", (PyCFunction)(void (*)(void))token_urlsafe,
     METH_FASTCALL,
     "token_urlsafe(nbytes=None, /)\n--\n\nLike secrets.token_urlsafe: "
     "unpadded base64url of nbytes (default 32)."},
    {"random_string", (PyCFunction)(void (*)(void))random_string,
     METH_FASTCALL | METH_KEYWORDS,
     "random_string(length, allowed_chars=RANDOM_STRING_CHARS)\n--\n\n"
     "An unbiased random string, a drop-in for Django's get_random_string."},
    {NULL, NULL, 0, NULL},
};

int
sesstok_random_exec(PyObject *m)
{
    return PyModule_AddFunctions(m, random_methods);
}
