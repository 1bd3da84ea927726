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
#include "jwt_state.h"

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

/* The state is one struct per concern, each with its traverse and clear
 * functions in that concern's own file (module.c calls them all), after a
 * few objects that several concerns read. Interned names: each concern keeps
 * an array indexed by an enum and fills it from a table of texts with
 * sesstok_intern_names. */

/* crypto_py.c */
typedef struct {
    PyTypeObject *HmacKeyType;
    /* (secret, salt-or-None, suffix-or-None, algorithm) -> HmacKey, bounded */
    PyObject *hmac_cache;
} sesstok_crypto_state;

/* json_decode.c */
typedef struct {
    PyObject *keys; /* list of recent member-name str (or None) */
} sesstok_json_state;

/* zlib.c: one deflate stream reused for compress=True, one inflate stream
 * for decompression (the GIL guards both) */
typedef struct {
    z_stream deflater;
    int deflater_ready;
    z_stream inflater;
    int inflater_ready;
    PyObject *decompress; /* zlib.decompress, to raise its exact errors */
} sesstok_zlib_state;

/* module.c: the argument parser's interned parameter names, one tuple per
 * sesstok_params (by address) */
#define SESSTOK_ARGS_CACHE 64
typedef struct {
    const void *params[SESSTOK_ARGS_CACHE];
    PyObject *names[SESSTOK_ARGS_CACHE];
} sesstok_args_state;

/* module.c: limits Django lacks (configurable through set_limits) */
typedef struct {
    Py_ssize_t max_decompressed_size;
    int max_json_depth;
    /* raised when one is exceeded: ValueError, until sesstok.signing
     * installs its PayloadTooLarge (a BadSignature) */
    PyObject *too_large;
} sesstok_limits_state;

/* signer_*.c: interned names */
typedef enum {
    SN_SIGNATURE,
    SN_TIMESTAMP,
    SN_SIGN,
    SN_UNSIGN,
    SN_SECRET_KEY,
    SN_SECRET_KEY_FALLBACKS,
    SN_TOTAL_SECONDS,
    SN_SIGNER, /* "signer", the key-salt suffix */
    SN_KEY,
    SN_FALLBACK_KEYS,
    SN_SEP,
    SN_SALT,
    SN_ALGORITHM,
    SN_LOADS,
    SN_COLON,
    SN_ENCODE,
    SN_SHA256,
    SN_SALT_SIGNING, /* "django.core.signing" (dumps/loads) */
    SN_SALT_SIGNER,  /* "django.core.signing.Signer" */
    SN_SALT_TS,      /* "django.core.signing.TimestampSigner" */
    SN_SIGNED_OBJ,
    SN_SERIALIZER,
    SN_MAX_AGE,
    SN_COUNT
} sesstok_signer_name;

/* Django objects, installed by sesstok.signing (signer_django.c). NULL until
 * then; the signers refuse to work without them. */
typedef struct {
    PyObject *settings;
    PyObject *BadSignature;
    PyObject *SignatureExpired;
    PyObject *JSONSerializer;
    PyObject *sep_unsafe_match; /* django.core.signing._SEP_UNSAFE.match */
    PyObject *Signer;           /* django.core.signing.Signer */
    PyObject *TimestampSigner;  /* django.core.signing.TimestampSigner */
    /* Django's own functions, the general path */
    PyObject *Signer_sign;
    PyObject *Signer_unsign;
    PyObject *Signer_sign_object;
    PyObject *base64_hmac;
    PyObject *b64_decode;
    PyObject *b62_encode;
    PyObject *b62_decode;
} sesstok_django_objects;

/* signer_*.c (signer_types.c owns traverse and clear) */
typedef struct {
    PyTypeObject *SignerType;
    PyTypeObject *TimestampSignerType;
    /* our method descriptors, to detect overrides in subclasses */
    PyObject *m_signature, *m_sign, *m_unsign;
    PyObject *m_ts_sign, *m_ts_unsign, *m_timestamp;
    PyObject *str[SN_COUNT];
    sesstok_django_objects django;
} sesstok_signer_state;

typedef struct {
    /* read by several concerns */
    /* OpenSSL digests by hashlib name: crypto_py.c fetches them in exec and
     * frees them in its clear function */
    EVP_MD *md[SESSTOK_MD_COUNT];
    PyObject *md_name[SESSTOK_MD_COUNT]; /* interned hashlib names */
    /* Python objects, imported once (module.c); time.time is looked up on
     * each call so tests can patch it */
    PyObject *time_module;
    PyObject *str_time;       /* "time" */
    PyObject *json_module;    /* json */
    PyObject *json_dumps;     /* json.dumps */
    PyObject *datetime_type;  /* datetime.datetime */
    PyObject *timedelta_type; /* datetime.timedelta */

    /* one struct per concern */
    sesstok_args_state args;
    sesstok_limits_state limits;
    sesstok_crypto_state crypto;
    sesstok_json_state json;
    sesstok_zlib_state zlib;
    sesstok_signer_state signer;

    /* JWT (jwt_*.c; jwt_state.h) */
    JwtState jwt;
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
int sesstok_bytes_view(PyObject *obj, Py_buffer *view, const char **p,
                       Py_ssize_t *n);

/* The parameters of a METH_FASTCALL | METH_KEYWORDS function: names[0:n]
 * in order; the first max_pos may come positionally, the rest only by
 * keyword; the first min_args are required. Declare it static: the parser
 * keeps its interned names under its address. */
typedef struct {
    const char *fname;
    const char *const *names;
    int n;
    int max_pos;
    int min_args;
} sesstok_params;

/* Parse a call's arguments: out[i] gets a borrowed reference, or NULL when
 * parameter i was not given. extra NULL: an unknown keyword raises
 * TypeError; otherwise unknown keywords are collected into *extra (a new
 * tuple of their names, or NULL when there were none), for a function that
 * takes **kwargs. With st, keyword names are matched by pointer against
 * names interned once per p (module state), then by value. */
int sesstok_args_parse(sesstok_state *st, const sesstok_params *p,
                       PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames, PyObject **out, PyObject **extra);

/* The same without the module state or a static sesstok_params: names are
 * compared as text only (codec_py.c; jwt_common.c, for the keywords its
 * pointer match leaves, and to word the errors). */
int sesstok_parse_args(const char *fname, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames,
                       const char *const *names, int n, int max_pos,
                       int min_args, PyObject **out);
int sesstok_parse_args_extra(const char *fname, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kwnames,
                             const char *const *names, int n, int max_pos,
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
PyObject *sesstok_hmac_key_get(sesstok_state *st, PyObject *secret,
                               PyObject *salt, PyObject *suffix,
                               PyObject *algorithm);

/* The prepared key inside an HmacKey object. */
sesstok_hmac_key *sesstok_hmac_key_of(PyObject *hmac_key_object);

/* Intern texts[0:n] into names[0:n] (a concern's table of names). Return 0,
 * or -1 with an exception set (names filled so far are kept, for clear). */
int sesstok_intern_names(PyObject **names, const char *const *texts, int n);

/* ---- per concern: exec (module.c runs them in order), traverse, clear --- */

int sesstok_codec_exec(PyObject *m);
int sesstok_crypto_exec(PyObject *m);
int sesstok_random_exec(PyObject *m);
int sesstok_json_exec(PyObject *m);
extern PyMethodDef
    sesstok_json_encode_methods[]; /* added by sesstok_json_exec */
int sesstok_zlib_exec(PyObject *m);
int sesstok_signer_exec(PyObject *m);
int sesstok_jwt_exec(PyObject *m);

int sesstok_crypto_traverse(sesstok_state *st, visitproc visit, void *arg);
int sesstok_json_traverse(sesstok_state *st, visitproc visit, void *arg);
int sesstok_zlib_traverse(sesstok_state *st, visitproc visit, void *arg);
int sesstok_signer_traverse(sesstok_state *st, visitproc visit, void *arg);
void sesstok_crypto_clear(sesstok_state *st);
void sesstok_json_clear(sesstok_state *st);
void sesstok_zlib_clear(sesstok_state *st);
void sesstok_signer_clear(sesstok_state *st);

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
PyObject *sesstok_json_decode_strict(const char *data, Py_ssize_t n,
                                     int max_depth, PyObject *exc);

/* json.loads(data.decode("latin-1")) for signed payloads, reusing st's str
 * objects for short ASCII member names seen in earlier calls (their hashes
 * are cached too), which makes repeated layouts such as sessions faster.
 * Return a new reference; or NULL with *fallback set to 1 and no exception
 * when Python's json.loads must decide (malformed input, so it raises its
 * exact error); or NULL with an exception set (nesting deeper than
 * max_depth raises `depth_exc`; MemoryError). */
PyObject *sesstok_json_decode_lax_st(sesstok_state *st, const char *data,
                                     Py_ssize_t n, int max_depth,
                                     PyObject *depth_exc, int *fallback);
/* sesstok_json_decode_strict with st's member-name cache. */
PyObject *sesstok_json_decode_strict_st(sesstok_state *st, const char *data,
                                        Py_ssize_t n, int max_depth,
                                        PyObject *exc);

/* ---- zlib (zlib.c) --------------------------------------------------------- */

/* zlib.compress(data) (level -1) with a reused stream; result in out. */
int sesstok_zlib_compress(sesstok_state *st, const unsigned char *data,
                          size_t n, sesstok_buf *out);
/* Inflate data into out, as sesstok_zlib_decompress does. Return 0, or -1
 * with an exception set. */
int sesstok_zlib_inflate(sesstok_state *st, const unsigned char *data,
                         size_t n, sesstok_buf *out);
/* zlib.decompress(data) refusing output above st->max_decompressed_size
 * (raises PayloadTooLarge). zlib errors are raised exactly as zlib.decompress
 * raises them. Return a new bytes object or NULL with an exception set. */
PyObject *sesstok_zlib_decompress(sesstok_state *st, const unsigned char *data,
                                  size_t n);

#endif
