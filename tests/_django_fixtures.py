"""Fixtures for the Django parts: a test database, clients, users, a real
redis-server, and the JWT stand-in.

The project configures Django itself (tests/conftest.py) and does not use
pytest-django; these fixtures do the little it would:

- ``db``: the test database (migrated once per session), each test inside a
  transaction that is rolled back. Async code run through ``async_to_sync``
  (Django's AsyncClient included) executes its ORM calls on this thread, so
  it sees the same transaction.
- ``redis_url``: ``REDIS_URL`` if set (``.ci/run`` starts one), else a
  ``redis-server`` started here on a free port with no persistence and
  ``maxmemory-policy noeviction``; skipped only when the binary is missing
  and ``CI`` is not set (under CI a missing Redis fails).
- ``redis_revocation``: settings with a Redis ``revocation`` alias (the
  database flushed first) and ``SESSTOK["REVOCATION_CACHE"]`` pointing at it.
"""

import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test import override_settings

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


@pytest.fixture(scope="session")
def django_db_setup():
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    yield name
    connection.creation.destroy_test_db(name, verbosity=0)


@pytest.fixture
def db(django_db_setup):
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        yield
    finally:
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
        for alias in caches:
            caches[alias].clear()


@pytest.fixture
def client(db):
    from django.test import Client

    return Client()


@pytest.fixture
def async_client(db):
    from django.test import AsyncClient

    return AsyncClient()


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    counter = iter(range(10**6))

    def make(username=None, password="secret-password", **extra):
        username = username or f"user{next(counter)}"
        return get_user_model().objects.create_user(username, password=password, **extra)

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


# ---- Redis -----------------------------------------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url, timeout=10.0):
    import redis

    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            return
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL")
    if url:
        _wait_for(url)
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but redis-server is missing and REDIS_URL is unset")
        pytest.skip("redis-server is not installed (apt-get install redis-server) and REDIS_URL is unset")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory-policy",
            "noeviction",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


# Keys of this test run carry its own prefix, and each test deletes its own
# keys afterwards: a REDIS_URL shared with anything else is never flushed.
RUN_ID = uuid.uuid4().hex[:8]
REVOCATION_PREFIX = f"t{RUN_ID}"
SESSION_PREFIX = f"s{RUN_ID}"


def redis_caches(url, run_id=RUN_ID, **more):
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "revocation": {"BACKEND": REDIS_BACKEND, "LOCATION": url, "KEY_PREFIX": f"t{run_id}"},
        "sessions": {"BACKEND": REDIS_BACKEND, "LOCATION": url, "KEY_PREFIX": f"s{run_id}"},
        **more,
    }


def _delete_run_keys(url):
    import redis

    conn = redis.Redis.from_url(url)
    for prefix in (REVOCATION_PREFIX, SESSION_PREFIX):
        keys = list(conn.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            conn.delete(*keys)


@pytest.fixture
def redis_settings(redis_url, db):
    """CACHES with Redis aliases "revocation" and "sessions" (this run's key
    prefixes, emptied before and after)."""
    _delete_run_keys(redis_url)
    try:
        with override_settings(CACHES=redis_caches(redis_url)):
            yield redis_url
    finally:
        _delete_run_keys(redis_url)


@pytest.fixture
def redis_revocation(redis_settings):
    """Redis as the revocation store, both denylists on."""
    with override_settings(SESSTOK={"REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True, "JWT_DENYLIST": True}):
        yield redis_settings


@pytest.fixture
def locmem_revocation(db):
    """A LocMem revocation store (fine for a single process; DEBUG-only in
    production, which the system checks enforce)."""
    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "revocation": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rev"},
        },
        SESSTOK={"REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True, "JWT_DENYLIST": True},
    ):
        yield
        caches["revocation"].clear()


# ---- JWT ----------------------------------------------------------------------------


@pytest.fixture
def jwt_api():
    """sesstok.jwt, with sesstok.access_tokens' prepared Encoder/Decoder
    rebuilt before and after the test."""
    from sesstok import access_tokens, jwt

    access_tokens._forget()
    yield jwt
    access_tokens._forget()
