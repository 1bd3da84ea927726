"""The auth pipeline (sesstok.pipeline) through every way in: the DRF
classes and views, TokenAuthenticationMiddleware and sesstok's own refresh
view refuse the same credentials for the same reasons, with each framework's
shape. Regression tests for the defects of issue 10 that the duplicated
rules caused (each failed on main before the pipeline)."""

import time

import pytest
from _simplejwt import frozen, simplejwt_settings
from django.test import override_settings
from rest_framework.test import APIClient

from sesstok import jwt, refresh_tokens, revocation, tokens

DRF_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
MIDDLEWARE = [*DRF_MIDDLEWARE, "sesstok.middleware.TokenAuthenticationMiddleware"]
DRF_PROJECT = {"ROOT_URLCONF": "drf_project.urls", "MIDDLEWARE": DRF_MIDDLEWARE}


@pytest.fixture
def api(db):
    with override_settings(**DRF_PROJECT):
        yield APIClient()


def drf(api, setup, raw):
    response = api.get(f"/api/{setup}/items/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    return response.status_code, response.json()


def post(api, path, data):
    response = api.post(path, data, format="json")
    return response.status_code, response.json()


def middleware(raw):
    """The middleware's answer on an API path (tests/_urls.py)."""
    from django.test import Client

    with override_settings(ROOT_URLCONF="_urls", MIDDLEWARE=MIDDLEWARE):
        response = Client().get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    return response.status_code, response.json()


def claims(raw):
    return jwt.decode(raw, options={"verify_signature": False})


def resign(raw, **changes):
    """raw with claims changed (None deletes), signed with the same key."""
    payload = claims(raw)
    for name, value in changes.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return refresh_tokens.encode(payload)


def sj_pair(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


# ---- "is this user still valid": one rule ----------------------------------------------


@pytest.mark.parametrize("value", ["é" * 32, 7, None])
def test_check_revoke_token_hostile_claim_is_a_clean_refusal_everywhere(api, user, value):
    """CHECK_REVOKE_TOKEN with a non-ASCII or non-string claim: a 401 on
    every path (the refresh path raised TypeError, a 500)."""
    with simplejwt_settings({"CHECK_REVOKE_TOKEN": True}, **DRF_PROJECT):
        pair = refresh_tokens.issue_pair(user)
        access = resign(pair["access"], hash_password=value)
        refresh = resign(pair["refresh"], hash_password=value)
        assert drf(api, "jwt", access)[0] == 401
        assert drf(api, "simplejwt", access)[0] == 401
        assert post(api, "/api/token/refresh/", {"refresh": refresh}) == (
            401,
            {"detail": "The user's password has been changed.", "code": "password_changed"},
        )
        assert middleware(access)[0] == 401


def test_check_revoke_token_claim_missing_refused_on_refresh_too(api, user):
    """SimpleJWT's JWTAuthentication refuses a token without the revoke
    claim under CHECK_REVOKE_TOKEN; the refresh path accepted it."""
    with simplejwt_settings({"CHECK_REVOKE_TOKEN": True}, **DRF_PROJECT):
        pair = refresh_tokens.issue_pair(user)
        access = resign(pair["access"], hash_password=None)
        refresh = resign(pair["refresh"], hash_password=None)
        assert drf(api, "jwt", access)[0] == drf(api, "simplejwt", access)[0] == 401
        assert post(api, "/api/token/refresh/", {"refresh": refresh})[0] == 401
        assert post(api, "/api/token/refresh/", {"refresh": pair["refresh"]})[0] == 200


def test_require_auth_hash_applies_to_refresh_tokens(api, user):
    """JWT_REQUIRE_AUTH_HASH: a refresh token without sst_ah (SimpleJWT's)
    minted accepted access tokens."""
    with simplejwt_settings({}, SESSTOK={"JWT_REQUIRE_AUTH_HASH": True}, **DRF_PROJECT):
        theirs = sj_pair(user)
        assert post(api, "/api/token/refresh/", {"refresh": theirs["refresh"]})[0] == 401
        assert drf(api, "jwt", theirs["access"])[0] == 401
        ours = refresh_tokens.issue_pair(user)
        assert post(api, "/api/token/refresh/", {"refresh": ours["refresh"]})[0] == 200


def test_pre_switch_refresh_token_refused_after_password_change(api, user):
    """A refresh token SimpleJWT issued before the switch (no sst_ah) is
    refused once the password changes (the password-change marker)."""
    with simplejwt_settings({}, **DRF_PROJECT):
        theirs = sj_pair(user)
        assert post(api, "/api/token/refresh/", {"refresh": theirs["refresh"]})[0] == 200
        time.sleep(1.05)  # the marker compares whole seconds (iat)
        user.set_password("a-new-password")
        user.save()
        status, body = post(api, "/api/token/refresh/", {"refresh": theirs["refresh"]})
        assert status == 401 and body["code"] in ("password_changed", "token_not_valid")
        fresh = post(api, "/api/token/", {"username": "alice", "password": "a-new-password"})[1]
        assert post(api, "/api/token/refresh/", {"refresh": fresh["refresh"]})[0] == 200


def test_logout_everywhere_refuses_refresh_tokens_of_the_same_second(api, user):
    """iat <= changed_at: a token without sst_ep issued in the second of a
    logout-everywhere is refused (it may have been issued before it)."""
    with simplejwt_settings({}, **DRF_PROJECT):
        at = int(time.time()) + 0.75
        with frozen(at - 0.5):
            theirs = sj_pair(user)
        with frozen(at):
            revocation.logout_everywhere(user)
        assert post(api, "/api/token/refresh/", {"refresh": theirs["refresh"]}) == (
            401,
            {"detail": "Token is blacklisted", "code": "token_not_valid"},
        )


# ---- token/verify/ refuses revoked tokens --------------------------------------------------


BLACKLISTED = (400, {"non_field_errors": ["Token is blacklisted"]})


def test_verify_refuses_an_access_token_revoked_by_logout(api, user, locmem_revocation):
    from sesstok.access_tokens import revoke_access_token

    access = refresh_tokens.issue_pair(user)["access"]
    assert post(api, "/api/token/verify/", {"token": access}) == (200, {})
    revoke_access_token(access)
    assert post(api, "/api/token/verify/", {"token": access}) == BLACKLISTED


def test_verify_refuses_tokens_after_logout_everywhere(api, user, locmem_revocation):
    pair = refresh_tokens.issue_pair(user)
    revocation.logout_everywhere(user)
    assert post(api, "/api/token/verify/", {"token": pair["access"]}) == BLACKLISTED
    assert post(api, "/api/token/verify/", {"token": pair["refresh"]}) == BLACKLISTED


def test_verify_refuses_a_refresh_token_after_logout_everywhere_without_the_denylist(api, user):
    pair = refresh_tokens.issue_pair(user)
    time.sleep(1.05)
    revocation.logout_everywhere(user)
    assert post(api, "/api/token/verify/", {"token": pair["refresh"]}) == BLACKLISTED


def test_verify_refuses_an_access_token_after_a_password_change(api, user):
    access = refresh_tokens.issue_pair(user)["access"]
    user.set_password("a-new-password")
    user.save()
    assert post(api, "/api/token/verify/", {"token": access}) == BLACKLISTED


def test_verify_gone_or_inactive_user_is_token_not_valid(api, user, make_user):
    other = make_user("bob")
    gone = refresh_tokens.issue_pair(other)["access"]
    other.delete()
    status, body = post(api, "/api/token/verify/", {"token": gone})
    assert status == 401 and body["code"] == "token_not_valid"
    access = refresh_tokens.issue_pair(user)["access"]
    user.is_active = False
    user.save()
    status, body = post(api, "/api/token/verify/", {"token": access})
    assert status == 401 and body["code"] == "token_not_valid"


def test_verify_still_accepts_any_valid_token_type(api, user):
    pair = refresh_tokens.issue_pair(user)
    sliding = refresh_tokens.issue_sliding(user)
    for raw in (pair["access"], pair["refresh"], sliding, sj_pair(user)["access"]):
        assert post(api, "/api/token/verify/", {"token": raw}) == (200, {})


# ---- stateless tokens after a password change or deactivation -------------------------------


def test_stateless_refuses_after_password_change(api, user, locmem_revocation):
    theirs = sj_pair(user)["access"]
    ours = refresh_tokens.issue_pair(user)["access"]
    assert drf(api, "stateless", theirs)[0] == drf(api, "stateless", ours)[0] == 200
    time.sleep(1.05)
    user.set_password("a-new-password")
    user.save()
    for raw in (theirs, ours):
        status, body = drf(api, "stateless", raw)
        assert status == 401 and body["code"] == "token_not_valid", body
    time.sleep(1.05)  # a token of the change's second is refused too (README)
    fresh = refresh_tokens.issue_pair(user)["access"]
    assert drf(api, "stateless", fresh)[0] == 200


def test_stateless_refuses_after_deactivation_and_reactivation_does_not_restore(api, user, locmem_revocation):
    raw = refresh_tokens.issue_pair(user)["access"]
    refresh = refresh_tokens.issue_pair(user)["refresh"]
    opaque = tokens.create_token(user, "ci")[1]
    time.sleep(1.05)
    user.is_active = False
    user.save()
    assert drf(api, "stateless", raw)[0] == 401
    user.is_active = True
    user.save()
    assert drf(api, "stateless", raw)[0] == 401
    assert drf(api, "jwt", raw)[0] == 401
    assert post(api, "/api/token/refresh/", {"refresh": refresh})[0] == 401
    assert tokens.authenticate_token(opaque)[0] == user  # opaque tokens are kept (README)


# ---- the middleware speaks SimpleJWT's strings --------------------------------------------


def test_middleware_uses_simplejwts_strings(user, db):
    pair = refresh_tokens.issue_pair(user)
    assert middleware(pair["refresh"]) == (401, {"detail": "Token has wrong type", "code": "invalid_token"})


def test_middleware_says_a_revoked_jwt_is_blacklisted(user, locmem_revocation):
    from sesstok.access_tokens import revoke_access_token

    access = refresh_tokens.issue_pair(user)["access"]
    assert middleware(access)[0] == 200
    revoke_access_token(access)
    assert middleware(access) == (401, {"detail": "Token is blacklisted", "code": "invalid_token"})


# ---- a check that cannot run is a 503, on every path -----------------------------------------


@pytest.fixture
def killable_redis(db):
    """A redis-server of this test's own, stopped by its PID on request."""
    import os
    import shutil
    import signal
    import socket
    import subprocess

    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but redis-server is missing")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from _django_fixtures import _wait_for

    url = f"redis://127.0.0.1:{port}/0"
    _wait_for(url)

    class Server:
        def stop(self):
            os.kill(process.pid, signal.SIGTERM)
            process.wait(10)

    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "revocation": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    }
    with override_settings(CACHES=caches, SESSTOK={"REVOCATION_CACHE": "revocation", "JWT_DENYLIST": True}):
        try:
            yield Server()
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
                process.wait(10)


UNAVAILABLE = {"detail": "The revocation store is unavailable.", "code": "revocation_unavailable"}


def test_store_down_is_a_503_with_its_code_on_every_path(api, user, killable_redis):
    pair = refresh_tokens.issue_pair(user)
    theirs = sj_pair(user)
    for setup in ("jwt", "stateless"):
        assert drf(api, setup, pair["access"])[0] == 200
    killable_redis.stop()
    for setup in ("jwt", "stateless", "jwt-token"):
        for raw in (pair["access"], theirs["access"]):
            response = api.get(f"/api/{setup}/items/", HTTP_AUTHORIZATION=f"Bearer {raw}")
            assert (response.status_code, response.json()) == (503, UNAVAILABLE), setup
            assert response["Retry-After"]
    response = api.post("/api/token/verify/", {"token": pair["access"]}, format="json")
    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert response["Retry-After"]
    from django.test import Client

    with override_settings(ROOT_URLCONF="_urls", MIDDLEWARE=MIDDLEWARE):
        response = Client().get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
        assert (response.status_code, response.json()) == (503, UNAVAILABLE)
        assert response["Retry-After"]
        # an HTML path answers with a 503 page, not an anonymous request
        response = Client().get("/whoami/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
        assert response.status_code == 503


def test_store_down_in_the_backends_and_sesstoks_own_views(api, user, killable_redis):
    """The backends raise StoreUnavailable (never a silent refusal) and
    sesstok's JSON views answer it with a 503, its code and Retry-After."""
    from django.contrib.auth import authenticate
    from django.test import Client

    from sesstok.exceptions import StoreUnavailable

    pair = refresh_tokens.issue_pair(user)
    killable_redis.stop()
    with override_settings(AUTHENTICATION_BACKENDS=["sesstok.backends.JWTBackend"]):
        with pytest.raises(StoreUnavailable):
            authenticate(None, jwt=pair["access"])
    with override_settings(ROOT_URLCONF="_flows_urls", MIDDLEWARE=MIDDLEWARE):
        response = Client().post("/api/token/refresh/", {"refresh": pair["refresh"]}, content_type="application/json")
    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert response["Retry-After"]
