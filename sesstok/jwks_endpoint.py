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
application/json``. The keys and ``kid`` are :mod:`sesstok.simplejwt.keyset`'s (the
one token backend signs and verifies with them).
"""

import hashlib
import json

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from .conf import sesstok_settings
from .simplejwt.keyset import current_kid, enabled, encoder_options, jwk_set, public_jwk, verifying_keys

__all__ = ["enabled", "current_kid", "encoder_options", "verifying_keys", "public_jwk", "jwk_set", "jwks"]

_cache = {}


@sesstok_settings.on_change
def _forget():
    _cache.clear()


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
