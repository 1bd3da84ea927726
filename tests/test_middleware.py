"""TokenAuthenticationMiddleware through Django's test Client (WSGI) and
AsyncClient (ASGI): every transport, bad/expired/tampered/revoked tokens,
inactive users, CSRF for the cookie transport, laziness."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sesstok import access_tokens, revocation, tokens
from sesstok.middleware import TokenAuthenticationMiddleware


def who(response):
    assert response.status_code == 200, response.content
    return response.json()["user"]


def error(response, status=401):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["code"]


@pytest.fixture
def plain(user):
    return tokens.create_token(user)[1]


# ---- transports -----------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token", "BEARER"])
@pytest.mark.parametrize("path", ["/whoami/", "/api/whoami/"])
def test_header_opaque_token(client, plain, keyword, path):
    assert who(client.get(path, HTTP_AUTHORIZATION=f"{keyword} {plain}")) == "alice"


def test_bearer_jwt(client, user, jwt_api):
    raw = access_tokens.issue_access_token(user)
    assert who(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {raw}")) == "alice"
    # a JWT is never an opaque token: not under "Token"
    assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {raw}")) == "malformed_token"


def test_bearer_drf_key(client, user):
    from rest_framework.authtoken.models import Token

    key = Token.objects.create(user=user).key
    tokens.import_key(user, key)
    assert who(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {key}")) == "alice"
    assert who(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {key}")) == "alice"


def test_cookie_transport(client, plain):
    assert who(client.get("/api/whoami/")) is None
    with override_settings(SESSTOK={"TOKEN_COOKIE_NAME": "sst"}):
        client.cookies["sst"] = plain
        assert who(client.get("/api/whoami/")) == "alice"
        assert who(client.get("/whoami/")) == "alice"
    # off by default
    assert who(client.get("/api/whoami/")) is None


def test_query_parameter_is_opt_in(client, plain):
    assert who(client.get("/api/whoami/", {"access_token": plain})) is None
    with override_settings(SESSTOK={"TOKEN_QUERY_PARAM": "access_token"}):
        assert who(client.get("/api/whoami/", {"access_token": plain})) == "alice"
        assert who(client.post("/api/echo/?access_token=" + plain)) == "alice"


def test_header_wins_over_cookie(client, user, make_user):
    bob = make_user("bob")
    alice_token = tokens.create_token(user)[1]
    bob_token = tokens.create_token(bob)[1]
    with override_settings(SESSTOK={"TOKEN_COOKIE_NAME": "sst"}):
        client.cookies["sst"] = bob_token
        assert who(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {alice_token}")) == "alice"


def test_other_schemes_are_left_alone(client, user):
    client.force_login(user)
    assert who(client.get("/api/whoami/", HTTP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0")) == "alice"


def test_no_credential_keeps_the_session_user(client, user):
    client.force_login(user)
    assert who(client.get("/whoami/")) == "alice"


def test_token_replaces_the_session_user(client, user, make_user):
    bob = make_user("bob")
    client.force_login(user)
    assert who(client.get("/whoami/", HTTP_AUTHORIZATION=f"Token {tokens.create_token(bob)[1]}")) == "bob"


# ---- bad credentials ------------------------------------------------------------


@pytest.mark.parametrize(
    "header, code",
    [
        ("Token", "malformed_token"),
        ("Token ", "malformed_token"),
        ("Bearer  sst_" + "A" * 43, "malformed_token"),
        ("Token sst_AAA sst_BBB", "malformed_token"),
        ("Bearer not-a-token", "invalid_token"),  # a DRF key's shape (any up to 40 characters)
        ("Bearer not a token", "malformed_token"),
        ("Token " + "x" * 9000, "malformed_token"),
        ("Bearer sst_" + "A" * 43, "invalid_token"),
        ("Token 0123456789abcdef0123456789abcdef01234567", "invalid_token"),
    ],
)
def test_bad_header_on_api_path_is_a_401(client, header, code):
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=header)
    assert error(response) == code
    assert "WWW-Authenticate" in response
    assert set(response.json()) == {"detail", "code"}


def test_bad_credential_elsewhere_is_anonymous(client, user):
    client.force_login(user)
    assert who(client.get("/whoami/", HTTP_AUTHORIZATION="Token sst_" + "A" * 43)) is None
    assert who(client.get("/whoami/", HTTP_AUTHORIZATION="Bearer garbage")) is None


def test_bad_jwt(client, user, jwt_api):
    raw = access_tokens.issue_access_token(user)
    h, p, s = raw.split(".")
    assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {h}.{p}.{s[::-1]}")) == "invalid_token"
    old = access_tokens.issue_access_token(user, lifetime=timedelta(seconds=-5))
    assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {old}")) == "token_expired"


def test_expired_token(client, user):
    _, plain = tokens.create_token(user, expires=timedelta(seconds=-1))
    assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {plain}")) == "token_expired"
    assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {plain}")) == "invalid_token"


def test_tampered_token(client, plain):
    tampered = plain[:-1] + ("A" if plain[-1] != "A" else "B")
    assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {tampered}")) == "invalid_token"


def test_revoked_token(client, plain):
    tokens.revoke_token(plain)
    assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {plain}")) == "invalid_token"


def test_inactive_user(client, user, plain, jwt_api):
    raw = access_tokens.issue_access_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    for header in (f"Token {plain}", f"Bearer {raw}"):
        assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=header)) == "invalid_token"
        assert who(client.get("/whoami/", HTTP_AUTHORIZATION=header)) is None


def test_password_change(client, user, plain, jwt_api):
    raw = access_tokens.issue_access_token(user)
    user.set_password("new password")
    user.save()
    for header in (f"Token {plain}", f"Bearer {raw}"):
        assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=header)) == "invalid_token"


def test_revocation_store_down_is_a_503(client, user, jwt_api, locmem_revocation, monkeypatch):
    from django.core.cache import caches

    raw = access_tokens.issue_access_token(user)

    def broken(*args, **kwargs):
        raise ConnectionError("down")

    monkeypatch.setattr(caches["revocation"], "get_many", broken)
    assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {raw}"), 503) == "revocation_unavailable"


# ---- CSRF for the cookie transport ----------------------------------------------


@pytest.fixture
def csrf_client(plain):
    client = Client(enforce_csrf_checks=True)
    client.cookies["sst"] = plain
    with override_settings(SESSTOK={"TOKEN_COOKIE_NAME": "sst"}):
        yield client


@pytest.mark.parametrize("path", ["/api/echo/", "/echo/", "/exempt/"])
def test_cookie_token_needs_csrf_on_unsafe_methods(csrf_client, path):
    response = csrf_client.post(path)
    assert response.status_code == 403
    if path.startswith("/api/"):
        assert response.json()["code"] == "csrf_failed"
    # safe methods need nothing
    assert who(csrf_client.get(path)) == "alice"


def test_cookie_token_with_csrf_token_passes(csrf_client):
    csrf_client.get("/api/whoami/")
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    token = get_token(request)
    csrf_client.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
    response = csrf_client.post("/api/echo/", HTTP_X_CSRFTOKEN=token)
    assert who(response) == "alice"


def test_header_tokens_need_no_csrf(plain):
    client = Client(enforce_csrf_checks=True)
    assert who(client.post("/api/echo/", HTTP_AUTHORIZATION=f"Token {plain}")) == "alice"


# ---- laziness --------------------------------------------------------------------


def test_user_is_lazy_off_the_api(client, plain):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/exempt/", HTTP_AUTHORIZATION=f"Token {plain}")
    assert who(response) == "alice"
    with override_settings(ROOT_URLCONF="test_middleware"), CaptureQueriesContext(connection) as queries:
        response = client.get("/untouched/", HTTP_AUTHORIZATION=f"Token {plain}")
    assert response.status_code == 200
    assert not [q for q in queries if "sesstok_authtoken" in q["sql"]]


def test_api_path_prefixes_setting(client):
    with override_settings(SESSTOK={"API_PATH_PREFIXES": ["/v2/"]}):
        assert who(client.get("/api/whoami/", HTTP_AUTHORIZATION="Token sst_" + "A" * 43)) is None


# ---- ASGI ------------------------------------------------------------------------


def test_async_client_every_transport(async_client, user, plain, jwt_api):
    raw = access_tokens.issue_access_token(user)

    async def scenario():
        results = []
        for path in ("/api/async/whoami/", "/async/whoami/", "/api/whoami/"):
            for header in (f"Token {plain}", f"Bearer {plain}", f"Bearer {raw}"):
                response = await async_client.get(path, headers={"Authorization": header})
                results.append(response.json()["user"])
        bad = await async_client.get("/api/async/whoami/", headers={"Authorization": "Token sst_" + "A" * 43})
        anon = await async_client.get("/async/whoami/", headers={"Authorization": "Token sst_" + "A" * 43})
        return results, bad, anon

    results, bad, anon = async_to_sync(scenario)()
    assert results == ["alice"] * 9
    assert error(bad) == "invalid_token"
    assert anon.json()["user"] is None


def test_async_cookie_csrf(plain):
    from django.test import AsyncClient

    client = AsyncClient(enforce_csrf_checks=True)
    client.cookies["sst"] = plain
    with override_settings(SESSTOK={"TOKEN_COOKIE_NAME": "sst"}):
        response = async_to_sync(client.post)("/api/echo/")
    assert error(response, 403) == "csrf_failed"


def test_middleware_is_sync_and_async_capable():
    assert TokenAuthenticationMiddleware.sync_capable and TokenAuthenticationMiddleware.async_capable

    async def get_response(request):
        return None

    assert iscoroutinefunction(TokenAuthenticationMiddleware(get_response))
    assert not iscoroutinefunction(TokenAuthenticationMiddleware(lambda request: None))


def test_auser_in_a_sync_stack(client, plain):
    from django.http import HttpRequest

    request = HttpRequest()
    request.META["HTTP_AUTHORIZATION"] = f"Token {plain}"
    request.path_info = request.path = "/x/"
    request.method = "GET"
    seen = {}

    def view(request):
        seen["user"] = async_to_sync(request.auser)()
        return None

    TokenAuthenticationMiddleware(view)(request)
    assert seen["user"].get_username() == "alice"


# ---- revocation through the middleware ------------------------------------------


def test_revoked_jwt_jti(client, user, jwt_api, locmem_revocation):
    raw = access_tokens.issue_access_token(user)
    assert who(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {raw}")) == "alice"
    assert access_tokens.revoke_access_token(raw)
    assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {raw}")) == "invalid_token"


def test_logout_everywhere_through_the_middleware(client, user, plain, jwt_api, locmem_revocation):
    raw = access_tokens.issue_access_token(user)
    revocation.logout_everywhere(user)
    for header in (f"Token {plain}", f"Bearer {raw}"):
        assert error(client.get("/api/whoami/", HTTP_AUTHORIZATION=header)) == "invalid_token"
    fresh = access_tokens.issue_access_token(user)
    assert who(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {fresh}")) == "alice"


def test_query_parameter_gets_no_csrf_exemption(plain):
    client = Client(enforce_csrf_checks=True)
    with override_settings(SESSTOK={"TOKEN_QUERY_PARAM": "access_token"}):
        assert client.post("/echo/?access_token=" + plain).status_code == 403


def test_without_authentication_middleware(client, plain):
    with override_settings(MIDDLEWARE=["sesstok.middleware.TokenAuthenticationMiddleware"]):
        c = Client()
        assert c.get("/exempt/").json()["user"] is None
        assert c.get("/exempt/", HTTP_AUTHORIZATION=f"Token {plain}").json()["user"] == "alice"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(
    header=st.one_of(
        st.text(max_size=120),
        st.builds(
            lambda k, t: f"{k} {t}", st.sampled_from(["Token", "Bearer", "bearer", "Basic"]), st.text(max_size=80)
        ),
        st.builds(lambda t: f"Bearer sst_{t}", st.text(alphabet="AZaz09-_.= ", max_size=60)),
        st.builds(lambda a, b, c: f"Bearer {a}.{b}.{c}", *[st.text(alphabet="AZaz09-_", max_size=30)] * 3),
    ),
    path=st.sampled_from(["/api/x/", "/x/"]),
)
def test_hostile_headers_never_crash(db, header, path):
    from django.http import HttpRequest, HttpResponse

    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.META["HTTP_AUTHORIZATION"] = header.encode("latin-1", "replace").decode("latin-1")
    response = TokenAuthenticationMiddleware(lambda r: HttpResponse(str(r.user.is_authenticated)))(request)
    assert response.status_code in (200, 401)
    if response.status_code == 401:
        assert json.loads(response.content)["code"] in ("malformed_token", "invalid_token")
    else:
        assert response.content == b"False"


# a URLconf for test_user_is_lazy_off_the_api: a view that never reads request.user
def _untouched(request):
    from django.http import HttpResponse

    return HttpResponse(json.dumps({"ok": True}))


from django.urls import path as _path  # noqa: E402

urlpatterns = [_path("untouched/", _untouched)]
