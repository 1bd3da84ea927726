"""The auth pipeline: the steps every JWT way in runs, each owned here once.

Ways in (adapters; each only translates the outcome to its framework's
shape): ``TokenAuthenticationMiddleware`` and ``JWTBackend`` through
:func:`sesstok.access_tokens.authenticate_access_token`; the DRF classes
(:mod:`sesstok.contrib.rest_framework.authentication`); the verify view
(:func:`sesstok.refresh_tokens.verify_token`); refresh through
:mod:`sesstok.refresh_tokens`. Opaque tokens have their own, shorter
pipeline in :mod:`sesstok.tokens` (digest → one indexed query).

1. read the credential: the adapter (header, cookie).
2. :func:`decode`: signature, present ``exp``, ``aud``, ``iss`` in C
   (:mod:`sesstok.simplejwt.backend`), then SimpleJWT's claim rules
   (:mod:`sesstok.simplejwt.claims`).
3. :func:`read_state`: one read of the revocation store (``MGET``): the
   ``jti`` denylist entry, the user's logout epoch, the password-change
   marker when it decides, and the user's cached version together. Run
   before the user is loaded; its outcome is reported in step 5, so errors
   keep SimpleJWT's order.
4. :func:`load_user`: the user cache or one prepared query.
5. :func:`check_user`: exists, active (``CHECK_USER_IS_ACTIVE``), still
   valid (:func:`sesstok.validity.check_user`), not revoked (step 3's
   outcome).

Errors: :class:`~sesstok.exceptions.TokenError` (the token, SimpleJWT's
messages, "Token is blacklisted" for a revoked one),
:class:`~sesstok.exceptions.AuthenticationError` with codes
``user_not_found``, ``user_inactive``, ``password_changed``, and
:class:`~sesstok.exceptions.StoreUnavailable` (503) when the store or the
database cannot answer.
"""

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError

from . import revocation, user_cache, validity
from ._lookup import PreparedLookup
from .conf import sesstok_settings
from .exceptions import AuthenticationError, StoreUnavailable, TokenError, TokenRevoked
from .jwt_settings import jwt_settings
from .simplejwt import backend, claims

__all__ = [
    "State",
    "decode",
    "user_id_of",
    "early_pk",
    "read_state",
    "aread_state",
    "load_user",
    "check_user",
    "check_stateless",
    "authenticate",
    "aauthenticate",
]

_prepared: dict[str, Any] = {}


@sesstok_settings.on_change
def _forget() -> None:
    _prepared.clear()


# ---- 2. the token ---------------------------------------------------------------------


def decode(raw: Any, token_type: str | None = claims.ACCESS) -> dict[str, Any]:
    """The verified payload of a token of token_type (None: any type).
    Raises TokenError / ExpiredTokenError."""
    payload = backend.decode(raw)
    if type(payload) is not dict:
        raise TokenError()
    claims.verify(payload, token_type, exp_checked=True)
    return payload


def user_id_of(payload: dict[str, Any]) -> Any:
    """The USER_ID_CLAIM of a payload, or raise TokenError."""
    try:
        value = payload[jwt_settings.USER_ID_CLAIM]
    except KeyError:
        raise TokenError("Token contained no recognizable user identification") from None
    return value


# ---- 3. the shared state ----------------------------------------------------------------


class State:
    """Step 3's read: ``revoked``, or the ``error`` the store raised, and
    ``seen`` (the user's cached version, for :func:`load_user`)."""

    __slots__ = ("revoked", "error", "seen")

    def __init__(self, revoked: bool = False, error: Exception | None = None, seen: Any = None) -> None:
        self.revoked, self.error, self.seen = revoked, error, seen

    def report(self) -> None:
        if self.error is not None:
            raise self.error
        if self.revoked:
            raise TokenRevoked()


def by_pk() -> bool:
    """Whether USER_ID_FIELD is the user model's primary key."""
    value = _prepared.get("by_pk")
    if value is None:
        pk = get_user_model()._meta.pk
        value = _prepared["by_pk"] = jwt_settings.USER_ID_FIELD in ("pk", pk.name, pk.attname)
    return value


def early_pk(user_id: Any) -> Any:
    """The primary key a token's user id names, when the state can be read
    before the user is loaded (JWT_DENYLIST, users by primary key); else None."""
    if not revocation.jwt_denylist_enabled() or not by_pk():
        return None
    if not isinstance(user_id, (str, int)) or isinstance(user_id, bool):
        return None
    try:
        return user_cache.user_model().to_pk(user_id)
    except (ValueError, TypeError):
        return None


def read_state(payload: dict[str, Any], pk: Any, *, marker: bool | None = None) -> State:
    """Step 3 for a token of user pk (None when unknown): never raises, the
    outcome is reported by :meth:`State.report`."""
    if marker is None:
        marker = validity.needs_marker(payload)
    try:
        revoked, seen = revocation.check_with_version(**revocation.args_for(payload, pk, marker=marker))
    except StoreUnavailable as e:
        return State(error=e)
    return State(revoked, seen=seen)


async def aread_state(payload: dict[str, Any], pk: Any, *, marker: bool | None = None) -> State:
    """Async :func:`read_state`."""
    if marker is None:
        marker = validity.needs_marker(payload)
    try:
        revoked, seen = await revocation.acheck_with_version(**revocation.args_for(payload, pk, marker=marker))
    except StoreUnavailable as e:
        return State(error=e)
    return State(revoked, seen=seen)


def _early(payload: dict[str, Any], user_id: Any) -> State | None:
    pk = early_pk(user_id)
    return None if pk is None else read_state(payload, pk)


# ---- 4. the user --------------------------------------------------------------------------


def user_lookup() -> PreparedLookup:
    lookup = _prepared.get("user_lookup")
    if lookup is None:
        User = get_user_model()
        name = jwt_settings.USER_ID_FIELD
        attnames = [f.attname for f in User._meta.concrete_fields]

        def build(value: Any) -> Any:
            return User._default_manager.filter(**{name: value}).values_list(*attnames)

        lookup = _prepared["user_lookup"] = PreparedLookup(User, User._meta.get_field(name), build)
        lookup.attnames = attnames  # type: ignore[attr-defined]
    return lookup


def load_user(user_id: Any, *, seen: Any = None) -> Any:
    """The user whose USER_ID_FIELD is user_id, or None: through the user
    cache when ``SESSTOK["USER_CACHE"]`` is on (and the field is the primary
    key), else one prepared query. A hostile value (out of the field's
    range, too long) never reaches the database. Raises StoreUnavailable
    ("database_unavailable") when the database does not answer."""
    if not isinstance(user_id, (str, int)) or isinstance(user_id, bool):
        return None
    try:
        if by_pk() and user_cache.enabled():
            return user_cache.get_user(user_id, seen=seen)
        lookup = user_lookup()
        try:
            value = lookup.field.to_python(user_id)
            lookup.field.run_validators(value)
            row, alias = lookup.get(value)
        except (ValueError, TypeError, OverflowError, ValidationError):
            return None
    except (OperationalError, InterfaceError) as e:
        raise StoreUnavailable("database_unavailable") from e
    if row is None:
        return None
    return get_user_model().from_db(alias, lookup.attnames, row)  # type: ignore[attr-defined]


# ---- 5. the checks ------------------------------------------------------------------------


def check_user(payload: dict[str, Any], user: Any, state: State | None) -> Any:
    """Step 5: the user exists, is active, is still valid for this token and
    the token is not revoked (``state``: step 3's read, or None to read it
    now when the denylist is on). Returns the user."""
    if user is None:
        raise AuthenticationError("user_not_found", "User not found")
    if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
        raise AuthenticationError("user_inactive", "User is inactive")
    validity.check_user(payload, user)
    if state is None and revocation.jwt_denylist_enabled():
        state = read_state(payload, user.pk)
    if state is not None:
        state.report()
    return user


def check_stateless(payload: dict[str, Any]) -> None:
    """``JWTStatelessUserAuthentication``'s step 3+5: no user is loaded, so
    with JWT_DENYLIST the denylist, the logout epoch and the password-change
    marker decide (users by primary key)."""
    if not revocation.jwt_denylist_enabled():
        return
    pk = payload.get(jwt_settings.USER_ID_CLAIM) if by_pk() else None
    # no user is loaded: no cached version to read along
    if revocation.check(**revocation.args_for(payload, pk, marker=pk is not None)):
        raise TokenRevoked()


def authenticate(raw: Any, token_type: str | None = claims.ACCESS) -> tuple[Any, dict[str, Any]]:
    """``(user, payload)`` for a token, or raise (see the module docstring)."""
    payload = decode(raw, token_type)
    return user_for(payload), payload


def user_for(payload: dict[str, Any]) -> Any:
    """Steps 3-5 for a decoded payload: the user, or raise."""
    user_id = user_id_of(payload)
    state = _early(payload, user_id)
    user = load_user(user_id, seen=None if state is None else state.seen)
    return check_user(payload, user, state)


async def aauthenticate(raw: Any, token_type: str | None = claims.ACCESS) -> tuple[Any, dict[str, Any]]:
    """Async :func:`authenticate`."""
    payload = decode(raw, token_type)
    user_id = user_id_of(payload)
    pk = early_pk(user_id)
    state = None if pk is None else await aread_state(payload, pk)
    user = await sync_to_async(load_user)(user_id, seen=None if state is None else state.seen)
    if state is None and revocation.jwt_denylist_enabled() and user is not None:
        state = await aread_state(payload, user.pk)
    return check_user(payload, user, state), payload
