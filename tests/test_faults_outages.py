"""Outages against real servers (issue 11): the test project under
gunicorn with its revocation store (a redis-server of its own) killed by
PID, full (maxmemory reached under noeviction), and restarted; and with its
database unreachable. What must hold: a check that cannot run is a 503 with
a JSON body on API paths, never a pass and never a 500; the login throttle
alone goes on in-process. The cases still answering 500 from inside the
modules issue 10 restructures are strict xfails."""

import json

import pytest

from _servers import Project, RedisServer, free_port

pytestmark = [pytest.mark.slow, pytest.mark.redis]

PENDING = "fixed after the auth-core pipeline lands (issue 11)"

SETUP = """
from django.contrib.auth.models import User
from django.test import Client
from sesstok import refresh_tokens, tokens
alice = User.objects.create_user("alice", password="pw")
_, opaque = tokens.create_token(alice, "cli")
pair = refresh_tokens.issue_pair(alice)
client = Client()
client.force_login(alice)
print(json.dumps({"opaque": opaque, "access": pair["access"], "refresh": pair["refresh"],
                  "session": client.cookies["sessionid"].value}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    redis = RedisServer().start()
    project = Project(
        tmp_path_factory.mktemp("outage"),
        redis=redis.url,
        sesstok={
            "REVOCATION_CACHE": "revocation",
            "JWT_DENYLIST": True,
            "SESSION_DENYLIST": True,
            "LOGIN_THROTTLE_CACHE": "revocation",
            "LOGIN_FAILURE_LIMIT": 3,
        },
    )
    project.migrate()
    project.creds = project.run(SETUP)
    project.start(workers=1)  # one process: the in-process throttle fallback is one counter
    project.redis = redis
    yield project
    project.stop()
    redis.stop()


def call(site, method, path, credential=None, body=None):
    headers = {}
    if credential == "session":
        headers["Cookie"] = f"sessionid={site.creds['session']}"
    elif credential == "opaque":
        headers["Authorization"] = f"Token {site.creds['opaque']}"
    elif credential == "access":
        headers["Authorization"] = f"Bearer {site.creds['access']}"
    status, headers, raw = site.request(method, path, json_body=body, headers=headers)
    data = json.loads(raw) if headers.get("content-type", "").startswith("application/json") else None
    return status, data, headers


@pytest.fixture
def redis_down(site):
    site.redis.kill()
    yield site
    site.redis.start()


def unavailable(answer):
    status, data, headers = answer
    return status == 503 and data is not None and data.get("code") == "revocation_unavailable"


# ---- the store down: what holds today ------------------------------------------------------------


def test_store_down_credentials_that_need_it_are_refused(redis_down):
    site = redis_down
    assert unavailable(call(site, "GET", "/api/me/", "access"))
    assert unavailable(call(site, "GET", "/api/drf/whoami/", "access"))  # the middleware answers first
    assert unavailable(call(site, "GET", "/api/me/", "session"))  # (Retry-After: pending, below)
    # opaque tokens live in the database: no store needed
    assert call(site, "GET", "/api/me/", "opaque")[0] == 200


def test_store_down_failed_logins_are_throttled_in_process(redis_down):
    site = redis_down
    answers = [call(site, "POST", "/api/login/", body={"username": "mallory", "password": "x"})[0] for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    assert "counting in this process only" in site.output()


def test_store_back_everything_works_again(site):
    site.redis.restart()
    assert call(site, "GET", "/api/me/", "access")[0] == 200
    assert call(site, "GET", "/api/me/", "session")[0] == 200


@pytest.mark.parametrize("path", ["/api/me/", "/api/drf/whoami/"])
def test_store_full_checks_still_run(site, path):
    """noeviction at maxmemory: writes are refused, reads (the checks) run."""
    client = site.redis.client()
    client.config_set("maxmemory", 1)
    try:
        assert call(site, "GET", path, "access")[0] == 200
    finally:
        client.config_set("maxmemory", 0)


def test_store_full_failed_logins_are_throttled_in_process(site):
    client = site.redis.client()
    client.config_set("maxmemory", 1)
    try:
        answers = [call(site, "POST", "/api/login/", body={"username": "eve", "password": "x"})[0] for _ in range(4)]
    finally:
        client.config_set("maxmemory", 0)
    assert answers == [401, 401, 401, 429]


# ---- the store down or full: pending the pipeline -----------------------------------------------


@pytest.mark.parametrize(
    "method, path, credential, body",
    [
        ("GET", "/api/me/", "session", None),  # the session engine's check: the middleware answers 503
        ("POST", "/api/login/", None, {"username": "alice", "password": "pw"}),  # issue_pair reads the epoch
        ("POST", "/api/token/refresh/", None, "refresh"),
        ("POST", "/api/logout/", "access", None),  # deny
        ("POST", "/api/logout-all/", "opaque", None),  # bump_epoch
    ],
    ids=["me-session", "login", "refresh", "logout", "logout-all"],
)
def test_store_down_is_a_json_503(redis_down, method, path, credential, body):
    site = redis_down
    if body == "refresh":
        body = {"refresh": site.creds["refresh"]}
    status, data, headers = call(site, method, path, credential, body)
    assert unavailable((status, data, headers)) and "retry-after" in headers, (status, data)


def test_store_down_failed_login_commits_no_token(redis_down):
    """The login's token, its pair and last_login are one transaction: the
    pair's epoch read failing leaves no token counting toward the cap."""
    site = redis_down
    count = "from sesstok.models import AuthToken\nprint(json.dumps(AuthToken.objects.count()))"
    before = site.run(count)
    status = call(site, "POST", "/api/login/", body={"username": "alice", "password": "pw"})[0]
    assert (status, site.run(count)) == (503, before)


def test_store_down_html_me_is_a_503_page(redis_down):
    status, _data, _headers = call(redis_down, "GET", "/me/", "session")
    assert status == 503


def test_store_full_logout_is_a_json_503(site):
    client = site.redis.client()
    client.config_set("maxmemory", 1)
    try:
        status, data, headers = call(site, "POST", "/api/logout/", "access")
    finally:
        client.config_set("maxmemory", 0)
    assert status == 503 and data is not None and data.get("code") == "revocation_unavailable", (status, data)


# ---- the database down ----------------------------------------------------------------------------


def test_database_down_is_a_json_503(tmp_path):
    project = Project(tmp_path, postgres=f"postgresql://nobody:x@127.0.0.1:{free_port()}/none")
    project.start()
    try:
        status, headers, raw = project.request("POST", "/api/login/", json_body={"username": "a", "password": "b"})
    finally:
        project.stop()
    assert status == 503 and json.loads(raw)["code"] == "database_unavailable"


# ---- a password change while the store is down ---------------------------------------------------


@pytest.mark.xfail(strict=True, reason=PENDING)
def test_password_change_with_the_store_down_is_all_or_nothing(tmp_path):
    """The password and the revocation of every credential it implies are one
    unit: either the change failed (the old password still works) or, once
    the store is back, the old API token is refused. (With the user cache on,
    today the password is saved and the token deletion rolled back.)"""
    redis = RedisServer().start()
    project = Project(
        tmp_path,
        redis=redis.url,
        sesstok={
            "REVOCATION_CACHE": "revocation",
            "JWT_DENYLIST": True,
            "SESSION_DENYLIST": True,
            "USER_CACHE": "revocation",
        },
    )
    project.migrate()
    creds = project.run(SETUP)
    project.start(workers=1)
    try:
        redis.kill()
        outcome = project.run("""
            from django.contrib.auth.models import User
            alice = User.objects.get(username="alice")
            alice.set_password("new-password")
            try:
                alice.save()
            except Exception as e:
                print(json.dumps(type(e).__name__))
        """)
        redis.start()
        site = project
        site.creds = creds
        new_password_works = call(site, "POST", "/api/login/", body={"username": "alice", "password": "new-password"})
        old_token = call(site, "GET", "/api/me/", "opaque")[0]
    finally:
        project.stop()
        redis.stop()
    assert new_password_works[0] != 200 or old_token == 401, (new_password_works[0], old_token, outcome)
