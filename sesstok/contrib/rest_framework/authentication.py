"""DRF authentication classes: opaque API tokens and SimpleJWT-compatible JWTs.

::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            # drop-in for rest_framework.authentication.TokenAuthentication
            "sesstok.contrib.rest_framework.authentication.TokenAuthentication",
            # drop-ins for rest_framework_simplejwt.authentication.*
            "sesstok.contrib.rest_framework.authentication.JWTAuthentication",
            # "sesstok.contrib.rest_framework.authentication.JWTStatelessUserAuthentication",
        ],
    }

Both may be listed, in either order: under ``Authorization: Bearer`` a value
shaped like an opaque token (sesstok's prefix, or the 40 hex digits of an
imported DRF key) is left by the JWT classes to ``TokenAuthentication``, and
a JWT is left by ``TokenAuthentication`` (when it reads ``Bearer`` at all) to
the JWT classes.

- :class:`TokenAuthentication` answers as DRF's: ``Authorization: Token
  <key>``, the same error messages, ``WWW-Authenticate: Token`` on a 401.
  Tokens are sesstok's hashed, named, expiring ``AuthToken`` rows (DRF keys
  imported with ``manage.py sesstok_import_drf_tokens`` included).
- :class:`JWTAuthentication` and :class:`JWTStatelessUserAuthentication`
  answer as SimpleJWT's (same header parsing, error codes and bodies) and
  read the ``SIMPLE_JWT`` settings. Signatures are checked by the prepared
  C decoder; the user is one prepared query (or the user cache); sesstok's
  ``sst_ah`` claim refuses a token after a password change, and with
  ``SESSTOK["JWT_DENYLIST"]`` revoked tokens and logout-everywhere are
  honoured (one read of the revocation store).
- With ``SESSTOK["JWT_AUTH_COOKIE"]`` the JWT classes also read the access
  token from that HttpOnly cookie; such requests must pass Django's CSRF
  check on unsafe methods, exactly as ``SessionAuthentication`` enforces it.
"""

import re

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import HTTP_HEADER_ENCODING, authentication, exceptions

from ... import middleware, pipeline, tokens
from ...conf import sesstok_settings
from ...drf_authtoken import check_token_class  # hook: DRF's `model` attribute
from ...exceptions import AuthenticationError, StoreUnavailable, TokenError, TokenRevoked
from ...installed import require_app  # hook: start-up error without the sesstok app
from ...jwt_settings import jwt_settings
from ...refresh_tokens import default_user_authentication_rule
from .exceptions import AuthenticationFailed, InvalidToken, ServiceUnavailable
from .tokens import AccessToken

__all__ = [
    "TokenAuthentication",
    "JWTAuthentication",
    "JWTStatelessUserAuthentication",
    "JWTTokenUserAuthentication",
    "default_user_authentication_rule",
]

_cache = {}


@sesstok_settings.on_change
def _forget():
    _cache.clear()


def header_types():
    """(AUTH_HEADER_TYPES as a tuple, the same as a set of bytes)."""
    value = _cache.get("types")
    if value is None:
        types = tuple(jwt_settings.AUTH_HEADER_TYPES)
        value = _cache["types"] = (types, frozenset(t.encode(HTTP_HEADER_ENCODING) for t in types))
    return value


def _meta(request):
    """``request.META``. A DRF ``Request`` forwards attributes it lacks to
    the Django request through ``__getattr__``, which runs only after a
    failed lookup (~0.6 µs here, ten times the direct read)."""
    try:
        return request._request.META
    except AttributeError:  # a Django HttpRequest
        return request.META


def _access_settings():
    """(AUTH_TOKEN_CLASSES is just AccessToken, JTI_CLAIM, TOKEN_TYPE_CLAIM),
    read once per settings change."""
    value = _cache.get("access")
    if value is None:
        value = _cache["access"] = (
            jwt_settings.AUTH_TOKEN_CLASSES == (AccessToken,),
            jwt_settings.JTI_CLAIM,
            jwt_settings.TOKEN_TYPE_CLAIM,
        )
    return value


_DRF_KEY = re.compile(rb"[0-9a-f]{40}")


def _is_opaque(raw):
    """Whether a presented value is shaped like an opaque token
    TokenAuthentication accepts: sesstok's prefix (and only token
    characters), or the 40 lowercase hex digits of a DRF key. A JWT always
    has two dots, so it is never taken for one."""
    if isinstance(raw, str):
        try:
            raw = raw.encode("ascii")
        except UnicodeEncodeError:
            return False
    prefix = _cache.get("prefix")
    if prefix is None:
        prefix = _cache["prefix"] = sesstok_settings.TOKEN_PREFIX.encode()
    if raw.startswith(prefix):
        return tokens.shape(raw.decode("ascii", "replace")) == tokens.OPAQUE
    return len(raw) == 40 and _DRF_KEY.fullmatch(raw) is not None


def _simplejwt_token_error():
    """SimpleJWT's TokenError class if SimpleJWT is already imported (a
    foreign class in AUTH_TOKEN_CLASSES), else None."""
    import sys

    module = sys.modules.get("rest_framework_simplejwt.exceptions")
    return getattr(module, "TokenError", None)


def enforce_csrf(request):
    """DRF's ``SessionAuthentication.enforce_csrf``: Django's CSRF check on
    unsafe methods, whether or not the view is csrf_exempt; 403 if it fails."""

    def dummy_get_response(request):  # pragma: no cover
        return None

    check = authentication.CSRFCheck(dummy_get_response)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")


# ---- opaque tokens ---------------------------------------------------------------


class TokenAuthentication(authentication.BaseAuthentication):
    """DRF's ``TokenAuthentication`` on sesstok's hashed tokens::

        Authorization: Token sst_8Jq1...     (or an imported 40-hex DRF key)

    ``keyword`` is DRF's; ``keywords`` (default: just ``keyword``) lists every
    scheme read, e.g. ``("Token", "Bearer")`` in a subclass. Under a scheme
    other than ``keyword`` only opaque-shaped values are taken; anything else
    (a JWT) is left to the next class.
    """

    keyword = "Token"
    keywords = None
    model = None  # DRF's hook; only DRF's own Token model is accepted (sesstok.drf_authtoken)

    def __init__(self):
        # hooks: ImproperlyConfigured without "sesstok" in INSTALLED_APPS (sesstok.installed),
        # and for a custom `model` rather than ignoring it (sesstok.drf_authtoken)
        require_app(self)
        check_token_class(type(self))

    def _keywords(self):
        keywords = self.keywords or (self.keyword,)
        return {k.lower().encode(): k for k in keywords}

    def authenticate(self, request):
        # DRF's get_authorization_header(), reading META directly
        auth = _meta(request).get("HTTP_AUTHORIZATION", b"")
        if isinstance(auth, str):
            auth = auth.encode(HTTP_HEADER_ENCODING)
        auth = auth.split()
        if not auth:
            return None
        keyword = self._keywords().get(auth[0].lower())
        if keyword is None:
            return None
        if len(auth) == 1:
            raise exceptions.AuthenticationFailed(_("Invalid token header. No credentials provided."))
        if len(auth) > 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header. Token string should not contain spaces."))
        try:
            token = auth[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain invalid characters.")
            ) from None
        if keyword.lower() != self.keyword.lower() and not _is_opaque(token):
            return None  # e.g. a JWT under Bearer: the JWT class's
        if type(self).authenticate_credentials is TokenAuthentication.authenticate_credentials:
            reused = middleware.verified(request, token, jwt=False)
            if reused is not None:
                return reused
        return self.authenticate_credentials(token)

    def authenticate_credentials(self, key):
        try:
            user, instance = tokens.authenticate_token(key)
        except StoreUnavailable as e:
            raise ServiceUnavailable(e) from e
        except AuthenticationError as e:
            if e.code == "token_expired":
                raise exceptions.AuthenticationFailed(_("Token has expired."), code="token_expired") from None
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (user, instance)

    def authenticate_header(self, request):
        return self.keyword


# ---- JWTs ------------------------------------------------------------------------


class JWTAuthentication(authentication.BaseAuthentication):
    """SimpleJWT's ``JWTAuthentication``: ``Authorization: Bearer <access
    token>`` (AUTH_HEADER_TYPES, AUTH_HEADER_NAME), tokens of
    AUTH_TOKEN_CLASSES, the user by USER_ID_CLAIM/USER_ID_FIELD."""

    www_authenticate_realm = "api"
    media_type = "application/json"

    def __init__(self):
        require_app(self)  # hook: ImproperlyConfigured without "sesstok" in INSTALLED_APPS

    @property
    def user_model(self):
        return get_user_model()

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return self.authenticate_cookie(request)
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        if _is_opaque(raw_token):
            return None  # TokenAuthentication's
        reused = self._reuse(request, raw_token)
        if reused is not None:
            return reused
        validated_token = self.get_validated_token(raw_token)
        return self.get_user(validated_token), validated_token

    def _reuse(self, request, raw_token):
        """The middleware's result for this token, when it ran these very
        steps (AccessToken only, get_validated_token/get_user not overridden)."""
        cls = type(self)
        if not (
            _access_settings()[0]
            and cls.get_validated_token is JWTAuthentication.get_validated_token
            and cls.get_user is JWTAuthentication.get_user
        ):
            return None
        reused = middleware.verified(request, raw_token, jwt=True)
        if reused is None:
            return None
        user, payload = reused
        return user, AccessToken.from_verified(raw_token, payload)

    def authenticate_cookie(self, request):
        """The access token from the SESSTOK["JWT_AUTH_COOKIE"] cookie; unsafe
        methods must then pass the CSRF check."""
        name = sesstok_settings.JWT_AUTH_COOKIE
        if not name:
            return None
        raw = request.COOKIES.get(name)
        if not raw:
            return None
        validated_token = self.get_validated_token(raw.encode(HTTP_HEADER_ENCODING, "replace"))
        user = self.get_user(validated_token)
        enforce_csrf(request)
        return user, validated_token

    def authenticate_header(self, request):
        return '{} realm="{}"'.format(header_types()[0][0], self.www_authenticate_realm)

    def get_header(self, request):
        header = _meta(request).get(jwt_settings.AUTH_HEADER_NAME)
        if isinstance(header, str):
            header = header.encode(HTTP_HEADER_ENCODING)
        return header

    def get_raw_token(self, header):
        parts = header.split()
        if len(parts) == 0:
            return None
        if parts[0] not in header_types()[1]:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("Authorization header must contain two space-delimited values"),
                code="bad_authorization_header",
            )
        return parts[1]

    def get_validated_token(self, raw_token):
        if _access_settings()[0]:
            try:
                payload = pipeline.decode(raw_token)
            except TokenError as e:
                raise _refuse(_(e.message)) from None
            return AccessToken.from_verified(raw_token, payload)
        classes = jwt_settings.AUTH_TOKEN_CLASSES
        messages = []
        foreign = _simplejwt_token_error()
        for token_class in classes:
            try:
                return token_class(raw_token)
            except Exception as e:
                if not isinstance(e, TokenError) and not (foreign is not None and isinstance(e, foreign)):
                    raise
                messages.append(
                    {"token_class": token_class.__name__, "token_type": token_class.token_type, "message": e.args[0]}
                )
        raise InvalidToken({"detail": _("Given token not valid for any token type"), "messages": messages})

    def get_user(self, validated_token):
        # the pipeline's steps 3-5: with JWT_DENYLIST and the user cache on,
        # the revocation check runs first so that the cached user's version
        # rides in its one read; its outcome is reported where SimpleJWT's
        # order puts the check
        try:
            return pipeline.user_for(_payload(validated_token))
        except AuthenticationError as e:
            raise drf_error(e) from None


class JWTStatelessUserAuthentication(JWTAuthentication):
    """SimpleJWT's ``JWTStatelessUserAuthentication``: no database; the user
    is a ``TOKEN_USER_CLASS`` (``TokenUser``) built from the token. With
    ``SESSTOK["JWT_DENYLIST"]`` revoked tokens, logout-everywhere, password
    changes and deactivations are refused (one read of the revocation store)."""

    def get_user(self, validated_token):
        payload = _payload(validated_token)
        if jwt_settings.USER_ID_CLAIM not in payload:
            raise InvalidToken(_("Token contained no recognizable user identification"))
        try:
            pipeline.check_stateless(payload)
        except AuthenticationError as e:
            raise drf_error(e) from None
        return jwt_settings.TOKEN_USER_CLASS(validated_token)


JWTTokenUserAuthentication = JWTStatelessUserAuthentication


# ---- the pipeline's errors in DRF's and SimpleJWT's shapes -------------------------


def _payload(token):
    return token.payload if hasattr(token, "payload") else token


def _refuse(message):
    return InvalidToken(
        {
            "detail": _("Given token not valid for any token type"),
            "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}],
        }
    )


def drf_error(error):
    """The DRF exception SimpleJWT raises for a pipeline error (503 for a
    check that could not run)."""
    if isinstance(error, StoreUnavailable):
        return ServiceUnavailable(error)
    if isinstance(error, TokenRevoked):
        return InvalidToken(_("Token is blacklisted"))
    if isinstance(error, TokenError):
        return InvalidToken(_(error.message))
    return AuthenticationFailed(_(error.message), code=error.code)


def _register_schema():
    """drf-spectacular's extensions register on import: load ours if it is installed."""
    import importlib.util

    if importlib.util.find_spec("drf_spectacular") is not None:
        from . import schema  # noqa: F401


_register_schema()
