"""One end-to-end call repeated, for callgrind (e2e.sh counts instructions).

    python benchmarks/b64/e2e.py CASE N

CASE: hs256-decode (prepared Decoder.decode), hs256-encode (jwt.encode),
dumps-session / loads-session (the session of bench_signing.py), dumps-1k /
loads-1k / dumps-20k / loads-20k (bench_b64.py's payloads). Everything is
set up and checked before the N calls, so N=0 measures the setup alone."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import _django  # noqa: E402

_django.setup()

from django.core import signing as dj  # noqa: E402

from sesstok import jwt  # noqa: E402
from sesstok import signing as ss  # noqa: E402

SECRET = "benchmark-secret-" + "k" * 47
CLAIMS = {"sub": "1234567890", "name": "John Doe", "iat": 1516239022, "exp": 4102444800}
SESSION = {
    "_auth_user_id": "42",
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
    "_auth_user_hash": "8f14e45fceea167a5a36dedd4bea2543b4f3e7e2a4c2d1f6a9e1c3b5d7f9a1c3",
    "_session_expiry": 1209600,
    "cart": [101, 102, 103],
}


def payload(size):
    items, n = {}, 0
    while len(dj.JSONSerializer().dumps(items)) < size:
        items[f"key{n}"] = {"id": n, "name": f"item {n} " + "x" * (n % 17), "tags": ["a", "bc", n]}
        n += 1
    return items


def case(name):
    if name == "hs256-decode":
        token = jwt.encode(CLAIMS, SECRET, algorithm="HS256")
        dec = jwt.Decoder(SECRET, algorithms=["HS256"])
        assert dec.decode(token) == CLAIMS
        return lambda: dec.decode(token)
    if name == "hs256-encode":
        assert jwt.encode(CLAIMS, SECRET, algorithm="HS256") == jwt.encode(CLAIMS, SECRET, algorithm="HS256")
        return lambda: jwt.encode(CLAIMS, SECRET, algorithm="HS256")
    kind, size = name.split("-")
    obj = {"session": SESSION, "1k": None, "20k": None}[size] or payload({"1k": 1024, "20k": 20480}[size])
    signed = dj.dumps(obj)
    # (dumps is time-stamped: compare through loads, not byte for byte, as a
    # second may pass between the two calls under valgrind)
    assert dj.loads(ss.dumps(obj)) == obj and ss.loads(signed) == obj
    return (lambda: ss.dumps(obj)) if kind == "dumps" else (lambda: ss.loads(signed))


if __name__ == "__main__":
    fn = case(sys.argv[1])
    for _ in range(int(sys.argv[2])):
        fn()
