"""Failed-login throttling (sesstok.throttle): addresses, counters, the
per-user delay curve, reservations before the password check, the per-user
slot, the in-process fallback when the cache is down."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from sesstok.throttle import LoginThrottle, _address_keys, client_address

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
        # with ports, as some proxies write them
        (1, "10.0.0.1", "203.0.113.5:41234", "203.0.113.5"),
        (1, "10.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
        (1, "10.0.0.1", "[2001:DB8::1]", "2001:db8::1"),
        (2, "10.0.0.1", "198.51.100.7:1, 203.0.113.5:2", "198.51.100.7"),
        (1, "10.0.0.1", "[garbage]:1", "10.0.0.1"),
        (1, "10.0.0.1", "1.2.3.4:5:6", "10.0.0.1"),
    ],
)
def test_client_address(count, remote, forwarded, expected):
    with override_settings(SESSTOK={"TRUSTED_PROXY_COUNT": count}):
        assert client_address(request(remote, forwarded)) == expected


@pytest.mark.parametrize(
    "address, keys",
    [
        ("192.0.2.1", ("192.0.2.1", None)),
        # an IPv6 address counts as itself, and towards its /64's hard limit
        ("2001:db8:1:2:3:4:5:6", ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")),
        ("2001:db8:1:2:ffff::1", ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64")),
        ("::ffff:192.0.2.1", ("192.0.2.1", None)),
        ("", ("unknown", None)),
        ("garbage", ("garbage", None)),
    ],
)
def test_address_keys(address, keys):
    assert _address_keys(address) == keys


def test_delay_curve():
    with override_settings(SESSTOK={"LOGIN_USER_DELAY_AFTER": 3, "LOGIN_USER_DELAY_MAX": 2.0}):
        delays = [LoginThrottle.delay_for(n) for n in range(12)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3:8] == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert delays[8:] == [2.0] * 4
    assert LoginThrottle.delay_for(10**9) <= 2.0


@pytest.fixture
def throttle(db):
    with override_settings(
        CACHES={"default": {"BACKEND": LOCMEM, "LOCATION": "throttle"}},
        SESSTOK={"LOGIN_FAILURE_LIMIT": 3, "LOGIN_FAILURE_WINDOW": 60},
    ):
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


def test_a_neighbour_on_the_same_64_does_not_lock_the_victim_out(throttle):
    for _ in range(3):
        throttle.failed(throttle.check("alice", "2001:db8:1:2::bad"))
    assert throttle.check("alice", "2001:db8:1:2::bad").blocked
    verdict = throttle.check("alice", "2001:db8:1:2::1")  # the owner's own address
    assert not verdict.blocked
    throttle.succeeded(verdict)


def test_hard_limit_per_64(throttle):
    # LOGIN_FAILURE_LIMIT 3 x LOGIN_PREFIX_LIMIT_FACTOR 4: 12 failures per /64, however many addresses
    for i in range(12):
        verdict = throttle.check("alice", f"2001:db8:1:2::{i + 1:x}")
        assert not verdict.blocked, i
        throttle.failed(verdict)
    assert throttle.check("alice", "2001:db8:1:2::ff").blocked
    assert not throttle.check("alice", "2001:db8:1:3::1").blocked  # another /64
    assert not throttle.check("bob", "2001:db8:1:2::ff").blocked  # another user


def test_lone_surrogate_username(throttle):
    verdict = throttle.check("\ud800", "192.0.2.1")
    assert not verdict.blocked
    throttle.failed(verdict)


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
    # the per-user delay stays off: past it, overlapping attempts find the
    # user's one password-check slot taken and are refused uncounted, which
    # made this count depend on how the threads were scheduled
    settings = {"LOGIN_FAILURE_LIMIT": 1000, "LOGIN_FAILURE_WINDOW": 60, "LOGIN_USER_DELAY_AFTER": 10_000}
    with override_settings(SESSTOK=settings):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: throttle.failed(throttle.check("alice", "192.0.2.1")), range(200)))
        assert caches["default"].get(throttle._keys("alice", "192.0.2.1")[0]) == 200


class Hasher:
    """Stands in for authenticate(): counts password checks, the most running at
    once, and holds each one for a while so that parallel requests overlap."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = self.running = self.most = 0

    def check(self):
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1


def guess(throttle, hasher, address):
    """One wrong-password login as sesstok.views.check_login runs it."""
    with throttle.attempt("alice", address) as verdict:
        if verdict.blocked:
            return 429
        hasher.check()
        return 401


def close_thread_caches():
    """Each thread has its own cache objects (and Redis connections): close them."""
    for cache in caches.all(initialized_only=True):
        for pool in getattr(cache.__dict__.get("_cache"), "_pools", {}).values():
            pool.disconnect()


def race(throttle, addresses):
    hasher = Hasher()
    barrier = threading.Barrier(len(addresses))

    def one(address):
        barrier.wait()
        try:
            return guess(throttle, hasher, address)
        finally:
            close_thread_caches()

    with ThreadPoolExecutor(len(addresses)) as pool:
        answers = list(pool.map(one, addresses))
    return hasher, answers


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def either_throttle(request, db):
    """The throttle on LocMem, then on a real Redis."""
    if request.param == "locmem":
        yield request.getfixturevalue("throttle")
        return
    request.getfixturevalue("redis_settings")
    with override_settings(
        SESSTOK={"LOGIN_THROTTLE_CACHE": "revocation", "LOGIN_FAILURE_LIMIT": 3, "LOGIN_FAILURE_WINDOW": 60}
    ):
        yield LoginThrottle()


def test_parallel_guesses_cannot_pass_the_limit(either_throttle):
    """40 simultaneous wrong passwords from one address: each is counted before
    its password check, so at most LOGIN_FAILURE_LIMIT (3) are checked."""
    hasher, answers = race(either_throttle, ["192.0.2.1"] * 40)
    assert hasher.calls <= 3 and answers.count(401) == hasher.calls and answers.count(429) == 40 - hasher.calls


def test_one_password_check_at_a_time_past_the_delay_threshold(either_throttle):
    """From 40 addresses (no pair limit applies): once the user is past
    LOGIN_USER_DELAY_AFTER, parallel attempts do not run in parallel."""
    throttle = either_throttle
    alias = "revocation" if "revocation" in caches else "default"
    with override_settings(
        SESSTOK={"LOGIN_THROTTLE_CACHE": alias, "LOGIN_USER_DELAY_AFTER": 2, "LOGIN_USER_DELAY_MAX": 0}
    ):
        hasher, answers = race(throttle, [f"192.0.2.{i}" for i in range(1, 41)])
        assert hasher.most <= 3  # the 2 under the threshold, then one at a time
        assert answers.count(401) == hasher.calls and answers.count(429) == 40 - hasher.calls
        # once the slot is free, the next attempt runs
        verdict = throttle.check("alice", "198.51.100.1")
        assert not verdict.blocked
        throttle.succeeded(verdict)
        assert not throttle.check("alice", "198.51.100.1").blocked


def test_a_success_takes_its_reservation_back(throttle):
    with override_settings(SESSTOK={"LOGIN_FAILURE_LIMIT": 3, "LOGIN_USER_DELAY_AFTER": 1}):
        for _ in range(5):
            verdict = throttle.check("alice", "192.0.2.1")
            assert not verdict.blocked and verdict.delay == 0
            throttle.succeeded(verdict)


def test_an_exception_in_the_password_check_frees_the_slot(throttle):
    with override_settings(SESSTOK={"LOGIN_USER_DELAY_AFTER": 0, "LOGIN_USER_DELAY_MAX": 0}):
        with pytest.raises(ZeroDivisionError):
            with throttle.attempt("alice", "192.0.2.1"):
                1 / 0
        with throttle.attempt("alice", "192.0.2.2") as verdict:
            assert not verdict.blocked


DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}


def test_cache_down_counts_in_process(db, caplog):
    """The one documented exception to failing closed: with the throttle's
    store down, logins go on, limited by this process's own counters."""
    from sesstok import throttle as module

    module._fallback.cache.clear()
    with override_settings(CACHES=DOWN, SESSTOK={"LOGIN_FAILURE_LIMIT": 3}):
        throttle = LoginThrottle()
        for _ in range(3):
            verdict = throttle.check("alice", "192.0.2.1")
            assert not verdict.blocked
            throttle.failed(verdict)
        assert throttle.check("alice", "192.0.2.1").blocked
        verdict = throttle.check("alice", "192.0.2.9")
        throttle.succeeded(verdict)
        assert not verdict.blocked
    module._fallback.cache.clear()
    assert "counting in this process only" in caplog.text


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
