/* sesstok.h - declarations shared by the files of sesstok._core: module
 * state, object structs and the functions one file offers another.
 *
 * Conventions: functions shared across files are named sesstok_<concern>_<verb>.
 * Unless a comment says otherwise, a function returning a PyObject* returns a
 * new reference, or NULL with an exception set; one returning int returns 0
 * (or a documented positive value) on success and -1 with an exception set. */
#ifndef SESSTOK_H
#define SESSTOK_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <zlib.h>

#include "codec.h"
#include "crypto.h"

/* ---- digests ------------------------------------------------------------ */

/* Algorithms computed in C, by the names hashlib (and so Django) uses. */
typedef enum {
    SESSTOK_MD_SHA1,
    SESSTOK_MD_SHA224,
    SESSTOK_MD_SHA256,
    SESSTOK_MD_SHA384,
    SESSTOK_MD_SHA512,
    SESSTOK_MD_MD5,
    SESSTOK_MD_SHA3_224,
    SESSTOK_MD_SHA3_256,
    SESSTOK_MD_SHA3_384,
    SESSTOK_MD_SHA3_512,
    SESSTOK_MD_BLAKE2B,
    SESSTOK_MD_BLAKE2S,
    SESSTOK_MD_COUNT
} sesstok_md_id;

/* ---- module state ------------------------------------------------------- */

typedef struct {
    /* heap types */
    PyTypeObject *HmacKeyType;
    PyTypeObject *SignerType;
    PyTypeObject *TimestampSignerType;

    /* OpenSSL digests, fetched once in exec, freed in m_clear/m_free */
    EVP_MD *md[SESSTOK_MD_COUNT];
    PyObject *md_name[SESSTOK_MD_COUNT]; /* interned hashlib names */

    /* (secret, salt-or-None, algorithm) -> HmacKey, bounded */
    PyObject *hmac_cache;

    /* Python objects several concerns use, imported once (module.c). time.time
     * is looked up on each call so tests can patch it. */
    PyObject *time_module;
    PyObject *json_module;    /* json */
    PyObject *json_dumps;     /* json.dumps */
    PyObject *datetime_type;  /* datetime.datetime */
    PyObject *timedelta_type; /* datetime.timedelta */

    /* zlib: one deflate stream reused for compress=True (the GIL guards it) */
    z_stream deflater;
    int deflater_ready;
    z_stream inflater; /* reset and reused the same way for decompression */
    int inflater_ready;

    /* limits Django lacks (configurable through set_limits) */
    Py_ssize_t max_decompressed_size;
    int max_json_depth;

    /* Django objects, installed by sesstok.signing (see signer.c). NULL until
     * then; the signer types refuse to work without them. */
    PyObject *dj_settings;
    PyObject *dj_BadSignature;
    PyObject *dj_SignatureExpired;
    PyObject *dj_JSONSerializer;
    PyObject *dj_sep_unsafe_match; /* django.core.signing._SEP_UNSAFE.match */
    PyObject *dj_Signer_sign;      /* Django's functions, the general path */
    PyObject *dj_Signer_unsign;
    PyObject *dj_Signer_sign_object;
    PyObject *dj_Signer;           /* django.core.signing.Signer */
    PyObject *dj_TimestampSigner;  /* django.core.signing.TimestampSigner */
    PyObject *dj_base64_hmac;
    PyObject *dj_b64_decode;
    PyObject *dj_b62_encode;
    PyObject *dj_b62_decode;
    PyObject *py_zlib_decompress;  /* zlib.decompress, to raise its exact errors */
    PyObject *json_keys;           /* json.c: list of recent member-name str (or None) */
    PyObject *PayloadTooLarge;     /* sesstok.signing.PayloadTooLarge */

    /* interned attribute names */
    PyObject *str_signature;
    PyObject *str_timestamp;
    PyObject *str_sign;
    PyObject *str_unsign;
    PyObject *str_time;
    PyObject *str_SECRET_KEY;
    PyObject *str_SECRET_KEY_FALLBACKS;
    PyObject *str_total_seconds;
    PyObject *str_signer;
    PyObject *str_key;
    PyObject *str_fallback_keys;
    PyObject *str_sep;
    PyObject *str_salt;
    PyObject *str_algorithm;
    PyObject *str_loads;
    PyObject *str_dumps;
    PyObject *str_colon;
    PyObject *str_encode;
    PyObject *str_sha256;
    PyObject *str_salt_signing;   /* "django.core.signing" (dumps/loads) */
    PyObject *str_salt_signer;    /* "django.core.signing.Signer" */
    PyObject *str_salt_ts;        /* "django.core.signing.TimestampSigner" */
    PyObject *str_signed_obj;
    PyObject *str_serializer;
    PyObject *str_max_age;

    /* JWT (jwt.c) */
    PyTypeObject *JwtKeyType;
    PyTypeObject *JwtApiType;       /* base of sesstok.jwt.PyJWT */
    PyTypeObject *JwsApiType;       /* base of sesstok.jwt.PyJWS */
    PyTypeObject *JwtEncoderType;
    PyTypeObject *JwtDecoderType;
    PyObject *jwt_key_cache;        /* key object -> JwtKey, bounded */
    PyObject *jwt_id_cache;         /* id -> (unhashable key object, JwtKey), bounded */
    PyObject *jwt_header_cache;     /* header segment -> parsed header, bounded */
    PyObject *jwt_names;            /* tuple of interned names (jwt.c N_*) */
    PyObject *jwt_alg_names;        /* tuple of interned algorithm names */
    PyObject *jwt_exc;              /* sesstok.exceptions classes, on first use */
    PyObject *jwt_py;               /* sesstok.jwt, on first use (key loading) */
    PyObject *py_datetime_type;     /* datetime.datetime, on first use */
    PyObject *py_timedelta_type;    /* datetime.timedelta, on first use */
    PyObject *py_json_dumps;        /* json.dumps, on first use */

    /* our signer method descriptors, to detect overrides in subclasses */
    PyObject *m_signature, *m_sign, *m_unsign, *m_ts_sign, *m_ts_unsign, *m_timestamp;
} sesstok_state;

extern PyModuleDef sesstok_module_def;

static inline sesstok_state *
sesstok_get_state(PyObject *module)
{
    return (sesstok_state *)PyModule_GetState(module);
}

/* State of the module that defined `type` (or a base of it). */
static inline sesstok_state *
sesstok_state_from_type(PyTypeObject *type)
{
    PyObject *m = PyType_GetModuleByDef(type, &sesstok_module_def);
    return m ? sesstok_get_state(m) : NULL;
}

/* ---- helpers shared across files ---------------------------------------- */

/* Is str `name` equal to the interned str `interned`? Keyword names are
 * interned by Python's compiler, so the pointer test usually decides. */
static inline int
sesstok_str_eq(PyObject *name, PyObject *interned)
{
    return name == interned || PyUnicode_Compare(name, interned) == 0;
}

/* Set a Python exception from the OpenSSL error queue (and clear the queue).
 * Always returns NULL. */
PyObject *sesstok_raise_openssl_error(PyObject *exc_type, const char *what);

/* Borrow a pointer and length for str (UTF-8) or bytes-like `obj`.
 * Return 0, 1 if obj is neither (no exception set), -1 on error (e.g. a
 * str with lone surrogates: UnicodeEncodeError). For a buffer, *view is
 * filled and must be released with PyBuffer_Release; otherwise view->obj is
 * NULL. */
int sesstok_bytes_view(PyObject *obj, Py_buffer *view, const char **p, Py_ssize_t *n);

/* Parse the arguments of a METH_FASTCALL | METH_KEYWORDS call. names[0:n]
 * are the parameter names in order; the first max_pos may come positionally,
 * the rest only by keyword; the first min_args are required. out[i] gets a
 * borrowed reference, or NULL when parameter i was not given. */
int sesstok_parse_args(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames, const char *const *names, int n, int max_pos,
                       int min_args, PyObject **out);

/* The same, for a function that also takes **kwargs: unknown keyword
 * arguments are collected into *extra (a new tuple of their names, or NULL
 * when there were none) instead of raising. */
int sesstok_parse_args_extra(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames, const char *const *names, int n, int max_pos,
                             int min_args, PyObject **out, PyObject **extra);

/* Look up the digest for a hashlib algorithm name; NULL (no exception) if
 * the name is not one computed in C. */
const EVP_MD *sesstok_md_lookup(sesstok_state *st, PyObject *name);

/* Prepared HMAC key from the bounded cache. salt NULL means a plain HMAC
 * key (JWT); otherwise Django's salted_hmac derivation with key salt
 * salt + suffix (suffix may be NULL; Signer passes "signer", so a hit costs
 * no string building). secret must be str or bytes, salt and suffix str.
 * Returns a new reference to an HmacKey, or NULL with an exception set.
 * Returns NULL *without* an exception when the algorithm is not computed in
 * C (the caller falls back). */
PyObject *sesstok_hmac_key_get(sesstok_state *st, PyObject *secret, PyObject *salt,
                               PyObject *suffix, PyObject *algorithm);

/* The prepared key inside an HmacKey object. */
sesstok_hmac_key *sesstok_hmac_key_of(PyObject *hmac_key_object);

/* ---- exec functions, one per concern (module.c runs them in order) ------ */

int sesstok_codec_exec(PyObject *m);
int sesstok_crypto_exec(PyObject *m);
int sesstok_random_exec(PyObject *m);
int sesstok_json_exec(PyObject *m);
extern PyMethodDef sesstok_json_encode_methods[]; /* added by sesstok_json_exec */
int sesstok_zlib_exec(PyObject *m);
int sesstok_signer_exec(PyObject *m);
int sesstok_jwt_exec(PyObject *m);

/* ---- JSON (json_encode.c, json_decode.c) -------------------------------- */

/* Append compact JSON for obj to buf, byte for byte what
 * json.dumps(obj, separators=(",", ":"), sort_keys=sort_keys) returns
 * (ensure_ascii). Return 0 on success; 1 when obj holds a value the C
 * encoder leaves to Python (no exception set; buf content is then
 * unspecified); -1 with an exception set. */
int sesstok_json_encode(sesstok_buf *buf, PyObject *obj, int sort_keys);

/* Strict RFC 8259 JSON for JWTs: UTF-8 input; duplicate member names,
 * NaN/Infinity, numbers outside double range, invalid UTF-8/escapes,
 * trailing data and nesting deeper than max_depth are refused. Return a new
 * reference, or NULL with `exc` raised (message says what was wrong). */
PyObject *sesstok_json_decode_strict(const char *data, Py_ssize_t n, int max_depth,
                                     PyObject *exc);

/* json.loads(data.decode("latin-1")) for signed payloads, reusing st's str
 * objects for short ASCII member names seen in earlier calls (their hashes
 * are cached too), which makes repeated layouts such as sessions faster.
 * Return a new reference; or NULL with *fallback set to 1 and no exception
 * when Python's json.loads must decide (malformed input, so it raises its
 * exact error); or NULL with an exception set (nesting deeper than
 * max_depth raises `depth_exc`; MemoryError). */
PyObject *sesstok_json_decode_lax_st(sesstok_state *st, const char *data, Py_ssize_t n,
                                     int max_depth, PyObject *depth_exc, int *fallback);
/* sesstok_json_decode_strict with st's member-name cache. */
PyObject *sesstok_json_decode_strict_st(sesstok_state *st, const char *data, Py_ssize_t n,
                                        int max_depth, PyObject *exc);

/* ---- zlib (zlib.c) --------------------------------------------------------- */

/* zlib.compress(data) (level -1) with a reused stream; result in out. */
int sesstok_zlib_compress(sesstok_state *st, const unsigned char *data, size_t n,
                          sesstok_buf *out);
/* Inflate data into out, as sesstok_zlib_decompress does. Return 0, or -1
 * with an exception set. */
int sesstok_zlib_inflate(sesstok_state *st, const unsigned char *data, size_t n, sesstok_buf *out);
/* zlib.decompress(data) refusing output above st->max_decompressed_size
 * (raises PayloadTooLarge). zlib errors are raised exactly as zlib.decompress
 * raises them. Return a new bytes object or NULL with an exception set. */
PyObject *sesstok_zlib_decompress(sesstok_state *st, const unsigned char *data, size_t n);

#endif
