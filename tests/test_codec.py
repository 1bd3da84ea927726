"""base64url, base62 and hex in sesstok._core (csrc/codec.c, codec_py.c),
against the originals: Python's base64 module, Django's b64_decode and
b62_encode/b62_decode, and bytes.hex().

base64url has several implementations (scalar, and AVX2 where the CPU has
it); the tests at the end run every one of them against Python's base64."""

import base64
import contextlib
import os
import string
import subprocess
import sys

import pytest
from django.core import signing as dj_signing
from hypothesis import example, given
from hypothesis import strategies as st

from sesstok import _core

pytestmark = pytest.mark.sanitizer  # CI also runs this file under ASan/UBSan

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
B64URL_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
B62_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase


def py_b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def py_b64url_decode(text):
    """The reference for the alphabet-only inputs both modes accept."""
    if isinstance(text, str):
        text = text.encode("ascii")
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


# ---- base64url: encode -----------------------------------------------------


@given(st.binary(max_size=300))
@example(b"")
@example(b"\xff\xfe\xfd")
def test_encode_matches_base64(data):
    assert _core.b64url_encode(data) == py_b64url_encode(data)


@pytest.mark.parametrize("n", range(0, 70))
def test_encode_every_length(n):
    data = bytes((i * 37 + 11) % 256 for i in range(n))
    assert _core.b64url_encode(data) == py_b64url_encode(data)


def test_encode_accepts_buffers():
    data = b"\x00\x10\x83\x10Q\x87 \x92\x8b0\xd3\x8fA\x14\x93"
    expected = py_b64url_encode(data)
    assert _core.b64url_encode(bytearray(data)) == expected
    assert _core.b64url_encode(memoryview(data)) == expected
    assert _core.b64url_encode(memoryview(b"xx" + data)[2:]) == expected


@pytest.mark.parametrize("bad", ["text", None, 5, [1, 2]])
def test_encode_rejects_non_buffers(bad):
    with pytest.raises(TypeError):
        _core.b64url_encode(bad)


# ---- base64url: round trips in both modes ------------------------------------


@given(st.binary(max_size=300), st.booleans(), st.booleans())
def test_round_trip(data, strict, as_str):
    encoded = _core.b64url_encode(data)
    arg = encoded.decode("ascii") if as_str else encoded
    assert _core.b64url_decode(arg, strict=strict) == data


@given(st.binary(max_size=100))
def test_decode_accepts_buffers(data):
    encoded = py_b64url_encode(data)
    assert _core.b64url_decode(bytearray(encoded), strict=True) == data
    assert _core.b64url_decode(memoryview(encoded)) == data


# ---- base64url: strict mode ----------------------------------------------------


@pytest.mark.parametrize(
    "text, why",
    [
        ("QQ==", "padding"),
        ("QUI=", "padding"),
        ("QQ=", "partial padding"),
        ("=", "padding only"),
        ("a+bc", "'+' is not url-safe"),
        ("a/bc", "'/' is not url-safe"),
        ("ab c", "inner space"),
        ("abcd\n", "trailing newline"),
        (" abc", "leading space"),
        ("ab\tc", "tab"),
        ("QR", "non-zero trailing bits (1 byte)"),
        ("QUJ", "non-zero trailing bits (2 bytes)"),
        ("Q", "length % 4 == 1"),
        ("QUJDR", "length % 4 == 1"),
        ("abc\x00", "NUL"),
        ("abc.", "'.'"),
    ],
)
def test_strict_rejects(text, why):
    for arg in (text, text.encode("ascii")):
        with pytest.raises(ValueError, match="invalid base64url"):
            _core.b64url_decode(arg, strict=True)


@pytest.mark.parametrize("text", ["é", "abcé", "QQ\u2028", "ＱＱ"])
def test_non_ascii_str_rejected(text):
    for strict in (False, True):
        with pytest.raises(ValueError, match="non-ASCII"):
            _core.b64url_decode(text, strict=strict)


@pytest.mark.parametrize("data", [b"QQ\x80", b"\xffabc", "QQé".encode()])
def test_non_ascii_bytes_rejected(data):
    for strict in (False, True):
        with pytest.raises(ValueError, match="invalid base64url"):
            _core.b64url_decode(data, strict=strict)


@pytest.mark.parametrize("prefix, unused_mask", [("Q", 0x0F), ("QU", 0x03)])
def test_strict_trailing_bits_every_value(prefix, unused_mask):
    # the last character of a 1- or 2-byte tail carries 4 or 2 unused bits
    for ch in B64URL_ALPHABET:
        text = prefix + ch
        if B64URL_ALPHABET.index(ch) & unused_mask == 0:
            assert _core.b64url_decode(text, strict=True) == py_b64url_decode(text)
        else:
            with pytest.raises(ValueError):
                _core.b64url_decode(text, strict=True)
        assert _core.b64url_decode(text) == py_b64url_decode(text)


@given(st.text(alphabet=B64URL_ALPHABET + "=+/ \n.", max_size=40))
def test_strict_accepts_exactly_the_canonical_encodings(text):
    canonical = (
        all(c in B64URL_ALPHABET for c in text)
        and len(text) % 4 != 1
        and py_b64url_encode(py_b64url_decode(text)).decode() == text
    )
    if canonical:
        assert _core.b64url_decode(text, strict=True) == py_b64url_decode(text)
    else:
        with pytest.raises(ValueError):
            _core.b64url_decode(text, strict=True)


# ---- base64url: lax mode ---------------------------------------------------------


@pytest.mark.parametrize("text", ["QR", "QUJ", "QUJD", "", "AB", "_-8"])
def test_lax_ignores_trailing_bits(text):
    assert _core.b64url_decode(text) == py_b64url_decode(text)
    assert _core.b64url_decode(text, strict=False) == dj_signing.b64_decode(text.encode())


@given(st.text(alphabet=B64URL_ALPHABET + "=+/ \n.", max_size=40))
def test_lax_matches_django_on_alphabet_only_input(text):
    simple = all(c in B64URL_ALPHABET for c in text) and len(text) % 4 != 1
    if simple:
        assert _core.b64url_decode(text) == dj_signing.b64_decode(text.encode())
    else:
        # the Python layer hands these to Django's b64_decode
        with pytest.raises(ValueError):
            _core.b64url_decode(text)


@pytest.mark.parametrize("text", ["QQ==", "a+bc", "a/bc", "ab c", "Q", "abcde"])
def test_lax_rejects_what_needs_the_general_path(text):
    with pytest.raises(ValueError, match="invalid base64url"):
        _core.b64url_decode(text)


def test_decode_argument_errors():
    with pytest.raises(TypeError):
        _core.b64url_decode(123)
    with pytest.raises(TypeError):
        _core.b64url_decode(None)
    with pytest.raises(TypeError):
        _core.b64url_decode()
    with pytest.raises(TypeError):
        _core.b64url_decode("QQ", True)  # strict is keyword-only
    with pytest.raises(TypeError):
        _core.b64url_decode("QQ", nope=True)
    with pytest.raises(TypeError):
        _core.b64url_decode("QQ", data="QQ")
    assert _core.b64url_decode(data="QQ") == b"A"


# ---- base64url: every implementation against Python's base64 ---------------

IMPLS = _core._b64url_impls()


@contextlib.contextmanager
def b64_impl(name):
    previous = _core._b64url_impl()
    assert _core._b64url_impl(name) == name
    try:
        yield
    finally:
        _core._b64url_impl(previous)


def ref_decode(text, strict):
    """Python's base64 as the reference: bytes, or None where sesstok refuses."""
    if any(c not in B64URL_ALPHABET.encode() for c in text) or len(text) % 4 == 1:
        return None
    padded = text.translate(bytes.maketrans(b"-_", b"+/")) + b"=" * (-len(text) % 4)
    data = base64.b64decode(padded, validate=True)
    if strict and base64.urlsafe_b64encode(data).rstrip(b"=") != text:
        return None
    return data


def decode_or_none(text, strict):
    try:
        return _core.b64url_decode(text, strict=strict)
    except ValueError:
        return None


def test_impls():
    assert IMPLS[0] == "scalar"
    assert set(IMPLS) <= {"scalar", "avx2"}
    # the default is the fastest one this CPU has, unless the environment forces one
    if "SESSTOK_B64URL_IMPL" not in os.environ:
        assert _core._b64url_impl() == IMPLS[-1]


def test_impl_switch_errors_leave_the_choice_alone():
    current = _core._b64url_impl()
    for bad, exc in (("nope", ValueError), ("", ValueError), (b"scalar", TypeError), (1, TypeError)):
        with pytest.raises(exc):
            _core._b64url_impl(bad)
        assert _core._b64url_impl() == current
    assert _core._b64url_impl(None) == current
    with pytest.raises(TypeError):
        _core._b64url_impl("scalar", "scalar")


@pytest.mark.parametrize("forced", ["scalar", "avx2", "bogus"])
def test_impl_forced_by_environment(forced):
    code = "from sesstok import _core; print(_core._b64url_impl(), _core.b64url_encode(b'\\xff' * 40).decode())"
    env = dict(os.environ, SESSTOK_B64URL_IMPL=forced)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    name, encoded = out.stdout.split()
    # an unknown name, or one this CPU cannot run, falls back to the default
    assert name == (forced if forced in IMPLS else IMPLS[-1])
    assert encoded == "_" * 53 + "w"


@given(st.binary(max_size=2000))
@example(b"\xff" * 24)
@example(bytes(range(256)) * 3)
def test_every_impl_matches_base64(data):
    expected = py_b64url_encode(data)
    for impl in IMPLS:
        with b64_impl(impl):
            assert _core.b64url_encode(data) == expected
            assert _core.b64url_decode(expected, strict=True) == data
            assert _core.b64url_decode(expected.decode(), strict=False) == data


@given(st.binary(min_size=1, max_size=300), st.data())
def test_every_impl_refuses_what_base64_refuses(data, draw):
    # a valid encoding with a few bytes overwritten, often with one from outside the alphabet
    text = bytearray(py_b64url_encode(data))
    for _ in range(draw.draw(st.integers(0, 3))):
        pos = draw.draw(st.integers(0, len(text) - 1))
        text[pos] = draw.draw(st.sampled_from(b"+/=.@[`{:,\x00\x7f\x80\xff -_Az09") | st.integers(0, 255))
    text = bytes(text[: draw.draw(st.integers(0, len(text)))])
    for strict in (True, False):
        expected = ref_decode(text, strict)
        for impl in IMPLS:
            with b64_impl(impl):
                assert decode_or_none(text, strict) == expected, (impl, strict)


@pytest.mark.parametrize("impl", IMPLS)
def test_every_length_every_impl(impl):
    # the SIMD block sizes (24 bytes in, 32 characters out) and the tails around them
    with b64_impl(impl):
        for n in range(0, 200):
            data = bytes((i * 151 + n) % 256 for i in range(n))
            encoded = py_b64url_encode(data)
            assert _core.b64url_encode(data) == encoded, n
            assert _core.b64url_decode(encoded, strict=True) == data, n
            assert _core.b64url_decode(encoded) == data, n


NOT_ALPHABET = bytes(b for b in range(256) if chr(b) not in B64URL_ALPHABET)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("n", [32, 35, 64, 66, 99])
def test_bad_byte_at_every_position(impl, n):
    # every byte outside the alphabet at every position of the SIMD blocks and of the scalar tail
    good = py_b64url_encode(bytes(range(256)))[:n]
    if n % 4:
        good = good[:-1] + b"A"  # canonical tail: zero unused bits
    with b64_impl(impl):
        assert _core.b64url_decode(good, strict=True) == ref_decode(good, True)
        for pos in range(n):
            for bad in NOT_ALPHABET:
                text = good[:pos] + bytes([bad]) + good[pos + 1 :]
                for strict in (True, False):
                    with pytest.raises(ValueError):
                        _core.b64url_decode(text, strict=strict)


@pytest.mark.parametrize("impl", IMPLS)
def test_every_alphabet_character_in_every_lane(impl):
    # each of the 64 characters at each of the 32 positions of a block
    for shift in range(32):
        text = (B64URL_ALPHABET * 2)[shift : shift + 64].encode()
        with b64_impl(impl):
            assert _core.b64url_decode(text, strict=True) == ref_decode(text, True)
            assert _core.b64url_encode(ref_decode(text, True)) == text


# ---- base62 -----------------------------------------------------------------------

EDGE_INTS = [
    0,
    1,
    -1,
    61,
    62,
    -62,
    63,
    3843,
    3844,
    INT64_MAX,
    INT64_MIN,
    INT64_MAX - 1,
    INT64_MIN + 1,
    2**32,
    -(2**32),
    62**10,
    62**10 - 1,
    -(62**10),
]


@pytest.mark.parametrize("n", EDGE_INTS)
def test_b62_edges(n):
    encoded = _core.b62_encode(n)
    assert encoded == dj_signing.b62_encode(n)
    assert _core.b62_decode(encoded) == n == dj_signing.b62_decode(encoded)


@given(st.integers(INT64_MIN, INT64_MAX))
def test_b62_matches_django(n):
    encoded = _core.b62_encode(n)
    assert encoded == dj_signing.b62_encode(n)
    assert _core.b62_decode(encoded) == n


@given(st.text(alphabet=B62_ALPHABET + "-", min_size=1, max_size=14))
def test_b62_decode_matches_django(text):
    try:
        expected = dj_signing.b62_decode(text)
    except ValueError:
        expected = None
    if expected is not None and INT64_MIN <= expected <= INT64_MAX:
        assert _core.b62_decode(text) == expected
    else:
        with pytest.raises(ValueError, match="invalid base62"):
            _core.b62_decode(text)


@pytest.mark.parametrize("text, expected", [("-", 0), ("00", 0), ("-0", 0), ("007", 7), ("-00z", -61)])
def test_b62_decode_djangos_quirks(text, expected):
    assert dj_signing.b62_decode(text) == expected
    assert _core.b62_decode(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "!",
        "1 ",
        "--1",
        "1-",
        "é",
        "٣",
        "aZ_",
        dj_signing.b62_encode(INT64_MAX + 1),
        dj_signing.b62_encode(INT64_MIN - 1),
        "zzzzzzzzzzzz",
        "1" * 100,
    ],
)
def test_b62_decode_rejects(text):
    with pytest.raises(ValueError, match="invalid base62"):
        _core.b62_decode(text)


@pytest.mark.parametrize("arg", [b"1", 1, None])
def test_b62_decode_rejects_non_str(arg):
    with pytest.raises(ValueError):
        _core.b62_decode(arg)


@pytest.mark.parametrize("n", [INT64_MAX + 1, INT64_MIN - 1, 2**100, -(2**100)])
def test_b62_encode_out_of_range(n):
    with pytest.raises(OverflowError):
        _core.b62_encode(n)


@pytest.mark.parametrize("arg", [1.0, "1", None, True])
def test_b62_encode_needs_an_exact_int(arg):
    # bool is refused too: sesstok.signing falls back to Django for it
    with pytest.raises(TypeError):
        _core.b62_encode(arg)


# ---- hex ----------------------------------------------------------------------


@given(st.binary(max_size=300))
def test_hex_matches_bytes_hex(data):
    out = _core.hex(data)
    assert out == data.hex()
    assert type(out) is str and out.isascii()


def test_hex_buffers_and_errors():
    assert _core.hex(b"") == ""
    assert _core.hex(bytearray(b"\x00\xff")) == "00ff"
    assert _core.hex(memoryview(b"\xab\xcd")[1:]) == "cd"
    for bad in ("ab", 1, None):
        with pytest.raises(TypeError):
            _core.hex(bad)


def test_hex_result_is_a_canonical_str():
    # an ASCII-only str built in C must be a compact ASCII string, or it
    # would compare unequal to the same text built in Python
    out = _core.hex(b"\x01\x02")
    assert out == "0102" and hash(out) == hash("0102")
