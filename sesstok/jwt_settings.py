"""SimpleJWT's settings, read the way SimpleJWT reads them, without SimpleJWT.

sesstok's refresh tokens (:mod:`sesstok.refresh_tokens`) and its DRF classes
(:mod:`sesstok.contrib.rest_framework`) take their configuration from the
``SIMPLE_JWT`` dict a SimpleJWT project already has, with SimpleJWT's own
defaults (hard-coded here, from djangorestframework-simplejwt 5.5's
``settings.DEFAULTS``), so switching needs no settings change::

    SIMPLE_JWT = {
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "SIGNING_KEY": env("JWT_SIGNING_KEY"),
    }

    from sesstok.jwt_settings import jwt_settings
    jwt_settings.REFRESH_TOKEN_LIFETIME   # timedelta(days=1)

The keys sesstok also has as ``SESSTOK["JWT_*"]`` (algorithm, keys, audience,
issuer, leeway, access lifetime, user id field and claim, type and jti
claims) come from :data:`sesstok.conf.sesstok_settings`, so a ``SESSTOK``
override applies to every part of sesstok alike.

Settings naming a class or function by import path (``AUTH_TOKEN_CLASSES``,
``TOKEN_USER_CLASS``, ``USER_AUTHENTICATION_RULE``, the ``*_SERIALIZER``
settings, ``JSON_ENCODER``) are resolved on first use. A path to one of
SimpleJWT's own classes (as in a ``SIMPLE_JWT`` dict copied from SimpleJWT's
documentation) resolves to sesstok's equivalent, so SimpleJWT need not be
installed; any other path is imported as given.

This module does not import DRF or SimpleJWT.
"""

from datetime import timedelta

from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from .conf import sesstok_settings

__all__ = ["DEFAULTS", "SIMPLEJWT_ALIASES", "jwt_settings", "JWTSettings", "resolve"]

# djangorestframework-simplejwt 5.5.1, rest_framework_simplejwt/settings.py
# (SIGNING_KEY defaults to SECRET_KEY, read at use)
DEFAULTS = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": False,
    "BLACKLIST_AFTER_ROTATION": False,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": None,
    "VERIFYING_KEY": "",
    "AUDIENCE": None,
    "ISSUER": None,
    "JSON_ENCODER": None,
    "JWK_URL": None,
    "LEEWAY": 0,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_HEADER_NAME": "HTTP_AUTHORIZATION",
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "USER_AUTHENTICATION_RULE": "rest_framework_simplejwt.authentication.default_user_authentication_rule",
    "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken",),
    "TOKEN_TYPE_CLAIM": "token_type",
    "JTI_CLAIM": "jti",
    "TOKEN_USER_CLASS": "rest_framework_simplejwt.models.TokenUser",
    "SLIDING_TOKEN_REFRESH_EXP_CLAIM": "refresh_exp",
    "SLIDING_TOKEN_LIFETIME": timedelta(minutes=5),
    "SLIDING_TOKEN_REFRESH_LIFETIME": timedelta(days=1),
    "TOKEN_OBTAIN_SERIALIZER": "rest_framework_simplejwt.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "rest_framework_simplejwt.serializers.TokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "rest_framework_simplejwt.serializers.TokenVerifySerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "rest_framework_simplejwt.serializers.TokenBlacklistSerializer",
    "SLIDING_TOKEN_OBTAIN_SERIALIZER": "rest_framework_simplejwt.serializers.TokenObtainSlidingSerializer",
    "SLIDING_TOKEN_REFRESH_SERIALIZER": "rest_framework_simplejwt.serializers.TokenRefreshSlidingSerializer",
    "CHECK_REVOKE_TOKEN": False,
    "REVOKE_TOKEN_CLAIM": "hash_password",
    "CHECK_USER_IS_ACTIVE": True,
}

IMPORT_STRINGS = (
    "AUTH_TOKEN_CLASSES",
    "JSON_ENCODER",
    "TOKEN_USER_CLASS",
    "USER_AUTHENTICATION_RULE",
)

# Settings SimpleJWT removed; it raises RuntimeError when they are present
REMOVED_SETTINGS = ("AUTH_HEADER_TYPE", "AUTH_TOKEN_CLASS", "SECRET_KEY", "TOKEN_BACKEND_CLASS")

# The keys sesstok also has in SESSTOK (sesstok.conf): read through sesstok_settings
_MIRRORED = {
    "ALGORITHM": "JWT_ALGORITHM",
    "SIGNING_KEY": "JWT_SIGNING_KEY",
    "VERIFYING_KEY": "JWT_VERIFYING_KEY",
    "AUDIENCE": "JWT_AUDIENCE",
    "ISSUER": "JWT_ISSUER",
    "LEEWAY": "JWT_LEEWAY",
    "ACCESS_TOKEN_LIFETIME": "JWT_ACCESS_TOKEN_LIFETIME",
    "USER_ID_FIELD": "JWT_USER_ID_FIELD",
    "USER_ID_CLAIM": "JWT_USER_ID_CLAIM",
    "TOKEN_TYPE_CLAIM": "JWT_TOKEN_TYPE_CLAIM",
    "JTI_CLAIM": "JWT_JTI_CLAIM",
}

_DRF = "sesstok.contrib.rest_framework"

# SimpleJWT's import paths -> sesstok's equivalents
SIMPLEJWT_ALIASES = {
    "rest_framework_simplejwt.tokens.AccessToken": f"{_DRF}.tokens.AccessToken",
    "rest_framework_simplejwt.tokens.RefreshToken": f"{_DRF}.tokens.RefreshToken",
    "rest_framework_simplejwt.tokens.SlidingToken": f"{_DRF}.tokens.SlidingToken",
    "rest_framework_simplejwt.tokens.UntypedToken": f"{_DRF}.tokens.UntypedToken",
    "rest_framework_simplejwt.models.TokenUser": f"{_DRF}.tokens.TokenUser",
    "rest_framework_simplejwt.authentication.default_user_authentication_rule": (
        "sesstok.refresh_tokens.default_user_authentication_rule"
    ),
    "rest_framework_simplejwt.serializers.TokenObtainPairSerializer": f"{_DRF}.serializers.TokenObtainPairSerializer",
    "rest_framework_simplejwt.serializers.TokenRefreshSerializer": f"{_DRF}.serializers.TokenRefreshSerializer",
    "rest_framework_simplejwt.serializers.TokenVerifySerializer": f"{_DRF}.serializers.TokenVerifySerializer",
    "rest_framework_simplejwt.serializers.TokenBlacklistSerializer": f"{_DRF}.serializers.TokenBlacklistSerializer",
    "rest_framework_simplejwt.serializers.TokenObtainSlidingSerializer": (
        f"{_DRF}.serializers.TokenObtainSlidingSerializer"
    ),
    "rest_framework_simplejwt.serializers.TokenRefreshSlidingSerializer": (
        f"{_DRF}.serializers.TokenRefreshSlidingSerializer"
    ),
}


def resolve(value):
    """An import-string setting as the object it names (SimpleJWT's paths
    mapped to sesstok's); objects are returned as they are."""
    if isinstance(value, str):
        return import_string(SIMPLEJWT_ALIASES.get(value, value))
    return value


class JWTSettings:
    """Attribute access to SimpleJWT's settings (see the module docstring);
    values are cached until a setting changes."""

    def __init__(self):
        self._cached = set()

    @property
    def user_settings(self):
        value = getattr(django_settings, "SIMPLE_JWT", None)
        return value if isinstance(value, dict) else {}

    def __getattr__(self, name):
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(f"Invalid SimpleJWT setting: {name!r}")
        if name in _MIRRORED:
            value = getattr(sesstok_settings, _MIRRORED[name])
        else:
            value = self.user_settings.get(name, DEFAULTS[name])
        if name in IMPORT_STRINGS:
            if isinstance(value, (list, tuple)):
                value = tuple(resolve(v) for v in value)
            elif value is not None:
                value = resolve(value)
        elif name == "AUTH_HEADER_TYPES" and not isinstance(value, (list, tuple)):
            value = (value,)
        self._cached.add(name)
        setattr(self, name, value)
        return value

    def is_set(self, name):
        """Whether SIMPLE_JWT (or, for the mirrored keys, SESSTOK) sets name
        to something other than None or ""."""
        if name in _MIRRORED and sesstok_settings.user_settings.get(_MIRRORED[name]) not in (None, ""):
            return True
        return self.user_settings.get(name) not in (None, "")

    def raw(self, name):
        """A setting as written (import paths not resolved); for the mirrored
        keys, as sesstok resolves them."""
        if name in _MIRRORED:
            return getattr(sesstok_settings, _MIRRORED[name])
        return self.user_settings.get(name, DEFAULTS[name])

    def reload(self):
        for name in self._cached:
            self.__dict__.pop(name, None)
        self._cached.clear()


jwt_settings = JWTSettings()

# sesstok_settings reloads on SESSTOK, SIMPLE_JWT, SECRET_KEY... changes
sesstok_settings.on_change(jwt_settings.reload)


def seconds(value):
    """A lifetime or leeway setting (timedelta, int, float, None) in seconds."""
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value
