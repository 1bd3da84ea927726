"""Per-request user cache: load the authenticated user without the ORM.

Off by default. On with a cache alias for the shared tier::

    CACHES = {
        "default": {...},
        "users": {"BACKEND": "sesstok.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/2"},
    }
    SESSTOK = {
        "USER_CACHE": "users",         # the shared tier (Redis in production)
        "USER_CACHE_TTL": 60,          # seconds; bounds staleness of writes that bypass signals
        "USER_CACHE_LOCAL_TTL": 5,     # seconds an entry may live in the in-process tier; 0: off
        "USER_CACHE_LOCAL_SIZE": 1024, # entries in the in-process tier
    }

What is cached: the user's row (every concrete field, as the ORM converted
it) by primary key, and an opaque token's row with its user by the token's
SHA-256 digest. Instances are built fresh for each request (nothing is
shared between requests).

**Versions.** Every user has a version in the shared tier: 64 random bits,
replaced ("bumped") on the user's save or delete (so on a password change,
a deactivation, ``last_login``), on every token save or delete (revocation,
expiry, logout-everywhere) and by :func:`invalidate`, which
``sesstok.revocation`` calls on every logout, logout-everywhere and epoch
bump. Every entry, in either tier, is stored with the version current when
its row was read, and is served only while that is still the user's version.
A bump inside a transaction is done at once and again when it commits, so a
reader that raced the uncommitted write cannot keep its stale copy.

**What each tier may serve, and for how long.**

- The version is never cached in-process: every request reads it from the
  shared tier (one cache read, the only one on an in-process hit). So a
  revocation, a password change or a deactivation is seen by every process
  on its next request, exactly as without the cache.
- The shared tier serves a row while the version matches and for at most
  ``USER_CACHE_TTL`` seconds after the row was read from the database.
- The in-process tier serves a row while the version matches, for at most
  ``USER_CACHE_LOCAL_TTL`` seconds after it was put there, and never past
  ``USER_CACHE_TTL`` after the row was read from the database.
- Writes that bypass the signals (``QuerySet.update()``, raw SQL, another
  application writing the table) bump nothing: a process may serve the old
  row for at most ``USER_CACHE_TTL`` seconds (default 60). Call
  :func:`invalidate` after such a write to make it immediate.

If the shared tier cannot be read, users are loaded from the database
(correct, just slower). If a bump cannot be written, the error propagates:
a revocation never fails silently.
"""

import copy
import datetime
import decimal
import logging
import time
import uuid

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import signals
from django.db.models.base import ModelState

from . import _core
from .conf import seconds, sesstok_settings

__all__ = [
    "enabled",
    "get_user",
    "aget_user",
    "get_user_by_field",
    "load_user",
    "get_token",
    "put_token",
    "invalidate",
    "ainvalidate",
    "clear_local",
    "stats",
]

logger = logging.getLogger("sesstok.user_cache")

VERSION_TIMEOUT = 7 * 24 * 3600  # a missing version is re-created, so any timeout is safe

_state = {}
_local = {}  # key -> _Entry; insertion order is age (oldest first)
_stats = {"local": 0, "shared": 0, "db": 0}


class _Entry:
    """One cached row: the version it was read under, the values in
    ``attnames`` order, when it was read (wall clock) and until when the
    in-process tier may serve it (monotonic clock)."""

    __slots__ = ("version", "values", "loaded_at", "local_until", "extra", "memo")

    def __init__(self, version, values, loaded_at, local_until, extra=None):
        self.version = version
        self.values = values
        self.loaded_at = loaded_at
        self.local_until = local_until
        self.extra = extra
        self.memo = None  # per-entry derived values (e.g. the session auth hash)


@sesstok_settings.on_change
def _forget():
    _state.clear()
    _local.clear()
    if _state_connected:
        _sync_token_signals()


_state_connected = []  # non-empty once connect_signals() ran


def clear_local():
    """Empty this process's in-process tier (tests, or after bulk writes)."""
    _local.clear()


def stats():
    """Counters of where users came from in this process: local, shared, db."""
    return dict(_stats)


def enabled():
    """Whether ``SESSTOK["USER_CACHE"]`` names a cache."""
    try:
        return _state["enabled"]
    except KeyError:
        value = _state["enabled"] = sesstok_settings.USER_CACHE is not None
        return value


def _config():
    config = _state.get("config")
    if config is None:
        ttl = seconds(sesstok_settings.USER_CACHE_TTL) or 0
        local_ttl = min(seconds(sesstok_settings.USER_CACHE_LOCAL_TTL) or 0, ttl)
        size = sesstok_settings.USER_CACHE_LOCAL_SIZE or 0
        config = _state["config"] = (ttl, local_ttl if size > 0 else 0, size)
    return config


def store():
    """The shared tier's cache object (Django gives each thread its own)."""
    return caches[sesstok_settings.USER_CACHE]


# ---- the user model --------------------------------------------------------------------


_IMMUTABLE = (type(None), bool, int, float, str, bytes, datetime.datetime, datetime.date, datetime.time,
              datetime.timedelta, decimal.Decimal, uuid.UUID)


class Builder:
    """Builds instances of a model from cached rows, as ``Model.from_db``
    does: a fresh instance (and ``ModelState``) per call, so nothing is
    shared between requests. When every concrete field is a plain column
    (Django's own ``DeferredAttribute`` descriptors, no ``__set__`` logic
    beyond the foreign-key cache) and nobody listens to ``pre_init`` /
    ``post_init`` for the model, the instance is made without running
    ``Model.__init__`` (what costs in ``from_db``); otherwise ``from_db``.
    Values of mutable types (a JSONField's dict) are deep-copied."""

    def __init__(self, model, attnames):
        from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
        from django.db.models.query_utils import DeferredAttribute

        self.model = model
        self.attnames = tuple(attnames)
        plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
        fields = model._meta.concrete_fields
        self.fast = (
            tuple(f.attname for f in fields) == self.attnames
            and all(type(model.__dict__.get(f.attname, None)) in plain or
                    type(_class_attr(model, f.attname)) in plain for f in fields)
        )

    def build(self, values, alias):
        model = self.model
        if (
            not self.fast
            or (signals.pre_init.receivers and signals.pre_init.has_listeners(model))
            or (signals.post_init.receivers and signals.post_init.has_listeners(model))
        ):
            return model.from_db(alias, self.attnames, _copy(values))
        instance = model.__new__(model)
        state = ModelState()
        state.adding = False
        state.db = alias
        instance.__dict__.update(zip(self.attnames, _copy(values)))
        instance._state = state
        return instance


def _class_attr(model, name):
    for klass in model.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _copy(values):
    for value in values:
        if type(value) not in _IMMUTABLE:
            return copy.deepcopy(values)
    return values


class _Model:
    """What is needed to load and rebuild instances of one model."""

    def __init__(self, model):
        self.model = model
        self.attnames = tuple(f.attname for f in model._meta.concrete_fields)
        self.pk_field = model._meta.pk
        # a key part that changes when the model's columns do, so rows cached
        # by a different deploy are never read as this one's
        fingerprint = f"{model._meta.label_lower}:{','.join(self.attnames)}"
        self.fingerprint = _core.hex(_core.digest("sha256", fingerprint.encode()))[:8]
        self.builder = Builder(model, self.attnames)
        self.lookup = None

    def to_pk(self, value):
        """The primary key value as the database returns it, or raise ValueError."""
        try:
            return self.pk_field.to_python(value)
        except ValidationError:
            raise ValueError(value) from None

    def build(self, values, alias):
        return self.builder.build(values, alias)

    def prepared_lookup(self):
        if self.lookup is None:
            from ._lookup import PreparedLookup

            model, attnames = self.model, self.attnames

            def build(pk):
                return model._default_manager.filter(pk=pk).values_list(*attnames)

            self.lookup = PreparedLookup(model, self.pk_field, build)
        return self.lookup


def user_model():
    info = _state.get("model")
    if info is None:
        info = _state["model"] = _Model(get_user_model())
    return info


# ---- keys ------------------------------------------------------------------------------


def _prefix():
    return sesstok_settings.REVOCATION_KEY_PREFIX


def version_key(pk):
    return f"{_prefix()}uv:{pk}"


def user_key(info, pk):
    return f"{_prefix()}u:{info.fingerprint}:{pk}"


def token_key(info, digest):
    return f"{_prefix()}ut:{info.fingerprint}:{digest}"


def _new_version():
    return _core.hex(_core.random_bytes(8))


# ---- the in-process tier -----------------------------------------------------------------


def _local_put(key, entry, size):
    _local.pop(key, None)
    _local[key] = entry
    while len(_local) > size:
        try:
            del _local[next(iter(_local))]
        except (KeyError, RuntimeError, StopIteration):  # raced with another thread
            break


def _local_candidate(key):
    """An unexpired in-process entry (version not yet checked)."""
    entry = _local.get(key)
    if entry is not None and entry.local_until > time.monotonic():
        return entry
    return None


# ---- reading ---------------------------------------------------------------------------------


def _fresh(entry, version, ttl):
    return (
        isinstance(entry, tuple)
        and len(entry) == 3
        and entry[0] == version
        and isinstance(entry[1], float)
        and entry[1] + ttl > time.time()
    )


def _read_version(shared, pk, also=()):
    """(version, values of also) from the shared tier in one read. A missing
    version is created (``add``, so a racing bump wins); if another process
    created it first, the version is None for this request (nothing cached)."""
    vkey = version_key(pk)
    if also:
        got = shared.get_many([vkey, *also])
        version = got.get(vkey)
    else:
        got = {}
        version = shared.get(vkey)
    if version is None:
        version = _new_version()
        if not shared.add(vkey, version, timeout=VERSION_TIMEOUT):
            version = None
    return version, got


def _db_row(info, pk):
    """(the user's row or None, alias) from the database (one prepared query)."""
    try:
        return info.prepared_lookup().get(pk)
    except OverflowError:  # an integer the database cannot hold matches no row
        return None, router.db_for_read(info.model)


def get_user(pk):
    """The user with this primary key (any form ``to_python`` accepts: the
    session's string, a JWT claim), or None if there is none.

    Through the in-process tier, then the shared tier, then one database
    query; with ``USER_CACHE`` off, straight to the (prepared) query."""
    info = user_model()
    try:
        pk = info.to_pk(pk)
    except (ValueError, TypeError):
        return None
    if pk is None:
        return None
    entry = _get_entry(info, pk) if enabled() else None
    if entry is _NO_USER:
        return None
    if entry is not None:
        return info.build(entry.values, entry.extra)
    _stats["db"] += 1
    try:
        row, alias = _db_row(info, pk)
    except (ValueError, TypeError, ValidationError):
        return None
    return None if row is None else info.build(row, alias)


def get_user_entry(pk):
    """(user, entry) for callers that memoize per-entry values (entry may be
    None when the cache is off or was bypassed)."""
    info = user_model()
    try:
        pk = info.to_pk(pk)
    except (ValueError, TypeError):
        return None, None
    if pk is None:
        return None, None
    if enabled():
        entry = _get_entry(info, pk)
        if entry is _NO_USER:
            return None, None
        if entry is not None:
            return info.build(entry.values, entry.extra), entry
    _stats["db"] += 1
    try:
        row, alias = _db_row(info, pk)
    except (ValueError, TypeError, ValidationError):
        return None, None
    return (None if row is None else info.build(row, alias)), None


_NO_USER = object()


def _get_entry(info, pk):
    """The cached entry for pk (from a tier, or read from the database and
    cached); _NO_USER when the database has no such user; None when nothing
    could be cached (the shared tier failed or a version was being created:
    the caller reads the database)."""
    ttl, local_ttl, size = _config()
    key = user_key(info, pk)
    try:
        shared = store()
        candidate = _local_candidate(key) if local_ttl else None
        if candidate is not None:
            version, _ = _read_version(shared, pk)
            if version is not None and candidate.version == version:
                _stats["local"] += 1
                return candidate
            got = {}
        else:
            version, got = _read_version(shared, pk, (key,))
    except Exception:  # the cache backend's connection errors
        logger.warning("user cache: shared tier unavailable; loading the user from the database", exc_info=True)
        return None
    if version is None:
        return None
    stored = got.get(key)
    if _fresh(stored, version, ttl):
        _stats["shared"] += 1
        entry = _Entry(version, stored[2], stored[1], time.monotonic() + local_ttl, router.db_for_read(info.model))
    else:
        _stats["db"] += 1
        row, alias = _db_row(info, pk)
        if row is None:
            return _NO_USER
        loaded_at = time.time()
        entry = _Entry(version, row, loaded_at, time.monotonic() + local_ttl, alias)
        try:
            shared.set(key, (version, loaded_at, row), timeout=max(1, int(ttl)))
        except Exception:
            logger.warning("user cache: could not write the shared tier", exc_info=True)
    if local_ttl:
        entry.local_until = min(entry.local_until, time.monotonic() + (entry.loaded_at + ttl - time.time()))
        _local_put(key, entry, size)
    return entry


async def aget_user(pk):
    """Async :func:`get_user` (cache and database reads in Django's thread)."""
    return await sync_to_async(get_user)(pk)


def get_user_by_field(field, value):
    """The user whose ``field`` equals value: through the cache when field is
    the primary key, else one (uncached) database query."""
    info = user_model()
    if field == "pk" or field == info.pk_field.name or field == info.pk_field.attname:
        return get_user(value)
    model = info.model
    try:
        return model._default_manager.get(**{field: value})
    except (model.DoesNotExist, model.MultipleObjectsReturned, ValueError, TypeError, ValidationError):
        return None


load_user = get_user


# ---- tokens ------------------------------------------------------------------------------


def get_token(digest, peek, load):
    """``(token_values, user_values, alias, entry)`` for a token digest, or None.

    ``peek(digest)`` returns the token's user pk (or None), ``load(digest)``
    ``(token_values, user_values, alias)`` (or None): one query each. On a
    miss both run, with the user's version read in between, so a revocation
    that races the read leaves a copy that is never served. Served only
    while the user's version is unchanged: saving or deleting a token, and
    every revocation of its user, bumps that version. ``entry`` is None when
    nothing was cached."""
    if not enabled():
        loaded = load(digest)
        return None if loaded is None else (*loaded, None)
    info = user_model()
    ttl, local_ttl, size = _config()
    key = token_key(info, digest)
    try:
        shared = store()
        candidate = _local_candidate(key) if local_ttl else None
        if candidate is not None:
            version, _ = _read_version(shared, candidate.extra[0])
            if version is not None and candidate.version == version:
                _stats["local"] += 1
                user_pk, token_values, user_values, alias = candidate.extra
                return token_values, user_values, alias, candidate
        stored = shared.get(key)
        if isinstance(stored, tuple) and len(stored) == 5:
            version, loaded_at, user_pk, token_values, user_values = stored
            current, _ = _read_version(shared, user_pk)
            if current is not None and current == version and loaded_at + ttl > time.time():
                _stats["shared"] += 1
                alias = router.db_for_read(info.model)
                entry = _Entry(version, None, loaded_at, time.monotonic() + local_ttl,
                               (user_pk, token_values, user_values, alias))
                if local_ttl:
                    entry.local_until = min(entry.local_until, time.monotonic() + (loaded_at + ttl - time.time()))
                    _local_put(key, entry, size)
                return token_values, user_values, alias, entry
    except Exception:
        logger.warning("user cache: shared tier unavailable; loading the token from the database", exc_info=True)
        loaded = load(digest)
        return None if loaded is None else (*loaded, None)
    return _load_token(info, key, digest, peek, load, ttl, local_ttl, size)


def _load_token(info, key, digest, peek, load, ttl, local_ttl, size):
    _stats["db"] += 1
    user_pk = peek(digest)
    if user_pk is None:
        return None
    try:
        user_pk = info.to_pk(user_pk)
        version, _ = _read_version(store(), user_pk)
    except Exception:
        logger.warning("user cache: shared tier unavailable; token not cached", exc_info=True)
        version = None
    loaded = load(digest)
    if loaded is None:
        return None
    token_values, user_values, alias = loaded
    pk_index = info.attnames.index(info.pk_field.attname)
    if version is None or user_values[pk_index] != user_pk:
        return token_values, user_values, alias, None
    loaded_at = time.time()
    entry = _Entry(version, None, loaded_at, time.monotonic() + local_ttl, (user_pk, token_values, user_values, alias))
    try:
        store().set(key, (version, loaded_at, user_pk, token_values, user_values), timeout=max(1, int(ttl)))
    except Exception:
        logger.warning("user cache: could not write the shared tier", exc_info=True)
    if local_ttl:
        _local_put(key, entry, size)
    return token_values, user_values, alias, entry


def put_token(digest, entry, token_values):
    """Replace the token values of a cached token (after a ``last_used``
    write), keeping its version and age."""
    if entry is None or not enabled():
        return
    info = user_model()
    ttl, local_ttl, size = _config()
    user_pk, _, user_values, alias = entry.extra
    key = token_key(info, digest)
    remaining = entry.loaded_at + ttl - time.time()
    if remaining <= 1:
        return
    entry.extra = (user_pk, token_values, user_values, alias)
    try:
        store().set(key, (entry.version, entry.loaded_at, user_pk, token_values, user_values), timeout=int(remaining))
    except Exception:
        logger.warning("user cache: could not write the shared tier", exc_info=True)


def forget_token(digest):
    """Drop a token's entries (the version bump already makes them unservable)."""
    if not enabled():
        return
    key = token_key(user_model(), digest)
    _local.pop(key, None)
    try:
        store().delete(key)
    except Exception:
        logger.warning("user cache: could not delete from the shared tier", exc_info=True)


# ---- invalidation ------------------------------------------------------------------------


def _pk_of(user_or_pk):
    pk = getattr(user_or_pk, "pk", user_or_pk)
    if pk is None:
        return None
    try:
        return user_model().to_pk(pk)
    except (ValueError, TypeError):
        return None


def _bump(pk):
    key_prefix = user_key(user_model(), pk)
    _local.pop(key_prefix, None)
    store().set(version_key(pk), _new_version(), timeout=VERSION_TIMEOUT)


def invalidate(user_or_pk):
    """Bump a user's version: every cached copy of the user, and of the
    user's tokens, stops being served in every process from its next
    request. Inside a transaction the bump is repeated on commit (a reader
    that ran between the write and the commit may have cached the old row
    under the first new version). Raises if the shared tier refuses."""
    if not enabled():
        return
    pk = _pk_of(user_or_pk)
    if pk is None:
        return
    _bump(pk)
    using = router.db_for_write(user_model().model)
    if transaction.get_connection(using).in_atomic_block:
        transaction.on_commit(lambda: _bump(pk) if enabled() else None, using=using)


async def ainvalidate(user_or_pk):
    """Async :func:`invalidate`."""
    if enabled():
        await sync_to_async(invalidate)(user_or_pk)


# ---- signals -----------------------------------------------------------------------------


def _user_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    invalidate(instance)


def _token_changed(sender, instance, raw=False, **kwargs):
    if raw or not enabled():
        return
    invalidate(instance.user_id)
    forget_token(instance.digest)


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        invalidate(user)


def _sync_token_signals():
    # Token receivers only while the cache is on: a delete receiver stops
    # Django from bulk-deleting tokens without loading them.
    from .models import AuthToken

    if sesstok_settings.USER_CACHE is not None:
        signals.post_save.connect(_token_changed, sender=AuthToken, dispatch_uid="sesstok.user_cache.token_saved")
        signals.post_delete.connect(_token_changed, sender=AuthToken, dispatch_uid="sesstok.user_cache.token_deleted")
    else:
        signals.post_save.disconnect(sender=AuthToken, dispatch_uid="sesstok.user_cache.token_saved")
        signals.post_delete.disconnect(sender=AuthToken, dispatch_uid="sesstok.user_cache.token_deleted")


def connect_signals():
    """Connected by ``SesstokConfig.ready()``: user save/delete, token
    save/delete and logout bump the user's version (no-ops when the cache is
    off). Password changes are user saves."""
    from django.conf import settings
    from django.contrib.auth.signals import user_logged_out

    user = settings.AUTH_USER_MODEL
    signals.post_save.connect(_user_changed, sender=user, dispatch_uid="sesstok.user_cache.user_saved")
    signals.post_delete.connect(_user_changed, sender=user, dispatch_uid="sesstok.user_cache.user_deleted")
    user_logged_out.connect(_logged_out, dispatch_uid="sesstok.user_cache.logged_out")
    _state_connected.append(True)
    _sync_token_signals()
