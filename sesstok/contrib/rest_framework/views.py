"""Token views with SimpleJWT's and DRF's request and response shapes.

::

    from sesstok.contrib.rest_framework import views

    urlpatterns = [
        path("api/token/", views.TokenObtainPairView.as_view(), name="token_obtain_pair"),
        path("api/token/refresh/", views.TokenRefreshView.as_view(), name="token_refresh"),
        path("api/token/verify/", views.TokenVerifyView.as_view(), name="token_verify"),
        path("api/token/blacklist/", views.TokenBlacklistView.as_view(), name="token_blacklist"),
        path("api/token/sliding/", views.TokenObtainSlidingView.as_view(), name="token_obtain_sliding"),
        path("api/token/sliding/refresh/", views.TokenRefreshSlidingView.as_view(), name="token_refresh_sliding"),
        path("api/auth-token/", views.obtain_auth_token),   # DRF's obtain_auth_token
    ]

(or ``path("api/", include("sesstok.contrib.rest_framework.urls"))``).

The JWT views are SimpleJWT's: ``POST {"username", "password"}`` →
``{"refresh", "access"}``; ``POST {"refresh"}`` → ``{"access"}`` (+
``"refresh"`` with ROTATE_REFRESH_TOKENS); ``POST {"token"}`` → ``{}``;
``POST {"refresh"}`` → ``{}`` (blacklisted); sliding ``{"token"}``. Serializers
come from the same ``SIMPLE_JWT`` settings (``TOKEN_OBTAIN_SERIALIZER``...).
Token errors are ``401 {"detail": ..., "code": "token_not_valid"}``.

Cookie transport (``SESSTOK["JWT_AUTH_COOKIE"]`` / ``["JWT_REFRESH_COOKIE"]``):
the views set the tokens as HttpOnly cookies instead of returning them in
the body, read a missing ``refresh`` (sliding: ``token``) from its cookie,
with Django's CSRF check on that request as for any cookie credential, and
the blacklist view deletes the cookies (logout). A CSRF cookie is set with
the tokens so the client has a token for its next unsafe request.
"""

import sys

from django.middleware.csrf import get_token as csrf_token
from django.utils.translation import gettext_lazy as _
from rest_framework import generics, parsers, renderers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ParseError, Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import _core, drf_authtoken, tokens
from ...access_tokens import revoke_access_token
from ...conf import sesstok_settings
from ...exceptions import TokenError, store_failure
from ...jwt_settings import jwt_settings, resolve, seconds
from ...models import AuthToken
from ...throttle import guard_login
from .authentication import enforce_csrf, header_types
from .exceptions import InvalidToken, ServiceUnavailable

__all__ = [
    "TokenViewBase",
    "TokenObtainPairView",
    "TokenRefreshView",
    "TokenVerifyView",
    "TokenBlacklistView",
    "TokenObtainSlidingView",
    "TokenRefreshSlidingView",
    "ObtainAuthToken",
    "token_obtain_pair",
    "token_refresh",
    "token_verify",
    "token_blacklist",
    "token_obtain_sliding",
    "token_refresh_sliding",
    "obtain_auth_token",
]


def _is_token_error(error):
    if isinstance(error, TokenError):
        return True
    module = sys.modules.get("rest_framework_simplejwt.exceptions")
    foreign = getattr(module, "TokenError", None)
    return foreign is not None and isinstance(error, foreign)


# ---- cookies ------------------------------------------------------------------------


def _set_cookie(response, name, value, max_age, path="/"):
    response.set_cookie(
        name,
        value,
        max_age=int(max_age),
        path=path,
        domain=sesstok_settings.JWT_COOKIE_DOMAIN,
        secure=sesstok_settings.JWT_COOKIE_SECURE,
        httponly=True,
        samesite=sesstok_settings.JWT_COOKIE_SAMESITE,
    )


def _delete_cookie(response, name, path="/"):
    response.delete_cookie(
        name, path=path, domain=sesstok_settings.JWT_COOKIE_DOMAIN, samesite=sesstok_settings.JWT_COOKIE_SAMESITE
    )


class _ErrorMapping:
    """What DRF's ``handle_exception`` would answer with a 500: a body too
    deeply nested for ``json.loads`` (DRF's ``JSONParser`` lets its
    RecursionError out) is DRF's 400 ``parse_error``; a store or database
    failure (:func:`sesstok.exceptions.store_failure`) a 503."""

    def handle_exception(self, exc):
        if isinstance(exc, RecursionError):
            exc = ParseError("JSON parse error - the body is nested too deeply")
        else:
            failure = store_failure(exc)
            if failure is not None:
                exc = ServiceUnavailable(failure)
        return super().handle_exception(exc)


class TokenViewBase(_ErrorMapping, generics.GenericAPIView):
    """SimpleJWT's ``TokenViewBase``: unauthenticated POST, the serializer
    from a SIMPLE_JWT setting, TokenError → 401 ``token_not_valid``."""

    permission_classes = ()
    authentication_classes = ()

    serializer_class = None
    _serializer_class = ""  # SimpleJWT's: a dotted path (a subclass may set it)
    _serializer_setting = ""  # else the SIMPLE_JWT setting naming the serializer
    # (body key, cookie setting, lifetime setting, cookie path setting)
    cookie_fields = ()
    www_authenticate_realm = "api"
    login = False  # takes a password: failures throttled as api/login/ (sesstok.throttle.guard_login)

    def get_serializer_class(self):
        if self.serializer_class:
            return self.serializer_class
        path = self._serializer_class
        if not path and self._serializer_setting:
            path = jwt_settings.raw(self._serializer_setting)
        try:
            return resolve(path)
        except ImportError as e:
            raise ImportError(f"Could not import serializer '{path}'") from e

    def get_authenticate_header(self, request):
        return '{} realm="{}"'.format(header_types()[0][0], self.www_authenticate_realm)

    def get_data(self, request):
        """The request data; a token missing from it is read from its cookie
        (and then the request must pass the CSRF check)."""
        data = request.data
        for key, cookie_setting, _lifetime, _path in self.cookie_fields:
            name = getattr(sesstok_settings, cookie_setting)
            if not name or key in data:
                continue
            value = request.COOKIES.get(name)
            if value:
                enforce_csrf(request)
                data = {**data.dict(), key: value} if hasattr(data, "dict") else {**data, key: value}
        return data

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=self.get_data(request))
        try:
            guard_login(
                request, self.login and request.data, lambda: serializer.is_valid(raise_exception=True), Throttled
            )
        except Exception as e:
            if _is_token_error(e):
                raise InvalidToken(e.args[0]) from e
            raise
        response = Response(serializer.validated_data, status=status.HTTP_200_OK)
        return self.set_cookies(request, response)

    def set_cookies(self, request, response):
        """Move the tokens of the response body into their cookies."""
        moved = False
        for key, cookie_setting, lifetime_setting, path_setting in self.cookie_fields:
            name = getattr(sesstok_settings, cookie_setting)
            if not name or key not in response.data:
                continue
            path = getattr(sesstok_settings, path_setting) if path_setting else "/"
            _set_cookie(response, name, response.data.pop(key), seconds(getattr(jwt_settings, lifetime_setting)), path)
            moved = True
        if moved:
            csrf_token(request)  # the client needs one for its next unsafe request
        return response


_ACCESS = ("access", "JWT_AUTH_COOKIE", "ACCESS_TOKEN_LIFETIME", None)
_REFRESH = ("refresh", "JWT_REFRESH_COOKIE", "REFRESH_TOKEN_LIFETIME", "JWT_REFRESH_COOKIE_PATH")
_SLIDING = ("token", "JWT_AUTH_COOKIE", "SLIDING_TOKEN_REFRESH_LIFETIME", None)


class TokenObtainPairView(TokenViewBase):
    """Credentials in, ``{"refresh", "access"}`` out."""

    _serializer_setting = "TOKEN_OBTAIN_SERIALIZER"
    cookie_fields = (_ACCESS, _REFRESH)
    login = True

    def get_data(self, request):
        return request.data


class TokenRefreshView(TokenViewBase):
    """``{"refresh"}`` in, ``{"access"}`` (+ ``"refresh"`` when rotating) out."""

    _serializer_setting = "TOKEN_REFRESH_SERIALIZER"
    cookie_fields = (_ACCESS, _REFRESH)


class TokenObtainSlidingView(TokenViewBase):
    """Credentials in, a sliding ``{"token"}`` out."""

    _serializer_setting = "SLIDING_TOKEN_OBTAIN_SERIALIZER"
    cookie_fields = (_SLIDING,)
    login = True

    def get_data(self, request):
        return request.data


class TokenRefreshSlidingView(TokenViewBase):
    """A sliding ``{"token"}`` in, the same token with a new expiry out."""

    _serializer_setting = "SLIDING_TOKEN_REFRESH_SERIALIZER"
    cookie_fields = (_SLIDING,)


class TokenVerifyView(TokenViewBase):
    """``{"token"}`` in, ``{}`` out if it is a valid token of any type."""

    _serializer_setting = "TOKEN_VERIFY_SERIALIZER"


class TokenBlacklistView(TokenViewBase):
    """``{"refresh"}`` in, ``{}`` out: the refresh token is blacklisted
    (logout). With the cookie transport the cookies are deleted and, with
    ``SESSTOK["JWT_DENYLIST"]``, the access token in its cookie is denied
    until it expires."""

    _serializer_setting = "TOKEN_BLACKLIST_SERIALIZER"
    cookie_fields = (_REFRESH,)

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        access_name = sesstok_settings.JWT_AUTH_COOKIE
        if access_name and request.COOKIES.get(access_name):
            revoke_access_token(request.COOKIES[access_name])
            _delete_cookie(response, access_name)
        refresh_name = sesstok_settings.JWT_REFRESH_COOKIE
        if refresh_name and request.COOKIES.get(refresh_name):
            _delete_cookie(response, refresh_name, sesstok_settings.JWT_REFRESH_COOKIE_PATH)
        return response


token_obtain_pair = TokenObtainPairView.as_view()
token_refresh = TokenRefreshView.as_view()
token_obtain_sliding = TokenObtainSlidingView.as_view()
token_refresh_sliding = TokenRefreshSlidingView.as_view()
token_verify = TokenVerifyView.as_view()
token_blacklist = TokenBlacklistView.as_view()


# ---- DRF's obtain_auth_token ---------------------------------------------------------


class ObtainAuthToken(_ErrorMapping, APIView):
    """DRF's ``obtain_auth_token``: ``POST username, password`` (form or
    JSON) → ``{"token": ...}``, errors as DRF's ``AuthTokenSerializer``.

    sesstok keeps only a token's digest, so it cannot hand out a token it
    issued before: each call issues a new one (DRF returns the user's single
    token every time). An optional ``name`` field names it (a token of the
    same name is replaced: re-logging a device rotates its token); without
    one it is ``api-<8 hex>``. ``SESSTOK["TOKEN_TTL"]`` and
    ``["TOKEN_MAX_PER_USER"]`` apply."""

    throttle_classes = ()
    permission_classes = ()
    authentication_classes = ()
    parser_classes = (parsers.FormParser, parsers.MultiPartParser, parsers.JSONParser)
    renderer_classes = (renderers.JSONRenderer,)
    serializer_class = AuthTokenSerializer

    def get_serializer_context(self):
        return {"request": self.request, "format": self.format_kwarg, "view": self}

    def get_serializer(self, *args, **kwargs):
        kwargs["context"] = self.get_serializer_context()
        return self.serializer_class(*args, **kwargs)

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        guard_login(request, request.data, lambda: serializer.is_valid(raise_exception=True), Throttled)
        user = serializer.validated_data["user"]
        if drf_authtoken.keeps_keys():  # hook: DRF_AUTHTOKEN_KEEP_KEYS, DRF's single plain-text token
            return Response({"token": drf_authtoken.single_token(user)})
        name = request.data.get("name")
        if name is not None:
            name = _token_name(name)
            AuthToken.objects.filter(user=user, name=name).delete()
        else:
            name = f"api-{_core.token_hex(4)}"
        try:
            plain = tokens.create_token(user, name)[1]
        except tokens.TokenLimitExceeded as e:
            raise ValidationError({"non_field_errors": [str(e)]}) from e
        return Response({"token": plain})


def _token_name(value):
    """The optional ``name`` field, with DRF's ``CharField`` messages."""
    if not isinstance(value, str):
        raise ValidationError({"name": [_("Not a valid string.")]})
    if not value:
        raise ValidationError({"name": [_("This field may not be blank.")]})
    if len(value) > 64:
        raise ValidationError({"name": [_("Ensure this field has no more than 64 characters.")]})
    return value


obtain_auth_token = ObtainAuthToken.as_view()
