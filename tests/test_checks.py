"""System checks (sesstok.checks): each misconfiguration is an error at
start-up, and the test settings themselves pass."""

import pytest
from django.core import checks
from django.test import override_settings

from sesstok import checks as sesstok_checks

TOKEN_MW = "sesstok.middleware.TokenAuthenticationMiddleware"
AUTH_MW = "django.contrib.auth.middleware.AuthenticationMiddleware"
SESSION_MW = "django.contrib.sessions.middleware.SessionMiddleware"
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}


def ids(**overrides):
    with override_settings(**overrides):
        return sorted(e.id for e in checks.run_checks(tags=[sesstok_checks.TAG]))


def test_registered_and_clean_by_default():
    assert ids() == []
    # and through Django's own runner, including the security tag
    assert not [e for e in checks.run_checks() if e.id.startswith("sesstok.")]


def test_unknown_and_badly_typed_settings():
    assert ids(SESSTOK={"REVOCATON_CACHE": "x"}) == ["sesstok.E001"]
    assert ids(SESSTOK=["x"]) == ["sesstok.E001"]
    assert ids(SESSTOK={"TOKEN_BYTES": "32"}) == ["sesstok.E002"]
    assert ids(SESSTOK={"TOKEN_BYTES": True}) == ["sesstok.E002"]
    assert ids(SESSTOK={"TOKEN_BYTES": 16}) == ["sesstok.E002"]
    assert ids(SESSTOK={"TOKEN_MAX_PER_USER": 0}) == ["sesstok.E002"]
    assert ids(SESSTOK={"SESSION_DENYLIST": "yes"}) == ["sesstok.E002"]
    assert ids(SESSTOK={"AUTH_HEADER_KEYWORDS": ["Bearer token"]}) == ["sesstok.E002"]
    assert ids(SESSTOK={"TOKEN_COOKIE_SAMESITE": "lax"}) == ["sesstok.E002"]


@pytest.mark.parametrize("prefix", ["sst", "SST_", "a.b_", "abcdef012345678_", "", "_"])
def test_bad_token_prefix(prefix):
    assert ids(SESSTOK={"TOKEN_PREFIX": prefix}) == ["sesstok.E011"]


def test_good_token_prefix():
    assert ids(SESSTOK={"TOKEN_PREFIX": "acme2_"}) == []


def test_middleware_order():
    assert ids(MIDDLEWARE=[SESSION_MW, TOKEN_MW, AUTH_MW]) == ["sesstok.E003"]
    assert ids(MIDDLEWARE=[SESSION_MW, AUTH_MW, TOKEN_MW]) == []
    assert ids(MIDDLEWARE=[TOKEN_MW]) == []  # token auth alone is fine


@pytest.mark.parametrize(
    "algorithm, length, bad",
    [("HS256", 31, True), ("HS256", 32, False), ("HS384", 47, True), ("HS512", 63, True), ("HS512", 64, False)],
)
def test_jwt_key_too_short(algorithm, length, bad):
    result = ids(SESSTOK={"JWT_ALGORITHM": algorithm, "JWT_SIGNING_KEY": "k" * length})
    assert result == (["sesstok.E004"] if bad else [])


def test_jwt_key_from_secret_key():
    assert ids(SECRET_KEY="short-but-valid-secret-key-1") == ["sesstok.E004"]
    assert ids(SECRET_KEY="short-but-valid-secret-key-1", SIMPLE_JWT={"SIGNING_KEY": "k" * 32}) == []
    # asymmetric algorithms: not an HMAC secret, but a public key is needed
    assert ids(SESSTOK={"JWT_ALGORITHM": "RS256"}) == ["sesstok.E004"]
    # (the keys themselves are parsed by the JWT checks: sesstok.E103, tests/test_rest_framework_checks.py)
    assert "sesstok.E004" not in ids(
        SECRET_KEY="short-but-valid-secret-key-1",
        SESSTOK={"JWT_ALGORITHM": "ES256", "JWT_VERIFYING_KEY": "-----BEGIN PUBLIC KEY-----..."},
    )


def test_revocation_cache_alias():
    assert ids(SESSTOK={"REVOCATION_CACHE": "nope"}) == ["sesstok.E005"]
    assert ids(SESSTOK={"SESSION_DENYLIST": True}) == ["sesstok.E006"]
    assert ids(SESSTOK={"JWT_DENYLIST": True}) == ["sesstok.E006"]


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
    ],
)
def test_revocation_store_that_can_lose_entries(backend):
    caches = {"default": LOCMEM, "rev": {"BACKEND": backend, "LOCATION": "/tmp/x"}}
    assert ids(CACHES=caches, SESSTOK={"REVOCATION_CACHE": "rev"}) == ["sesstok.E007"]
    # tolerated while DEBUG is on (a development machine)
    assert ids(CACHES=caches, SESSTOK={"REVOCATION_CACHE": "rev"}, DEBUG=True) == []


def test_redis_is_the_supported_store():
    caches = {"default": LOCMEM, "rev": REDIS}
    assert ids(CACHES=caches, SESSTOK={"REVOCATION_CACHE": "rev", "SESSION_DENYLIST": True}) == []


def test_unknown_store_is_a_warning():
    caches = {"default": LOCMEM, "rev": {"BACKEND": "_checks_cache.SomeCache"}}
    assert ids(CACHES=caches, SESSTOK={"REVOCATION_CACHE": "rev"}) == ["sesstok.W001"]


def test_cache_session_engine():
    secure = dict(SESSION_COOKIE_SECURE=True)
    engine = "sesstok.sessions.backends.cache"
    assert ids(SESSION_ENGINE=engine, **secure) == ["sesstok.E008"]
    assert ids(SESSION_ENGINE=engine, DEBUG=True) == []
    assert ids(SESSION_ENGINE=engine, SESSION_CACHE_ALIAS="nope", **secure) == ["sesstok.E005"]
    assert ids(SESSION_ENGINE=engine, CACHES={"default": REDIS}, **secure) == []
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert ids(SESSION_ENGINE="sesstok.sessions.backends.cached_db", CACHES=dummy, DEBUG=True) == ["sesstok.E008"]


def test_insecure_cookie_flags_when_debug_is_off():
    engine = "sesstok.sessions.backends.signed_cookies"
    assert ids(SESSION_ENGINE=engine) == ["sesstok.E009"]  # SESSION_COOKIE_SECURE defaults to False
    assert ids(SESSION_ENGINE=engine, SESSION_COOKIE_SECURE=True) == []
    assert ids(SESSION_ENGINE=engine, SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=False) == ["sesstok.E009"]
    assert ids(SESSION_ENGINE=engine, DEBUG=True) == []
    assert ids(SESSTOK={"TOKEN_COOKIE_NAME": "t"}) == []
    assert ids(SESSTOK={"TOKEN_COOKIE_NAME": "t", "TOKEN_COOKIE_SECURE": False}) == ["sesstok.E009"]
    assert ids(SESSTOK={"TOKEN_COOKIE_NAME": "t", "TOKEN_COOKIE_HTTPONLY": False}) == ["sesstok.E009"]
    assert ids(SESSTOK={"TOKEN_COOKIE_NAME": "t", "TOKEN_COOKIE_SAMESITE": "None"}) == ["sesstok.E009"]
    # not sesstok's engine: Django's own deploy checks are in charge
    assert ids(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies") == []


def test_db_engine_needs_the_sessions_app():
    apps = ["django.contrib.contenttypes", "django.contrib.auth", "sesstok"]
    with override_settings(INSTALLED_APPS=apps):
        assert ids(SESSION_ENGINE="sesstok.sessions.backends.db", SESSION_COOKIE_SECURE=True) == ["sesstok.E010"]


def test_sesstok_redis_cache_is_supported():
    caches = {"default": LOCMEM, "rev": {**REDIS, "BACKEND": "sesstok.cache.RedisCache"}}
    assert ids(CACHES=caches, SESSTOK={"REVOCATION_CACHE": "rev"}) == []


def test_every_setting_is_type_checked():
    """The system check iterates the one schema: every SESSTOK key (main
    checked 30 of 49)."""
    from sesstok.conf import SCHEMA

    class Junk:
        def __repr__(self):
            return "<junk>"

    for name in SCHEMA:
        assert "sesstok.E002" in ids(SESSTOK={name: Junk()}), name


def test_all_problems_are_reported_at_once():
    """A wrong type no longer hides the range problems of other keys."""
    bad = {"TOKEN_BYTES": 16, "TOKEN_MAX_PER_USER": 0, "SESSION_DENYLIST": "yes", "LOGIN_USER_DELAY_MAX": 11}
    with override_settings(SESSTOK=bad):
        messages = sorted(e.msg for e in checks.run_checks(tags=[sesstok_checks.TAG]) if e.id == "sesstok.E002")
    assert len(messages) == 4, messages
    assert any("TOKEN_BYTES" in m and "at least 20" in m for m in messages)
