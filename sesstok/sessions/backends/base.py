"""What sesstok's session engines share: encoding on the C core, session keys
from the C CSPRNG, and the logout-everywhere check for server-side sessions.

The mixins go in front of Django's own ``SessionStore`` classes; they change
no behaviour other than speed, except the opt-in revocation check.
"""

import logging

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, SessionBase
from django.utils.module_loading import import_string

from sesstok import _core, revocation, signing

__all__ = ["FastSessionMixin", "EpochCheckMixin", "SerializerOnce", "new_session_key", "serializer"]


def new_session_key():
    """32 random characters from [a-z0-9], like Django's get_random_string(32,
    VALID_KEY_CHARS) (unbiased, from the OS CSPRNG), in C."""
    return _core.random_string(32, VALID_KEY_CHARS)


def serializer(path, _cache={}):
    """``import_string(path)``, imported once per value (Django's
    ``SessionBase.__init__`` imports ``SESSION_SERIALIZER`` for every session
    object, i.e. on every request)."""
    try:
        return _cache[path]
    except KeyError:
        _cache.clear()
        value = _cache[path] = import_string(path)
        return value


class SerializerOnce(SessionBase):
    """Goes last in an engine's bases, so that it sits between Django's
    engine class and ``SessionBase`` in the MRO: the engine's own
    ``__init__`` (``self._cache = ...``) still runs, then this one in place
    of ``SessionBase.__init__``, which it mirrors (tests compare the
    attributes both set) with the serializer imported once per value."""

    def __init__(self, session_key=None):
        # mirrors django.contrib.sessions.backends.base.SessionBase.__init__
        self._session_key = session_key
        self.accessed = False
        self.modified = False
        self.serializer = serializer(settings.SESSION_SERIALIZER)


_MISSING = object()


class FastSessionMixin:
    """encode/decode through sesstok.signing and session keys from C."""

    def _get_session(self, no_load=False):
        # mirrors SessionBase._get_session, without the AttributeError every
        # new session object raised on its first access (once per request)
        self.accessed = True
        cache = self.__dict__.get("_session_cache", _MISSING)
        if cache is _MISSING:
            if self.session_key is None or no_load:
                cache = self._session_cache = {}
            else:
                cache = self._session_cache = self.load()
        return cache

    _session = property(_get_session)

    def encode(self, session_dict):
        "Return the given session dictionary serialized and encoded as a string."
        return signing.dumps(session_dict, salt=self.key_salt, serializer=self.serializer, compress=True)

    def decode(self, session_data):
        # mirrors django.contrib.sessions.backends.base.SessionBase.decode
        try:
            return signing.loads(session_data, salt=self.key_salt, serializer=self.serializer)
        except signing.BadSignature:
            logger = logging.getLogger("django.security.SuspiciousSession")
            logger.warning("Session data corrupted")
        except Exception:
            # ValueError, unpickling exceptions: an empty session, as Django does.
            pass
        return {}

    def _get_new_session_key(self):
        "Return session key that isn't being used."
        while True:
            session_key = new_session_key()
            if not self.exists(session_key):
                return session_key

    async def _aget_new_session_key(self):
        while True:
            session_key = new_session_key()
            if not await self.aexists(session_key):
                return session_key


def session_user_and_epoch(data):
    """(user pk, recorded epoch) of a logged-in session's data, else (None, None)."""
    user_pk = data.get(SESSION_KEY) if data else None
    if user_pk is None:
        return None, None
    return user_pk, data.get(revocation.EPOCH_SESSION_KEY, 0)


class EpochCheckMixin:
    """For server-side engines: with SESSION_DENYLIST on, a logged-in session
    whose user logged out everywhere since is deleted on load and reads as a
    missing session. (Server-side sessions need no denylist: flush() deletes
    them.) One read of the revocation store per load of a logged-in session."""

    _sesstok_seen = None  # the user's cached version, read with the revocation check

    def _revoked(self, data):
        user_pk, epoch = session_user_and_epoch(data)
        if user_pk is None:
            return False
        # the user's cached version rides in the same read (user cache on)
        revoked, self._sesstok_seen = revocation.check_with_version(user_pk=user_pk, epoch=epoch)
        return revoked

    async def _arevoked(self, data):
        user_pk, epoch = session_user_and_epoch(data)
        if user_pk is None:
            return False
        revoked, self._sesstok_seen = await revocation.acheck_with_version(user_pk=user_pk, epoch=epoch)
        return revoked

    def load(self):
        data = super().load()
        if data and revocation.session_denylist_enabled() and self._revoked(data):
            self.delete(self.session_key)
            self._session_key = None
            return {}
        return data

    async def aload(self):
        data = await super().aload()
        if data and revocation.session_denylist_enabled() and await self._arevoked(data):
            await self.adelete(self.session_key)
            self._session_key = None
            return {}
        return data
