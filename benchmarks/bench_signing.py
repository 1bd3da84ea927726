"""django.core.signing vs sesstok.signing, side by side.

python benchmarks/bench_signing.py [--json] [--quick] [-k NAME]
"""

import contextlib
import os
import sys
import time
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402,F401  (makes a source checkout importable)
import _django  # noqa: E402

_django.setup()

from django.core import signing as dj  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from _harness import Case, run  # noqa: E402
import sesstok  # noqa: E402
from sesstok import _core  # noqa: E402
from sesstok import signing as ss  # noqa: E402

KEY = "k" * 50
SESSION = {
    "_auth_user_id": "42",
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
    "_auth_user_hash": "8f14e45fceea167a5a36dedd4bea2543b4f3e7e2a4c2d1f6a9e1c3b5d7f9a1c3",
    "_session_expiry": 1209600,
    "cart": [101, 102, 103],
}
NOW = 1_790_000_000.5


def frozen(fn):
    """fn evaluated with time.time frozen (for checks of time-stamped output)."""

    def call():
        with mock.patch.object(time, "time", return_value=NOW):
            return fn()

    return call


def same_when_frozen(original, sesstok):
    return lambda a, b: frozen(original)() == frozen(sesstok)()


def cases():
    dj_signer, ss_signer = dj.Signer(key=KEY), ss.Signer(key=KEY)
    signed = dj_signer.sign("hello world")
    dj_ts, ss_ts = dj.TimestampSigner(), ss.TimestampSigner()
    ts_signed = dj_ts.sign("hello world")
    dumped = dj.dumps(SESSION)
    dumped_z = dj.dumps(SESSION, compress=True)

    def ts_sign(mod):
        return lambda: mod.TimestampSigner().sign("hello world")

    def dumps(mod, **kw):
        return lambda: mod.dumps(SESSION, **kw)

    cookie_request = HttpRequest()
    response = HttpResponse()
    response.set_signed_cookie("pref", "dark-mode", salt="ui")
    cookie_request.COOKIES["pref"] = response.cookies["pref"].value

    def set_cookie():
        r = HttpResponse()
        r.set_signed_cookie("pref", "dark-mode", salt="ui")
        return r.cookies["pref"].value

    def get_cookie():
        return cookie_request.get_signed_cookie("pref", salt="ui", max_age=3600)

    def backend():
        return override_settings(SIGNING_BACKEND="sesstok.signing.TimestampSigner")

    def checked_with_backend(fn):
        return same_within(backend, fn)

    yield Case(
        "Signer(key=...).sign",
        lambda: dj.Signer(key=KEY).sign("hello world"),
        lambda: ss.Signer(key=KEY).sign("hello world"),
        target=6,
        group="signer",
    )
    yield Case(
        "Signer(key=...).unsign",
        lambda: dj.Signer(key=KEY).unsign(signed),
        lambda: ss.Signer(key=KEY).unsign(signed),
        target=6,
        group="signer",
    )
    yield Case(
        "prebuilt Signer.sign",
        lambda: dj_signer.sign("hello world"),
        lambda: ss_signer.sign("hello world"),
        target=6,
        group="signer",
    )
    yield Case(
        "prebuilt Signer.unsign",
        lambda: dj_signer.unsign(signed),
        lambda: ss_signer.unsign(signed),
        target=6,
        group="signer",
    )
    yield Case(
        "TimestampSigner().sign",
        ts_sign(dj),
        ts_sign(ss),
        check=same_when_frozen(ts_sign(dj), ts_sign(ss)),
        target=7,
        group="timestamp",
    )
    yield Case(
        "TimestampSigner().unsign(max_age)",
        lambda: dj.TimestampSigner().unsign(ts_signed, max_age=3600),
        lambda: ss.TimestampSigner().unsign(ts_signed, max_age=3600),
        target=7,
        group="timestamp",
    )
    yield Case(
        "prebuilt TimestampSigner.sign",
        lambda: dj_ts.sign("hello world"),
        lambda: ss_ts.sign("hello world"),
        check=same_when_frozen(lambda: dj_ts.sign("hello world"), lambda: ss_ts.sign("hello world")),
        group="timestamp",
    )
    yield Case(
        "dumps(session)", dumps(dj), dumps(ss), check=same_when_frozen(dumps(dj), dumps(ss)), target=8, group="objects"
    )
    yield Case("loads(session)", lambda: dj.loads(dumped), lambda: ss.loads(dumped), target=8, group="objects")
    yield Case(
        "dumps(session, compress=True)",
        dumps(dj, compress=True),
        dumps(ss, compress=True),
        check=same_when_frozen(dumps(dj, compress=True), dumps(ss, compress=True)),
        target=2.5,
        group="objects",
    )
    yield Case(
        "loads(compressed session)", lambda: dj.loads(dumped_z), lambda: ss.loads(dumped_z), target=5, group="objects"
    )
    yield Case(
        "get_random_string(32)",
        lambda: get_random_string(32),
        lambda: _core.random_string(32),
        check=lambda a, b: (
            len(a) == len(b) == 32
            and set(a + b) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        ),
        target=20,
        group="random",
    )
    yield Case(
        "set_signed_cookie",
        set_cookie,
        set_cookie,
        check=checked_with_backend(set_cookie),
        sesstok_context=backend,
        note="SIGNING_BACKEND",
        group="cookies",
    )
    yield Case(
        "get_signed_cookie", get_cookie, get_cookie, sesstok_context=backend, note="SIGNING_BACKEND", group="cookies"
    )
    # the switch: Django's own functions, before and after accelerate_django()
    yield Case(
        "django dumps(session)",
        dumps(dj),
        dumps(dj),
        check=same_within(accelerated, dumps(dj)),
        sesstok_context=accelerated,
        note="accelerate_django",
        group="switch",
    )
    yield Case(
        "django loads(session)",
        lambda: dj.loads(dumped),
        lambda: dj.loads(dumped),
        sesstok_context=accelerated,
        note="accelerate_django",
        group="switch",
    )
    yield Case(
        "django TimestampSigner().unsign",
        lambda: dj.TimestampSigner().unsign(ts_signed, max_age=3600),
        lambda: dj.TimestampSigner().unsign(ts_signed, max_age=3600),
        sesstok_context=accelerated,
        note="accelerate_django",
        group="switch",
    )


@contextlib.contextmanager
def accelerated():
    sesstok.accelerate_django()
    try:
        yield
    finally:
        sesstok.restore_django()


def same_within(context, fn):
    """Check: fn gives the same (frozen-clock) result inside context as outside."""

    def check(a, b):
        outside = frozen(fn)()
        with context():
            inside = frozen(fn)()
        return outside == inside

    return check


TITLE = "Signing: django.core.signing vs sesstok.signing"


def main(argv=None):
    return run(list(cases()), TITLE, argv)


if __name__ == "__main__":
    main()
