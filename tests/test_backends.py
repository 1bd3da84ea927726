"""Authentication backends: reached only through their own keyword, refuse
inactive users; the JWT backend accepts SimpleJWT's tokens and SimpleJWT
accepts sesstok's (SimpleJWT is the oracle for the claim layout)."""

import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import aauthenticate, authenticate
from django.test import RequestFactory, override_settings

from sesstok import access_tokens, tokens
from sesstok.backends import JWTBackend, TokenBackend
from sesstok.tokens import AuthenticationError

BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sesstok.backends.TokenBackend",
    "sesstok.backends.JWTBackend",
]


@pytest.fixture(autouse=True)
def backends():
    with override_settings(AUTHENTICATION_BACKENDS=BACKENDS):
        yield


@pytest.fixture
def request_():
    return RequestFactory().get("/")


# ---- TokenBackend ----------------------------------------------------------------


def test_token_keyword(user, request_):
    _, plain = tokens.create_token(user)
    found = authenticate(request_, token=plain)
    assert found == user
    assert found.backend == "sesstok.backends.TokenBackend"
    assert authenticate(request_, token=tokens.generate_token()) is None
    assert authenticate(request_, token="garbage") is None


def test_passwords_never_reach_the_token_backend_and_tokens_never_the_password_one(user, request_):
    _, plain = tokens.create_token(user)
    # a token passed as a password is just a wrong password
    assert authenticate(request_, username="alice", password=plain) is None
    assert authenticate(request_, username="alice", password="secret-password").backend.endswith("ModelBackend")
    with pytest.raises(TypeError):
        TokenBackend().authenticate(request_, username="alice", password="secret-password")


def test_token_backend_refuses_inactive_users(user, request_):
    _, plain = tokens.create_token(user)
    user.is_active = False
    user.save()
    assert authenticate(request_, token=plain) is None
    # ... unless the project says inactive users may authenticate
    with override_settings(AUTHENTICATION_BACKENDS=["sesstok.backends.TokenBackend"]):

        class AllowInactive(TokenBackend):
            def user_can_authenticate(self, user):
                return True

        assert AllowInactive().authenticate(request_, token=plain) == user


def test_token_backend_async(user, request_):
    _, plain = tokens.create_token(user)
    assert async_to_sync(aauthenticate)(request_, token=plain) == user
    assert async_to_sync(aauthenticate)(request_, token=tokens.generate_token()) is None


def test_token_backend_get_user_and_permissions(user):
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="add_authtoken"))
    backend = TokenBackend()
    assert backend.get_user(user.pk) == user
    assert backend.has_perm(backend.get_user(user.pk), "sesstok.add_authtoken")


# ---- JWTBackend --------------------------------------------------------------------


def test_jwt_keyword(user, request_, jwt_api):
    raw = access_tokens.issue_access_token(user)
    found = authenticate(request_, jwt=raw)
    assert found == user and found.backend == "sesstok.backends.JWTBackend"
    assert authenticate(request_, jwt=raw[:-2] + "xx") is None
    assert authenticate(request_, jwt="a.b.c") is None
    assert async_to_sync(aauthenticate)(request_, jwt=raw) == user


def test_jwt_backend_refuses_inactive_users(user, request_, jwt_api):
    raw = access_tokens.issue_access_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert authenticate(request_, jwt=raw) is None
    assert JWTBackend().authenticate(request_, jwt=raw) is None


def test_issued_claims_follow_simplejwt(user, jwt_api):
    import jwt as pyjwt

    raw = access_tokens.issue_access_token(user)
    payload = pyjwt.decode(raw, options={"verify_signature": False})
    assert list(payload)[:5] == ["token_type", "exp", "iat", "jti", "user_id"]
    assert payload["token_type"] == "access"
    assert payload["user_id"] == str(user.pk)
    assert payload["exp"] - payload["iat"] == 300
    assert len(payload["jti"]) == 32
    assert payload["sst_ah"] == access_tokens.auth_hash(user)
    assert pyjwt.get_unverified_header(raw) == {"alg": "HS256", "typ": "JWT"}


def test_simplejwt_accepts_sesstok_tokens(user, jwt_api):
    from rest_framework_simplejwt.authentication import JWTAuthentication

    raw = access_tokens.issue_access_token(user)
    auth = JWTAuthentication()
    validated = auth.get_validated_token(raw.encode())
    assert auth.get_user(validated) == user


def test_sesstok_accepts_simplejwt_tokens(user, request_, jwt_api):
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    raw = str(AccessToken.for_user(user))
    found, payload = access_tokens.authenticate_access_token(raw)
    assert found == user and "sst_ah" not in payload
    assert authenticate(request_, jwt=raw) == user
    # a refresh token is not an access token
    refresh = str(RefreshToken.for_user(user))
    with pytest.raises(AuthenticationError, match="wrong type"):
        access_tokens.authenticate_access_token(refresh)


def test_expired_and_tampered(user, jwt_api):
    raw = access_tokens.issue_access_token(user, lifetime=timedelta(seconds=-10))
    with pytest.raises(AuthenticationError) as info:
        access_tokens.authenticate_access_token(raw)
    assert info.value.code == "token_expired"
    good = access_tokens.issue_access_token(user)
    header, payload, signature = good.split(".")
    for bad in (f"{header}.{payload}.{signature[::-1]}", f"{header}.{payload[:-1]}A.{signature}", "x.y.z"):
        with pytest.raises(AuthenticationError) as info:
            access_tokens.authenticate_access_token(bad)
        assert info.value.code == "invalid_token"


def test_signed_with_another_key(user, jwt_api):
    import jwt as pyjwt

    forged = pyjwt.encode(
        {
            "token_type": "access",
            "exp": int(time.time()) + 60,
            "iat": int(time.time()),
            "jti": "x" * 32,
            "user_id": str(user.pk),
        },
        "another-key-that-is-long-enough-for-hs256!!",
        algorithm="HS256",
    )
    with pytest.raises(AuthenticationError):
        access_tokens.authenticate_access_token(forged)


def test_unknown_user_and_missing_claims(user, jwt_api):
    for claims in (
        {"user_id": "999999"},
        {"user_id": ["1"]},
        {"user_id": True},
        {"jti": 5},
        {"user_id": "é"},
        {"user_id": "1\x00"},
        {"sst_ah": "é"},
        {"sst_ah": 5},
        {"sst_ah": None},
        {"token_type": "refresh"},
        {"user_id": "9" * 40},
    ):
        raw = access_tokens.issue_access_token(user, claims=claims)
        with pytest.raises(AuthenticationError) as info:
            access_tokens.authenticate_access_token(raw)
        assert info.value.code == "invalid_token"


def test_password_change_revokes_jwts(user, request_, jwt_api):
    raw = access_tokens.issue_access_token(user)
    user.set_password("changed")
    user.save()
    assert authenticate(request_, jwt=raw) is None
    assert authenticate(request_, jwt=access_tokens.issue_access_token(user)) == user


def test_auth_hash_claim_survives_key_rotation(user, jwt_api):
    old = "old-secret-" + "o" * 50
    with override_settings(SECRET_KEY=old, SIMPLE_JWT={"SIGNING_KEY": "s" * 64}):
        raw = access_tokens.issue_access_token(user)
    with override_settings(
        SECRET_KEY="new-secret-" + "n" * 50, SECRET_KEY_FALLBACKS=[old], SIMPLE_JWT={"SIGNING_KEY": "s" * 64}
    ):
        assert access_tokens.authenticate_access_token(raw)[0] == user
    with override_settings(SECRET_KEY="new-secret-" + "n" * 50, SIMPLE_JWT={"SIGNING_KEY": "s" * 64}):
        with pytest.raises(AuthenticationError):
            access_tokens.authenticate_access_token(raw)


def test_require_auth_hash(user, jwt_api):
    from rest_framework_simplejwt.tokens import AccessToken

    with override_settings(SESSTOK={"JWT_REQUIRE_AUTH_HASH": True}):
        with pytest.raises(AuthenticationError):
            access_tokens.authenticate_access_token(str(AccessToken.for_user(user)))
        assert access_tokens.authenticate_access_token(access_tokens.issue_access_token(user))[0] == user


def test_simplejwt_revoke_claim_is_honoured(user, jwt_api):
    from rest_framework_simplejwt.tokens import AccessToken
    from rest_framework_simplejwt.utils import get_md5_hash_password

    # SimpleJWT's modules bind its settings at import (override_settings does
    # not reach them), so the claim is added here as its for_user() would
    token = AccessToken.for_user(user)
    token["hash_password"] = get_md5_hash_password(user.password)
    raw = str(token)
    without_claim = str(AccessToken.for_user(user))
    with override_settings(SIMPLE_JWT={"CHECK_REVOKE_TOKEN": True}):
        assert access_tokens.authenticate_access_token(raw)[0] == user
        with pytest.raises(AuthenticationError):
            access_tokens.authenticate_access_token(without_claim)
        user.set_password("changed")
        user.save()
        with pytest.raises(AuthenticationError):
            access_tokens.authenticate_access_token(raw)


def test_settings_come_from_simple_jwt(user, jwt_api):
    with override_settings(
        SIMPLE_JWT={
            "USER_ID_CLAIM": "uid",
            "ACCESS_TOKEN_LIFETIME": timedelta(minutes=1),
            "ALGORITHM": "HS512",
            "SIGNING_KEY": "k" * 64,
            "AUDIENCE": "api",
            "ISSUER": "me",
        }
    ):
        import jwt as pyjwt

        raw = access_tokens.issue_access_token(user)
        assert pyjwt.get_unverified_header(raw)["alg"] == "HS512"
        payload = pyjwt.decode(raw, "k" * 64, algorithms=["HS512"], audience="api", issuer="me")
        assert payload["uid"] == str(user.pk) and payload["exp"] - payload["iat"] == 60
        assert access_tokens.authenticate_access_token(raw)[0] == user
    with override_settings(SIMPLE_JWT={"AUDIENCE": "other", "SIGNING_KEY": "k" * 64, "ALGORITHM": "HS512"}):
        with pytest.raises(AuthenticationError):
            access_tokens.authenticate_access_token(raw)


def test_sesstok_settings_override_simple_jwt(user, jwt_api):
    with override_settings(SIMPLE_JWT={"USER_ID_CLAIM": "uid"}, SESSTOK={"JWT_USER_ID_CLAIM": "sub"}):
        import jwt as pyjwt

        raw = access_tokens.issue_access_token(user)
        assert "sub" in pyjwt.decode(raw, options={"verify_signature": False})
