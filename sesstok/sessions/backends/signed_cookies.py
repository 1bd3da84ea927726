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
- A cookie without an id that is loaded and saved again gets an id; the
  digest of the id-less value it replaced rides along (``_sesstok_prev``)
  and is denied with it at logout.
- Logging out a logged-in session also records a per-user cutoff: id-less
  cookies of that user signed before it (copies the server never saw) are
  refused. They cost one more read of the store per load (cookies sesstok
  writes always carry an id).
- A logged-in session records the user's logout epoch at login;
  ``sesstok.revocation.logout_everywhere(user)`` bumps it.
- Loading a cookie reads the denylist entry and the epoch in one ``MGET``;
  a revoked cookie loads as a new, empty session, as a tampered one does.
"""

import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import signed_cookies as _django

from sesstok import _core, denylist, revocation, signing
from sesstok.conf import sesstok_settings

from .base import FastSessionMixin, serializer as _serializer, session_user_and_epoch

__all__ = ["SessionStore", "SESSION_ID_KEY"]

SALT = "django.contrib.sessions.backends.signed_cookies"
SESSION_ID_KEY = "_sesstok_sid"
PREVIOUS_KEY = "_sesstok_prev"  # digest of the id-less cookie value this session replaced
_loads = signing.loads
_dumps = signing.dumps


def _digest(value):
    return _core.b64url_encode(_core.digest("sha256", value.encode())).decode()


def _digest_key(digest):
    """The denylist key of an id-less cookie by its digest (as revocation.cookie_key)."""
    return revocation._key("c", digest)


def _cutoff_key(user_pk):
    return f"{sesstok_settings.REVOCATION_KEY_PREFIX}cu:{user_pk}"


def _signed_at(value):
    """The signing time of a cookie value (TimestampSigner's, in seconds)."""
    return signing.b62_decode(value.rsplit(":", 2)[-2])


class SessionStore(FastSessionMixin, _django.SessionStore):
    """Django's signed-cookie SessionStore on the C core, revocable on request.
    Keep the name: Django derives salts from it."""

    _sesstok_sid = None
    _sesstok_prev = None
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

    def _denylist_keys(self, sid, prev=None):
        if sid is not None:
            keys = (revocation.session_id_key(sid),)
            return keys if prev is None else (*keys, _digest_key(prev))
        return (revocation.cookie_key(self.session_key),)

    def _before_cutoff(self, user_pk):
        """An id-less cookie of a user who logged out since it was signed."""
        try:
            cutoff = revocation.store().get(_cutoff_key(user_pk))
        except Exception as e:
            raise revocation.RevocationUnavailable() from e
        return cutoff is not None and _signed_at(self.session_key) < float(cutoff)

    async def _abefore_cutoff(self, user_pk):
        try:
            cutoff = await revocation.store().aget(_cutoff_key(user_pk))
        except Exception as e:
            raise revocation.RevocationUnavailable() from e
        return cutoff is not None and _signed_at(self.session_key) < float(cutoff)

    def _loaded(self, sid, prev):
        self._sesstok_sid = sid
        # an id-less cookie: a save gives it an id, and carries its digest along
        self._sesstok_prev = prev if sid is not None else _digest(self.session_key)

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
        prev = data.pop(PREVIOUS_KEY, None)
        if revocation.session_denylist_enabled():
            user_pk, epoch = session_user_and_epoch(data)
            # the user's cached version rides in the same read (user cache on)
            revoked, self._sesstok_seen = revocation.check_with_version(self._denylist_keys(sid, prev), user_pk, epoch)
            if revoked or (sid is None and user_pk is not None and self._before_cutoff(user_pk)):
                self.create()
                return {}
            self._loaded(sid, prev)
        return data

    async def aload(self):
        try:
            data = self._unsign(self.session_key)
        except Exception:
            self.create()
            return {}
        sid = data.pop(SESSION_ID_KEY, None)
        prev = data.pop(PREVIOUS_KEY, None)
        if revocation.session_denylist_enabled():
            user_pk, epoch = session_user_and_epoch(data)
            revoked, self._sesstok_seen = await revocation.acheck_with_version(
                self._denylist_keys(sid, prev), user_pk, epoch
            )
            if revoked or (sid is None and user_pk is not None and await self._abefore_cutoff(user_pk)):
                self.create()
                return {}
            self._loaded(sid, prev)
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
            if self._sesstok_prev is not None:
                data[PREVIOUS_KEY] = self._sesstok_prev
        return _dumps(data, compress=True, salt=SALT, serializer=self.serializer)

    # -- revoking --------------------------------------------------------------

    def _denials(self, value):
        """[(denylist key, seconds left)] for a cookie value: its id (and the
        id-less value it replaced) or its digest, plus the user's cutoff when
        logged in; [] if it is not a valid cookie (nothing to revoke)."""
        if not value:
            return []
        try:
            data = self._unsign(value)
            timestamp = _signed_at(value)
        except Exception:
            return []
        # +1: TimestampSigner accepts an age equal to max_age
        left = timestamp + self.get_session_cookie_age() - time.time() + 1
        sid = data.get(SESSION_ID_KEY)
        keys = self._denylist_keys(sid, data.get(PREVIOUS_KEY)) if sid is not None else (revocation.cookie_key(value),)
        return [(key, left) for key in keys]

    def _cutoff(self, value):
        """(user pk, now) when value is a logged-in cookie, else None."""
        try:
            user_pk = self._unsign(value).get(SESSION_KEY)
        except Exception:
            return None
        return None if user_pk is None else (user_pk, time.time())

    def _revoke(self, value, logout=False):
        if revocation.session_denylist_enabled():
            for denial in self._denials(value):
                revocation.deny(*denial)
            cutoff = self._cutoff(value) if logout and value else None
            if cutoff is not None:
                denylist.put(revocation.store(), _cutoff_key(cutoff[0]), cutoff[1], self.get_session_cookie_age() + 1)

    async def _arevoke(self, value, logout=False):
        if revocation.session_denylist_enabled():
            for denial in self._denials(value):
                await revocation.adeny(*denial)
            cutoff = self._cutoff(value) if logout and value else None
            if cutoff is not None:
                await sync_to_async(denylist.put)(
                    revocation.store(), _cutoff_key(cutoff[0]), cutoff[1], self.get_session_cookie_age() + 1
                )

    def delete(self, session_key=None):
        """Clear the session (as Django) and, with SESSION_DENYLIST, deny the
        cookie: the current one, or the cookie value passed as session_key."""
        self._revoke(self.session_key if session_key is None else session_key, logout=True)
        if session_key is None or session_key == self.session_key:
            self._sesstok_sid = self._sesstok_prev = None
        super().delete(session_key)

    async def adelete(self, session_key=None):
        await self._arevoke(self.session_key if session_key is None else session_key, logout=True)
        if session_key is None or session_key == self.session_key:
            self._sesstok_sid = self._sesstok_prev = None
        return super().delete(session_key)

    def cycle_key(self):
        """Keep the data under a new cookie; with SESSION_DENYLIST the old
        cookie (and the session id it carried) is denied."""
        data = self._session
        old = self.session_key
        self._revoke(old)
        self._sesstok_sid = self._sesstok_prev = None
        self._session_cache = data
        self.save()

    async def acycle_key(self):
        data = await self._aget_session()
        old = self.session_key
        await self._arevoke(old)
        self._sesstok_sid = self._sesstok_prev = None
        self._session_cache = data
        self.save()
