"""Revocation state: denylists and the per-user logout epoch.

Everything here lives in the cache alias named by ``SESSTOK["REVOCATION_CACHE"]``
(``None``, the default, switches the denylists off)::

    CACHES = {
        "default": {...},
        "revocation": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",   # maxmemory-policy noeviction
        },
    }
    SESSTOK = {
        "REVOCATION_CACHE": "revocation",
        "SESSION_DENYLIST": True,   # signed-cookie sessions become revocable
        "JWT_DENYLIST": True,       # access tokens: jti denylist + logout-everywhere
    }

The store must be shared by every worker and must never drop an entry
before it expires: Redis with ``maxmemory-policy noeviction`` (the
``volatile-*`` policies evict exactly these expiring keys). A system check
refuses anything else when ``DEBUG`` is off.

- Denylist entries expire with what they revoke (the cookie's or the access
  token's remaining lifetime), so the store never needs cleaning.
- The per-user epoch (how many times the user logged out everywhere, and
  when) lives in the database (``sesstok.models.UserEpoch``) with a copy in
  the store that has no timeout; a missing copy (a Redis restart) is filled
  from the database with ``add`` so a racing bump always wins.
- Every check reads the store exactly once (one ``get_many``, a single
  ``MGET`` on Redis). Nothing is cached in-process, so a revocation is seen by
  every worker on its next request. With the user cache on, the user's
  version (``sesstok.user_cache``, kept in this store) rides in the same
  ``MGET`` (:func:`check_with_version`), so the cached user is validated at
  no extra round trip.
- If the store cannot be read, the check raises :class:`RevocationUnavailable`:
  a revocation is never silently skipped.
"""

import math
import time

from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.db import transaction

from . import _core, validity
from .conf import sesstok_settings
from .exceptions import RevocationUnavailable
from .jwt_settings import jwt_settings

__all__ = [
    "RevocationUnavailable",
    "store",
    "session_denylist_enabled",
    "jwt_denylist_enabled",
    "deny",
    "get_epoch",
    "bump_epoch",
    "logout_everywhere",
    "alogout_everywhere",
    "logout",
    "alogout",
    "check",
    "acheck",
    "check_with_version",
    "acheck_with_version",
    "args_for",
    "marker_key",
    "get_marker",
    "EPOCH_SESSION_KEY",
]

# session key holding the user's epoch at login (set by sesstok.receivers)
EPOCH_SESSION_KEY = "_sesstok_epoch"


def store():
    """The revocation cache, or None when REVOCATION_CACHE is None."""
    alias = sesstok_settings.REVOCATION_CACHE
    return None if alias is None else caches[alias]


_flags = {}


@sesstok_settings.on_change
def _forget():
    _flags.clear()


def session_denylist_enabled():
    """SESSION_DENYLIST is on and there is a store (computed once per settings change)."""
    try:
        return _flags["session"]
    except KeyError:
        value = _flags["session"] = sesstok_settings.REVOCATION_CACHE is not None and bool(
            sesstok_settings.SESSION_DENYLIST
        )
        return value


def jwt_denylist_enabled():
    try:
        return _flags["jwt"]
    except KeyError:
        value = _flags["jwt"] = sesstok_settings.REVOCATION_CACHE is not None and bool(sesstok_settings.JWT_DENYLIST)
        return value


# ---- keys -------------------------------------------------------------------------


def _key(kind, value):
    return f"{sesstok_settings.REVOCATION_KEY_PREFIX}{kind}:{value}"


def session_id_key(sid):
    return _key("s", sid)


def cookie_key(cookie_value):
    """Denylist key of a signed cookie that carries no session id (one that
    Django wrote): the SHA-256 of its value."""
    return _key("c", _core.b64url_encode(_core.digest("sha256", cookie_value.encode())).decode())


def jti_key(jti):
    return _key("j", jti)


def epoch_key(user_pk):
    return _key("e", user_pk)


def marker_key(user_pk):
    """The user's password-change marker (sesstok.user_changes)."""
    return _key("p", user_pk)


def args_for(payload, user_pk, *, marker=False):
    """The revocation check of a token: keyword arguments of :func:`check`
    (its jti's denylist entry, the user's epoch against ``sst_ep`` or
    ``iat``, and with marker the password-change marker)."""
    jti_claim = jwt_settings.JTI_CLAIM
    jti = payload.get(jti_claim) if jti_claim else None
    return {
        "deny_keys": (jti_key(jti),) if isinstance(jti, str) else (),
        "user_pk": user_pk,
        "epoch": validity.token_epoch(payload),
        "issued_at": validity.issued_at(payload),
        "marker": marker,
    }


# ---- writing ----------------------------------------------------------------------


def deny(key, ttl):
    """Put key on the denylist for ttl seconds (rounded up): in the database
    first (``sesstok.denylist``: a store that loses its data is rebuilt from
    there), then in the store. Does nothing when ttl has already run out;
    raises if either refuses."""
    if ttl is None or ttl <= 0:
        return False
    s = store()
    if s is None:
        return False
    from . import denylist

    denylist.record(key, ttl)
    s.set(key, 1, timeout=math.ceil(ttl))
    return True


async def adeny(key, ttl):
    if ttl is None or ttl <= 0:
        return False
    s = store()
    if s is None:
        return False
    from . import denylist

    await sync_to_async(denylist.record)(key, ttl)
    await s.aset(key, 1, timeout=math.ceil(ttl))
    return True


def _encode_epoch(epoch, changed_at):
    return f"{epoch}:{changed_at!r}"


def _decode_epoch(value):
    epoch, _, changed_at = str(value).partition(":")
    return int(epoch), float(changed_at or 0)


def _db_epoch(user_pk):
    from .models import UserEpoch

    row = UserEpoch.objects.filter(user_id=user_pk).values_list("epoch", "changed_at").first()
    return row or (0, 0.0)


async def _adb_epoch(user_pk):
    from .models import UserEpoch

    row = await UserEpoch.objects.filter(user_id=user_pk).values_list("epoch", "changed_at").afirst()
    return row or (0, 0.0)


def get_epoch(user_pk):
    """(epoch, changed_at) of a user: the store's copy, else the database's."""
    s = store()
    if s is not None:
        value = s.get(epoch_key(user_pk))
        if value is not None:
            return _decode_epoch(value)
    return _fill(s, user_pk)


def _fill(s, user_pk):
    value = _db_epoch(user_pk)
    if s is not None:
        s.add(epoch_key(user_pk), _encode_epoch(*value), timeout=None)
    return value


async def _afill(s, user_pk):
    value = await _adb_epoch(user_pk)
    if s is not None:
        await s.aadd(epoch_key(user_pk), _encode_epoch(*value), timeout=None)
    return value


def _db_marker(user_pk):
    from .models import UserEpoch

    value = UserEpoch.objects.filter(user_id=user_pk).values_list("password_changed_at", flat=True).first()
    return value or 0.0


def get_marker(user_pk):
    """The user's password-change marker (0.0: never; see
    sesstok.user_changes): the store's copy (filled from the database when
    missing), else the database's. Raises RevocationUnavailable if the store
    cannot be read."""
    s = store()
    if s is None:
        return _db_marker(user_pk)
    key = marker_key(user_pk)
    try:
        value = s.get(key)
        if value is None:
            value = _db_marker(user_pk)
            s.add(key, value, timeout=None)
    except Exception as e:  # the cache backend's connection errors
        raise RevocationUnavailable() from e
    return float(value)


def bump_epoch(user):
    """Invalidate every session and access token the user holds (see
    :func:`logout_everywhere`). Return the new epoch: one more than the
    larger of the database's value and the store's copy, under the row's
    lock, so that an epoch never repeats."""
    from .models import UserEpoch

    s = store()
    with transaction.atomic():
        row, _ = UserEpoch.objects.select_for_update().get_or_create(user_id=user.pk)
        # never a value a live credential may carry: credentials hold the
        # store's copy when there is one, and it can be ahead of the database
        # (a restored database, two deployments sharing a key space)
        ahead = s.get(epoch_key(user.pk)) if s is not None else None
        row.epoch = max(row.epoch, _decode_epoch(ahead)[0] if ahead is not None else 0) + 1
        row.changed_at = time.time()
        row.save(update_fields=["epoch", "changed_at"])
    if s is not None:
        s.set(epoch_key(user.pk), _encode_epoch(row.epoch, row.changed_at), timeout=None)
    from . import user_cache

    user_cache.invalidate(user)
    return row.epoch


def logout_everywhere(user, *, tokens=True):
    """Log user out of every session and access token, everywhere.

    Bumps the per-user epoch (sessions loaded by sesstok's engines with
    ``SESSION_DENYLIST`` and JWTs checked with ``JWT_DENYLIST`` are refused
    from the next request) and, unless ``tokens=False``, deletes the user's
    opaque API tokens."""
    epoch = bump_epoch(user)
    if tokens:
        from .tokens import revoke_user_tokens

        revoke_user_tokens(user)
    return epoch


alogout_everywhere = sync_to_async(logout_everywhere)


def logout(request):
    """Log out what authenticated this request: the API token or access
    token it presented (deleted, or its jti denied until it expires), else
    the session (``django.contrib.auth.logout``: the session is flushed, and
    a sesstok signed cookie denied with SESSION_DENYLIST). Returns what was
    revoked: "token", "jwt" or "session"."""
    credential = getattr(request, "sesstok_credential", None)
    if credential is not None:
        from . import tokens, user_cache

        # who it was, read before the credential stops working
        user = getattr(request, "user", None) if user_cache.enabled() else None
        if credential.kind == tokens.JWT:
            from .access_tokens import revoke_access_token

            revoke_access_token(credential.token if isinstance(credential.token, dict) else credential.raw)
            kind = "jwt"
        else:
            tokens.revoke_token(credential.raw)
            kind = "token"
        from django.contrib.auth.models import AnonymousUser

        if user is not None and user.is_authenticated:
            user_cache.invalidate(user)  # every revocation bumps the user's cached copies
        request.user = AnonymousUser()
        return kind
    from django.contrib.auth import logout as django_logout

    django_logout(request)
    return "session"


async def alogout(request):
    """Async :func:`logout`."""
    credential = getattr(request, "sesstok_credential", None)
    if credential is None:
        from django.contrib.auth import alogout as django_alogout

        await django_alogout(request)
        return "session"
    return await sync_to_async(logout)(request)


# ---- checking ---------------------------------------------------------------------


def _verdict(values, deny_keys, ekey, mkey, epoch, issued_at, filled):
    for key in deny_keys:
        if key in values:
            return True
    if mkey is not None and validity.marker_revoked(issued_at, float(values[mkey])):
        return True
    if ekey is None:
        return False
    current = values.get(ekey)
    current = _decode_epoch(current) if current is not None else filled
    return validity.epoch_revoked(epoch, issued_at, current[0], current[1])


def _keys(deny_keys, user_pk, alias, with_version, marker):
    """(keys to read, epoch key or None, marker key or None, user-cache probe or None)."""
    keys = list(deny_keys)
    ekey = mkey = None
    if user_pk is not None:
        ekey = epoch_key(user_pk)
        keys.append(ekey)
        if marker:
            mkey = marker_key(user_pk)
            keys.append(mkey)
    seen = None
    if with_version and user_pk is not None:
        from . import user_cache

        seen = user_cache.probe(user_pk, alias)
        if seen is not None:
            keys.append(seen.key)
    return keys, ekey, mkey, seen


def check(deny_keys=(), user_pk=None, epoch=None, issued_at=None, marker=False):
    """Whether something is revoked: one of deny_keys is on the denylist, or
    user_pk logged out everywhere since (``epoch`` differs from the user's,
    or, with no epoch, ``issued_at`` is not after the last bump), or, with
    ``marker``, changed password since ``issued_at``. One read of the store.
    Raises RevocationUnavailable if that read fails."""
    return _check(deny_keys, user_pk, epoch, issued_at, marker, False)[0]


def check_with_version(deny_keys=(), user_pk=None, epoch=None, issued_at=None, marker=False):
    """:func:`check` for a request that then loads user_pk: ``(revoked,
    seen)``. With the user cache on, the user's version (which lives in this
    store) is read in the same ``MGET``; pass ``seen`` to
    ``user_cache.get_user(pk, seen=seen)`` so that the user is validated
    against it with no second read (None when nothing was read)."""
    return _check(deny_keys, user_pk, epoch, issued_at, marker, True)


def _check(deny_keys, user_pk, epoch, issued_at, marker, with_version):
    alias = sesstok_settings.REVOCATION_CACHE
    if alias is None:
        return False, None
    s = caches[alias]
    keys, ekey, mkey, seen = _keys(deny_keys, user_pk, alias, with_version, marker)
    if not keys:
        return False, None
    try:
        values = s.get_many(keys)
        filled = None
        if ekey is not None and ekey not in values:
            filled = _fill(s, user_pk)
        if mkey is not None and mkey not in values:
            values[mkey] = _db_marker(user_pk)
            s.add(mkey, values[mkey], timeout=None)
    except Exception as e:  # the cache backend's connection errors
        raise RevocationUnavailable() from e
    if seen is not None:
        seen.version = values.get(seen.key)
    return _verdict(values, deny_keys, ekey, mkey, epoch, issued_at, filled), seen


async def acheck(deny_keys=(), user_pk=None, epoch=None, issued_at=None, marker=False):
    """Async :func:`check`."""
    return (await _acheck(deny_keys, user_pk, epoch, issued_at, marker, False))[0]


async def acheck_with_version(deny_keys=(), user_pk=None, epoch=None, issued_at=None, marker=False):
    """Async :func:`check_with_version`."""
    return await _acheck(deny_keys, user_pk, epoch, issued_at, marker, True)


def _aget_many(s, keys):
    """``s.aget_many(keys)`` in one read of the store: Django's default
    ``BaseCache.aget_many`` (which its ``RedisCache`` keeps) awaits one
    ``aget`` per key, a round trip each; its ``get_many`` is one ``MGET``."""
    from django.core.cache.backends.base import BaseCache

    if type(s).aget_many is BaseCache.aget_many:
        return sync_to_async(s.get_many, thread_sensitive=True)(keys)
    return s.aget_many(keys)


async def _acheck(deny_keys, user_pk, epoch, issued_at, marker, with_version):
    alias = sesstok_settings.REVOCATION_CACHE
    if alias is None:
        return False, None
    s = caches[alias]
    keys, ekey, mkey, seen = _keys(deny_keys, user_pk, alias, with_version, marker)
    if not keys:
        return False, None
    try:
        values = await _aget_many(s, keys)
        filled = None
        if ekey is not None and ekey not in values:
            filled = await _afill(s, user_pk)
        if mkey is not None and mkey not in values:
            values[mkey] = await sync_to_async(_db_marker)(user_pk)
            await s.aadd(mkey, values[mkey], timeout=None)
    except Exception as e:
        raise RevocationUnavailable() from e
    if seen is not None:
        seen.version = values.get(seen.key)
    return _verdict(values, deny_keys, ekey, mkey, epoch, issued_at, filled), seen
