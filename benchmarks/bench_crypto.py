"""django.utils.crypto vs sesstok.crypto, and Django's session keys under
accelerate_django(), side by side.

    python benchmarks/bench_crypto.py [--json] [--quick] [-k NAME]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402,F401  (makes a source checkout importable)
import _django  # noqa: E402

_django.setup()

from django.contrib.sessions.backends import base as sessions_base  # noqa: E402
from django.contrib.sessions.backends.signed_cookies import SessionStore  # noqa: E402
from django.utils import crypto as dj  # noqa: E402

from _harness import Case, run  # noqa: E402
from sesstok import crypto as ss  # noqa: E402
from bench_signing import accelerated  # noqa: E402


def same_shape(chars):
    """Random results cannot be equal: same length, same alphabet."""
    return lambda a, b: len(a) == len(b) and set(a) | set(b) <= set(chars)


def new_session_key():
    # what SessionBase._get_or_create_session_key draws (signed_cookies' exists() is False)
    return SessionStore()._get_new_session_key()


def cases():
    chars = dj.RANDOM_STRING_CHARS
    yield Case(
        "get_random_string(32)",
        lambda: dj.get_random_string(32),
        lambda: ss.get_random_string(32),
        check=same_shape(chars),
        group="random",
    )
    yield Case(
        "get_random_string(12, hex)",
        lambda: dj.get_random_string(12, "0123456789abcdef"),
        lambda: ss.get_random_string(12, "0123456789abcdef"),
        check=same_shape("0123456789abcdef"),
        group="random",
    )
    yield Case(
        "django session key",
        new_session_key,
        new_session_key,
        check=same_shape(sessions_base.VALID_KEY_CHARS),
        sesstok_context=accelerated,
        note="accelerate_django()",
        group="random",
    )
    yield Case(
        "salted_hmac(sha1).hexdigest()",
        lambda: dj.salted_hmac("salt", "value", algorithm="sha1").hexdigest(),
        lambda: ss.salted_hmac("salt", "value", algorithm="sha1").hexdigest(),
        group="hmac",
    )
    yield Case(
        "salted_hmac(sha256).digest()",
        lambda: dj.salted_hmac("s", "v", algorithm="sha256").digest(),
        lambda: ss.salted_hmac("s", "v", algorithm="sha256").digest(),
        group="hmac",
    )
    a, b = "x" * 64, "x" * 63 + "y"
    yield Case(
        "constant_time_compare(str)",
        lambda: dj.constant_time_compare(a, b),
        lambda: ss.constant_time_compare(a, b),
        group="compare",
    )


TITLE = "Crypto: django.utils.crypto vs sesstok.crypto"


def main(argv=None):
    return run(list(cases()), TITLE, argv)


if __name__ == "__main__":
    main()
