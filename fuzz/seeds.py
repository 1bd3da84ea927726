"""Write a seed corpus for one fuzz harness into a directory.

Usage: python3 fuzz/seeds.py fuzz_codec OUTDIR

Seeds are generated (not checked in) so they follow the code. A harness
without its own generator below gets the generic seeds; add a generator
when adding fuzz/fuzz_<name>.c.
"""

import base64
import hashlib
import json
import os
import random
import sys

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b62(n):
    if n == 0:
        return "0"
    sign, n, out = ("-" if n < 0 else ""), abs(n), ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return sign + out


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def generic(rng):
    yield b""
    yield b"\x00"
    yield bytes(range(256))
    for n in (1, 2, 3, 4, 5, 31, 64, 255):
        yield rng.randbytes(n)
    yield b'{"a":1,"b":[true,false,null],"c":"\\u00e9"}'
    yield b"a.b.c"


def codec(rng):
    yield from generic(rng)
    for n in range(0, 12):
        yield b64url(rng.randbytes(n))
    yield b64url(b"sesstok") + b"=="
    yield b"QR"  # non-zero trailing bits
    yield b"QUJ"
    yield b"a+b/"
    yield b"ab cd\n"
    for n in (0, 1, -1, 61, 62, INT64_MAX, INT64_MIN, 1700000000):
        yield b62(n).encode()
        yield n.to_bytes(8, "big", signed=True)
    yield b"-"
    yield b"-0"
    yield b"000z"
    yield b"z" * 12  # overflows int64


def json_(rng):
    yield from generic(rng)
    docs = [
        {}, [], {"a": 1}, {"nested": {"x": [1, 2.5, -3e10, None, True, "é\u2028"]}},
        {"exp": 1300819380, "iss": "joe", "http://example.com/is_root": True},
        "string with \"quotes\" and \\ backslash", 1.0, -0.0, 10**30,
    ]
    for d in docs:
        yield json.dumps(d, separators=(",", ":")).encode()
        yield json.dumps(d, ensure_ascii=False).encode()
    yield b'{"a":1,"a":2}'
    yield b"[NaN, Infinity]"
    yield b"[" * 600 + b"]" * 600
    yield b'"\\ud800"'
    yield b"\xef\xbb\xbf{}"


def jws(rng):
    yield from generic(rng)
    # RFC 7515 A.1 (HS256) and variations of its shape
    header = b'{"typ":"JWT",\r\n "alg":"HS256"}'
    payload = b'{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}'
    key = base64.urlsafe_b64decode(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow=="
    )
    import hmac

    signing_input = b64url(header) + b"." + b64url(payload)
    sig = hmac.new(key, signing_input, hashlib.sha256).digest()
    token = signing_input + b"." + b64url(sig)
    yield token
    yield signing_input + b"."
    yield token + b".extra"
    yield b".."
    yield b64url(b'{"alg":"none"}') + b"." + b64url(b"{}") + b"."


GENERATORS = {"fuzz_codec": codec, "fuzz_json": json_, "fuzz_jws": jws}


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    name, outdir = argv[1], argv[2]
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(name)  # deterministic per harness
    seeds = dict.fromkeys(GENERATORS.get(name, generic)(rng))  # dedupe, keep order
    for i, seed in enumerate(seeds):
        with open(os.path.join(outdir, f"seed-{i:03d}"), "wb") as f:
            f.write(seed)


if __name__ == "__main__":
    main(sys.argv)
