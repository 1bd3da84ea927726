"""Settings of the deployed benchmark's project, chosen by environment
variables that bench_deployed.py sets for the servers it starts (and for
itself, to create the database and the credentials):

- ``DEPLOYED_DB``: a SQLite file path, or a ``postgresql://`` DSN.
- ``DEPLOYED_CONN_MAX_AGE``: Django's CONN_MAX_AGE (0: a connection per request).
- ``DEPLOYED_USER_CACHE``: a Redis URL for sesstok's user cache (shared tier,
  with the in-process tier in front), or empty: user cache off.
- ``DEPLOYED_MIDDLEWARE``: ``none``, or ``django-<engine>`` /
  ``sesstok-<engine>`` (``db`` or ``signed_cookies``): SessionMiddleware with
  that session engine and Django's or sesstok's AuthenticationMiddleware.
"""

import os
from datetime import timedelta
from urllib.parse import unquote, urlsplit

SECRET_KEY = "deployed-bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "deployed.urls"
WSGI_APPLICATION = "deployed.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
    "sesstok",
]


def _database(value, max_age):
    if value.startswith(("postgres://", "postgresql://")):
        url = urlsplit(value)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/"),
            "USER": unquote(url.username or ""),
            "PASSWORD": unquote(url.password or ""),
            "HOST": url.hostname or "",
            "PORT": str(url.port or ""),
            "CONN_MAX_AGE": max_age,
        }
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": value, "CONN_MAX_AGE": max_age}


DATABASES = {
    "default": _database(
        os.environ.get("DEPLOYED_DB", "/tmp/sesstok-deployed.sqlite3"),
        int(os.environ.get("DEPLOYED_CONN_MAX_AGE", "0")),
    )
}

_redis = os.environ.get("DEPLOYED_USER_CACHE", "")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSTOK = {}
if _redis:
    CACHES["users"] = {"BACKEND": "sesstok.cache.RedisCache", "LOCATION": _redis, "KEY_PREFIX": "deployed-users"}
    SESSTOK["USER_CACHE"] = "users"

_profile = os.environ.get("DEPLOYED_MIDDLEWARE", "none")
MIDDLEWARE = []
if _profile != "none":
    _side, _engine = _profile.split("-", 1)
    SESSION_ENGINE = (
        f"{'sesstok.sessions.backends' if _side == 'sesstok' else 'django.contrib.sessions.backends'}.{_engine}"
    )
    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        f"{'sesstok.middleware' if _side == 'sesstok' else 'django.contrib.auth.middleware'}.AuthenticationMiddleware",
    ]

REST_FRAMEWORK = {
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
}
# the tokens are minted once per run and must outlive it
SIMPLE_JWT = {"ACCESS_TOKEN_LIFETIME": timedelta(days=1)}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"django.request": {"handlers": ["null"], "propagate": False}},
}
