"""Denylist entries in the database, so that a store which lost its data
does not un-revoke anything.

``sesstok.revocation.deny`` records each entry here (``DeniedKey``: the
cache key and when it expires) before writing it to the revocation store;
the store stays the only thing read per request. When the store comes back
empty (a restart without persistence, a ``FLUSHDB``, a failover to an empty
replica), :func:`rebuild` writes the entries that have not expired back.
``sesstok.cache.RedisCache`` detects that by itself (a generation key read
in the same ``MGET`` as every check) and rebuilds before answering; with
another backend run ``manage.py sesstok_denylist rebuild`` after a reset.
Expired rows are useless: ``manage.py sesstok_denylist purge`` deletes them.
"""

import math
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import _core

__all__ = ["record", "put", "rebuild", "purge"]

BATCH = 1000


def _encode(key):
    return key.encode("utf-8", "surrogatepass")


def _digest(key):
    return _core.hex(_core.digest("sha256", _encode(key)))


def record(key, ttl, value=None):
    """Keep key in the database for ttl seconds (rounded up): denied, or
    holding value (a float, e.g. a cutoff time). An existing entry is only
    ever extended, and its value only ever raised."""
    from .models import DeniedKey

    expires = timezone.now() + timedelta(seconds=math.ceil(ttl))
    with transaction.atomic():
        row, created = DeniedKey.objects.select_for_update().get_or_create(
            digest=_digest(key), defaults={"key": _encode(key), "expires_at": expires, "value": value}
        )
        if created:
            return value
        changed = []
        if row.expires_at < expires:
            row.expires_at = expires
            changed.append("expires_at")
        if value is not None and (row.value is None or row.value < value):
            row.value = value
            changed.append("value")
        if changed:
            row.save(update_fields=changed)
    return row.value


def put(store, key, value, ttl):
    """Set key to value (a float) for ttl seconds, in the database first,
    then in store (a value never goes backwards)."""
    value = record(key, ttl, value)
    store.set(key, value, timeout=math.ceil(ttl))


def rebuild(cache):
    """Write every unexpired entry back to cache; return how many."""
    from .models import DeniedKey

    now = timezone.now()
    count = 0
    rows = DeniedKey.objects.filter(expires_at__gt=now).values_list("key", "expires_at", "value").order_by("pk")
    for key, expires, value in rows.iterator(chunk_size=BATCH):
        cache.set(
            bytes(key).decode("utf-8", "surrogatepass"),
            1 if value is None else value,
            timeout=max(1, math.ceil((expires - now).total_seconds())),
        )
        count += 1
    return count


def purge(now=None):
    """Delete expired entries; return how many."""
    from .models import DeniedKey

    return DeniedKey.objects.filter(expires_at__lte=now or timezone.now()).delete()[0]
