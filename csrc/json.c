/* json.c - the compact JSON encoder (json.dumps with separators=(",", ":")),
 * the lax decoder for signed payloads (json.loads of latin-1 text) and the
 * strict decoder for JWTs, plus their Python bindings.
 *
 * The encoder mirrors CPython's Modules/_json.c (c_make_encoder, the path
 * json.dumps takes): same output byte for byte for exact dict, list, tuple,
 * str, int, float, bool and None; anything else makes it hand the whole
 * object back to Python. The decoders build objects from the events of the
 * Python-free driver in json_scan.c. */
#include "sesstok.h"
#include "json_scan.h"

#include <math.h>

/* ---- encoder ---------------------------------------------------------------- */

/* Nesting beyond this goes to Python, which raises its RecursionError (or,
 * with a raised recursion limit, encodes it). */
#define ENCODE_MAX_DEPTH 1000
/* Past this depth, reserve extra recursion-limit room so that C succeeds only
 * where json.dumps (a few Python frames deeper) would succeed too. */
#define ENCODE_RESERVE_AT 64
#define ENCODE_RESERVE 16

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
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
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
    int rc = put_bytes(b, (const char *)PyUnicode_1BYTE_DATA(r), (size_t)PyUnicode_GET_LENGTH(r));
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
    PyObject *a = ((const dict_item *)pa)->key, *b = ((const dict_item *)pb)->key;
    if (PyUnicode_KIND(a) == PyUnicode_1BYTE_KIND && PyUnicode_KIND(b) == PyUnicode_1BYTE_KIND) {
        Py_ssize_t la = PyUnicode_GET_LENGTH(a), lb = PyUnicode_GET_LENGTH(b);
        int c = memcmp(PyUnicode_1BYTE_DATA(a), PyUnicode_1BYTE_DATA(b), (size_t)(la < lb ? la : lb));
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
            rc = ENC_PYTHON; /* Python sorts mixed keys (or raises TypeError) */
            goto done;
        }
        items[k].key = key;
        items[k].value = value;
        k++;
    }
    qsort(items, (size_t)k, sizeof(dict_item), compare_items);
    for (Py_ssize_t i = 0; i < k; i++) {
        if ((i > 0 && put_char(e->buf, ',') < 0) || encode_str(e->buf, items[i].key) < 0
            || put_char(e->buf, ':') < 0) {
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

/* ---- decoders ----------------------------------------------------------------- */

/* One open container while building. */
typedef struct {
    PyObject *container; /* list or dict (owned) */
    PyObject *key;       /* dict: the member name waiting for its value (owned) */
    size_t key_pos;      /* offset of that name's opening quote */
    int is_dict;
} frame;

#define FRAMES_INLINE 32
#define KEY_CACHE_SIZE 32   /* per-document memo slots, a power of two */
#define KEY_CACHE_MAXLEN 32 /* longer names are not memoized */
#define KEY_CACHE_SLOTS 256 /* slots of the cross-call cache, st->json_keys */

typedef struct {
    const unsigned char *p; /* the key's bytes in the document */
    size_t len;
    PyObject *str; /* owned */
} key_slot;

typedef struct {
    sesstok_json_mode mode;
    PyObject *exc; /* STRICT: the class to raise */
    int max_depth;
    int fallback;  /* LAX: json.loads must decide (no exception set) */
    PyObject *result;
    frame *frames;
    size_t depth, cap;
    PyObject *keys;           /* list: member names kept across calls, or NULL */
    PyObject *parse_constant; /* LAX: json's default parse_constant, on first use */
    uint32_t key_used;        /* bit i: key_cache[i] holds a key */
    key_slot key_cache[KEY_CACHE_SIZE];
    frame inline_frames[FRAMES_INLINE];
} builder;

static void
builder_init(builder *b, sesstok_state *st, sesstok_json_mode mode, int max_depth, PyObject *exc)
{
    b->keys = st != NULL ? st->json_keys : NULL;
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
    if (b->mode == SESSTOK_JSON_STRICT && PyDict_GET_SIZE(f->container) == before) {
        PyErr_Format(b->exc, "Invalid JSON: duplicate member name %.80R at offset %zu", f->key,
                     f->key_pos);
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
    if (s->plain && s->maxchar <= 0xff && (s->maxchar <= 0x7f || b->mode == SESSTOK_JSON_LAX)) {
        memcpy(PyUnicode_1BYTE_DATA(u), data + s->start, s->length);
    }
    else {
        sesstok_json_decode_string(data, b->mode, s, PyUnicode_DATA(u), PyUnicode_KIND(u));
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
    if (b->keys != NULL && s->plain && s->maxchar <= 0x7f && len > 0 && len <= KEY_CACHE_MAXLEN) {
        Py_ssize_t h = (Py_ssize_t)(key_hash(p, len) % (unsigned)PyList_GET_SIZE(b->keys));
        PyObject *k = PyList_GET_ITEM(b->keys, h);
        if (PyUnicode_CheckExact(k) && (size_t)PyUnicode_GET_LENGTH(k) == len
            && memcmp(PyUnicode_1BYTE_DATA(k), p, len) == 0) {
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
        if ((b->key_used & (1u << h)) && slot->len == len && memcmp(slot->p, p, len) == 0) {
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
on_number(void *ctx, const unsigned char *text, size_t len, int is_float, size_t pos)
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
                PyErr_Format(b->exc,
                             "Invalid JSON: integer of %zu digits exceeds the interpreter's "
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
    const char *name = which == SESSTOK_JSON_NAN ? "NaN"
                       : which == SESSTOK_JSON_INF ? "Infinity" : "-Infinity";
    if (b->parse_constant == NULL) {
        PyObject *json = PyImport_ImportModule("json");
        PyObject *decoder = json ? PyObject_GetAttrString(json, "_default_decoder") : NULL;
        b->parse_constant = decoder ? PyObject_GetAttrString(decoder, "parse_constant") : NULL;
        Py_XDECREF(decoder);
        Py_XDECREF(json);
    }
    PyObject *v = b->parse_constant ? PyObject_CallFunction(b->parse_constant, "s", name) : NULL;
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
    *rc = sesstok_json_parse((const unsigned char *)data, n > 0 ? (size_t)n : 0, b->mode,
                             b->max_depth, &build_handler, b, err_pos);
    PyObject *result = b->result;
    b->result = NULL;
    if (*rc != SESSTOK_JSON_OK) {
        Py_CLEAR(result);
    }
    builder_clear(b);
    return result;
}

PyObject *
sesstok_json_decode_lax(const char *data, Py_ssize_t n, int max_depth, PyObject *depth_exc,
                        int *fallback)
{
    return sesstok_json_decode_lax_st(NULL, data, n, max_depth, depth_exc, fallback);
}

PyObject *
sesstok_json_decode_strict(const char *data, Py_ssize_t n, int max_depth, PyObject *exc)
{
    return sesstok_json_decode_strict_st(NULL, data, n, max_depth, exc);
}

PyObject *
sesstok_json_decode_lax_st(sesstok_state *st, const char *data, Py_ssize_t n, int max_depth,
                           PyObject *depth_exc, int *fallback)
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
        PyErr_Format(depth_exc, "JSON nesting exceeds the limit of %d levels", max_depth);
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
sesstok_json_decode_strict_st(sesstok_state *st, const char *data, Py_ssize_t n, int max_depth,
                              PyObject *exc)
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
        PyErr_Format(exc, "Invalid JSON: nesting exceeds the limit of %d levels at offset %zu",
                     max_depth, err_pos);
        break;
    case SESSTOK_JSON_E_NOMEM:
        PyErr_NoMemory();
        break;
    case SESSTOK_JSON_E_HANDLER:
        break; /* the handler raised */
    default:
        PyErr_Format(exc, "Invalid JSON: %s at offset %zu", sesstok_json_strerror(rc), err_pos);
        break;
    }
    return NULL;
}

/* ---- Python bindings -------------------------------------------------------------- */

/* The json module, imported on first use and kept in module state. Borrowed
 * reference, or NULL with an exception set. */
static PyObject *
json_module(sesstok_state *st)
{
    if (st->py_json == NULL) {
        st->py_json = PyImport_ImportModule("json");
    }
    return st->py_json;
}

PyDoc_STRVAR(json_encode_doc,
"json_encode(obj, *, sort_keys=False)\n--\n\n"
"Compact JSON as ASCII bytes: exactly\n"
"json.dumps(obj, separators=(',', ':'), sort_keys=sort_keys).encode().\n"
"Exact dict, list, tuple, str, int, float, bool and None are encoded in C;\n"
"anything else (subclasses included) goes through json.dumps, which also\n"
"raises its own errors (TypeError, circular references, RecursionError).");

static PyObject *
json_encode(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"obj", "sort_keys"};
    PyObject *argv[2];
    if (sesstok_parse_args("json_encode", args, nargs, kwnames, names, 2, 1, 1, argv) < 0) {
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
        result = PyBytes_FromStringAndSize((const char *)buf.data, (Py_ssize_t)buf.len);
    }
    else if (rc > 0) {
        /* json.dumps(obj, separators=(",", ":"), sort_keys=sort_keys).encode("ascii") */
        PyObject *json = json_module(sesstok_get_state(module));
        PyObject *dumps = json ? PyObject_GetAttrString(json, "dumps") : NULL;
        PyObject *a = dumps ? PyTuple_Pack(1, argv[0]) : NULL;
        PyObject *kw = a ? Py_BuildValue("{s:(ss),s:O}", "separators", ",", ":", "sort_keys",
                                         sort_keys ? Py_True : Py_False)
                         : NULL;
        PyObject *text = kw ? PyObject_Call(dumps, a, kw) : NULL;
        if (text != NULL) {
            result = PyUnicode_AsASCIIString(text);
        }
        Py_XDECREF(text);
        Py_XDECREF(kw);
        Py_XDECREF(a);
        Py_XDECREF(dumps);
    }
    sesstok_buf_free(&buf);
    return result;
}

PyDoc_STRVAR(json_decode_doc,
"json_decode(data, *, strict=False, max_depth=None)\n--\n\n"
"Decode JSON from bytes-like data (or str).\n\n"
"Lax (the default) returns exactly json.loads(bytes(data).decode('latin-1'))\n"
"(a str must be encodable as latin-1) and raises json's own errors, except\n"
"that nesting deeper than max_depth raises ValueError.\n\n"
"strict=True reads RFC 8259 JSON over UTF-8 (a str is encoded as UTF-8) and\n"
"raises ValueError for invalid UTF-8, lone surrogate escapes, raw control\n"
"characters, NaN/Infinity, numbers that are not finite doubles, integers of\n"
"more than 4300 digits, duplicate member names, trailing data and nesting\n"
"deeper than max_depth. max_depth=None means the module limit (set_limits).");

static PyObject *
json_decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"data", "strict", "max_depth"};
    PyObject *argv[3];
    sesstok_state *st = sesstok_get_state(module);
    if (sesstok_parse_args("json_decode", args, nargs, kwnames, names, 3, 1, 1, argv) < 0) {
        return NULL;
    }
    PyObject *data = argv[0];
    int strict = argv[1] ? PyObject_IsTrue(argv[1]) : 0;
    if (strict < 0) {
        return NULL;
    }
    int max_depth = st->max_json_depth;
    if (argv[2] != NULL && argv[2] != Py_None) {
        long d = PyLong_AsLong(argv[2]);
        if (d == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (d < 1 || d > 100000) {
            PyErr_SetString(PyExc_ValueError, "max_depth must be between 1 and 100000");
            return NULL;
        }
        max_depth = (int)d;
    }

    Py_buffer view = {.obj = NULL};
    PyObject *encoded = NULL, *result = NULL;
    const char *p;
    Py_ssize_t n;
    if (PyUnicode_Check(data)) {
        if (strict) {
            p = PyUnicode_AsUTF8AndSize(data, &n); /* UnicodeEncodeError: a ValueError */
            if (p == NULL) {
                return NULL;
            }
        }
        else if (PyUnicode_KIND(data) == PyUnicode_1BYTE_KIND) {
            p = (const char *)PyUnicode_1BYTE_DATA(data); /* its latin-1 encoding */
            n = PyUnicode_GET_LENGTH(data);
        }
        else {
            /* above U+00FF: raises UnicodeEncodeError, as .encode("latin-1") */
            encoded = PyUnicode_AsLatin1String(data);
            if (encoded == NULL) {
                return NULL;
            }
            p = PyBytes_AS_STRING(encoded);
            n = PyBytes_GET_SIZE(encoded);
        }
    }
    else if (PyBytes_CheckExact(data)) {
        p = PyBytes_AS_STRING(data); /* immutable, and the caller holds it */
        n = PyBytes_GET_SIZE(data);
    }
    else {
        if (!PyObject_CheckBuffer(data)) {
            PyErr_Format(PyExc_TypeError,
                         "json_decode() argument 'data' must be bytes-like or str, not %.100s",
                         Py_TYPE(data)->tp_name);
            return NULL;
        }
        if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
            return NULL;
        }
        p = view.buf;
        n = view.len;
    }

    if (strict) {
        result = sesstok_json_decode_strict_st(st, p, n, max_depth, PyExc_ValueError);
    }
    else {
        int fallback = 0;
        result = sesstok_json_decode_lax_st(st, p, n, max_depth, PyExc_ValueError, &fallback);
        if (result == NULL && fallback) {
            /* json.loads(bytes(data).decode("latin-1")) raises its own error */
            PyObject *json = json_module(st);
            PyObject *text = json ? PyUnicode_DecodeLatin1(p, n, NULL) : NULL;
            if (text != NULL) {
                result = PyObject_CallMethod(json, "loads", "O", text);
                Py_DECREF(text);
            }
        }
    }
    if (view.obj != NULL) {
        PyBuffer_Release(&view);
    }
    Py_XDECREF(encoded);
    return result;
}

static PyMethodDef json_methods[] = {
    {"json_encode", (PyCFunction)(void (*)(void))json_encode, METH_FASTCALL | METH_KEYWORDS,
     json_encode_doc},
    {"json_decode", (PyCFunction)(void (*)(void))json_decode, METH_FASTCALL | METH_KEYWORDS,
     json_decode_doc},
    {NULL, NULL, 0, NULL},
};

int
sesstok_json_exec(PyObject *m)
{
    sesstok_state *st = sesstok_get_state(m);
    st->json_keys = PyList_New(KEY_CACHE_SLOTS);
    if (st->json_keys == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < KEY_CACHE_SLOTS; i++) {
        PyList_SET_ITEM(st->json_keys, i, Py_NewRef(Py_None));
    }
    return PyModule_AddFunctions(m, json_methods);
}
