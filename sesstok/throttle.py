"""Failed-login throttling that cannot lock an account out.

Two counters of failed logins in a cache (``SESSTOK["LOGIN_THROTTLE_CACHE"]``,
``"default"`` unless set; Redis when there are several workers):

- per (username, client address): after ``LOGIN_FAILURE_LIMIT`` failures
  (5) within ``LOGIN_FAILURE_WINDOW`` seconds (900), further attempts from
  that address for that username get ``429 Too Many Requests`` with
  ``Retry-After``, without the password being checked.
- per username, from any address: after ``LOGIN_USER_DELAY_AFTER`` failures
  (10) in the window, every attempt for that username is answered late: the
  delay doubles from 0.1 s with each further failure, capped at
  ``LOGIN_USER_DELAY_MAX`` (2 s). Never a refusal: the account's owner,
  from an address of their own, always gets in with the right password.

A success clears the (username, address) counter. Counters are keyed by
SHA-256 of the case-folded, normalised username (whether or not such a user
exists: unknown users and wrong passwords take the same path) and of the
address; an IPv6 address counts as its /64 network (one host easily holds a
whole /64). The address is ``REMOTE_ADDR``, unless
``SESSTOK["TRUSTED_PROXY_COUNT"]`` says how many proxies in front of the
site append to ``X-Forwarded-For``: then it is the entry that many places
from the right (the address the outermost trusted proxy saw; entries further
left are whatever the client claimed).

If the cache cannot be read or written, logins are not throttled (and a
warning is logged): the cache being down must not take logins with it.
"""

import ipaddress
import logging
import math
import time

from django.core.cache import caches

from . import _core
from .conf import seconds, sesstok_settings

__all__ = ["client_address", "LoginThrottle", "Verdict"]

logger = logging.getLogger("sesstok.throttle")

DELAY_BASE = 0.1  # seconds; the first added delay


def client_address(request):
    """The client's address as the throttle sees it (see the module docstring)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    count = sesstok_settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            # each trusted proxy appended the address it received from: the
            # count-th from the right was added by the outermost one
            candidate = hops[-count] if len(hops) >= count else hops[0]
            try:
                ipaddress.ip_address(candidate)
            except ValueError:
                pass
            else:
                return candidate
    return remote


def _address_key(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _hash(text):
    return _core.b64url_encode(_core.digest("sha256", text.encode()))[:32].decode()


def normalize_username(username):
    from django.contrib.auth import get_user_model

    return get_user_model().normalize_username(str(username)).casefold()


class Verdict:
    """What the throttle says about one attempt: ``blocked`` (answer 429
    with ``retry_after`` seconds) or ``delay`` (seconds to wait first)."""

    __slots__ = ("blocked", "retry_after", "delay", "pair_key", "user_key")

    def __init__(self, blocked=False, retry_after=0, delay=0.0, pair_key=None, user_key=None):
        self.blocked = blocked
        self.retry_after = retry_after
        self.delay = delay
        self.pair_key = pair_key
        self.user_key = user_key


class LoginThrottle:
    """``check`` before the password is tested, ``failed`` or ``succeeded``
    after. Settings are read on each use (they follow ``override_settings``)."""

    def _cache(self):
        alias = sesstok_settings.LOGIN_THROTTLE_CACHE
        return None if alias is None else caches[alias]

    def _keys(self, username, address):
        prefix = sesstok_settings.REVOCATION_KEY_PREFIX
        user = _hash(normalize_username(username))
        return f"{prefix}lf:{user}:{_hash(_address_key(address))}", f"{prefix}lu:{user}"

    @staticmethod
    def delay_for(user_failures):
        after = sesstok_settings.LOGIN_USER_DELAY_AFTER
        if user_failures < after:
            return 0.0
        exponent = min(user_failures - after, 32)
        return min(float(sesstok_settings.LOGIN_USER_DELAY_MAX), DELAY_BASE * 2**exponent)

    def check(self, username, address):
        cache = self._cache()
        if cache is None:
            return Verdict()
        pair_key, user_key = self._keys(username, address)
        try:
            got = cache.get_many([pair_key, pair_key + ":t", user_key])
        except Exception:
            logger.warning("login throttle: cache unavailable; not throttling", exc_info=True)
            return Verdict()
        if _count(got.get(pair_key)) >= sesstok_settings.LOGIN_FAILURE_LIMIT:
            window = seconds(sesstok_settings.LOGIN_FAILURE_WINDOW)
            first = got.get(pair_key + ":t")
            first = first if isinstance(first, float) else time.time()
            retry = max(1, math.ceil(first + window - time.time()))
            return Verdict(blocked=True, retry_after=retry, pair_key=pair_key, user_key=user_key)
        delay = self.delay_for(_count(got.get(user_key)))
        return Verdict(delay=delay, pair_key=pair_key, user_key=user_key)

    def failed(self, verdict):
        """Count a failure (atomically: ``incr`` is one INCRBY on Redis, so
        parallel attempts cannot slip under the limit)."""
        cache = self._cache()
        if cache is None or verdict.pair_key is None:
            return
        window = max(1, math.ceil(seconds(sesstok_settings.LOGIN_FAILURE_WINDOW)))
        try:
            # the first failure of the window: Retry-After counts from here
            cache.add(verdict.pair_key + ":t", time.time(), timeout=window)
            for key in (verdict.pair_key, verdict.user_key):
                _increment(cache, key, window)
        except Exception:
            logger.warning("login throttle: cache unavailable; failure not counted", exc_info=True)

    def succeeded(self, verdict):
        cache = self._cache()
        if cache is None or verdict.pair_key is None:
            return
        try:
            cache.delete_many([verdict.pair_key, verdict.pair_key + ":t"])
        except Exception:
            logger.warning("login throttle: cache unavailable", exc_info=True)


# Counters are plain integers created with the window as their timeout and
# never extended (a fixed window from the first failure); incr keeps the
# timeout on Redis and LocMem.


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _increment(cache, key, window):
    for _ in range(3):
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: start a new window
            continue
    return 0


login_throttle = LoginThrottle()
