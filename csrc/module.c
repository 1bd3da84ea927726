/* module.c - sesstok._core: PEP 489 multi-phase init, module state, the
 * shared helpers and the limits. Each concern adds its own functions and
 * types in its own exec function (see sesstok.h). */
#include "sesstok.h"

#include <openssl/err.h>

PyObject *
sesstok_raise_openssl_error(PyObject *exc_type, const char *what)
{
    /* mirrors CPython's _hashopenssl/_ssl practice: report the most recent
     * error and drain the rest of the queue */
    unsigned long code = ERR_peek_last_error();
    char reason[256] = "";
    if (code) {
        ERR_error_string_n(code, reason, sizeof(reason));
    }
    ERR_clear_error();
    if (exc_type == NULL) {
        exc_type = PyExc_ValueError;
    }
    if (reason[0]) {
        PyErr_Format(exc_type, "%s: %s", what, reason);
    }
    else {
        PyErr_Format(exc_type, "%s failed", what);
    }
    return NULL;
}

int
sesstok_bytes_view(PyObject *obj, Py_buffer *view, const char **p,
                   Py_ssize_t *n)
{
    view->obj = NULL;
    if (PyUnicode_Check(obj)) {
        *p = PyUnicode_AsUTF8AndSize(obj, n);
        return *p == NULL ? -1 : 0;
    }
    if (PyBytes_Check(obj)) {
        *p = PyBytes_AS_STRING(obj);
        *n = PyBytes_GET_SIZE(obj);
        return 0;
    }
    if (PyObject_CheckBuffer(obj)) {
        if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) < 0) {
            return -1;
        }
        *p = view->buf;
        *n = view->len;
        return 0;
    }
    return 1;
}

/* ---- argument parsing ------------------------------------------------------ */

/* The interned names of p (a tuple, borrowed), made on first use and kept
 * in module state under p's address (call sites declare p static). NULL
 * when st is NULL or the table is full (the names are then compared as
 * text only), or on error: then *failed is 1 and an exception is set. */
static PyObject *
interned_params(sesstok_state *st, const sesstok_params *p, int *failed)
{
    *failed = 0;
    if (st == NULL) {
        return NULL;
    }
    sesstok_args_state *a = &st->args;
    size_t h = ((uintptr_t)p >> 4) % SESSTOK_ARGS_CACHE;
    for (size_t probe = 0; probe < SESSTOK_ARGS_CACHE; probe++) {
        size_t i = (h + probe) % SESSTOK_ARGS_CACHE;
        if (a->params[i] == p) {
            return a->names[i];
        }
        if (a->params[i] == NULL) {
            PyObject *t = PyTuple_New(p->n);
            for (int k = 0; t != NULL && k < p->n; k++) {
                PyObject *name = PyUnicode_InternFromString(p->names[k]);
                if (name == NULL) {
                    Py_CLEAR(t);
                    break;
                }
                PyTuple_SET_ITEM(t, k, name);
            }
            if (t == NULL) {
                *failed = 1;
                return NULL;
            }
            a->params[i] = p;
            a->names[i] = t;
            return t;
        }
    }
    return NULL;
}

/* Index of the parameter called `name`, or -1. Pointers first: Python's
 * compiler interns keyword names, so this usually decides without comparing
 * text (msgspec's find_keyword); then by value, for names built at run time
 * (f(**{"k": v}) with a str made by concatenation). */
static int
find_param(const sesstok_params *p, PyObject *interned, PyObject *name)
{
    if (interned != NULL) {
        for (int i = 0; i < p->n; i++) {
            if (PyTuple_GET_ITEM(interned, i) == name) {
                return i;
            }
        }
        for (int i = 0; i < p->n; i++) {
            if (PyUnicode_Compare(name, PyTuple_GET_ITEM(interned, i)) == 0) {
                return i;
            }
        }
        return -1;
    }
    for (int i = 0; i < p->n; i++) {
        if (PyUnicode_CompareWithASCIIString(name, p->names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* An unknown keyword: TypeError, or appended to the list *extra (made on
 * first use) when the function takes **kwargs. */
static int
unknown_keyword(const sesstok_params *p, PyObject *name, PyObject **extra)
{
    if (extra == NULL) {
        PyErr_Format(PyExc_TypeError,
                     "%s() got an unexpected keyword argument '%U'", p->fname,
                     name);
        return -1;
    }
    if (*extra == NULL && (*extra = PyList_New(0)) == NULL) {
        return -1;
    }
    return PyList_Append(*extra, name);
}

/* Place the keyword arguments into out. */
static int
bind_keywords(sesstok_state *st, const sesstok_params *p,
              PyObject *const *kwvalues, PyObject *kwnames, PyObject **out,
              PyObject **extra)
{
    int failed;
    PyObject *interned = interned_params(st, p, &failed);
    if (failed) {
        return -1;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kwnames); k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int i = find_param(p, interned, name);
        if (i < 0) {
            if (unknown_keyword(p, name, extra) < 0) {
                return -1;
            }
            continue;
        }
        if (out[i] != NULL) {
            PyErr_Format(PyExc_TypeError,
                         "%s() got multiple values for argument '%s'",
                         p->fname, p->names[i]);
            return -1;
        }
        out[i] = kwvalues[k];
    }
    return 0;
}

int
sesstok_args_parse(sesstok_state *st, const sesstok_params *p,
                   PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                   PyObject **out, PyObject **extra)
{
    if (extra != NULL) {
        *extra = NULL;
    }
    if (nargs > p->max_pos) {
        PyErr_Format(PyExc_TypeError,
                     "%s() takes at most %d positional argument%s (%zd given)",
                     p->fname, p->max_pos, p->max_pos == 1 ? "" : "s", nargs);
        return -1;
    }
    for (int i = 0; i < p->n; i++) {
        out[i] = i < nargs ? args[i] : NULL;
    }
    if (kwnames != NULL &&
        bind_keywords(st, p, args + nargs, kwnames, out, extra) < 0) {
        goto error;
    }
    for (int i = 0; i < p->min_args; i++) {
        if (out[i] == NULL) {
            PyErr_Format(PyExc_TypeError,
                         "%s() missing required argument '%s'", p->fname,
                         p->names[i]);
            goto error;
        }
    }
    if (extra != NULL && *extra != NULL) {
        Py_SETREF(*extra, PyList_AsTuple(*extra));
        if (*extra == NULL) {
            return -1;
        }
    }
    return 0;
error:
    if (extra != NULL) {
        Py_CLEAR(*extra);
    }
    return -1;
}

int
sesstok_parse_args_extra(const char *fname, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames,
                         const char *const *names, int n, int max_pos,
                         int min_args, PyObject **out, PyObject **extra)
{
    sesstok_params p = {fname, names, n, max_pos, min_args};
    return sesstok_args_parse(NULL, &p, args, nargs, kwnames, out, extra);
}

int
sesstok_parse_args(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames, const char *const *names, int n,
                   int max_pos, int min_args, PyObject **out)
{
    sesstok_params p = {fname, names, n, max_pos, min_args};
    return sesstok_args_parse(NULL, &p, args, nargs, kwnames, out, NULL);
}

static int
args_traverse(sesstok_state *st, visitproc visit, void *arg)
{
    for (int i = 0; i < SESSTOK_ARGS_CACHE; i++) {
        Py_VISIT(st->args.names[i]);
    }
    return 0;
}

static void
args_clear(sesstok_state *st)
{
    for (int i = 0; i < SESSTOK_ARGS_CACHE; i++) {
        Py_CLEAR(st->args.names[i]);
        st->args.params[i] = NULL;
    }
}

/* ---- limits -------------------------------------------------------------- */

#define DEFAULT_MAX_DECOMPRESSED (64 * 1024 * 1024)
#define DEFAULT_MAX_JSON_DEPTH   512

PyDoc_STRVAR(
    set_limits_doc,
    "set_limits(*, max_decompressed_size=None, max_json_depth=None)\n--\n\n"
    "Set limits Django does not have; return the previous ones as a dict.\n"
    "max_decompressed_size caps zlib output of signed values (default 64 "
    "MiB);\n"
    "max_json_depth caps JSON nesting of signed values (default 512).");

static PyObject *
limits_dict(sesstok_state *st)
{
    return Py_BuildValue("{s:n,s:i}", "max_decompressed_size",
                         st->limits.max_decompressed_size, "max_json_depth",
                         st->limits.max_json_depth);
}

static PyObject *
set_limits(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"max_decompressed_size", "max_json_depth", NULL};
    PyObject *size = Py_None, *depth = Py_None;
    sesstok_state *st = sesstok_get_state(module);
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$OO:set_limits", kwlist,
                                     &size, &depth)) {
        return NULL;
    }
    Py_ssize_t new_size = st->limits.max_decompressed_size;
    long new_depth = st->limits.max_json_depth;
    if (size != Py_None) {
        new_size = PyNumber_AsSsize_t(size, PyExc_OverflowError);
        if (new_size == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (new_size < 1) {
            PyErr_SetString(PyExc_ValueError,
                            "max_decompressed_size must be positive");
            return NULL;
        }
    }
    if (depth != Py_None) {
        new_depth = PyLong_AsLong(depth);
        if (new_depth == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (new_depth < 1 || new_depth > 100000) {
            PyErr_SetString(PyExc_ValueError,
                            "max_json_depth must be between 1 and 100000");
            return NULL;
        }
    }
    PyObject *old = limits_dict(st);
    if (old == NULL) {
        return NULL;
    }
    st->limits.max_decompressed_size = new_size;
    st->limits.max_json_depth = (int)new_depth;
    return old;
}

static PyObject *
get_limits(PyObject *module, PyObject *unused)
{
    return limits_dict(sesstok_get_state(module));
}

static PyMethodDef module_methods[] = {
    {"set_limits", (PyCFunction)(void (*)(void))set_limits,
     METH_VARARGS | METH_KEYWORDS, set_limits_doc},
    {"get_limits", get_limits, METH_NOARGS,
     "get_limits()\n--\n\nThe current limits as a dict."},
    {NULL, NULL, 0, NULL},
};

/* ---- state ---------------------------------------------------------------- */

int
sesstok_intern_names(PyObject **names, const char *const *texts, int n)
{
    for (int i = 0; i < n; i++) {
        if ((names[i] = PyUnicode_InternFromString(texts[i])) == NULL) {
            return -1;
        }
    }
    return 0;
}

/* The objects module.c itself holds: the shared ones and the limits. */
static int
shared_traverse(sesstok_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->time_module);
    Py_VISIT(st->str_time);
    Py_VISIT(st->json_module);
    Py_VISIT(st->json_dumps);
    Py_VISIT(st->datetime_type);
    Py_VISIT(st->timedelta_type);
    Py_VISIT(st->limits.too_large);
    return 0;
}

static void
shared_clear(sesstok_state *st)
{
    Py_CLEAR(st->time_module);
    Py_CLEAR(st->str_time);
    Py_CLEAR(st->json_module);
    Py_CLEAR(st->json_dumps);
    Py_CLEAR(st->datetime_type);
    Py_CLEAR(st->timedelta_type);
    Py_CLEAR(st->limits.too_large);
}

static int
module_traverse(PyObject *m, visitproc visit, void *arg)
{
    sesstok_state *st = sesstok_get_state(m);
    int rc = shared_traverse(st, visit, arg);
    if (rc == 0) {
        rc = args_traverse(st, visit, arg);
    }
    if (rc == 0) {
        rc = sesstok_crypto_traverse(st, visit, arg);
    }
    if (rc == 0) {
        rc = sesstok_json_traverse(st, visit, arg);
    }
    if (rc == 0) {
        rc = sesstok_zlib_traverse(st, visit, arg);
    }
    if (rc == 0) {
        rc = sesstok_signer_traverse(st, visit, arg);
    }
    if (rc == 0) {
        rc = sesstok_jwt_state_traverse(&st->jwt, visit, arg);
    }
    return rc;
}

static int
module_clear(PyObject *m)
{
    sesstok_state *st = sesstok_get_state(m);
    shared_clear(st);
    args_clear(st);
    sesstok_crypto_clear(st);
    sesstok_json_clear(st);
    sesstok_zlib_clear(st);
    sesstok_signer_clear(st);
    sesstok_jwt_state_clear(&st->jwt);
    return 0;
}

static void
module_free(void *m)
{
    module_clear((PyObject *)m);
}

/* attribute `attr` of module `name` (attr NULL: the module), or NULL with an
 * exception set */
static PyObject *
import_attr(const char *name, const char *attr)
{
    PyObject *mod = PyImport_ImportModule(name);
    if (mod == NULL || attr == NULL) {
        return mod;
    }
    PyObject *v = PyObject_GetAttrString(mod, attr);
    Py_DECREF(mod);
    return v;
}

/* The Python objects several concerns use, imported once. */
static int
import_shared(sesstok_state *st)
{
    static const char *const time_name[] = {"time"};
    if ((st->time_module = import_attr("time", NULL)) == NULL ||
        (st->json_module = import_attr("json", NULL)) == NULL ||
        (st->json_dumps = import_attr("json", "dumps")) == NULL ||
        (st->datetime_type = import_attr("datetime", "datetime")) == NULL ||
        (st->timedelta_type = import_attr("datetime", "timedelta")) == NULL) {
        return -1;
    }
    return sesstok_intern_names(&st->str_time, time_name, 1);
}

static int
exec_state(PyObject *m)
{
    sesstok_state *st = sesstok_get_state(m);
    st->limits.max_decompressed_size = DEFAULT_MAX_DECOMPRESSED;
    st->limits.max_json_depth = DEFAULT_MAX_JSON_DEPTH;
    st->limits.too_large = Py_NewRef(PyExc_ValueError);
    if (import_shared(st) < 0) {
        return -1;
    }
    if (PyModule_AddIntConstant(m, "DEFAULT_MAX_DECOMPRESSED_SIZE",
                                DEFAULT_MAX_DECOMPRESSED) < 0 ||
        PyModule_AddIntConstant(m, "DEFAULT_MAX_JSON_DEPTH",
                                DEFAULT_MAX_JSON_DEPTH) < 0 ||
        PyModule_AddStringConstant(m, "OPENSSL_VERSION",
                                   OpenSSL_version(OPENSSL_VERSION)) < 0 ||
        PyModule_AddStringConstant(m, "ZLIB_VERSION", zlibVersion()) < 0) {
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, exec_state},
    {Py_mod_exec, sesstok_codec_exec},
    {Py_mod_exec, sesstok_crypto_exec},
    {Py_mod_exec, sesstok_random_exec},
    {Py_mod_exec, sesstok_json_exec},
    {Py_mod_exec, sesstok_zlib_exec},
    {Py_mod_exec, sesstok_signer_exec},
    {Py_mod_exec, sesstok_jwt_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#ifdef Py_mod_gil
    /* The GIL guards the shared scratch state: each prepared HMAC key's
     * work context, the reused zlib streams, the JSON member-name cache. On
     * a free-threaded build the interpreter re-enables the GIL for us. */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

PyModuleDef sesstok_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "sesstok._core",
    .m_doc = "sesstok's C core: codecs, prepared HMAC keys, random tokens, "
             "JSON, zlib and Django's signed-value format.",
    .m_size = sizeof(sesstok_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&sesstok_module_def);
}
