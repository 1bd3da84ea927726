/* jwt_state.h - the JWT concern's part of the module state, embedded in
 * sesstok_state as its `jwt` member (sesstok.h includes this file; the
 * JWT code itself includes jwt.h). Its objects are traversed and cleared by
 * sesstok_jwt_state_traverse/clear (jwt_common.c), which module.c calls. */
#ifndef SESSTOK_JWT_STATE_H
#define SESSTOK_JWT_STATE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    /* heap types, made in sesstok_jwt_exec */
    PyTypeObject *KeyType;     /* JwtKey */
    PyTypeObject *ApiType;     /* JwtApi, the base of sesstok.jwt.PyJWT */
    PyTypeObject *JwsApiType;  /* JwsApi, the base of sesstok.jwt.PyJWS */
    PyTypeObject *EncoderType; /* JwtEncoder */
    PyTypeObject *DecoderType; /* JwtDecoder */

    /* bounded caches, emptied when full */
    PyObject *key_cache;    /* key object -> JwtKey */
    PyObject *id_cache;     /* id -> (unhashable key object, JwtKey) */
    PyObject *header_cache; /* header segment -> parsed header */

    /* the one table of interned names: a tuple indexed by the N_* ids of
     * jwt.h, and the algorithm names indexed by ALG_* (JWT_ALGORITHMS) */
    PyObject *names;
    PyObject *alg_names;

    /* looked up on first use */
    PyObject *exc;    /* sesstok.exceptions classes, by EXC_* id */
    PyObject *py_jwt; /* sesstok.jwt (key loading) */
} JwtState;

int sesstok_jwt_state_traverse(JwtState *js, visitproc visit, void *arg);
void sesstok_jwt_state_clear(JwtState *js);

#endif
