"""A djoser project after the README's one-line switch: djoser's own token
login and logout views (they issue and revoke through DRF's Token model)
behave as they do with DRF's TokenAuthentication, the oracle."""

import pytest
from django.test import override_settings
from django.urls import include, path, re_path
from djoser import views as djoser_views
from rest_framework.authentication import TokenAuthentication as DRFTokenAuthentication
from rest_framework.authtoken.models import Token

from sesstok.contrib.rest_framework.authentication import TokenAuthentication
from sesstok.models import AuthToken

from test_rest_framework import DRF_MIDDLEWARE, api, call  # noqa: F401  (fixtures)

CLASSES = {"sesstok": TokenAuthentication, "drf": DRFTokenAuthentication}

# djoser.urls.authtoken, once per authentication class (a project sets it in
# DEFAULT_AUTHENTICATION_CLASSES; DRF reads that when djoser's views are imported)
urlpatterns = [path("", include("drf_project.urls"))]
for _name, _cls in CLASSES.items():
    urlpatterns += [
        re_path(rf"^{_name}/token/login/?$", djoser_views.TokenCreateView.as_view(authentication_classes=[_cls])),
        re_path(rf"^{_name}/token/logout/?$", djoser_views.TokenDestroyView.as_view(authentication_classes=[_cls])),
    ]


@pytest.fixture
def djoser_urls(db):
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=DRF_MIDDLEWARE):
        yield


def flow(api, stack):
    """djoser's login twice, an API call, logout, the API call again."""
    credentials = {"username": "alice", "password": "secret-password"}
    first = api.post(f"/{stack}/token/login/", credentials, format="json")
    second = api.post(f"/{stack}/token/login/", credentials, format="json")
    key = first.json()["auth_token"]
    setup = "token" if stack == "sesstok" else "drf"
    before = call(api, setup, f"Token {key}")[0]
    logout = api.post(f"/{stack}/token/logout/", HTTP_AUTHORIZATION=f"Token {key}")
    after = call(api, setup, f"Token {key}")[0]
    again = api.post(f"/{stack}/token/logout/", HTTP_AUTHORIZATION=f"Token {key}")
    return {
        "login": (first.status_code, second.status_code, second.json()["auth_token"] == key),
        "api before logout": before,
        "logout": logout.status_code,
        "api after logout": after,
        "logout again": (again.status_code, again.json()),
    }, key


@pytest.mark.usefixtures("djoser_urls")
def test_djoser_login_and_logout_as_with_drf(api, user):
    theirs, _ = flow(api, "drf")
    ours, key = flow(api, "sesstok")
    assert ours == theirs
    assert theirs["login"] == (200, 200, True) and theirs["api before logout"] == 200
    assert theirs["logout"] == 204 and theirs["api after logout"] == 401
    assert not Token.objects.filter(key=key).exists() and not AuthToken.objects.exists()
