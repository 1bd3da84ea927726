"""Settings of the test project when it runs as a real server process
(tests/test_rest_framework_server.py): the test suite's settings, a SQLite
file named by DRF_PROJECT_DB, and the SIMPLE_JWT / SESSTOK dicts given as
JSON in DRF_PROJECT_SIMPLE_JWT / DRF_PROJECT_SESSTOK (timedeltas as seconds
under keys ending in _LIFETIME)."""

import json
import os
from datetime import timedelta

SECRET_KEY = "sesstok-tests-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_simplejwt.token_blacklist",
    "sesstok",
]
ROOT_URLCONF = "drf_project.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("DRF_PROJECT_DB", ":memory:")}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS_URL = os.environ.get("DRF_PROJECT_REDIS")
if REDIS_URL:
    CACHES["revocation"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("DRF_PROJECT_REDIS_PREFIX", ""),
    }


def _load(name):
    value = json.loads(os.environ.get(name) or "{}")
    return {k: timedelta(seconds=v) if k.endswith("_LIFETIME") else v for k, v in value.items()}


SIMPLE_JWT = _load("DRF_PROJECT_SIMPLE_JWT")
SESSTOK = _load("DRF_PROJECT_SESSTOK")
