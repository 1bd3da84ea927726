"""sesstok's settings: one ``SESSTOK`` dict in the Django settings.

Every key has a default (``DEFAULTS`` below); set only what you change::

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

from datetime import timedelta

from django.conf import settings as django_settings
from django.core.signals import setting_changed

__all__ = ["DEFAULTS", "sesstok_settings", "SesstokSettings"]

DEFAULTS = {
    # Opaque tokens (sesstok.tokens, sesstok.models.AuthToken)
    "TOKEN_PREFIX": "sst_",
    "TOKEN_BYTES": 32,
    "TOKEN_TTL": None,  # timedelta or seconds; None: tokens never expire
    "TOKEN_MAX_PER_USER": None,  # int; None: no cap
    "TOKEN_LAST_USED_INTERVAL": 60,  # seconds between last_used writes; None: never written
    # Transports read by sesstok.middleware.TokenAuthenticationMiddleware
    "AUTH_HEADER_KEYWORDS": ("Token", "Bearer"),
    "TOKEN_COOKIE_NAME": None,  # e.g. "sst_token"; None: cookie transport off
    "TOKEN_COOKIE_SECURE": True,
    "TOKEN_COOKIE_HTTPONLY": True,
    "TOKEN_COOKIE_SAMESITE": "Lax",
    "TOKEN_QUERY_PARAM": None,  # e.g. "access_token"; None: off (URLs leak into logs)
    "API_PATH_PREFIXES": ("/api/",),  # bad credentials here get a 401 JSON error
    # Revocation (sesstok.revocation)
    "REVOCATION_CACHE": None,  # a CACHES alias (Redis, noeviction); None: denylists off
    "REVOCATION_KEY_PREFIX": "sst:",
    "SESSION_DENYLIST": False,
    "JWT_DENYLIST": False,
    # JWT access tokens (sesstok.access_tokens, sesstok.backends.JWTBackend)
    "JWT_ALGORITHM": None,  # SIMPLE_JWT["ALGORITHM"], "HS256"
    "JWT_SIGNING_KEY": None,  # SIMPLE_JWT["SIGNING_KEY"], SECRET_KEY
    "JWT_VERIFYING_KEY": None,  # SIMPLE_JWT["VERIFYING_KEY"]; for asymmetric algorithms
    "JWT_AUDIENCE": None,
    "JWT_ISSUER": None,
    "JWT_LEEWAY": None,  # SIMPLE_JWT["LEEWAY"], 0
    "JWT_ACCESS_TOKEN_LIFETIME": None,  # SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"], 5 minutes
    "JWT_USER_ID_FIELD": None,  # SIMPLE_JWT["USER_ID_FIELD"], "id"
    "JWT_USER_ID_CLAIM": None,  # SIMPLE_JWT["USER_ID_CLAIM"], "user_id"
    "JWT_TOKEN_TYPE_CLAIM": None,  # SIMPLE_JWT["TOKEN_TYPE_CLAIM"], "token_type"
    "JWT_JTI_CLAIM": None,  # SIMPLE_JWT["JTI_CLAIM"], "jti"
    "JWT_AUTH_HASH_CLAIM": "sst_ah",
    "JWT_REQUIRE_AUTH_HASH": False,
    # Refresh tokens (sesstok.refresh_tokens): "auto" uses SimpleJWT's
    # token_blacklist tables when that app is installed, else sesstok's own;
    # "simplejwt" or "sesstok" forces one
    "REFRESH_BLACKLIST": "auto",
    # HttpOnly-cookie transport for JWTs (sesstok.contrib.rest_framework), off
    # while JWT_AUTH_COOKIE is None; cookie-borne tokens must pass CSRF
    "JWT_AUTH_COOKIE": None,  # e.g. "sst_access": the access (or sliding) token
    "JWT_REFRESH_COOKIE": None,  # e.g. "sst_refresh": the refresh token
    "JWT_REFRESH_COOKIE_PATH": "/",  # e.g. "/api/token/": sent to the token views only
    "JWT_COOKIE_DOMAIN": None,
    "JWT_COOKIE_SECURE": True,
    "JWT_COOKIE_SAMESITE": "Lax",
    # Run django.core.signing itself on the C core (sesstok.accelerate)
    "ACCELERATE_DJANGO_SIGNING": False,
    # Per-request user cache (sesstok.user_cache); off unless USER_CACHE names a CACHES alias
    "USER_CACHE": None,  # the shared tier (Redis in production); None: off
    "USER_CACHE_TTL": 60,  # seconds a row read from the database may be served (staleness bound)
    "USER_CACHE_LOCAL_TTL": 2,  # seconds an in-process entry is served without reading its version; 0: tier off
    "USER_CACHE_LOCAL_SIZE": 1024,  # entries in the in-process tier
    # Login flows (sesstok.views, sesstok.throttle)
    "REGISTRATION_OPEN": False,  # register/ answers 404 unless True
    "TRUSTED_PROXY_COUNT": 0,  # proxies in front that append to X-Forwarded-For; 0: REMOTE_ADDR
    "LOGIN_THROTTLE_CACHE": "default",  # CACHES alias counting failed logins; None: no throttling
    "LOGIN_FAILURE_LIMIT": 5,  # failures per (user, address) in the window before 429
    "LOGIN_FAILURE_WINDOW": 900,  # seconds
    "LOGIN_USER_DELAY_AFTER": 10,  # failures per user (any address) before the added delay starts
    "LOGIN_USER_DELAY_MAX": 2.0,  # seconds; cap of that delay
    "API_TOKEN_NAME": "api-login",  # name prefix of the opaque tokens api/login/ creates
    # DRF's authtoken.Token model as a way in (sesstok.drf_authtoken), while that app is installed
    "DRF_AUTHTOKEN_SYNC": True,  # Token rows mirrored as digests; deleting one revokes it
    "DRF_AUTHTOKEN_KEEP_KEYS": False,  # obtain_auth_token returns DRF's single plain-text Token
    # JWK Set of the public JWT keys at .well-known/jwks.json (sesstok.jwks_endpoint)
    "JWKS_ENDPOINT": False,  # True: served (asymmetric ALGORITHM only) and tokens carry kid
    "JWKS_PREVIOUS_KEYS": (),  # public keys still verifying (and published) during a rotation
    "JWKS_MAX_AGE": 300,  # seconds: Cache-Control max-age of the set
}

# Defaults taken from SimpleJWT's settings (and then SimpleJWT's own defaults)
_SIMPLE_JWT = {
    "JWT_ALGORITHM": ("ALGORITHM", "HS256"),
    "JWT_SIGNING_KEY": ("SIGNING_KEY", None),  # None: SECRET_KEY, read at use
    "JWT_VERIFYING_KEY": ("VERIFYING_KEY", ""),
    "JWT_AUDIENCE": ("AUDIENCE", None),
    "JWT_ISSUER": ("ISSUER", None),
    "JWT_LEEWAY": ("LEEWAY", 0),
    "JWT_ACCESS_TOKEN_LIFETIME": ("ACCESS_TOKEN_LIFETIME", timedelta(minutes=5)),
    "JWT_USER_ID_FIELD": ("USER_ID_FIELD", "id"),
    "JWT_USER_ID_CLAIM": ("USER_ID_CLAIM", "user_id"),
    "JWT_TOKEN_TYPE_CLAIM": ("TOKEN_TYPE_CLAIM", "token_type"),
    "JWT_JTI_CLAIM": ("JTI_CLAIM", "jti"),
}

# Django settings whose change invalidates the cached values
_WATCHED = {
    "SESSTOK", "SIMPLE_JWT", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "DEBUG", "INSTALLED_APPS", "CACHES", "AUTH_USER_MODEL",
}


class SesstokSettings:
    """Attribute access to SESSTOK with defaults, cached until a setting changes."""

    def __init__(self, defaults=None):
        self.defaults = DEFAULTS if defaults is None else defaults
        self._cached = set()
        self._listeners = []

    @property
    def user_settings(self):
        value = getattr(django_settings, "SESSTOK", None)
        return value if isinstance(value, dict) else {}

    def __getattr__(self, name):
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

    def on_change(self, callback):
        """Call callback() whenever the settings are reloaded (sesstok's own
        modules drop their prepared keys and parsed values there)."""
        self._listeners.append(callback)
        return callback

    def reload(self):
        for name in self._cached:
            self.__dict__.pop(name, None)
        self._cached.clear()
        for callback in self._listeners:
            callback()


sesstok_settings = SesstokSettings()


def _reload(*, setting, **kwargs):
    if setting in _WATCHED:
        sesstok_settings.reload()


setting_changed.connect(_reload)


def seconds(value):
    """A duration setting as seconds (int/float or timedelta), None stays None."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value
