"""Cache sessions with session keys from the C core: a drop-in for
``django.contrib.sessions.backends.cache`` (same cache keys, same data)::

    SESSION_ENGINE = "sesstok.sessions.backends.cache"
    SESSION_CACHE_ALIAS = "sessions"   # shared by all workers: Redis

A system check refuses a process-local or non-storing cache here when
``DEBUG`` is off.
"""

from django.contrib.sessions.backends import cache as _django

from .base import EpochCheckMixin, FastSessionMixin, SerializerOnce

__all__ = ["SessionStore", "KEY_PREFIX"]

KEY_PREFIX = _django.KEY_PREFIX


class SessionStore(EpochCheckMixin, FastSessionMixin, _django.SessionStore, SerializerOnce):
    """Django's cache SessionStore with session keys from C."""
