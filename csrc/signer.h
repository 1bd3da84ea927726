/* signer.h - private to the files of Django's signed-value format:
 *
 *   signer_view.c    the attribute view of a signer (ours or Django's)
 *   signer_format.c  the signed-value format: signature, sign, unsign,
 *                    timestamps, base64_hmac
 *   signer_object.c  sign_object / unsign_object, dumps / loads
 *   signer_types.c   the Signer and TimestampSigner types, the exec function
 *   signer_django.c  install_django and the functions that run Django's own
 *                    signer objects on the C core (sesstok.accelerate_django)
 *
 * Contract: every result and every exception equals what the installed
 * django.core.signing returns or raises for the same input and clock. The C
 * code takes the fast path for the common types (str values, str/bytes keys,
 * hashlib algorithms OpenSSL has, Django's JSONSerializer) and hands anything
 * else to Django's own functions (installed by sesstok.signing through
 * install_django), so unusual input behaves exactly as in Django. The clock
 * is read at call time through time.time, so tests can patch it.
 *
 * The error contract of sesstok.h holds: NULL or -1 means an exception is
 * set, unless a comment says "no exception" (a fall-back signal). */
#ifndef SESSTOK_SIGNER_H
#define SESSTOK_SIGNER_H

#include "sesstok.h"

/* Longest base64 text of a MAC (SESSTOK_MAX_DIGEST bytes), unpadded. */
#define SIGNED_B64_MAX ((SESSTOK_MAX_DIGEST * 4) / 3 + 4)

typedef struct {
    PyObject_HEAD PyObject *key;
    PyObject *fallback_keys;
    PyObject *sep;
    PyObject *salt;
    PyObject *algorithm;
    PyObject *dict;
    PyObject *weakreflist;
    /* derived from key, salt and algorithm; cleared when one changes */
    PyObject *key_salt; /* salt + "signer" */
    PyObject *prepared; /* HmacKey for (key, key_salt, algorithm) */
} SignerObject;

#define Signer_CAST(op) ((SignerObject *)(op))

/* A signer's attributes, taken from a SignerObject or (for Django's own
 * signer objects under accelerate_django) read with getattr. */
typedef struct {
    PyObject *self;       /* borrowed */
    SignerObject *native; /* self if it is one of ours, else NULL */
    PyObject *key;        /* new references */
    PyObject *sep;
    PyObject *salt;
    PyObject *algorithm;
    int timestamp; /* TimestampSigner semantics */
    /* call the Python-level method instead of the C one (subclass override) */
    int virt_signature, virt_timestamp, virt_sign, virt_unsign;
} signer_view;

/* ---- signer_view.c ------------------------------------------------------ */

/* -1 with RuntimeError when sesstok.signing has not installed Django's
 * objects yet; 0 otherwise. */
int sesstok_view_require_django(sesstok_state *st);
/* settings.<name> (a new reference). */
PyObject *sesstok_view_setting(sesstok_state *st, PyObject *name);
/* AttributeError "'<type>' object has no attribute '<name>'"; NULL. */
PyObject *sesstok_view_missing(PyObject *self, const char *name);
/* Fill v from one of our SignerObjects / from any Django signer object. */
int sesstok_view_native(sesstok_state *st, SignerObject *so, signer_view *v);
int sesstok_view_attrs(sesstok_state *st, PyObject *self, int timestamp,
                       signer_view *v);
/* The state of op's module and a view of op (one of our signers), after
 * checking that Django's objects are installed. */
int sesstok_view_of(PyObject *op, sesstok_state **st, signer_view *v);
void sesstok_view_clear(signer_view *v);
/* Parse a method call's arguments by p into argv for the view v just made;
 * on error, v is cleared and -1 returned. */
int sesstok_view_args(sesstok_state *st, signer_view *v,
                      const sesstok_params *p, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames, PyObject **argv);
/* self.fallback_keys (a new reference). */
PyObject *sesstok_view_fallback_keys(sesstok_state *st, signer_view *v);
/* salt + "signer" (cached on our objects). */
PyObject *sesstok_view_key_salt(sesstok_state *st, signer_view *v);
/* The prepared HmacKey for `key` (the signer's own key when it is v->key),
 * or NULL without an exception when this key/salt/algorithm is not for C. */
PyObject *sesstok_view_prepared(sesstok_state *st, signer_view *v,
                                PyObject *key);

/* ---- signer_format.c ---------------------------------------------------- */

/* Append the UTF-8 of str s to buf; *ascii is cleared when s is not ASCII.
 * Lone surrogates raise UnicodeEncodeError, as force_bytes does. */
int sesstok_signed_append_str(sesstok_buf *buf, PyObject *s, int *ascii);
/* buf's UTF-8 text as a str (ascii: every byte is < 128). */
PyObject *sesstok_signed_buf_to_str(sesstok_buf *buf, int ascii);
/* Append b62_encode(int(time.time())), or self.timestamp() when a subclass
 * overrides it. */
int sesstok_signed_append_timestamp(sesstok_state *st, signer_view *v,
                                    sesstok_buf *buf, int *ascii);
/* Given buf holding the text to sign, append sep and its signature and
 * return the whole as str. */
PyObject *sesstok_signed_finish(sesstok_state *st, signer_view *v,
                                sesstok_buf *buf, int ascii);
/* mirrors Signer.signature(value, key=None) without virtual dispatch */
PyObject *sesstok_signed_signature(sesstok_state *st, signer_view *v,
                                   PyObject *value, PyObject *key);
/* mirrors Signer.sign / TimestampSigner.sign (non-virtual) */
PyObject *sesstok_signed_sign(sesstok_state *st, signer_view *v,
                              PyObject *value);
PyObject *sesstok_signed_ts_sign(sesstok_state *st, signer_view *v,
                                 PyObject *value);
/* self.sign(value), with virtual dispatch */
PyObject *sesstok_signed_sign_call(sesstok_state *st, signer_view *v,
                                   PyObject *value);
/* mirrors Signer.unsign / TimestampSigner.unsign (non-virtual) */
PyObject *sesstok_signed_unsign(sesstok_state *st, signer_view *v,
                                PyObject *signed_value);
PyObject *sesstok_signed_ts_unsign(sesstok_state *st, signer_view *v,
                                   PyObject *signed_value, PyObject *max_age);
/* The unsigned text of signed_value as UTF-8 bytes *text[0:*value_n], by
 * Signer.unsign (timestamp 0) or TimestampSigner.unsign semantics (max_age
 * may be NULL). *holder receives a reference that keeps *text alive. */
int sesstok_signed_unsign_text(sesstok_state *st, signer_view *v,
                               PyObject *signed_value, PyObject *max_age,
                               const char **text, Py_ssize_t *value_n,
                               PyObject **holder);
extern PyMethodDef sesstok_signed_methods[];

/* ---- signer_object.c ---------------------------------------------------- */

/* mirrors Signer.sign_object (serializer, compress may be NULL) */
PyObject *sesstok_object_sign(sesstok_state *st, signer_view *v, PyObject *obj,
                              PyObject *serializer, PyObject *compress);
/* mirrors Signer.unsign_object(signed_obj, serializer=..., **kwargs) for a
 * call's own arguments: args[0:nargs] are signed_obj and serializer, then
 * the keyword arguments named by kwnames. */
PyObject *sesstok_object_unsign_call(sesstok_state *st, signer_view *v,
                                     PyObject *const *args, Py_ssize_t nargs,
                                     PyObject *kwnames);
extern PyMethodDef sesstok_object_methods[];

/* ---- signer_types.c ----------------------------------------------------- */

/* TimestampSigner(key=key, salt=salt, fallback_keys=fallback_keys) without
 * a type call (NULL: not given). */
PyObject *sesstok_signer_new_timestamp(sesstok_state *st, PyObject *key,
                                       PyObject *salt,
                                       PyObject *fallback_keys);

/* ---- signer_django.c ---------------------------------------------------- */

extern PyMethodDef sesstok_django_methods[];

#endif
