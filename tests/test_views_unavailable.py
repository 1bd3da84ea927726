"""A store or database failure inside sesstok's views (issue 11): one
translation (sesstok.exceptions.store_failure) into a 503, JSON with a
stable code and Retry-After on API paths, a page on HTML paths; other
errors are not swallowed. Strings the database cannot store are a 400.
(The same against real servers killed by PID: test_faults_outages.py.)"""

import pytest
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError
from django.test import Client
from redis import exceptions as redis_errors

from sesstok import views
from sesstok.exceptions import StoreUnavailable, store_failure
from test_views import PASSWORD, error, settings_for


@pytest.mark.parametrize(
    "exc, code",
    [
        (redis_errors.ConnectionError("refused"), "revocation_unavailable"),
        (redis_errors.TimeoutError("slow"), "revocation_unavailable"),
        (redis_errors.OutOfMemoryError("OOM command not allowed"), "revocation_unavailable"),
        (redis_errors.ReadOnlyError("READONLY"), "revocation_unavailable"),
        (OperationalError("server closed the connection"), "database_unavailable"),
        (InterfaceError("connection already closed"), "database_unavailable"),
        (DatabaseError("no connection"), "database_unavailable"),
        (StoreUnavailable("database_unavailable"), "database_unavailable"),
    ],
)
def test_store_failure_maps_outages(exc, code):
    failure = store_failure(exc)
    assert isinstance(failure, StoreUnavailable) and failure.code == code and failure.status == 503


@pytest.mark.parametrize(
    "exc",
    [
        DataError("NUL"),
        IntegrityError("dup"),
        redis_errors.ResponseError("WRONGTYPE"),
        ValueError("x"),
        RecursionError(),
    ],
)
def test_store_failure_leaves_other_errors(exc):
    assert store_failure(exc) is None  # bad input or a bug: not an outage


@pytest.fixture
def site(user):
    with settings_for("plain"):
        yield Client()


def _raise(exc):
    def fail(*args, **kwargs):
        raise exc

    return fail


@pytest.mark.parametrize(
    "exc, code",
    [
        (redis_errors.ConnectionError("refused"), "revocation_unavailable"),
        (OperationalError("gone"), "database_unavailable"),
    ],
)
def test_api_views_answer_json_503(site, monkeypatch, exc, code):
    login = site.post("/api/login/", {"username": "alice", "password": PASSWORD}, content_type="application/json")
    token = login.json()["token"]
    monkeypatch.setattr(views, "_logout_everywhere", _raise(exc))
    monkeypatch.setattr(views.revocation, "logout", _raise(exc))
    for path in ("/api/logout-all/", "/api/logout/"):
        response = site.post(path, HTTP_AUTHORIZATION=f"Token {token}")
        assert error(response, 503) == code and response["Retry-After"] == str(StoreUnavailable.retry_after)
    monkeypatch.setattr(views, "check_login", _raise(exc))
    response = site.post("/api/login/", {"username": "alice", "password": PASSWORD}, content_type="application/json")
    assert error(response, 503) == code


def test_html_views_answer_a_503_page(site, monkeypatch):
    site.login(username="alice", password=PASSWORD)
    monkeypatch.setattr(views.revocation, "logout", _raise(redis_errors.ConnectionError("refused")))
    response = site.post("/logout/")
    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == str(StoreUnavailable.retry_after)
    monkeypatch.setattr(views, "check_login", _raise(OperationalError("gone")))
    assert site.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 503


def test_other_errors_are_not_swallowed(site, monkeypatch):
    monkeypatch.setattr(views, "check_login", _raise(LookupError("a bug")))
    with pytest.raises(LookupError):
        site.post("/api/login/", {"username": "alice", "password": PASSWORD}, content_type="application/json")


@pytest.mark.parametrize("username", ["\ud800", "a\x00b"])
def test_unstorable_usernames_are_a_400(site, username):
    body = {"username": username, "password": "long-enough-pw-1"}
    assert error(site.post("/api/login/", body, content_type="application/json"), 400) == "invalid_request"
    assert error(site.post("/register/", body, content_type="application/json"), 400) == "invalid_request"
    if "\x00" in username:  # a form can carry a NUL (%00), not a lone surrogate
        assert site.post("/login/", {"username": username, "password": "x"}).status_code == 400
