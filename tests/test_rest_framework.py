"""sesstok.contrib.rest_framework through DRF's APIClient, side by side with
DRF's TokenAuthentication and SimpleJWT's classes and views on the same API
(tests/drf_project): same status codes, bodies and WWW-Authenticate headers
for valid, missing, malformed, expired, wrong-type, revoked and
inactive-user credentials; both classes listed together in either order;
the HttpOnly-cookie transport with DRF's CSRF enforcement."""

import time
from datetime import timedelta

import jwt as pyjwt
import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from _simplejwt import frozen, simplejwt_settings
from sesstok import refresh_tokens, revocation, tokens
from sesstok.access_tokens import issue_access_token

pytestmark = pytest.mark.usefixtures("drf_urls")

# one frozen instant for the blocks a test compares (a fresh now per block
# could straddle a second)
AT = int(time.time()) + 0.25


DRF_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


@pytest.fixture
def drf_urls(db):
    # DRF authenticates these views itself: no sesstok middleware in front
    with override_settings(ROOT_URLCONF="drf_project.urls", MIDDLEWARE=DRF_MIDDLEWARE):
        yield


@pytest.fixture
def api():
    return APIClient()


def call(api, setup, header=None, path="items/", method="get", **kwargs):
    if header is not None:
        kwargs["HTTP_AUTHORIZATION"] = header
    response = getattr(api, method)(f"/api/{setup}/{path}", **kwargs)
    return response.status_code, response.json(), response.headers.get("WWW-Authenticate")


def same(api, ours, theirs, header, **kwargs):
    """The response of setup `ours` equals that of `theirs`; returns it."""
    mine = call(api, ours, header, **kwargs)
    original = call(api, theirs, header, **kwargs)
    # request.auth is each library's own class (AuthToken / Token, AccessToken)
    strip = lambda r: (r[0], {k: v for k, v in r[1].items() if k != "auth_class"}, r[2])  # noqa: E731
    assert strip(mine) == strip(original), (header, mine, original)
    return mine


def sj_access(user, **claims):
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(user)
    for name, value in claims.items():
        token[name] = value
    return str(token)


def sj_refresh(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    return str(RefreshToken.for_user(user))


# ---- TokenAuthentication vs DRF's -------------------------------------------------------


@pytest.fixture
def drf_key(user):
    """A DRF authtoken key, imported into sesstok (the same header works for both)."""
    from rest_framework.authtoken.models import Token

    key = Token.objects.create(user=user).key
    tokens.import_key(user, key)
    return key


def test_token_valid(api, user, drf_key):
    status, body, _ = same(api, "token", "drf", f"Token {drf_key}")
    assert status == 200 and body["username"] == "alice" and body["auth_class"] == "AuthToken"
    _, plain = tokens.create_token(user, "laptop")
    status, body, _ = call(api, "token", f"Token {plain}")
    assert status == 200 and body["username"] == "alice"
    assert call(api, "token", f"Token {plain}", path="items/1/")[1]["name"] == "apple"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Token",
        "Token a b",
        "Token " + "0" * 40,
        "Token sst_" + "A" * 43,
        "Token not-a-token",
        "token " + "0" * 40,
        "Basic dXNlcjpwYXNz",
        "Bearer " + "0" * 40,
        "Token \xe9\xe8",
    ],
)
def test_token_refusals_match_drf(api, drf_key, header):
    status, body, www = same(api, "token", "drf", header)
    assert status in (200, 401) and (www == "Token" or status == 200)


def test_token_inactive_user_matches_drf(api, user, drf_key):
    user.is_active = False
    user.save()
    status, body, www = same(api, "token", "drf", f"Token {drf_key}")
    assert (status, body, www) == (401, {"detail": "User inactive or deleted."}, "Token")


def test_token_expired_and_revoked(api, user):
    _, plain = tokens.create_token(user, "old", expires=-1)
    assert call(api, "token", f"Token {plain}") == (401, {"detail": "Token has expired."}, "Token")
    _, plain = tokens.create_token(user, "revoked")
    tokens.revoke_token(plain)
    assert call(api, "token", f"Token {plain}") == (401, {"detail": "Invalid token."}, "Token")
    _, plain = tokens.create_token(user, "pw")
    user.set_password("changed")
    user.save()
    assert call(api, "token", f"Token {plain}")[0] == 401


def test_token_needs_no_query_for_a_misshapen_value(api, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert call(api, "token", "Token eyJhbGciOi.eyJ.sig")[0] == 401
    assert len(queries) == 0


def test_obtain_auth_token_matches_drf(api, user):
    from rest_framework.authtoken.models import Token

    for data in ({}, {"username": "alice"}, {"username": "alice", "password": "wrong"}):
        for fmt in ("json", None):
            ours = api.post("/api/auth-token/", data, format=fmt)
            theirs = api.post("/drf/auth-token/", data, format=fmt)
            assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json())
            assert ours.status_code == 400
    ours = api.post("/api/auth-token/", {"username": "alice", "password": "secret-password"}, format="json")
    theirs = api.post("/drf/auth-token/", {"username": "alice", "password": "secret-password"}, format="json")
    assert ours.status_code == theirs.status_code == 200
    assert set(ours.json()) == set(theirs.json()) == {"token"}
    assert theirs.json()["token"] == Token.objects.get(user=user).key
    plain = ours.json()["token"]
    assert plain.startswith("sst_")
    assert call(api, "token", f"Token {plain}")[0] == 200
    # named tokens: the same name again replaces it
    first = api.post("/api/auth-token/", {"username": "alice", "password": "secret-password", "name": "phone"}).json()
    second = api.post("/api/auth-token/", {"username": "alice", "password": "secret-password", "name": "phone"}).json()
    assert call(api, "token", f"Token {first['token']}")[0] == 401
    assert call(api, "token", f"Token {second['token']}")[0] == 200


def test_obtain_auth_token_respects_the_cap(api, user):
    with override_settings(SESSTOK={"TOKEN_MAX_PER_USER": 1}):
        assert api.post("/api/auth-token/", {"username": "alice", "password": "secret-password"}).status_code == 200
        response = api.post("/api/auth-token/", {"username": "alice", "password": "secret-password"})
        assert response.status_code == 400 and "non_field_errors" in response.json()


# ---- JWTAuthentication vs SimpleJWT's ------------------------------------------------------


JWT_PAIRS = [("jwt", "simplejwt"), ("stateless", "simplejwt-stateless")]


@pytest.mark.parametrize("ours,theirs", JWT_PAIRS)
def test_jwt_valid_both_minters(api, user, ours, theirs):
    for raw in (issue_access_token(user), sj_access(user), refresh_tokens.issue_pair(user)["access"]):
        status, body, _ = same(api, ours, theirs, f"Bearer {raw}")
        assert status == 200 and body["user"] == str(user.pk)
    status, body, _ = call(api, ours, f"Bearer {issue_access_token(user)}")
    assert body["auth_class"] == "AccessToken"
    assert body["user_class"] == ("User" if ours == "jwt" else "TokenUser")


def _malformed_headers(user):
    raw = sj_access(user)
    head, payload, signature = raw.split(".")
    other_key = pyjwt.encode(pyjwt.decode(raw, options={"verify_signature": False}), "o" * 64, algorithm="HS256")
    return [
        None,
        "",
        "Bearer",
        "Bearer a b",
        "Bearer garbage",
        "Bearer a.b.c",
        f"Bearer {head}.{payload}.{signature[:-3]}abc",
        f"Bearer {other_key}",
        f"Bearer {raw}x",
        "bearer " + raw,
        "Token " + raw,
        "JWT " + raw,
        f"Bearer {pyjwt.encode({'user_id': '1', 'token_type': 'access', 'jti': 'x'}, None, algorithm='none')}",
        "Bearer " + "x" * 10000,
    ]


@pytest.mark.parametrize("ours,theirs", JWT_PAIRS)
def test_jwt_malformed_matches_simplejwt(api, user, ours, theirs):
    for header in _malformed_headers(user):
        status, body, www = same(api, ours, theirs, header)
        assert status == 401 and www == 'Bearer realm="api"'


@pytest.mark.parametrize("ours,theirs", JWT_PAIRS)
def test_jwt_expired_wrong_type_missing_claims_match_simplejwt(api, user, ours, theirs):
    from rest_framework_simplejwt.tokens import AccessToken

    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=timedelta(seconds=-5))
    no_jti = AccessToken.for_user(user)
    del no_jti["jti"]
    no_type = AccessToken.for_user(user)
    del no_type["token_type"]
    no_user = AccessToken.for_user(user)
    del no_user["user_id"]
    no_exp = AccessToken.for_user(user)
    del no_exp["exp"]
    cases = {
        "expired": str(expired),
        "refresh as access": sj_refresh(user),
        "sesstok refresh as access": refresh_tokens.issue_pair(user)["refresh"],
        "sliding as access": refresh_tokens.issue_sliding(user),
        "no jti": str(no_jti),
        "no type": str(no_type),
        "no user": str(no_user),
        "no exp": str(no_exp),
    }
    for name, raw in cases.items():
        status, body, www = same(api, ours, theirs, f"Bearer {raw}")
        assert status == 401 and body["code"] == "token_not_valid", name
    body = call(api, ours, f"Bearer {cases['expired']}")[1]
    assert body["messages"] == [{"token_class": "AccessToken", "token_type": "access", "message": "Token is expired"}]
    body = call(api, ours, f"Bearer {cases['refresh as access']}")[1]
    assert body["messages"][0]["message"] == "Token has wrong type"


def test_jwt_inactive_and_missing_users_match_simplejwt(api, user, make_user):
    raw = sj_access(user)
    user.is_active = False
    user.save()
    assert same(api, "jwt", "simplejwt", f"Bearer {raw}") == (
        401,
        {"detail": "User is inactive", "code": "user_inactive"},
        'Bearer realm="api"',
    )
    # stateless never looks: SimpleJWT's TokenUser is always active
    assert same(api, "stateless", "simplejwt-stateless", f"Bearer {raw}")[0] == 200
    with override_settings(SIMPLE_JWT={"CHECK_USER_IS_ACTIVE": False}):
        assert call(api, "jwt", f"Bearer {raw}")[0] == 200
    other = make_user()
    raw = sj_access(other)
    other.delete()
    assert same(api, "jwt", "simplejwt", f"Bearer {raw}") == (
        401,
        {"detail": "User not found", "code": "user_not_found"},
        'Bearer realm="api"',
    )


def test_jwt_password_change_revokes(api, user):
    raw = refresh_tokens.issue_pair(user)["access"]
    theirs = sj_access(user)
    user.set_password("new-one")
    user.save()
    assert call(api, "jwt", f"Bearer {raw}") == (
        401,
        {"detail": "The user's password has been changed.", "code": "password_changed"},
        'Bearer realm="api"',
    )
    # SimpleJWT's tokens carry no auth hash: still accepted (as by SimpleJWT)...
    assert call(api, "jwt", f"Bearer {theirs}")[0] == 200
    # ...unless SimpleJWT's CHECK_REVOKE_TOKEN is on, then both agree
    with simplejwt_settings({"CHECK_REVOKE_TOKEN": True}):
        raw = sj_access(user)
        user.set_password("newer")
        user.save()
        assert same(api, "jwt", "simplejwt", f"Bearer {raw}")[1]["code"] == "password_changed"


@pytest.mark.parametrize("setup", ["jwt", "stateless"])
def test_jwt_revoked_with_the_denylist(api, user, setup, locmem_revocation):
    from sesstok.access_tokens import revoke_access_token

    raw = refresh_tokens.issue_pair(user)["access"]
    assert call(api, setup, f"Bearer {raw}")[0] == 200
    revoke_access_token(raw)
    assert call(api, setup, f"Bearer {raw}") == (
        401,
        {"detail": "Token is blacklisted", "code": "token_not_valid"},
        'Bearer realm="api"',
    )
    with frozen(time.time() - 5):
        older = sj_access(user)
    fresh = refresh_tokens.issue_pair(user)["access"]
    revocation.logout_everywhere(user)
    for raw in (older, fresh):
        assert call(api, setup, f"Bearer {raw}")[1]["detail"] == "Token is blacklisted"
    assert call(api, setup, f"Bearer {refresh_tokens.issue_pair(user)['access']}")[0] == 200


def test_jwt_revocation_store_down_is_503(api, user, redis_settings):
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
        raw = sj_access(user)
        status, body, _ = call(api, "jwt", f"Bearer {raw}")
    assert status == 503 and body == {
        "detail": "The revocation store is unavailable.",
        "code": "revocation_unavailable",
    }


def test_jwt_settings_from_simple_jwt(api, user):
    from _jwt_helpers import key_text

    variants = [
        {"ALGORITHM": "HS512", "SIGNING_KEY": "k" * 64},
        {"AUDIENCE": "api", "ISSUER": "https://issuer.example", "LEEWAY": 3},
        {"USER_ID_FIELD": "username", "USER_ID_CLAIM": "sub", "TOKEN_TYPE_CLAIM": "typ", "JTI_CLAIM": "id"},
        {"AUTH_HEADER_TYPES": ("JWT", "Bearer"), "AUTH_HEADER_NAME": "HTTP_X_ACCESS_TOKEN"},
        {
            "ALGORITHM": "RS256",
            "SIGNING_KEY": key_text("rsa2048_private.pem"),
            "VERIFYING_KEY": key_text("rsa2048_public.pem"),
        },
        {
            "ALGORITHM": "ES256",
            "SIGNING_KEY": key_text("p256_private.pem"),
            "VERIFYING_KEY": key_text("p256_public.pem"),
        },
        {
            "ALGORITHM": "EdDSA",
            "SIGNING_KEY": key_text("ed25519_private.pem"),
            "VERIFYING_KEY": key_text("ed25519_public.pem"),
        },
        {
            "AUTH_TOKEN_CLASSES": (
                "rest_framework_simplejwt.tokens.AccessToken",
                "rest_framework_simplejwt.tokens.SlidingToken",
            )
        },
    ]
    for simple_jwt in variants:
        header_name = simple_jwt.get("AUTH_HEADER_NAME", "HTTP_AUTHORIZATION")
        scheme = simple_jwt.get("AUTH_HEADER_TYPES", ("Bearer",))[0]
        with simplejwt_settings(simple_jwt):
            for raw in (refresh_tokens.issue_pair(user)["access"], sj_access(user)):
                for setup in ("jwt", "simplejwt", "stateless", "simplejwt-stateless"):
                    response = api.get(f"/api/{setup}/items/", **{header_name: f"{scheme} {raw}"})
                    assert response.status_code == 200, (simple_jwt, setup, response.json())
            if "AUTH_TOKEN_CLASSES" in simple_jwt:
                raw = refresh_tokens.issue_sliding(user)
                assert same(api, "jwt", "simplejwt", f"Bearer {raw}")[0] == 200
                bad = same(api, "jwt", "simplejwt", "Bearer " + sj_refresh(user))
                assert [m["token_class"] for m in bad[1]["messages"]] == ["AccessToken", "SlidingToken"]
            if header_name != "HTTP_AUTHORIZATION":
                status, body, www = same(api, "jwt", "simplejwt", None)
                assert status == 401 and www == 'JWT realm="api"'


def test_token_user_class_and_rule_settings(api, user):
    with override_settings(
        SIMPLE_JWT={
            "TOKEN_USER_CLASS": "test_rest_framework.MyTokenUser",
            "USER_AUTHENTICATION_RULE": "test_rest_framework.only_staff",
        }
    ):
        raw = refresh_tokens.issue_pair(user, claims={"username": "alice"})["access"]
        assert call(api, "stateless", f"Bearer {raw}")[1]["user_class"] == "MyTokenUser"
        # the rule applies when obtaining tokens
        response = api.post("/api/token/", {"username": "alice", "password": "secret-password"})
        assert response.status_code == 401
        assert response.json() == {"detail": "No active account found with the given credentials"}


def only_staff(user):
    return user is not None and user.is_staff


from sesstok.contrib.rest_framework.tokens import TokenUser  # noqa: E402


class MyTokenUser(TokenUser):
    pass


# ---- both kinds under Bearer, either order -------------------------------------------------


@pytest.mark.parametrize("setup", ["jwt-token", "token-jwt", "bearer-token-jwt", "jwt-bearer-token"])
def test_opaque_and_jwt_together(api, user, drf_key, setup):
    _, plain = tokens.create_token(user, "cli")
    jwt = refresh_tokens.issue_pair(user)["access"]
    bearer_opaque = setup.startswith("bearer") or setup.endswith("bearer-token")
    for header, ok in [
        (f"Token {plain}", True),
        (f"Token {drf_key}", True),
        (f"Bearer {jwt}", True),
        (f"Bearer {plain}", bearer_opaque),
        (f"Bearer {drf_key}", bearer_opaque),
    ]:
        status, body, _ = call(api, setup, header)
        assert (status == 200) is ok, (setup, header, body)
        if ok:
            assert body["username"] == "alice"
    # a malformed Bearer value is SimpleJWT's 401 token_not_valid in every order
    for header in ("Bearer garbage", "Bearer a.b.c", f"Bearer {jwt[:-2]}"):
        status, body, _ = call(api, setup, header)
        assert status == 401 and body["code"] == "token_not_valid", (setup, header)
    # a bad opaque token is DRF's "Invalid token." whatever the order
    status, body, _ = call(api, setup, "Token " + "f" * 40)
    assert (status, body) == (401, {"detail": "Invalid token."})
    if bearer_opaque:
        status, body, _ = call(api, setup, "Bearer sst_" + "A" * 43)
        assert (status, body) == (401, {"detail": "Invalid token."})


def test_jwt_returns_none_for_opaque_values(user):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from sesstok.contrib.rest_framework.authentication import JWTAuthentication

    _, plain = tokens.create_token(user, "x")
    for value in (plain, "a" * 40, "0123456789" * 4):
        request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {value}"))
        assert JWTAuthentication().authenticate(request) is None
    for value in ("A" * 40, "sst_short", "garbage"):
        request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {value}"))
        with pytest.raises(Exception) as info:
            JWTAuthentication().authenticate(request)
        assert info.value.detail["code"] == "token_not_valid"


# ---- the token views vs SimpleJWT's ------------------------------------------------------------


def post(api, path, data, **kwargs):
    response = api.post(path, data, format="json", **kwargs)
    return response.status_code, response.json()


def both(api, path, data):
    ours = post(api, f"/api/{path}", data)
    theirs = post(api, f"/sj/{path}", data)
    return ours, theirs


def test_obtain_pair_view(api, user):
    for data in (
        {},
        {"username": "alice"},
        {"username": "alice", "password": "nope"},
        {"username": "", "password": ""},
    ):
        ours, theirs = both(api, "token/", data)
        assert ours == theirs
    user.is_active = False
    user.save()
    ours, theirs = both(api, "token/", {"username": "alice", "password": "secret-password"})
    assert ours == theirs == (401, {"detail": "No active account found with the given credentials"})
    user.is_active = True
    user.save()
    # (the same jti for both: only SimpleJWT records it in its tables)
    with frozen(AT), override_settings(SESSTOK={"REFRESH_BLACKLIST": "sesstok"}):
        ours = post(api, "/api/token/", {"username": "alice", "password": "secret-password"})
    with frozen(AT):
        theirs = post(api, "/sj/token/", {"username": "alice", "password": "secret-password"})
    assert ours[0] == theirs[0] == 200 and set(ours[1]) == set(theirs[1]) == {"refresh", "access"}
    strip = lambda raw: {
        k: v for k, v in pyjwt.decode(raw, options={"verify_signature": False}).items() if k != "sst_ah"
    }  # noqa: E731
    assert strip(ours[1]["access"]) == strip(theirs[1]["access"])
    assert strip(ours[1]["refresh"]) == strip(theirs[1]["refresh"])


def test_obtain_updates_last_login(api, user):
    with override_settings(SIMPLE_JWT={"UPDATE_LAST_LOGIN": True}):
        assert post(api, "/api/token/", {"username": "alice", "password": "secret-password"})[0] == 200
    user.refresh_from_db()
    assert user.last_login is not None


def test_refresh_view(api, user):
    pair = post(api, "/api/token/", {"username": "alice", "password": "secret-password"})[1]
    for path in ("api", "sj"):
        status, body = post(api, f"/{path}/token/refresh/", {"refresh": pair["refresh"]})
        assert status == 200 and set(body) == {"access"}
        assert call(api, "jwt", f"Bearer {body['access']}")[0] == 200
    for data in ({}, {"refresh": ""}, {"refresh": "garbage"}, {"refresh": pair["access"]}):
        ours, theirs = both(api, "token/refresh/", data)
        assert ours == theirs, data
    assert both(api, "token/refresh/", {"refresh": "garbage"})[0] == (
        401,
        {"detail": "Token is invalid", "code": "token_not_valid"},
    )


def test_refresh_view_rotation_and_blacklist(api, user):
    with simplejwt_settings({"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}):
        pair = post(api, "/api/token/", {"username": "alice", "password": "secret-password"})[1]
        status, body = post(api, "/api/token/refresh/", {"refresh": pair["refresh"]})
        assert status == 200 and set(body) == {"access", "refresh"}
        ours, theirs = both(api, "token/refresh/", {"refresh": pair["refresh"]})
        assert ours == theirs == (401, {"detail": "Token is blacklisted", "code": "token_not_valid"})
        # SimpleJWT rotates sesstok's refresh token and sesstok honours its blacklisting
        status, rotated = post(api, "/sj/token/refresh/", {"refresh": body["refresh"]})
        assert status == 200
        assert post(api, "/api/token/refresh/", {"refresh": body["refresh"]})[0] == 401
        assert post(api, "/api/token/refresh/", {"refresh": rotated["refresh"]})[0] == 200


def test_verify_view(api, user):
    pair = refresh_tokens.issue_pair(user)
    for data in (
        {"token": pair["access"]},
        {"token": pair["refresh"]},
        {"token": "garbage"},
        {},
        {"token": sj_access(user)},
    ):
        ours, theirs = both(api, "token/verify/", data)
        assert ours == theirs, data
    with simplejwt_settings({"BLACKLIST_AFTER_ROTATION": True}):
        refresh_tokens.blacklist(pair["refresh"])
        ours, theirs = both(api, "token/verify/", {"token": pair["refresh"]})
        assert ours == theirs == (400, {"non_field_errors": ["Token is blacklisted"]})


def test_blacklist_view(api, user):
    for minted_by in ("api", "sj"):
        pair = post(api, f"/{minted_by}/token/", {"username": "alice", "password": "secret-password"})[1]
        assert post(api, "/api/token/blacklist/", {"refresh": pair["refresh"]}) == (200, {})
        ours, theirs = both(api, "token/refresh/", {"refresh": pair["refresh"]})
        assert ours == theirs == (401, {"detail": "Token is blacklisted", "code": "token_not_valid"})
        ours, theirs = both(api, "token/blacklist/", {"refresh": pair["refresh"]})
        assert ours == theirs
    ours, theirs = both(api, "token/blacklist/", {"refresh": "garbage"})
    assert ours == theirs


def test_blacklist_view_with_sesstok_tables(api, user):
    with override_settings(SESSTOK={"REFRESH_BLACKLIST": "sesstok"}):
        pair = post(api, "/api/token/", {"username": "alice", "password": "secret-password"})[1]
        assert post(api, "/api/token/blacklist/", {"refresh": pair["refresh"]}) == (200, {})
        assert post(api, "/api/token/refresh/", {"refresh": pair["refresh"]}) == (
            401,
            {"detail": "Token is blacklisted", "code": "token_not_valid"},
        )


def test_sliding_views(api, user):
    status, body = post(api, "/api/token/sliding/", {"username": "alice", "password": "secret-password"})
    assert status == 200 and set(body) == {"token"}
    sliding = body["token"]
    with simplejwt_settings({"AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.SlidingToken",)}):
        assert same(api, "jwt", "simplejwt", f"Bearer {sliding}")[0] == 200
        for path in ("api", "sj"):
            status, body = post(api, f"/{path}/token/sliding/refresh/", {"token": sliding})
            assert status == 200
            assert call(api, "jwt", f"Bearer {body['token']}")[0] == 200
        sj_sliding = post(api, "/sj/token/sliding/", {"username": "alice", "password": "secret-password"})[1]["token"]
        assert post(api, "/api/token/sliding/refresh/", {"token": sj_sliding})[0] == 200
        for data in ({"token": "garbage"}, {}, {"token": refresh_tokens.issue_pair(user)["refresh"]}):
            ours, theirs = both(api, "token/sliding/refresh/", data)
            assert ours == theirs, data
        # a blacklisted sliding token is refused for authentication, as by SimpleJWT
        refresh_tokens.blacklist(sliding, "sliding")
        status, body, _ = same(api, "jwt", "simplejwt", f"Bearer {sliding}")
        assert status == 401 and body["messages"][0]["message"] == "Token is blacklisted"


def test_custom_obtain_serializer_adds_claims(api, user):
    with override_settings(SIMPLE_JWT={"TOKEN_OBTAIN_SERIALIZER": "test_rest_framework.NamedObtainSerializer"}):
        body = post(api, "/api/token/", {"username": "alice", "password": "secret-password"})[1]
    for name in ("access", "refresh"):
        assert pyjwt.decode(body[name], options={"verify_signature": False})["name"] == "alice!"
    assert body["extra"] == "yes"
    # the claim rides along on refresh, as with SimpleJWT
    access = post(api, "/api/token/refresh/", {"refresh": body["refresh"]})[1]["access"]
    assert pyjwt.decode(access, options={"verify_signature": False})["name"] == "alice!"
    # and SimpleJWT's TokenUser exposes it, as an attribute
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from sesstok.contrib.rest_framework.authentication import JWTStatelessUserAuthentication

    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {access}"))
    token_user, _ = JWTStatelessUserAuthentication().authenticate(request)
    assert token_user.name == "alice!" and token_user.pk == str(user.pk) and token_user.missing is None


from sesstok.contrib.rest_framework.serializers import TokenObtainPairSerializer  # noqa: E402


class NamedObtainSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token["name"] = user.get_username() + "!"
        return token

    def validate(self, attrs):
        data = super().validate(attrs)
        data["extra"] = "yes"
        return data


def test_simplejwt_custom_serializer_works_too(api, user):
    """A project's serializer still subclassing SimpleJWT's keeps working
    (on SimpleJWT's slower path) until its import is changed."""
    with simplejwt_settings({"TOKEN_OBTAIN_SERIALIZER": "test_rest_framework.SimpleJWTNamedSerializer"}):
        body = post(api, "/api/token/", {"username": "alice", "password": "secret-password"})[1]
        assert pyjwt.decode(body["access"], options={"verify_signature": False})["name"] == "alice"
        assert call(api, "jwt", f"Bearer {body['access']}")[0] == 200


def _simplejwt_named():
    from rest_framework_simplejwt.serializers import TokenObtainPairSerializer as Base

    class SimpleJWTNamedSerializer(Base):
        @classmethod
        def get_token(cls, user):
            token = super().get_token(user)
            token["name"] = user.get_username()
            return token

    return SimpleJWTNamedSerializer


def __getattr__(name):
    if name == "SimpleJWTNamedSerializer":
        return _simplejwt_named()
    raise AttributeError(name)


def test_settings_copied_from_simplejwt_docs(api, user):
    """The SIMPLE_JWT block of SimpleJWT's settings documentation, every
    default spelled out (SimpleJWT's import paths included), works as is."""
    from django.conf import settings

    simple_jwt = {
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
        "ROTATE_REFRESH_TOKENS": False,
        "BLACKLIST_AFTER_ROTATION": False,
        "UPDATE_LAST_LOGIN": False,
        "ALGORITHM": "HS256",
        "SIGNING_KEY": settings.SECRET_KEY,
        "VERIFYING_KEY": "",
        "AUDIENCE": None,
        "ISSUER": None,
        "JSON_ENCODER": None,
        "JWK_URL": None,
        "LEEWAY": 0,
        "AUTH_HEADER_TYPES": ("Bearer",),
        "AUTH_HEADER_NAME": "HTTP_AUTHORIZATION",
        "USER_ID_FIELD": "id",
        "USER_ID_CLAIM": "user_id",
        "USER_AUTHENTICATION_RULE": "rest_framework_simplejwt.authentication.default_user_authentication_rule",
        "ON_LOGIN_SUCCESS": "rest_framework_simplejwt.serializers.default_on_login_success",
        "ON_LOGIN_FAILED": "rest_framework_simplejwt.serializers.default_on_login_failed",
        "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken",),
        "TOKEN_TYPE_CLAIM": "token_type",
        "TOKEN_USER_CLASS": "rest_framework_simplejwt.models.TokenUser",
        "JTI_CLAIM": "jti",
        "SLIDING_TOKEN_REFRESH_EXP_CLAIM": "refresh_exp",
        "SLIDING_TOKEN_LIFETIME": timedelta(minutes=5),
        "SLIDING_TOKEN_REFRESH_LIFETIME": timedelta(days=1),
        "TOKEN_OBTAIN_SERIALIZER": "rest_framework_simplejwt.serializers.TokenObtainPairSerializer",
        "TOKEN_REFRESH_SERIALIZER": "rest_framework_simplejwt.serializers.TokenRefreshSerializer",
        "TOKEN_VERIFY_SERIALIZER": "rest_framework_simplejwt.serializers.TokenVerifySerializer",
        "TOKEN_BLACKLIST_SERIALIZER": "rest_framework_simplejwt.serializers.TokenBlacklistSerializer",
        "SLIDING_TOKEN_OBTAIN_SERIALIZER": "rest_framework_simplejwt.serializers.TokenObtainSlidingSerializer",
        "SLIDING_TOKEN_REFRESH_SERIALIZER": "rest_framework_simplejwt.serializers.TokenRefreshSlidingSerializer",
    }
    import sys

    with simplejwt_settings(simple_jwt):
        from sesstok.contrib.rest_framework.views import TokenObtainPairView

        assert TokenObtainPairView().get_serializer_class().__module__ == "sesstok.contrib.rest_framework.serializers"
        pair = post(api, "/api/token/", {"username": "alice", "password": "secret-password"})[1]
        for setup in ("jwt", "stateless", "simplejwt", "simplejwt-stateless"):
            assert call(api, setup, f"Bearer {pair['access']}")[0] == 200
        assert post(api, "/api/token/refresh/", {"refresh": pair["refresh"]})[0] == 200
        assert post(api, "/sj/token/refresh/", {"refresh": pair["refresh"]})[0] == 200
        assert post(api, "/api/token/sliding/", {"username": "alice", "password": "secret-password"})[0] == 200
        assert "rest_framework_simplejwt.serializers" in sys.modules  # (loaded by the /sj/ views, not by sesstok)


# ---- the cookie transport ------------------------------------------------------------------------


COOKIES = {
    "JWT_AUTH_COOKIE": "sst_access",
    "JWT_REFRESH_COOKIE": "sst_refresh",
    "JWT_REFRESH_COOKIE_PATH": "/api/token/",
}


@pytest.fixture
def cookie_api():
    with override_settings(SESSTOK=COOKIES):
        yield APIClient(enforce_csrf_checks=True)


def test_cookie_login_sets_httponly_cookies(cookie_api, user):
    response = cookie_api.post("/api/token/", {"username": "alice", "password": "secret-password"}, format="json")
    assert response.status_code == 200 and response.json() == {}
    access, refresh = response.cookies["sst_access"], response.cookies["sst_refresh"]
    assert access["httponly"] and access["secure"] and access["samesite"] == "Lax" and access["path"] == "/"
    assert int(access["max-age"]) == 300
    assert refresh["httponly"] and refresh["path"] == "/api/token/" and int(refresh["max-age"]) == 86400
    assert "csrftoken" in response.cookies


def _login(client):
    response = client.post("/api/token/", {"username": "alice", "password": "secret-password"}, format="json")
    assert response.status_code == 200
    return response.cookies["csrftoken"].value


def test_cookie_authenticates_safe_methods(cookie_api, user):
    _login(cookie_api)
    status, body, _ = call(cookie_api, "jwt", None)
    assert status == 200 and body["username"] == "alice"
    assert call(cookie_api, "stateless", None)[0] == 200


def test_cookie_unsafe_methods_need_csrf_like_session_authentication(cookie_api, user):
    csrf = _login(cookie_api)
    status, body, _ = call(cookie_api, "jwt", None, method="post", data={"name": "plum"}, format="json")
    assert (status, body) == (403, {"detail": "CSRF Failed: CSRF token missing."})
    # the same answer DRF's SessionAuthentication gives a session without the token
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(user)
    session.cookies["csrftoken"] = csrf
    assert call(session, "session-jwt", None, method="post", data={"name": "plum"}, format="json")[:2] == (status, body)
    status, body, _ = call(
        cookie_api, "jwt", None, method="post", data={"name": "plum"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert status == 201 and body["created"] == "plum"
    # a header credential needs no CSRF token
    raw = refresh_tokens.issue_pair(user)["access"]
    client = APIClient(enforce_csrf_checks=True)
    assert call(client, "jwt", f"Bearer {raw}", method="post", data={"name": "x"}, format="json")[0] == 201


def test_cookie_refresh_and_logout(cookie_api, user):
    csrf = _login(cookie_api)
    assert cookie_api.post("/api/token/refresh/", {}, format="json").status_code == 403  # CSRF
    response = cookie_api.post("/api/token/refresh/", {}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200 and response.json() == {}
    assert "sst_access" in response.cookies
    response = cookie_api.post("/api/token/blacklist/", {}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200
    assert response.cookies["sst_access"].value == "" and response.cookies["sst_refresh"].value == ""
    assert call(cookie_api, "jwt", None)[0] == 401


def test_cookie_bad_token_is_401(cookie_api, user):
    cookie_api.cookies["sst_access"] = "garbage"
    status, body, www = call(cookie_api, "jwt", None)
    assert status == 401 and body["code"] == "token_not_valid" and www == 'Bearer realm="api"'


def test_cookie_transport_off_by_default(api, user):
    raw = refresh_tokens.issue_pair(user)["access"]
    api.cookies["sst_access"] = raw
    assert call(api, "jwt", None)[0] == 401
    response = api.post("/api/token/", {"username": "alice", "password": "secret-password"}, format="json")
    assert set(response.json()) == {"access", "refresh"} and not response.cookies


# ---- async and the DRF request ---------------------------------------------------------------------


def test_request_auth_is_a_token_object(user):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from sesstok.contrib.rest_framework.authentication import JWTAuthentication

    raw = refresh_tokens.issue_pair(user, claims={"scope": "read"})["access"]
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    found, token = JWTAuthentication().authenticate(request)
    assert found == user
    assert token["scope"] == "read" and token.get("nope") is None and "jti" in token
    assert token.token == raw.encode()
    assert str(token) == raw
    assert token.current_time.tzinfo is not None


# ---- with the user cache on ----------------------------------------------------------------------


@pytest.fixture(params=["locmem", "redis"])
def user_cache(request, db):
    from _django_fixtures import RUN_ID

    prefix = f"u{RUN_ID}"
    url = None
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        shared = {"BACKEND": "sesstok.cache.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    else:
        shared = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "users"}
    from sesstok import user_cache as uc

    def empty():
        # each test's rows are rolled back: so must be what was cached of them
        # (this run's keys only: a shared REDIS_URL is never flushed)
        if url is None:
            from django.core.cache import caches

            caches["users"].clear()
        else:
            import redis

            conn = redis.Redis.from_url(url)
            keys = list(conn.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                conn.delete(*keys)
        uc.clear_local()

    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "users": shared},
        SESSTOK={"USER_CACHE": "users"},
    ):
        empty()
        try:
            yield uc
        finally:
            empty()


@pytest.mark.parametrize("setup", ["token", "jwt"])
def test_user_cache_serves_and_revokes(api, user, user_cache, setup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, plain = tokens.create_token(user, "cli")
    raw = refresh_tokens.issue_pair(user)["access"]
    header = f"Token {plain}" if setup == "token" else f"Bearer {raw}"
    assert call(api, setup, header)[0] == 200
    with CaptureQueriesContext(connection) as queries:
        status, body, _ = call(api, setup, header)
    assert status == 200 and body["username"] == "alice"
    assert [q["sql"] for q in queries] == []  # served from the cache
    user.is_active = False
    user.save()
    status, body, _ = call(api, setup, header)
    expected = (
        {"detail": "User inactive or deleted."}
        if setup == "token"
        else {"detail": "User is inactive", "code": "user_inactive"}
    )
    assert (status, body) == (401, expected)
    user.is_active = True
    user.save()
    assert call(api, setup, header)[0] == 200
    if setup == "token":
        tokens.revoke_token(plain)
        assert call(api, setup, header)[:2] == (401, {"detail": "Invalid token."})
    else:
        user.set_password("changed")
        user.save()
        assert call(api, setup, header)[1]["code"] == "password_changed"


def test_user_cache_for_refresh(user, user_cache):
    pair = refresh_tokens.issue_pair(user)
    assert refresh_tokens.refresh(pair["refresh"])
    user.is_active = False
    user.save()
    with pytest.raises(refresh_tokens.AccountError):
        refresh_tokens.refresh(pair["refresh"])


# ---- regressions (issue 10) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "This field may not be blank."),
        (7, "Not a valid string."),
        (["a"], "Not a valid string."),
        ("x" * 65, "Ensure this field has no more than 64 characters."),
    ],
)
def test_obtain_auth_token_bad_name_is_a_400(api, user, name, message):
    """A bad ``name`` was an UnboundLocalError (``_`` rebound), a 500."""
    response = api.post(
        "/api/auth-token/", {"username": "alice", "password": "secret-password", "name": name}, format="json"
    )
    assert (response.status_code, response.json()) == (400, {"name": [message]})
    ok = api.post("/api/auth-token/", {"username": "alice", "password": "secret-password", "name": "x" * 64})
    assert ok.status_code == 200


def test_check_exp_honours_an_assigned_current_time(user):
    """SimpleJWT's Token.check_exp() reads self.current_time, which callers
    (SimpleJWT's own tests) assign."""
    from datetime import timedelta

    from rest_framework_simplejwt.exceptions import TokenError as SJTokenError
    from rest_framework_simplejwt.tokens import AccessToken as SJAccessToken

    from sesstok.contrib.rest_framework.tokens import AccessToken

    for cls, error in ((SJAccessToken, SJTokenError), (AccessToken, refresh_tokens.TokenError)):
        token = cls.for_user(user)
        token.current_time = token.current_time + timedelta(minutes=10)
        with pytest.raises(error, match="Token 'exp' claim has expired"):
            token.check_exp()


def test_blacklist_returns_what_the_installed_simplejwt_returns(user):
    from rest_framework_simplejwt.tokens import RefreshToken as SJRefreshToken

    from sesstok.contrib.rest_framework.tokens import RefreshToken

    theirs = SJRefreshToken.for_user(user).blacklist()
    ours = RefreshToken.for_user(user).blacklist()
    assert type(ours) is type(theirs)
    if isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        assert [type(v).__name__ for v in ours] == [type(v).__name__ for v in theirs]
        assert ours[1] is theirs[1] is True


def test_obtain_pair_honours_an_assigned_lifetime(api, user):
    """``AccessToken.lifetime = timedelta(0)`` (as SimpleJWT's tests do):
    the obtain-pair view issued a 300 s token anyway."""
    from unittest import mock

    from sesstok.contrib.rest_framework.tokens import AccessToken, RefreshToken

    with (
        mock.patch.object(AccessToken, "lifetime", timedelta(0)),
        mock.patch.object(RefreshToken, "lifetime", timedelta(seconds=60)),
    ):
        body = post(api, "/api/token/", {"username": "alice", "password": "secret-password"})[1]
    access = pyjwt.decode(body["access"], options={"verify_signature": False})
    refresh = pyjwt.decode(body["refresh"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] == 0
    assert refresh["exp"] - refresh["iat"] == 60


def test_token_view_base_serializer_class_like_simplejwt():
    from rest_framework_simplejwt import views as sj_views

    from sesstok.contrib.rest_framework import views

    for module in (views, sj_views):
        with pytest.raises(ImportError, match="Could not import serializer ''"):
            module.TokenViewBase().get_serializer_class()

        class Custom(module.TokenViewBase):
            _serializer_class = "sesstok.contrib.rest_framework.serializers.TokenVerifySerializer"

        from sesstok.contrib.rest_framework.serializers import TokenVerifySerializer

        assert Custom().get_serializer_class() is TokenVerifySerializer
