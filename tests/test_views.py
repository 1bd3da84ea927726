"""Login flows (sesstok.views, sesstok.urls) through Django's test clients,
WSGI (Client) and ASGI (AsyncClient): every flow, both transports where a
flow has two, wrong password, unknown user, throttling, expired, revoked and
tampered credentials, logout, logout-all, password change, refresh, the
user cache off and on."""

import json
import re
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import AsyncClient, Client, override_settings

from sesstok import access_tokens, tokens, user_cache
from sesstok.models import AuthToken

PASSWORD = "secret-password"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sesstok.middleware.TokenAuthenticationMiddleware",
]
CACHED_MIDDLEWARE = [m.replace("django.contrib.auth.middleware", "sesstok.middleware") for m in MIDDLEWARE]


class _AsyncClient(AsyncClient):
    """AsyncClient that can set the ASGI scope's client address."""

    remote_addr = None

    def _base_scope(self, **request):
        scope = super()._base_scope(**request)
        if self.remote_addr:
            scope["client"] = [self.remote_addr, 0]
        return scope


class Http:
    """One client API over Client (WSGI) and AsyncClient (ASGI)."""

    def __init__(self, kind, **kwargs):
        self.kind = kind
        self.client = Client(**kwargs) if kind == "wsgi" else _AsyncClient(**kwargs)

    def _call(self, method, *args, **kwargs):
        fn = getattr(self.client, method)
        if self.kind == "asgi":
            # WSGI environ keys as the ASGI scope carries them
            headers = kwargs.pop("headers", None) or {}
            for key in [k for k in kwargs if k.startswith("HTTP_")]:
                headers[key[5:].replace("_", "-").title()] = kwargs.pop(key)
            self.client.remote_addr = kwargs.pop("REMOTE_ADDR", None)
            return async_to_sync(fn)(*args, headers=headers, **kwargs)
        return fn(*args, **kwargs)

    def get(self, path, data=None, **extra):
        return self._call("get", path, data, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data, **extra)

    def json(self, path, body=None, method="post", **extra):
        data = json.dumps(body) if body is not None else ""
        return self._call(method, path, data, content_type="application/json", **extra)

    @property
    def cookies(self):
        return self.client.cookies

    def csrf(self):
        """The CSRF token cookie (fetched from the login page if missing)."""
        if "csrftoken" not in self.cookies:
            self.get("/login/")
        return self.cookies["csrftoken"].value


def settings_for(mode, **sesstok):
    caches = {"default": {"BACKEND": LOCMEM}, "users": {"BACKEND": LOCMEM, "LOCATION": "flows-users"}}
    config = {"REGISTRATION_OPEN": True, **sesstok}
    middleware = MIDDLEWARE
    if mode == "cached":
        config.update(USER_CACHE="users")
        middleware = CACHED_MIDDLEWARE
    return override_settings(ROOT_URLCONF="_flows_urls", CACHES=caches, SESSTOK=config, MIDDLEWARE=middleware)


@pytest.fixture(params=["plain", "cached"])
def mode(request, db):
    with settings_for(request.param):
        from django.core.cache import caches

        caches["users"].clear()
        yield request.param
    user_cache.clear_local()


@pytest.fixture(params=["wsgi", "asgi"])
def http(request, mode):
    return Http(request.param)


@pytest.fixture
def flows(db):
    """Settings only (for tests that pick their own client)."""
    with settings_for("plain"):
        yield


def error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) >= {"detail", "code"} and isinstance(body["detail"], str)
    return body["code"]


def api_login(http, username="alice", password=PASSWORD, **extra):
    return http.json("/api/login/", {"username": username, "password": password}, **extra)


def logged_in(http, username="alice"):
    response = api_login(http, username)
    assert response.status_code == 200, response.content
    return response.json()


def me(http, **extra):
    return http.get("/api/me/", **extra)


# ---- registration ---------------------------------------------------------------------------


def test_registration_is_closed_unless_opened(client, db):
    with override_settings(ROOT_URLCONF="_flows_urls"):
        assert client.get("/register/").status_code == 404
        assert client.post("/register/", {"username": "x"}).status_code == 404
        assert client.post("/register/", "{}", content_type="application/json").status_code == 404
        assert get_user_model().objects.count() == 0


def test_register_html(http):
    page = http.get("/register/")
    assert page.status_code == 200 and b'name="password1"' in page.content
    response = http.post(
        "/register/",
        {
            "username": "bob",
            "password1": "correct horse 9",
            "password2": "correct horse 9",
            "csrfmiddlewaretoken": http.csrf(),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert me(http).json()["user"]["username"] == "bob" and me(http).json()["auth"] == "session"
    assert get_user_model().objects.get(username="bob").check_password("correct horse 9")


def test_register_html_errors(http, user):
    response = http.post(
        "/register/", {"username": "ALICE", "password1": "a", "password2": "b", "csrfmiddlewaretoken": http.csrf()}
    )
    assert response.status_code == 400
    assert b"already exists" in response.content and b"didn" in response.content  # didn't match
    assert get_user_model().objects.count() == 1


def test_register_html_needs_csrf(flows, db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/register/", {"username": "bob", "password1": "correct horse 9", "password2": "correct horse 9"}
    )
    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="bob").exists()


def test_register_json(http):
    response = http.json("/register/", {"username": "bob", "password": "correct horse 9", "email": "b@example.com"})
    assert response.status_code == 201
    assert response.json()["user"]["username"] == "bob" and response.json()["user"]["email"] == "b@example.com"
    assert "sessionid" not in response.cookies  # JSON registration logs nobody in
    assert api_login(http, "bob", "correct horse 9").status_code == 200


def test_register_json_errors(http, user):
    response = http.json("/register/", {"username": "alice", "password": "x"})
    assert error(response, 400) == "invalid"
    assert set(response.json()["errors"]) == {"username"}
    assert error(http.json("/register/", {"username": "", "password": ""}), 400) == "invalid"
    assert error(http.post("/register/", "[1]", content_type="application/json"), 400) == "invalid_request"


def test_register_json_runs_password_validators(http):
    with override_settings(
        AUTH_PASSWORD_VALIDATORS=[
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}}
        ]
    ):
        response = http.json("/register/", {"username": "bob", "password": "short"})
    assert error(response, 400) == "invalid" and "password" in response.json()["errors"]


# ---- browser login (session cookie) ------------------------------------------------------------


def html_login(http, username="alice", password=PASSWORD, **extra):
    data = {"username": username, "password": password, "csrfmiddlewaretoken": http.csrf(), **extra}
    return http.post("/login/", data)


def test_browser_login_me_logout(http, user):
    page = http.get("/login/")
    assert page.status_code == 200 and "csrftoken" in http.cookies
    response = html_login(http)
    assert response.status_code == 302 and response["Location"] == "/me/"
    page = http.get("/me/")
    assert page.status_code == 200 and b"alice" in page.content and b"session" in page.content
    assert me(http).json()["auth"] == "session"
    confirm = http.get("/logout/")
    assert confirm.status_code == 200 and b"Log out" in confirm.content
    response = http.post("/logout/", {"csrfmiddlewaretoken": http.csrf()})
    assert response.status_code == 302 and response["Location"] == "/login/?logged_out=1"
    assert http.get("/me/").status_code == 302
    assert error(me(http), 401) == "not_authenticated"


def test_browser_login_redirects_to_next_on_this_host_only(http, user):
    assert html_login(http, next="/api/me/")["Location"] == "/api/me/"
    assert html_login(http, next="https://evil.example/")["Location"] == "/me/"
    assert html_login(http, next="//evil.example/")["Location"] == "/me/"


def test_me_requires_login(http):
    response = http.get("/me/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/me/"


def test_browser_login_failures_look_the_same(http, user):
    wrong = html_login(http, password="wrong")
    unknown = html_login(http, username="nobody")
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda r: re.sub(rb'value="[^"]*"', b"", r.content)  # the echoed username and CSRF token
    assert strip(wrong) == strip(unknown)
    assert b"Invalid username or password." in wrong.content
    assert "sessionid" not in http.cookies or me(http).status_code == 401


def test_browser_login_needs_csrf(flows, user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/api/me/").status_code == 401


def test_logout_needs_post_and_csrf(flows, user):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    client.post(
        "/login/", {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )
    assert client.post("/logout/").status_code == 403  # a cross-site form cannot log anyone out
    assert client.get("/logout/").status_code == 200  # GET only asks
    assert client.get("/api/me/").json()["user"]["username"] == "alice"


def test_browser_logout_everywhere(http, user):
    html_login(http)
    other = Http(http.kind)
    token = logged_in(other)["token"]
    http.post("/logout/", {"csrfmiddlewaretoken": http.csrf(), "everywhere": "1"})
    assert error(me(other, HTTP_AUTHORIZATION=f"Token {token}"), 401) == "invalid_token"
    assert AuthToken.objects.count() == 0


def test_session_password_change(http, user):
    html_login(http)
    assert me(http).status_code == 200
    user.set_password("changed-password")
    user.save()
    assert error(me(http), 401) == "not_authenticated"


# ---- API login: opaque token and JWT pair ---------------------------------------------------------


def test_api_login(http, user):
    response = api_login(http)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "sessionid" not in response.cookies
    body = response.json()
    assert set(body) == {"token", "token_type", "expires", "access", "refresh", "user"}
    assert body["token_type"] == "Token" and body["expires"] is None
    assert tokens.shape(body["token"]) == tokens.OPAQUE
    assert body["user"]["username"] == "alice"
    assert me(http, HTTP_AUTHORIZATION=f"Token {body['token']}").json()["auth"] == "token"
    assert me(http, HTTP_AUTHORIZATION=f"Bearer {body['token']}").json()["auth"] == "token"
    assert me(http, HTTP_AUTHORIZATION=f"Bearer {body['access']}").json() == {"user": body["user"], "auth": "jwt"}
    user.refresh_from_db()
    assert user.last_login is not None


def test_api_login_tokens_are_simplejwt_compatible(http, user):
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    body = logged_in(http)
    assert str(AccessToken(body["access"])["user_id"]) == str(user.pk)
    assert RefreshToken(body["refresh"])["token_type"] == "refresh"


def test_api_login_with_token_ttl(http, user):
    with override_settings(SESSTOK={"TOKEN_TTL": 3600}):
        body = logged_in(http)
    assert body["expires"] is not None


def test_api_login_failures_look_the_same(http, user, monkeypatch):
    calls = []
    real = MD5PasswordHasher.encode
    monkeypatch.setattr(MD5PasswordHasher, "encode", lambda self, *a: (calls.append(1), real(self, *a))[1])
    wrong = api_login(http, password="wrong")
    assert len(calls) == 1  # the password was hashed...
    unknown = api_login(http, username="nobody")
    assert len(calls) == 2  # ...for the unknown user too
    assert error(wrong, 401) == error(unknown, 401) == "invalid_credentials"
    assert wrong.json() == unknown.json()
    assert wrong["WWW-Authenticate"] == unknown["WWW-Authenticate"]


def test_api_login_inactive_user_is_a_wrong_password(http, user):
    user.is_active = False
    user.save()
    assert error(api_login(http), 401) == "invalid_credentials"


@pytest.mark.parametrize(
    "body, content_type, status, code",
    [
        ("{", "application/json", 400, "invalid_request"),
        ("[]", "application/json", 400, "invalid_request"),
        ('{"username": "alice"}', "application/json", 400, "invalid_request"),
        ('{"username": 1, "password": "x"}', "application/json", 400, "invalid_request"),
        ('{"username": "alice", "password": ""}', "application/json", 400, "invalid_request"),
        ("username=alice&password=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ('{"username": "alice", "password": "x"}', "text/plain", 415, "unsupported_media_type"),
        ('{"username": "alice", "password": "%s"}' % ("x" * 20000), "application/json", 413, "too_large"),
        (b'{"username": "\xff"}', "application/json", 400, "invalid_request"),
    ],
)
def test_api_login_bad_requests(http, user, body, content_type, status, code):
    assert error(http.post("/api/login/", body, content_type=content_type), status) == code


def test_api_methods(http):
    response = http.get("/api/login/")
    assert error(response, 405) == "method_not_allowed" and response["Allow"] == "POST"
    assert error(http.post("/api/me/"), 405) == "method_not_allowed"
    assert error(http.get("/api/logout/"), 405) == "method_not_allowed"


def test_api_login_token_cap_evicts_the_oldest_login_token(http, user):
    kept, _ = tokens.create_token(user, "ci")
    with override_settings(SESSTOK={"TOKEN_MAX_PER_USER": 3}):
        first = logged_in(http)["token"]
        second = logged_in(http)["token"]
        third = logged_in(http)["token"]
        assert AuthToken.objects.filter(user=user).count() == 3
        assert error(me(http, HTTP_AUTHORIZATION=f"Token {first}"), 401) == "invalid_token"
        for token in (second, third):
            assert me(http, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
        assert AuthToken.objects.filter(pk=kept.pk).exists()
        for i, token in enumerate(AuthToken.objects.filter(user=user).exclude(pk=kept.pk)):
            token.name = f"renamed {i}"  # no longer api-login tokens: never evicted
            token.save()
    with override_settings(SESSTOK={"TOKEN_MAX_PER_USER": 3}):
        assert error(api_login(http), 409) == "token_limit"


# ---- api/me, bad credentials ---------------------------------------------------------------------


def test_api_me_anonymous(http):
    response = me(http)
    assert error(response, 401) == "not_authenticated" and "WWW-Authenticate" in response


def test_bad_credentials(http, user):
    body = logged_in(http)
    access = body["access"]
    head, payload, signature = access.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert error(me(http, HTTP_AUTHORIZATION=f"Bearer {tampered}"), 401) == "invalid_token"
    assert error(me(http, HTTP_AUTHORIZATION=f"Token {body['token'][:-1]}x"), 401) == "invalid_token"
    assert error(me(http, HTTP_AUTHORIZATION="Token nonsense"), 401) == "invalid_token"  # a DRF key's shape
    assert error(me(http, HTTP_AUTHORIZATION="Token " + "n" * 41), 401) == "malformed_token"
    assert error(me(http, HTTP_AUTHORIZATION=f"Bearer {body['refresh']}"), 401) == "invalid_token"


def test_expired_credentials(http, user, monkeypatch):
    import time

    from django.utils import timezone

    with override_settings(SESSTOK={"TOKEN_TTL": 60}):
        body = logged_in(http)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 3600)
    later = timezone.now() + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert error(me(http, HTTP_AUTHORIZATION=f"Token {body['token']}"), 401) == "token_expired"
    assert error(me(http, HTTP_AUTHORIZATION=f"Bearer {body['access']}"), 401) == "token_expired"
    monkeypatch.setattr(time, "time", lambda: now + 2 * 86400)
    assert error(http.json("/api/token/refresh/", {"refresh": body["refresh"]}), 401) == "token_not_valid"


# ---- refresh ----------------------------------------------------------------------------------------


def test_refresh(http, user):
    body = logged_in(http)
    response = http.json("/api/token/refresh/", {"refresh": body["refresh"]})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    fresh = response.json()
    assert set(fresh) == {"access"}
    assert me(http, HTTP_AUTHORIZATION=f"Bearer {fresh['access']}").json()["auth"] == "jwt"


def test_refresh_rotation(http, user):
    with override_settings(SIMPLE_JWT={"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}):
        body = logged_in(http)
        rotated = http.json("/api/token/refresh/", {"refresh": body["refresh"]}).json()
        assert set(rotated) == {"access", "refresh"}
        assert error(http.json("/api/token/refresh/", {"refresh": body["refresh"]}), 401) == "token_not_valid"
        assert http.json("/api/token/refresh/", {"refresh": rotated["refresh"]}).status_code == 200


def test_refresh_errors(http, user):
    body = logged_in(http)
    assert error(http.json("/api/token/refresh/", {"refresh": body["access"]}), 401) == "token_not_valid"
    assert error(http.json("/api/token/refresh/", {"refresh": "x.y.z"}), 401) == "token_not_valid"
    assert error(http.json("/api/token/refresh/", {}), 400) == "invalid_request"
    assert error(http.json("/api/token/refresh/", {"refresh": body["refresh"] + "x"}), 401) == "token_not_valid"
    user.is_active = False
    user.save()
    assert error(http.json("/api/token/refresh/", {"refresh": body["refresh"]}), 401) == "no_active_account"


def test_refresh_after_password_change(http, user):
    body = logged_in(http)
    user.set_password("changed-password")
    user.save()
    assert error(http.json("/api/token/refresh/", {"refresh": body["refresh"]}), 401) == "password_changed"
    assert error(me(http, HTTP_AUTHORIZATION=f"Bearer {body['access']}"), 401) == "invalid_token"
    assert error(me(http, HTTP_AUTHORIZATION=f"Token {body['token']}"), 401) == "invalid_token"


# ---- logout, logout-all -------------------------------------------------------------------------------


def test_api_logout_token(http, user):
    body = logged_in(http)
    auth = {"HTTP_AUTHORIZATION": f"Token {body['token']}"}
    response = http.json("/api/logout/", **auth)
    assert response.status_code == 200 and response.json()["revoked"] == ["token"]
    assert error(me(http, **auth), 401) == "invalid_token"
    # the access token is untouched: logout ends one credential
    assert me(http, HTTP_AUTHORIZATION=f"Bearer {body['access']}").status_code == 200


def test_api_logout_with_refresh(http, user):
    body = logged_in(http)
    response = http.json("/api/logout/", {"refresh": body["refresh"]}, HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert response.json()["revoked"] == ["token", "refresh"]
    assert error(http.json("/api/token/refresh/", {"refresh": body["refresh"]}), 401) == "token_not_valid"


def test_api_logout_ignores_someone_elses_refresh_token(http, make_user):
    make_user("alice")
    make_user("bob")
    alice, bob = logged_in(http, "alice"), logged_in(http, "bob")
    response = http.json("/api/logout/", {"refresh": bob["refresh"]}, HTTP_AUTHORIZATION=f"Token {alice['token']}")
    assert response.json()["revoked"] == ["token"]
    assert http.json("/api/token/refresh/", {"refresh": bob["refresh"]}).status_code == 200


def test_api_logout_jwt_without_denylist_says_so(http, user):
    body = logged_in(http)
    response = http.json("/api/logout/", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert response.status_code == 200
    assert response.json()["revoked"] == [] and "JWT_DENYLIST" in response.json()["access_token"]


def test_api_logout_session_needs_csrf(flows, user):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    csrf = client.cookies["csrftoken"].value
    client.post("/login/", {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    csrf = client.cookies["csrftoken"].value  # rotated at login
    assert error(client.post("/api/logout/"), 403) == "csrf_failed"
    assert error(client.post("/api/logout-all/"), 403) == "csrf_failed"
    assert client.get("/api/me/").status_code == 200
    response = client.post("/api/logout/", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200 and response.json()["revoked"] == ["session"]
    assert client.get("/api/me/").status_code == 401


def test_api_logout_with_header_needs_no_csrf(flows, user):
    client = Client(enforce_csrf_checks=True)
    body = client.post(
        "/api/login/", {"username": "alice", "password": PASSWORD}, content_type="application/json"
    ).json()
    assert client.post("/api/logout/", HTTP_AUTHORIZATION=f"Token {body['token']}").status_code == 200


def test_api_logout_anonymous(http):
    assert error(http.json("/api/logout/"), 401) == "not_authenticated"
    assert error(http.json("/api/logout-all/"), 401) == "not_authenticated"


def test_api_logout_all(http, user):
    first, second = logged_in(http), logged_in(http)
    html_login(http)  # and a browser session
    response = http.json("/api/logout-all/", HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert response.status_code == 200
    assert response.json()["revoked"] == {
        "api_tokens": True,
        "refresh_tokens": True,
        "sessions": False,
        "access_tokens": False,
    }
    for body in (first, second):
        assert error(me(http, HTTP_AUTHORIZATION=f"Token {body['token']}"), 401) == "invalid_token"
        assert error(http.json("/api/token/refresh/", {"refresh": body["refresh"]}), 401) == "token_not_valid"


@pytest.fixture
def denylists(mode):
    """A revocation store with both denylists (LocMem: one process)."""
    from django.core.cache import caches
    from django.conf import settings

    config = dict(settings.SESSTOK)
    config.update(REVOCATION_CACHE="revocation", SESSION_DENYLIST=True, JWT_DENYLIST=True)
    with override_settings(
        CACHES={**settings.CACHES, "revocation": {"BACKEND": LOCMEM, "LOCATION": "flows-revocation"}},
        SESSTOK=config,
        SESSION_ENGINE="sesstok.sessions.backends.signed_cookies",
    ):
        caches["revocation"].clear()
        yield
        caches["revocation"].clear()


def test_api_logout_all_with_denylists(http, user, denylists):
    body = logged_in(http)
    browser = Http(http.kind)
    html_login(browser)
    assert me(browser).json()["auth"] == "session"
    assert me(http, HTTP_AUTHORIZATION=f"Bearer {body['access']}").status_code == 200
    response = http.json("/api/logout-all/", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert response.json()["revoked"] == {
        "api_tokens": True,
        "refresh_tokens": True,
        "sessions": True,
        "access_tokens": True,
    }
    assert error(me(http, HTTP_AUTHORIZATION=f"Bearer {body['access']}"), 401) == "invalid_token"
    assert error(me(browser), 401) == "not_authenticated"
    assert error(http.json("/api/token/refresh/", {"refresh": body["refresh"]}), 401) == "token_not_valid"


def test_api_logout_jwt_with_denylist(http, user, denylists):
    body = logged_in(http)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {body['access']}"}
    assert http.json("/api/logout/", **auth).json()["revoked"] == ["jwt"]
    assert error(me(http, **auth), 401) == "invalid_token"
    assert me(http, HTTP_AUTHORIZATION=f"Token {body['token']}").status_code == 200


def test_signed_cookie_session_logout_is_real(http, user, denylists):
    html_login(http)
    cookie = http.cookies["sessionid"].value
    http.post("/logout/", {"csrfmiddlewaretoken": http.csrf()})
    replay = Http(http.kind)
    replay.cookies["sessionid"] = cookie
    assert error(me(replay), 401) == "not_authenticated"


# ---- throttling -----------------------------------------------------------------------------------------


def test_throttle_per_user_and_address(http, user):
    with override_settings(SESSTOK={"LOGIN_FAILURE_LIMIT": 3}):
        for _ in range(3):
            assert error(api_login(http, password="wrong"), 401) == "invalid_credentials"
        blocked = api_login(http)  # even the right password: no guessing past the limit
        assert error(blocked, 429) == "throttled"
        assert 1 <= int(blocked["Retry-After"]) <= 900
        # the same user from another address is not locked out
        assert api_login(http, REMOTE_ADDR="10.0.0.2").status_code == 200
        # and another user from the throttled address is not affected
        assert error(api_login(http, "nobody", REMOTE_ADDR="127.0.0.1"), 401) == "invalid_credentials"
        # the browser form shares the counters
        response = html_login(http)
        assert response.status_code == 429 and b"Too many failed attempts" in response.content


def test_throttle_counts_unknown_users_the_same_way(http, user):
    with override_settings(SESSTOK={"LOGIN_FAILURE_LIMIT": 2}):
        for username in ("alice", "nobody"):
            for _ in range(2):
                api_login(http, username, password="wrong")
            assert error(api_login(http, username, password="wrong"), 429) == "throttled"


def test_throttle_success_resets_the_pair(http, user):
    with override_settings(SESSTOK={"LOGIN_FAILURE_LIMIT": 3}):
        for _ in range(2):
            api_login(http, password="wrong")
        assert api_login(http).status_code == 200
        for _ in range(2):
            api_login(http, password="wrong")
        assert api_login(http).status_code == 200


def test_throttle_per_user_is_only_a_delay(http, user, monkeypatch):
    import sesstok.views

    slept = []
    monkeypatch.setattr(sesstok.views.time, "sleep", slept.append)
    with override_settings(
        SESSTOK={"LOGIN_FAILURE_LIMIT": 100, "LOGIN_USER_DELAY_AFTER": 2, "LOGIN_USER_DELAY_MAX": 0.5}
    ):
        for i in range(6):
            api_login(http, password="wrong", REMOTE_ADDR=f"10.1.0.{i}")
        assert slept == [0.1, 0.2, 0.4, 0.5]
        # the owner, from their own address, still gets in (late, never refused)
        assert api_login(http, REMOTE_ADDR="10.9.9.9").status_code == 200
        assert slept[-1] == 0.5


def test_throttle_behind_a_trusted_proxy(http, user):
    with override_settings(SESSTOK={"LOGIN_FAILURE_LIMIT": 2, "TRUSTED_PROXY_COUNT": 1}):
        for _ in range(2):
            api_login(http, password="wrong", HTTP_X_FORWARDED_FOR="203.0.113.9")
        assert error(api_login(http, HTTP_X_FORWARDED_FOR="203.0.113.9"), 429) == "throttled"
        # the client cannot pick its address: only the proxy's entry counts
        assert error(api_login(http, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9"), 429) == "throttled"
        assert api_login(http, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 200


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(http, user):
    with override_settings(SESSTOK={"LOGIN_FAILURE_LIMIT": 2}):
        for i in range(2):
            api_login(http, password="wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        assert error(api_login(http, HTTP_X_FORWARDED_FOR="198.51.100.99"), 429) == "throttled"


def test_throttle_off(http, user):
    with override_settings(SESSTOK={"LOGIN_THROTTLE_CACHE": None, "LOGIN_FAILURE_LIMIT": 1}):
        for _ in range(3):
            assert error(api_login(http, password="wrong"), 401) == "invalid_credentials"
        assert api_login(http).status_code == 200


# ---- the user cache in the flows ---------------------------------------------------------------------------


def test_flows_use_the_user_cache(http, user, mode):
    body = logged_in(http)
    for auth in (f"Token {body['token']}", f"Bearer {body['access']}"):
        me(http, HTTP_AUTHORIZATION=auth)
        before = user_cache.stats()
        assert me(http, HTTP_AUTHORIZATION=auth).status_code == 200
        after = user_cache.stats()
        used = [k for k in after if after[k] != before[k]]
        assert used == (["local"] if mode == "cached" else [])  # off: the prepared query, no cache


def test_csrf_failure_view(flows, user):
    with override_settings(CSRF_FAILURE_VIEW="sesstok.views.csrf_failure"):
        client = Client(enforce_csrf_checks=True)
        assert client.post("/login/").status_code == 403
        assert b"CSRF" in client.post("/login/").content
        from django.test import RequestFactory

        from sesstok.views import csrf_failure

        response = csrf_failure(RequestFactory().post("/api/x/"), reason="no token")
        assert response.status_code == 403 and json.loads(response.content)["code"] == "csrf_failed"


def test_throttle_cache_checks(db):
    from django.core import checks

    def ids(**settings):
        with override_settings(**settings):
            return sorted({m.id for m in checks.run_checks(tags=["sesstok"]) if m.id.startswith("sesstok.")})

    local = {"default": {"BACKEND": LOCMEM}}
    assert ids(ROOT_URLCONF="_flows_urls", CACHES=local) == ["sesstok.W004"]
    assert ids(ROOT_URLCONF="_flows_urls", CACHES=local, DEBUG=True) == []
    assert ids(ROOT_URLCONF="_urls", CACHES=local) == []  # the flows are not installed: nothing to warn about
    assert ids(ROOT_URLCONF="_flows_urls", CACHES=local, SESSTOK={"LOGIN_THROTTLE_CACHE": "nope"}) == ["sesstok.E012"]
    assert ids(ROOT_URLCONF="_flows_urls", CACHES=local, SESSTOK={"LOGIN_THROTTLE_CACHE": None}) == []


def test_logout_all_bumps_the_epoch_once(http, user):
    from sesstok.models import UserEpoch

    body = logged_in(http)
    http.json("/api/logout-all/", HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert UserEpoch.objects.get(user=user).epoch == 1
