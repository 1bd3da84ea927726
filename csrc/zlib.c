/* zlib.c - compression for signed values with compress=True.
 *
 * compress: byte-identical to zlib.compress(data) (level -1, wbits 15) but
 * with one deflate stream reset and reused between calls (deflateInit
 * allocates ~256 KiB, which costs more than compressing a session).
 * decompress: zlib.decompress(data) with a cap on the output size, so a
 * signed zip bomb cannot exhaust memory. */
#include "sesstok.h"

#include <limits.h>
#include <string.h>

int
sesstok_zlib_compress(sesstok_state *st, const unsigned char *data, size_t n,
                      sesstok_buf *out)
{
    if (n > UINT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "value too large to compress");
        return -1;
    }
    if (!st->zlib.deflater_ready) {
        st->zlib.deflater.zalloc = Z_NULL;
        st->zlib.deflater.zfree = Z_NULL;
        st->zlib.deflater.opaque = Z_NULL;
        if (deflateInit(&st->zlib.deflater, Z_DEFAULT_COMPRESSION) != Z_OK) {
            PyErr_NoMemory();
            return -1;
        }
        st->zlib.deflater_ready = 1;
    }
    else if (deflateReset(&st->zlib.deflater) != Z_OK) {
        PyErr_SetString(PyExc_RuntimeError, "zlib deflateReset failed");
        return -1;
    }
    uLong bound = deflateBound(&st->zlib.deflater, (uLong)n);
    if (sesstok_buf_reserve(out, (size_t)bound) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    st->zlib.deflater.next_in = (Bytef *)data;
    st->zlib.deflater.avail_in = (uInt)n;
    st->zlib.deflater.next_out = out->data + out->len;
    st->zlib.deflater.avail_out = (uInt)bound;
    int rc = deflate(&st->zlib.deflater, Z_FINISH);
    if (rc != Z_STREAM_END) {
        /* cannot happen with a deflateBound-sized buffer; start afresh */
        deflateEnd(&st->zlib.deflater);
        st->zlib.deflater_ready = 0;
        PyErr_Format(PyExc_RuntimeError, "zlib deflate failed (%d)", rc);
        return -1;
    }
    out->len += (size_t)(bound - st->zlib.deflater.avail_out);
    return 0;
}

/* Raise exactly what zlib.decompress raises for data. Only called after the
 * capped inflate below failed, so Python's attempt stops at the same point
 * and stays within the cap. Returns whatever zlib.decompress returns. */
static PyObject *
python_decompress(sesstok_state *st, const unsigned char *data, size_t n)
{
    PyObject *bytes =
        PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)n);
    if (bytes == NULL) {
        return NULL;
    }
    PyObject *result = PyObject_CallOneArg(st->zlib.decompress, bytes);
    Py_DECREF(bytes);
    return result;
}

static PyObject *
raise_too_large(sesstok_state *st)
{
    PyErr_Format(st->limits.too_large,
                 "Decompressed payload exceeds the limit of %zd bytes",
                 st->limits.max_decompressed_size);
    return NULL;
}

int
sesstok_zlib_inflate(sesstok_state *st, const unsigned char *data, size_t n,
                     sesstok_buf *out)
{
    if (n > UINT_MAX) {
        raise_too_large(st);
        return -1;
    }
    size_t cap = (size_t)st->limits.max_decompressed_size;
    if (!st->zlib.inflater_ready) {
        memset(&st->zlib.inflater, 0, sizeof(st->zlib.inflater));
        if (inflateInit(&st->zlib.inflater) != Z_OK) {
            PyErr_NoMemory();
            return -1;
        }
        st->zlib.inflater_ready = 1;
    }
    else if (inflateReset(&st->zlib.inflater) != Z_OK) {
        PyErr_SetString(PyExc_RuntimeError, "zlib inflateReset failed");
        return -1;
    }
    z_stream *zs = &st->zlib.inflater;
    zs->next_in = (Bytef *)data;
    zs->avail_in = (uInt)n;
    size_t start = out->len;
    for (;;) {
        /* grow geometrically, never past cap + 1 bytes of output */
        size_t produced = out->len - start;
        size_t room = out->cap - out->len;
        if (room == 0) {
            size_t want = produced < 256 ? 256 : produced;
            if (want > cap + 1 - produced) {
                want = cap + 1 - produced;
            }
            if (sesstok_buf_reserve(out, want) < 0) {
                PyErr_NoMemory();
                return -1;
            }
            room = out->cap - out->len;
        }
        if (room > cap + 1 - produced) {
            room = cap + 1 - produced;
        }
        zs->next_out = out->data + out->len;
        zs->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt before = zs->avail_out;
        int rc = inflate(zs, Z_NO_FLUSH);
        out->len += before - zs->avail_out;
        if (out->len - start > cap) {
            raise_too_large(st);
            return -1;
        }
        if (rc == Z_STREAM_END) {
            return 0;
        }
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || zs->avail_out != 0) {
            /* corrupt, or input exhausted before the end of the stream:
             * zlib.decompress raises the exact error (its output up to the
             * error is what we produced, within the cap) */
            PyObject *result = python_decompress(st, data, n);
            if (result == NULL) {
                return -1;
            }
            /* cannot happen: zlib.decompress succeeded where inflate failed */
            out->len = start;
            int rc2 = sesstok_buf_append(out, PyBytes_AS_STRING(result),
                                         (size_t)PyBytes_GET_SIZE(result));
            Py_DECREF(result);
            if (rc2 < 0) {
                PyErr_NoMemory();
            }
            return rc2;
        }
    }
}

PyObject *
sesstok_zlib_decompress(sesstok_state *st, const unsigned char *data, size_t n)
{
    sesstok_buf buf;
    sesstok_buf_init(&buf);
    PyObject *result = NULL;
    if (sesstok_zlib_inflate(st, data, n, &buf) == 0) {
        result = PyBytes_FromStringAndSize((const char *)buf.data,
                                           (Py_ssize_t)buf.len);
    }
    sesstok_buf_free(&buf);
    return result;
}

static PyObject *
py_compress(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    sesstok_buf buf;
    sesstok_buf_init(&buf);
    PyObject *result = NULL;
    if (sesstok_zlib_compress(sesstok_get_state(module), view.buf,
                              (size_t)view.len, &buf) == 0) {
        result = PyBytes_FromStringAndSize((const char *)buf.data,
                                           (Py_ssize_t)buf.len);
    }
    sesstok_buf_free(&buf);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *
py_decompress(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *result = sesstok_zlib_decompress(sesstok_get_state(module),
                                               view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef zlib_methods[] = {
    {"zlib_compress", py_compress, METH_O,
     "zlib_compress(data, /)\n--\n\nzlib.compress(data) with a reused "
     "stream."},
    {"zlib_decompress", py_decompress, METH_O,
     "zlib_decompress(data, /)\n--\n\nzlib.decompress(data), refusing output "
     "above\n"
     "max_decompressed_size (see set_limits)."},
    {NULL, NULL, 0, NULL},
};

int
sesstok_zlib_exec(PyObject *m)
{
    sesstok_state *st = sesstok_get_state(m);
    PyObject *zlib = PyImport_ImportModule("zlib");
    if (zlib == NULL) {
        return -1;
    }
    st->zlib.decompress = PyObject_GetAttrString(zlib, "decompress");
    Py_DECREF(zlib);
    if (st->zlib.decompress == NULL) {
        return -1;
    }
    return PyModule_AddFunctions(m, zlib_methods);
}

int
sesstok_zlib_traverse(sesstok_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->zlib.decompress);
    return 0;
}

void
sesstok_zlib_clear(sesstok_state *st)
{
    Py_CLEAR(st->zlib.decompress);
    if (st->zlib.deflater_ready) {
        deflateEnd(&st->zlib.deflater);
        st->zlib.deflater_ready = 0;
    }
    if (st->zlib.inflater_ready) {
        inflateEnd(&st->zlib.inflater);
        st->zlib.inflater_ready = 0;
    }
}
