"""Authentication backends reached only through their own keyword.

Django's ``authenticate()`` tries a backend only when the credentials fit
its ``authenticate`` signature, so these two never see a username and
password, and ``ModelBackend``'s password check never sees a token::

    AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "sesstok.backends.TokenBackend",    # authenticate(request, token=...)
        "sesstok.backends.JWTBackend",      # authenticate(request, jwt=...)
    ]

Both subclass ``ModelBackend`` (permissions, ``get_user``) and refuse users
that ``user_can_authenticate`` refuses (``is_active=False``). A check that
cannot run (:class:`~sesstok.exceptions.StoreUnavailable`) is raised, not
turned into a refusal: ``TokenAuthenticationMiddleware`` answers it with a
503.
"""

from django.contrib.auth.backends import ModelBackend

from .access_tokens import aauthenticate_access_token, authenticate_access_token
from .exceptions import AuthenticationError, StoreUnavailable
from .tokens import aauthenticate_token, authenticate_token

__all__ = ["TokenBackend", "JWTBackend"]


class TokenBackend(ModelBackend):
    """Opaque API tokens (sesstok's, and imported DRF keys)::

    user = authenticate(request, token="sst_...")
    """

    def authenticate(self, request, token):
        try:
            user, _ = authenticate_token(token)
        except StoreUnavailable:
            raise
        except AuthenticationError:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aauthenticate(self, request, token):
        try:
            user, _ = await aauthenticate_token(token)
        except StoreUnavailable:
            raise
        except AuthenticationError:
            return None
        return user if self.user_can_authenticate(user) else None


class JWTBackend(ModelBackend):
    """JWT access tokens (sesstok's and SimpleJWT's), with the auth-hash
    claim and, with ``JWT_DENYLIST``, the jti denylist and logout epoch::

    user = authenticate(request, jwt="eyJ...")
    """

    def authenticate(self, request, jwt):
        try:
            user, _ = authenticate_access_token(jwt)
        except StoreUnavailable:
            raise
        except AuthenticationError:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aauthenticate(self, request, jwt):
        try:
            user, _ = await aauthenticate_access_token(jwt)
        except StoreUnavailable:
            raise
        except AuthenticationError:
            return None
        return user if self.user_can_authenticate(user) else None
