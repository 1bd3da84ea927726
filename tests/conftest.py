"""Shared test configuration: Hypothesis profiles and Django settings.

Hypothesis profiles:

- ``ci``: deterministic (derandomize), no deadline, 200 examples. Loaded when
  the ``CI`` environment variable is set (``.ci/run`` sets it).
- ``dev``: random, no deadline, 100 examples. The default elsewhere.

``HYPOTHESIS_PROFILE=<name>`` overrides the choice.

Django is configured once here (SQLite in memory, MD5 hasher for speed) so
that tests can compare against django.core.signing and friends. The C module
itself never needs Django; when Django is not installed the configuration is
skipped and the tests that need it skip or fail on their own imports.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=200,
    database=None,
    print_blob=True,
    # sanitizer builds run the same tests several times slower
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


TEST_SECRET_KEY = "sesstok-tests-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"


def django_settings():
    """The settings the test suite runs with. Extend here (caches for Redis,
    SESSTOK options, middleware...) rather than configuring Django elsewhere."""
    return dict(
        SECRET_KEY=TEST_SECRET_KEY,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )


def pytest_configure(config):
    try:
        import django
        from django.conf import settings as django_conf
    except ImportError:  # the C-level tests do not need Django
        return
    if not django_conf.configured:
        django_conf.configure(**django_settings())
    django.setup()
