/* jwt_claims.c - decoding options and the claim checks: the options dicts of
 * PyJWT/PyJWS read into a jwt_opts (once per object, merged with a call's
 * options per call), NumericDates, and one function per registered claim,
 * as PyJWT's api_jwt.py has them (_validate_required_claims, _validate_iat,
 * _nbf, _exp, _iss, _aud, _sub, _jti), called in PyJWT's order by
 * sesstok_jwt_validate_claims. */
#include "jwt.h"

#include <math.h>

/* ---- options ------------------------------------------------------------ */

void
sesstok_jwt_opts_default(jwt_opts *o)
{
    o->verify_signature = o->verify_exp = o->verify_nbf = o->verify_iat = 1;
    o->verify_aud = o->verify_iss = o->verify_sub = o->verify_jti = 1;
    o->strict_aud = 0;
    o->enforce_min = 1;
    o->require = NULL;
    o->max_length = SESSTOK_JWS_DEFAULT_MAX_LENGTH;
    o->max_depth = DEFAULT_JWT_MAX_DEPTH;
}

void
sesstok_jwt_opts_release(jwt_opts *o)
{
    Py_CLEAR(o->require);
}

void
sesstok_jwt_opts_copy(jwt_opts *dst, const jwt_opts *src)
{
    *dst = *src;
    Py_XINCREF(dst->require);
}

/* d[name] if present: *present = 1 and a borrowed value. */
static PyObject *
opt_get(sesstok_state *st, PyObject *d, int name, int *present)
{
    PyObject *v = PyDict_GetItemWithError(d, NAME(st, name));
    *present = v != NULL;
    return v;
}

/* Set *flag from d[name] (truthiness, as PyJWT's `if options[...]`). */
static int
opt_flag(sesstok_state *st, PyObject *d, int name, int *flag, int *present)
{
    PyObject *v = opt_get(st, d, name, present);
    if (v == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    int t = PyObject_IsTrue(v);
    if (t < 0) {
        return -1;
    }
    *flag = t;
    return 0;
}

/* Set *flag from each d[names[i]] present. */
static int
opt_flags(sesstok_state *st, PyObject *d, const int *names, int *const *flags,
          int n)
{
    int present;
    for (int i = 0; i < n; i++) {
        if (opt_flag(st, d, names[i], flags[i], &present) < 0) {
            return -1;
        }
    }
    return 0;
}

/* options["max_token_length"], when given and not None. */
static int
opt_max_length(sesstok_state *st, PyObject *d, jwt_opts *o)
{
    int present;
    PyObject *v = opt_get(st, d, N_MAX_TOKEN_LENGTH, &present);
    if (v == NULL || v == Py_None) {
        return PyErr_Occurred() ? -1 : 0;
    }
    Py_ssize_t n = PyNumber_AsSsize_t(v, PyExc_OverflowError);
    if (n == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (n < 16) {
        PyErr_SetString(PyExc_ValueError,
                        "max_token_length must be at least 16");
        return -1;
    }
    o->max_length = n;
    return 0;
}

/* options["max_json_depth"], when given and not None. */
static int
opt_max_depth(sesstok_state *st, PyObject *d, jwt_opts *o)
{
    int present;
    PyObject *v = opt_get(st, d, N_MAX_JSON_DEPTH, &present);
    if (v == NULL || v == Py_None) {
        return PyErr_Occurred() ? -1 : 0;
    }
    long n = PyLong_AsLong(v);
    if (n == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (n < 1 || n > 10000) {
        PyErr_SetString(PyExc_ValueError,
                        "max_json_depth must be between 1 and 10000");
        return -1;
    }
    o->max_depth = (int)n;
    return 0;
}

/* The sesstok-only options: max_token_length, max_json_depth. */
static int
opt_limits(sesstok_state *st, PyObject *d, jwt_opts *o)
{
    return opt_max_length(st, d, o) < 0 || opt_max_depth(st, d, o) < 0 ? -1
                                                                       : 0;
}

/* o->require = d["require"] if present (a new reference to it). */
static int
opt_require(sesstok_state *st, PyObject *d, jwt_opts *o)
{
    int present;
    PyObject *req = opt_get(st, d, N_REQUIRE, &present);
    if (req == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    Py_XSETREF(o->require, Py_NewRef(req));
    return 0;
}

static int
opts_read_full(sesstok_state *st, PyObject *d, jwt_opts *o)
{
    static const int names[] = {N_VERIFY_SIGNATURE, N_VERIFY_EXP, N_VERIFY_NBF,
                                N_VERIFY_IAT,       N_VERIFY_AUD, N_VERIFY_ISS,
                                N_VERIFY_SUB,       N_VERIFY_JTI, N_STRICT_AUD,
                                N_ENFORCE_MIN};
    int *const flags[] = {&o->verify_signature, &o->verify_exp, &o->verify_nbf,
                          &o->verify_iat,       &o->verify_aud, &o->verify_iss,
                          &o->verify_sub,       &o->verify_jti, &o->strict_aud,
                          &o->enforce_min};
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "options must be a dict");
        return -1;
    }
    /* require first: a strong reference before any Python code runs */
    if (opt_require(st, d, o) < 0 ||
        opt_flags(st, d, names, flags, (int)(sizeof(names) / sizeof(*names))) <
            0) {
        return -1;
    }
    return opt_limits(st, d, o);
}

int
sesstok_jwt_opts_from_full(sesstok_state *st, PyObject *d, jwt_opts *o)
{
    sesstok_jwt_opts_default(o);
    if (opts_read_full(st, d, o) < 0) {
        sesstok_jwt_opts_release(o);
        return -1;
    }
    return 0;
}

/* The merge of PyJWT.decode_complete: verify_signature comes from `options`
 * alone (True when absent: PyJWT ignores the instance's value for the
 * signature), and when it is false the verify_* claims default to false. */
static int
opts_merge_jwt_dict(sesstok_state *st, PyObject *options, jwt_opts *o)
{
    static const int claims[] = {N_VERIFY_EXP, N_VERIFY_NBF, N_VERIFY_IAT,
                                 N_VERIFY_AUD, N_VERIFY_ISS, N_VERIFY_SUB,
                                 N_VERIFY_JTI};
    int *const dest[] = {&o->verify_exp, &o->verify_nbf, &o->verify_iat,
                         &o->verify_aud, &o->verify_iss, &o->verify_sub,
                         &o->verify_jti};
    static const int rest[] = {N_STRICT_AUD, N_ENFORCE_MIN};
    int *const rest_dest[] = {&o->strict_aud, &o->enforce_min};
    int present;
    if (!PyDict_Check(options)) {
        PyErr_SetString(PyExc_TypeError, "options must be a dict");
        return -1;
    }
    if (opt_require(st, options, o) < 0 ||
        opt_flag(st, options, N_VERIFY_SIGNATURE, &o->verify_signature,
                 &present) < 0) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
        if (opt_flag(st, options, claims[i], dest[i], &present) < 0) {
            return -1;
        }
        if (!present && !o->verify_signature) {
            *dest[i] = 0;
        }
    }
    if (opt_flags(st, options, rest, rest_dest, 2) < 0) {
        return -1;
    }
    return opt_limits(st, options, o);
}

int
sesstok_jwt_opts_merge_jwt(sesstok_state *st, const jwt_opts *base,
                           PyObject *options, jwt_opts *o)
{
    sesstok_jwt_opts_copy(o, base);
    o->verify_signature = 1;
    if (options == NULL || options == Py_None) {
        return 0;
    }
    if (opts_merge_jwt_dict(st, options, o) < 0) {
        sesstok_jwt_opts_release(o);
        return -1;
    }
    return 0;
}

int
sesstok_jwt_opts_merge_jws(sesstok_state *st, const jwt_opts *base,
                           PyObject *options, jwt_opts *o)
{
    static const int names[] = {N_VERIFY_SIGNATURE, N_ENFORCE_MIN};
    int *const flags[] = {&o->verify_signature, &o->enforce_min};
    sesstok_jwt_opts_copy(o, base);
    if (options == NULL || options == Py_None) {
        return 0;
    }
    if (!PyDict_Check(options)) {
        PyErr_SetString(PyExc_TypeError, "options must be a dict");
    }
    else if (opt_flags(st, options, names, flags, 2) == 0 &&
             opt_limits(st, options, o) == 0) {
        return 0;
    }
    sesstok_jwt_opts_release(o);
    return -1;
}

/* ---- NumericDates and the clock ----------------------------------------- */

/* NumericDates are accepted in [0, 2**53]: integers and finite floats (bool,
 * str, null, lists and objects are refused), so C never converts an
 * out-of-range value. The value compared is int(v), as in PyJWT. */
#define NUMERIC_DATE_MAX 9007199254740992.0

/* 1: *out set; 0: wrong type or out of range (no exception); -1: error */
static int
numeric_date(PyObject *v, double *out)
{
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow || x < 0 || x > (1LL << 53)) {
            return 0;
        }
        *out = (double)x;
        return 1;
    }
    if (PyFloat_CheckExact(v)) {
        double x = PyFloat_AS_DOUBLE(v);
        if (!isfinite(x) || x < 0 || x > NUMERIC_DATE_MAX) {
            return 0;
        }
        *out = trunc(x);
        return 1;
    }
    return 0;
}

/* The current time, read once per check from time.time() (tests patch it). */
typedef struct {
    double now;
    int have;
} claim_clock;

static int
clock_now(sesstok_state *st, claim_clock *clock, double *now)
{
    if (!clock->have) {
        PyObject *t =
            PyObject_CallMethodNoArgs(st->time_module, NAME(st, N_TIME));
        if (t == NULL) {
            return -1;
        }
        clock->now = PyFloat_AsDouble(t);
        Py_DECREF(t);
        if (clock->now == -1.0 && PyErr_Occurred()) {
            return -1;
        }
        clock->have = 1;
    }
    *now = clock->now;
    return 0;
}

/* payload[name] as a NumericDate, and the current time: 1 with *v and
 * *now set, 0 when absent, -1 on error (`exc`(type_msg) for a value of the
 * wrong type). */
static int
date_claim(sesstok_state *st, PyObject *payload, claim_clock *clock, int name,
           jwt_exc_id exc, const char *type_msg, double *v, double *now)
{
    PyObject *val = PyDict_GetItemWithError(payload, NAME(st, name));
    if (val == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    int rc = numeric_date(val, v);
    if (rc == 0) {
        return sesstok_jwt_fail(st, exc, "%s", type_msg);
    }
    return rc < 0 || clock_now(st, clock, now) < 0 ? -1 : 1;
}

/* leeway: a number or a timedelta (its total_seconds()). */
static int
leeway_seconds(sesstok_state *st, PyObject *leeway, double *out)
{
    if (PyLong_CheckExact(leeway) || PyFloat_CheckExact(leeway)) {
        *out = PyFloat_AsDouble(leeway);
        return 0;
    }
    int is_td = PyObject_IsInstance(leeway, st->timedelta_type);
    if (is_td < 0) {
        return -1;
    }
    if (is_td) {
        PyObject *s =
            PyObject_CallMethodNoArgs(leeway, NAME(st, N_TOTAL_SECONDS));
        if (s == NULL) {
            return -1;
        }
        *out = PyFloat_AsDouble(s);
        Py_DECREF(s);
        return 0;
    }
    if (PyNumber_Check(leeway)) {
        *out = PyFloat_AsDouble(leeway);
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "leeway must be a number or a timedelta, not %.100s",
                 Py_TYPE(leeway)->tp_name);
    return -1;
}

int
sesstok_jwt_leeway_arg(sesstok_state *st, PyObject *leeway, double *out)
{
    *out = 0;
    if (leeway == NULL) {
        return 0;
    }
    if (leeway_seconds(st, leeway, out) < 0 ||
        (*out == -1.0 && PyErr_Occurred())) {
        return -1;
    }
    if (!isfinite(*out)) {
        PyErr_SetString(PyExc_ValueError, "leeway must be finite");
        return -1;
    }
    return 0;
}

/* ---- one check per claim ------------------------------------------------ */

/* mirrors PyJWT._validate_required_claims */
static int
validate_required(sesstok_state *st, PyObject *payload, PyObject *require)
{
    if (require == NULL ||
        ((PyList_Check(require) || PyTuple_Check(require)) &&
         Py_SIZE(require) == 0)) {
        return 0;
    }
    PyObject *it = PyObject_GetIter(require), *claim;
    if (it == NULL) {
        return -1;
    }
    while ((claim = PyIter_Next(it)) != NULL) {
        PyObject *val = PyDict_GetItemWithError(payload, claim);
        if ((val == NULL && !PyErr_Occurred()) || val == Py_None) {
            sesstok_jwt_raise_missing_claim(st, claim);
        }
        Py_DECREF(claim);
        if (PyErr_Occurred()) {
            break;
        }
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

/* mirrors PyJWT._validate_iat */
static int
validate_iat(sesstok_state *st, PyObject *payload, claim_clock *clock,
             double leeway)
{
    double iat, now;
    int rc =
        date_claim(st, payload, clock, N_IAT, EXC_INVALID_IAT,
                   "Issued At claim (iat) must be an integer.", &iat, &now);
    if (rc > 0 && iat > now + leeway) {
        return sesstok_jwt_fail(st, EXC_IMMATURE,
                                "The token is not yet valid (iat)");
    }
    return rc < 0 ? -1 : 0;
}

/* mirrors PyJWT._validate_nbf */
static int
validate_nbf(sesstok_state *st, PyObject *payload, claim_clock *clock,
             double leeway)
{
    double nbf, now;
    int rc =
        date_claim(st, payload, clock, N_NBF, EXC_DECODE,
                   "Not Before claim (nbf) must be an integer.", &nbf, &now);
    if (rc > 0 && nbf > now + leeway) {
        return sesstok_jwt_fail(st, EXC_IMMATURE,
                                "The token is not yet valid (nbf)");
    }
    return rc < 0 ? -1 : 0;
}

/* mirrors PyJWT._validate_exp */
static int
validate_exp(sesstok_state *st, PyObject *payload, claim_clock *clock,
             double leeway)
{
    double exp, now;
    int rc = date_claim(st, payload, clock, N_EXP, EXC_DECODE,
                        "Expiration Time claim (exp) must be an integer.",
                        &exp, &now);
    if (rc > 0 && exp <= now - leeway) {
        return sesstok_jwt_fail(st, EXC_EXPIRED, "Signature has expired");
    }
    return rc < 0 ? -1 : 0;
}

/* mirrors PyJWT._validate_iss */
static int
validate_iss(sesstok_state *st, PyObject *payload, PyObject *issuer)
{
    if (issuer == NULL) {
        return 0;
    }
    PyObject *iss = PyDict_GetItemWithError(payload, NAME(st, N_ISS));
    if (iss == NULL) {
        return PyErr_Occurred()
                   ? -1
                   : sesstok_jwt_raise_missing_claim(st, NAME(st, N_ISS));
    }
    if (!PyUnicode_Check(iss)) {
        return sesstok_jwt_fail(st, EXC_INVALID_ISSUER,
                                "Payload Issuer (iss) must be a string");
    }
    int in;
    if (PyUnicode_Check(issuer)) {
        in = PyObject_RichCompareBool(iss, issuer, Py_EQ);
    }
    else if ((in = PySequence_Contains(issuer, iss)) < 0 &&
             PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        return sesstok_jwt_fail(
            st, EXC_INVALID_ISSUER,
            "Issuer param must be \"str\" or \"Container[str]\"");
    }
    if (in < 0) {
        return -1;
    }
    return in ? 0 : sesstok_jwt_fail(st, EXC_INVALID_ISSUER, "Invalid issuer");
}

/* The strict_aud branch of PyJWT._validate_aud. */
static int
validate_aud_strict(sesstok_state *st, PyObject *claims, PyObject *audience)
{
    if (!PyUnicode_Check(audience)) {
        return sesstok_jwt_fail(st, EXC_INVALID_AUDIENCE,
                                "Invalid audience (strict)");
    }
    if (!PyUnicode_Check(claims)) {
        return sesstok_jwt_fail(st, EXC_INVALID_AUDIENCE,
                                "Invalid claim format in token (strict)");
    }
    int eq = PyObject_RichCompareBool(audience, claims, Py_EQ);
    if (eq < 0) {
        return -1;
    }
    return eq ? 0
              : sesstok_jwt_fail(st, EXC_INVALID_AUDIENCE,
                                 "Audience doesn't match (strict)");
}

/* The "aud" claim as a list of str (a new reference): a str becomes [str];
 * anything else but a list of str raises InvalidAudienceError. */
static PyObject *
aud_claim_list(sesstok_state *st, PyObject *claims)
{
    if (PyUnicode_Check(claims)) {
        PyObject *list = PyList_New(1);
        if (list != NULL) {
            PyList_SET_ITEM(list, 0, Py_NewRef(claims));
        }
        return list;
    }
    if (!PyList_Check(claims)) {
        return sesstok_jwt_raise(st, EXC_INVALID_AUDIENCE,
                                 "Invalid claim format in token");
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(claims); i++) {
        if (!PyUnicode_Check(PyList_GET_ITEM(claims, i))) {
            return sesstok_jwt_raise(st, EXC_INVALID_AUDIENCE,
                                     "Invalid claim format in token");
        }
    }
    return Py_NewRef(claims);
}

/* Whether one of `audience` (a str, or an iterable of them) is in list.
 * 1, 0, or -1 with an exception set. */
static int
aud_any_in(PyObject *list, PyObject *audience)
{
    if (PyUnicode_Check(audience)) {
        return PySequence_Contains(list, audience);
    }
    PyObject *it = PyObject_GetIter(audience), *a;
    if (it == NULL) {
        return -1;
    }
    int found = 0;
    while (!found && (a = PyIter_Next(it)) != NULL) {
        found = PySequence_Contains(list, a);
        Py_DECREF(a);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : found;
}

/* mirrors PyJWT._validate_aud */
static int
validate_aud(sesstok_state *st, PyObject *payload, PyObject *audience,
             int strict)
{
    PyObject *claims = PyDict_GetItemWithError(payload, NAME(st, N_AUD));
    if (claims == NULL && PyErr_Occurred()) {
        return -1;
    }
    int truthy = claims ? PyObject_IsTrue(claims) : 0;
    if (truthy < 0) {
        return -1;
    }
    if (audience == NULL) {
        return truthy ? sesstok_jwt_fail(st, EXC_INVALID_AUDIENCE,
                                         "Invalid audience")
                      : 0;
    }
    if (!truthy) {
        return sesstok_jwt_raise_missing_claim(st, NAME(st, N_AUD));
    }
    if (strict) {
        return validate_aud_strict(st, claims, audience);
    }
    PyObject *list = aud_claim_list(st, claims);
    if (list == NULL) {
        return -1;
    }
    int found = aud_any_in(list, audience);
    Py_DECREF(list);
    if (found <= 0) {
        return found < 0 ? -1
                         : sesstok_jwt_fail(st, EXC_INVALID_AUDIENCE,
                                            "Audience doesn't match");
    }
    return 0;
}

/* mirrors PyJWT._validate_sub; stricter: with `subject` given, a token
 * without "sub" is refused (MissingRequiredClaimError), as for "iss". */
static int
validate_sub(sesstok_state *st, PyObject *payload, PyObject *subject)
{
    PyObject *sub = PyDict_GetItemWithError(payload, NAME(st, N_SUB));
    if (sub == NULL) {
        if (PyErr_Occurred()) {
            return -1;
        }
        return subject != NULL
                   ? sesstok_jwt_raise_missing_claim(st, NAME(st, N_SUB))
                   : 0;
    }
    if (!PyUnicode_Check(sub)) {
        return sesstok_jwt_fail(st, EXC_INVALID_SUBJECT,
                                "Subject must be a string");
    }
    if (subject == NULL) {
        return 0;
    }
    int eq = PyObject_RichCompareBool(sub, subject, Py_EQ);
    if (eq < 0) {
        return -1;
    }
    return eq ? 0
              : sesstok_jwt_fail(st, EXC_INVALID_SUBJECT, "Invalid subject");
}

/* mirrors PyJWT._validate_jti */
static int
validate_jti(sesstok_state *st, PyObject *payload)
{
    PyObject *jti = PyDict_GetItemWithError(payload, NAME(st, N_JTI));
    if (jti == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyUnicode_Check(jti)) {
        return sesstok_jwt_fail(st, EXC_INVALID_JTI,
                                "JWT ID must be a string");
    }
    return 0;
}

int
sesstok_jwt_validate_claims(sesstok_state *st, PyObject *payload,
                            const jwt_opts *o, const claim_args *c)
{
    claim_clock clock = {0, 0};
    if (c->audience != NULL && !PyUnicode_Check(c->audience) &&
        Py_TYPE(c->audience)->tp_iter == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "audience must be a string, iterable or None");
        return -1;
    }
    if (validate_required(st, payload, o->require) < 0 ||
        (o->verify_iat && validate_iat(st, payload, &clock, c->leeway) < 0) ||
        (o->verify_nbf && validate_nbf(st, payload, &clock, c->leeway) < 0) ||
        (o->verify_exp && validate_exp(st, payload, &clock, c->leeway) < 0) ||
        (o->verify_iss && validate_iss(st, payload, c->issuer) < 0) ||
        (o->verify_aud &&
         validate_aud(st, payload, c->audience, o->strict_aud) < 0) ||
        (o->verify_sub && validate_sub(st, payload, c->subject) < 0) ||
        (o->verify_jti && validate_jti(st, payload) < 0)) {
        return -1;
    }
    return 0;
}

/* ---- module function ---------------------------------------------------- */

/* jwt_validate_claims(payload, options, audience=None, issuer=None,
 * subject=None, leeway=0): PyJWT._validate_claims with a complete options
 * dict (the default implementation of sesstok.jwt.PyJWT._validate_claims). */
static PyObject *
jwt_validate_claims(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const int ids[] = {N_PAYLOAD, N_OPTIONS, N_AUDIENCE,
                              N_ISSUER,  N_SUBJECT, N_LEEWAY};
    static const jwt_params params = {"jwt_validate_claims", ids,
                                      JWT_COUNT(ids), 6, 2};
    PyObject *argv[6];
    sesstok_state *st = sesstok_get_state(module);
    jwt_opts o;
    claim_args c;
    if (sesstok_jwt_parse_args(st, &params, args, nargs, kwnames, argv, NULL) <
        0) {
        return NULL;
    }
    if (sesstok_jwt_opts_from_full(st, argv[1], &o) < 0) {
        return NULL;
    }
    for (int i = 2; i < 5; i++) {
        argv[i] = argv[i] == Py_None ? NULL : argv[i];
    }
    c.audience = argv[2];
    c.issuer = argv[3];
    c.subject = argv[4];
    int rc = -1;
    if (!PyDict_Check(argv[0])) {
        PyErr_SetString(PyExc_TypeError, "payload must be a dict");
    }
    else if (sesstok_jwt_leeway_arg(st, argv[5], &c.leeway) == 0) {
        rc = sesstok_jwt_validate_claims(st, argv[0], &o, &c);
    }
    sesstok_jwt_opts_release(&o);
    if (rc < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyMethodDef sesstok_jwt_claims_functions[] = {
    {"jwt_validate_claims", (PyCFunction)(void (*)(void))jwt_validate_claims,
     METH_FASTCALL | METH_KEYWORDS,
     "jwt_validate_claims(payload, options, audience=None, issuer=None, "
     "subject=None, leeway=0)\n--\n\n"
     "PyJWT._validate_claims in C (options: a complete options dict)."},
    {NULL, NULL, 0, NULL},
};
