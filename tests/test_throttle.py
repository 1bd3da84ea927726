"""Failed-login throttling (sesstok.throttle): addresses, counters, the
per-user delay curve, fail-open when the cache is down."""

import time

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from sesstok.throttle import LoginThrottle, _address_key, client_address

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def request(remote="192.0.2.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/api/login/", **extra)


@pytest.mark.parametrize(
    "count, remote, forwarded, expected",
    [
        (0, "192.0.2.1", "203.0.113.5", "192.0.2.1"),  # no trusted proxy: the header is ignored
        (1, "10.0.0.1", "203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.1", "198.51.100.7, 203.0.113.5", "203.0.113.5"),  # the client's own claim is ignored
        (2, "10.0.0.1", "198.51.100.7, 203.0.113.5", "198.51.100.7"),
        (2, "10.0.0.1", "203.0.113.5", "203.0.113.5"),  # fewer hops than proxies: the leftmost
        (1, "10.0.0.1", "", "10.0.0.1"),
        (1, "10.0.0.1", "not-an-address", "10.0.0.1"),
        (1, "10.0.0.1", " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_address(count, remote, forwarded, expected):
    with override_settings(SESSTOK={"TRUSTED_PROXY_COUNT": count}):
        assert client_address(request(remote, forwarded)) == expected


@pytest.mark.parametrize(
    "address, key",
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same /64: one host
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("", "unknown"),
        ("garbage", "garbage"),
    ],
)
def test_address_key(address, key):
    assert _address_key(address) == key


def test_delay_curve():
    with override_settings(SESSTOK={"LOGIN_USER_DELAY_AFTER": 3, "LOGIN_USER_DELAY_MAX": 2.0}):
        delays = [LoginThrottle.delay_for(n) for n in range(12)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3:8] == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert delays[8:] == [2.0] * 4
    assert LoginThrottle.delay_for(10**9) <= 2.0


@pytest.fixture
def throttle(db):
    with override_settings(CACHES={"default": {"BACKEND": LOCMEM, "LOCATION": "throttle"}},
                           SESSTOK={"LOGIN_FAILURE_LIMIT": 3, "LOGIN_FAILURE_WINDOW": 60}):
        caches["default"].clear()
        yield LoginThrottle()
        caches["default"].clear()


def test_counts(throttle):
    for _ in range(3):
        verdict = throttle.check("alice", "192.0.2.1")
        assert not verdict.blocked
        throttle.failed(verdict)
    verdict = throttle.check("alice", "192.0.2.1")
    assert verdict.blocked and 1 <= verdict.retry_after <= 60
    assert not throttle.check("alice", "192.0.2.2").blocked
    assert not throttle.check("bob", "192.0.2.1").blocked
    # usernames are compared case-folded and normalised
    assert throttle.check("ALICE", "192.0.2.1").blocked
    assert throttle.check("ａｌｉｃｅ", "192.0.2.1").blocked  # NFKC: fullwidth letters


def test_window(throttle, monkeypatch):
    for _ in range(3):
        throttle.failed(throttle.check("alice", "192.0.2.1"))
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 30)
    assert 29 <= throttle.check("alice", "192.0.2.1").retry_after <= 31


def test_success_clears_the_pair_only(throttle):
    with override_settings(SESSTOK={"LOGIN_FAILURE_LIMIT": 3, "LOGIN_USER_DELAY_AFTER": 2}):
        for _ in range(2):
            throttle.failed(throttle.check("alice", "192.0.2.1"))
        verdict = throttle.check("alice", "192.0.2.1")
        assert verdict.delay == 0.1
        throttle.succeeded(verdict)
        verdict = throttle.check("alice", "192.0.2.1")
        assert not verdict.blocked and verdict.delay == 0.1  # the per-user count stays


def test_no_keys_hold_plain_usernames_or_addresses(throttle):
    throttle.failed(throttle.check("alice", "192.0.2.1"))
    keys = list(caches["default"]._cache)
    assert keys and not any("alice" in k or "192.0.2.1" in k for k in keys)


def test_concurrent_failures_are_all_counted(throttle):
    from concurrent.futures import ThreadPoolExecutor

    with override_settings(SESSTOK={"LOGIN_FAILURE_LIMIT": 1000, "LOGIN_FAILURE_WINDOW": 60}):
        verdict = throttle.check("alice", "192.0.2.1")
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: throttle.failed(verdict), range(200)))
        assert caches["default"].get(verdict.pair_key) == 200


def test_cache_down_fails_open(db, caplog):
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                               "LOCATION": "redis://127.0.0.1:1/0"}}):
        throttle = LoginThrottle()
        verdict = throttle.check("alice", "192.0.2.1")
        assert not verdict.blocked and verdict.delay == 0
        throttle.failed(verdict)
        throttle.succeeded(verdict)
    assert "not throttling" in caplog.text


@pytest.mark.redis
def test_counts_on_redis(redis_settings):
    with override_settings(SESSTOK={"LOGIN_THROTTLE_CACHE": "revocation", "LOGIN_FAILURE_LIMIT": 2}):
        throttle = LoginThrottle()
        for _ in range(2):
            throttle.failed(throttle.check("alice", "192.0.2.1"))
        verdict = throttle.check("alice", "192.0.2.1")
        assert verdict.blocked and 890 <= verdict.retry_after <= 900
        import redis

        from _django_fixtures import REVOCATION_PREFIX

        client = redis.Redis.from_url(redis_settings)
        ttls = [client.ttl(k) for k in client.scan_iter(match=f"{REVOCATION_PREFIX}:*lf:*")]
        assert ttls and all(0 < t <= 900 for t in ttls)  # the counters expire by themselves
