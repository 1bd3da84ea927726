/* json.c - compact JSON encoder and the lax/strict decoders (in progress). */
#include "sesstok.h"

int
sesstok_json_encode(sesstok_buf *buf, PyObject *obj, int sort_keys)
{
    return 1; /* everything goes to Python until the encoder lands */
}

PyObject *
sesstok_json_decode_lax(const char *data, Py_ssize_t n, int max_depth, PyObject *depth_exc,
                        int *fallback)
{
    *fallback = 1;
    return NULL;
}

PyObject *
sesstok_json_decode_strict(const char *data, Py_ssize_t n, int max_depth, PyObject *exc)
{
    PyErr_SetString(exc, "strict JSON decoding is not available yet");
    return NULL;
}

int
sesstok_json_exec(PyObject *m)
{
    return 0;
}
