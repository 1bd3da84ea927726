"""The README's claims, one by one.

Each test's docstring quotes (or closely paraphrases) the README sentence
it proves, in README order, so that a claim without a test shows in review.
Where a claim's full proof is elsewhere (named in the docstring), the test
here drives the same code path with a compact assertion that fails if the
claim stops being true. The originals (Django, PyJWT, DRF, SimpleJWT) are
the oracles, as everywhere in this suite.
"""

import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
import zlib

import django.core.signing as dj_signing
import jwt as pyjwt
import pytest
from django.core import checks
from django.test import Client, RequestFactory, override_settings

from _jwt_helpers import key_text
from _simplejwt import simplejwt_settings
from sesstok import _core, access_tokens, jwt, refresh_tokens, revocation, signing, tokens
from sesstok.exceptions import DecodeError, InvalidAlgorithmError, InvalidKeyError, InvalidTokenError
from sesstok.tokens import AuthenticationError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SECRET = "s" * 32  # an HS256 secret of the hash's length
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read()


def ci_script():
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as f:
        return f.read()


# ==== Set-up: two commands ====================================================================


def _setup_block():
    text = readme()
    start = text.index("## Set-up: two commands")
    block = text[text.index("```sh", start) + 5 : text.index("```", text.index("```sh", start) + 5)]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_setup_commands_are_the_ones_ci_runs():
    """ "CI runs both exactly as written, in a fresh clone's root (the test
    command is its Python 3.11 job; the demo must answer on 127.0.0.1 under
    Python 3.11 and 3.13)." CI reads them from README.md with .ci/run's
    readme_command, which must yield exactly these two lines."""
    commands = _setup_block()
    assert commands == [
        'python3 -m venv .venv && .venv/bin/pip install ".[demo]" && .venv/bin/sesstok demo',
        'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest',
    ]
    script = ci_script()
    function = script[script.index("readme_command() {") :]
    function = function[: function.index("\n}\n") + 3]
    for n, expected in enumerate(commands, 1):
        got = subprocess.run(
            ["bash", "-c", f"ROOT={ROOT!r}\n{function}\nreadme_command {n}"], capture_output=True, text=True, timeout=30
        )
        assert got.stdout == expected + "\n", got.stderr
    assert "readme_tests\n" in script and "for pyver in 3.11 3.13; do" in script and 'readme_demo "$pyver"' in script
    assert "fresh_clone" in script[script.index("readme_tests() {") : script.index("readme_demo() {")]


def test_python_m_from_a_checkout_root_says_what_to_run(tmp_path):
    """ "there `python -m` imports the checkout's `sesstok/` folder, which has
    no compiled core, and it says so in one line and exits." (Full test:
    test_main.test_unbuilt_core_is_a_one_line_message.)"""
    import shutil

    shutil.copytree(
        os.path.join(ROOT, "sesstok"), tmp_path / "sesstok", ignore=shutil.ignore_patterns("*.so", "__pycache__")
    )
    result = subprocess.run(
        [sys.executable, "-S", "-m", "sesstok", "inspect", "x"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "C core is not built" in result.stderr and "Traceback" not in result.stderr


def test_demo_state_is_kept_out_of_the_checkout(monkeypatch, tmp_path):
    """ "keeping it and its secret key out of the checkout, in
    `$XDG_DATA_HOME/sesstok/demo.sqlite3` (default
    `~/.local/share/sesstok/demo.sqlite3`; `--db PATH` puts them elsewhere)"
    (a real run: test_demo.test_default_database_is_kept_out_of_the_checkout)."""
    from sesstok.demo.server import default_db
    from sesstok.demo.settings import build

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db() == str(tmp_path / "sesstok" / "demo.sqlite3")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_db() == os.path.expanduser("~/.local/share/sesstok/demo.sqlite3")
    db = str(tmp_path / "elsewhere.sqlite3")
    settings = build(db)
    assert settings["DATABASES"]["default"]["NAME"] == db and os.path.exists(db + ".secret")
    assert settings["TIME_ZONE"] == "UTC"  # "times shown in UTC"


_REDIS_PROBE = """
def test_needs_redis(redis_url):
    pass
"""


@pytest.mark.parametrize("ci", [False, True])
def test_redis_tests_skip_without_redis_and_say_how_to_get_it(tmp_path, ci):
    """ "Without either they are skipped, and the skip reason says how to get
    them: `apt-get install redis-server` (Debian/Ubuntu), or `REDIS_URL`
    ... With `CI` set they fail instead of skipping." Runs a test that uses
    the suite's redis_url fixture with no redis-server on PATH."""
    (tmp_path / "conftest.py").write_text("pytest_plugins = ['_django_fixtures']\n")
    (tmp_path / "test_probe.py").write_text(_REDIS_PROBE)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CI")}
    env.update(
        PATH=os.path.dirname(sys.executable), PYTHONPATH=os.pathsep.join([HERE, ROOT]), DJANGO_SETTINGS_MODULE=""
    )
    if ci:
        env["CI"] = "true"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-rs",
            "-q",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:django",
            "-W",
            "error",
            str(tmp_path / "test_probe.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    if ci:
        assert result.returncode == 1 and "CI is set but redis-server is missing" in result.stdout, result.stdout
    else:
        assert result.returncode == 0 and "1 skipped" in result.stdout, result.stdout
        assert "apt-get install redis-server" in result.stdout and "REDIS_URL" in result.stdout


# ==== Install ====================================================================================


def test_extras():
    """ "Extras: `test` (pytest, Hypothesis and the oracles), `bench` (the
    originals to compare with, redis, matplotlib), `demo`." """
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        extras = tomllib.load(f)["project"]["optional-dependencies"]

    def names(extra):
        return {re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].lower() for req in extras[extra]}

    oracles = {"django", "pyjwt", "djangorestframework", "djangorestframework-simplejwt"}
    assert {"pytest", "hypothesis"} | oracles <= names("test")
    assert oracles | {"redis", "matplotlib"} <= names("bench")
    assert names("demo") == {"django"}


def test_ci_installs_the_wheel_and_imports_it_outside_the_tree():
    """ "CI builds the sdist, builds the wheel from the sdist, installs it
    into a fresh virtualenv and imports it from another directory." """
    script = ci_script()
    packaging = script[script.index('section "Packaging: sdist + wheel"') :]
    assert '-m build --outdir "$WORK/dist" "$ROOT"' in packaging
    assert '-m venv "$WORK/venv-wheel"' in packaging and 'pip install "$wheel"' in packaging
    assert 'cd "$WORK"' in packaging and "assert c.__file__.startswith(sys.prefix)" in packaging


# ==== Signing ====================================================================================


def test_signing_same_outputs_both_ways():
    """ "`sesstok.signing` has the same public names, defaults, outputs ... as
    the installed Django's `django.core.signing`" and "Values, cookies and
    sessions made by Django verify with sesstok and the other way round"
    (full parity: test_signing.py)."""
    value = {"user": 42, "name": "zoë"}
    for compress in (False, True):
        ours, theirs = (
            signing.dumps(value, salt="invite", compress=compress),
            dj_signing.dumps(value, salt="invite", compress=compress),
        )
        assert signing.loads(theirs, salt="invite") == dj_signing.loads(ours, salt="invite") == value
    assert signing.Signer(key="k").sign("v") == dj_signing.Signer(key="k").sign("v")
    for name in (
        "Signer",
        "TimestampSigner",
        "dumps",
        "loads",
        "b62_encode",
        "b62_decode",
        "b64_encode",
        "b64_decode",
        "base64_hmac",
        "get_cookie_signer",
        "JSONSerializer",
        "BadSignature",
        "SignatureExpired",
    ):
        assert hasattr(dj_signing, name) and hasattr(signing, name), name


def test_signing_exceptions_are_djangos():
    """ "`BadSignature` and `SignatureExpired` *are* Django's classes, so
    existing `except` clauses keep working." """
    assert signing.BadSignature is dj_signing.BadSignature
    assert signing.SignatureExpired is dj_signing.SignatureExpired
    with pytest.raises(dj_signing.BadSignature):
        signing.loads("tampered:value")


def test_accelerate_and_restore_django():
    """ "one switch: Django's own django.core.signing ... runs on the C core"
    and "`sesstok.restore_django()` undoes it exactly" (full test:
    test_accelerate.py)."""
    import sesstok

    before = {name: getattr(dj_signing, name) for name in ("dumps", "loads")}
    before_sign = dj_signing.Signer.sign
    signed = dj_signing.dumps({"a": 1})
    sesstok.accelerate_django()
    try:
        assert dj_signing.dumps is not before["dumps"] and dj_signing.Signer.sign is not before_sign
        assert dj_signing.dumps({"a": 1}) == signed and dj_signing.loads(signed) == {"a": 1}
    finally:
        sesstok.restore_django()
    assert {name: getattr(dj_signing, name) for name in before} == before and dj_signing.Signer.sign is before_sign


def test_limits_table():
    """The "Limits Django does not have" table: a decompressed size of 64 MiB
    and a JSON depth of 512 levels by default, raised as
    `signing.PayloadTooLarge` (a `BadSignature` subclass), changed with
    `signing.set_limits(...)`; Django itself has neither limit."""
    assert issubclass(signing.PayloadTooLarge, dj_signing.BadSignature)
    limits = _core.get_limits()
    assert limits["max_decompressed_size"] == 64 * 1024 * 1024 and limits["max_json_depth"] == 512
    deep = dj_signing.dumps(json.loads("[" * 513 + "]" * 513))
    assert dj_signing.loads(deep)  # Django has no depth limit
    with pytest.raises(signing.PayloadTooLarge):
        signing.loads(deep)
    assert signing.loads(dj_signing.dumps(json.loads("[" * 512 + "]" * 512)))
    big = dj_signing.dumps("x" * 2_000_000, compress=True)
    try:
        signing.set_limits(max_decompressed_size=1_000_000)
        with pytest.raises(signing.PayloadTooLarge):
            signing.loads(big)
    finally:
        _core.set_limits(**limits)
    assert signing.loads(big) == "x" * 2_000_000


def test_random_string_is_a_drop_in():
    """ "`sesstok._core.random_string(length, allowed_chars=...)` is an
    unbiased drop-in for `django.utils.crypto.get_random_string`";
    "`token_hex`, `token_urlsafe` and `random_bytes` mirror `secrets`"
    (the statistics: test_random.py)."""
    from django.utils.crypto import RANDOM_STRING_CHARS

    value = _core.random_string(32)
    assert len(value) == 32 and set(value) <= set(RANDOM_STRING_CHARS)
    assert set(_core.random_string(200, allowed_chars="ab")) == {"a", "b"}
    assert re.fullmatch(r"[0-9a-f]{16}", _core.token_hex(8))
    assert len(_core.token_urlsafe(32)) == 43 and len(_core.random_bytes(5)) == 5


# ==== JWT ======================================================================================


def test_jwt_encode_is_byte_identical_to_pyjwt():
    """ "`encode` output is byte-identical to PyJWT's" and `decode` reads
    PyJWT's tokens (full parity: test_jwt.py)."""
    payload = {"sub": "42", "exp": 2_000_000_000, "aud": "api", "nested": {"a": [1, 2.5, None]}}
    for alg, key in (("HS256", SECRET), ("HS512", "k" * 64)):
        ours = jwt.encode(payload, key, algorithm=alg, headers={"kid": "1"})
        assert ours == pyjwt.encode(payload, key, algorithm=alg, headers={"kid": "1"})
        assert jwt.decode(pyjwt.encode(payload, key, algorithm=alg), key, algorithms=[alg], audience="api") == payload


STRICT_ROWS = [
    # (README row, a call PyJWT would let through, the exception sesstok raises)
    (
        "HMAC secrets shorter than the hash output ... raise `InvalidKeyError`",
        lambda: jwt.decode(_hs256(b'{"a":1}', b"short"), "short", algorithms=["HS256"]),
        InvalidKeyError,
    ),
    (
        '`"none"` is refused in any spelling: decoding raises `InvalidAlgorithmError` (also for `algorithms=["none"]`)',
        lambda: jwt.decode(pyjwt.encode({"a": 1}, None, algorithm="none"), "", algorithms=["none"]),
        InvalidAlgorithmError,
    ),
    (
        "(a `None` key: the `TypeError` of an unusable key comes first)",
        lambda: jwt.decode(pyjwt.encode({"a": 1}, None, algorithm="none"), None, algorithms=["none"]),
        TypeError,
    ),
    (
        "encoding raises `NotImplementedError`",
        lambda: jwt.encode({"a": 1}, None, algorithm="none"),
        NotImplementedError,
    ),
    (
        '`algorithms="HS256"` (a str) raises `TypeError`',
        lambda: jwt.decode(pyjwt.encode({"a": 1}, SECRET), SECRET, algorithms="HS256"),
        TypeError,
    ),
    (
        "an asymmetric key in any encoding is refused as an HMAC secret (`InvalidKeyError`)",
        lambda: jwt.encode({"a": 1}, key_text("rsa2048_public.pem") + "x" * 32, algorithm="HS256"),
        InvalidKeyError,
    ),
    (
        "base64url must be canonical: no `=` padding ... (`DecodeError`)",
        lambda: jwt.decode(_padded(pyjwt.encode({"a": "b"}, SECRET)), SECRET, algorithms=["HS256"]),
        DecodeError,
    ),
    (
        "tokens longer than 8192 bytes are refused before decoding (`DecodeError`)",
        lambda: jwt.decode(pyjwt.encode({"a": "x" * 8200}, SECRET), SECRET, algorithms=["HS256"]),
        DecodeError,
    ),
    (
        "duplicate member names ... are `DecodeError`",
        lambda: jwt.decode(_forged(b'{"a":1,"a":2}'), SECRET, algorithms=["HS256"]),
        DecodeError,
    ),
    (
        "`NaN`/`Infinity` ... are `DecodeError`",
        lambda: jwt.decode(_forged(b'{"a":NaN}'), SECRET, algorithms=["HS256"]),
        DecodeError,
    ),
    (
        "`exp` ... must be integers or finite floats (`DecodeError` for exp/nbf)",
        lambda: jwt.decode(_forged(b'{"exp":"4000000000"}'), SECRET, algorithms=["HS256"]),
        DecodeError,
    ),
    (
        "with `subject=` given, a token without `sub` raises `MissingRequiredClaimError`",
        lambda: jwt.decode(pyjwt.encode({"a": 1}, SECRET), SECRET, algorithms=["HS256"], subject="42"),
        jwt.MissingRequiredClaimError,
    ),
    (
        '`"b64": false` is refused in a JWT (`InvalidTokenError`)',
        lambda: jwt.encode({"a": 1}, SECRET, algorithm="HS256", headers={"b64": False}),
        InvalidTokenError,
    ),
]


def _padded(token):
    head, payload, signature = token.split(".")
    return ".".join((head, payload + "=" * (-len(payload) % 4 or 4), signature))


def _hs256(payload_json, key=SECRET.encode()):
    """An HS256 token over exactly these payload bytes (made by hand: PyJWT
    warns about short keys and would re-serialize the JSON)."""
    import hmac

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(payload_json)
    return (signing_input + b"." + b64(hmac.new(key, signing_input, hashlib.sha256).digest())).decode()


_forged = _hs256


@pytest.mark.parametrize("row, call, error", STRICT_ROWS, ids=[r[0][:40] for r in STRICT_ROWS])
def test_where_sesstok_is_stricter_than_pyjwt(row, call, error):
    """Each row of "From PyJWT: where sesstok is stricter" is "tested with its
    exact exception" (the full table: test_jwt_strict.py)."""
    with pytest.raises(error):
        call()


def test_short_keys_can_be_relaxed_to_a_warning():
    """ "to relax: `options={"enforce_minimum_key_length": False}` ...: then it
    warns, as PyJWT does" """
    token = _hs256(b'{"a":1}', b"short")
    with pytest.warns(Warning):
        assert jwt.decode(token, "short", algorithms=["HS256"], options={"enforce_minimum_key_length": False}) == {
            "a": 1
        }


# ==== Django parts =============================================================================


def test_api_tokens_at_rest(user):
    """ "A token is `sst_` + 256 random bits; only its SHA-256 is stored (no
    key, so rotating `SECRET_KEY` never invalidates tokens), looked up by one
    indexed query." """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    row, raw = tokens.create_token(user, "web")
    assert re.fullmatch(r"sst_[A-Za-z0-9_-]{43}", raw)  # 32 bytes of base64url
    assert row.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {str(getattr(row, f.attname)) for f in type(row)._meta.concrete_fields}
    with override_settings(SECRET_KEY="a-completely-different-secret-key-" + "x" * 30, SECRET_KEY_FALLBACKS=[]):
        with CaptureQueriesContext(connection) as queries:
            assert tokens.authenticate_token(raw)[0] == user
    assert any('"digest" = ' in q["sql"] for q in queries.captured_queries)


def test_drf_keys_import_with_the_same_header(user):
    """ "`manage.py sesstok_import_drf_tokens [--delete]` hashes DRF authtoken
    keys the same way, so existing clients keep working" and, under *From
    DRF's TokenAuthentication*, "Every client keeps sending `Authorization:
    Token <key>`." """
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIRequestFactory

    from sesstok.contrib.rest_framework.authentication import TokenAuthentication

    key = Token.objects.create(user=user).key
    call_command("sesstok_import_drf_tokens", "--delete", stdout=io.StringIO())
    assert not Token.objects.exists()
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    assert TokenAuthentication().authenticate(request)[0] == user


def test_drf_token_model_stays_a_way_in_while_installed(user):
    """Step 4: "While it stays installed, its model remains a supported way
    in": a DRF `Token` created after the import authenticates at once, and
    deleting it revokes it."""
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.test import APIRequestFactory

    from sesstok.contrib.rest_framework.authentication import TokenAuthentication

    call_command("sesstok_import_drf_tokens", stdout=io.StringIO())
    token = Token.objects.create(user=user)
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert TokenAuthentication().authenticate(request)[0] == user
    token.delete()
    with pytest.raises(AuthenticationFailed, match="Invalid token."):
        TokenAuthentication().authenticate(request)


def test_rollback_to_drf_refuses_sesstok_tokens(user):
    """ "Rolling back to DRF's `TokenAuthentication` is not safe: DRF refuses
    every `sst_` token issued since the switch (`Invalid token.`), and after
    step 4 also the imported keys (their plain text is gone)." """
    from django.core.management import call_command
    from rest_framework.authentication import TokenAuthentication as DRFTokenAuthentication
    from rest_framework.authtoken.models import Token
    from rest_framework.exceptions import AuthenticationFailed

    _, raw = tokens.create_token(user, "web")
    key = Token.objects.create(user=user).key
    call_command("sesstok_import_drf_tokens", "--delete", stdout=io.StringIO())
    for credential in (raw, key):
        with pytest.raises(AuthenticationFailed, match="^Invalid token.$"):
            DRFTokenAuthentication().authenticate_credentials(credential)


ENGINES = ["signed_cookies", "db", "cache", "cached_db"]


@pytest.mark.parametrize("engine", ENGINES)
def test_session_engines_read_each_others_sessions(db, engine):
    """ "Session engines subclass Django's own `SessionStore` classes, so the
    whole session API is Django's and data written by either engine reads
    with the other", and under *From django.core.signing, Django sessions*:
    "Django's default, `django.contrib.sessions.backends.db`, becomes
    `SESSION_ENGINE = "sesstok.sessions.backends.db"`, and `signed_cookies`,
    `cache` and `cached_db` likewise ...; sessions written before the switch
    stay valid, and switching back is safe." """
    from importlib import import_module

    theirs = import_module(f"django.contrib.sessions.backends.{engine}").SessionStore
    ours = import_module(f"sesstok.sessions.backends.{engine}").SessionStore
    assert issubclass(ours, theirs)
    for writer, reader in ((theirs, ours), (ours, theirs)):
        session = writer()
        session["cart"] = [1, 2, "zoë"]
        session.save()
        assert reader(session.session_key)["cart"] == [1, 2, "zoë"]


def test_revocation_store_that_can_evict_is_a_check_error():
    """ "With `DEBUG` off, a store that can drop entries or is not shared
    (LocMem, Dummy, File, Database, Memcached) is a system-check error: run
    Redis with `maxmemory-policy noeviction`." (each backend: test_checks.py)"""
    from sesstok import checks as sesstok_checks

    def ids(backend):
        with override_settings(
            DEBUG=False,
            CACHES={"default": {"BACKEND": LOCMEM}, "rev": {"BACKEND": backend}},
            SESSTOK={"REVOCATION_CACHE": "rev"},
        ):
            return [e.id for e in checks.run_checks(tags=[sesstok_checks.TAG])]

    for backend in (
        LOCMEM,
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
    ):
        assert "sesstok.E007" in ids(backend), backend


def test_revocation_is_seen_by_every_check(user, locmem_revocation):
    """ "Every check is one read of the revocation store; nothing is cached
    in-process, so a revocation is seen by every worker at once" (across
    processes with Redis: test_revocation.py): a logout-everywhere refuses
    the access token it was issued before, at the next check."""
    raw = access_tokens.issue_access_token(user)
    assert access_tokens.authenticate_access_token(raw)[0] == user
    revocation.logout_everywhere(user)
    with pytest.raises(AuthenticationError):
        access_tokens.authenticate_access_token(raw)


# ==== Login flows ============================================================================


def flows(**sesstok):
    from test_views import settings_for

    return settings_for("plain", **sesstok)


def test_api_errors_are_json_with_a_stable_code(user):
    """ "API errors are JSON with a stable `code`, an unknown path under `api/`
    included (404, `not_found`) where `sesstok.urls` or the demo's URLconf is
    the root URLconf (a project's own URLconf keeps its own 404s, or sets
    `handler404 = "sesstok.urls.not_found"`)" """
    with flows():
        client = Client()
        assert client.get("/api/me/").json()["code"] == "not_authenticated"
        bad = client.post("/api/login/", "{oops", content_type="application/json")
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"
        with override_settings(ROOT_URLCONF="sesstok.urls"):
            missing = client.get("/api/no-such-thing/")
            assert missing.status_code == 404 and missing.json() == {"detail": "Not found.", "code": "not_found"}
            assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
        # the suite's flows URLconf includes sesstok.urls: a project URLconf keeps Django's 404
        assert client.get("/api/no-such-thing/")["Content-Type"].startswith("text/html")


def test_logging_out_never_happens_on_get(user):
    """ "logging out never happens on GET" """
    with flows():
        client = Client()
        client.force_login(user)
        assert client.get("/logout/").status_code == 200  # a confirmation form
        assert client.get("/me/").status_code == 200
        assert client.get("/api/logout/").status_code == 405


def test_unknown_user_and_wrong_password_look_the_same(user):
    """ "Failed logins take the same path and time for unknown users and wrong
    passwords (the hasher runs against a dummy password)" """
    from unittest import mock

    from django.contrib.auth import base_user

    with flows():
        with mock.patch.object(base_user, "make_password", wraps=base_user.make_password) as hasher:
            unknown = Client().post(
                "/api/login/", {"username": "nobody", "password": "x"}, content_type="application/json"
            )
        wrong = Client().post(
            "/api/login/", {"username": user.username, "password": "x"}, content_type="application/json"
        )
    assert unknown.status_code == wrong.status_code == 401 and unknown.content == wrong.content
    assert hasher.call_args == mock.call("x")  # the unknown user's password was hashed all the same


def test_throttling_rules(user):
    """ "throttled through the cache: a `429` per (username, client address)
    pair, and per username only an added, capped delay, so nobody can lock
    an account out. The address is `REMOTE_ADDR` unless
    `SESSTOK["TRUSTED_PROXY_COUNT"]` says how many proxies to trust." """
    from unittest import mock

    def login(address, password="wrong", **extra):
        return Client().post(
            "/api/login/",
            {"username": user.username, "password": password},
            content_type="application/json",
            REMOTE_ADDR=address,
            **extra,
        )

    with flows(LOGIN_THROTTLE_CACHE="default", LOGIN_USER_DELAY_MAX=0.0), mock.patch("time.sleep"):
        for _ in range(5):
            assert login("192.0.2.1").status_code == 401
        blocked = login("192.0.2.1", password="secret-password")
        assert blocked.status_code == 429 and blocked.json()["code"] == "throttled"
        # a forged X-Forwarded-For without a trusted proxy changes nothing
        assert login("192.0.2.1", password="secret-password", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 429
        # the same account from another address is not locked out
        assert login("203.0.113.7", password="secret-password").status_code == 200


def test_user_cache_staleness_defaults():
    """ "another process may go on serving its in-process copy for at most
    `USER_CACHE_LOCAL_TTL` seconds (default **2 s**)", writes that bypass
    the signals "are seen within `USER_CACHE_TTL` seconds (default
    **60 s**)", and (Security) "above 10 s is warning `W005`" (the behaviour
    behind each: test_user_cache.py)."""
    from sesstok import checks as sesstok_checks
    from sesstok.conf import DEFAULTS

    assert DEFAULTS["USER_CACHE"] is None  # "Off by default"
    assert DEFAULTS["USER_CACHE_LOCAL_TTL"] == 2 and DEFAULTS["USER_CACHE_TTL"] == 60
    caches = {
        "default": {"BACKEND": LOCMEM},
        "users": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }

    def ids(local_ttl):
        with override_settings(
            DEBUG=False, CACHES=caches, SESSTOK={"USER_CACHE": "users", "USER_CACHE_LOCAL_TTL": local_ttl}
        ):
            return [e.id for e in checks.run_checks(tags=[sesstok_checks.TAG])]

    assert "sesstok.W005" not in ids(10) and "sesstok.W005" in ids(11)


def test_user_cache_change_is_seen_by_this_process_next_request(user):
    """ "With `SESSTOK["USER_CACHE"]` on, a change to a user (save or delete,
    password change, deactivation) or to their tokens ... bumps the user's
    version. The process that made the change sees it on its next
    request." """
    from test_views import settings_for

    from sesstok import user_cache

    _, raw = tokens.create_token(user, "web")
    header = {"HTTP_AUTHORIZATION": f"Token {raw}"}
    try:
        with settings_for("cached"):
            assert Client().get("/api/me/", **header).status_code == 200
            assert Client().get("/api/me/", **header).status_code == 200  # served by the cache
            user.is_active = False
            user.save()
            assert Client().get("/api/me/", **header).status_code == 401
    finally:
        user_cache.clear_local()


# ==== From SimpleJWT / refresh tokens =================================================================


def sj_pair(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def test_simplejwt_tokens_cross_both_ways(user):
    """ "Tokens issued before the switch keep working and SimpleJWT accepts
    sesstok's, so a rollback to SimpleJWT is safe" (every setting variant:
    test_refresh_tokens.py, test_rest_framework.py)."""
    from rest_framework_simplejwt.authentication import JWTAuthentication as SJAuthentication
    from rest_framework_simplejwt.tokens import RefreshToken

    with simplejwt_settings({}):
        theirs = sj_pair(user)
        assert access_tokens.authenticate_access_token(theirs["access"])[0] == user
        assert "access" in refresh_tokens.refresh(theirs["refresh"])
        ours = refresh_tokens.issue_pair(user)
        assert SJAuthentication().get_user(SJAuthentication().get_validated_token(ours["access"])) == user
        assert RefreshToken(ours["refresh"]).access_token


def test_password_change_refuses_sesstok_refresh_tokens(user):
    """ "a password change or logout-everywhere refuses existing refresh
    tokens" (Security, *Refresh tokens*), for the refresh tokens sesstok
    issued."""
    pair = refresh_tokens.issue_pair(user)
    user.set_password("a-new-password")
    user.save()
    with pytest.raises(AuthenticationError):
        refresh_tokens.refresh(pair["refresh"])


def test_password_change_refuses_pre_switch_simplejwt_refresh_tokens(user):
    """The same sentence, "a password change ... refuses existing refresh
    tokens", for the refresh tokens SimpleJWT issued before the switch
    (SimpleJWT's default settings: no `hash_password` claim): the password
    change marker refuses them too."""
    with simplejwt_settings({}):
        pair = sj_pair(user)
    user.set_password("a-new-password")
    user.save()
    with pytest.raises(AuthenticationError):
        refresh_tokens.refresh(pair["refresh"])


def test_refresh_for_a_deleted_user_is_no_active_account(make_user):
    """ "refresh for a deleted user is refused with `no_active_account`
    (SimpleJWT: a 500)" """
    from rest_framework_simplejwt.serializers import TokenRefreshSerializer

    gone = make_user()
    pair = refresh_tokens.issue_pair(gone)
    gone.delete()
    with pytest.raises(refresh_tokens.AccountError) as info:
        refresh_tokens.refresh(pair["refresh"])
    assert info.value.code == "no_active_account"
    with simplejwt_settings({}), pytest.raises(Exception) as original:  # the oracle: not a clean 401
        TokenRefreshSerializer(data={"refresh": pair["refresh"]}).is_valid(raise_exception=True)
    assert type(original.value).__name__ == "DoesNotExist"


def test_access_tokens_carry_the_password_binding(user):
    """ "sesstok's access tokens carry an `sst_ah` claim binding them to the
    password (a password change revokes them)" """
    raw = access_tokens.issue_access_token(user)
    assert "sst_ah" in pyjwt.decode(raw, options={"verify_signature": False})
    user.set_password("a-new-password")
    user.save()
    with pytest.raises(AuthenticationError):
        access_tokens.authenticate_access_token(raw)


# ==== SimpleJWT settings table ==========================================================================


def _drf_check_ids(simple_jwt):
    with override_settings(SIMPLE_JWT=simple_jwt):
        return sorted(e.id for e in checks.run_checks() if e.id.startswith("sesstok."))


def test_settings_table_check_ids():
    """The settings table's check ids: "others (ES256K, ...) are
    `sesstok.E102`"; "HMAC keys shorter than the hash are `sesstok.E004`,
    RSA below 2048 bits `sesstok.E103`"; the removed settings give
    `sesstok.E101`; `ON_LOGIN_SUCCESS`, `ON_LOGIN_FAILED`: "ignored"."""
    assert _drf_check_ids({}) == []
    assert "sesstok.E102" in _drf_check_ids({"ALGORITHM": "ES256K"})
    assert "sesstok.E004" in _drf_check_ids({"SIGNING_KEY": "short"})
    assert "sesstok.E103" in _drf_check_ids(
        {
            "ALGORITHM": "RS256",
            "SIGNING_KEY": key_text("rsa1024_private.pem"),
            "VERIFYING_KEY": key_text("rsa1024_public.pem"),
        }
    )
    from unittest import mock

    from django.conf import settings

    from sesstok.contrib.rest_framework.checks import check_jwt_settings

    for removed in ("AUTH_HEADER_TYPE", "AUTH_TOKEN_CLASS", "SECRET_KEY", "TOKEN_BACKEND_CLASS"):
        # the check itself, without override_settings: SimpleJWT's reload raises
        # (as at start-up: test_removed_simplejwt_setting)
        with mock.patch.object(settings._wrapped, "SIMPLE_JWT", {removed: "x"}, create=True):
            assert [e.id for e in check_jwt_settings()] == ["sesstok.E101"], removed
    assert _drf_check_ids({"ON_LOGIN_SUCCESS": "x.y", "ON_LOGIN_FAILED": "x.y"}) == []


_SETUP_WITH_REMOVED_SETTING = """
    import sys
    import django
    from django.conf import settings

    apps = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "sesstok"]
    if sys.argv[1:] == ["installed"]:
        apps.append("rest_framework_simplejwt")
    settings.configure(SECRET_KEY="k" * 64, INSTALLED_APPS=apps, SIMPLE_JWT={"AUTH_HEADER_TYPE": "Bearer"},
                       DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    try:
        django.setup()
    except RuntimeError as e:
        print("RuntimeError at setup:", e)
        raise SystemExit(0)
    from django.core import checks
    print("checks:", sorted(e.id for e in checks.run_checks() if e.id.startswith("sesstok.")))
"""


@pytest.mark.parametrize("installed", [False, True])
def test_removed_simplejwt_setting(installed):
    """ "removed from SimpleJWT; present → `sesstok.E101`. With
    `rest_framework_simplejwt` (or its `token_blacklist`) in
    `INSTALLED_APPS`, as SimpleJWT's docs have it, SimpleJWT's own
    `RuntimeError` stops `django.setup()` before any check runs" """
    code = textwrap.dedent(_SETUP_WITH_REMOVED_SETTING)
    result = subprocess.run(
        [sys.executable, "-c", code, *(["installed"] if installed else [])],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert result.returncode == 0, result.stderr
    if installed:
        assert result.stdout.startswith("RuntimeError at setup: The 'AUTH_HEADER_TYPE' setting has been removed.")
    else:
        assert result.stdout == "checks: ['sesstok.E101']\n"


def test_jti_and_token_type_claims_can_be_switched_off(user):
    """`TOKEN_TYPE_CLAIM`: "`None`: no type claim and no type check";
    `JTI_CLAIM`: "`None`: no `jti`" """
    with override_settings(SIMPLE_JWT={"TOKEN_TYPE_CLAIM": None, "JTI_CLAIM": None}):
        access_tokens._forget()
        try:
            raw = access_tokens.issue_access_token(user)
            claims = pyjwt.decode(raw, options={"verify_signature": False})
            assert "token_type" not in claims and "jti" not in claims
            assert access_tokens.authenticate_access_token(raw)[0] == user
        finally:
            access_tokens._forget()


def test_first_auth_header_type_is_advertised(user):
    """`AUTH_HEADER_TYPES`: "the first is advertised in `WWW-Authenticate`;
    case-sensitive, as SimpleJWT" """
    from rest_framework.test import APIRequestFactory

    from sesstok.contrib.rest_framework.authentication import JWTAuthentication

    with simplejwt_settings({"AUTH_HEADER_TYPES": ("JWT", "Bearer")}):
        auth = JWTAuthentication()
        request = APIRequestFactory().get("/")
        assert auth.authenticate_header(request).startswith("JWT ")
        lower = APIRequestFactory().get("/", HTTP_AUTHORIZATION="bearer " + access_tokens.issue_access_token(user))
        assert auth.authenticate(lower) is None  # "bearer" is not "Bearer"


# ==== Security and compatibility choices ====================================================================


def test_revocation_store_down_is_a_503(user):
    """ "If the revocation store cannot be read, the request is refused
    (`503`), not let through." """
    down = {
        "default": {"BACKEND": LOCMEM},
        "revocation": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    raw = access_tokens.issue_access_token(user)
    with flows(REVOCATION_CACHE="revocation", JWT_DENYLIST=True), override_settings(CACHES=down):
        revocation._forget()
        try:
            response = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
        finally:
            revocation._forget()
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert response.json()["code"]


def test_query_string_tokens_are_off_unless_enabled(user):
    """ "**Query-string tokens** are off unless enabled (URLs leak into
    logs)." """
    _, raw = tokens.create_token(user, "web")
    with flows():
        assert Client().get("/api/me/", {"access_token": raw}).status_code == 401
    with flows(TOKEN_QUERY_PARAM="access_token"):
        assert Client().get("/api/me/", {"access_token": raw}).json()["user"]["username"] == user.username


def test_registration_is_off_unless_opened(db):
    """ "Registration is off unless opened by a setting." """
    with flows(REGISTRATION_OPEN=False):
        assert Client().get("/register/").status_code == 404
    with flows(REGISTRATION_OPEN=True):
        assert Client().get("/register/").status_code == 200


def test_csrf_for_cookie_credentials_and_not_for_headers(user):
    """ "a token taken from a cookie is CSRF-checked on unsafe methods ...;
    `Authorization` headers are exempt" """
    _, raw = tokens.create_token(user, "web")
    with flows(TOKEN_COOKIE_NAME="sst_token"):
        client = Client(enforce_csrf_checks=True)
        assert client.post("/api/logout/", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 200
        _, raw = tokens.create_token(user, "web2")
        client.cookies["sst_token"] = raw
        refused = client.post("/api/logout/")
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"


def test_nothing_changes_on_the_wire_for_signed_cookies():
    """ "Nothing changes on the wire" (*From django.core.signing, Django
    sessions and signed cookies*): `SIGNING_BACKEND =
    "sesstok.signing.TimestampSigner"` reads Django's signed cookies and
    Django reads sesstok's."""
    from django.http import HttpResponse

    def cookie(backend):
        with override_settings(SIGNING_BACKEND=backend):
            response = HttpResponse()
            response.set_signed_cookie("c", "value", salt="s")
            return response.cookies["c"].value

    def read(backend, value):
        request = RequestFactory().get("/")
        request.COOKIES["c"] = value
        with override_settings(SIGNING_BACKEND=backend):
            return request.get_signed_cookie("c", salt="s")

    ours, theirs = "sesstok.signing.TimestampSigner", "django.core.signing.TimestampSigner"
    assert read(ours, cookie(theirs)) == read(theirs, cookie(ours)) == "value"


def test_zlib_parameters_match_django():
    """ "sesstok calls [zlib] with Django's parameters so the output stays
    byte-identical" (Performance)"""
    value = {"k": "v" * 500}
    assert signing.dumps(value, compress=True) == dj_signing.dumps(value, compress=True)
    payload = signing.dumps(value, compress=True).split(":")[0][1:]
    assert zlib.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
