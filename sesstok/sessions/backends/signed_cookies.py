"""Signed-cookie sessions on sesstok's C core, optionally revocable.

A drop-in for ``django.contrib.sessions.backends.signed_cookies``: the
cookie format is Django's (same salt, serializer, compression), so cookies
written by either engine are read by the other::

    SESSION_ENGINE = "sesstok.sessions.backends.signed_cookies"

Django's signed-cookie sessions cannot be revoked: a copied cookie works
until it expires, even after logout. With a revocation store they can
(opt-in, since it adds one read of a shared store per request)::

    SESSTOK = {"REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True}

- New cookies carry a random session id (128 bits, kept in the signed data
  under ``_sesstok_sid`` and hidden from the session's own keys).
- ``flush()`` (so ``logout()``) and ``cycle_key()`` put that id, or for a
  cookie that carries none (one Django wrote) the SHA-256 of the cookie
  value, on the denylist until the cookie would have expired anyway.
- A logged-in session records the user's logout epoch at login;
  ``sesstok.revocation.logout_everywhere(user)`` bumps it.
- Loading a cookie reads the denylist entry and the epoch in one ``MGET``;
  a revoked cookie loads as a new, empty session, as a tampered one does.
"""

import time

from django.conf import settings
from django.contrib.sessions.backends import signed_cookies as _django

from sesstok import _core, revocation, signing

from .base import FastSessionMixin, serializer as _serializer, session_user_and_epoch

__all__ = ["SessionStore", "SESSION_ID_KEY"]

SALT = "django.contrib.sessions.backends.signed_cookies"
SESSION_ID_KEY = "_sesstok_sid"
_loads = signing.loads
_dumps = signing.dumps


class SessionStore(FastSessionMixin, _django.SessionStore):
    """Django's signed-cookie SessionStore on the C core, revocable on request.
    Keep the name: Django derives salts from it."""

    _sesstok_sid = None
    _sesstok_seen = None  # the user's cached version, read with the revocation check

    def __init__(self, session_key=None):
        # mirrors SessionBase.__init__ (tests compare the attributes both set),
        # with SESSION_SERIALIZER imported once per value instead of per request
        self._session_key = session_key
        self.accessed = False
        self.modified = False
        self.serializer = _serializer(settings.SESSION_SERIALIZER)

    # -- reading ---------------------------------------------------------------

    def _unsign(self, value):
        data = signing.loads(
            value,
            serializer=self.serializer,
            # This doesn't handle non-default expiry dates, see #19201 (as Django)
            max_age=self.get_session_cookie_age(),
            salt=SALT,
        )
        if type(data) is not dict:
            raise ValueError("session data is not a dict")
        return data

    def _denylist_keys(self, sid):
        if sid is not None:
            return (revocation.session_id_key(sid),)
        return (revocation.cookie_key(self.session_key),)

    def load(self):
        # the hot path, kept flat: _unsign() inlined
        try:
            data = _loads(
                self.session_key,
                serializer=self.serializer,
                max_age=self.get_session_cookie_age(),  # not per-session expiry: #19201, as Django
                salt=SALT,
            )
        except Exception:
            # BadSignature, ValueError, or unpickling exceptions: reset (as Django).
            self.create()
            return {}
        if type(data) is not dict:
            self.create()
            return {}
        sid = data.pop(SESSION_ID_KEY, None)
        if revocation.session_denylist_enabled():
            user_pk, epoch = session_user_and_epoch(data)
            # the user's cached version rides in the same read (user cache on)
            revoked, self._sesstok_seen = revocation.check_with_version(self._denylist_keys(sid), user_pk, epoch)
            if revoked:
                self.create()
                return {}
        self._sesstok_sid = sid
        return data

    async def aload(self):
        try:
            data = self._unsign(self.session_key)
        except Exception:
            self.create()
            return {}
        sid = data.pop(SESSION_ID_KEY, None)
        if revocation.session_denylist_enabled():
            user_pk, epoch = session_user_and_epoch(data)
            revoked, self._sesstok_seen = await revocation.acheck_with_version(
                self._denylist_keys(sid), user_pk, epoch
            )
            if revoked:
                self.create()
                return {}
        self._sesstok_sid = sid
        return data

    # -- writing ---------------------------------------------------------------

    def _get_session_key(self):
        # Not the session_key property's getter (that one is SessionBase's):
        # Django's signed_cookies calls this to produce the cookie value.
        data = self._session
        if revocation.session_denylist_enabled():
            if self._sesstok_sid is None:
                self._sesstok_sid = _core.token_urlsafe(16)
            data = dict(data)
            data[SESSION_ID_KEY] = self._sesstok_sid
        return _dumps(data, compress=True, salt=SALT, serializer=self.serializer)

    # -- revoking --------------------------------------------------------------

    def _denial(self, value):
        """(denylist key, seconds left) for a cookie value, or None if it is
        not a valid cookie (nothing to revoke)."""
        if not value:
            return None
        try:
            data = self._unsign(value)
            timestamp = signing.b62_decode(value.rsplit(":", 2)[-2])
        except Exception:
            return None
        sid = data.get(SESSION_ID_KEY)
        key = revocation.session_id_key(sid) if sid is not None else revocation.cookie_key(value)
        # +1: TimestampSigner accepts an age equal to max_age
        return key, timestamp + self.get_session_cookie_age() - time.time() + 1

    def _revoke(self, value):
        if revocation.session_denylist_enabled():
            denial = self._denial(value)
            if denial is not None:
                revocation.deny(*denial)

    async def _arevoke(self, value):
        if revocation.session_denylist_enabled():
            denial = self._denial(value)
            if denial is not None:
                await revocation.adeny(*denial)

    def delete(self, session_key=None):
        """Clear the session (as Django) and, with SESSION_DENYLIST, deny the
        cookie: the current one, or the cookie value passed as session_key."""
        self._revoke(self.session_key if session_key is None else session_key)
        if session_key is None or session_key == self.session_key:
            self._sesstok_sid = None
        super().delete(session_key)

    async def adelete(self, session_key=None):
        await self._arevoke(self.session_key if session_key is None else session_key)
        if session_key is None or session_key == self.session_key:
            self._sesstok_sid = None
        return super().delete(session_key)

    def cycle_key(self):
        """Keep the data under a new cookie; with SESSION_DENYLIST the old
        cookie (and the session id it carried) is denied."""
        data = self._session
        old = self.session_key
        self._revoke(old)
        self._sesstok_sid = None
        self._session_cache = data
        self.save()

    async def acycle_key(self):
        data = await self._aget_session()
        old = self.session_key
        await self._arevoke(old)
        self._sesstok_sid = None
        self._session_cache = data
        self.save()
