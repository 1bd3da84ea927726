/* jwt.h - private to the files of the JWT concern, the C half of sesstok.jwt:
 *
 *   jwt_common.c    the algorithm table, interned names, exception classes
 *                   and warnings, Python imports; the exec function
 *   jwt_key.c       JwtKey objects: prepared keys, the algorithm and length
 *                   policy, sign and verify, the key cache
 *   jwt_key_type.c  the JwtKey type: constructors, methods, attributes
 *   jwt_claims.c    options, NumericDates, one check per registered claim
 *   jwt_encode.c    PyJWS.encode / PyJWT.encode: payload, header, signing
 *   jwt_decode.c    token load, crit, algorithm selection, verification,
 *                   the decode driver
 *   jwt_api.c       JwtApi / JwsApi, the methods of sesstok.jwt.PyJWT/PyJWS
 *   jwt_prepared.c  JwtEncoder / JwtDecoder, the prepared objects
 *
 * Contract (DESIGN.md, contract 2): encode output is byte-identical to the
 * installed PyJWT's; decode accepts what PyJWT accepts except where sesstok
 * is documented to be stricter (docs/jwt.md), and raises the classes of
 * sesstok.exceptions (PyJWT's names and hierarchy) with PyJWT's messages
 * where PyJWT has one. Functions that mirror a method of PyJWT's
 * jwt/api_jws.py or jwt/api_jwt.py say which.
 *
 * Cold paths live in Python (sesstok/jwt.py): classifying and loading keys of
 * every form PyJWT accepts (once per key, then cached here), JWK parsing,
 * option defaults. Token splitting and ECDSA conversions that need no Python
 * are in jws.c, OpenSSL key handling in pkey.c.
 *
 * Error contract: that of sesstok.h (NULL or -1 means an exception is set,
 * unless a comment says "no exception"). JWT errors are raised with
 * sesstok_jwt_raise as a class of sesstok.exceptions. A PyObject * in a
 * struct here is a strong reference unless its comment says "borrowed". */
#ifndef SESSTOK_JWT_H
#define SESSTOK_JWT_H

#include "sesstok.h"
#include "jws.h"
#include "pkey.h"

/* ---- algorithms (jwt_common.c) ------------------------------------------ */

typedef enum {
    ALG_HS256,
    ALG_HS384,
    ALG_HS512,
    ALG_RS256,
    ALG_RS384,
    ALG_RS512,
    ALG_PS256,
    ALG_PS384,
    ALG_PS512,
    ALG_ES256,
    ALG_ES384,
    ALG_ES512,
    ALG_EDDSA,
    ALG_COUNT
} jwt_alg;

typedef enum { FAM_HMAC, FAM_RSA, FAM_PSS, FAM_EC, FAM_ED } jwt_family;

typedef struct {
    const char *name;
    jwt_family family;
    sesstok_md_id md;
    sesstok_curve curve;
} jwt_alg_info;

extern const jwt_alg_info sesstok_jwt_algs[ALG_COUNT];

#define ALL_ALGS ((1u << ALG_COUNT) - 1)

/* Bytes of the largest JWS signature, the size of a signature buffer: RSA
 * at the modulus limit (raw ECDSA R || S, Ed25519 and HMAC are shorter;
 * pkey.c converts OpenSSL's DER ECDSA signatures in its own buffer). Not
 * the base64url length: that is sesstok_b64url_encoded_len(JWT_SIG_MAX). */
#define JWT_SIG_MAX (SESSTOK_RSA_MAX_BITS / 8)
_Static_assert(JWT_SIG_MAX >= 2 * SESSTOK_ECDSA_MAX_COORD &&
                   JWT_SIG_MAX >= 64 && JWT_SIG_MAX >= SESSTOK_MAX_DIGEST,
               "JWT_SIG_MAX holds every signature");

/* Algorithm id of a name given as UTF-8; -1 if unknown (case-sensitive, as
 * JWS algorithm names are). */
int sesstok_jwt_alg_from_utf8(const char *s, Py_ssize_t n);
/* "none" in any spelling. */
int sesstok_jwt_is_none_utf8(const char *s, Py_ssize_t n);
/* Algorithm id of a str object; -1 if unknown or not a str (no exception). */
int sesstok_jwt_alg_from_obj(sesstok_state *st, PyObject *name);
/* Whether name is the str "none" in any spelling (no exception). */
int sesstok_jwt_obj_is_none_alg(PyObject *name);
/* The algorithm argument of a method as an id; -1 with NotImplementedError
 * for an unsupported one. */
int sesstok_jwt_alg_arg(sesstok_state *st, PyObject *name);
/* Algorithm names (an iterable of str, or None for none) -> a bit mask.
 * "none" in any spelling raises InvalidAlgorithmError; unknown names are
 * skipped (a token using one is "not supported", as in PyJWT). */
int sesstok_jwt_algorithms_mask(sesstok_state *st, PyObject *algorithms,
                                unsigned *mask);
/* Whether algorithms (the caller's list, or NULL/None) lists alg; a failed
 * comparison counts as "no" (no exception). */
int sesstok_jwt_algorithms_lists(PyObject *algorithms, PyObject *alg);
/* The names in mask as a tuple of str. */
PyObject *sesstok_jwt_mask_to_names(unsigned mask);

static inline const EVP_MD *
sesstok_jwt_alg_md(sesstok_state *st, int alg)
{
    return st->md[sesstok_jwt_algs[alg].md];
}

/* ---- interned names (jwt_common.c) -------------------------------------- */

/* Every name the JWT code looks up, sets, calls or takes as a keyword at
 * run time: (id, text), one table, interned once in exec. */
// clang-format off
#define JWT_NAMES(X)                                                          \
    /* header and claim members */                                            \
    X(N_ALG, "alg") X(N_TYP, "typ") X(N_KID, "kid") X(N_CRIT, "crit")         \
    X(N_B64, "b64") X(N_EXP, "exp") X(N_NBF, "nbf") X(N_IAT, "iat")           \
    X(N_ISS, "iss") X(N_AUD, "aud") X(N_SUB, "sub") X(N_JTI, "jti")           \
    X(N_JWT, "JWT")                                                           \
    /* decode_complete's result; the names of decode and decode_complete */   \
    X(N_PAYLOAD, "payload") X(N_HEADER, "header")                             \
    X(N_SIGNATURE, "signature") X(N_DECODE, "decode")                         \
    X(N_DECODE_COMPLETE, "decode_complete")                                   \
    /* options */                                                             \
    X(N_VERIFY_SIGNATURE, "verify_signature") X(N_VERIFY_EXP, "verify_exp")   \
    X(N_VERIFY_NBF, "verify_nbf") X(N_VERIFY_IAT, "verify_iat")               \
    X(N_VERIFY_AUD, "verify_aud") X(N_VERIFY_ISS, "verify_iss")               \
    X(N_VERIFY_SUB, "verify_sub") X(N_VERIFY_JTI, "verify_jti")               \
    X(N_REQUIRE, "require") X(N_STRICT_AUD, "strict_aud")                     \
    X(N_ENFORCE_MIN, "enforce_minimum_key_length")                            \
    X(N_MAX_TOKEN_LENGTH, "max_token_length")                                 \
    X(N_MAX_JSON_DEPTH, "max_json_depth")                                     \
    /* methods and functions called, their keywords */                        \
    X(N_UTCTIMETUPLE, "utctimetuple") X(N_TOTAL_SECONDS, "total_seconds")     \
    X(N_TIME, "time") X(N_COPY, "copy") X(N_FROM_BYTES, "from_bytes")         \
    X(N_BIG, "big") X(N_LOAD_KEY, "_load_key")                                \
    X(N_DECODE_WARNINGS, "_decode_warnings")                                  \
    X(N_HOOKED_ENCODE, "_hooked_encode")                                      \
    X(N_HOOKED_DECODE, "_hooked_decode")                                      \
    X(N_HOOKED_DECODE_COMPLETE, "_hooked_decode_complete")                    \
    X(N_SEPARATORS, "separators") X(N_CLS, "cls")                             \
    X(N_SORT_KEYS, "sort_keys") X(N_COMMA, ",") X(N_COLON, ":")               \
    X(N_EMPTY, "")                                                            \
    /* parameters of the functions and methods here */                        \
    X(N_JWT_ARG, "jwt") X(N_KEY, "key") X(N_ALGORITHMS, "algorithms")         \
    X(N_ALGORITHM, "algorithm") X(N_OPTIONS, "options")                       \
    X(N_VERIFY, "verify") X(N_DETACHED_PAYLOAD, "detached_payload")           \
    X(N_AUDIENCE, "audience") X(N_ISSUER, "issuer") X(N_SUBJECT, "subject")   \
    X(N_LEEWAY, "leeway") X(N_HEADERS, "headers")                             \
    X(N_JSON_ENCODER, "json_encoder") X(N_SORT_HEADERS, "sort_headers")       \
    X(N_IS_PAYLOAD_DETACHED, "is_payload_detached")                           \
    X(N_HEADER_TYP, "header_typ") X(N_HOOKED, "hooked") X(N_OBJ, "obj")       \
    X(N_SECRET, "secret") X(N_DATA, "data") X(N_MSG, "msg")                   \
    X(N_ENFORCE, "enforce") X(N_CRV, "crv") X(N_X, "x") X(N_Y, "y")           \
    X(N_N, "n") X(N_E, "e") X(N_D, "d") X(N_P, "p") X(N_Q, "q")               \
    X(N_DP, "dp") X(N_DQ, "dq") X(N_QI, "qi")
// clang-format on

#define JWT_NAME_ID(id, text) id,
enum { JWT_NAMES(JWT_NAME_ID) N_COUNT };
#undef JWT_NAME_ID

extern const char *const sesstok_jwt_name_strings[N_COUNT];

/* The interned str for name id i (borrowed). */
#define NAME(st, i) PyTuple_GET_ITEM((st)->jwt.names, (i))

/* ---- argument parsing (jwt_common.c) ------------------------------------ */

/* The parameters of a METH_FASTCALL | METH_KEYWORDS function: the N_* ids
 * of their names in order; the first max_pos may come positionally, the
 * first min_args are required. */
typedef struct {
    const char *fname;
    const int *ids;
    int n, max_pos, min_args;
} jwt_params;

#define JWT_MAX_PARAMS   12
#define JWT_COUNT(array) ((int)(sizeof(array) / sizeof((array)[0])))

/* sesstok_parse_args for a jwt_params (out[i]: borrowed, or NULL when not
 * given). Keyword names are matched by pointer against the interned names
 * first (msgspec's find_keyword); anything that does not match that way
 * goes to the string-comparing sesstok_parse_args_extra, which also words
 * the errors. extra NULL: unknown keywords are an error; otherwise *extra
 * gets their names (a new tuple, or NULL when there were none). */
int sesstok_jwt_parse_args(sesstok_state *st, const jwt_params *p,
                           PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames, PyObject **out,
                           PyObject **extra);

/* ---- exceptions and warnings (jwt_common.c) ----------------------------- */

typedef enum {
    EXC_PYJWT,
    EXC_INVALID_TOKEN,
    EXC_DECODE,
    EXC_INVALID_SIGNATURE,
    EXC_EXPIRED,
    EXC_INVALID_AUDIENCE,
    EXC_INVALID_ISSUER,
    EXC_INVALID_IAT,
    EXC_IMMATURE,
    EXC_INVALID_KEY,
    EXC_INVALID_ALG,
    EXC_MISSING_CLAIM,
    EXC_INVALID_SUBJECT,
    EXC_INVALID_JTI,
    EXC_INSECURE_KEY_WARNING,
    EXC_REMOVED_WARNING,
    EXC_COUNT
} jwt_exc_id;

/* The class sesstok.exceptions.<name of id> (borrowed), looked up on first
 * use. NULL with an exception set if the module cannot be imported. */
PyObject *sesstok_jwt_exc(sesstok_state *st, jwt_exc_id id);
/* Raise exception `id` with a formatted message. Always returns NULL. */
PyObject *sesstok_jwt_raise(sesstok_state *st, jwt_exc_id id, const char *fmt,
                            ...);
/* The same, for functions returning int: always returns -1. */
int sesstok_jwt_fail(sesstok_state *st, jwt_exc_id id, const char *fmt, ...);
/* MissingRequiredClaimError(claim). Always returns -1. */
int sesstok_jwt_raise_missing_claim(sesstok_state *st, PyObject *claim);
/* Emit a warning of class `id`; return 0, or -1 if it became an error. */
int sesstok_jwt_warn(sesstok_state *st, jwt_exc_id id, PyObject *message,
                     int stacklevel);
/* PyJWT's warnings about the legacy arguments of decode() and
 * decode_complete(): **kwargs (extra, a tuple of their names, or NULL) and a
 * `verify` (or NULL) that disagrees with options. The texts are in
 * sesstok.jwt._decode_warnings; call this only when there is one of them. */
int sesstok_jwt_decode_warnings(sesstok_state *st, int fname, PyObject *extra,
                                PyObject *verify, PyObject *options);
/* The raised exception as an instance (a new reference), clearing it. */
PyObject *sesstok_jwt_take_exception(void);

/* ---- Python objects used on slow paths (jwt_common.c) ------------------- */

/* sesstok.jwt, imported on first use (borrowed). */
PyObject *sesstok_jwt_py(sesstok_state *st);
/* json.dumps, datetime.datetime and datetime.timedelta are the module's
 * shared objects (st->json_dumps, st->datetime_type, st->timedelta_type),
 * imported once by module.c. */

/* ---- keys (jwt_key.c, jwt_key_type.c) ----------------------------------- */

typedef enum { KEY_HMAC = 1, KEY_ASYM = 2 } key_kind;

typedef struct {
    PyObject_HEAD key_kind kind;
    PyObject *secret;  /* HMAC: the secret as bytes */
    PyObject *hmac[3]; /* HMAC: HmacKey for HS256/384/512, made on first use */
    sesstok_pkey pk;   /* asymmetric */
    int bound_alg; /* -1, or the only algorithm the key is for (JWK "alg") */
    PyObject *kid; /* JWK "kid", or NULL */
} JwtKeyObject;

#define JwtKey_CAST(op) ((JwtKeyObject *)(op))

extern PyType_Spec sesstok_jwt_key_spec;
extern PyMethodDef sesstok_jwt_key_functions[];

/* A new JwtKey of the given kind, with nothing loaded. */
JwtKeyObject *sesstok_jwt_key_alloc(sesstok_state *st, key_kind kind);
/* "RSA", "EC", "Ed25519" */
const char *sesstok_jwt_pkey_kind_name(const sesstok_pkey *pk);
/* Can k be used with alg (type and curve)? 0, or -1 with InvalidKeyError.
 * Mirrors the checks in PyJWT's Algorithm.prepare_key. */
int sesstok_jwt_key_check_alg(sesstok_state *st, JwtKeyObject *k, int alg);
/* The minimum-length policy: PyJWT's check_key_length message, raised as
 * InvalidKeyError when `enforce`, else warned (InsecureKeyLengthWarning). */
int sesstok_jwt_key_check_length(sesstok_state *st, JwtKeyObject *k, int alg,
                                 int enforce);
/* Sign msg with k for alg (key and algorithm already checked) into out
 * (JWT_SIG_MAX bytes). The GIL is released around asymmetric operations. */
int sesstok_jwt_key_sign(sesstok_state *st, JwtKeyObject *k, int alg,
                         const unsigned char *msg, size_t n,
                         unsigned char *out, size_t *outlen);
/* Verify sig over msg with k for alg. 1 valid, 0 invalid, -1 error. The
 * GIL is released around asymmetric operations. */
int sesstok_jwt_key_verify(sesstok_state *st, JwtKeyObject *k, int alg,
                           const unsigned char *msg, size_t n,
                           const unsigned char *sig, size_t siglen);
/* Bit mask of the algorithms k can be used with. */
unsigned sesstok_jwt_key_alg_mask(JwtKeyObject *k);
/* The prepared key for any key object PyJWT accepts (a new reference): a
 * JwtKey is itself; anything else comes from the bounded cache or, on a
 * miss, from sesstok.jwt._load_key(obj, for_hmac). for_hmac only matters for
 * str/bytes: HMAC secrets for HS*, PEM/DER/OpenSSH keys otherwise. */
JwtKeyObject *sesstok_jwt_key_resolve(sesstok_state *st, PyObject *obj,
                                      int for_hmac);

/* ---- options and claims (jwt_claims.c) ---------------------------------- */

typedef struct {
    int verify_signature;
    int verify_exp, verify_nbf, verify_iat, verify_aud, verify_iss;
    int verify_sub, verify_jti;
    int strict_aud;
    int enforce_min; /* enforce_minimum_key_length: sesstok's default is on */
    /* an iterable of claim names, or NULL: a strong reference owned by
     * whoever holds the jwt_opts (released with sesstok_jwt_opts_release).
     * Decoding reads it after Python code has run and with the GIL released
     * in between, so it is never borrowed from a dict someone can change. */
    PyObject *require;
    Py_ssize_t max_length;
    int max_depth;
} jwt_opts;

#define DEFAULT_JWT_MAX_DEPTH 32

extern PyMethodDef sesstok_jwt_claims_functions[];

void sesstok_jwt_opts_default(jwt_opts *o);
/* Release what o owns (its require reference). */
void sesstok_jwt_opts_release(jwt_opts *o);
/* *dst = *src, with dst owning its own reference to require. */
void sesstok_jwt_opts_copy(jwt_opts *dst, const jwt_opts *src);
/* Read a complete options dict (PyJWT's FullOptions, merged with the
 * defaults by sesstok.jwt) into o, which then owns a reference to
 * d["require"]. On error o owns nothing. */
int sesstok_jwt_opts_from_full(sesstok_state *st, PyObject *d, jwt_opts *o);
/* Per-call options of PyJWT.decode_complete over the instance's (base):
 * mirrors PyJWT.decode_complete and PyJWT._merge_options. On success o owns
 * a reference to its require; on error o owns nothing. */
int sesstok_jwt_opts_merge_jwt(sesstok_state *st, const jwt_opts *base,
                               PyObject *options, jwt_opts *o);
/* Per-call options of PyJWS.decode_complete: {**self.options, **options}.
 * Ownership as sesstok_jwt_opts_merge_jwt. */
int sesstok_jwt_opts_merge_jws(sesstok_state *st, const jwt_opts *base,
                               PyObject *options, jwt_opts *o);

typedef struct {
    PyObject *audience, *issuer, *subject; /* borrowed; NULL for None */
    double leeway;
} claim_args;

/* leeway: a number or a timedelta, finite; NULL means 0. */
int sesstok_jwt_leeway_arg(sesstok_state *st, PyObject *leeway, double *out);
/* Mirrors PyJWT._validate_claims, the order of the checks included. */
int sesstok_jwt_validate_claims(sesstok_state *st, PyObject *payload,
                                const jwt_opts *o, const claim_args *c);

/* ---- PyJWT / PyJWS objects (jwt_api.c) ---------------------------------- */

/* base: the instance's options, parsed (owns base.require); registered:
 * the algorithms the instance offers (PyJWS(algorithms=...)) */
typedef struct {
    PyObject_HEAD jwt_opts base;
    unsigned registered;
    PyObject *header_typ; /* PyJWS.header_typ */
    int typ_default;      /* header_typ is "JWT": default headers are cached */
    /* a subclass overrides one of PyJWT's extension points
     * (_encode_payload, _decode_payload, _validate_claims): encode and
     * decode run in Python, as PyJWT's code (sesstok.jwt._hooked_*) */
    int hooked;
    int configured;
    PyObject *hdr_cache[ALG_COUNT][2]; /* base64url default header, by sort */
} ApiObject;

#define Api_CAST(op) ((ApiObject *)(op))

extern PyType_Spec sesstok_jwt_api_spec;
extern PyType_Spec sesstok_jws_api_spec;

/* ---- encode (jwt_encode.c) ---------------------------------------------- */

extern PyMethodDef sesstok_jwt_encode_functions[];

/* Append json.dumps(obj, separators=(",", ":"), cls=json_encoder,
 * sort_keys=sort_keys).encode() to buf: in C when it can be (no
 * json_encoder), through json.dumps otherwise. */
int sesstok_jwt_json_dumps_into(sesstok_state *st, sesstok_buf *buf,
                                PyObject *obj, PyObject *json_encoder,
                                int sort_keys);
/* Append the base64url of data[0:n] to buf. */
int sesstok_jwt_buf_b64(sesstok_buf *buf, const unsigned char *data, size_t n);
/* An ASCII str from p[0:n]. */
PyObject *sesstok_jwt_ascii_str(const unsigned char *p, size_t n);
/* The dict PyJWT.encode serializes (a new reference): payload checked to be
 * a dict, exp/iat/nbf datetimes converted (on a copy), iss checked to be a
 * str. Mirrors the start of PyJWT.encode. */
PyObject *sesstok_jwt_prepare_payload(sesstok_state *st, PyObject *payload);

/* Sign msg with k for alg and append "." and the base64url signature to
 * out (msg may point into out: it is read before out grows). */
int sesstok_jwt_sign_append(sesstok_state *st, JwtKeyObject *k, int alg,
                            const unsigned char *msg, size_t msglen,
                            sesstok_buf *out);

/* The arguments of PyJWS.encode (borrowed; NULL when not given). */
typedef struct {
    const unsigned char *payload;
    size_t payload_len;
    PyObject *key;
    PyObject *algorithm; /* NULL: PyJWT's _ALGORITHM_UNSET */
    PyObject *headers;
    PyObject *json_encoder;
    int detached; /* is_payload_detached */
    int sort;     /* sort_headers */
    int jwt_mode; /* PyJWT.encode: "b64": false is refused */
} jws_encode_args;

/* Mirrors PyJWS.encode; returns the token as a str. */
PyObject *sesstok_jwt_jws_encode(sesstok_state *st, ApiObject *a,
                                 const jws_encode_args *e);

/* ---- decode (jwt_decode.c) ---------------------------------------------- */

typedef struct {
    PyObject *owner; /* keeps the token bytes alive */
    const char *data;
    size_t n;
    sesstok_jws_parts parts;
    PyObject *header;  /* dict */
    int header_shared; /* header is the cache's: copy before handing it out */
    PyObject *alg_obj; /* borrowed from header, or NULL */
    PyObject *kid;     /* borrowed from header, or NULL */
    int b64;           /* 0 when the header has "b64": false */
    unsigned char *payload; /* into scratch */
    size_t payload_len;
    unsigned char *sig; /* into scratch */
    size_t sig_len;
    unsigned char *scratch;
    unsigned char inline_scratch[768];
} jws_token;

/* A Decoder's key table. */
typedef struct {
    JwtKeyObject *key;
    PyObject *kid; /* str or NULL */
    unsigned mask; /* algorithms it verifies: its type's and the Decoder's */
} dec_entry;

typedef struct {
    dec_entry *entries;
    Py_ssize_t n;
} dec_keys;

/* Where the keys come from: one key (PyJWT.decode's `key`), or a table. */
typedef struct {
    JwtKeyObject *key;     /* borrowed; or NULL */
    PyObject *key_obj;     /* borrowed: the caller's key, resolved lazily */
    const dec_keys *table; /* a Decoder's keys, or NULL */
} key_source;

typedef struct {
    unsigned allowed;     /* algorithms allowed for this call */
    unsigned registered;  /* algorithms the instance offers */
    PyObject *algorithms; /* borrowed: the caller's list, for messages */
    int enforce_min;
} alg_policy;

typedef struct {
    int jwt_mode;     /* a JWT: "b64": false refused */
    int check_claims; /* parse the payload as JSON claims and check them */
    int complete;     /* return {"payload", "header", "signature"} */
    jwt_opts opt;     /* owns opt.require */
    key_source ks;
    alg_policy pol;
    claim_args claims;
    PyObject *detached; /* borrowed: detached_payload, or NULL */
} decode_req;

/* Make t empty (before token_load, so token_clear is always safe). */
void sesstok_jwt_token_init(jws_token *t);
void sesstok_jwt_token_clear(jws_token *t);
/* Load and check the token's structure: mirrors PyJWS._load and
 * PyJWS._validate_headers, with sesstok's strictness: a length limit checked
 * first, exactly three segments, canonical base64url only, strict JSON. */
int sesstok_jwt_token_load(sesstok_state *st, PyObject *jwt, const jwt_opts *o,
                           jws_token *t);
/* A header dict to hand out (a new reference): a copy of a cached one. */
PyObject *sesstok_jwt_token_header(jws_token *t);
/* Mirrors PyJWS.decode_complete, and for JWTs PyJWT.decode_complete. */
PyObject *sesstok_jwt_decode_run(sesstok_state *st, PyObject *jwt,
                                 decode_req *r);

/* ---- prepared objects (jwt_prepared.c) ---------------------------------- */

extern PyType_Spec sesstok_jwt_decoder_spec;
extern PyType_Spec sesstok_jwt_encoder_spec;

/* The JWT functions of the module: is_der_certificate and the ECDSA
 * conversions of jws.c, for tests (jwt_common.c). */
extern PyMethodDef sesstok_jwt_common_functions[];

/* METH flags of the methods that take the defining class */
#define METH_CM (METH_METHOD | METH_FASTCALL | METH_KEYWORDS | METH_CLASS)
#define METH_MK (METH_METHOD | METH_FASTCALL | METH_KEYWORDS)

/* The module state of a method's defining class. */
static inline sesstok_state *
sesstok_jwt_state_of(PyTypeObject *defcls)
{
    return (sesstok_state *)PyType_GetModuleState(defcls);
}

#endif
