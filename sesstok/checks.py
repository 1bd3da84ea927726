"""System checks: misconfiguration fails at start-up, never as a 500 later.

Registered by ``SesstokConfig.ready()``; they run with ``manage.py check``,
``runserver``, ``migrate`` and the test runner. IDs are ``sesstok.E0xx``
(errors) and ``sesstok.W0xx`` (warnings); silence one with
``SILENCED_SYSTEM_CHECKS`` as usual.

======  ==============================================================================
E001    ``SESSTOK`` is not a dict, or has a key sesstok does not know (typo)
E002    a ``SESSTOK`` value has the wrong type or range
E003    ``TokenAuthenticationMiddleware`` is before ``AuthenticationMiddleware``
E004    a JWT HMAC signing key shorter than the algorithm's hash (HS256: 32 bytes),
        or an asymmetric algorithm without a verifying key
E005    ``SESSTOK["REVOCATION_CACHE"]`` or ``SESSION_CACHE_ALIAS`` names no alias in CACHES
E006    a denylist is on but ``REVOCATION_CACHE`` is None
E007    (DEBUG off) the revocation cache can drop entries or is not shared by all
        workers: LocMem, Dummy, File, Database, Memcached
E008    (DEBUG off) sesstok's cache session engine on a process-local or
        non-storing cache
E009    (DEBUG off) insecure cookie flags: session cookie (with a sesstok engine) or
        token cookie without Secure / HttpOnly, or SameSite=None
E010    a sesstok session engine needs an app that is not installed
E011    the token prefix would be mistaken for a JWT or a DRF key
E012    ``SESSTOK["USER_CACHE"]`` or ``["LOGIN_THROTTLE_CACHE"]`` names no alias in CACHES,
        or the user cache is a cache that stores nothing (Dummy)
W001    the revocation cache backend is not one sesstok knows; make sure it is
        shared and never evicts (Redis: maxmemory-policy noeviction)
W002    (DEBUG off) the user cache's versions are in a process-local cache (LocMem; the
        revocation store when there is one, else the shared tier): each worker has its
        own versions, so a bump in one worker is not seen by the others
W003    ``USER_CACHE`` is on but Django's ``AuthenticationMiddleware`` loads session
        users without it (use ``sesstok.middleware.AuthenticationMiddleware``)
W004    (DEBUG off) failed logins are counted in a process-local cache: each worker
        counts on its own, so the throttle is weaker by the number of workers
W005    (DEBUG off) ``USER_CACHE_LOCAL_TTL`` above 10 seconds while revocation checks are
        off: another worker's revocation or password change may take that long to be seen
W006    ``TokenAuthenticationMiddleware`` with ``SessionMiddleware`` but no
        ``AuthenticationMiddleware``: a logged-in session is never a user
======  ==============================================================================
"""

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from .conf import DEFAULTS, SCHEMA, problems, seconds, sesstok_settings

TAG = "sesstok"
LOCAL_TTL_WARNING = 10  # seconds of USER_CACHE_LOCAL_TTL above which W005 warns (DEBUG off)

_AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
_TOKEN_MIDDLEWARE = "sesstok.middleware.TokenAuthenticationMiddleware"
_SESSTOK_AUTH_MIDDLEWARE = "sesstok.middleware.AuthenticationMiddleware"

# cache backends that may drop an entry before its timeout, or that each
# process has its own copy of (by class path, subclasses included)
_UNSAFE_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "is process-local (each worker has its own)",
    "django.core.cache.backends.dummy.DummyCache": "stores nothing",
    "django.core.cache.backends.filebased.FileBasedCache": "culls entries at MAX_ENTRIES and is local to one machine",
    "django.core.cache.backends.db.DatabaseCache": "culls entries at MAX_ENTRIES",
    "django.core.cache.backends.memcached.BaseMemcachedCache": "evicts entries when full",
}
_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "is process-local (each worker has its own)",
    "django.core.cache.backends.dummy.DummyCache": "stores nothing",
}
_SAFE_CACHES = ("django.core.cache.backends.redis.RedisCache",)

_HMAC_MIN = {"HS256": 32, "HS384": 48, "HS512": 64}


def _backend_class(alias):
    config = settings.CACHES.get(alias)
    if config is None:
        return None
    try:
        return import_string(config.get("BACKEND", ""))
    except ImportError:
        return None


def _classify(cls, table):
    """The reason from table for cls (by class or a base class), else None."""
    for path, reason in table.items():
        try:
            base = import_string(path)
        except ImportError:  # pragma: no cover - a backend's optional client
            continue
        if issubclass(cls, base):
            return reason
    return None


@checks.register(TAG)
def check_settings(app_configs=None, **kwargs):
    errors = []
    user = getattr(settings, "SESSTOK", {})
    if not isinstance(user, dict):
        return [checks.Error("SESSTOK must be a dict.", id="sesstok.E001")]
    for name in sorted(set(user) - set(DEFAULTS)):
        errors.append(
            checks.Error(
                f"SESSTOK[{name!r}] is not a sesstok setting.",
                hint="Check the spelling; the settings are listed in sesstok.conf.SCHEMA.",
                id="sesstok.E001",
            )
        )
    # every key of the schema, every problem at once; a JWT_* key left at
    # None reads SIMPLE_JWT, which sesstok.contrib.rest_framework.checks checks
    for name, setting in SCHEMA.items():
        if setting.simplejwt is not None:
            if user.get(name) is None:
                continue
            value = user[name]
        else:
            value = getattr(sesstok_settings, name)
        problem = problems(name, value)
        if problem is not None:
            errors.append(checks.Error(f"SESSTOK[{name!r}] {problem}.", id="sesstok.E002"))
    return errors


@checks.register(TAG)
def check_token_prefix(app_configs=None, **kwargs):
    prefix = sesstok_settings.TOKEN_PREFIX
    if not isinstance(prefix, str):
        return []
    import re

    if not re.fullmatch(r"[a-z][a-z0-9]{0,10}_", prefix):
        return [
            checks.Error(
                f"SESSTOK['TOKEN_PREFIX'] {prefix!r} must be 1-11 lowercase letters or digits and end in '_'.",
                hint="The prefix tells a token from a JWT (no dots) and from a 40-hex DRF key (the '_').",
                id="sesstok.E011",
            )
        ]
    return []


@checks.register(TAG)
def check_middleware(app_configs=None, **kwargs):
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    auth = next((m for m in middleware if m in (_AUTH_MIDDLEWARE, _SESSTOK_AUTH_MIDDLEWARE)), None)
    if _TOKEN_MIDDLEWARE in middleware and auth is not None:
        if middleware.index(_TOKEN_MIDDLEWARE) < middleware.index(auth):
            return [
                checks.Error(
                    f"{_TOKEN_MIDDLEWARE} must come after {auth} in MIDDLEWARE.",
                    hint="Otherwise AuthenticationMiddleware replaces the token's user with the session's.",
                    id="sesstok.E003",
                )
            ]
    return []


@checks.register(TAG)
def check_jwt_key(app_configs=None, **kwargs):
    algorithm = sesstok_settings.JWT_ALGORITHM
    minimum = _HMAC_MIN.get(algorithm)
    key = sesstok_settings.JWT_SIGNING_KEY
    if minimum is None:
        if isinstance(algorithm, str) and algorithm[:2] in ("RS", "PS", "ES", "Ed"):
            if not sesstok_settings.JWT_VERIFYING_KEY:
                return [
                    checks.Error(
                        f"JWT_ALGORITHM is {algorithm} but no verifying (public) key is set.",
                        hint="Set SESSTOK['JWT_VERIFYING_KEY'] or SIMPLE_JWT['VERIFYING_KEY'].",
                        id="sesstok.E004",
                    )
                ]
        return []
    if not isinstance(key, (str, bytes)):
        return []
    size = len(key.encode() if isinstance(key, str) else key)
    if size < minimum:
        return [
            checks.Error(
                f"The JWT signing key is {size} bytes; {algorithm} needs at least {minimum}.",
                hint="Set SESSTOK['JWT_SIGNING_KEY'] (or SIMPLE_JWT['SIGNING_KEY'], or SECRET_KEY) to a longer random value.",
                id="sesstok.E004",
            )
        ]
    return []


def _session_engine():
    engine = getattr(settings, "SESSION_ENGINE", "")
    return engine if engine.startswith("sesstok.sessions.backends.") else None


@checks.register(TAG)
def check_caches(app_configs=None, **kwargs):
    errors = []
    caches_setting = getattr(settings, "CACHES", {}) or {}
    alias = sesstok_settings.REVOCATION_CACHE
    if alias is not None and isinstance(alias, str):
        cls = _backend_class(alias)
        if alias not in caches_setting:
            errors.append(
                checks.Error(
                    f"SESSTOK['REVOCATION_CACHE'] is {alias!r}, which is not in CACHES.",
                    id="sesstok.E005",
                )
            )
        elif cls is not None and not settings.DEBUG:
            reason = _classify(cls, _UNSAFE_CACHES)
            if reason is not None:
                errors.append(
                    checks.Error(
                        f"The revocation cache {alias!r} ({cls.__name__}) {reason}: a revocation could be lost.",
                        hint="Use django.core.cache.backends.redis.RedisCache with maxmemory-policy noeviction.",
                        id="sesstok.E007",
                    )
                )
            elif not any(issubclass(cls, import_string(p)) for p in _SAFE_CACHES):
                errors.append(
                    checks.Warning(
                        f"The revocation cache {alias!r} uses {cls.__module__}.{cls.__qualname__}, which sesstok cannot vouch for.",
                        hint="It must be shared by all workers and never evict (Redis: maxmemory-policy noeviction).",
                        id="sesstok.W001",
                    )
                )
    if alias is None and (sesstok_settings.SESSION_DENYLIST is True or sesstok_settings.JWT_DENYLIST is True):
        errors.append(
            checks.Error(
                "A denylist is on (SESSION_DENYLIST or JWT_DENYLIST) but SESSTOK['REVOCATION_CACHE'] is None.",
                hint="Name a Redis alias from CACHES in SESSTOK['REVOCATION_CACHE'].",
                id="sesstok.E006",
            )
        )
    engine = _session_engine()
    if engine in ("sesstok.sessions.backends.cache", "sesstok.sessions.backends.cached_db"):
        session_alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
        if session_alias not in caches_setting:
            errors.append(
                checks.Error(
                    f"SESSION_CACHE_ALIAS is {session_alias!r}, which is not in CACHES.",
                    id="sesstok.E005",
                )
            )
        else:
            cls = _backend_class(session_alias)
            reason = cls is not None and _classify(cls, _LOCAL_CACHES)
            if reason and (not settings.DEBUG or cls.__name__ == "DummyCache"):
                errors.append(
                    checks.Error(
                        f"The session cache {session_alias!r} ({cls.__name__}) {reason}; sessions would not be shared.",
                        hint="Use a shared cache such as Redis for SESSION_CACHE_ALIAS.",
                        id="sesstok.E008",
                    )
                )
    return errors


@checks.register(TAG, checks.Tags.security)
def check_cookies(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    if _session_engine():
        if not settings.SESSION_COOKIE_SECURE:
            errors.append(_cookie_error("SESSION_COOKIE_SECURE is False", "session cookie"))
        if not settings.SESSION_COOKIE_HTTPONLY:
            errors.append(_cookie_error("SESSION_COOKIE_HTTPONLY is False", "session cookie"))
        if settings.SESSION_COOKIE_SAMESITE == "None" and not settings.SESSION_COOKIE_SECURE:
            errors.append(_cookie_error("SESSION_COOKIE_SAMESITE is 'None'", "session cookie"))
    if sesstok_settings.TOKEN_COOKIE_NAME:
        if sesstok_settings.TOKEN_COOKIE_SECURE is not True:
            errors.append(_cookie_error("SESSTOK['TOKEN_COOKIE_SECURE'] is False", "token cookie"))
        if sesstok_settings.TOKEN_COOKIE_HTTPONLY is not True:
            errors.append(_cookie_error("SESSTOK['TOKEN_COOKIE_HTTPONLY'] is False", "token cookie"))
        if sesstok_settings.TOKEN_COOKIE_SAMESITE in (None, "None"):
            errors.append(_cookie_error("SESSTOK['TOKEN_COOKIE_SAMESITE'] is not 'Lax' or 'Strict'", "token cookie"))
    return errors


def _cookie_error(what, cookie):
    return checks.Error(
        f"{what} while DEBUG is off: the {cookie} is exposed.",
        hint="Secure keeps it off plain HTTP, HttpOnly away from scripts, SameSite off cross-site requests.",
        id="sesstok.E009",
    )


@checks.register(TAG)
def check_apps(app_configs=None, **kwargs):
    errors = []
    engine = _session_engine()
    if engine in ("sesstok.sessions.backends.db", "sesstok.sessions.backends.cached_db"):
        if not apps.is_installed("django.contrib.sessions"):
            errors.append(
                checks.Error(
                    f"SESSION_ENGINE {engine!r} stores sessions in django.contrib.sessions' table.",
                    hint="Add 'django.contrib.sessions' to INSTALLED_APPS.",
                    id="sesstok.E010",
                )
            )
    for app in ("django.contrib.auth", "django.contrib.contenttypes"):
        if not apps.is_installed(app):
            errors.append(checks.Error(f"sesstok needs {app!r} in INSTALLED_APPS.", id="sesstok.E010"))
    return errors


def _login_views_installed():
    """Whether the URLconf includes sesstok.urls (namespace "sesstok")."""
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("sesstok:login")
    except NoReverseMatch:
        return False
    except Exception:  # a broken URLconf is Django's own check to report
        return False
    return True


@checks.register(TAG)
def check_user_cache(app_configs=None, **kwargs):
    errors = []
    caches_setting = getattr(settings, "CACHES", {}) or {}
    alias = sesstok_settings.USER_CACHE
    if isinstance(alias, str):
        if alias not in caches_setting:
            errors.append(
                checks.Error(f"SESSTOK['USER_CACHE'] is {alias!r}, which is not in CACHES.", id="sesstok.E012")
            )
        else:
            cls = _backend_class(alias)
            if cls is not None and cls.__name__ == "DummyCache":
                errors.append(
                    checks.Error(
                        f"The user cache {alias!r} is a DummyCache, which stores nothing.",
                        hint="Set SESSTOK['USER_CACHE'] to None to turn the cache off.",
                        id="sesstok.E012",
                    )
                )
            elif not settings.DEBUG:
                # the versions live in the revocation store when there is one
                version_alias = sesstok_settings.REVOCATION_CACHE
                if not isinstance(version_alias, str) or version_alias not in caches_setting:
                    version_alias = alias
                vcls = _backend_class(version_alias)
                if vcls is not None and _classify(vcls, _LOCAL_CACHES):
                    errors.append(
                        checks.Warning(
                            f"The user cache keeps its versions in {version_alias!r} ({vcls.__name__}), which is "
                            "process-local: with several worker processes a user's version bump (password change, "
                            "revocation) is not seen by the others.",
                            hint="Use a shared cache (Redis) for SESSTOK['USER_CACHE'] (and REVOCATION_CACHE), "
                            "or run a single process.",
                            id="sesstok.W002",
                        )
                    )
        local_ttl = sesstok_settings.USER_CACHE_LOCAL_TTL
        checks_on = sesstok_settings.REVOCATION_CACHE is not None and bool(
            sesstok_settings.SESSION_DENYLIST or sesstok_settings.JWT_DENYLIST
        )
        if (
            not settings.DEBUG
            and not checks_on
            and isinstance(local_ttl, (int, float, timedelta))
            and not isinstance(local_ttl, bool)
            and seconds(local_ttl) > LOCAL_TTL_WARNING
        ):
            errors.append(
                checks.Warning(
                    f"SESSTOK['USER_CACHE_LOCAL_TTL'] is {seconds(local_ttl):g} seconds: with revocation checks "
                    "off, a revocation, password change or deactivation made in another worker may take that "
                    "long to be seen.",
                    hint=f"Keep it at {LOCAL_TTL_WARNING} seconds or less (default 2), or turn revocation checks "
                    "on (REVOCATION_CACHE with SESSION_DENYLIST or JWT_DENYLIST): then nothing waits for it.",
                    id="sesstok.W005",
                )
            )
        middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
        if _AUTH_MIDDLEWARE in middleware:
            errors.append(
                checks.Warning(
                    "SESSTOK['USER_CACHE'] is set but Django's AuthenticationMiddleware loads session users "
                    "without it.",
                    hint=f"Replace {_AUTH_MIDDLEWARE} with {_SESSTOK_AUTH_MIDDLEWARE} in MIDDLEWARE.",
                    id="sesstok.W003",
                )
            )
    throttle = sesstok_settings.LOGIN_THROTTLE_CACHE
    if isinstance(throttle, str) and _login_views_installed():
        if throttle not in caches_setting:
            errors.append(
                checks.Error(
                    f"SESSTOK['LOGIN_THROTTLE_CACHE'] is {throttle!r}, which is not in CACHES.", id="sesstok.E012"
                )
            )
        else:
            cls = _backend_class(throttle)
            if cls is not None and not settings.DEBUG and _classify(cls, _LOCAL_CACHES):
                errors.append(
                    checks.Warning(
                        f"Failed logins are counted in {throttle!r} ({cls.__name__}), which is process-local: "
                        "each worker counts on its own.",
                        hint="Point SESSTOK['LOGIN_THROTTLE_CACHE'] at a shared cache (Redis).",
                        id="sesstok.W004",
                    )
                )
    return errors


@checks.register(TAG)
def check_auth_middleware_present(app_configs=None, **kwargs):
    """W006: the token middleware authenticates tokens only (request.user is
    anonymous otherwise); with sessions in MIDDLEWARE and no
    AuthenticationMiddleware (Django's, sesstok's or a subclass), session
    logins (the admin, login views) would silently never authenticate. A
    token-only API without SessionMiddleware is fine."""
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware

    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if _TOKEN_MIDDLEWARE not in middleware:
        return []
    classes = []
    for path in middleware:
        try:
            classes.append(import_string(path))
        except ImportError:
            continue  # Django reports it when it loads the middleware
    classes = [cls for cls in classes if isinstance(cls, type)]
    if any(issubclass(cls, AuthenticationMiddleware) for cls in classes):
        return []
    if not any(issubclass(cls, SessionMiddleware) for cls in classes):
        return []
    return [
        checks.Warning(
            f"{_TOKEN_MIDDLEWARE} is in MIDDLEWARE with SessionMiddleware but without an AuthenticationMiddleware: "
            "a logged-in session never authenticates a request.",
            hint=f"Add {_SESSTOK_AUTH_MIDDLEWARE!r} (or {_AUTH_MIDDLEWARE!r}) after SessionMiddleware and before "
            "the token middleware.",
            id="sesstok.W006",
        )
    ]
