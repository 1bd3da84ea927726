"""Revocation stores that fail (issue 11), against real redis-server
processes on 127.0.0.1: a store restarted without persistence (or flushed)
must not un-revoke anything, and revocation reads go to the primary."""

import io
import time

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings

from _servers import RedisServer
from sesstok import cache as sesstok_cache, revocation
from sesstok.models import DeniedKey

pytestmark = pytest.mark.redis

SESSTOK = {"REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True, "JWT_DENYLIST": True}


def caches_for(location, backend="sesstok.cache.RedisCache", **extra):
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "revocation": {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": "faults", **extra},
    }


def _wait_redis(server):
    # the first command after a restart may meet the dead connection: redis-py reconnects
    deadline = time.monotonic() + 10
    while True:
        try:
            return caches["revocation"].get("probe")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def store(db, redis_server):
    with override_settings(CACHES=caches_for(redis_server.url), SESSTOK=SESSTOK):
        yield redis_server


def test_a_restart_without_persistence_does_not_unrevoke(store):
    key = revocation.jti_key("a" * 32)
    assert not revocation.check([key])
    revocation.deny(key, 300)
    assert revocation.check([key])
    store.restart()  # killed by PID: no save, nothing on disk
    assert store.client().dbsize() == 0
    _wait_redis(store)
    assert revocation.check([key])  # rebuilt from the database before answering
    assert not revocation.check([revocation.jti_key("b" * 32)])


def test_a_flushdb_does_not_unrevoke(store):
    key = revocation.jti_key("c" * 32)
    revocation.deny(key, 300)
    store.client().flushdb()
    assert revocation.check([key], user_pk=None)


def test_signed_cookie_logout_survives_a_restart(store, client, user):
    from django.test import Client

    with override_settings(SESSION_ENGINE="sesstok.sessions.backends.signed_cookies"):
        client.get("/session/login/?username=alice")
        stolen = client.cookies["sessionid"].value
        assert client.get("/whoami/").json()["user"] == "alice"
        client.get("/session/logout/")
        store.restart()
        _wait_redis(store)
        thief = Client()
        thief.cookies["sessionid"] = stolen
        assert thief.get("/whoami/").json()["user"] is None


def test_expired_entries_are_not_rebuilt_and_are_purged(store):
    revocation.deny(revocation.jti_key("gone"), 1)
    revocation.deny(revocation.jti_key("kept"), 300)
    DeniedKey.objects.filter(key=revocation.jti_key("gone").encode()).update(expires_at="2000-01-01T00:00:00Z")
    store.client().flushdb()
    assert revocation.check([revocation.jti_key("kept")])
    assert store.client().ttl("faults:1:" + revocation.jti_key("gone")) == -2
    call_command("sesstok_denylist", "purge", stdout=io.StringIO())
    assert [bytes(k) for k in DeniedKey.objects.values_list("key", flat=True)] == [revocation.jti_key("kept").encode()]


def test_a_deny_only_extends(store):
    key = revocation.jti_key("d")
    revocation.deny(key, 300)
    first = DeniedKey.objects.get(key=key.encode()).expires_at
    revocation.deny(key, 10)
    assert DeniedKey.objects.get(key=key.encode()).expires_at == first


def test_django_backend_rebuilt_by_the_command(db, redis_server):
    """With Django's own RedisCache nothing detects the reset: the command
    writes the database's entries back."""
    with override_settings(
        CACHES=caches_for(redis_server.url, "django.core.cache.backends.redis.RedisCache"), SESSTOK=SESSTOK
    ):
        key = revocation.jti_key("e")
        revocation.deny(key, 300)
        redis_server.client().flushdb()
        assert not revocation.check([key])  # the documented limit of Django's backend
        call_command("sesstok_denylist", "rebuild", stdout=io.StringIO())
        assert revocation.check([key])


def test_hostile_keys_raise_no_cache_key_warning(store):
    """A 3,000-character or NUL-containing jti is a key Redis takes as it is;
    Django's memcached-portability CacheKeyWarning (an error under -W error)
    must not turn its revocation check into an outage."""
    for jti in ("j" * 3000, "a\x00b"):
        key = revocation.jti_key(jti)
        assert not revocation.check([key])
        revocation.deny(key, 60)
        assert revocation.check([key])
    store.client().flushdb()  # and rebuilt from the database as they were
    assert all(revocation.check([revocation.jti_key(jti)]) for jti in ("j" * 3000, "a\x00b"))


# ---- primary and replica -------------------------------------------------------------------


@pytest.fixture
def primary_replica(db):
    primary = RedisServer("--repl-diskless-sync-delay", "0").start()
    replica = RedisServer("--replicaof", "127.0.0.1", str(primary.port), "--replica-read-only", "no").start()
    try:
        deadline = time.monotonic() + 20
        while replica.client().info("replication").get("master_link_status") != "up":
            assert time.monotonic() < deadline, "the replica did not sync"
            time.sleep(0.05)
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()


def _lagging(primary, replica, key):
    """Deny key through the primary, let it reach the replica, then take it
    off the replica alone: a replica that has not caught up yet."""
    revocation.deny(key, 300)
    full = "faults:1:" + key
    deadline = time.monotonic() + 10
    while not replica.client().exists(full):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    replica.client().delete(full)
    assert primary.client().exists(full) and not replica.client().exists(full)


def test_revocation_reads_go_to_the_primary(primary_replica):
    primary, replica = primary_replica
    with override_settings(CACHES=caches_for([primary.url, replica.url]), SESSTOK=SESSTOK):
        key = revocation.jti_key("f")
        _lagging(primary, replica, key)
        assert all(revocation.check([key]) for _ in range(20))
        assert not sesstok_cache.reads_replicas("revocation")


def test_django_backend_reads_replicas(primary_replica):
    """What sesstok.cache.RedisCache avoids, and why reads_replicas() flags
    Django's backend with several LOCATIONs."""
    primary, replica = primary_replica
    with override_settings(
        CACHES=caches_for([primary.url, replica.url], "django.core.cache.backends.redis.RedisCache"), SESSTOK=SESSTOK
    ):
        key = revocation.jti_key("g")
        _lagging(primary, replica, key)
        assert not revocation.check([key])  # read from the replica: the revocation is not seen
        assert sesstok_cache.reads_replicas("revocation")


@pytest.mark.parametrize(
    "conf, expected",
    [
        ({"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://a"}, False),
        ({"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://a,redis://b"}, True),
        ({"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": ["redis://a", "redis://b"]}, True),
        ({"BACKEND": "sesstok.cache.RedisCache", "LOCATION": ["redis://a", "redis://b"]}, False),
        (
            {
                "BACKEND": "sesstok.cache.RedisCache",
                "LOCATION": ["redis://a", "redis://b"],
                "OPTIONS": {"REPLICA_READS": True},
            },
            True,
        ),
        ({"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a,b"}, False),
    ],
)
def test_reads_replicas(conf, expected):
    with override_settings(CACHES={"default": conf, "x": conf}):
        assert sesstok_cache.reads_replicas("x") is expected
