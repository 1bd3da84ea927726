"""Login throttling under real concurrency (issue 11): failures are counted
before the password is checked, across the workers of a real gunicorn, and
DRF's obtain views throttle failed logins the same way, in DRF's shape."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import override_settings
from rest_framework.exceptions import Throttled

from _servers import Project


@pytest.mark.slow
def test_parallel_guesses_across_workers(tmp_path, redis_url):
    """40 simultaneous wrong passwords against 3 gunicorn workers of 8
    threads sharing a Redis throttle store, each password check taking as
    long as a real hasher: at most LOGIN_FAILURE_LIMIT (5) password checks."""
    log = tmp_path / "hashes"
    log.touch()
    project = Project(tmp_path, redis=redis_url, sesstok={"LOGIN_THROTTLE_CACHE": "revocation"})
    project.env["FAULTS_HASH_LOG"] = str(log)
    project.migrate()
    project.run("""
        from django.contrib.auth.models import User
        User.objects.create_user("victim", password="right")
    """)
    log.write_bytes(b"")
    project.start(workers=3, threads=8)
    try:

        def guess(i):
            status, headers, body = project.request(
                "POST", "/api/login/", json_body={"username": "victim", "password": f"wrong{i}"}
            )
            return status, json.loads(body)["code"]

        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(guess, range(40)))
        checks = len(log.read_bytes())
        assert checks <= 5, (checks, answers)
        assert answers.count((401, "invalid_credentials")) == checks
        assert answers.count((429, "throttled")) == 40 - checks
    finally:
        project.stop()
        import redis

        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=project.env["FAULTS_REDIS_PREFIX"] + ":*"))
        if keys:
            client.delete(*keys)
        client.close()


OBTAIN = [
    ("/api/token/", "application/json"),
    ("/api/token/sliding/", "application/json"),
    ("/api/auth-token/", "application/json"),
    ("/api/auth-token/", None),  # a form post
]


def post(client, path, content_type, data):
    if content_type is None:
        return client.post(path, data)
    return client.post(path, json.dumps(data), content_type=content_type)


@pytest.fixture
def drf_urls(db):
    with override_settings(ROOT_URLCONF="drf_project.urls", SESSTOK={"LOGIN_FAILURE_LIMIT": 3}):
        yield


@pytest.mark.parametrize("path, content_type", OBTAIN)
def test_obtain_views_throttle_failed_logins(drf_urls, client, make_user, path, content_type):
    make_user("alice", password="right")
    for _ in range(3):
        response = post(client, path, content_type, {"username": "alice", "password": "wrong"})
        assert response.status_code in (400, 401)
    response = post(client, path, content_type, {"username": "alice", "password": "right"})
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 900
    # DRF's own Throttled, byte for byte
    assert response.json() == {"detail": str(Throttled(wait=wait).detail)}
    # another address is not affected
    assert (
        client.post(
            path,
            json.dumps({"username": "alice", "password": "right"}),
            content_type="application/json",
            REMOTE_ADDR="192.0.2.77",
        ).status_code
        == 200
    )


@pytest.mark.parametrize("path, content_type", OBTAIN)
def test_obtain_views_success_clears(drf_urls, client, make_user, path, content_type):
    make_user("alice", password="right")
    for _ in range(2):
        assert post(client, path, content_type, {"username": "alice", "password": "wrong"}).status_code in (400, 401)
    assert post(client, path, content_type, {"username": "alice", "password": "right"}).status_code == 200
    for _ in range(2):
        assert post(client, path, content_type, {"username": "alice", "password": "wrong"}).status_code in (400, 401)
    assert post(client, path, content_type, {"username": "alice", "password": "right"}).status_code == 200


def test_obtain_views_throttle_off(drf_urls, client, make_user):
    make_user("alice", password="right")
    with override_settings(SESSTOK={"LOGIN_FAILURE_LIMIT": 3, "DRF_LOGIN_THROTTLE": False}):
        for path, content_type in OBTAIN:
            for _ in range(5):
                assert post(client, path, content_type, {"username": "alice", "password": "wrong"}).status_code in (
                    400,
                    401,
                )


def test_project_throttle_classes_still_apply(drf_urls, client, make_user, monkeypatch):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    from sesstok.contrib.rest_framework import views

    # the SimpleJWT views take the project's DEFAULT_THROTTLE_CLASSES (DRF reads it at import) ...
    assert views.TokenObtainPairView.throttle_classes == api_settings.DEFAULT_THROTTLE_CLASSES
    assert views.TokenObtainSlidingView.throttle_classes == api_settings.DEFAULT_THROTTLE_CLASSES

    class TwoPerMinute(AnonRateThrottle):
        rate = "2/min"

    # ... and run them next to the login throttle
    monkeypatch.setattr(views.TokenObtainPairView, "throttle_classes", [TwoPerMinute])
    make_user("alice", password="right")
    body = json.dumps({"username": "alice", "password": "right"})
    for _ in range(2):
        assert client.post("/api/token/", body, content_type="application/json").status_code == 200
    response = client.post("/api/token/", body, content_type="application/json")
    assert response.status_code == 429 and "Retry-After" in response
