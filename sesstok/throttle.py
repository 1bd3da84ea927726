"""Failed-login throttling that cannot lock an account out from elsewhere.

Counters of failed logins in a cache (``SESSTOK["LOGIN_THROTTLE_CACHE"]``,
``"default"`` unless set; Redis when there are several workers):

- per (username, client address): after ``LOGIN_FAILURE_LIMIT`` failures
  (5) within ``LOGIN_FAILURE_WINDOW`` seconds (900), further attempts from
  that address for that username get ``429 Too Many Requests`` with
  ``Retry-After``, without the password being checked.
- per (username, IPv6 /64): a hard limit at ``LOGIN_PREFIX_LIMIT_FACTOR``
  (4) times that, since any server easily holds a whole /64.
- per username, from any address: after ``LOGIN_USER_DELAY_AFTER`` failures
  (10) in the window, every attempt for that username is answered late: the
  delay doubles from 0.1 s with each further failure, capped at
  ``LOGIN_USER_DELAY_MAX`` (2 s); and at most one password check for that
  username runs at a time (a parallel attempt gets ``429`` with
  ``Retry-After: 1``), since a delay alone does not bound parallel guesses.

Every attempt is counted as a failure *before* the password is checked (a
reservation: one atomic increment, so N parallel guesses cannot all pass a
limit of 5); a success takes its reservation back and clears its (username,
address) counter.

Counters are keyed by SHA-256 of the case-folded, normalised username
(whether or not such a user exists: unknown users and wrong passwords take
the same path) and of the address. The address is ``REMOTE_ADDR``, unless
``SESSTOK["TRUSTED_PROXY_COUNT"]`` says how many proxies in front of the
site append to ``X-Forwarded-For``: then it is the entry that many places
from the right (the address the outermost trusted proxy saw; entries further
left are whatever the client claimed), with ``ip:port`` and ``[v6]:port``
understood.

If the cache cannot be read or written, logins go on, limited by the same
counters kept in this process (a warning is logged): the cache being down
must not take logins with it, nor open them to unlimited guessing.
"""

import contextlib
import ipaddress
import logging
import math
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from . import _core
from .conf import seconds, sesstok_settings

__all__ = ["client_address", "LoginThrottle", "Verdict", "login_throttle", "guard_login"]

logger = logging.getLogger("sesstok.throttle")

DELAY_BASE = 0.1  # seconds; the first added delay
BUSY_GRACE = 30  # seconds a password check may hold the per-user slot (a dead worker's slot expires)


def _parse_hop(hop):
    """An ``X-Forwarded-For`` entry as an address (``ip``, ``ip:port``,
    ``[v6]`` or ``[v6]:port``), or None."""
    hop = hop.strip()
    if hop.startswith("["):
        hop = hop[1:].partition("]")[0]
    elif hop.count(":") == 1:  # IPv4 with a port (a bare IPv6 has several colons)
        hop = hop.partition(":")[0]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None


def client_address(request):
    """The client's address as the throttle sees it (see the module docstring)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    count = sesstok_settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h for h in forwarded.split(",") if h.strip()]
        if hops:
            # each trusted proxy appended the address it received from: the
            # count-th from the right was added by the outermost one
            candidate = _parse_hop(hops[-count] if len(hops) >= count else hops[0])
            if candidate is not None:
                return candidate
    return remote


def _address_keys(address):
    """(exact address, its IPv6 /64 or None) as counted."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown", None
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped), None
        return str(ip), str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip), None


def _hash(text):
    # surrogatepass: a lone surrogate in a submitted username is still hashed
    return _core.b64url_encode(_core.digest("sha256", text.encode("utf-8", "surrogatepass")))[:32].decode()


def normalize_username(username):
    from django.contrib.auth import get_user_model

    return get_user_model().normalize_username(str(username)).casefold()


class Verdict:
    """What the throttle says about one attempt: ``blocked`` (answer 429
    with ``retry_after`` seconds) or ``delay`` (seconds to wait first).
    Not blocked, it holds a reservation (a counted failure, maybe the
    per-user slot) until ``LoginThrottle.failed`` or ``succeeded``."""

    __slots__ = ("blocked", "retry_after", "delay", "pair_key", "user_key", "keys", "busy_key", "store")

    def __init__(self, blocked=False, retry_after=0, delay=0.0, pair_key=None, user_key=None):
        self.blocked = blocked
        self.retry_after = retry_after
        self.delay = delay
        self.pair_key = pair_key
        self.user_key = user_key
        self.keys = ()  # counters this attempt incremented
        self.busy_key = None  # the per-user slot it holds
        self.store = None


class _Counters:
    """Atomic fixed-window counters and slots on a Django cache. ``incr``
    on LocMem is atomic under its lock; on Redis the counter is one
    MULTI (``SET key 0 EX window NX`` + ``INCR``), so the window's timeout is
    set exactly once and never lost between a create and an increment."""

    def __init__(self, cache):
        self.cache = cache
        self.redis = isinstance(cache, RedisCache)

    def incr(self, key, window):
        if self.redis:
            client = self.cache._cache.get_client(key, write=True)
            name = self.cache.make_and_validate_key(key)
            pipe = client.pipeline(transaction=True)
            pipe.set(name, 0, ex=window, nx=True)
            pipe.incr(name)
            return pipe.execute()[1]
        for _ in range(3):
            self.cache.add(key, 0, timeout=window)
            try:
                return self.cache.incr(key)
            except ValueError:  # expired between add and incr: start a new window
                continue
        return 0

    def decr(self, key):
        if self.redis:
            client = self.cache._cache.get_client(key, write=True)
            # only an existing counter: DECR would create one without a timeout
            client.eval(_DECR_EXISTING, 1, self.cache.make_and_validate_key(key))
            return
        try:
            self.cache.decr(key)
        except ValueError:  # expired meanwhile: nothing to take back
            pass

    def get(self, key):
        return self.cache.get(key)

    def add(self, key, value, timeout):
        return self.cache.add(key, value, timeout=timeout)

    def delete(self, *keys):
        self.cache.delete_many(list(keys))


_DECR_EXISTING = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return 0"

# the counters of this process, used while the configured cache is down
_fallback = _Counters(LocMemCache("sesstok-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}}))


class LoginThrottle:
    """``check`` before the password is tested (it reserves: counts the
    attempt as a failure), then ``failed`` or ``succeeded`` (or use
    :meth:`attempt`). Settings are read on each use (they follow
    ``override_settings``)."""

    def _store(self):
        alias = sesstok_settings.LOGIN_THROTTLE_CACHE
        return None if alias is None else _Counters(caches[alias])

    def _keys(self, username, address):
        """(pair key, user key, /64 key or None)."""
        prefix = sesstok_settings.REVOCATION_KEY_PREFIX
        user = _hash(normalize_username(username))
        exact, network = _address_keys(address)
        pair = f"{prefix}lf:{user}:{_hash(exact)}"
        return pair, f"{prefix}lu:{user}", None if network is None else f"{prefix}lp:{user}:{_hash(network)}"

    @staticmethod
    def delay_for(user_failures):
        after = sesstok_settings.LOGIN_USER_DELAY_AFTER
        if user_failures < after:
            return 0.0
        exponent = min(user_failures - after, 32)
        return min(float(sesstok_settings.LOGIN_USER_DELAY_MAX), DELAY_BASE * 2**exponent)

    def check(self, username, address):
        store = self._store()
        if store is None:
            return Verdict()
        keys = self._keys(username, address)
        try:
            return self._reserve(store, *keys)
        except Exception:
            logger.warning("login throttle: cache unavailable; counting in this process only", exc_info=True)
            return self._reserve(_fallback, *keys)

    def _reserve(self, store, pair_key, user_key, prefix_key):
        limit = sesstok_settings.LOGIN_FAILURE_LIMIT
        window = max(1, math.ceil(seconds(sesstok_settings.LOGIN_FAILURE_WINDOW)))
        verdict = Verdict(pair_key=pair_key, user_key=user_key)
        verdict.store = store
        # the first failure of the window: Retry-After counts from here
        store.add(pair_key + ":t", time.time(), window)
        limits = [(pair_key, limit)]
        if prefix_key is not None:
            limits.append((prefix_key, limit * sesstok_settings.LOGIN_PREFIX_LIMIT_FACTOR))
        taken = []
        for key, most in limits:
            taken.append(key)
            if store.incr(key, window) > most:
                self._release(store, taken)
                first = store.get(pair_key + ":t")
                first = first if isinstance(first, float) else time.time()
                verdict.blocked = True
                verdict.retry_after = max(1, math.ceil(first + window - time.time()))
                return verdict
        user_failures = store.incr(user_key, window) - 1
        taken.append(user_key)
        if user_failures >= sesstok_settings.LOGIN_USER_DELAY_AFTER:
            busy = user_key + ":busy"
            hold = math.ceil(float(sesstok_settings.LOGIN_USER_DELAY_MAX)) + BUSY_GRACE
            if not store.add(busy, 1, hold):
                self._release(store, taken)
                verdict.blocked = True
                verdict.retry_after = 1
                return verdict
            verdict.busy_key = busy
        verdict.keys = tuple(taken)
        verdict.delay = self.delay_for(user_failures)
        return verdict

    @staticmethod
    def _release(store, keys):
        for key in keys:
            store.decr(key)

    def _finish(self, verdict, success):
        store = verdict.store
        if store is None or verdict.blocked:
            return
        verdict.store = None  # once
        try:
            if success:
                self._release(store, [k for k in verdict.keys if k != verdict.pair_key])
                store.delete(verdict.pair_key, verdict.pair_key + ":t")
            if verdict.busy_key is not None:
                store.delete(verdict.busy_key)
        except Exception:
            logger.warning("login throttle: cache unavailable", exc_info=True)

    def failed(self, verdict):
        """The password check failed: the reserved failure stays counted."""
        self._finish(verdict, False)

    def succeeded(self, verdict):
        """The login succeeded: take the reservation back and clear the
        (username, address) counter."""
        self._finish(verdict, True)

    @contextlib.contextmanager
    def attempt(self, username, address):
        """``with login_throttle.attempt(name, addr) as verdict:`` check,
        then a failure unless ``succeeded(verdict)`` was called inside (an
        exception counts as a failure, and frees the per-user slot)."""
        verdict = self.check(username, address)
        try:
            yield verdict
        finally:
            self.failed(verdict)


login_throttle = LoginThrottle()


def guard_login(request, data, check, refuse):
    """Run ``check()``, a framework's credential check that raises when the
    credentials are wrong (a DRF serializer's ``is_valid(raise_exception=
    True)``), under the login throttle, with the username and password taken
    from ``data``. Blocked, ``refuse(wait=seconds)`` is raised instead (DRF's
    ``Throttled``). Off with ``SESSTOK["DRF_LOGIN_THROTTLE"] = False``; a
    request without both fields runs ``check()`` unthrottled (no password is
    tested)."""
    if not sesstok_settings.DRF_LOGIN_THROTTLE or not data:
        return check()
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    username = data.get(field, data.get("username"))
    if not isinstance(username, str) or not username or not data.get("password"):
        return check()
    with login_throttle.attempt(username, client_address(request)) as verdict:
        if verdict.blocked:
            raise refuse(wait=verdict.retry_after)
        if verdict.delay:
            time.sleep(verdict.delay)
        result = check()
        login_throttle.succeeded(verdict)
        return result
