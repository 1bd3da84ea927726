"""Django's session engines vs sesstok's, side by side.

    python benchmarks/bench_sessions.py [--json] [--quick] [-k NAME]

Each case saves a logged-in session and loads it back through a fresh
SessionStore, as two requests would. Revocation cases run sesstok with
SESSION_DENYLIST on against a real redis-server (started here if REDIS_URL
is unset), so their cost (one MGET per load) is visible.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402,F401  (makes a source checkout importable)
import _stack  # noqa: E402

STORE = _stack.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends import cache as dj_cache  # noqa: E402
from django.contrib.sessions.backends import cached_db as dj_cached_db  # noqa: E402
from django.contrib.sessions.backends import db as dj_db  # noqa: E402
from django.contrib.sessions.backends import signed_cookies as dj_signed  # noqa: E402
from django.contrib.sessions.backends.base import VALID_KEY_CHARS  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from _harness import Case, run  # noqa: E402
from sesstok.sessions.backends import cache as ss_cache  # noqa: E402
from sesstok.sessions.backends import cached_db as ss_cached_db  # noqa: E402
from sesstok.sessions.backends import db as ss_db  # noqa: E402
from sesstok.sessions.backends import signed_cookies as ss_signed  # noqa: E402
from sesstok.sessions.backends.base import new_session_key  # noqa: E402

USER = get_user_model().objects.create_user("bench", password="x")
SESSION = {
    "_auth_user_id": str(USER.pk),
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
    "_auth_user_hash": USER.get_session_auth_hash(),
    "_session_expiry": 1209600,
    "cart": [101, 102, 103],
    "_messages": "[]",
}


def save_load(Store):
    def run():
        s = Store()
        s.update(SESSION)
        s.save()
        return dict(Store(s.session_key).items())

    return run


def save(Store):
    def run():
        s = Store()
        s.update(SESSION)
        s.save()
        return s.session_key

    return run


def load(Store, cookie):
    return lambda: dict(Store(cookie).items())


def cookie_of(Store):
    s = Store()
    s.update(SESSION)
    s.save()
    return s.session_key


def same_session(a, b):
    return a == b == SESSION


def both_valid_cookies(a, b):
    return dict(dj_signed.SessionStore(a).items()) == dict(ss_signed.SessionStore(b).items()) == SESSION


def redis_sessions():
    if not _stack.REDIS_URL:
        return None
    caches = {
        "default": {"BACKEND": _stack.LOCMEM_BACKEND},
        "revocation": {"BACKEND": _stack.REDIS_BACKEND, "LOCATION": _stack.REDIS_URL, "KEY_PREFIX": "bench"},
        "sessions": {"BACKEND": _stack.REDIS_BACKEND, "LOCATION": _stack.REDIS_URL, "KEY_PREFIX": "s"},
    }
    return lambda: override_settings(CACHES=caches, SESSION_CACHE_ALIAS="sessions")


def cases():
    dj_cookie = cookie_of(dj_signed.SessionStore)
    ss_cookie = cookie_of(ss_signed.SessionStore)
    on = _stack.revocation_on()
    with on():
        ss_cookie_sid = cookie_of(ss_signed.SessionStore)
    g = "signed_cookies"
    yield Case(
        "signed_cookies save+load",
        save_load(dj_signed.SessionStore),
        save_load(ss_signed.SessionStore),
        check=same_session,
        target=3,
        group=g,
    )
    yield Case(
        "signed_cookies save",
        save(dj_signed.SessionStore),
        save(ss_signed.SessionStore),
        check=both_valid_cookies,
        group=g,
    )
    yield Case(
        "signed_cookies load",
        load(dj_signed.SessionStore, dj_cookie),
        load(ss_signed.SessionStore, ss_cookie),
        check=same_session,
        group=g,
    )
    for alias in ("revocation", "revocation_fast"):
        on_ = _stack.revocation_on(alias)
        yield Case(
            "signed_cookies save+load",
            save_load(dj_signed.SessionStore),
            save_load(ss_signed.SessionStore),
            check=same_session,
            sesstok_context=on_,
            note=f"denylist on, {_stack.store_note(alias)}",
            group=g,
        )
    yield Case(
        "signed_cookies load",
        load(dj_signed.SessionStore, dj_cookie),
        load(ss_signed.SessionStore, ss_cookie_sid),
        check=same_session,
        sesstok_context=_stack.revocation_on("revocation_fast"),
        note=f"denylist on, {_stack.store_note('revocation_fast')}",
        group=g,
    )
    g = "server-side"
    yield Case(
        "db save+load",
        save_load(dj_db.SessionStore),
        save_load(ss_db.SessionStore),
        check=same_session,
        note="SQLite in memory",
        group=g,
    )
    yield Case(
        "db save+load",
        save_load(dj_db.SessionStore),
        save_load(ss_db.SessionStore),
        check=same_session,
        sesstok_context=_stack.revocation_on("revocation_fast"),
        note=f"SQLite, epoch check on, {_stack.store_note('revocation_fast')}",
        group=g,
    )
    yield Case(
        "cached_db save+load",
        save_load(dj_cached_db.SessionStore),
        save_load(ss_cached_db.SessionStore),
        check=same_session,
        note="LocMem + SQLite",
        group=g,
    )
    yield Case(
        "cache save+load",
        save_load(dj_cache.SessionStore),
        save_load(ss_cache.SessionStore),
        check=same_session,
        note="LocMem",
        group=g,
    )
    redis = redis_sessions()
    if redis is not None:
        yield Case(
            "cache save+load",
            save_load(dj_cache.SessionStore),
            save_load(ss_cache.SessionStore),
            check=same_session,
            original_context=redis,
            sesstok_context=redis,
            note="Redis",
            group=g,
        )
    encoded = dj_db.SessionStore().encode(SESSION)
    g = "parts"
    yield Case(
        "db encode",
        lambda: len(dj_db.SessionStore().encode(SESSION)) > 0,
        lambda: len(ss_db.SessionStore().encode(SESSION)) > 0,
        group=g,
    )
    yield Case(
        "db decode", lambda: dj_db.SessionStore().decode(encoded), lambda: ss_db.SessionStore().decode(encoded), group=g
    )
    shape = re.compile(r"[a-z0-9]{32}")
    yield Case(
        "session key generation",
        lambda: get_random_string(32, VALID_KEY_CHARS),
        new_session_key,
        check=lambda a, b: bool(shape.fullmatch(a) and shape.fullmatch(b)) and a != b,
        target=20,
        group=g,
    )


TITLE = "Sessions: Django's engines vs sesstok's"


def main(argv=None):
    return run(list(cases()), TITLE, argv)


if __name__ == "__main__":
    main()
