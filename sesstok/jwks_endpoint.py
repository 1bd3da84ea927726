"""The public JWT keys as a JWK Set (RFC 7517), for other services to verify
sesstok's tokens: ``GET .well-known/jwks.json`` in ``sesstok.urls`` and in
``sesstok.contrib.rest_framework.urls``. Opt-in, asymmetric algorithms only::

    SIMPLE_JWT = {"ALGORITHM": "RS256", "SIGNING_KEY": PRIVATE_PEM, "VERIFYING_KEY": PUBLIC_PEM}
    SESSTOK = {
        "JWKS_ENDPOINT": True,
        "JWKS_PREVIOUS_KEYS": [OLD_PUBLIC_PEM],   # during a rotation
        "JWKS_MAX_AGE": 300,                      # Cache-Control max-age, seconds
    }

With it on, every token sesstok signs carries ``kid``: the RFC 7638
thumbprint of the current public key. Verification (sesstok's own, and any
``PyJWKClient`` or SimpleJWT ``JWK_URL`` reading the set) selects the key by
``kid``; a token without one (SimpleJWT's, or sesstok's from before) is
checked against the current key, then the previous ones. Rotating: move the
old public key to ``JWKS_PREVIOUS_KEYS`` and set the new signing key; tokens
signed with the old key keep verifying until it is removed from the list.
Off (the default), nothing changes: no ``kid``, output byte-identical to
SimpleJWT's, and the URL answers 404.

The set is served with ``Cache-Control: public, max-age=JWKS_MAX_AGE``, an
``ETag`` (a conditional request gets a 304) and ``Content-Type:
application/json``. Keys are read through :data:`sesstok.jwt_settings.jwt_settings`.
"""

import hashlib
import json

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from . import _core
from .conf import sesstok_settings
from .jwt_settings import jwt_settings

__all__ = ["enabled", "current_kid", "encoder_options", "verifying_keys", "jwk_set", "jwks"]

_cache = {}
_EC_SIZES = {"P-256": 32, "P-384": 48, "P-521": 66}


@sesstok_settings.on_change
def _forget():
    _cache.clear()


def _b64(data):
    return _core.b64url_encode(data).decode("ascii")


def _as_bytes(key):
    return key.encode() if isinstance(key, str) else bytes(key)


def public_jwk(key, algorithm):
    """The public JWK (with ``use``, ``alg`` and its RFC 7638 ``kid``) of a
    PEM/DER key, private or public."""
    loaded = _core.JwtKey.load(_as_bytes(key), algorithm=algorithm)
    if loaded.kty == "RSA":
        n, e = loaded.rsa_public_numbers()
        members = {"e": _b64(e.to_bytes((e.bit_length() + 7) // 8, "big")), "kty": "RSA",
                   "n": _b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))}
    else:
        # the SubjectPublicKeyInfo ends with the raw public key: 04||x||y (EC, uncompressed) or x (Ed25519)
        der = loaded.public_der()
        if loaded.kty == "EC":
            size = _EC_SIZES[loaded.curve]
            point = der[-(2 * size + 1):]
            if point[0] != 4:
                raise ImproperlyConfigured("EC public keys must be exportable uncompressed.")
            members = {"crv": loaded.curve, "kty": "EC", "x": _b64(point[1 : size + 1]), "y": _b64(point[size + 1 :])}
        else:
            members = {"crv": loaded.curve, "kty": "OKP", "x": _b64(der[-32:])}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    kid = _b64(hashlib.sha256(canonical).digest())
    return {**members, "use": "sig", "alg": algorithm, "kid": kid}


def enabled():
    """Whether JWKS_ENDPOINT is on with an asymmetric ALGORITHM."""
    algorithm = jwt_settings.ALGORITHM
    return bool(sesstok_settings.JWKS_ENDPOINT) and isinstance(algorithm, str) and not algorithm.startswith("HS")


def _keys():
    """[(jwk, key as configured)] for the current key, then the previous ones."""
    keys = _cache.get("keys")
    if keys is None:
        algorithm = jwt_settings.ALGORITHM
        current = jwt_settings.VERIFYING_KEY or jwt_settings.SIGNING_KEY
        keys = [(public_jwk(current, algorithm), current)]
        for i, key in enumerate(sesstok_settings.JWKS_PREVIOUS_KEYS):
            try:
                keys.append((public_jwk(key, algorithm), key))
            except Exception as e:  # noqa: BLE001 - any parse failure is a configuration error
                raise ImproperlyConfigured(
                    f'SESSTOK["JWKS_PREVIOUS_KEYS"][{i}] is not a {algorithm} key (PEM or DER): {e}'
                ) from e
        _cache["keys"] = keys
    return keys


def current_kid():
    return _keys()[0][0]["kid"]


def encoder_options():
    """Extra ``jwt.Encoder`` arguments for sesstok's token encoders: the
    current ``kid`` header when enabled, none otherwise (SimpleJWT's bytes)."""
    return {"headers": {"kid": current_kid()}} if enabled() else {}


def verifying_keys(key):
    """The keys sesstok's decoders verify with: ``key`` alone when disabled;
    else each configured key under its kid, and again without one (what a
    token without ``kid`` is checked against, current key first)."""
    if not enabled():
        return key
    keys = _keys()
    return [(jwk["kid"], configured) for jwk, configured in keys] + [configured for _, configured in keys]


def jwk_set():
    """``{"keys": [...]}``: the current public key, then the previous ones."""
    return {"keys": [jwk for jwk, _ in _keys()]}


def _body_and_etag():
    cached = _cache.get("body")
    if cached is None:
        body = json.dumps(jwk_set(), separators=(",", ":")).encode()
        cached = _cache["body"] = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    return cached


@require_safe
def jwks(request):
    """``GET .well-known/jwks.json``: the JWK Set, 404 unless enabled."""
    if not enabled():
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    body, etag = _body_and_etag()
    headers = {"Cache-Control": f"public, max-age={int(sesstok_settings.JWKS_MAX_AGE)}", "ETag": etag}
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(body, content_type="application/json", headers=headers)
