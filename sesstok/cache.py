"""Django's Redis cache backend, minus a per-call client construction.

Django's ``django.core.cache.backends.redis.RedisCache`` builds a new
``redis.Redis`` object for every cache call (``RedisCacheClient.get_client``);
with redis-py 5+ that costs more than the round trip to a local Redis. This
subclass keeps one client per connection pool. Django's cache handler gives
each thread (and each async context) its own cache object, and redis-py
clients are thread-safe anyway, so nothing is shared that was not before.
Everything else (key format, serializer, options, pools) is Django's::

    CACHES = {
        "revocation": {
            "BACKEND": "sesstok.cache.RedisCache",   # or Django's own
            "LOCATION": "redis://127.0.0.1:6379/1",
        },
    }
"""

from django.core.cache.backends import redis as _django

__all__ = ["RedisCache", "RedisCacheClient"]


class RedisCacheClient(_django.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(_django.RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` reusing its clients."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
