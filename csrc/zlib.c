/* zlib.c - compression for signed values with compress=True.
 *
 * compress: byte-identical to zlib.compress(data) (level -1, wbits 15) but
 * with one deflate stream reset and reused between calls (deflateInit
 * allocates ~256 KiB, which costs more than compressing a session).
 * decompress: zlib.decompress(data) with a cap on the output size, so a
 * signed zip bomb cannot exhaust memory. */
#include "sesstok.h"

#include <limits.h>

int
sesstok_zlib_compress(sesstok_state *st, const unsigned char *data, size_t n, sesstok_buf *out)
{
    if (n > UINT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "value too large to compress");
        return -1;
    }
    if (!st->deflater_ready) {
        st->deflater.zalloc = Z_NULL;
        st->deflater.zfree = Z_NULL;
        st->deflater.opaque = Z_NULL;
        if (deflateInit(&st->deflater, Z_DEFAULT_COMPRESSION) != Z_OK) {
            PyErr_NoMemory();
            return -1;
        }
        st->deflater_ready = 1;
    }
    else if (deflateReset(&st->deflater) != Z_OK) {
        PyErr_SetString(PyExc_RuntimeError, "zlib deflateReset failed");
        return -1;
    }
    uLong bound = deflateBound(&st->deflater, (uLong)n);
    if (sesstok_buf_reserve(out, (size_t)bound) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    st->deflater.next_in = (Bytef *)data;
    st->deflater.avail_in = (uInt)n;
    st->deflater.next_out = out->data + out->len;
    st->deflater.avail_out = (uInt)bound;
    int rc = deflate(&st->deflater, Z_FINISH);
    if (rc != Z_STREAM_END) {
        /* cannot happen with a deflateBound-sized buffer; start afresh */
        deflateEnd(&st->deflater);
        st->deflater_ready = 0;
        PyErr_Format(PyExc_RuntimeError, "zlib deflate failed (%d)", rc);
        return -1;
    }
    out->len += (size_t)(bound - st->deflater.avail_out);
    return 0;
}

/* Raise exactly what zlib.decompress raises for data. Only called after the
 * capped inflate below failed, so Python's attempt stops at the same point
 * and stays within the cap. Returns whatever zlib.decompress returns. */
static PyObject *
python_decompress(sesstok_state *st, const unsigned char *data, size_t n)
{
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)n);
    if (bytes == NULL) {
        return NULL;
    }
    PyObject *result = PyObject_CallOneArg(st->py_zlib_decompress, bytes);
    Py_DECREF(bytes);
    return result;
}

static PyObject *
raise_too_large(sesstok_state *st)
{
    PyErr_Format(st->PayloadTooLarge ? st->PayloadTooLarge : PyExc_ValueError,
                 "Decompressed payload exceeds the limit of %zd bytes", st->max_decompressed_size);
    return NULL;
}

PyObject *
sesstok_zlib_decompress(sesstok_state *st, const unsigned char *data, size_t n)
{
    if (n > UINT_MAX) {
        return raise_too_large(st);
    }
    size_t cap = (size_t)st->max_decompressed_size;
    z_stream zs = {0};
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)n;
    if (inflateInit(&zs) != Z_OK) {
        return PyErr_NoMemory();
    }
    /* start near a typical ratio, grow geometrically, never past cap + 1 */
    size_t size = n * 4 + 64;
    if (size > cap + 1) {
        size = cap + 1;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (out == NULL) {
        inflateEnd(&zs);
        return NULL;
    }
    int rc;
    for (;;) {
        size_t done = zs.total_out;
        size_t room = size - done;
        zs.next_out = (Bytef *)PyBytes_AS_STRING(out) + done;
        zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            goto zlib_error;
        }
        if (zs.avail_out != 0) {
            /* input exhausted before the end of the stream */
            goto zlib_error;
        }
        if (zs.total_out > cap) {
            inflateEnd(&zs);
            Py_DECREF(out);
            return raise_too_large(st);
        }
        size_t grow = size > cap / 2 ? cap + 1 : size * 2;
        if (grow <= size) {
            grow = size + 1;
        }
        if (_PyBytes_Resize(&out, (Py_ssize_t)grow) < 0) {
            inflateEnd(&zs);
            return NULL;
        }
        size = grow;
    }
    size_t total = zs.total_out;
    inflateEnd(&zs);
    if (total > cap) {
        Py_DECREF(out);
        return raise_too_large(st);
    }
    if (_PyBytes_Resize(&out, (Py_ssize_t)total) < 0) {
        return NULL;
    }
    return out;
zlib_error:
    inflateEnd(&zs);
    Py_DECREF(out);
    return python_decompress(st, data, n);
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
    if (sesstok_zlib_compress(sesstok_get_state(module), view.buf, (size_t)view.len, &buf) == 0) {
        result = PyBytes_FromStringAndSize((const char *)buf.data, (Py_ssize_t)buf.len);
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
    PyObject *result = sesstok_zlib_decompress(sesstok_get_state(module), view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef zlib_methods[] = {
    {"zlib_compress", py_compress, METH_O,
     "zlib_compress(data, /)\n--\n\nzlib.compress(data) with a reused stream."},
    {"zlib_decompress", py_decompress, METH_O,
     "zlib_decompress(data, /)\n--\n\nzlib.decompress(data), refusing output above\n"
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
    st->py_zlib_decompress = PyObject_GetAttrString(zlib, "decompress");
    Py_DECREF(zlib);
    if (st->py_zlib_decompress == NULL) {
        return -1;
    }
    return PyModule_AddFunctions(m, zlib_methods);
}
