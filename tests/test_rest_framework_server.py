"""Real servers: the DRF test project (tests/drf_project) under ``manage.py
runserver`` in its own process, driven over HTTP with each authentication
class; and JWK_URL keys served by a local http.server."""

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from _jwt_helpers import key_text

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)

pytestmark = pytest.mark.slow


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Project:
    """The test project in a temporary directory: run code in its settings,
    run its server."""

    def __init__(self, tmp_path, simple_jwt=None, sesstok=None, redis_url=None, redis_prefix=""):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "drf_project.settings",
            "PYTHONPATH": os.pathsep.join([TESTS, ROOT]),
            "DRF_PROJECT_DB": str(tmp_path / "db.sqlite3"),
            "DRF_PROJECT_SIMPLE_JWT": json.dumps(simple_jwt or {}),
            "DRF_PROJECT_SESSTOK": json.dumps(sesstok or {}),
            "PYTHONWARNINGS": "error",
        }
        if redis_url:
            self.env["DRF_PROJECT_REDIS"] = redis_url
            self.env["DRF_PROJECT_REDIS_PREFIX"] = redis_prefix
        self.process = None
        self.port = None

    def run(self, code):
        """Run code after django.setup() in a separate process; returns the
        JSON it prints last."""
        script = "import django\ndjango.setup()\nimport json\n" + textwrap.dedent(code)
        result = subprocess.run(
            [sys.executable, "-c", script], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, "-m", "django", *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self):
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("runserver exited: " + self.process.stderr.read())
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stderr.close()

    def request(self, path, header=None, method="GET", data=None):
        """(status, JSON body, WWW-Authenticate)."""
        headers = {"Accept": "application/json"}
        if header is not None:
            headers["Authorization"] = header
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=body, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read()), response.headers.get("WWW-Authenticate")
        except urllib.error.HTTPError as e:
            with e:
                return e.code, json.loads(e.read()), e.headers.get("WWW-Authenticate")


SETUP = """
from datetime import timedelta
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from sesstok import refresh_tokens, tokens
alice = User.objects.create_user("alice", password="pw")
carol = User.objects.create_user("carol", password="pw")
drf_key = Token.objects.create(user=alice).key
tokens.import_key(alice, drf_key)
_, opaque = tokens.create_token(alice, "cli")
_, opaque_expired = tokens.create_token(alice, "old", expires=-1)
_, opaque_revoked = tokens.create_token(alice, "gone")
_, opaque_carol = tokens.create_token(carol, "cli")
pair = refresh_tokens.issue_pair(alice)
pair_carol = refresh_tokens.issue_pair(carol)
expired = AccessToken.for_user(alice)
expired.set_exp(lifetime=timedelta(seconds=-30))
print(json.dumps({
    "drf_key": drf_key, "opaque": opaque, "opaque_expired": opaque_expired, "opaque_revoked": opaque_revoked,
    "opaque_carol": opaque_carol,
    "access": pair["access"], "refresh": pair["refresh"], "access_carol": pair_carol["access"],
    "simplejwt_access": str(RefreshToken.for_user(alice).access_token),
    "expired": str(expired), "sliding": refresh_tokens.issue_sliding(alice),
}))
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory, redis_url):
    import redis

    from _django_fixtures import RUN_ID

    prefix = f"p{RUN_ID}"
    project = Project(
        tmp_path_factory.mktemp("drf"),
        sesstok={"REVOCATION_CACHE": "revocation", "JWT_DENYLIST": True},
        redis_url=redis_url,
        redis_prefix=prefix,
    )
    project.manage("migrate", "--verbosity", "0")
    tokens = project.run(SETUP)
    project.start()
    try:
        yield project, tokens
    finally:
        project.stop()
        conn = redis.Redis.from_url(redis_url)  # this run's keys only: never FLUSHDB a shared Redis
        keys = list(conn.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            conn.delete(*keys)


def test_every_class_over_http(served):
    project, t = served
    assert project.manage("check").strip().endswith("no issues (0 silenced).")
    not_provided = {"detail": "Authentication credentials were not provided."}

    # -- before any revocation
    for setup, header in [
        ("token", f"Token {t['opaque']}"),
        ("token", f"Token {t['drf_key']}"),
        ("jwt", f"Bearer {t['access']}"),
        ("jwt", f"Bearer {t['simplejwt_access']}"),
        ("stateless", f"Bearer {t['access']}"),
        ("jwt-token", f"Token {t['opaque']}"),
        ("token-jwt", f"Bearer {t['access']}"),
    ]:
        status, body, _ = project.request(f"/api/{setup}/items/", header)
        assert status == 200 and body["username"] in ("alice", ""), (setup, body)
        assert project.request(f"/api/{setup}/items/2/", header)[1]["name"] == "pear"

    # -- missing, malformed, expired, wrong type: DRF's statuses and codes
    token_cases = [
        (None, 401, not_provided),
        ("Token", 401, {"detail": "Invalid token header. No credentials provided."}),
        ("Token a b", 401, {"detail": "Invalid token header. Token string should not contain spaces."}),
        ("Token " + "0" * 40, 401, {"detail": "Invalid token."}),
        (f"Token {t['opaque_expired']}", 401, {"detail": "Token has expired."}),
        (f"Token {t['access']}", 401, {"detail": "Invalid token."}),  # a JWT is not an API token
    ]
    for header, status, body in token_cases:
        assert project.request("/api/token/items/", header) == (status, body, "Token"), header
    for setup in ("jwt", "stateless"):
        www = 'Bearer realm="api"'
        assert project.request(f"/api/{setup}/items/") == (401, not_provided, www)
        status, body, _ = project.request(f"/api/{setup}/items/", "Bearer a b")
        assert (status, body["code"]) == (401, "bad_authorization_header")
        for header, message in [
            ("Bearer garbage", "Token is invalid"),
            (f"Bearer {t['expired']}", "Token is expired"),
            (f"Bearer {t['refresh']}", "Token has wrong type"),
            (f"Bearer {t['sliding']}", "Token has wrong type"),
        ]:
            status, body, got_www = project.request(f"/api/{setup}/items/", header)
            assert (status, body["code"], got_www) == (401, "token_not_valid", www), (setup, header)
            assert body["messages"][0]["message"] == message

    # -- revoked and inactive, done by another process (a worker, an admin)
    project.run(
        f"""
        from django.contrib.auth.models import User
        from sesstok import tokens, access_tokens
        tokens.revoke_token({t["opaque_revoked"]!r})
        access_tokens.revoke_access_token({t["access_carol"]!r})
        alice = User.objects.get(username="alice")
        alice.is_active = False
        alice.save()
        print("null")
        """
    )
    assert project.request("/api/token/items/", f"Token {t['opaque_revoked']}")[:2] == (
        401,
        {"detail": "Invalid token."},
    )
    assert project.request("/api/token/items/", f"Token {t['opaque']}")[:2] == (
        401,
        {"detail": "User inactive or deleted."},
    )
    status, body, _ = project.request("/api/jwt/items/", f"Bearer {t['access']}")
    assert (status, body) == (401, {"detail": "User is inactive", "code": "user_inactive"})
    for setup in ("jwt", "stateless"):
        status, body, _ = project.request(f"/api/{setup}/items/", f"Bearer {t['access_carol']}")
        assert (status, body) == (401, {"detail": "Token is blacklisted", "code": "token_not_valid"}), setup
    # stateless never reads the user; with JWT_DENYLIST the deactivation's
    # logout epoch refuses its tokens (SimpleJWT keeps accepting them)
    status, body, _ = project.request("/api/stateless/items/", f"Bearer {t['access']}")
    assert (status, body) == (401, {"detail": "Token is blacklisted", "code": "token_not_valid"})

    # -- password change: sesstok's access tokens stop, opaque tokens are deleted
    project.run(
        """
        from django.contrib.auth.models import User
        carol = User.objects.get(username="carol")
        carol.set_password("new")
        carol.save()
        print("null")
        """
    )
    assert project.request("/api/token/items/", f"Token {t['opaque_carol']}")[:2] == (401, {"detail": "Invalid token."})


def test_token_views_over_http(served):
    project, _ = served
    status, pair = project.request("/api/token/", method="POST", data={"username": "carol", "password": "new"})[:2]
    if status != 200:  # test order: carol's password is "pw" when run alone
        status, pair = project.request("/api/token/", method="POST", data={"username": "carol", "password": "pw"})[:2]
    assert status == 200 and set(pair) == {"access", "refresh"}
    assert project.request("/api/jwt/items/", f"Bearer {pair['access']}")[0] == 200
    status, body = project.request("/api/token/refresh/", method="POST", data={"refresh": pair["refresh"]})[:2]
    assert status == 200 and set(body) == {"access"}
    assert project.request("/api/token/blacklist/", method="POST", data={"refresh": pair["refresh"]})[:2] == (200, {})
    assert project.request("/api/token/refresh/", method="POST", data={"refresh": pair["refresh"]})[:2] == (
        401,
        {"detail": "Token is blacklisted", "code": "token_not_valid"},
    )
    # SimpleJWT's views in the same project honour it
    assert project.request("/sj/token/refresh/", method="POST", data={"refresh": pair["refresh"]})[0] == 401
    status, body = project.request("/api/auth-token/", method="POST", data={"username": "nobody", "password": "x"})[:2]
    assert status == 400 and body == {"non_field_errors": ["Unable to log in with provided credentials."]}


# ---- JWK_URL ----------------------------------------------------------------------------------


class JWKS:
    """A JWK Set served by http.server in a thread; `keys` can be changed
    and `hits` counts the requests."""

    def __init__(self):
        self.keys = []
        self.hits = 0
        self.up = True
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                jwks.hits += 1
                if not jwks.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def _jwk(public_pem, kid):
    from cryptography.hazmat.primitives import serialization
    from jwt.algorithms import RSAAlgorithm

    key = serialization.load_pem_public_key(public_pem.encode())
    jwk = json.loads(RSAAlgorithm.to_jwk(key))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def jwks():
    server = JWKS()
    yield server
    server.close()


def _rsa_keys():
    """Two RSA key pairs: the test key and a fresh one (a rotation)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    fresh = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fresh_private = fresh.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    fresh_public = (
        fresh.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return (key_text("rsa2048_private.pem"), key_text("rsa2048_public.pem")), (fresh_private, fresh_public)


def _idp_token(private_pem, kid, user, **claims):
    """An access token as an identity provider signs it (with a kid)."""
    from sesstok import jwt
    from sesstok.refresh_tokens import new_jti

    now = int(time.time())
    payload = {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": new_jti(),
        "user_id": str(user.pk),
        **claims,
    }
    return jwt.Encoder(private_pem, "RS256", headers={"kid": kid}).encode(payload)


def test_jwk_url(jwks, user, db):
    from rest_framework.test import APIClient

    from _simplejwt import simplejwt_settings
    from sesstok import refresh_tokens

    (old_private, old_public), (new_private, new_public) = _rsa_keys()
    jwks.keys = [_jwk(old_public, "k1")]
    simple_jwt = {"ALGORITHM": "RS256", "JWK_URL": jwks.url, "SIGNING_KEY": None, "VERIFYING_KEY": ""}
    api = APIClient()

    def status(setup, raw):
        return api.get(f"/api/{setup}/items/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code

    with simplejwt_settings(simple_jwt, ROOT_URLCONF="drf_project.urls", MIDDLEWARE=[]):
        good = _idp_token(old_private, "k1", user)
        for _ in range(5):
            assert status("jwt", good) == 200 and status("stateless", good) == 200
        assert status("simplejwt", good) == 200  # SimpleJWT agrees
        decoder = refresh_tokens.decoder()
        assert decoder.fetches == 1  # fetched once, then cached

        # a token signed by a key the set does not have (yet): one refetch
        rotated = _idp_token(new_private, "k2", user)
        assert status("jwt", rotated) == 401
        assert decoder.fetches == 1  # within the cooldown since the first fetch: no refetch
        decoder._last_fetch -= 60
        jwks.keys.append(_jwk(new_public, "k2"))
        assert status("jwt", rotated) == 200
        assert decoder.fetches == 2

        # a forged token with a known kid: refused, no refetch
        forged = _idp_token(new_private, "k1", user)
        assert status("jwt", forged) == status("simplejwt", forged) == 401
        assert decoder.fetches == 2
        body = api.get("/api/jwt/items/", HTTP_AUTHORIZATION=f"Bearer {forged}").json()
        assert body["code"] == "token_not_valid"

        # the set expires after its lifespan; a JWKS outage is a 401, never a 500
        for state in [decoder._state]:
            state.expires = 0
        jwks.up = False
        assert status("jwt", good) == 401
        jwks.up = True
        decoder._state = None
        assert status("jwt", good) == 200


def test_jwk_url_in_the_middleware(jwks, user, db):
    """TokenAuthenticationMiddleware verifies against the JWK Set too (it
    used VERIFYING_KEY/SIGNING_KEY, ignoring JWK_URL)."""
    from django.test import Client

    from _simplejwt import simplejwt_settings

    (private, public), _ = _rsa_keys()
    jwks.keys = [_jwk(public, "k1")]
    simple_jwt = {"ALGORITHM": "RS256", "JWK_URL": jwks.url, "SIGNING_KEY": None, "VERIFYING_KEY": ""}
    with simplejwt_settings(simple_jwt, ROOT_URLCONF="_urls"):
        good = _idp_token(private, "k1", user)
        response = Client().get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {good}")
        assert (response.status_code, response.json()["user"]) == (200, "alice")
        forged = _idp_token(_rsa_keys()[1][0], "k1", user)
        assert Client().get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {forged}").status_code == 401
