"""JWT access tokens: issue, authenticate, revoke.

Wire-compatible with SimpleJWT's access tokens: the same claims
(``token_type``, ``exp``, ``iat``, ``jti``, ``user_id``), settings taken from
``SIMPLE_JWT`` unless ``SESSTOK["JWT_*"]`` says otherwise, so tokens cross
between the two in both directions. sesstok adds two claims SimpleJWT
ignores:

- ``sst_ah`` (``SESSTOK["JWT_AUTH_HASH_CLAIM"]``): an HMAC of the user's
  password hash, keyed by ``SECRET_KEY`` (verified against
  ``SECRET_KEY_FALLBACKS`` too), checked whenever the user is loaded; a
  password change revokes every access token, as Django's session auth hash
  does for sessions. Tokens without it (SimpleJWT's) are accepted unless
  ``SESSTOK["JWT_REQUIRE_AUTH_HASH"]``; SimpleJWT's own ``hash_password``
  claim is checked when ``SIMPLE_JWT["CHECK_REVOKE_TOKEN"]`` is set.
- ``sst_ep``, with ``SESSTOK["JWT_DENYLIST"]``: the user's logout epoch at
  issue. With the denylist on, every authentication reads the ``jti``
  denylist entry and the epoch in one ``MGET``; tokens without ``sst_ep`` are
  compared by ``iat`` with the time of the last logout-everywhere.

Signing and verification run on the one token backend
(:mod:`sesstok.simplejwt.backend`: ``JWK_URL``, ``JSON_ENCODER``); the
checks are the auth pipeline's (:mod:`sesstok.pipeline`). This module
translates its outcome into the middleware's codes: ``invalid_token`` (with
SimpleJWT's message for a claim problem, "Token is blacklisted" for a
revoked token), ``token_expired``, and 503 ``revocation_unavailable`` /
``database_unavailable``.
"""

import time
import uuid
from datetime import timedelta

from asgiref.sync import sync_to_async

from . import pipeline, revocation
from .conf import sesstok_settings
from .exceptions import AuthenticationError, ExpiredTokenError, StoreUnavailable, TokenError, TokenRevoked
from .simplejwt import backend, claims
from .tokens import expired, invalid
from .validity import EPOCH_CLAIM, auth_hash

__all__ = [
    "issue_access_token",
    "decode_access_token",
    "authenticate_access_token",
    "aauthenticate_access_token",
    "revoke_access_token",
    "arevoke_access_token",
    "auth_hash",
    "EPOCH_CLAIM",
]

ACCESS_TOKEN_TYPE = claims.ACCESS

# the old names of what moved to the pipeline (users may have imported them)
EarlyCheck = pipeline.State
early_pk = pipeline.early_pk
encoder = backend.encoder
decoder = backend.decoder


def _forget():
    """Drop everything prepared from the settings (as a setting change does)."""
    sesstok_settings.reload()


# ---- issuing ----------------------------------------------------------------------


def issue_access_token(user, *, lifetime=None, claims=None):
    """A signed access token for user, in SimpleJWT's claim layout."""
    now = int(time.time())
    lifetime = sesstok_settings.JWT_ACCESS_TOKEN_LIFETIME if lifetime is None else lifetime
    if isinstance(lifetime, timedelta):
        lifetime = lifetime.total_seconds()
    payload = {}
    type_claim = sesstok_settings.JWT_TOKEN_TYPE_CLAIM
    if type_claim:
        payload[type_claim] = ACCESS_TOKEN_TYPE
    payload["exp"] = now + int(lifetime)
    payload["iat"] = now
    jti_claim = sesstok_settings.JWT_JTI_CLAIM
    if jti_claim:
        payload[jti_claim] = uuid.uuid4().hex
    payload[sesstok_settings.JWT_USER_ID_CLAIM] = str(getattr(user, sesstok_settings.JWT_USER_ID_FIELD))
    if sesstok_settings.JWT_AUTH_HASH_CLAIM:
        payload[sesstok_settings.JWT_AUTH_HASH_CLAIM] = auth_hash(user)
    if revocation.jwt_denylist_enabled():
        payload[EPOCH_CLAIM] = revocation.get_epoch(user.pk)[0]
    if claims:
        payload.update(claims)
    return backend.encode(payload)


# ---- checking: the pipeline, in the middleware's words -------------------------------


def _translate(error):
    """The middleware's AuthenticationError for a pipeline error. ``revoked``
    marks a refusal SimpleJWT would not make (denylisted, logged out
    everywhere, password changed): the middleware answers it itself even
    on DRF views whose classes are not sesstok's."""
    if isinstance(error, StoreUnavailable):
        return error
    if isinstance(error, ExpiredTokenError):
        return expired()
    if isinstance(error, TokenError):
        # SimpleJWT's words for a claim problem; a bad signature stays "Invalid token."
        translated = invalid() if error.message == "Token is invalid" else invalid(error.message)
    else:
        translated = invalid()  # user gone, inactive, password changed
    translated.revoked = isinstance(error, TokenRevoked) or error.code == "password_changed"
    return translated


def decode_access_token(raw):
    """The verified payload of an access token (signature, exp, aud, iss,
    token type, jti, user id). Raises AuthenticationError."""
    try:
        payload = pipeline.decode(raw)
        pipeline.user_id_of(payload)
    except AuthenticationError as e:
        raise _translate(e) from None
    return payload


def authenticate_access_token(raw):
    """``(user, payload)`` for an access token, or raise AuthenticationError.
    One user query (or the user cache); with JWT_DENYLIST one read of the
    revocation store, which with the user cache on also validates the
    cached user."""
    try:
        return pipeline.authenticate(raw)
    except AuthenticationError as e:
        raise _translate(e) from None


async def aauthenticate_access_token(raw):
    """Async :func:`authenticate_access_token`."""
    try:
        return await pipeline.aauthenticate(raw)
    except AuthenticationError as e:
        raise _translate(e) from None


def revoke_access_token(raw_or_payload):
    """Put an access token's jti on the denylist until it expires. Accepts the
    token or its verified payload. Return whether an entry was written."""
    payload = raw_or_payload
    if not isinstance(payload, dict):
        try:
            payload = decode_access_token(raw_or_payload)
        except AuthenticationError:
            return False  # expired or invalid: nothing left to revoke
    jti = payload.get(sesstok_settings.JWT_JTI_CLAIM or "jti")
    exp = payload.get("exp")
    if not jti or not isinstance(exp, (int, float)):
        return False
    return revocation.deny(revocation.jti_key(jti), exp + backend.leeway() - time.time() + 1)


arevoke_access_token = sync_to_async(revoke_access_token)
