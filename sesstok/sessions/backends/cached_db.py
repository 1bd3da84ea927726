"""Write-through cached database sessions on sesstok's C core: a drop-in for
``django.contrib.sessions.backends.cached_db``::

    INSTALLED_APPS = [..., "django.contrib.sessions", "sesstok"]
    SESSION_ENGINE = "sesstok.sessions.backends.cached_db"
"""

from django.contrib.sessions.backends import cached_db as _django

from .base import EpochCheckMixin, FastSessionMixin, SerializerOnce

__all__ = ["SessionStore", "KEY_PREFIX"]

KEY_PREFIX = _django.KEY_PREFIX


class SessionStore(EpochCheckMixin, FastSessionMixin, _django.SessionStore, SerializerOnce):
    """Django's cached_db SessionStore with C-fast encode/decode and keys."""
