/* json_decode.c - the JSON decoders, built on the events of the Python-free
 * driver in json_scan.c: the lax one for signed payloads (json.loads of
 * latin-1 text, same objects and errors) and the strict one for JWTs
 * (RFC 8259, duplicate names refused), and their binding json_decode. */
#include "sesstok.h"
#include "json_scan.h"

#include <math.h>
#include <string.h>

/* One open container while building. */
typedef struct {
    PyObject *container; /* list or dict (owned) */
    PyObject *key;  /* dict: the member name waiting for its value (owned) */
    size_t key_pos; /* offset of that name's opening quote */
    int is_dict;
} frame;

#define FRAMES_INLINE    32
#define KEY_CACHE_SIZE   32  /* per-document memo slots, a power of two */
#define KEY_CACHE_MAXLEN 32  /* longer names are not memoized */
#define KEY_CACHE_SLOTS  256 /* slots of the cross-call cache, st->json.keys */

typedef struct {
    const unsigned char *p; /* the key's bytes in the document */
    size_t len;
    PyObject *str; /* owned */
} key_slot;

typedef struct {
    sesstok_json_mode mode;
    PyObject *exc; /* STRICT: the class to raise */
    int max_depth;
    int fallback; /* LAX: json.loads must decide (no exception set) */
    PyObject *result;
    frame *frames;
    size_t depth, cap;
    PyObject *keys;        /* list: member names kept across calls, or NULL */
    PyObject *json_module; /* LAX: the json module (borrowed) */
    PyObject
        *parse_constant; /* LAX: json's default parse_constant, on first use */
    uint32_t key_used;   /* bit i: key_cache[i] holds a key */
    key_slot key_cache[KEY_CACHE_SIZE];
    frame inline_frames[FRAMES_INLINE];
} builder;

static void
builder_init(builder *b, sesstok_state *st, sesstok_json_mode mode,
             int max_depth, PyObject *exc)
{
    b->keys = st != NULL ? st->json.keys : NULL;
    b->json_module = st != NULL ? st->json_module : NULL;
    b->mode = mode;
    b->exc = exc;
    b->max_depth = max_depth;
    b->fallback = 0;
    b->result = NULL;
    b->frames = b->inline_frames;
    b->depth = 0;
    b->cap = FRAMES_INLINE;
    b->parse_constant = NULL;
    b->key_used = 0;
}

static void
builder_clear(builder *b)
{
    while (b->depth > 0) {
        frame *f = &b->frames[--b->depth];
        Py_XDECREF(f->key);
        Py_DECREF(f->container);
    }
    if (b->frames != b->inline_frames) {
        PyMem_Free(b->frames);
        b->frames = b->inline_frames;
    }
    for (int k = 0; k < KEY_CACHE_SIZE; k++) {
        if (b->key_used & (1u << k)) {
            Py_DECREF(b->key_cache[k].str);
        }
    }
    b->key_used = 0;
    Py_CLEAR(b->parse_constant);
}

/* Raise the strict decoder's exception: "Invalid JSON: <what> at offset N". */
static int
strict_error(builder *b, const char *what, size_t pos)
{
    PyErr_Format(b->exc, "Invalid JSON: %s at offset %zu", what, pos);
    return -1;
}

/* Add v (a new reference, stolen) to the open container, or make it the
 * result. Return 0, or -1 (exception set). */
static int
add_value(builder *b, PyObject *v)
{
    if (v == NULL) {
        return -1;
    }
    if (b->depth == 0) {
        b->result = v;
        return 0;
    }
    frame *f = &b->frames[b->depth - 1];
    if (!f->is_dict) {
        int rc = PyList_Append(f->container, v);
        Py_DECREF(v);
        return rc;
    }
    /* json.loads: PyDict_SetItem in document order, so a repeated name keeps
     * its first position and takes the last value */
    Py_ssize_t before = PyDict_GET_SIZE(f->container);
    int rc = PyDict_SetItem(f->container, f->key, v);
    Py_DECREF(v);
    if (rc < 0) {
        return -1;
    }
    if (b->mode == SESSTOK_JSON_STRICT &&
        PyDict_GET_SIZE(f->container) == before) {
        PyErr_Format(b->exc,
                     "Invalid JSON: duplicate member name %.80R at offset %zu",
                     f->key, f->key_pos);
        return -1;
    }
    Py_CLEAR(f->key);
    return 0;
}

static int
push(builder *b, PyObject *container, int is_dict)
{
    if (container == NULL) {
        return -1;
    }
    if (b->depth == b->cap) {
        /* the driver bounds depth by max_depth */
        size_t ncap = b->cap * 2;
        frame *nf;
        if (b->frames == b->inline_frames) {
            nf = PyMem_New(frame, ncap);
            if (nf != NULL) {
                memcpy(nf, b->inline_frames, sizeof(frame) * b->depth);
            }
        }
        else {
            nf = PyMem_Resize(b->frames, frame, ncap);
        }
        if (nf == NULL) {
            Py_DECREF(container);
            PyErr_NoMemory();
            return -1;
        }
        b->frames = nf;
        b->cap = ncap;
    }
    frame *f = &b->frames[b->depth++];
    f->container = container;
    f->key = NULL;
    f->key_pos = 0;
    f->is_dict = is_dict;
    return 0;
}

static int
on_begin_array(void *ctx, size_t pos)
{
    return push(ctx, PyList_New(0), 0);
}

static int
on_begin_object(void *ctx, size_t pos)
{
    return push(ctx, PyDict_New(), 1);
}

static int
on_end(void *ctx, size_t pos)
{
    builder *b = ctx;
    frame *f = &b->frames[--b->depth];
    return add_value(b, f->container); /* ownership moves to the parent */
}

/* A new str for a scanned string. */
static PyObject *
make_str(builder *b, const unsigned char *data, const sesstok_json_string *s)
{
    PyObject *u = PyUnicode_New((Py_ssize_t)s->length, (Py_UCS4)s->maxchar);
    if (u == NULL) {
        return NULL;
    }
    if (s->plain && s->maxchar <= 0xff &&
        (s->maxchar <= 0x7f || b->mode == SESSTOK_JSON_LAX)) {
        memcpy(PyUnicode_1BYTE_DATA(u), data + s->start, s->length);
    }
    else {
        sesstok_json_decode_string(data, b->mode, s, PyUnicode_DATA(u),
                                   PyUnicode_KIND(u));
    }
    return u;
}

static int
on_string(void *ctx, const unsigned char *data, const sesstok_json_string *s)
{
    builder *b = ctx;
    return add_value(b, make_str(b, data, s));
}

static inline unsigned
key_hash(const unsigned char *p, size_t len)
{
    return (unsigned)len * 31u + p[0] * 7u + p[len - 1] + p[len / 2] * 131u;
}

/* Member names repeat: across calls (the same session layout every request),
 * and in nested objects (lists of similar objects). Reuse the str of a short
 * ASCII name seen before, from the cache in module state when there is one
 * (its hash already computed); else, inside nested objects, from a memo of
 * this document, as json's memo does. */
static int
on_key(void *ctx, const unsigned char *data, const sesstok_json_string *s)
{
    builder *b = ctx;
    frame *f = &b->frames[b->depth - 1];
    size_t len = s->end - s->start;
    const unsigned char *p = data + s->start;
    f->key_pos = s->start - 1;
    if (b->keys != NULL && s->plain && s->maxchar <= 0x7f && len > 0 &&
        len <= KEY_CACHE_MAXLEN) {
        Py_ssize_t h = (Py_ssize_t)(key_hash(p, len) %
                                    (unsigned)PyList_GET_SIZE(b->keys));
        PyObject *k = PyList_GET_ITEM(b->keys, h);
        if (PyUnicode_CheckExact(k) &&
            (size_t)PyUnicode_GET_LENGTH(k) == len &&
            memcmp(PyUnicode_1BYTE_DATA(k), p, len) == 0) {
            f->key = Py_NewRef(k);
            return 0;
        }
        k = make_str(b, data, s);
        if (k == NULL) {
            return -1;
        }
        (void)PyObject_Hash(k); /* a str's hash cannot fail; it is kept in k */
        PyObject *old = PyList_GET_ITEM(b->keys, h);
        PyList_SET_ITEM(b->keys, h, Py_NewRef(k));
        Py_DECREF(old); /* a str or None: runs no code */
        f->key = k;
        return 0;
    }
    if (b->depth > 1 && s->plain && len > 0 && len <= KEY_CACHE_MAXLEN) {
        unsigned h = key_hash(p, len) & (KEY_CACHE_SIZE - 1);
        key_slot *slot = &b->key_cache[h];
        if ((b->key_used & (1u << h)) && slot->len == len &&
            memcmp(slot->p, p, len) == 0) {
            f->key = Py_NewRef(slot->str);
            return 0;
        }
        PyObject *k = make_str(b, data, s);
        if (k == NULL) {
            return -1;
        }
        if (b->key_used & (1u << h)) {
            Py_DECREF(slot->str);
        }
        slot->p = p;
        slot->len = len;
        slot->str = Py_NewRef(k);
        b->key_used |= 1u << h;
        f->key = k;
        return 0;
    }
    f->key = make_str(b, data, s);
    return f->key == NULL ? -1 : 0;
}

static int
on_number(void *ctx, const unsigned char *text, size_t len, int is_float,
          size_t pos)
{
    builder *b = ctx;
    if (!is_float && len <= 18) {
        /* at most 18 digits: fits in long long; same value as int(text) */
        size_t i = text[0] == '-';
        long long v = 0;
        for (; i < len; i++) {
            v = v * 10 + (text[i] - '0');
        }
        return add_value(b, PyLong_FromLongLong(text[0] == '-' ? -v : v));
    }
    /* the general case: the converters json.loads uses, on a NUL-terminated
     * copy of the number's text */
    char small[64];
    char *buf = small;
    if (len >= sizeof(small)) {
        buf = PyMem_Malloc(len + 1);
        if (buf == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    PyObject *v = NULL;
    if (is_float) {
        /* float(text): PyFloat_FromString -> PyOS_string_to_double */
        double x = PyOS_string_to_double(buf, NULL, NULL);
        if (x == -1.0 && PyErr_Occurred()) {
            goto done;
        }
        if (b->mode == SESSTOK_JSON_STRICT && !isfinite(x)) {
            strict_error(b, "number out of range of a double", pos);
            goto done;
        }
        v = PyFloat_FromDouble(x);
    }
    else {
        v = PyLong_FromString(buf, NULL, 10);
        if (v == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
            /* sys.get_int_max_str_digits() refused it */
            if (b->mode == SESSTOK_JSON_LAX) {
                PyErr_Clear();
                b->fallback = 1; /* json.loads raises the same ValueError */
            }
            else {
                PyErr_Clear();
                PyErr_Format(
                    b->exc,
                    "Invalid JSON: integer of %zu digits exceeds the "
                    "interpreter's "
                    "limit (sys.get_int_max_str_digits()) at offset %zu",
                    len - (text[0] == '-'), pos);
            }
        }
    }
done:
    if (buf != small) {
        PyMem_Free(buf);
    }
    return add_value(b, v);
}

static int
on_constant(void *ctx, sesstok_json_constant which, size_t pos)
{
    builder *b = ctx;
    switch (which) {
    case SESSTOK_JSON_NULL:
        return add_value(b, Py_NewRef(Py_None));
    case SESSTOK_JSON_TRUE:
        return add_value(b, Py_NewRef(Py_True));
    case SESSTOK_JSON_FALSE:
        return add_value(b, Py_NewRef(Py_False));
    default:
        break;
    }
    /* NaN, Infinity, -Infinity (LAX only): json.loads returns
     * parse_constant(name) of its default decoder, the very float objects of
     * json.decoder._CONSTANTS; ask it, so that identity matches too. */
    const char *name = which == SESSTOK_JSON_NAN   ? "NaN"
                       : which == SESSTOK_JSON_INF ? "Infinity"
                                                   : "-Infinity";
    if (b->parse_constant == NULL && b->json_module != NULL) {
        PyObject *decoder =
            PyObject_GetAttrString(b->json_module, "_default_decoder");
        b->parse_constant =
            decoder ? PyObject_GetAttrString(decoder, "parse_constant") : NULL;
        Py_XDECREF(decoder);
    }
    PyObject *v = b->parse_constant
                      ? PyObject_CallFunction(b->parse_constant, "s", name)
                      : NULL;
    if (v == NULL) {
        PyErr_Clear();
        b->fallback = 1; /* let json.loads itself decide */
        return -1;
    }
    return add_value(b, v);
}

static const sesstok_json_handler build_handler = {
    .begin_array = on_begin_array,
    .end_array = on_end,
    .begin_object = on_begin_object,
    .end_object = on_end,
    .key = on_key,
    .string = on_string,
    .number = on_number,
    .constant = on_constant,
};

/* Run the driver with the builder; return the result or NULL. On NULL, *rc
 * holds the driver's code and *err_pos where it stopped. */
static PyObject *
build(builder *b, const char *data, Py_ssize_t n, int *rc, size_t *err_pos)
{
    *err_pos = 0;
    *rc =
        sesstok_json_parse((const unsigned char *)data, n > 0 ? (size_t)n : 0,
                           b->mode, b->max_depth, &build_handler, b, err_pos);
    PyObject *result = b->result;
    b->result = NULL;
    if (*rc != SESSTOK_JSON_OK) {
        Py_CLEAR(result);
    }
    builder_clear(b);
    return result;
}

PyObject *
sesstok_json_decode_strict(const char *data, Py_ssize_t n, int max_depth,
                           PyObject *exc)
{
    return sesstok_json_decode_strict_st(NULL, data, n, max_depth, exc);
}

PyObject *
sesstok_json_decode_lax_st(sesstok_state *st, const char *data, Py_ssize_t n,
                           int max_depth, PyObject *depth_exc, int *fallback)
{
    builder b;
    int rc;
    size_t err_pos;
    builder_init(&b, st, SESSTOK_JSON_LAX, max_depth, NULL);
    *fallback = 0;
    PyObject *result = build(&b, data, n, &rc, &err_pos);
    if (result != NULL) {
        return result;
    }
    switch (rc) {
    case SESSTOK_JSON_E_TOO_DEEP:
        PyErr_Format(depth_exc, "JSON nesting exceeds the limit of %d levels",
                     max_depth);
        break;
    case SESSTOK_JSON_E_NOMEM:
        PyErr_NoMemory();
        break;
    case SESSTOK_JSON_E_HANDLER:
        /* an exception is set, or the handler asked for json.loads */
        *fallback = b.fallback;
        break;
    default:
        *fallback = 1; /* not JSON: json.loads raises its exact error */
        break;
    }
    return NULL;
}

PyObject *
sesstok_json_decode_strict_st(sesstok_state *st, const char *data,
                              Py_ssize_t n, int max_depth, PyObject *exc)
{
    builder b;
    int rc;
    size_t err_pos;
    builder_init(&b, st, SESSTOK_JSON_STRICT, max_depth, exc);
    PyObject *result = build(&b, data, n, &rc, &err_pos);
    if (result != NULL) {
        return result;
    }
    switch (rc) {
    case SESSTOK_JSON_E_TOO_DEEP:
        PyErr_Format(exc,
                     "Invalid JSON: nesting exceeds the limit of %d levels at "
                     "offset %zu",
                     max_depth, err_pos);
        break;
    case SESSTOK_JSON_E_NOMEM:
        PyErr_NoMemory();
        break;
    case SESSTOK_JSON_E_HANDLER:
        break; /* the handler raised */
    default:
        PyErr_Format(exc, "Invalid JSON: %s at offset %zu",
                     sesstok_json_strerror(rc), err_pos);
        break;
    }
    return NULL;
}

/* ---- binding ------------------------------------------------------------ */

PyDoc_STRVAR(json_decode_doc,
             "json_decode(data, *, strict=False, max_depth=None)\n--\n\n"
             "Decode JSON from bytes-like data (or str).\n\n"
             "Lax (the default) returns exactly "
             "json.loads(bytes(data).decode('latin-1'))\n"
             "(a str must be encodable as latin-1) and raises json's own "
             "errors, except\n"
             "that nesting deeper than max_depth raises ValueError.\n\n"
             "strict=True reads RFC 8259 JSON over UTF-8 (a str is encoded as "
             "UTF-8) and\n"
             "raises ValueError for invalid UTF-8, lone surrogate escapes, "
             "raw control\n"
             "characters, NaN/Infinity, numbers that are not finite doubles, "
             "integers of\n"
             "more than 4300 digits, duplicate member names, trailing data "
             "and nesting\n"
             "deeper than max_depth. max_depth=None means the module limit "
             "(set_limits).");

/* The max_depth argument (NULL or None: the module limit): 0, or -1. */
static int
max_depth_arg(sesstok_state *st, PyObject *arg, int *max_depth)
{
    *max_depth = st->limits.max_json_depth;
    if (arg == NULL || arg == Py_None) {
        return 0;
    }
    long d = PyLong_AsLong(arg);
    if (d == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (d < 1 || d > 100000) {
        PyErr_SetString(PyExc_ValueError,
                        "max_depth must be between 1 and 100000");
        return -1;
    }
    *max_depth = (int)d;
    return 0;
}

/* The bytes json_decode reads from data: a str's UTF-8 (strict) or latin-1
 * (lax), or a buffer's content. *holder or view keeps them alive; release
 * with json_input_release. */
typedef struct {
    const char *p;
    Py_ssize_t n;
    PyObject *holder; /* owned: the latin-1 encoding of a wide str */
    Py_buffer view;   /* view.obj set: a buffer to release */
} json_input;

static int
json_input_of(PyObject *data, int strict, json_input *in)
{
    in->holder = NULL;
    in->view.obj = NULL;
    if (PyUnicode_Check(data)) {
        if (strict) {
            /* lone surrogates: UnicodeEncodeError, a ValueError */
            in->p = PyUnicode_AsUTF8AndSize(data, &in->n);
            return in->p == NULL ? -1 : 0;
        }
        if (PyUnicode_KIND(data) == PyUnicode_1BYTE_KIND) {
            in->p = (const char *)PyUnicode_1BYTE_DATA(data); /* its latin-1 */
            in->n = PyUnicode_GET_LENGTH(data);
            return 0;
        }
        /* above U+00FF: raises UnicodeEncodeError, as .encode("latin-1") */
        if ((in->holder = PyUnicode_AsLatin1String(data)) == NULL) {
            return -1;
        }
        data = in->holder;
    }
    if (PyBytes_CheckExact(data)) {
        in->p = PyBytes_AS_STRING(data); /* immutable, and held */
        in->n = PyBytes_GET_SIZE(data);
        return 0;
    }
    if (!PyObject_CheckBuffer(data)) {
        PyErr_Format(PyExc_TypeError,
                     "json_decode() argument 'data' must be bytes-like or "
                     "str, not %.100s",
                     Py_TYPE(data)->tp_name);
        return -1;
    }
    if (PyObject_GetBuffer(data, &in->view, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    in->p = in->view.buf;
    in->n = in->view.len;
    return 0;
}

static void
json_input_release(json_input *in)
{
    if (in->view.obj != NULL) {
        PyBuffer_Release(&in->view);
    }
    Py_CLEAR(in->holder);
}

/* json.loads(bytes(data).decode("latin-1")), with the limit on depth. */
static PyObject *
decode_lax(sesstok_state *st, const char *p, Py_ssize_t n, int max_depth)
{
    int fallback = 0;
    PyObject *result = sesstok_json_decode_lax_st(st, p, n, max_depth,
                                                  PyExc_ValueError, &fallback);
    if (result == NULL && fallback) {
        /* json.loads raises its own error */
        PyObject *text = PyUnicode_DecodeLatin1(p, n, NULL);
        if (text != NULL) {
            result = PyObject_CallMethod(st->json_module, "loads", "O", text);
            Py_DECREF(text);
        }
    }
    return result;
}

static PyObject *
json_decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const names[] = {"data", "strict", "max_depth"};
    static const sesstok_params params = {"json_decode", names, 3, 1, 1};
    PyObject *argv[3];
    sesstok_state *st = sesstok_get_state(module);
    if (sesstok_args_parse(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    int strict = argv[1] ? PyObject_IsTrue(argv[1]) : 0;
    int max_depth;
    json_input in;
    if (strict < 0 || max_depth_arg(st, argv[2], &max_depth) < 0 ||
        json_input_of(argv[0], strict, &in) < 0) {
        return NULL;
    }
    PyObject *result =
        strict ? sesstok_json_decode_strict_st(st, in.p, in.n, max_depth,
                                               PyExc_ValueError)
               : decode_lax(st, in.p, in.n, max_depth);
    json_input_release(&in);
    return result;
}

static PyMethodDef json_decode_methods[] = {
    {"json_decode", (PyCFunction)(void (*)(void))json_decode,
     METH_FASTCALL | METH_KEYWORDS, json_decode_doc},
    {NULL, NULL, 0, NULL},
};

int
sesstok_json_exec(PyObject *m)
{
    sesstok_state *st = sesstok_get_state(m);
    st->json.keys = PyList_New(KEY_CACHE_SLOTS);
    if (st->json.keys == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < KEY_CACHE_SLOTS; i++) {
        PyList_SET_ITEM(st->json.keys, i, Py_NewRef(Py_None));
    }
    if (PyModule_AddFunctions(m, sesstok_json_encode_methods) < 0) {
        return -1;
    }
    return PyModule_AddFunctions(m, json_decode_methods);
}

int
sesstok_json_traverse(sesstok_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->json.keys);
    return 0;
}

void
sesstok_json_clear(sesstok_state *st)
{
    Py_CLEAR(st->json.keys);
}
