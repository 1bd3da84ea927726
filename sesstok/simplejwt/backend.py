"""The one token backend: what SimpleJWT's ``TokenBackend`` does, on the
prepared C objects.

Everything that signs or verifies a SimpleJWT-shaped token goes through
here: :mod:`sesstok.access_tokens` (the middleware, ``JWTBackend``),
:mod:`sesstok.refresh_tokens`, the DRF classes and token classes. Built
from ``SIMPLE_JWT`` (with ``SESSTOK["JWT_*"]`` overrides, see
:mod:`sesstok.jwt_settings`) once, rebuilt when a setting changes:

- :func:`encoder`: ``SIGNING_KEY``/``ALGORITHM`` and ``JSON_ENCODER``
  (and ``kid`` with ``SESSTOK["JWKS_ENDPOINT"]``, :mod:`.keyset`).
- :func:`decoder`: one algorithm, ``AUDIENCE`` checked only when set,
  ``ISSUER``, ``LEEWAY``; with ``JWK_URL`` (an asymmetric algorithm) the keys
  of that JWK Set, else :func:`.keyset.verifying_keys` (the verifying key,
  and the previous keys by ``kid`` with ``JWKS_ENDPOINT``).
- :func:`decode`: the verified payload or :class:`~sesstok.exceptions.TokenError`.
  ``exp`` is not required here: :mod:`.claims` checks it, with SimpleJWT's
  message.
"""

from typing import Any

from .. import jwt
from ..conf import sesstok_settings
from ..exceptions import (
    ExpiredSignatureError,
    ExpiredTokenError,
    InvalidTokenError,
    PyJWKClientError,
    TokenError,
)
from ..jwt_settings import jwt_settings, seconds
from .jwks import JWKSDecoder
from .keyset import encoder_options, verifying_key, verifying_keys

__all__ = ["encoder", "decoder", "verifying_key", "leeway", "encode", "decode"]

_prepared: dict[str, Any] = {}


@sesstok_settings.on_change
def _forget() -> None:
    _prepared.clear()


def leeway() -> float:
    """LEEWAY in seconds."""
    value = _prepared.get("leeway")
    if value is None:
        value = _prepared["leeway"] = seconds(jwt_settings.LEEWAY) or 0
    return value


def encoder() -> jwt.Encoder:
    """The prepared Encoder for SIGNING_KEY/ALGORITHM (and JSON_ENCODER)."""
    enc = _prepared.get("encoder")
    if enc is None:
        enc = _prepared["encoder"] = jwt.Encoder(
            jwt_settings.SIGNING_KEY,
            jwt_settings.ALGORITHM,
            json_encoder=jwt_settings.JSON_ENCODER,
            **encoder_options(),
        )
    return enc


def decoder() -> Any:
    """The prepared verifier (a :class:`sesstok.jwt.Decoder`, or a
    :class:`.jwks.JWKSDecoder` with JWK_URL)."""
    dec = _prepared.get("decoder")
    if dec is None:
        algorithm = jwt_settings.ALGORITHM
        audience = jwt_settings.AUDIENCE
        options: dict[str, Any] = {
            "audience": audience,
            "issuer": jwt_settings.ISSUER,
            "leeway": leeway(),
            "options": {"verify_aud": audience is not None},
        }
        if jwt_settings.JWK_URL and not algorithm.startswith("HS"):
            dec = JWKSDecoder(jwt_settings.JWK_URL, [algorithm], **options)
        else:
            dec = jwt.Decoder(verifying_keys(), [algorithm], **options)
        _prepared["decoder"] = dec
    return dec


def encode(payload: dict[str, Any]) -> str:
    """Sign a payload as SimpleJWT's ``TokenBackend.encode`` does: AUDIENCE
    and ISSUER (when set) overwrite ``aud``/``iss``."""
    audience, issuer = jwt_settings.AUDIENCE, jwt_settings.ISSUER
    if audience is not None or issuer is not None:
        payload = dict(payload)
        if audience is not None:
            payload["aud"] = audience
        if issuer is not None:
            payload["iss"] = issuer
    return encoder().encode(payload)


def decode(raw: Any, verify: bool = True) -> Any:
    """The payload of raw (str or bytes): verified (signature, exp when
    present, aud, iss) unless verify is False. Raises TokenError
    ("Token is invalid") or ExpiredTokenError ("Token is expired")."""
    try:
        if verify:
            return decoder().decode(raw)
        return jwt.decode(raw, options={"verify_signature": False})
    except ExpiredSignatureError:
        raise ExpiredTokenError() from None
    except (InvalidTokenError, PyJWKClientError):
        raise TokenError() from None
