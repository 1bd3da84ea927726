"""``python -m sesstok inspect`` (sesstok.inspect): PyJWT and Django make
the values, the report must show what they put in; verification with a
key; clear errors for garbage; the command line."""

import base64
import io
import json
import os
import subprocess
import sys
import time
import zlib
from types import SimpleNamespace

import jwt as pyjwt
import pytest
from django.core import signing
from hypothesis import given
from hypothesis import strategies as st

from sesstok import tokens
from sesstok.__main__ import main as cli_main
from sesstok.inspect import InspectError, inspect_value, render

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KEY = "inspect-test-key-0123456789abcdefghijklmnopqrstuvwxyz"


def run(*argv, stdin=""):
    out, err = io.StringIO(), io.StringIO()
    real = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        status = cli_main(["inspect", *argv])
    finally:
        sys.stdin, sys.stdout, sys.stderr = real
    return status, out.getvalue(), err.getvalue()


# ---- JWT -------------------------------------------------------------------------------------


def test_jwt_matches_pyjwt():
    now = int(time.time())
    claims = {
        "token_type": "access",
        "iat": now - 60,
        "exp": now + 240,
        "jti": "j",
        "user_id": "7",
        "nested": {"a": [1, 2.5, None, "é"]},
    }
    token = pyjwt.encode(claims, KEY, algorithm="HS256", headers={"kid": "k1"})
    result = inspect_value(token, now=now)
    assert result["kind"] == "jwt"
    assert result["header"] == pyjwt.get_unverified_header(token)
    assert result["payload"] == pyjwt.decode(token, options={"verify_signature": False})
    assert result["times"]["iat"]["relative"] == "1 min ago"
    assert result["times"]["exp"]["relative"] == "in 4 min"
    assert result["expired"] is False
    assert "verification" not in result
    text = render(result)
    assert "SimpleJWT access token" in text and "not checked" in text and '"kid": "k1"' in text


def test_jwt_verification():
    token = pyjwt.encode({"exp": int(time.time()) + 60, "sub": "x"}, KEY, algorithm="HS384")
    assert inspect_value(token, key=KEY)["verification"] == {"ok": True, "detail": "signature verifies (HS384)"}
    bad = inspect_value(token, key=KEY + "x")["verification"]
    assert bad["ok"] is False and "does not verify" in bad["detail"]


def test_jwt_rs256_with_a_public_key_file(tmp_path):
    keys = os.path.join(HERE, "keys")
    private, public = "rsa2048_private.pem", "rsa2048_public.pem"
    with open(os.path.join(keys, private), "rb") as f:
        token = pyjwt.encode({"sub": "x"}, f.read(), algorithm="RS256")
    status, out, err = run(token, "--key-file", os.path.join(keys, public))
    assert status == 0, err
    assert "Verification:   OK: signature verifies (RS256)" in out


def test_expired_jwt_with_a_key_exits_1():
    token = pyjwt.encode({"exp": int(time.time()) - 10}, KEY, algorithm="HS256")
    os.environ["SESSTOK_TEST_KEY"] = KEY
    try:
        status, out, _ = run(token, "--key-env", "SESSTOK_TEST_KEY")
    finally:
        del os.environ["SESSTOK_TEST_KEY"]
    assert status == 1 and "\nExpired:        yes\n" in out and "Verification:   OK" in out
    _assert_aligned(out)


def _assert_aligned(out):
    """Every 'Label: value' line of a report starts its value in column 17 (issue 14: Expired:)."""
    fields = [line for line in out.splitlines() if not line.startswith(" ") and ": " in line[:16]]
    assert fields and all(line[15] == " " and line[16] != " " for line in fields), fields


def test_unsigned_jwt():
    token = pyjwt.encode({"sub": "x"}, None, algorithm="none")
    result = inspect_value(token, key=KEY)
    assert result["verification"]["ok"] is False and "alg none" in result["verification"]["detail"]


def test_jwe_is_named():
    with pytest.raises(InspectError, match="JWE"):
        inspect_value("a.b.c.d.e")


@pytest.mark.parametrize(
    "value, message",
    [
        ("e30.e30.@@@", "not base64url"),
        ("eyJ.e30.c2ln", "header is not JSON"),
        ("WzFd.e30.c2ln", "header is not a JSON object"),
    ],
)
def test_broken_jwts(value, message):
    with pytest.raises(InspectError, match=message):
        inspect_value(value)


def test_jwt_with_a_non_json_payload():
    result = inspect_value("e30." + base64.urlsafe_b64encode(b"plain text").decode().rstrip("=") + ".c2ln")
    assert result["payload"] == "plain text"


# ---- Django signed values ----------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
def test_dumps(compress):
    value = signing.dumps({"user": 42, "text": "x" * 200}, key=KEY, compress=compress)
    result = inspect_value(value, key=KEY)
    assert result["payload"] == {"user": 42, "text": "x" * 200}
    assert result["description"].startswith("Django signing.dumps value")
    assert ("zlib-compressed" in result["description"]) == compress
    assert result["times"]["signed"]["relative"].endswith("ago")
    assert result["verification"]["ok"] and result["verification"]["salt"] == "django.core.signing"


def test_dumps_with_a_salt():
    value = signing.dumps([1, 2], key=KEY, salt="invite")
    assert inspect_value(value, key=KEY)["verification"]["ok"] is False
    assert inspect_value(value, key=KEY, salt="invite")["verification"]["ok"] is True


def test_signer_and_timestamp_signer():
    plain = signing.Signer(key=KEY).sign("hello")
    result = inspect_value(plain, key=KEY)
    assert result["description"] == "Django Signer value" and result["payload"] == "hello"
    assert result["verification"]["salt"] == "django.core.signing.Signer"
    stamped = signing.TimestampSigner(key=KEY).sign("hello")
    result = inspect_value(stamped, key=KEY)
    assert result["description"] == "Django TimestampSigner value" and "signed" in result["times"]
    assert result["verification"]["salt"] == "django.core.signing.TimestampSigner"


def test_djangos_signed_cookie_session(db):
    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.test import override_settings

    with override_settings(SECRET_KEY=KEY):
        store = SessionStore()
        store["_auth_user_id"] = "3"
        store.save()
        cookie = store.session_key
    result = inspect_value(cookie, key=KEY)
    assert "signed-cookie session" in result["description"]
    assert result["payload"] == {"_auth_user_id": "3"}
    assert result["verification"]["salt"] == "django.contrib.sessions.backends.signed_cookies"


def test_sha1_and_sha512_signatures():
    for algorithm in ("sha1", "sha512"):
        value = signing.Signer(key=KEY, algorithm=algorithm).sign("v")
        result = inspect_value(value, key=KEY)
        assert result["algorithm"] == algorithm and result["verification"]["ok"]


def test_compression_bomb_is_refused():
    bomb = zlib.compress(b"[" + b"0," * (2 * 1024 * 1024) + b"0]", 9)
    value = "." + base64.urlsafe_b64encode(bomb).decode().rstrip("=") + ":1abcde:" + "A" * 43
    with pytest.raises(InspectError, match="decompresses to more than"):
        inspect_value(value)


# ---- opaque tokens -----------------------------------------------------------------------------------


def test_sesstok_token_and_drf_key():
    token = tokens.generate_token()
    result = inspect_value(token)
    assert result["kind"] == "token" and result["payload"]["digest_sha256"] == tokens.token_digest(token)
    assert result["payload"]["display_prefix"] == tokens.display_prefix(token)
    key = "0123456789abcdef0123456789abcdef01234567"
    assert inspect_value(key)["kind"] == "drf"


# ---- garbage ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("hello world", "spaces"),
        ("héllo", "non-ASCII"),
        ("x" * 70000, "longer than"),
        ("justtext", "no ':' separator"),
        ("abc:def", "not an HMAC signature"),
        ("abc:" + "!" * 43, "not an HMAC signature"),
    ],
)
def test_garbage(value, message):
    with pytest.raises(InspectError, match=message):
        inspect_value(value)


@given(st.text(max_size=300))
def test_never_crashes(value):
    try:
        result = inspect_value(value, key=KEY)
    except InspectError:
        return
    assert render(result)


@given(st.binary(max_size=200))
def test_never_crashes_on_signed_shapes(data):
    payload = base64.urlsafe_b64encode(data).decode().rstrip("=")
    for value in (payload + ":1abcde:" + "A" * 43, "." + payload + ":" + "B" * 43, f"{payload}.{payload}.{payload}"):
        try:
            render(inspect_value(value, key=KEY))
        except InspectError:
            pass


# ---- command line ------------------------------------------------------------------------------------------


def test_cli_key_on_the_command_line_warns():
    token = pyjwt.encode({"sub": "x"}, KEY, algorithm="HS256")
    status, out, err = run(token, "--key", KEY)
    assert status == 0 and "Verification:   OK" in out
    assert "shell history" in err


def test_cli_wrong_key_exits_1(tmp_path):
    path = tmp_path / "key"
    path.write_text("not-the-key-0123456789abcdefghijklmnopqrstuvwxyz\n")
    token = pyjwt.encode({"sub": "x"}, KEY, algorithm="HS256")
    status, out, _ = run(token, "--key-file", str(path))
    assert status == 1 and "FAILED" in out


def test_cli_key_file_newline_is_stripped(tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    status, _, _ = run(signing.dumps("x", key=KEY), "--key-file", str(path))
    assert status == 0


def test_cli_errors():
    assert run("garbage")[0] == 2
    status, _, err = run("x.y.z", "--key-env", "SESSTOK_SURELY_UNSET")
    assert status == 2 and "SESSTOK_SURELY_UNSET is not set" in err
    status, _, err = run("x.y.z", "--key-file", "/nonexistent/key")
    assert status == 2 and "cannot read the key file" in err
    with pytest.raises(SystemExit):
        run("x", "--key", "a", "--key-env", "B")  # one key source only


def test_cli_stdin_and_json():
    token = pyjwt.encode({"sub": "x"}, KEY, algorithm="HS256")
    status, out, _ = run("-", "--json", stdin=token + "\n")
    assert status == 0
    assert json.loads(out)["payload"] == {"sub": "x"}


def test_cli_in_a_subprocess_without_django_settings():
    token = pyjwt.encode({"sub": "x"}, KEY, algorithm="HS256")
    value = signing.dumps({"a": 1}, key=KEY)
    for argument in (token, value):
        result = subprocess.run(
            [sys.executable, "-m", "sesstok", "inspect", argument, "--key-env", "K"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": ROOT, "K": KEY, "PYTHONWARNINGS": "error"},
        )
        assert result.returncode == 0, result.stderr
        assert "Verification:   OK" in result.stdout


# ---- signed cookies, session keys, manage.py sesstok_inspect -----------------------------------


def _signed_cookie(name, value, salt=""):
    from django.http import HttpResponse

    response = HttpResponse()
    response.set_signed_cookie(name, value, salt=salt)
    return response.cookies[name].value


def _djangos_answer(name, raw, salt=""):
    from django.http import HttpRequest

    request = HttpRequest()
    request.COOKIES[name] = raw
    return request.get_signed_cookie(name, default=None, salt=salt)


@pytest.mark.parametrize("cookie, salt, ok", [("pref", "ui", True), ("pref", None, False), ("other", "ui", False)])
def test_cli_verifies_a_set_signed_cookie_with_the_secret_key(cookie, salt, ok):
    from conftest import TEST_SECRET_KEY

    raw = _signed_cookie("pref", "dark-mode", salt="ui")  # signed with the test settings' SECRET_KEY
    assert (_djangos_answer(cookie, raw, salt or "") is not None) is ok  # Django, the oracle
    os.environ["SESSTOK_TEST_KEY"] = TEST_SECRET_KEY
    try:
        argv = [raw, "--key-env", "SESSTOK_TEST_KEY", "--cookie", cookie] + (["--salt", salt] if salt else [])
        status, out, _ = run(*argv)
    finally:
        del os.environ["SESSTOK_TEST_KEY"]
    assert status == (0 if ok else 1)
    assert f"Django signed cookie {cookie!r} (set_signed_cookie)" in out
    assert ("Verification:   OK" in out) is ok
    _assert_aligned(out)


def test_database_session_key_is_recognised(db):
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store.create()
    result = inspect_value(store.session_key)
    assert result["kind"] == "session" and "Django session key" in result["description"]
    assert inspect_value("0123456789abcdef0123456789abcdef01234567")["kind"] == "drf"  # 40 hex: not a session


def _command(*argv):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("sesstok_inspect", *argv, stdout=out)
    return out.getvalue()


def test_command_session_key_with_its_user(user):
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import override_settings

    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.db"):
        out = _command(store.session_key)
        assert "  user:           alice (pk" in out and "  session:        found (1 key(s): _auth_user_id)" in out
        _assert_aligned(out)
        store.delete()
        assert "not found" in _command(store.session_key)


def test_command_token_and_drf_key(user):
    from rest_framework.authtoken.models import Token

    _, plain = tokens.create_token(user, "ci")
    out = _command(plain)
    assert "  sesstok token:  'ci', origin sesstok" in out and "  user:           alice (pk" in out
    drf = Token.objects.create(user=user)
    out = _command(drf.key)
    assert "origin drf" in out and "  DRF Token row:  yes (user alice" in out


def test_command_verifies_with_the_projects_keys(user):
    from django.core.management.base import CommandError

    from sesstok import refresh_tokens

    access = refresh_tokens.issue_pair(user)["access"]
    out = _command(access)
    assert "Verification:   OK: signature verifies (HS256)" in out and "  user:           alice (pk" in out
    assert "Verification:   OK" in _command(
        _signed_cookie("pref", "dark", salt="ui"), "--cookie", "pref", "--salt", "ui"
    )
    assert "Verification:   OK" in _command(signing.dumps({"a": 1}))
    with pytest.raises(CommandError) as failed:
        _command(signing.dumps({"a": 1}, key=KEY))
    assert failed.value.returncode == 1
    with pytest.raises(CommandError) as unknown:
        _command("garbage")
    assert unknown.value.returncode == 2
