"""What sesstok's session engines share: encoding on the C core, session keys
from the C CSPRNG, and the logout-everywhere check for server-side sessions.

The mixins go in front of Django's own ``SessionStore`` classes; they change
no behaviour other than speed, except the opt-in revocation check.
"""

import logging

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS

from sesstok import _core, revocation, signing

__all__ = ["FastSessionMixin", "EpochCheckMixin", "new_session_key"]


def new_session_key():
    """32 random characters from [a-z0-9], like Django's get_random_string(32,
    VALID_KEY_CHARS) (unbiased, from the OS CSPRNG), in C."""
    return _core.random_string(32, VALID_KEY_CHARS)


class FastSessionMixin:
    """encode/decode through sesstok.signing and session keys from C."""

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

    def _revoked(self, data):
        user_pk, epoch = session_user_and_epoch(data)
        return user_pk is not None and revocation.check(user_pk=user_pk, epoch=epoch)

    async def _arevoked(self, data):
        user_pk, epoch = session_user_and_epoch(data)
        return user_pk is not None and await revocation.acheck(user_pk=user_pk, epoch=epoch)

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
