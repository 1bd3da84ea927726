"""Start-up errors new users hit (sesstok.installed, sesstok.checks W006):
the middleware and DRF classes without "sesstok" in INSTALLED_APPS, and the
token middleware without any AuthenticationMiddleware."""

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from sesstok import checks as sesstok_checks
from sesstok.contrib.rest_framework import authentication
from sesstok.middleware import AuthenticationMiddleware, TokenAuthenticationMiddleware

WITHOUT_SESSTOK = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
]
COMPONENTS = [
    lambda: TokenAuthenticationMiddleware(lambda request: None),
    lambda: AuthenticationMiddleware(lambda request: None),
    authentication.TokenAuthentication,
    authentication.JWTAuthentication,
    authentication.JWTStatelessUserAuthentication,
]


@pytest.mark.parametrize("build", COMPONENTS)
def test_construction_without_the_app_names_the_fix(build):
    build()  # installed: fine
    with override_settings(INSTALLED_APPS=WITHOUT_SESSTOK):
        with pytest.raises(ImproperlyConfigured, match=r'add "sesstok" to INSTALLED_APPS'):
            build()
    build()  # and fine again once it is back


def test_the_first_request_says_so_not_a_500(db):
    with override_settings(INSTALLED_APPS=WITHOUT_SESSTOK):
        with pytest.raises(ImproperlyConfigured, match="TokenAuthenticationMiddleware needs the sesstok app"):
            Client().get("/api/whoami/", HTTP_AUTHORIZATION="Token " + "0" * 40)


def ids(middleware):
    with override_settings(MIDDLEWARE=middleware):
        return sorted(e.id for e in checks.run_checks(tags=[sesstok_checks.TAG]))


SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
TOKEN = "sesstok.middleware.TokenAuthenticationMiddleware"


@pytest.mark.parametrize(
    "middleware, expected",
    [
        ([SESSION, TOKEN], ["sesstok.W006"]),
        ([TOKEN], []),  # a token-only API without sessions
        ([SESSION, "django.contrib.auth.middleware.AuthenticationMiddleware", TOKEN], []),
        ([SESSION, "sesstok.middleware.AuthenticationMiddleware", TOKEN], []),
        ([SESSION, "django.contrib.auth.middleware.RemoteUserMiddleware", TOKEN], ["sesstok.W006"]),
        ([SESSION], []),  # no token middleware: nothing to say
    ],
)
def test_token_middleware_needs_an_authentication_middleware(middleware, expected):
    assert ids(middleware) == expected
