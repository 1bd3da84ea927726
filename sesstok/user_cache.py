"""Per-request user cache: load the authenticated user without the ORM.

Off by default. On with a cache alias for the shared tier::

    CACHES = {
        "default": {...},
        "users": {"BACKEND": "sesstok.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/2"},
    }
    SESSTOK = {
        "USER_CACHE": "users",         # the shared tier (Redis in production)
        "USER_CACHE_TTL": 60,          # seconds; bounds staleness of writes that bypass signals
        "USER_CACHE_LOCAL_TTL": 2,     # seconds an in-process entry is served unchecked; 0: tier off
        "USER_CACHE_LOCAL_SIZE": 1024, # entries in the in-process tier
    }

What is cached: the user's row (every concrete field, as the ORM converted
it) by primary key, and an opaque token's row with its user by the token's
SHA-256 digest. Instances are built fresh for each request (nothing is
shared between requests).

**Versions.** Every user has a version: 64 random bits, replaced ("bumped")
on the user's save or delete (so on a password change, a deactivation,
``last_login``), on every token save or delete (revocation, expiry,
logout-everywhere) and by :func:`invalidate`, which ``sesstok.revocation``
calls on every logout, logout-everywhere and epoch bump. Versions live in
the revocation store when ``SESSTOK["REVOCATION_CACHE"]`` is set (so a
revocation check reads the version in the same ``MGET``), else in the
shared tier. Every entry, in either tier, is stored with the version
current when its row was read, and is served only while that is still the
user's version. A bump inside a transaction is done at once and again when
it commits, so a reader that raced the uncommitted write cannot keep its
stale copy.

**What each tier may serve, and for how long** (the staleness contract):

- A bump drops this process's in-process copies at once: a change made in
  this process is seen by its next request.
- With revocation checks on (``REVOCATION_CACHE`` set and
  ``SESSION_DENYLIST`` or ``JWT_DENYLIST`` on), every request checks the
  user's version: a request that reads the revocation store anyway (a
  session or a JWT being checked) gets it in that same read; any other
  (opaque tokens, sessions not checked) reads it once. A change made by any
  process is seen by the next request everywhere.
- With revocation checks off, an in-process entry is served without reading
  anything for up to ``USER_CACHE_LOCAL_TTL`` seconds (default 2) after its
  version was last read from the store; then the version is read again (one
  read) and, if unchanged, the entry is served for another such period. A
  change made by another process is seen within ``USER_CACHE_LOCAL_TTL``.
- No entry, in either tier, is served more than ``USER_CACHE_TTL`` seconds
  (default 60) after its row was read from the database. That bounds writes
  that bypass the signals (``QuerySet.update()``, raw SQL, another
  application writing the table): they bump nothing. Call
  :func:`invalidate` after such a write to make it immediate.

If the shared tier or the version store cannot be read, users are loaded
from the database (correct, just slower). If a bump cannot be written, the
error propagates: a revocation never fails silently.
"""

import copy
import datetime
import decimal
import logging
import threading
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
    "checks_on",
    "get_user",
    "aget_user",
    "get_user_entry",
    "get_user_by_field",
    "load_user",
    "get_token",
    "put_token",
    "probe",
    "invalidate",
    "ainvalidate",
    "clear_local",
    "stats",
]

logger = logging.getLogger("sesstok.user_cache")

# A missing version is re-created at random (which only invalidates the
# user's entries), so any timeout is safe; versions may live in the
# revocation store, which never evicts, so they expire on their own.
VERSION_TIMEOUT = 24 * 3600

_state = {}
_local = {}  # key -> _Entry; insertion order is age (oldest first)
# pk -> (version, monotonic deadline): the version this process may trust
# for the user, without reading the store, until the deadline (revocation
# checks off only). Entries of the user are served only under it.
_leases = {}
# Changes whenever this process drops leases or entries (a bump, a settings
# change): a reader that read a version before such a drop installs nothing.
_generation = [0]
_lock = threading.Lock()
_stats = {"local": 0, "shared": 0, "db": 0}


class _Entry:
    """One cached row: the version it was read under, the values in
    ``attnames`` order, when it was read from the database (wall clock) and
    until when the in-process tier may hold it (monotonic clock: never past
    ``USER_CACHE_TTL`` after the database read)."""

    __slots__ = ("version", "values", "loaded_at", "expires", "extra", "memo", "immutable")

    def __init__(self, version, values, loaded_at, extra=None):
        self.version = version
        self.values = values
        self.loaded_at = loaded_at
        self.expires = None  # set when put in the in-process tier
        self.extra = extra
        self.memo = None  # per-entry derived values (e.g. the session auth hash)
        # whether the values need no copy per request: a user entry's values,
        # or a token entry's (token values, user values)
        if values is not None:
            self.immutable = immutable(values)
        else:
            self.immutable = (immutable(extra[1]), immutable(extra[2]))


def _drop_all():
    with _lock:
        _generation[0] += 1
        _local.clear()
        _leases.clear()


@sesstok_settings.on_change
def _forget():
    _state.clear()
    _drop_all()
    if _state_connected:
        _sync_token_signals()


_state_connected = []  # non-empty once connect_signals() ran


def clear_local():
    """Empty this process's in-process tier (tests, or after bulk writes)."""
    _drop_all()


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


def checks_on():
    """Whether revocation checks are on (``REVOCATION_CACHE`` set and a
    denylist on): then every request validates its user against the
    version in the store, and no in-process tier delays a revocation."""
    return _config()[3]


def _config():
    """(ttl, local_ttl, local size, revocation checks on, versions in the shared tier's alias)."""
    config = _state.get("config")
    if config is None:
        ttl = seconds(sesstok_settings.USER_CACHE_TTL) or 0
        local_ttl = min(seconds(sesstok_settings.USER_CACHE_LOCAL_TTL) or 0, ttl)
        size = sesstok_settings.USER_CACHE_LOCAL_SIZE or 0
        revocation = sesstok_settings.REVOCATION_CACHE
        strict = revocation is not None and bool(sesstok_settings.SESSION_DENYLIST or sesstok_settings.JWT_DENYLIST)
        same = revocation is None or revocation == sesstok_settings.USER_CACHE
        config = _state["config"] = (ttl, local_ttl if size > 0 else 0, size, strict, same)
    return config


def store():
    """The shared tier's cache object (Django gives each thread its own)."""
    return caches[sesstok_settings.USER_CACHE]


def version_alias():
    """The alias holding the versions: the revocation store when there is
    one (a revocation check reads the version in its own ``MGET``), else the
    shared tier."""
    return sesstok_settings.REVOCATION_CACHE or sesstok_settings.USER_CACHE


def version_store():
    return caches[version_alias()]


# ---- the user model --------------------------------------------------------------------


_IMMUTABLE = (
    type(None),
    bool,
    int,
    float,
    str,
    bytes,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    decimal.Decimal,
    uuid.UUID,
)


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
        self.fast = tuple(f.attname for f in fields) == self.attnames and all(
            type(model.__dict__.get(f.attname, None)) in plain or type(_class_attr(model, f.attname)) in plain
            for f in fields
        )

    def build(self, values, alias, immutable=None):
        """An instance from values; ``immutable``: whether every value is of
        an immutable type, if known (a cached entry knows), else checked."""
        model = self.model
        if (
            not self.fast
            or (signals.pre_init.receivers and signals.pre_init.has_listeners(model))
            or (signals.post_init.receivers and signals.post_init.has_listeners(model))
        ):
            return model.from_db(alias, self.attnames, _copy(values, immutable))
        instance = model.__new__(model)
        state = ModelState()
        state.adding = False
        state.db = alias
        instance.__dict__.update(zip(self.attnames, _copy(values, immutable)))
        instance._state = state
        return instance


def _class_attr(model, name):
    for klass in model.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def immutable(values):
    """Whether every value is of an immutable type (shared between requests as is)."""
    for value in values:
        if type(value) not in _IMMUTABLE:
            return False
    return True


def _copy(values, known=None):
    if known is None:
        known = immutable(values)
    return values if known else copy.deepcopy(values)


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

    def build(self, values, alias, immutable=None):
        return self.builder.build(values, alias, immutable)

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


def _bounded_put(table, key, value, size):
    table.pop(key, None)
    table[key] = value
    while len(table) > size:
        try:
            del table[next(iter(table))]
        except (KeyError, RuntimeError, StopIteration):  # raced with another thread
            break


def _local_alive(key, now):
    """An in-process entry not past its deadline (version not checked)."""
    entry = _local.get(key)
    if entry is not None and entry.expires > now:
        return entry
    return None


def _leased(pk, entry, now):
    """Whether entry may be served without reading the version: its user's
    lease is current and names the entry's version."""
    lease = _leases.get(pk)
    return lease is not None and lease[1] > now and lease[0] == entry.version


def _keep(key, entry, pk, version, generation, lease):
    """Put entry (if any) in the in-process tier and, if lease, trust version
    for pk for USER_CACHE_LOCAL_TTL: unless this process dropped something
    since generation was taken (before the version was read), in which case
    the version may already be stale and nothing is kept."""
    ttl, local_ttl, size, strict, _ = _config()
    if not local_ttl:
        return
    now = time.monotonic()
    with _lock:
        if _generation[0] != generation:
            return
        if entry is not None:
            if entry.expires is None:
                entry.expires = now + (entry.loaded_at + ttl - time.time())
            _bounded_put(_local, key, entry, size)
        if lease and not strict:
            _bounded_put(_leases, pk, (version, now + local_ttl), size)


# ---- reading ---------------------------------------------------------------------------------


def _fresh(entry, version, ttl):
    return (
        isinstance(entry, tuple)
        and len(entry) == 3
        and entry[0] == version
        and isinstance(entry[1], float)
        and entry[1] + ttl > time.time()
    )


def _read_version(pk, also=None):
    """(version, value of the shared-tier key ``also``) in one read when the
    versions live in the shared tier's alias (else ``also`` is not read and
    its value is None). A missing version is created (``add``, so a racing
    bump wins); if another process created it first, the version is None
    for this request (nothing cached)."""
    vkey = version_key(pk)
    vstore = version_store()
    value = None
    if also is not None and _config()[4]:
        got = vstore.get_many([vkey, also])
        version, value = got.get(vkey), got.get(also)
    else:
        version = vstore.get(vkey)
    if version is None:
        version = _new_version()
        if not vstore.add(vkey, version, timeout=VERSION_TIMEOUT):
            version = None
    return version, value


class Probe:
    """A user's version, read from the revocation store by the revocation
    check in its own ``MGET`` (:func:`probe`), for the user load of the same
    request (``get_user(pk, seen=probe)``)."""

    __slots__ = ("pk", "key", "generation", "version")

    def __init__(self, pk, key, generation):
        self.pk = pk
        self.key = key
        self.generation = generation
        self.version = None  # filled in from the read

    def usable_for(self, pk):
        # read for this user, present in the store, and nothing dropped in
        # this process since (a bump in this process after the read wins)
        return self.pk == pk and self.version is not None and self.generation == _generation[0]


def probe(user_pk, alias):
    """A :class:`Probe` for a revocation check about to read the store
    ``alias``: its ``key`` is the user's version key, to read in the same
    ``MGET``, and the value read goes in its ``version``. None when the
    cache is off, the versions live elsewhere, or user_pk is no primary key."""
    if not enabled() or alias != version_alias():
        return None
    info = user_model()
    try:
        pk = info.to_pk(user_pk)
    except (ValueError, TypeError):
        return None
    if pk is None:
        return None
    return Probe(pk, version_key(pk), _generation[0])


def _db_row(info, pk):
    """(the user's row or None, alias) from the database (one prepared query)."""
    try:
        return info.prepared_lookup().get(pk)
    except OverflowError:  # an integer the database cannot hold matches no row
        return None, router.db_for_read(info.model)


def get_user(pk, *, seen=None):
    """The user with this primary key (any form ``to_python`` accepts: the
    session's string, a JWT claim), or None if there is none.

    Through the in-process tier, then the shared tier, then one database
    query; with ``USER_CACHE`` off, straight to the (prepared) query.
    ``seen``: the user's version as the revocation check of this request
    read it (:func:`probe`), so that no second read is needed."""
    return get_user_entry(pk, seen=seen)[0]


def get_user_entry(pk, *, seen=None):
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
        entry = _get_entry(info, pk, seen)
        if entry is _NO_USER:
            return None, None
        if entry is not None:
            return info.build(entry.values, entry.extra, entry.immutable), entry
    _stats["db"] += 1
    try:
        row, alias = _db_row(info, pk)
    except (ValueError, TypeError, ValidationError):
        return None, None
    return (None if row is None else info.build(row, alias)), None


_NO_USER = object()


def _get_entry(info, pk, seen=None):
    """The cached entry for pk (from a tier, or read from the database and
    cached); _NO_USER when the database has no such user; None when nothing
    could be cached (the store failed or a version was being created: the
    caller reads the database)."""
    ttl, local_ttl, size, strict, same = _config()
    key = user_key(info, pk)
    candidate = None
    if local_ttl:
        now = time.monotonic()
        candidate = _local_alive(key, now)
        if candidate is not None and not strict and _leased(pk, candidate, now):
            _stats["local"] += 1
            return candidate
    try:
        stored = _MISSING
        if seen is not None and seen.usable_for(pk):
            version, generation = seen.version, seen.generation
        else:
            generation = _generation[0]
            if candidate is None and same:
                version, stored = _read_version(pk, key)  # one MGET: version and row
            else:
                version, _ = _read_version(pk)
        if version is None:
            return None
        if candidate is not None and candidate.version == version:
            _stats["local"] += 1
            _keep(key, None, pk, version, generation, lease=True)
            return candidate
        if stored is _MISSING:
            stored = store().get(key)
    except Exception:  # the cache backend's connection errors
        logger.warning("user cache: shared tier unavailable; loading the user from the database", exc_info=True)
        return None
    if _fresh(stored, version, ttl):
        _stats["shared"] += 1
        entry = _Entry(version, stored[2], stored[1], router.db_for_read(info.model))
    else:
        _stats["db"] += 1
        row, alias = _db_row(info, pk)
        if row is None:
            return _NO_USER
        entry = _Entry(version, row, time.time(), alias)
        try:
            store().set(key, (version, entry.loaded_at, row), timeout=max(1, int(ttl)))
        except Exception:
            logger.warning("user cache: could not write the shared tier", exc_info=True)
    _keep(key, entry, pk, version, generation, lease=True)
    return entry


_MISSING = object()


async def aget_user(pk, *, seen=None):
    """Async :func:`get_user` (cache and database reads in Django's thread)."""
    return await sync_to_async(get_user)(pk, seen=seen)


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
    every revocation of its user, bumps that version; with revocation checks
    on, the version is read on every request (one read). ``entry`` is None
    when nothing was cached."""
    if not enabled():
        loaded = load(digest)
        return None if loaded is None else (*loaded, None)
    info = user_model()
    ttl, local_ttl, size, strict, _ = _config()
    key = token_key(info, digest)
    candidate = None
    if local_ttl:
        now = time.monotonic()
        candidate = _local_alive(key, now)
        if candidate is not None and not strict and _leased(candidate.extra[0], candidate, now):
            _stats["local"] += 1
            return (*candidate.extra[1:], candidate)
    known = None
    try:
        if candidate is not None:
            user_pk = candidate.extra[0]
            generation = _generation[0]
            version, _ = _read_version(user_pk)
            if version is not None and candidate.version == version:
                _stats["local"] += 1
                _keep(key, None, user_pk, version, generation, lease=True)
                return (*candidate.extra[1:], candidate)
            known = (user_pk, version, generation)
        stored = store().get(key)
        if isinstance(stored, tuple) and len(stored) == 5:
            version, loaded_at, user_pk, token_values, user_values = stored
            if known is not None and known[0] == user_pk:
                _, current, generation = known
            else:
                generation = _generation[0]
                current, _ = _read_version(user_pk)
            if current is not None and current == version and loaded_at + ttl > time.time():
                _stats["shared"] += 1
                alias = router.db_for_read(info.model)
                entry = _Entry(version, None, loaded_at, (user_pk, token_values, user_values, alias))
                _keep(key, entry, user_pk, version, generation, lease=True)
                return token_values, user_values, alias, entry
    except Exception:
        logger.warning("user cache: shared tier unavailable; loading the token from the database", exc_info=True)
        loaded = load(digest)
        return None if loaded is None else (*loaded, None)
    return _load_token(info, key, digest, peek, load, ttl)


def _load_token(info, key, digest, peek, load, ttl):
    _stats["db"] += 1
    user_pk = peek(digest)
    if user_pk is None:
        return None
    generation = _generation[0]
    try:
        user_pk = info.to_pk(user_pk)
        version, _ = _read_version(user_pk)
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
    entry = _Entry(version, None, time.time(), (user_pk, token_values, user_values, alias))
    try:
        store().set(key, (version, entry.loaded_at, user_pk, token_values, user_values), timeout=max(1, int(ttl)))
    except Exception:
        logger.warning("user cache: could not write the shared tier", exc_info=True)
    _keep(key, entry, user_pk, version, generation, lease=True)
    return token_values, user_values, alias, entry


def put_token(digest, entry, token_values):
    """Replace the token values of a cached token (after a ``last_used``
    write), keeping its version and age."""
    if entry is None or not enabled():
        return
    info = user_model()
    ttl = _config()[0]
    user_pk, _, user_values, alias = entry.extra
    key = token_key(info, digest)
    remaining = entry.loaded_at + ttl - time.time()
    if remaining <= 1:
        return
    entry.extra = (user_pk, token_values, user_values, alias)
    entry.immutable = (immutable(token_values), entry.immutable[1])
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
    # the store first, then this process's copies: a reader of this process
    # that read the old version before the drop keeps nothing (generation)
    version_store().set(version_key(pk), _new_version(), timeout=VERSION_TIMEOUT)
    key = user_key(user_model(), pk)
    with _lock:
        _generation[0] += 1
        _leases.pop(pk, None)
        _local.pop(key, None)


def invalidate(user_or_pk):
    """Bump a user's version: every cached copy of the user, and of the
    user's tokens, stops being served: in this process at once, elsewhere
    from the next request with revocation checks on, else within
    ``USER_CACHE_LOCAL_TTL``. Inside a transaction the bump is repeated on
    commit (a reader that ran between the write and the commit may have
    cached the old row under the first new version). Raises if the store
    refuses."""
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
