"""sesstok's settings: one ``SESSTOK`` dict in the Django settings.

Every key is declared once, in ``SCHEMA`` below: its default, its types,
its range and (``JWT_*``) its SimpleJWT counterpart; set only what you change::

    SESSTOK = {
        "REVOCATION_CACHE": "revocation",   # a Redis alias in CACHES
        "SESSION_DENYLIST": True,
        "TOKEN_TTL": timedelta(days=90),
    }

Read them through ``sesstok.conf.sesstok_settings`` (``sesstok_settings.TOKEN_TTL``).
The object follows ``override_settings`` and any other ``setting_changed``
signal, for ``SESSTOK`` and for the Django settings some defaults come from
(``SECRET_KEY``, ``SIMPLE_JWT``). Unknown keys and values of the wrong type
are reported by the system checks (``sesstok.checks``) at start-up.

The ``JWT_*`` keys left at ``None`` take their value from SimpleJWT's
``SIMPLE_JWT`` dict (then SimpleJWT's own default), so a project that already
issues SimpleJWT access tokens needs no JWT settings here.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

from django.conf import settings as django_settings
from django.core.signals import setting_changed

__all__ = ["SCHEMA", "Setting", "DEFAULTS", "problems", "sesstok_settings", "SesstokSettings", "seconds"]

_NONE = type(None)
_NUMBER = (int, float)
_DURATION = (int, float, timedelta)
_KEY = (str, bytes, dict)


class Setting(NamedTuple):
    """One SESSTOK key: its default, the types it may have, a range or
    value rule (``valid(value)``, with the message ``rule``) and, for the
    ``JWT_*`` keys, the SimpleJWT setting (and default) a None falls back to."""

    default: Any
    types: tuple[type, ...]
    valid: Callable[[Any], bool] | None = None
    rule: str = ""
    simplejwt: tuple[str, Any] | None = None


def _at_least(minimum: float) -> Callable[[Any], bool]:
    return lambda value: seconds(value) is None or seconds(value) >= minimum


def _words(value: Any) -> bool:
    return all(isinstance(k, str) and k and k.isascii() and " " not in k for k in value)


_SAMESITE = (None, "Lax", "Strict", "None")

# Every SESSTOK key, declared once. Read through sesstok_settings; checked by
# sesstok.checks (every key, every problem reported at once).
SCHEMA: dict[str, Setting] = {
    # Opaque tokens (sesstok.tokens, sesstok.models.AuthToken)
    "TOKEN_PREFIX": Setting("sst_", (str,)),
    "TOKEN_BYTES": Setting(32, (int,), _at_least(20), "must be at least 20 (160 random bits)"),
    "TOKEN_TTL": Setting(None, (*_DURATION, _NONE)),  # None: tokens never expire
    "TOKEN_MAX_PER_USER": Setting(None, (int, _NONE), _at_least(1), "must be at least 1"),  # None: no cap
    "TOKEN_LAST_USED_INTERVAL": Setting(60, (*_DURATION, _NONE), _at_least(0), "must not be negative"),
    # Transports read by sesstok.middleware.TokenAuthenticationMiddleware
    "AUTH_HEADER_KEYWORDS": Setting(("Token", "Bearer"), (list, tuple), _words, "must be non-empty words"),
    "TOKEN_COOKIE_NAME": Setting(None, (str, _NONE)),  # e.g. "sst_token"; None: cookie transport off
    "TOKEN_COOKIE_SECURE": Setting(True, (bool,)),
    "TOKEN_COOKIE_HTTPONLY": Setting(True, (bool,)),
    "TOKEN_COOKIE_SAMESITE": Setting(
        "Lax", (str, _NONE), lambda v: v in _SAMESITE, "must be 'Lax', 'Strict', 'None' or None"
    ),
    "TOKEN_QUERY_PARAM": Setting(None, (str, _NONE)),  # e.g. "access_token"; None: off (URLs leak into logs)
    "API_PATH_PREFIXES": Setting(("/api/",), (list, tuple)),  # bad credentials here get a 401 JSON error
    # Revocation (sesstok.revocation)
    "REVOCATION_CACHE": Setting(None, (str, _NONE)),  # a CACHES alias (Redis, noeviction); None: denylists off
    "REVOCATION_KEY_PREFIX": Setting("sst:", (str,)),
    "SESSION_DENYLIST": Setting(False, (bool,)),
    "JWT_DENYLIST": Setting(False, (bool,)),
    # JWT access tokens (sesstok.access_tokens, sesstok.backends.JWTBackend);
    # None: SIMPLE_JWT's value, then SimpleJWT's default
    "JWT_ALGORITHM": Setting(None, (str, _NONE), simplejwt=("ALGORITHM", "HS256")),
    "JWT_SIGNING_KEY": Setting(None, (*_KEY, _NONE), simplejwt=("SIGNING_KEY", None)),  # None: SECRET_KEY
    "JWT_VERIFYING_KEY": Setting(None, (*_KEY, _NONE), simplejwt=("VERIFYING_KEY", "")),
    "JWT_AUDIENCE": Setting(None, (str, list, tuple, _NONE), simplejwt=("AUDIENCE", None)),
    "JWT_ISSUER": Setting(None, (str, _NONE), simplejwt=("ISSUER", None)),
    "JWT_LEEWAY": Setting(None, (*_DURATION, _NONE), _at_least(0), "must not be negative", ("LEEWAY", 0)),
    "JWT_ACCESS_TOKEN_LIFETIME": Setting(
        None,
        (*_DURATION, _NONE),
        _at_least(0),
        "must not be negative",
        ("ACCESS_TOKEN_LIFETIME", timedelta(minutes=5)),
    ),
    "JWT_USER_ID_FIELD": Setting(None, (str, _NONE), simplejwt=("USER_ID_FIELD", "id")),
    "JWT_USER_ID_CLAIM": Setting(None, (str, _NONE), simplejwt=("USER_ID_CLAIM", "user_id")),
    "JWT_TOKEN_TYPE_CLAIM": Setting(None, (str, _NONE), simplejwt=("TOKEN_TYPE_CLAIM", "token_type")),
    "JWT_JTI_CLAIM": Setting(None, (str, _NONE), simplejwt=("JTI_CLAIM", "jti")),
    "JWT_AUTH_HASH_CLAIM": Setting("sst_ah", (str, _NONE)),
    "JWT_REQUIRE_AUTH_HASH": Setting(False, (bool,)),
    # Refresh tokens (sesstok.refresh_tokens): "auto" uses SimpleJWT's
    # token_blacklist tables when that app is installed, else sesstok's own;
    # "simplejwt" or "sesstok" forces one (sesstok.E105 checks the value)
    "REFRESH_BLACKLIST": Setting("auto", (str,)),
    # HttpOnly-cookie transport for JWTs (sesstok.contrib.rest_framework), off
    # while JWT_AUTH_COOKIE is None; cookie-borne tokens must pass CSRF
    "JWT_AUTH_COOKIE": Setting(None, (str, _NONE)),  # e.g. "sst_access": the access (or sliding) token
    "JWT_REFRESH_COOKIE": Setting(None, (str, _NONE)),  # e.g. "sst_refresh": the refresh token
    "JWT_REFRESH_COOKIE_PATH": Setting("/", (str,)),  # e.g. "/api/token/": sent to the token views only
    "JWT_COOKIE_DOMAIN": Setting(None, (str, _NONE)),
    "JWT_COOKIE_SECURE": Setting(True, (bool,)),
    "JWT_COOKIE_SAMESITE": Setting("Lax", (str, _NONE)),  # values: sesstok.E106
    # Run django.core.signing itself on the C core (sesstok.accelerate)
    "ACCELERATE_DJANGO_SIGNING": Setting(False, (bool,)),
    # Per-request user cache (sesstok.user_cache); off unless USER_CACHE names a CACHES alias
    "USER_CACHE": Setting(None, (str, _NONE)),  # the shared tier (Redis in production); None: off
    # seconds a row read from the database may be served (staleness bound)
    "USER_CACHE_TTL": Setting(60, _DURATION, _at_least(1), "must be at least 1 second"),
    # seconds an in-process entry is served without reading its version; 0: tier off
    "USER_CACHE_LOCAL_TTL": Setting(2, _DURATION, _at_least(0), "must not be negative"),
    "USER_CACHE_LOCAL_SIZE": Setting(1024, (int,), _at_least(0), "must not be negative"),  # in-process entries
    # Login flows (sesstok.views, sesstok.throttle)
    "REGISTRATION_OPEN": Setting(False, (bool,)),  # register/ answers 404 unless True
    # proxies in front that append to X-Forwarded-For; 0: REMOTE_ADDR
    "TRUSTED_PROXY_COUNT": Setting(0, (int,), _at_least(0), "must not be negative"),
    "LOGIN_THROTTLE_CACHE": Setting("default", (str, _NONE)),  # CACHES alias counting failed logins; None: off
    # failures per (user, address) in the window before 429
    "LOGIN_FAILURE_LIMIT": Setting(5, (int,), _at_least(1), "must be at least 1"),
    "LOGIN_FAILURE_WINDOW": Setting(900, _DURATION, _at_least(1), "must be at least 1 second"),
    # failures per user (any address) before the added delay starts
    "LOGIN_USER_DELAY_AFTER": Setting(10, (int,), _at_least(0), "must not be negative"),
    "LOGIN_USER_DELAY_MAX": Setting(
        2.0, _NUMBER, lambda v: 0 <= v <= 10, "must be between 0 and 10 seconds"
    ),  # seconds; cap of that delay
    # per (user, IPv6 /64): this many times LOGIN_FAILURE_LIMIT
    "LOGIN_PREFIX_LIMIT_FACTOR": Setting(4, (int,), _at_least(1), "must be at least 1"),
    # the DRF obtain views (token/, token/sliding/, auth-token/) throttle failed logins too
    "DRF_LOGIN_THROTTLE": Setting(True, (bool,)),
    "API_TOKEN_NAME": Setting("api-login", (str,)),  # name prefix of the opaque tokens api/login/ creates
    # DRF's authtoken.Token model as a way in (sesstok.drf_authtoken), while that app is installed
    "DRF_AUTHTOKEN_SYNC": Setting(True, (bool,)),  # Token rows mirrored as digests; deleting one revokes it
    "DRF_AUTHTOKEN_KEEP_KEYS": Setting(False, (bool,)),  # obtain_auth_token returns DRF's single plain-text Token
    # JWK Set of the public JWT keys at .well-known/jwks.json (sesstok.jwks_endpoint)
    "JWKS_ENDPOINT": Setting(False, (bool,)),  # True: served (asymmetric ALGORITHM only) and tokens carry kid
    # public keys still verifying (and published) during a rotation
    "JWKS_PREVIOUS_KEYS": Setting((), (list, tuple)),
    "JWKS_MAX_AGE": Setting(300, (int,), _at_least(0), "must not be negative"),  # Cache-Control max-age, seconds
}

DEFAULTS = {name: setting.default for name, setting in SCHEMA.items()}

# Defaults taken from SimpleJWT's settings (and then SimpleJWT's own defaults)
_SIMPLE_JWT = {name: setting.simplejwt for name, setting in SCHEMA.items() if setting.simplejwt is not None}


def problems(name: str, value: Any) -> str | None:
    """What is wrong with value for SESSTOK[name] (its type, then its
    range), or None."""
    setting = SCHEMA[name]
    if not isinstance(value, setting.types) or (isinstance(value, bool) and bool not in setting.types):
        return f"has the wrong type: {value!r}"
    if value is not None and setting.valid is not None and not setting.valid(value):
        return setting.rule
    return None


# Django settings whose change invalidates the cached values
_WATCHED = {
    "SESSTOK",
    "SIMPLE_JWT",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "DEBUG",
    "INSTALLED_APPS",
    "CACHES",
    "AUTH_USER_MODEL",
}


class SesstokSettings:
    """Attribute access to SESSTOK with defaults, cached until a setting changes."""

    def __init__(self, defaults: dict[str, Any] | None = None) -> None:
        self.defaults = DEFAULTS if defaults is None else defaults
        self._cached: set[str] = set()
        self._listeners: list[Callable[[], Any]] = []

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(django_settings, "SESSTOK", None)
        return value if isinstance(value, dict) else {}

    def __getattr__(self, name: str) -> Any:
        # only called for names not yet resolved: the value is then stored as
        # an instance attribute, so later reads are plain attribute hits
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"Invalid sesstok setting: {name!r}")
        value = self.user_settings.get(name, self.defaults[name])
        if value is None and name in _SIMPLE_JWT:
            simple_name, default = _SIMPLE_JWT[name]
            simple = getattr(django_settings, "SIMPLE_JWT", None) or {}
            value = simple.get(simple_name, default)
        if name == "JWT_SIGNING_KEY" and value is None:
            value = django_settings.SECRET_KEY
        self._cached.add(name)
        setattr(self, name, value)
        return value

    def on_change(self, callback: Callable[[], Any]) -> Callable[[], Any]:
        """Call callback() whenever the settings are reloaded (sesstok's own
        modules drop their prepared keys and parsed values there)."""
        self._listeners.append(callback)
        return callback

    def reload(self) -> None:
        for name in self._cached:
            self.__dict__.pop(name, None)
        self._cached.clear()
        for callback in self._listeners:
            callback()


sesstok_settings = SesstokSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in _WATCHED:
        sesstok_settings.reload()


setting_changed.connect(_reload)


def seconds(value: Any) -> Any:
    """A duration setting as seconds (int/float or timedelta), None stays None."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value
