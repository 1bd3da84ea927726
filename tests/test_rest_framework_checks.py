"""The DRF integration's start-up side: system checks on the JWT settings
(keys parsed once, at start-up), the drf-spectacular schema, and imports
(sesstok without DRF; the JWT class without SimpleJWT)."""

import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from django.core import checks
from django.test import override_settings

from _jwt_helpers import key_text
from sesstok import refresh_tokens
from sesstok.simplejwt import backend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ids(**overrides):
    with override_settings(**overrides):
        return sorted(e.id for e in checks.run_checks(tags=["sesstok"]))


RSA = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": key_text("rsa2048_private.pem"),
    "VERIFYING_KEY": key_text("rsa2048_public.pem"),
}


def test_clean_settings_pass():
    assert ids() == []
    assert ids(SIMPLE_JWT=RSA) == []
    assert (
        ids(
            SIMPLE_JWT={
                "ALGORITHM": "ES256",
                "SIGNING_KEY": key_text("p256_private.pem"),
                "VERIFYING_KEY": key_text("p256_public.pem"),
            }
        )
        == []
    )
    assert (
        ids(
            SIMPLE_JWT={
                "ALGORITHM": "EdDSA",
                "SIGNING_KEY": key_text("ed25519_private.pem"),
                "VERIFYING_KEY": key_text("ed25519_public.pem"),
            }
        )
        == []
    )
    # verification only: a public key and no signing key
    assert (
        ids(SIMPLE_JWT={"ALGORITHM": "RS256", "SIGNING_KEY": None, "VERIFYING_KEY": key_text("rsa2048_public.pem")})
        == []
    )


def test_short_rsa_key_is_a_start_up_error():
    simple_jwt = {
        **RSA,
        "SIGNING_KEY": key_text("rsa1024_private.pem"),
        "VERIFYING_KEY": key_text("rsa1024_public.pem"),
    }
    with override_settings(SIMPLE_JWT=simple_jwt):
        errors = [e for e in checks.run_checks(tags=["sesstok"])]
    assert [e.id for e in errors] == ["sesstok.E103", "sesstok.E103"]
    assert "1024 bits" in errors[0].msg and "SIGNING_KEY" in errors[0].msg and "VERIFYING_KEY" in errors[1].msg


@pytest.mark.parametrize(
    "simple_jwt",
    [
        {**RSA, "SIGNING_KEY": "not a key"},
        {**RSA, "VERIFYING_KEY": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
        {**RSA, "VERIFYING_KEY": key_text("p256_public.pem")},  # the wrong kind
        {
            "ALGORITHM": "ES256",
            "SIGNING_KEY": key_text("rsa2048_private.pem"),
            "VERIFYING_KEY": key_text("p256_public.pem"),
        },
        {
            "ALGORITHM": "ES384",
            "SIGNING_KEY": key_text("p256_private.pem"),
            "VERIFYING_KEY": key_text("p256_public.pem"),
        },
    ],
)
def test_unusable_keys(simple_jwt):
    assert "sesstok.E103" in ids(SIMPLE_JWT=simple_jwt)


def test_keys_are_prepared_by_the_check():
    with override_settings(SIMPLE_JWT=RSA):
        assert "encoder" not in backend._prepared
        assert checks.run_checks(tags=["sesstok"]) == []
        encoder, decoder = backend._prepared["encoder"], backend._prepared["decoder"]
        assert refresh_tokens.encoder() is encoder and refresh_tokens.decoder() is decoder


def test_app_ready_prepares_keys():
    from django.apps import apps

    with override_settings(SIMPLE_JWT=RSA):
        apps.get_app_config("sesstok").ready()
        assert "encoder" in backend._prepared and "decoder" in backend._prepared
    with override_settings(SIMPLE_JWT={**RSA, "SIGNING_KEY": "junk"}):
        apps.get_app_config("sesstok").ready()  # a bad key is the checks' business, not a crash


def test_algorithm():
    assert ids(SIMPLE_JWT={"ALGORITHM": "none"}) == ["sesstok.E102"]
    assert "sesstok.E102" in ids(SIMPLE_JWT={"ALGORITHM": "ES256K"})


def test_removed_settings():
    # (override_settings cannot be used: SimpleJWT's own reload raises RuntimeError)
    from unittest import mock

    from django.conf import settings

    from sesstok.contrib.rest_framework.checks import check_jwt_settings

    with mock.patch.object(settings._wrapped, "SIMPLE_JWT", {"AUTH_HEADER_TYPE": "Bearer"}, create=True):
        assert [e.id for e in check_jwt_settings()] == ["sesstok.E101"]


def test_import_strings():
    assert ids(SIMPLE_JWT={"TOKEN_USER_CLASS": "nowhere.User"}) == ["sesstok.E104"]
    assert ids(SIMPLE_JWT={"AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken", "x.Y")}) == [
        "sesstok.E104"
    ]
    assert ids(SIMPLE_JWT={"TOKEN_OBTAIN_SERIALIZER": "x.Serializer"}) == ["sesstok.E104"]


def test_durations():
    assert ids(SIMPLE_JWT={"LEEWAY": "5"}) == ["sesstok.E107"]
    assert ids(SIMPLE_JWT={"ACCESS_TOKEN_LIFETIME": None}) == ["sesstok.E107"]
    assert ids(SIMPLE_JWT={"LEEWAY": timedelta(seconds=5), "ACCESS_TOKEN_LIFETIME": 60}) == []


def test_blacklist_choice():
    assert ids(SESSTOK={"REFRESH_BLACKLIST": "db"}) == ["sesstok.E105"]
    assert ids(SESSTOK={"REFRESH_BLACKLIST": "sesstok"}) == []
    with override_settings(
        INSTALLED_APPS=[
            a
            for a in __import__("django.conf").conf.settings.INSTALLED_APPS
            if a != "rest_framework_simplejwt.token_blacklist"
        ]
    ):
        assert ids(SESSTOK={"REFRESH_BLACKLIST": "simplejwt"}) == ["sesstok.E105"]
        assert refresh_tokens.blacklist_tables() == "sesstok"


def test_cookie_settings():
    assert ids(SESSTOK={"JWT_AUTH_COOKIE": "a", "JWT_COOKIE_SAMESITE": "lax"}) == ["sesstok.E106"]
    assert ids(SESSTOK={"JWT_AUTH_COOKIE": "a", "JWT_COOKIE_SECURE": False}) == ["sesstok.E106"]
    assert ids(SESSTOK={"JWT_AUTH_COOKIE": "a", "JWT_COOKIE_SECURE": False}, DEBUG=True) == []
    assert ids(SESSTOK={"JWT_AUTH_COOKIE": "a", "JWT_COOKIE_SAMESITE": "None"}) == []


# ---- drf-spectacular -----------------------------------------------------------------------------


def _schema(**sesstok):
    pytest.importorskip("drf_spectacular")
    from drf_spectacular.generators import SchemaGenerator

    with override_settings(
        ROOT_URLCONF="drf_project.urls",
        REST_FRAMEWORK={"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"},
        SESSTOK=sesstok,
    ):
        return SchemaGenerator().get_schema(request=None, public=True)


def test_openapi_security_schemes():
    import warnings

    with warnings.catch_warnings():
        # drf-spectacular warns about the test project's untyped APIViews
        warnings.simplefilter("ignore")
        schema = _schema()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["tokenAuth"]["type"] == "apiKey" and schemes["tokenAuth"]["in"] == "header"
    assert {"jwtAuth": []} in schema["paths"]["/api/jwt/items/"]["get"]["security"]
    assert {"jwtAuth": []} in schema["paths"]["/api/stateless/items/"]["get"]["security"]
    assert {"tokenAuth": []} in schema["paths"]["/api/token/items/"]["get"]["security"]
    body = schema["components"]["schemas"]["TokenObtainPair"]["properties"]
    assert {"username", "password", "access", "refresh"} <= set(body)


def test_openapi_cookie_scheme():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = _schema(JWT_AUTH_COOKIE="sst_access")
    assert schema["components"]["securitySchemes"]["jwtCookieAuth"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "sst_access",
    }
    security = schema["paths"]["/api/jwt/items/"]["get"]["security"]
    assert {"jwtAuth": []} in security and {"jwtCookieAuth": []} in security


# ---- imports --------------------------------------------------------------------------------------


def _run(code):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SETUP = """
import sys
import django
from django.conf import settings
settings.configure(
    SECRET_KEY="x" * 50,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "sesstok"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()
"""


def test_sesstok_imports_without_drf():
    out = _run(
        'import sys\nsys.modules["rest_framework"] = None\nsys.modules["rest_framework_simplejwt"] = None\n'
        + SETUP
        + """
import sesstok, sesstok.refresh_tokens, sesstok.jwt_settings, sesstok.contrib.rest_framework
import sesstok.contrib.rest_framework.tokens, sesstok.contrib.rest_framework.checks
import sesstok.contrib.rest_framework.settings, sesstok.contrib.rest_framework.jwks
from django.core import checks
assert checks.run_checks(tags=["sesstok"]) == [], checks.run_checks(tags=["sesstok"])
try:
    import sesstok.contrib.rest_framework.authentication
except ImportError:
    print("ok")
"""
    )
    assert out == "ok"


def test_jwt_class_does_not_import_simplejwt():
    out = _run(
        SETUP.replace('"sesstok"]', '"rest_framework", "sesstok"]')
        + """
from sesstok.contrib.rest_framework import authentication, views, serializers, urls
from django.contrib.auth.models import User
print(sorted(m for m in sys.modules if m.startswith("rest_framework_simplejwt")))
"""
    )
    assert out == "[]"
