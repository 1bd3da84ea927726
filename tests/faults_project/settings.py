"""Settings of the faults test project, from the environment:

- ``FAULTS_POSTGRES_DSN`` (a PostgreSQL database) or ``FAULTS_SQLITE`` (a
  SQLite file; ``FAULTS_SQLITE_OPTIONS``: JSON for its OPTIONS)
- ``FAULTS_REDIS``: JSON list of Redis URLs for the ``revocation`` alias
  (several: Django's primary + replicas), ``FAULTS_REDIS_PREFIX`` its key prefix
- ``FAULTS_SESSTOK`` / ``FAULTS_SIMPLE_JWT``: JSON dicts (``*_LIFETIME`` in seconds)
- ``FAULTS_SESSION_ENGINE``: the session engine
"""

import json
import os
from urllib.parse import urlsplit

from drf_project.settings import *  # noqa: F401,F403 (the DRF test project's base settings)
from drf_project.settings import INSTALLED_APPS, MIDDLEWARE, _load

# sesstok's own refresh blacklist table, not SimpleJWT's (FAULTS_SIMPLEJWT_BLACKLIST=1: SimpleJWT's)
if not os.environ.get("FAULTS_SIMPLEJWT_BLACKLIST"):
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "rest_framework_simplejwt.token_blacklist"]
ROOT_URLCONF = "faults_project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
MIDDLEWARE = [*MIDDLEWARE, "sesstok.middleware.TokenAuthenticationMiddleware"]
SESSION_ENGINE = os.environ.get("FAULTS_SESSION_ENGINE", "sesstok.sessions.backends.signed_cookies")
CSRF_FAILURE_VIEW = "sesstok.views.csrf_failure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}

_dsn = os.environ.get("FAULTS_POSTGRES_DSN")
if _dsn:
    _url = urlsplit(_dsn)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username,
            "PASSWORD": _url.password or "",
            "HOST": _url.hostname,
            "PORT": str(_url.port or 5432),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("FAULTS_SQLITE", ":memory:"),
            "OPTIONS": json.loads(os.environ.get("FAULTS_SQLITE_OPTIONS") or "{}"),
        }
    }

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
_redis = json.loads(os.environ.get("FAULTS_REDIS") or "null")
if _redis:
    CACHES["revocation"] = {
        "BACKEND": "sesstok.cache.RedisCache",
        "LOCATION": _redis,
        "KEY_PREFIX": os.environ.get("FAULTS_REDIS_PREFIX", ""),
    }


SIMPLE_JWT = _load("FAULTS_SIMPLE_JWT")
SESSTOK = _load("FAULTS_SESSTOK")
# plain HTTP on 127.0.0.1; tests that need a shared throttle store name one
SILENCED_SYSTEM_CHECKS = ["sesstok.E009", "sesstok.W004"]
if os.environ.get("FAULTS_HASH_LOG"):
    PASSWORD_HASHERS = ["faults_project.hashers.CountingMD5PasswordHasher"]
