"""Test configuration: Django settings (SQLite in memory) and Hypothesis
profiles. The installed Django, PyJWT, DRF and SimpleJWT are the oracles."""

import os

import django
from django.conf import settings
from hypothesis import HealthCheck, settings as hypothesis_settings

TEST_SECRET_KEY = "sesstok-tests-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"

hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=200,
    database=None,
    print_blob=True,
    # sanitizer builds run the same tests several times slower
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "dev", deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

# Django fixtures (db, clients, Redis): tests/_django_fixtures.py; real
# servers (PostgreSQL, redis-server processes, gunicorn/uvicorn): tests/_servers.py
pytest_plugins = ["_django_fixtures", "_servers"]


def pytest_configure(config):
    if settings.configured:
        return
    settings.configure(
        SECRET_KEY=TEST_SECRET_KEY,
        SECRET_KEY_FALLBACKS=[],
        DEBUG=False,
        USE_TZ=True,
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.admin",
            "rest_framework",
            "rest_framework.authtoken",
            # SimpleJWT's blacklist tables: sesstok uses them when installed
            # (tests/test_refresh_tokens.py runs both table sets)
            "rest_framework_simplejwt.token_blacklist",
            "sesstok",
        ],
        ROOT_URLCONF="_urls",
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "sesstok.middleware.TokenAuthenticationMiddleware",
        ],
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    )
    django.setup()
