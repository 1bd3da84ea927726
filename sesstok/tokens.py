"""Opaque API tokens: generate, hash at rest, check.

A token is ``SESSTOK["TOKEN_PREFIX"]`` (``"sst_"``) followed by the unpadded
base64url of ``SESSTOK["TOKEN_BYTES"]`` (32) bytes from the OS CSPRNG, drawn
in C. The database keeps only the SHA-256 hex digest of the whole token
string (no key: rotating ``SECRET_KEY`` never invalidates a token) and a
short display prefix. DRF ``authtoken`` keys (any key DRF holds, up to 40
characters) imported with ``manage.py sesstok_import_drf_tokens`` or mirrored
from DRF's ``Token`` model (:mod:`sesstok.drf_authtoken`) are hashed the same
way, so those clients keep sending the same header.

Under ``Authorization: Bearer`` a token is told from a JWT by its shape
(:func:`shape`): a JWT is three base64url segments joined by dots; a sesstok
token starts with its prefix; a DRF key is at most 40 characters.

    from sesstok.tokens import create_token, authenticate_token

    instance, plain = create_token(user, "ci")   # show `plain` once
    user, instance = authenticate_token(plain)   # raises AuthenticationError
"""

import re
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import _core, drf_authtoken, user_cache
from .conf import seconds, sesstok_settings
from .exceptions import AuthenticationError, DuplicateTokenName, RevocationUnavailable, TokenLimitExceeded

__all__ = [
    "AuthenticationError",
    "RevocationUnavailable",
    "DuplicateTokenName",
    "TokenLimitExceeded",
    "JWT",
    "OPAQUE",
    "DRF",
    "shape",
    "generate_token",
    "token_digest",
    "create_token",
    "authenticate_token",
    "aauthenticate_token",
    "revoke_token",
    "purge_expired",
]

OPAQUE = "opaque"
DRF = "drf"
JWT = "jwt"

MAX_TOKEN_LENGTH = 8192  # longer credentials are refused before any parsing

_JWT_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", re.ASCII)
# a DRF authtoken key: anything DRF's Token.key (max_length=40) holds that an
# Authorization header can carry, unless shaped like a JWT (two dots)
_DRF_RE = re.compile(r"[^\x00-\x20\x7f]{1,40}")
_shape_cache = {}


def invalid(message="Invalid token."):
    return AuthenticationError("invalid_token", message)


def expired(message="Token has expired."):
    return AuthenticationError("token_expired", message)


def malformed(message="Malformed credentials."):
    return AuthenticationError("malformed_token", message)


def _opaque_re():
    prefix = sesstok_settings.TOKEN_PREFIX
    pattern = _shape_cache.get(prefix)
    if pattern is None:
        # at least 160 random bits (27 base64url characters), at most 128 bytes
        pattern = re.compile(re.escape(prefix) + r"[A-Za-z0-9_-]{27,171}", re.ASCII)
        _shape_cache.clear()
        _shape_cache[prefix] = pattern
    return pattern


def shape(raw):
    """OPAQUE, DRF, JWT or None: what a presented credential looks like."""
    if not isinstance(raw, str) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    if _opaque_re().fullmatch(raw):
        return OPAQUE
    if _JWT_RE.fullmatch(raw):
        return JWT
    if _DRF_RE.fullmatch(raw):
        return DRF
    return None


def generate_token():
    """A new plain token: prefix + base64url of TOKEN_BYTES random bytes."""
    return sesstok_settings.TOKEN_PREFIX + _core.token_urlsafe(sesstok_settings.TOKEN_BYTES)


def token_digest(token):
    """The SHA-256 hex digest stored for a token (its whole string, UTF-8)."""
    return _core.hex(_core.digest("sha256", token.encode()))


def display_prefix(token):
    if token.startswith(sesstok_settings.TOKEN_PREFIX):
        return token[: len(sesstok_settings.TOKEN_PREFIX) + 4]
    return token[:4]


_DEFAULT = object()


def _expiry(expires, now):
    if expires is _DEFAULT:
        expires = sesstok_settings.TOKEN_TTL
    if expires is None:
        return None
    if isinstance(expires, datetime):
        return expires
    return now + timedelta(seconds=seconds(expires))


def create_token(user, name="default", *, expires=_DEFAULT):
    """Create a token for user: return ``(AuthToken, plain_token)``.

    ``expires`` is a datetime, a timedelta or seconds from now, or None for a
    token that never expires; left out, ``SESSTOK["TOKEN_TTL"]`` applies."""
    from .models import AuthToken

    now = timezone.now()
    plain = generate_token()
    cap = sesstok_settings.TOKEN_MAX_PER_USER
    with transaction.atomic():
        if cap is not None:
            # serialise concurrent creations for this user (a no-op on SQLite,
            # which serialises writers anyway)
            get_user_model()._default_manager.select_for_update().filter(pk=user.pk).exists()
            AuthToken.objects.filter(user=user).expired(now).delete()
            if AuthToken.objects.filter(user=user).count() >= cap:
                raise TokenLimitExceeded(f"A user may hold at most {cap} tokens.")
        try:
            with transaction.atomic():
                instance = AuthToken.objects.create(
                    user=user,
                    name=name,
                    digest=token_digest(plain),
                    display_prefix=display_prefix(plain),
                    created=now,
                    expires=_expiry(expires, now),
                )
        except IntegrityError as e:
            if AuthToken.objects.filter(user=user, name=name).exists():
                raise DuplicateTokenName(f"This user already has a token named {name!r}.") from e
            raise
    return instance, plain


def import_key(user, key, *, name="drf", created=None):
    """Store an existing DRF authtoken key (hashed like any token). Return the
    AuthToken, or None if that key was imported before."""
    from .models import AuthToken

    digest = token_digest(key)
    if AuthToken.objects.filter(digest=digest).exists():
        return None
    return AuthToken.objects.create(
        user=user,
        name=name,
        digest=digest,
        display_prefix=display_prefix(key),
        origin=AuthToken.ORIGIN_DRF,
        created=created or timezone.now(),
    )


def _check_shape(raw):
    kind = shape(raw)
    if kind not in (OPAQUE, DRF):
        raise malformed("Not an API token.")
    return kind


def _touch_due(instance, now):
    interval = sesstok_settings.TOKEN_LAST_USED_INTERVAL
    if interval is None:
        return False
    last = instance.last_used
    return last is None or (now - last).total_seconds() >= seconds(interval)


_lookups = {}


@sesstok_settings.on_change
def _forget_lookups():
    _lookups.clear()


def _token_lookup():
    """The prepared query: token by digest, joined with its user (one query)."""
    lookup = _lookups.get("token")
    if lookup is None:
        from ._lookup import PreparedLookup
        from .models import AuthToken

        User = get_user_model()
        token_fields = [f.attname for f in AuthToken._meta.concrete_fields]
        user_fields = [f.attname for f in User._meta.concrete_fields]
        user_paths = ["user__" + f.name for f in User._meta.concrete_fields]

        def build(digest):
            return AuthToken.objects.filter(digest=digest).values_list(*token_fields, *user_paths)

        lookup = _lookups["token"] = PreparedLookup(AuthToken, AuthToken._meta.get_field("digest"), build)
        lookup.token_fields, lookup.user_fields = token_fields, user_fields
        lookup.builders = None
    return lookup


def _peek_lookup():
    """The prepared query: a token's user id by digest."""
    lookup = _lookups.get("peek")
    if lookup is None:
        from ._lookup import PreparedLookup
        from .models import AuthToken

        def build(digest):
            return AuthToken.objects.filter(digest=digest).values_list("user_id")

        lookup = _lookups["peek"] = PreparedLookup(AuthToken, AuthToken._meta.get_field("digest"), build)
    return lookup


def _peek_user_pk(digest):
    row, _ = _peek_lookup().get(digest)
    return None if row is None else row[0]


def _load_rows(digest):
    """(token values, user values, alias) for a digest, or None."""
    lookup = _token_lookup()
    row, alias = lookup.get(digest)
    if row is None:
        return None
    n = len(lookup.token_fields)
    return tuple(row[:n]), tuple(row[n:]), alias


def _find(digest):
    """The AuthToken with this digest (its user loaded), or None. Through
    the user cache when ``SESSTOK["USER_CACHE"]`` is set."""
    lookup = _token_lookup()
    if user_cache.enabled():
        found = user_cache.get_token(digest, _peek_user_pk, _load_rows)
        if found is None:
            return None
        token_values, user_values, alias, entry = found
        immutable = (None, None) if entry is None else entry.immutable
    else:
        row, alias = lookup.get(digest)
        if row is None:
            return None
        n = len(lookup.token_fields)
        token_values, user_values, entry, immutable = row[:n], row[n:], None, (None, None)
    if lookup.builders is None:
        from .models import AuthToken

        lookup.builders = (
            user_cache.Builder(AuthToken, lookup.token_fields),
            user_cache.Builder(get_user_model(), lookup.user_fields),
            AuthToken.user.field,
        )
    token_builder, user_builder, user_field = lookup.builders
    instance = token_builder.build(token_values, alias, immutable[0])
    user_field.set_cached_value(instance, user_builder.build(user_values, alias, immutable[1]))
    instance._sesstok_cache_entry = entry
    return instance


def _touch(instance, now):
    from .models import AuthToken

    AuthToken.objects.filter(pk=instance.pk).update(last_used=now)
    instance.last_used = now
    entry = getattr(instance, "_sesstok_cache_entry", None)
    if entry is not None:
        fields = _token_lookup().token_fields
        user_cache.put_token(instance.digest, entry, tuple(getattr(instance, f) for f in fields))


def authenticate_token(raw):
    """The ``(user, AuthToken)`` a plain token belongs to.

    One indexed query by digest (the user comes with it). Expired tokens are
    deleted here, so purging them from cron is optional. ``last_used`` is
    written at most once per ``TOKEN_LAST_USED_INTERVAL``. Whether the user
    may log in (``is_active``) is the caller's decision (the backend's
    ``user_can_authenticate``). Raises :class:`AuthenticationError`."""
    kind = _check_shape(raw)
    instance = _find(token_digest(raw))
    if instance is None and kind == DRF:
        # hook (sesstok.drf_authtoken): a DRF Token row not mirrored yet is hashed on first use
        if drf_authtoken.find_unmirrored(raw):
            instance = _find(token_digest(raw))
    if instance is None:
        raise invalid()
    now = timezone.now()
    if instance.is_expired(now):
        type(instance).objects.filter(pk=instance.pk).delete()
        raise expired()
    if _touch_due(instance, now):
        _touch(instance, now)
    return instance.user, instance


async def aauthenticate_token(raw):
    """Async :func:`authenticate_token` (run in Django's thread for the ORM)."""
    _check_shape(raw)
    return await sync_to_async(authenticate_token)(raw)


def revoke_token(raw):
    """Delete the token with this plain value. Return whether one existed."""
    from .models import AuthToken

    if shape(raw) not in (OPAQUE, DRF):
        return False
    deleted, _ = AuthToken.objects.filter(digest=token_digest(raw)).delete()
    return bool(deleted)


arevoke_token = sync_to_async(revoke_token)


def revoke_user_tokens(user):
    """Delete all of a user's opaque tokens: sesstok's and DRF's ``Token``
    rows (:func:`sesstok.drf_authtoken.revoke_user`). What a password change
    (:func:`sesstok.user_changes.password_changed`) and logout-everywhere
    revoke of them. Return how many of sesstok's there were."""
    from .models import AuthToken

    deleted, _ = AuthToken.objects.filter(user_id=user.pk).delete()
    drf_authtoken.revoke_user(user)  # and DRF's Token rows, so no lookup fallback brings them back
    return deleted


def purge_expired(now=None):
    """Delete expired tokens; return how many."""
    from .models import AuthToken

    deleted, _ = AuthToken.objects.expired(now).delete()
    return deleted
