"""Which keys sign and verify SimpleJWT-shaped tokens, and their JWK Set.

- :func:`verifying_key`: SimpleJWT's rule (HMAC: ``SIGNING_KEY``; an
  asymmetric algorithm: ``VERIFYING_KEY``, else ``SIGNING_KEY``).
- With ``SESSTOK["JWKS_ENDPOINT"]`` on and an asymmetric ``ALGORITHM``
  (:func:`enabled`), tokens carry ``kid`` (the RFC 7638 thumbprint of the
  current public key, :func:`encoder_options`) and verify against the
  current key and ``SESSTOK["JWKS_PREVIOUS_KEYS"]`` (:func:`verifying_keys`);
  :func:`jwk_set` is what :mod:`sesstok.jwks_endpoint` serves. Off, the
  verifying key alone and no ``kid``: SimpleJWT's bytes.

Used by :mod:`.backend` (the one encoder and decoder) and the endpoint.
"""

import hashlib
import json
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .. import _core
from ..conf import sesstok_settings
from ..jwt_settings import jwt_settings

__all__ = ["verifying_key", "public_jwk", "enabled", "current_kid", "encoder_options", "verifying_keys", "jwk_set"]

_cache: dict[str, Any] = {}
_EC_SIZES = {"P-256": 32, "P-384": 48, "P-521": 66}


@sesstok_settings.on_change
def _forget() -> None:
    _cache.clear()


def verifying_key() -> Any:
    """SimpleJWT's rule: HMAC verifies with SIGNING_KEY; an asymmetric
    algorithm with VERIFYING_KEY (SIGNING_KEY when it is empty)."""
    if jwt_settings.ALGORITHM.startswith("HS"):
        return jwt_settings.SIGNING_KEY
    return jwt_settings.VERIFYING_KEY or jwt_settings.SIGNING_KEY


def _b64(data: bytes) -> str:
    return _core.b64url_encode(data).decode("ascii")


def _as_bytes(key: Any) -> bytes:
    return key.encode() if isinstance(key, str) else bytes(key)


def public_jwk(key: Any, algorithm: str) -> dict[str, str]:
    """The public JWK (with ``use``, ``alg`` and its RFC 7638 ``kid``) of a
    PEM/DER key, private or public."""
    loaded = _core.JwtKey.load(_as_bytes(key), algorithm=algorithm)
    members: dict[str, str]
    if loaded.kty == "RSA":
        n, e = loaded.rsa_public_numbers()
        members = {
            "e": _b64(e.to_bytes((e.bit_length() + 7) // 8, "big")),
            "kty": "RSA",
            "n": _b64(n.to_bytes((n.bit_length() + 7) // 8, "big")),
        }
    else:
        # the SubjectPublicKeyInfo ends with the raw public key: 04||x||y (EC, uncompressed) or x (Ed25519)
        der = loaded.public_der()
        curve = loaded.curve or ""
        if loaded.kty == "EC":
            size = _EC_SIZES[curve]
            point = der[-(2 * size + 1) :]
            if point[0] != 4:
                raise ImproperlyConfigured("EC public keys must be exportable uncompressed.")
            members = {"crv": curve, "kty": "EC", "x": _b64(point[1 : size + 1]), "y": _b64(point[size + 1 :])}
        else:
            members = {"crv": curve, "kty": "OKP", "x": _b64(der[-32:])}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    kid = _b64(hashlib.sha256(canonical).digest())
    return {**members, "use": "sig", "alg": algorithm, "kid": kid}


def enabled() -> bool:
    """Whether JWKS_ENDPOINT is on with an asymmetric ALGORITHM."""
    algorithm = jwt_settings.ALGORITHM
    return bool(sesstok_settings.JWKS_ENDPOINT) and isinstance(algorithm, str) and not algorithm.startswith("HS")


def _keys() -> list[tuple[dict[str, str], Any]]:
    """[(jwk, key as configured)] for the current key, then the previous ones."""
    keys = _cache.get("keys")
    if keys is None:
        algorithm = jwt_settings.ALGORITHM
        current = verifying_key()
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


def current_kid() -> str:
    return _keys()[0][0]["kid"]


def encoder_options() -> dict[str, Any]:
    """Extra ``jwt.Encoder`` arguments: the current ``kid`` header when
    enabled, none otherwise (SimpleJWT's bytes)."""
    return {"headers": {"kid": current_kid()}} if enabled() else {}


def verifying_keys() -> Any:
    """What the decoder verifies with: :func:`verifying_key` alone when
    disabled; else each configured key under its kid, and again without one
    (what a token without ``kid`` is checked against, current key first)."""
    if not enabled():
        return verifying_key()
    keys = _keys()
    return [(jwk["kid"], configured) for jwk, configured in keys] + [configured for _, configured in keys]


def jwk_set() -> dict[str, list[dict[str, str]]]:
    """``{"keys": [...]}``: the current public key, then the previous ones."""
    return {"keys": [jwk for jwk, _ in _keys()]}
