"""TokenAuthenticationMiddleware in front of DRF views (issue 13): on a view
DRF serves, the answer to a refused credential is DRF's / SimpleJWT's,
byte for byte, with the middleware as with DRF alone. The originals
(SimpleJWT's JWTAuthentication, DRF's TokenAuthentication) are the oracle;
sesstok's classes must answer the same behind the middleware. Plain Django
views under API_PATH_PREFIXES keep the middleware's own JSON 401, a store
that is down is the middleware's 503 everywhere, and a revocation only
sesstok knows of is never left to a foreign class that would accept it."""

import json
from datetime import timedelta

import pytest
from django.http import JsonResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from sesstok import refresh_tokens, tokens

DRF_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
WITH_SESSTOK = DRF_MIDDLEWARE + ["sesstok.middleware.TokenAuthenticationMiddleware"]


def plain(request):
    return JsonResponse({"user": request.user.get_username() or None})


def _urlpatterns():
    from drf_project.urls import urlpatterns

    return [*urlpatterns, path("api/plain/", plain)]


urlpatterns = _urlpatterns()


@pytest.fixture(autouse=True)
def _urls(db):
    with override_settings(ROOT_URLCONF=__name__):
        yield


def call(header, setup, middleware):
    kwargs = {} if header is None else {"HTTP_AUTHORIZATION": header}
    with override_settings(MIDDLEWARE=middleware):
        response = Client().get(f"/api/{setup}/items/", **kwargs)
    return response.status_code, response.content, response.headers.get("WWW-Authenticate")


async def acall(header, setup, middleware):
    headers = {} if header is None else {"Authorization": header}
    with override_settings(MIDDLEWARE=middleware):
        response = await AsyncClient().get(f"/api/{setup}/items/", headers=headers)
    return response.status_code, response.content, response.headers.get("WWW-Authenticate")


def _jwt_cases(user):
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=timedelta(seconds=-5))
    good = str(AccessToken.for_user(user))
    head, payload, signature = good.split(".")
    bad_signature = f"{head}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    return {
        "expired JWT": f"Bearer {expired}",
        "bad signature": f"Bearer {bad_signature}",
        "wrong type (refresh as access)": f"Bearer {RefreshToken.for_user(user)}",
        "sesstok refresh as access": f"Bearer {refresh_tokens.issue_pair(user)['refresh']}",
        "two values": "Bearer a b",
        "not a JWT": "Bearer not-a-token",
        "missing header": None,
        "other scheme": "Basic dXNlcjpwYXNz",
    }


def _token_cases():
    return {
        "bad DRF token": "Token " + "0" * 40,
        "bad sesstok token": "Token sst_" + "A" * 43,
        "not a token": "Token not-a-token",
        "no credentials": "Token",
        "spaces": "Token a b",
        "JWT under Token": "Token aaa.bbb.ccc",
        "missing header": None,
    }


def _same(cases, ours, theirs):
    for name, header in cases.items():
        oracle = call(header, theirs, DRF_MIDDLEWARE)
        assert oracle[0] == 401, (name, oracle)
        for setup in (theirs, ours):
            assert call(header, setup, WITH_SESSTOK) == oracle, (name, setup)


def test_jwt_refusals_are_simplejwts_with_the_middleware(user):
    _same(_jwt_cases(user), "jwt", "simplejwt")


def test_expired_jwt_keeps_simplejwts_token_not_valid_body(user):
    header = _jwt_cases(user)["expired JWT"]
    status, content, www = call(header, "simplejwt", WITH_SESSTOK)
    assert (status, www) == (401, 'Bearer realm="api"')
    assert content == (
        b'{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":'
        b'[{"token_class":"AccessToken","token_type":"access","message":"Token is expired"}]}'
    )


def test_token_refusals_are_drfs_with_the_middleware(user):
    _same(_token_cases(), "token", "drf")
    status, content, www = call("Token " + "0" * 40, "drf", WITH_SESSTOK)
    assert (status, content, www) == (401, b'{"detail":"Invalid token."}', "Token")


def test_refusals_are_drfs_under_asgi(user):
    from asgiref.sync import async_to_sync

    cases = _jwt_cases(user)
    headers = [
        (cases[name], setup)
        for name in ("expired JWT", "bad signature", "wrong type (refresh as access)")
        for setup in ("simplejwt", "jwt")
    ] + [("Token " + "0" * 40, "drf"), ("Token " + "0" * 40, "token")]

    async def scenario():
        results = []
        for header, setup in headers:
            oracle = "drf" if setup in ("drf", "token") else "simplejwt"
            results.append((await acall(header, oracle, DRF_MIDDLEWARE), await acall(header, setup, WITH_SESSTOK)))
        return results

    for (oracle, mine), (header, setup) in zip(async_to_sync(scenario)(), headers):
        assert oracle[0] == 401 and mine == oracle, (header, setup)


def test_plain_views_keep_the_middlewares_answer(user):
    header = _jwt_cases(user)["expired JWT"]
    with override_settings(MIDDLEWARE=WITH_SESSTOK):
        response = Client().get("/api/plain/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert response.json() == {"detail": "Token has expired.", "code": "token_expired"}
        assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
        response = Client().get("/api/plain/", HTTP_AUTHORIZATION="Bearer a b")
        assert response.json()["code"] == "malformed_token"


def test_valid_credentials_still_authenticate(user):
    from rest_framework_simplejwt.tokens import AccessToken

    _, plain_token = tokens.create_token(user, "laptop")
    for setup, header in (
        ("jwt", f"Bearer {AccessToken.for_user(user)}"),
        ("simplejwt", f"Bearer {AccessToken.for_user(user)}"),
        ("token", f"Token {plain_token}"),
    ):
        status, content, _ = call(header, setup, WITH_SESSTOK)
        assert status == 200 and b'"username":"alice"' in content, setup


def test_a_valid_credential_is_checked_once_on_sesstok_classes(user, monkeypatch):
    from rest_framework_simplejwt.tokens import AccessToken

    from sesstok import pipeline

    counts = {"decode": 0, "opaque": 0}
    decode, authenticate_token = pipeline.decode, tokens.authenticate_token

    def counted_decode(*args, **kwargs):
        counts["decode"] += 1
        return decode(*args, **kwargs)

    def counted_token(*args, **kwargs):
        counts["opaque"] += 1
        return authenticate_token(*args, **kwargs)

    monkeypatch.setattr(pipeline, "decode", counted_decode)
    monkeypatch.setattr(tokens, "authenticate_token", counted_token)
    _, plain_token = tokens.create_token(user, "laptop")
    status, content, _ = call(f"Bearer {AccessToken.for_user(user)}", "jwt", WITH_SESSTOK)
    assert status == 200 and b'"auth_class":"AccessToken"' in content
    status, content, _ = call(f"Token {plain_token}", "token", WITH_SESSTOK)
    assert status == 200 and b'"auth_class":"AuthToken"' in content
    assert counts == {"decode": 1, "opaque": 1}


def test_a_revocation_only_sesstok_knows_is_not_left_to_simplejwt(user, locmem_revocation):
    from sesstok.access_tokens import revoke_access_token

    raw = refresh_tokens.issue_pair(user)["access"]
    revoke_access_token(raw)
    header = f"Bearer {raw}"
    # SimpleJWT alone accepts it; behind the middleware it stays refused
    assert call(header, "simplejwt", DRF_MIDDLEWARE)[0] == 200
    assert call(header, "simplejwt", WITH_SESSTOK) == (
        401,
        b'{"detail": "Token is blacklisted", "code": "invalid_token"}',
        'Bearer realm="api", error="invalid_token"',
    )
    # sesstok's own classes answer it in SimpleJWT's words
    assert (
        call(header, "jwt", WITH_SESSTOK)
        == call(header, "jwt", DRF_MIDDLEWARE)
        == (
            401,
            b'{"detail":"Token is blacklisted","code":"token_not_valid"}',
            'Bearer realm="api"',
        )
    )


def test_store_down_is_the_middlewares_503_on_drf_views(user):
    from rest_framework_simplejwt.tokens import AccessToken

    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "revocation": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
            },
        },
        SESSTOK={"REVOCATION_CACHE": "revocation", "JWT_DENYLIST": True},
    ):
        header = f"Bearer {AccessToken.for_user(user)}"
        for setup in ("simplejwt", "jwt", "none"):
            status, content, _ = call(header, setup, WITH_SESSTOK)
            assert status == 503 and json.loads(content)["code"] == "revocation_unavailable", setup
