"""sesstok.jwks_endpoint: the public keys as a JWK Set, checked against
PyJWT's own JWK export (the oracle), read by PyJWT's PyJWKClient and by
SimpleJWT's JWK_URL from a real WSGI server on 127.0.0.1, through a key
rotation; off, tokens stay byte-identical to SimpleJWT's."""

import contextlib
import hashlib
import json
import threading
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client, override_settings
from django.urls import include, path
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from _jwt_helpers import key_text
from _simplejwt import frozen, simplejwt_settings
from sesstok import jwks_endpoint, refresh_tokens
from sesstok.access_tokens import issue_access_token

from test_rest_framework import DRF_MIDDLEWARE, api, call, sj_access  # noqa: F401  (fixtures)

# this module is the URLconf: sesstok.urls at the root, the DRF urls under api/
urlpatterns = [
    path("", include("sesstok.urls")),
    path("api/", include("sesstok.contrib.rest_framework.urls")),
    path("", include("drf_project.urls")),
]

RSA_A = key_text("rsa2048_private.pem"), key_text("rsa2048_public.pem")
KEYS = {
    "RS256": (RSA_A, RSAAlgorithm),
    "ES256": ((key_text("p256_private.pem"), key_text("p256_public.pem")), ECAlgorithm),
    "ES512": ((key_text("p521_private.pem"), key_text("p521_public.pem")), ECAlgorithm),
    "EdDSA": ((key_text("ed25519_private.pem"), key_text("ed25519_public.pem")), OKPAlgorithm),
}


def _new_rsa():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


RSA_B = _new_rsa()


@contextlib.contextmanager
def keys(algorithm, pair, *, enabled=True, previous=(), **more):
    simple_jwt = {"ALGORITHM": algorithm, "SIGNING_KEY": pair[0], "VERIFYING_KEY": pair[1]}
    with (
        simplejwt_settings(simple_jwt, ROOT_URLCONF=__name__, MIDDLEWARE=DRF_MIDDLEWARE),
        override_settings(SESSTOK={"JWKS_ENDPOINT": enabled, "JWKS_PREVIOUS_KEYS": list(previous), **more}),
    ):
        yield


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(db):
    """Django's WSGI application served by wsgiref on 127.0.0.1 (a thread)."""
    httpd = make_server("127.0.0.1", 0, WSGIHandler(), server_class=WSGIServer, handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def thumbprint(jwk):
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, sort_keys=True, separators=(",", ":"))
    return pyjwt.utils.base64url_encode(hashlib.sha256(canonical.encode()).digest()).decode()


@pytest.mark.parametrize("algorithm", sorted(KEYS))
def test_jwk_set_is_what_pyjwt_exports(db, algorithm):
    pair, exporter = KEYS[algorithm]
    with keys(algorithm, pair):
        response = Client().get("/.well-known/jwks.json")
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        (jwk,) = response.json()["keys"]
        expected = exporter.to_jwk(pyjwt.get_algorithm_by_name(algorithm).prepare_key(pair[1]), as_dict=True)
        expected.pop("key_ops", None)  # PyJWT adds ["verify"] to RSA keys; the set says "use": "sig" instead
        assert {k: v for k, v in jwk.items() if k not in ("use", "alg", "kid")} == expected
        assert (jwk["use"], jwk["alg"], jwk["kid"]) == ("sig", algorithm, thumbprint(expected))  # RFC 7638
        assert pyjwt.PyJWK(jwk).key_id == jwk["kid"]
        # the DRF urls serve the same set
        assert Client().get("/api/.well-known/jwks.json").content == response.content


def test_caching_headers_and_conditional_requests(db):
    with keys("RS256", RSA_A, JWKS_MAX_AGE=120):
        client = Client()
        response = client.get("/.well-known/jwks.json")
        assert response["Cache-Control"] == "public, max-age=120"
        etag = response["ETag"]
        assert etag.startswith('"') and etag.endswith('"')
        again = client.get("/.well-known/jwks.json", HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
        assert client.get("/.well-known/jwks.json", HTTP_IF_NONE_MATCH='"other"').status_code == 200
        assert client.head("/.well-known/jwks.json").status_code == 200
        assert client.post("/.well-known/jwks.json").status_code == 405
    with keys("RS256", RSA_B):  # another key: another ETag
        assert Client().get("/.well-known/jwks.json")["ETag"] != etag


@pytest.mark.parametrize(
    "settings",
    [
        dict(algorithm="RS256", pair=RSA_A, enabled=False),
        dict(algorithm="HS256", pair=("k" * 64, ""), enabled=True),  # no public key to publish
    ],
)
def test_off_or_symmetric_is_a_404_and_no_kid(db, user, settings):
    with keys(**settings):
        response = Client().get("/.well-known/jwks.json")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        with frozen():
            ours = refresh_tokens.issue_pair(user)
        assert "kid" not in pyjwt.get_unverified_header(ours["access"])


def test_off_output_is_byte_identical_to_simplejwts(db, user):
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
    from rest_framework_simplejwt.tokens import RefreshToken

    # sesstok's auth-hash claim off: the rest of its tokens is SimpleJWT's (README: From SimpleJWT)
    with keys("RS256", RSA_A, enabled=False, JWT_AUTH_HASH_CLAIM=None), frozen(1_800_000_000.25):
        ours = refresh_tokens.issue_pair(user)
    OutstandingToken.objects.all().delete()  # the same jti is recorded again below
    with keys("RS256", RSA_A, enabled=False), frozen(1_800_000_000.25):
        theirs = RefreshToken.for_user(user)
        assert ours == {"refresh": str(theirs), "access": str(theirs.access_token)}


def test_on_tokens_carry_the_current_kid(db, user):
    with keys("RS256", RSA_A):
        kid = jwks_endpoint.current_kid()
        pair = refresh_tokens.issue_pair(user)
        for raw in (pair["access"], pair["refresh"], issue_access_token(user)):
            assert pyjwt.get_unverified_header(raw) == {"alg": "RS256", "kid": kid, "typ": "JWT"}


def _fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers, json.load(response)


def test_pyjwkclient_and_simplejwt_jwk_url_verify_sesstoks_tokens(server, user):
    from rest_framework_simplejwt.backends import TokenBackend

    with keys("RS256", RSA_A):
        url = server + "/.well-known/jwks.json"
        status, headers, body = _fetch(url)
        assert status == 200 and headers["Cache-Control"] == "public, max-age=300"
        raw = refresh_tokens.issue_pair(user)["access"]
        client = pyjwt.PyJWKClient(url)
        key = client.get_signing_key_from_jwt(raw)
        assert pyjwt.decode(raw, key.key, algorithms=["RS256"])["user_id"] == str(user.pk)
        assert TokenBackend("RS256", jwk_url=url).decode(raw)["user_id"] == str(user.pk)
        # and through the DRF urls
        assert (
            pyjwt.PyJWKClient(server + "/api/.well-known/jwks.json").get_signing_key_from_jwt(raw).key_id == key.key_id
        )


def test_rotation_logs_nobody_out_until_the_old_key_is_dropped(server, api, user):
    from rest_framework_simplejwt.backends import TokenBackend

    url = server + "/.well-known/jwks.json"
    with keys("RS256", RSA_A):
        old_kid = jwks_endpoint.current_kid()
        old = refresh_tokens.issue_pair(user)["access"]
        pre_switch = sj_access(user)  # SimpleJWT's: no kid
        assert "kid" not in pyjwt.get_unverified_header(pre_switch)
        assert call(api, "jwt", f"Bearer {pre_switch}")[0] == 200  # no kid: the current key
    with keys("RS256", RSA_B, previous=[RSA_A[1]]):
        new_kid = jwks_endpoint.current_kid()
        new = refresh_tokens.issue_pair(user)["access"]
        assert pyjwt.get_unverified_header(new)["kid"] == new_kid != old_kid
        assert [k["kid"] for k in _fetch(url)[2]["keys"]] == [new_kid, old_kid]
        for raw in (old, new, pre_switch):
            assert call(api, "jwt", f"Bearer {raw}")[0] == 200
        for raw in (old, new):
            key = pyjwt.PyJWKClient(url).get_signing_key_from_jwt(raw)
            assert pyjwt.decode(raw, key.key, algorithms=["RS256"])["user_id"] == str(user.pk)
            assert TokenBackend("RS256", jwk_url=url).decode(raw)["user_id"] == str(user.pk)
    with keys("RS256", RSA_B):  # the old key dropped
        assert [k["kid"] for k in _fetch(url)[2]["keys"]] == [new_kid]
        assert call(api, "jwt", f"Bearer {new}")[0] == 200
        for raw in (old, pre_switch):
            assert call(api, "jwt", f"Bearer {raw}")[0] == 401
        with pytest.raises(pyjwt.PyJWKClientError):
            pyjwt.PyJWKClient(url).get_signing_key_from_jwt(old)


def test_a_bad_previous_key_is_improperly_configured(db):
    with keys("RS256", RSA_A, previous=["not a key"]):
        with pytest.raises(ImproperlyConfigured, match=r'JWKS_PREVIOUS_KEYS"\]\[0\]'):
            jwks_endpoint.jwk_set()


@pytest.mark.parametrize(
    "name, value", [("JWKS_ENDPOINT", "on"), ("JWKS_PREVIOUS_KEYS", "pem"), ("JWKS_MAX_AGE", "300")]
)
def test_settings_are_type_checked(name, value):
    from django.core import checks

    with override_settings(SESSTOK={name: value}):
        assert [e.id for e in checks.run_checks(tags=["sesstok"])] == ["sesstok.E002"]
