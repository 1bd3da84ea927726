"""Is this user still valid for this token: every rule, once.

The pipeline (:mod:`sesstok.pipeline`) and the refresh path
(:mod:`sesstok.refresh_tokens`) call these after the token's signature and
claims checked out and its user was loaded. Every claim compared against a
secret-derived value is compared in constant time, on bytes (a hostile,
non-ASCII claim is a refusal, never a ``TypeError``).

- ``sst_ah`` (``SESSTOK["JWT_AUTH_HASH_CLAIM"]``): an HMAC of the user's
  password hash keyed by ``SECRET_KEY`` (and its fallbacks); a password
  change refuses every token carrying it. A token without it (SimpleJWT's)
  is refused with ``SESSTOK["JWT_REQUIRE_AUTH_HASH"]``, else checked against
  the user's password-change marker (:mod:`sesstok.user_changes`).
- SimpleJWT's ``CHECK_REVOKE_TOKEN``: the ``REVOKE_TOKEN_CLAIM`` must be
  there and be the upper-case MD5 of the password hash.
- The logout epoch (:func:`epoch_revoked`) and the password-change marker
  (:func:`marker_revoked`): the rules :mod:`sesstok.revocation` applies to
  what it read.
"""

import hashlib
from typing import Any

from django.conf import settings

from . import _core
from .conf import sesstok_settings
from .exceptions import AuthenticationError
from .jwt_settings import jwt_settings

__all__ = [
    "EPOCH_CLAIM",
    "auth_hash",
    "auth_hash_ok",
    "md5_password",
    "password_changed",
    "check_user",
    "epoch_revoked",
    "marker_revoked",
    "issued_at",
    "token_epoch",
]

EPOCH_CLAIM = "sst_ep"
_AUTH_HASH_SALT = "sesstok.access_tokens.auth_hash"

_prepared: dict[str, Any] = {}


@sesstok_settings.on_change
def _forget() -> None:
    _prepared.clear()


def _hmac_keys() -> list[Any]:
    keys = _prepared.get("auth_hash_keys")
    if keys is None:
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
        keys = _prepared["auth_hash_keys"] = [
            _core.HmacKey(secret, "sha256", salt=_AUTH_HASH_SALT) for secret in secrets
        ]
    return keys


def _mac(key: Any, password: str) -> bytes:
    return _core.b64url_encode(key.digest(password.encode())[:16])


def auth_hash(user: Any) -> str:
    """The auth-hash claim for user's current password (128-bit HMAC)."""
    return _mac(_hmac_keys()[0], user.password or "").decode()


def _as_bytes(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    return value.encode("utf-8", "surrogatepass")


def auth_hash_ok(value: Any, user: Any) -> bool:
    """Whether value is the auth hash of user's password under SECRET_KEY or
    one of its fallbacks (every key compared: the timing says nothing of
    which matched)."""
    presented = _as_bytes(value)
    if presented is None:
        return False
    password = user.password or ""
    ok = False
    for key in _hmac_keys():
        ok |= _core.compare_digest(presented, _mac(key, password))
    return ok


def md5_password(user: Any) -> str:
    """SimpleJWT's ``utils.get_md5_hash_password``."""
    return hashlib.md5((user.password or "").encode()).hexdigest().upper()


def password_changed() -> AuthenticationError:
    return AuthenticationError("password_changed", "The user's password has been changed.")


def issued_at(payload: dict[str, Any]) -> int | float | None:
    value = payload.get("iat")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return value


def token_epoch(payload: dict[str, Any]) -> int | None:
    value = payload.get(EPOCH_CLAIM)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value


def needs_marker(payload: dict[str, Any]) -> bool:
    """Whether the password-change marker decides for this token: it has no
    auth-hash claim that a loaded user could be checked against."""
    claim = sesstok_settings.JWT_AUTH_HASH_CLAIM
    return not claim or claim not in payload


def check_user(payload: dict[str, Any], user: Any, *, marker: float | None = None) -> None:
    """Refuse a token whose user changed password since it was issued
    (AuthenticationError ``password_changed``). ``marker``: the user's
    password-change marker when the caller read it (see
    :mod:`sesstok.user_changes`)."""
    if jwt_settings.CHECK_REVOKE_TOKEN:
        presented = _as_bytes(payload.get(jwt_settings.REVOKE_TOKEN_CLAIM))
        if presented is None or not _core.compare_digest(presented, md5_password(user).encode()):
            raise password_changed()
    claim = sesstok_settings.JWT_AUTH_HASH_CLAIM
    if claim and claim in payload:
        if not auth_hash_ok(payload[claim], user):
            raise password_changed()
        return
    if sesstok_settings.JWT_REQUIRE_AUTH_HASH:
        raise password_changed()
    if marker is not None and marker_revoked(issued_at(payload), marker):
        raise password_changed()


def epoch_revoked(epoch: int | None, iat: int | float | None, current: int, changed_at: float) -> bool:
    """The logout-everywhere rule: a token stamped with an epoch must carry
    the current one; a token without (issued elsewhere) must be issued after
    the last bump. ``iat`` has whole seconds: a token of the bump's second
    may predate it, and is refused. Neither (a session stored before the
    denylist was on): not refused, as before."""
    if epoch is not None:
        return epoch != current
    return changed_at > 0 and iat is not None and iat <= changed_at


def marker_revoked(iat: int | float | None, marker: float) -> bool:
    """The password-change rule for a token that cannot be checked against
    the password itself: issued no later than the change (the change's own
    second included, as :func:`epoch_revoked`)."""
    return marker > 0 and (iat is None or iat <= marker)
