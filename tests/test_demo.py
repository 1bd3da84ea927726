"""End to end over real HTTP: ``python -m sesstok demo`` in a subprocess on
127.0.0.1 (a free port, a temporary --db), driven with urllib like a
browser (cookie jar, CSRF token) and like an API client (JSON, Authorization
header): every flow, failures, throttling, revocation, the printed curl
examples run as printed, and two demo processes sharing Redis."""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PASSWORD = "orbit-tulip-harbor-42"


class Demo:
    """A running ``python -m sesstok demo`` process."""

    def __init__(self, db, *extra, env=None, cwd=ROOT):
        self.db = db
        env = {
            **os.environ,
            "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PYTHONWARNINGS": "error",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sesstok", "demo", "--port", "0", *(["--db", db] if db else []), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        self.banner = []
        deadline = time.monotonic() + 120
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"the demo exited: {self.process.wait()}\n{self.process.stderr.read()}")
            self.banner.append(line)
            found = re.search(r"Serving (http://127\.0\.0\.1:\d+)/", line)
            if found:
                self.base = found.group(1)
                break
            assert time.monotonic() < deadline, "the demo did not start"
        # the rest of the banner (curl examples) ends with a blank line after the last example
        while ' inspect "$(awk' not in self.banner[-1]:
            self.banner.append(self.process.stdout.readline())
        self.text = "".join(self.banner)

    def stop(self, sig=signal.SIGINT):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            rest, err = self.process.communicate(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.communicate()
        return self.process.returncode, rest, err


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode()


class Client:
    """urllib with a cookie jar and no redirect following."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, method, path, body=None, headers=None, form=None, data=None):
        headers = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            payload = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            payload = data
        request = urllib.request.Request(self.base + path, data=payload, headers=headers, method=method)
        try:
            with self.opener.open(request, timeout=60) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as e:
            with e:
                return Response(e.code, e.headers, e.read())

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def cookie(self, name):
        for cookie in self.jar:
            if cookie.name == name:
                return cookie.value
        return None

    def csrf(self):
        if self.cookie("csrftoken") is None:
            assert self.get("/login/").status == 200
        return self.cookie("csrftoken")


def delete_demo_keys(redis_url, db):
    """Remove what a demo wrote to Redis (its keys carry a per-database
    prefix; nothing else on a shared REDIS_URL is touched)."""
    import redis

    sys.path.insert(0, ROOT)
    from sesstok.demo.settings import redis_prefix

    with open(db + ".secret") as f:
        prefix = redis_prefix(f.read().strip())
    conn = redis.Redis.from_url(redis_url)
    keys = list(conn.scan_iter(match=f"{prefix}-*", count=1000))
    if keys:
        conn.delete(*keys)


def bearer(value, scheme="Bearer"):
    return {"Authorization": f"{scheme} {value}"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("demo") / "demo.sqlite3")
    server = Demo(db)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def registered(demo):
    """Two users registered through the JSON route."""
    api = Client(demo.base)
    for name in ("alice", "bob"):
        response = api.post("/register/", body={"username": name, "password": PASSWORD})
        assert response.status == 201, response.body
    return api


def login(client, username="alice", password=PASSWORD, **kwargs):
    return client.post("/api/login/", body={"username": username, "password": password}, **kwargs)


# ---- the server itself ----------------------------------------------------------------------


def test_start_banner_and_clean_stop(tmp_path):
    db = str(tmp_path / "fresh.sqlite3")
    server = Demo(db)
    try:
        assert "NOT FOR PRODUCTION" in server.text
        assert "(created and migrated)" in server.text
        assert os.path.getsize(db) > 0
        assert oct(os.stat(db + ".secret").st_mode & 0o777) == "0o600"
        for route in (
            "/register/",
            "/api/login/",
            "/api/me/",
            "/api/token/refresh/",
            "/api/logout/",
            "/api/logout-all/",
            "/login/",
        ):
            assert f"{server.base}{route}" in server.text, route
        home = Client(server.base).get("/")
        assert home.status == 200 and b"Three ways in" in home.body and server.base.encode() in home.body
    finally:
        status, rest, err = server.stop(signal.SIGINT)  # Ctrl-C
    assert status == 0 and "Stopped." in rest and "Traceback" not in err
    again = Demo(db)  # the database exists: no migration message, same secret key
    try:
        assert "(created and migrated)" not in again.text
    finally:
        status, rest, _ = again.stop(signal.SIGTERM)
    assert status == 0 and "Stopped." in rest


def test_port_in_use(demo, tmp_path):
    port = demo.base.rsplit(":", 1)[1]
    env = {**os.environ, "PYTHONPATH": ROOT}
    result = subprocess.run(
        [sys.executable, "-m", "sesstok", "demo", "--port", port, "--db", str(tmp_path / "x.sqlite3")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1 and f"Cannot listen on 127.0.0.1:{port}" in result.stderr


def test_unknown_host_is_refused(demo):
    response = Client(demo.base).get("/", headers={"Host": "evil.example"})
    assert response.status == 400


def test_default_database_is_kept_out_of_the_checkout(tmp_path):
    """Without --db the database and its secret key go to
    $XDG_DATA_HOME/sesstok/ (a private directory), not to the directory the
    demo runs from (a checkout's root), and the banner gives the PID."""
    cwd, data = tmp_path / "checkout", tmp_path / "data"
    cwd.mkdir()
    server = Demo(None, env={"XDG_DATA_HOME": str(data)}, cwd=str(cwd))
    db = data / "sesstok" / "demo.sqlite3"
    try:
        assert f"Database: {db} (created and migrated)" in server.text
        assert f"pid {server.process.pid})" in server.text
        assert Client(server.base).get("/").status == 200
    finally:
        status, _, err = server.stop(signal.SIGTERM)
    assert status == 0, err
    assert db.stat().st_size > 0 and oct(db.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(os.stat(f"{db}.secret").st_mode & 0o777) == "0o600"
    assert os.listdir(cwd) == []


def test_demo_files_are_git_ignored():
    """A --db inside a checkout still cannot be committed by accident."""
    if not os.path.isdir(os.path.join(ROOT, ".git")) and not os.path.isfile(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout (an sdist)")
    for name in ("sesstok-demo.sqlite3", "sesstok-demo.sqlite3.secret", "demo.sqlite3-journal"):
        assert subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT).returncode == 0, name


def test_unknown_api_path_is_a_json_404(demo):
    api = Client(demo.base)
    for method in ("GET", "POST"):
        response = api.request(method, "/api/no-such-thing/")
        assert response.status == 404 and response.headers["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
    page = api.get("/no-such-page/")
    assert page.status == 404 and page.headers["Content-Type"].startswith("text/html")


def test_pages_show_utc(demo, registered):
    """TIME_ZONE is UTC (Django's default would show America/Chicago)."""
    browser = Client(demo.base)
    browser.post("/login/", form={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf()})
    page = browser.get("/me/").text
    assert re.search(r"Session expires</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d UTC</dd>", page), page


def test_home_page_curl_blocks_wrap(demo):
    """The curl examples wrap instead of scrolling sideways (at 1280 px the
    longest line is wider than the column)."""
    blocks = re.findall(r"<pre([^>]*)>", Client(demo.base).get("/").text)
    assert blocks and all("white-space: pre-wrap" in attrs for attrs in blocks)


# ---- the browser flow: session cookie ---------------------------------------------------------


def test_browser_register_login_me_logout(demo):
    browser = Client(demo.base)
    page = browser.get("/register/")
    assert page.status == 200 and browser.cookie("csrftoken")
    response = browser.post(
        "/register/",
        form={"username": "carol", "password1": PASSWORD, "password2": PASSWORD, "csrfmiddlewaretoken": browser.csrf()},
    )
    assert response.status == 302 and response.headers["Location"] == "/me/"
    assert browser.cookie("sessionid")
    me = browser.get("/me/")
    assert me.status == 200 and b"carol" in me.body
    assert browser.get("/api/me/").json()["auth"] == "session"
    old_cookie = browser.cookie("sessionid")
    response = browser.post("/logout/", form={"csrfmiddlewaretoken": browser.csrf()})
    assert response.status == 302 and response.headers["Location"] == "/login/?logged_out=1"
    assert browser.get("/api/me/").status == 401
    # the logged-out signed cookie, replayed, is refused (the demo's revocation store)
    replay = Client(demo.base)
    assert replay.get("/api/me/", headers={"Cookie": f"sessionid={old_cookie}"}).json()["code"] == "not_authenticated"


def test_browser_login_and_failures(demo, registered):
    browser = Client(demo.base)
    csrf = browser.csrf()
    wrong = browser.post("/login/", form={"username": "alice", "password": "nope", "csrfmiddlewaretoken": csrf})
    unknown = browser.post("/login/", form={"username": "nobody", "password": "nope", "csrfmiddlewaretoken": csrf})
    assert wrong.status == unknown.status == 200
    assert b"Invalid username or password." in wrong.body and b"Invalid username or password." in unknown.body
    ok = browser.post(
        "/login/", form={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/api/me/"}
    )
    assert ok.status == 302 and ok.headers["Location"] == "/api/me/"
    assert browser.get("/api/me/").json()["user"]["username"] == "alice"


def test_browser_csrf(demo, registered):
    browser = Client(demo.base)
    response = browser.post("/login/", form={"username": "alice", "password": PASSWORD})
    assert response.status == 403
    browser.post("/login/", form={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf()})
    assert browser.get("/api/me/").status == 200
    # an API POST authenticated by the cookie needs the token too (JSON error)
    response = browser.post("/api/logout/")
    assert response.status == 403 and response.json()["code"] == "csrf_failed"
    response = browser.post("/api/logout/", headers={"X-CSRFToken": browser.csrf()})
    assert response.status == 200 and response.json()["revoked"] == ["session"]


# ---- the API flows: opaque token and JWT ----------------------------------------------------------


def test_api_token_flow(demo, registered):
    api = Client(demo.base)
    response = login(api)
    assert response.status == 200 and "no-store" in response.headers["Cache-Control"]
    assert not list(api.jar)  # no cookie for API clients
    body = response.json()
    for scheme in ("Token", "Bearer"):
        me = api.get("/api/me/", headers=bearer(body["token"], scheme))
        assert me.status == 200 and me.json()["auth"] == "token" and me.json()["user"]["username"] == "alice"
    assert api.post("/api/logout/", headers=bearer(body["token"], "Token")).json()["revoked"] == ["token"]
    response = api.get("/api/me/", headers=bearer(body["token"], "Token"))
    assert response.status == 401 and response.json()["code"] == "invalid_token"


def test_api_jwt_flow(demo, registered):
    api = Client(demo.base)
    body = login(api).json()
    assert api.get("/api/me/", headers=bearer(body["access"])).json()["auth"] == "jwt"
    fresh = api.post("/api/token/refresh/", body={"refresh": body["refresh"]})
    assert fresh.status == 200 and set(fresh.json()) == {"access"}
    assert api.get("/api/me/", headers=bearer(fresh.json()["access"])).status == 200
    # logout of an access token (the demo has the JWT denylist on) plus its refresh token
    response = api.post("/api/logout/", body={"refresh": body["refresh"]}, headers=bearer(body["access"]))
    assert response.json()["revoked"] == ["jwt", "refresh"]
    assert api.get("/api/me/", headers=bearer(body["access"])).json()["code"] == "invalid_token"
    refused = api.post("/api/token/refresh/", body={"refresh": body["refresh"]})
    assert refused.status == 401 and refused.json()["code"] == "token_not_valid"
    # the access token from the refresh is a different one: still good
    assert api.get("/api/me/", headers=bearer(fresh.json()["access"])).status == 200


def test_api_tampered_and_garbage(demo, registered):
    api = Client(demo.base)
    body = login(api).json()
    head, payload, signature = body["access"].split(".")
    claims = json.loads(urllib.parse.unquote(__import__("base64").urlsafe_b64decode(payload + "==").decode()))
    claims["user_id"] = "2"
    forged = __import__("base64").urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = api.get("/api/me/", headers=bearer(f"{head}.{forged}.{signature}"))
    assert response.status == 401 and response.json()["code"] == "invalid_token"
    assert api.get("/api/me/", headers=bearer("garbage!")).json()["code"] == "invalid_token"  # a DRF key's shape
    assert api.get("/api/me/", headers=bearer("garbage!" * 6)).json()["code"] == "malformed_token"
    bad = api.post("/api/login/", data=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status == 400 and bad.json()["code"] == "invalid_request"
    assert api.get("/api/me/").json()["code"] == "not_authenticated"


def test_api_wrong_password_and_unknown_user_look_the_same(demo, registered):
    api = Client(demo.base)
    wrong = login(api, password="wrong-password")
    unknown = login(api, username="nobody-here")
    assert wrong.status == unknown.status == 401
    assert wrong.body == unknown.body and wrong.json()["code"] == "invalid_credentials"


def test_throttling(demo, registered):
    api = Client(demo.base)
    for _ in range(5):
        assert login(api, "bob", "wrong-password").status == 401
    blocked = login(api, "bob")
    assert blocked.status == 429 and blocked.json()["code"] == "throttled"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 900
    # the demo takes REMOTE_ADDR (no trusted proxy): a forged X-Forwarded-For changes nothing
    assert login(api, "bob", headers={"X-Forwarded-For": "198.51.100.1"}).status == 429
    # another account from the same address is not affected
    assert login(api, "alice").status == 200


def test_logout_all(demo, registered):
    api = Client(demo.base)
    first, second = login(api, "alice").json(), login(api, "alice").json()
    browser = Client(demo.base)
    browser.post("/login/", form={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf()})
    assert browser.get("/api/me/").status == 200
    response = api.post("/api/logout-all/", headers=bearer(first["access"]))
    assert response.status == 200 and all(response.json()["revoked"].values())
    for body in (first, second):
        assert api.get("/api/me/", headers=bearer(body["token"], "Token")).status == 401
        assert api.get("/api/me/", headers=bearer(body["access"])).status == 401
        assert api.post("/api/token/refresh/", body={"refresh": body["refresh"]}).status == 401
    assert browser.get("/api/me/").status == 401  # the browser session too


@pytest.mark.redis
def test_password_change_revokes_everything(redis_url, tmp_path):
    """A password changed by another process (an admin's shell). With Redis
    the demo sees the user cache bump at once; without it (LocMem, one
    process) another process's write is seen within USER_CACHE_TTL, which
    is what system check W002 warns about."""
    demo = Demo(str(tmp_path / "pw.sqlite3"), "--redis", redis_url)
    try:
        _password_change(demo, redis_url)
    finally:
        demo.stop()
        delete_demo_keys(redis_url, demo.db)


def _password_change(demo, redis_url):
    api = Client(demo.base)
    assert api.post("/register/", body={"username": "dave", "password": PASSWORD}).status == 201
    body = login(api, "dave").json()
    browser = Client(demo.base)
    browser.post("/login/", form={"username": "dave", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf()})
    assert browser.get("/api/me/").status == 200
    # change the password in the demo's database from another process, as an admin would
    script = (
        "import sys; sys.argv=['x']\n"
        "from django.conf import settings\n"
        "from sesstok.demo import settings as s\n"
        f"settings.configure(**s.build({demo.db!r}, {redis_url!r}))\n"
        "import django; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "u = get_user_model().objects.get(username='dave'); u.set_password('a-new-password-77'); u.save()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert result.returncode == 0, result.stderr
    assert api.get("/api/me/", headers=bearer(body["token"], "Token")).status == 401  # deleted
    assert api.get("/api/me/", headers=bearer(body["access"])).status == 401  # sst_ah
    assert api.post("/api/token/refresh/", body={"refresh": body["refresh"]}).status == 401
    assert browser.get("/api/me/").status == 401  # session auth hash
    assert login(api, "dave", "a-new-password-77").status == 200


def test_expired_access_token(demo, registered):
    """An access token whose exp has passed (made with the demo's key)."""
    import base64
    import hashlib
    import hmac

    with open(demo.db + ".secret") as f:
        key = f.read().strip().encode()
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    claims = {
        "token_type": "access",
        "exp": int(time.time()) - 10,
        "iat": int(time.time()) - 310,
        "jti": "0" * 32,
        "user_id": "1",
    }
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(key, header + b"." + payload, hashlib.sha256).digest()).rstrip(b"=")
    token = b".".join((header, payload, signature)).decode()
    response = Client(demo.base).get("/api/me/", headers=bearer(token))
    assert response.status == 401 and response.json()["code"] == "token_expired"


# ---- the printed curl examples, run as printed ------------------------------------------------------


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("bash")), reason="needs curl and bash")
def test_printed_curl_examples_work(tmp_path):
    server = Demo(str(tmp_path / "curl.sqlite3"))
    try:
        examples = server.text.split("Try it with curl", 1)[1].split("\n", 1)[1]
        commands = [line for line in examples.splitlines() if line and not line.startswith("#")]
        # the inspect examples name this environment's console script, as printed
        from sesstok.__main__ import command_name

        assert command_name() != "python -m sesstok"  # this venv has the console script
        assert f'{command_name()} inspect "$ACCESS"' in commands
        script = "set -e\n" + "\n".join(commands)
        script += '\necho\necho "TOKEN=$TOKEN"\n'
        result = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
            env={**os.environ, "PYTHONPATH": ROOT},
        )
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert '"username": "alice"' in out  # registered
        assert '"auth": "token"' in out and '"auth": "jwt"' in out and '"auth": "session"' in out
        assert '"revoked": ["token"]' in out and "Logged out everywhere." in out
        assert "302 " in out  # the browser login redirected
        assert "Verification:   not checked" in out  # inspect ran on the access token and the cookie
        assert re.search(r"TOKEN=sst_[A-Za-z0-9_-]{43}", out)
    finally:
        server.stop()


# ---- the inspect command on the demo's own cookie ----------------------------------------------------


def test_inspect_the_demo_session_cookie(demo, registered):
    browser = Client(demo.base)
    browser.post("/login/", form={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf()})
    cookie = browser.cookie("sessionid")
    result = subprocess.run(
        [sys.executable, "-m", "sesstok", "inspect", "-", "--key-file", demo.db + ".secret"],
        input=cookie,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert result.returncode == 0, result.stderr
    assert "signed-cookie session" in result.stdout and '"_auth_user_id": "' in result.stdout
    assert "Verification:   OK" in result.stdout


# ---- two demo processes sharing Redis and a database -------------------------------------------------------


@pytest.mark.redis
def test_two_processes_sharing_redis(redis_url, tmp_path):
    db = str(tmp_path / "shared.sqlite3")
    a = Demo(db, "--redis", redis_url)
    b = Demo(db, "--redis", redis_url)
    try:
        assert "Stores: Redis" in a.text
        api_a, api_b = Client(a.base), Client(b.base)
        assert api_a.post("/register/", body={"username": "erin", "password": PASSWORD}).status == 201
        body = login(api_a, "erin").json()
        for _ in range(3):  # A now serves erin from its in-process tier
            assert api_a.get("/api/me/", headers=bearer(body["token"], "Token")).status == 200
            assert api_a.get("/api/me/", headers=bearer(body["access"])).status == 200
        browser = Client(a.base)
        browser.post("/login/", form={"username": "erin", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf()})
        assert browser.get("/api/me/").status == 200
        # log out everywhere through B: A refuses everything on its next request
        assert api_b.post("/api/logout-all/", headers=bearer(body["access"])).status == 200
        assert api_a.get("/api/me/", headers=bearer(body["token"], "Token")).status == 401
        assert api_a.get("/api/me/", headers=bearer(body["access"])).status == 401
        assert browser.get("/api/me/").status == 401
        # a token used at A, revoked through B
        body = login(api_a, "erin").json()
        assert api_a.get("/api/me/", headers=bearer(body["token"], "Token")).status == 200
        assert api_b.post("/api/logout/", headers=bearer(body["token"], "Token")).status == 200
        assert api_a.get("/api/me/", headers=bearer(body["token"], "Token")).status == 401
        # failed logins are counted across both processes (shared counters)
        for server in (api_a, api_b, api_a, api_b, api_a):
            assert login(server, "erin", "wrong-password").status == 401
        assert login(api_b, "erin").status == 429
    finally:
        for server in (a, b):
            status, _, err = server.stop()
            assert status == 0, err
        delete_demo_keys(redis_url, db)
