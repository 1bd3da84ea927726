"""Database sessions on sesstok's C core: a drop-in for
``django.contrib.sessions.backends.db`` (same table, same encoding)::

    INSTALLED_APPS = [..., "django.contrib.sessions", "sesstok"]
    SESSION_ENGINE = "sesstok.sessions.backends.db"
"""

from django.contrib.sessions.backends import db as _django

from .base import EpochCheckMixin, FastSessionMixin, SerializerOnce

__all__ = ["SessionStore"]


class SessionStore(EpochCheckMixin, FastSessionMixin, _django.SessionStore, SerializerOnce):
    """Django's database SessionStore with C-fast encode/decode and keys.
    Keep the name: the session data's salt derives from it."""
