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

Signing and verification run on ``sesstok.jwt``'s prepared ``Encoder`` and
``Decoder``, built once from the settings and rebuilt when they change.
"""

import time
import uuid
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from . import _core, revocation
from .conf import seconds, sesstok_settings
from .tokens import AuthenticationError, expired, invalid

__all__ = [
    "issue_access_token",
    "decode_access_token",
    "authenticate_access_token",
    "aauthenticate_access_token",
    "revoke_access_token",
    "auth_hash",
    "EPOCH_CLAIM",
]

EPOCH_CLAIM = "sst_ep"
ACCESS_TOKEN_TYPE = "access"
_AUTH_HASH_SALT = "sesstok.access_tokens.auth_hash"

_prepared = {}


@sesstok_settings.on_change
def _forget():
    _prepared.clear()


def _jwt():
    # imported on first use: sesstok.jwt is the PyJWT-compatible C-backed API
    from . import jwt

    return jwt


def _algorithm():
    return sesstok_settings.JWT_ALGORITHM


def _verifying_key():
    if _algorithm().startswith("HS"):
        return sesstok_settings.JWT_SIGNING_KEY
    return sesstok_settings.JWT_VERIFYING_KEY or sesstok_settings.JWT_SIGNING_KEY


def encoder():
    enc = _prepared.get("encoder")
    if enc is None:
        from .jwks_endpoint import encoder_options  # hook: `kid` with SESSTOK["JWKS_ENDPOINT"]

        enc = _prepared["encoder"] = _jwt().Encoder(sesstok_settings.JWT_SIGNING_KEY, _algorithm(), **encoder_options())
    return enc


def decoder():
    dec = _prepared.get("decoder")
    if dec is None:
        from .jwks_endpoint import verifying_keys  # hook: current + previous keys with JWKS_ENDPOINT

        leeway = seconds(sesstok_settings.JWT_LEEWAY) or 0
        dec = _prepared["decoder"] = _jwt().Decoder(
            verifying_keys(_verifying_key()),
            [_algorithm()],
            audience=sesstok_settings.JWT_AUDIENCE,
            issuer=sesstok_settings.JWT_ISSUER,
            leeway=leeway,
            options={"verify_aud": sesstok_settings.JWT_AUDIENCE is not None, "require": ["exp"]},
        )
    return dec


# ---- the auth-hash claim ----------------------------------------------------------


def _hmac_keys():
    keys = _prepared.get("auth_hash_keys")
    if keys is None:
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
        keys = _prepared["auth_hash_keys"] = [
            _core.HmacKey(secret, "sha256", salt=_AUTH_HASH_SALT) for secret in secrets
        ]
    return keys


def _mac(key, password):
    return _core.b64url_encode(key.digest(password.encode())[:16]).decode()


def auth_hash(user):
    """The auth-hash claim for user's current password (128-bit HMAC)."""
    return _mac(_hmac_keys()[0], user.password or "")


def _auth_hash_ok(value, user):
    if not isinstance(value, str):
        return False
    # bytes: compare_digest refuses non-ASCII str (a hostile claim must not 500)
    value = value.encode("utf-8", "surrogatepass")
    password = user.password or ""
    ok = False
    for key in _hmac_keys():  # every key, so timing says nothing of which
        ok |= _core.compare_digest(value, _mac(key, password).encode())
    return ok


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
    if sesstok_settings.JWT_AUDIENCE is not None:
        payload["aud"] = sesstok_settings.JWT_AUDIENCE
    if sesstok_settings.JWT_ISSUER is not None:
        payload["iss"] = sesstok_settings.JWT_ISSUER
    if sesstok_settings.JWT_AUTH_HASH_CLAIM:
        payload[sesstok_settings.JWT_AUTH_HASH_CLAIM] = auth_hash(user)
    if revocation.jwt_denylist_enabled():
        payload[EPOCH_CLAIM] = revocation.get_epoch(user.pk)[0]
    if claims:
        payload.update(claims)
    return encoder().encode(payload)


# ---- checking ---------------------------------------------------------------------


def decode_access_token(raw):
    """The verified payload of an access token (signature, exp, aud, iss,
    token type, jti). Raises AuthenticationError."""
    try:
        from .exceptions import ExpiredSignatureError, InvalidTokenError

        prepared = decoder()
    except ImportError:  # sesstok.jwt is not available: no JWT is accepted
        raise invalid("JWT support is not available.") from None
    try:
        payload = prepared.decode(raw)
    except ExpiredSignatureError:
        raise expired() from None
    except InvalidTokenError:
        raise invalid() from None
    if not isinstance(payload, dict):
        raise invalid()
    type_claim = sesstok_settings.JWT_TOKEN_TYPE_CLAIM
    if type_claim and payload.get(type_claim) != ACCESS_TOKEN_TYPE:
        raise invalid("Token has wrong type.")
    jti_claim = sesstok_settings.JWT_JTI_CLAIM
    if jti_claim and not isinstance(payload.get(jti_claim), str):
        raise invalid("Token has no id.")
    if sesstok_settings.JWT_USER_ID_CLAIM not in payload:
        raise invalid("Token contained no recognizable user identification.")
    return payload


def _check_user(payload, user):
    claim = sesstok_settings.JWT_AUTH_HASH_CLAIM
    if claim and claim in payload:
        if not _auth_hash_ok(payload[claim], user):
            raise invalid()
    elif sesstok_settings.JWT_REQUIRE_AUTH_HASH:
        raise invalid()
    simple = getattr(settings, "SIMPLE_JWT", None) or {}
    if simple.get("CHECK_REVOKE_TOKEN"):
        # SimpleJWT's own claim: upper-case MD5 of the password hash
        import hashlib

        expected = hashlib.md5((user.password or "").encode()).hexdigest().upper()
        value = payload.get(simple.get("REVOKE_TOKEN_CLAIM", "hash_password"))
        if not isinstance(value, str) or not _core.compare_digest(
            value.encode("utf-8", "surrogatepass"), expected.encode()
        ):
            raise invalid()


def _revocation_args(payload, user_pk):
    jti_claim = sesstok_settings.JWT_JTI_CLAIM
    jti = payload.get(jti_claim) if jti_claim else None
    deny = (revocation.jti_key(jti),) if jti else ()
    epoch = payload.get(EPOCH_CLAIM)
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        epoch = None
    iat = payload.get("iat")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        iat = None
    return deny, user_pk, epoch, iat


class EarlyCheck:
    """The revocation check of a request, run before its user is loaded so
    that the user's cached version rides in the same read of the store
    (``seen``); its outcome (``revoked``, or the ``error`` reading the store
    raised) is reported at the point the check used to run, so errors keep
    their order."""

    __slots__ = ("revoked", "error", "seen")

    def __init__(self, revoked=False, error=None, seen=None):
        self.revoked, self.error, self.seen = revoked, error, seen


def early_pk(user_id):
    """The primary key a token's user id names, when the revocation check
    can run before the user is loaded (JWT_DENYLIST and the user cache on,
    users identified by primary key); else None."""
    if not revocation.jwt_denylist_enabled() or not _by_pk():
        return None
    from . import user_cache

    if not user_cache.enabled() or not isinstance(user_id, (str, int)) or isinstance(user_id, bool):
        return None
    try:
        return user_cache.user_model().to_pk(user_id)
    except (ValueError, TypeError):
        return None


def _check_early(payload):
    """An EarlyCheck for this access token, or None (the check then runs
    after the user is loaded, as without the user cache)."""
    try:
        pk = early_pk(payload[sesstok_settings.JWT_USER_ID_CLAIM])
    except KeyError:
        return None
    if pk is None:
        return None
    try:
        revoked, seen = revocation.check_with_version(*_revocation_args(payload, pk))
    except AuthenticationError as e:  # RevocationUnavailable: reported after the user checks
        return EarlyCheck(error=e)
    return EarlyCheck(revoked, seen=seen)


async def _acheck_early(payload):
    try:
        pk = early_pk(payload[sesstok_settings.JWT_USER_ID_CLAIM])
    except KeyError:
        return None
    if pk is None:
        return None
    try:
        revoked, seen = await revocation.acheck_with_version(*_revocation_args(payload, pk))
    except AuthenticationError as e:
        return EarlyCheck(error=e)
    return EarlyCheck(revoked, seen=seen)


def _user_id(payload):
    value = payload[sesstok_settings.JWT_USER_ID_CLAIM]
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise invalid()
    return value


def _prepared_user_lookup():
    lookup = _prepared.get("user_lookup")
    if lookup is None:
        from ._lookup import PreparedLookup

        User = get_user_model()
        name = sesstok_settings.JWT_USER_ID_FIELD
        attnames = [f.attname for f in User._meta.concrete_fields]

        def build(value):
            return User._default_manager.filter(**{name: value}).values_list(*attnames)

        lookup = _prepared["user_lookup"] = PreparedLookup(User, User._meta.get_field(name), build)
        lookup.attnames = attnames
    return lookup


def _by_pk():
    by_pk = _prepared.get("by_pk")
    if by_pk is None:
        pk = get_user_model()._meta.pk
        by_pk = _prepared["by_pk"] = sesstok_settings.JWT_USER_ID_FIELD in ("pk", pk.name, pk.attname)
    return by_pk


def load_user(payload, *, seen=None):
    """The user an access token names, or raise: through the user cache when
    ``SESSTOK["USER_CACHE"]`` is set and the id field is the primary key,
    else one query (prepared once). ``seen``: the user's version as this
    request's revocation check read it."""
    value = _user_id(payload)
    if _by_pk():
        from . import user_cache

        if user_cache.enabled():
            user = user_cache.get_user(value, seen=seen)
            if user is None:
                raise invalid()
            return user
    lookup = _prepared_user_lookup()
    try:
        # the field's own validation first (an int pk's backend range, a
        # max_length): a hostile claim never reaches the database
        value = lookup.field.to_python(value)
        lookup.field.run_validators(value)
        row, alias = lookup.get(value)
    except (ValueError, TypeError, OverflowError, ValidationError):
        raise invalid() from None
    if row is None:
        raise invalid()
    return get_user_model().from_db(alias, lookup.attnames, row)


def _report(early):
    if early.error is not None:
        raise early.error
    if early.revoked:
        raise invalid()


def authenticate_access_token(raw):
    """``(user, payload)`` for an access token, or raise AuthenticationError.
    One user query (or the user cache); with JWT_DENYLIST one read of the
    revocation store, which with the user cache on also validates the
    cached user (the check runs first, its outcome is reported last)."""
    payload = decode_access_token(raw)
    early = _check_early(payload)
    user = load_user(payload, seen=None if early is None else early.seen)
    _check_user(payload, user)
    if early is not None:
        _report(early)
    elif revocation.jwt_denylist_enabled() and revocation.check(*_revocation_args(payload, user.pk)):
        raise invalid()
    return user, payload


async def aauthenticate_access_token(raw):
    """Async :func:`authenticate_access_token`."""
    payload = decode_access_token(raw)
    early = await _acheck_early(payload)
    user = await sync_to_async(load_user)(payload, seen=None if early is None else early.seen)
    _check_user(payload, user)
    if early is not None:
        _report(early)
    elif revocation.jwt_denylist_enabled() and await revocation.acheck(*_revocation_args(payload, user.pk)):
        raise invalid()
    return user, payload


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
    leeway = seconds(sesstok_settings.JWT_LEEWAY) or 0
    return revocation.deny(revocation.jti_key(jti), exp + leeway - time.time() + 1)


arevoke_access_token = sync_to_async(revoke_access_token)
