"""Helpers for comparing sesstok with the original libraries."""

import contextlib
import time
from unittest import mock


def outcome(fn, *args, **kwargs):
    """What calling fn did: ("ok", result) or ("raise", type, message)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - the point is to capture anything
        return ("raise", type(exc), str(exc))


def assert_same(fn_original, fn_sesstok, *args, **kwargs):
    """Both calls return equal results or raise the same type and message."""
    expected = outcome(fn_original, *args, **kwargs)
    actual = outcome(fn_sesstok, *args, **kwargs)
    assert actual == expected
    return expected


@contextlib.contextmanager
def frozen_time(value):
    """Patch time.time, which Django and sesstok both read at call time."""
    with mock.patch.object(time, "time", return_value=value):
        yield
