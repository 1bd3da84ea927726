"""Django's Redis cache backend for sesstok's revocation store: one client
per connection pool, reads from the primary, and a store that lost its data
detected and rebuilt before anything is read from it.

::

    CACHES = {
        "revocation": {
            "BACKEND": "sesstok.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",   # maxmemory-policy noeviction
        },
    }

- Django's ``django.core.cache.backends.redis.RedisCache`` builds a new
  ``redis.Redis`` object for every cache call (``RedisCacheClient.get_client``);
  with redis-py 5+ that costs more than the round trip to a local Redis. This
  subclass keeps one client per connection pool. Django's cache handler
  gives each thread (and each async context) its own cache object, and
  redis-py clients are thread-safe anyway, so nothing is shared that was not
  before.
- With several ``LOCATION``\\ s Django writes to the first (the primary) and
  reads from a random other one (a replica): a revocation just written can
  be read as absent from a lagging replica. This backend reads from the
  primary too, unless ``"OPTIONS": {"REPLICA_READS": True}``; behind Redis
  Sentinel or a managed primary/replica pair, point ``LOCATION`` at the
  primary's address (the one that follows failovers).
- Used as ``SESSTOK["REVOCATION_CACHE"]``, every ``get_many`` (each
  revocation check is one) also reads a generation key, in the same
  ``MGET``. Missing means the store lost its data (a restart without
  persistence, a ``FLUSHDB``, a failover to an empty replica): the denylist
  is rebuilt from the database (:mod:`sesstok.denylist`) before the read is
  answered, so nothing revoked comes back to life.

- Keys are not checked for memcached's limits (Redis has none that matter).

Everything else (key format, serializer, options, pools) is Django's.
"""

import time

from django.conf import settings
from django.core.cache.backends import redis as _django

__all__ = ["RedisCache", "RedisCacheClient", "GENERATION_KEY", "reads_replicas"]

GENERATION_KEY = "sst-generation"  # (prefixed like any key)


class RedisCacheClient(_django.RedisCacheClient):
    def __init__(self, servers, replica_reads=False, **options):
        super().__init__(servers, **options)
        self._clients = {}
        self._replica_reads = replica_reads

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write or not self._replica_reads)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(_django.RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` reusing its clients,
    reading from the primary, rebuilding a revocation store that lost its data."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        replica_reads = bool(options.pop("REPLICA_READS", False))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = RedisCacheClient
        self._options = {**options, "replica_reads": replica_reads}
        self._location = server
        self._params = params

    def validate_key(self, key):
        """No memcached-portability warnings (``CacheKeyWarning`` for keys over
        250 characters or with control characters): Redis takes any key, and a
        hostile ``jti`` would raise one on every request."""

    def _is_revocation_store(self):
        from .conf import sesstok_settings

        conf = settings.CACHES.get(sesstok_settings.REVOCATION_CACHE) if sesstok_settings.REVOCATION_CACHE else None
        return (
            conf is not None
            and conf.get("LOCATION") == self._location
            and conf.get("KEY_PREFIX", "") == self._params.get("KEY_PREFIX", "")
            and conf.get("VERSION", 1) == self._params.get("VERSION", 1)
            and conf.get("BACKEND", "").rsplit(".", 1)[-1] == type(self).__name__
        )

    def get_many(self, keys, version=None):
        if not self._is_revocation_store():
            return super().get_many(keys, version=version)
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        marker = self.make_and_validate_key(GENERATION_KEY, version=1)
        ret = self._cache.get_many([*key_map, marker])
        if marker not in ret:
            self.rebuild()
            ret = self._cache.get_many(list(key_map))
        ret.pop(marker, None)
        return {key_map[k]: v for k, v in ret.items()}

    def rebuild(self):
        """Write the database's denylist back, then the generation key."""
        from . import denylist

        denylist.rebuild(self)
        self.set(GENERATION_KEY, repr(time.time()), timeout=None, version=1)


def reads_replicas(alias):
    """Whether the cache alias may answer a read from a replica (Django's
    RedisCache with several LOCATIONs, or this one with REPLICA_READS): such
    an alias must not be the revocation store."""
    conf = settings.CACHES.get(alias) or {}
    location = conf.get("LOCATION") or ""
    servers = (
        location
        if isinstance(location, (list, tuple))
        else [s for s in str(location).replace(";", ",").split(",") if s]
    )
    if len(servers) < 2 or "redis" not in conf.get("BACKEND", "").lower():
        return False
    if conf.get("BACKEND") == "sesstok.cache.RedisCache":
        return bool((conf.get("OPTIONS") or {}).get("REPLICA_READS"))
    return True
