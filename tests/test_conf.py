"""sesstok.conf: defaults, SESSTOK overrides, SimpleJWT fallbacks, reload
on setting_changed."""

from datetime import timedelta

import pytest
from django.test import override_settings

from sesstok.conf import DEFAULTS, SesstokSettings, seconds, sesstok_settings


def test_defaults():
    assert sesstok_settings.TOKEN_PREFIX == "sst_"
    assert sesstok_settings.TOKEN_BYTES == 32
    assert sesstok_settings.REVOCATION_CACHE is None
    assert sesstok_settings.SESSION_DENYLIST is False
    assert sesstok_settings.JWT_DENYLIST is False
    assert sesstok_settings.TOKEN_QUERY_PARAM is None
    assert sesstok_settings.TOKEN_COOKIE_NAME is None


def test_every_default_is_readable():
    for name in DEFAULTS:
        getattr(sesstok_settings, name)


def test_unknown_name():
    with pytest.raises(AttributeError, match="Invalid sesstok setting"):
        sesstok_settings.NOPE


def test_override_and_reload():
    assert sesstok_settings.TOKEN_TTL is None
    with override_settings(SESSTOK={"TOKEN_TTL": timedelta(days=1)}):
        assert sesstok_settings.TOKEN_TTL == timedelta(days=1)
    assert sesstok_settings.TOKEN_TTL is None


def test_jwt_settings_fall_back_to_simple_jwt_then_its_defaults(settings_secret=None):
    from django.conf import settings

    assert sesstok_settings.JWT_ALGORITHM == "HS256"
    assert sesstok_settings.JWT_SIGNING_KEY == settings.SECRET_KEY
    assert sesstok_settings.JWT_USER_ID_CLAIM == "user_id"
    assert sesstok_settings.JWT_ACCESS_TOKEN_LIFETIME == timedelta(minutes=5)
    with override_settings(SIMPLE_JWT={"ALGORITHM": "HS512", "SIGNING_KEY": "x" * 64, "LEEWAY": 5}):
        assert sesstok_settings.JWT_ALGORITHM == "HS512"
        assert sesstok_settings.JWT_SIGNING_KEY == "x" * 64
        assert sesstok_settings.JWT_LEEWAY == 5
        with override_settings(SESSTOK={"JWT_ALGORITHM": "HS384"}):
            assert sesstok_settings.JWT_ALGORITHM == "HS384"
    with override_settings(SECRET_KEY="s" * 50):
        assert sesstok_settings.JWT_SIGNING_KEY == "s" * 50


def test_listeners_run_on_change():
    calls = []
    s = SesstokSettings()
    s.on_change(lambda: calls.append(1))
    s.TOKEN_PREFIX
    s.reload()
    assert calls == [1]


def test_seconds():
    assert seconds(None) is None
    assert seconds(5) == 5
    assert seconds(timedelta(minutes=2)) == 120
