"""base64url and the payloads that carry it, side by side.

    python benchmarks/bench_b64.py [--json] [--quick] [-k NAME]

- codec: sesstok._core.b64url_encode/decode against Python's base64 (what
  Django's b64_encode/b64_decode call) at 64 B, 1 KB and 20 KB.
- payload: signing.dumps/loads of about 1 KB and 20 KB of JSON against
  Django, where base64 is a larger share than for a small session.

Every case runs with the implementation sesstok picks (no note) and, where
the build has several (csrc/codec.c), with each one forced (note = its
name), so the table shows what SIMD adds over the scalar code. A checkout
without the switch (before it existed) gives the default rows only.
For instruction counts per character see benchmarks/b64/run.sh.
"""

import base64
import contextlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402,F401  (makes a source checkout importable)
import _django  # noqa: E402

_django.setup()

from django.core import signing as dj  # noqa: E402

from _harness import Case, run  # noqa: E402
from sesstok import _core  # noqa: E402
from sesstok import signing as ss  # noqa: E402

SIZES = [(64, "64 B"), (1024, "1 KB"), (20 * 1024, "20 KB")]
IMPLS = _core._b64url_impls() if hasattr(_core, "_b64url_impls") else []


def payload(size):
    """A session-like dict whose compact JSON is about `size` bytes."""
    items, n = {}, 0
    while len(dj.JSONSerializer().dumps(items)) < size:
        items[f"key{n}"] = {"id": n, "name": f"item {n} " + "x" * (n % 17), "tags": ["a", "bc", n]}
        n += 1
    return items


@contextlib.contextmanager
def impl(name):
    previous = _core._b64url_impl()
    _core._b64url_impl(name)
    try:
        yield
    finally:
        _core._b64url_impl(previous)


def cases_for(note, context):
    out = []
    for size, label in SIZES:
        raw = bytes((i * 151 + 7) % 256 for i in range(size))
        text = base64.urlsafe_b64encode(raw).rstrip(b"=")
        out += [
            Case(
                f"b64url encode {label}",
                lambda raw=raw: base64.urlsafe_b64encode(raw).rstrip(b"="),
                lambda raw=raw: _core.b64url_encode(raw),
                group="codec",
                note=note,
                sesstok_context=context,
            ),
            Case(
                f"b64url decode {label}",
                lambda text=text: dj.b64_decode(text),
                lambda text=text: _core.b64url_decode(text),
                group="codec",
                note=note,
                sesstok_context=context,
            ),
        ]
    for size, label in SIZES[1:]:
        obj = payload(size)
        signed = dj.dumps(obj, key=_django.SECRET_KEY)
        out += [
            Case(
                f"dumps {label}",
                lambda obj=obj: dj.dumps(obj),
                lambda obj=obj: ss.dumps(obj),
                group="payload",
                note=note,
                sesstok_context=context,
            ),
            Case(
                f"loads {label}",
                lambda s=signed: dj.loads(s),
                lambda s=signed: ss.loads(s),
                group="payload",
                note=note,
                sesstok_context=context,
            ),
        ]
    return out


def cases():
    out = cases_for("", None)
    if len(IMPLS) > 1:
        for name in IMPLS:
            out += cases_for(name, lambda name=name: impl(name))
    return out


if __name__ == "__main__":
    run(cases(), "base64url and large payloads: Python's base64 / Django vs sesstok")
