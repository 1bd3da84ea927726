"""Django settings shared by the benchmarks (configured once, in memory)."""

import django
from django.conf import settings

SECRET_KEY = "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"


def setup(**overrides):
    if settings.configured:
        return
    options = dict(
        SECRET_KEY=SECRET_KEY,
        DEBUG=False,
        USE_TZ=True,
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    )
    options.update(overrides)
    settings.configure(**options)
    django.setup()
