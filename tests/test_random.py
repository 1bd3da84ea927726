"""Random material from the OS CSPRNG in sesstok._core (csrc/random_py.c):
random_bytes, token_hex, token_urlsafe (as the secrets module) and
random_string (as django.utils.crypto.get_random_string)."""

import collections
import math
import secrets
import string

import pytest
from django.utils.crypto import RANDOM_STRING_CHARS, get_random_string
from hypothesis import given
from hypothesis import strategies as st

from sesstok import _core

pytestmark = pytest.mark.sanitizer  # CI also runs this file under ASan/UBSan

HEX = set(string.hexdigits.lower())
B64URL = set(string.ascii_letters + string.digits + "-_")


def chi2_pvalue(counts, expected):
    """Upper-tail p-value of Pearson's chi-square statistic, Wilson-Hilferty
    approximation (good to well below 1e-6 for dozens of degrees of freedom)."""
    stat = sum((c - expected) ** 2 / expected for c in counts)
    k = len(counts) - 1
    z = ((stat / k) ** (1 / 3) - (1 - 2 / (9 * k))) / math.sqrt(2 / (9 * k))
    return 0.5 * math.erfc(z / math.sqrt(2))


def test_chi2_helper():
    assert chi2_pvalue([100] * 62, 100) > 0.99  # perfectly even
    assert chi2_pvalue([400] + [100] * 61, 100) < 1e-6  # one value 4x too often
    # chi2.sf(29.588, df=10) == 0.001 and chi2.sf(61.0, df=61) ~= 0.476
    stat_29588 = [100 + math.sqrt(29.588 * 100 / 2)] + [100 - math.sqrt(29.588 * 100 / 2)] + [100] * 9
    assert abs(math.log10(chi2_pvalue(stat_29588, 100)) + 3) < 0.05


# ---- random_string -------------------------------------------------------------


def test_default_alphabet_is_djangos():
    s = _core.random_string(2000)
    assert len(s) == 2000
    assert set(s) <= set(RANDOM_STRING_CHARS)
    assert len(set(s)) > 50  # 62 letters, 2000 draws
    assert s.isascii()


@given(length=st.integers(0, 200), alphabet=st.text(min_size=1, max_size=300))
def test_length_and_alphabet(length, alphabet):
    s = _core.random_string(length, alphabet)
    assert type(s) is str
    assert len(s) == length == len(get_random_string(length, alphabet))
    assert set(s) <= set(alphabet)


@pytest.mark.parametrize(
    "alphabet",
    [
        "ab",
        "é",
        "aé€",
        "😀🙃",
        "".join(chr(0x4E00 + i) for i in range(300)),  # more than 256: 4-byte draws
        "".join(chr(i) for i in range(0x20, 0x20 + 257)),
        "x" * 1000,
    ],
    ids=["ascii", "latin1", "bmp", "astral", "cjk300", "257", "repeated"],
)
def test_unusual_alphabets(alphabet):
    s = _core.random_string(500, alphabet)
    assert len(s) == 500 and set(s) <= set(alphabet)
    if len(set(alphabet)) > 1:
        assert len(set(s)) > 1


# The result is a canonical str (the narrowest kind for the characters drawn),
# whatever the alphabet.
@pytest.mark.parametrize("alphabet", ["a\u0100", "a\xe9", "a\U0001f600", "\u0100\U0001f600"])
def test_result_is_a_canonical_str(alphabet):
    for _ in range(64):  # each draw is narrow with probability 1/2
        s = _core.random_string(1, alphabet)
        canonical = "".join(list(s))  # rebuilt by CPython in canonical form
        assert s == canonical
        assert hash(s) == hash(canonical)
        assert s.isascii() == canonical.isascii()


def test_empty_alphabet():
    with pytest.raises(IndexError, match="empty sequence"):
        _core.random_string(1, "")
    with pytest.raises(IndexError):
        get_random_string(1, "")  # Django raises the same class
    assert _core.random_string(0, "") == ""


@pytest.mark.parametrize("length", [0, -1, -1000])
def test_non_positive_length_is_empty(length):
    assert _core.random_string(length) == "" == get_random_string(length)
    assert _core.random_string(length, "") == ""


def test_arguments():
    assert len(_core.random_string(length=7)) == 7
    assert set(_core.random_string(7, allowed_chars="x")) == {"x"}
    assert len(_core.random_string(True)) == 1  # an index, like range(True)
    with pytest.raises(TypeError):
        _core.random_string()
    with pytest.raises(TypeError):
        _core.random_string(1.5)  # range(1.5) raises TypeError too
    with pytest.raises(TypeError):
        _core.random_string("5")
    with pytest.raises(TypeError):
        _core.random_string(5, b"abc")
    with pytest.raises(TypeError):
        _core.random_string(5, ["a", "b"])
    with pytest.raises(TypeError):
        _core.random_string(5, "ab", "c")
    with pytest.raises(TypeError):
        _core.random_string(5, chars="ab")
    with pytest.raises(TypeError):
        _core.random_string(5, length=5)
    with pytest.raises(ValueError, match="at most"):
        _core.random_string(2**31)
    with pytest.raises(OverflowError):
        _core.random_string(2**70)


def test_strings_differ():
    seen = {_core.random_string(22) for _ in range(1000)}
    assert len(seen) == 1000


@pytest.mark.parametrize(
    "alphabet, draws",
    [
        (RANDOM_STRING_CHARS, 200_000),  # 62: rejection of the top 256 % 62 byte values
        ("".join(chr(0x100 + i) for i in range(129)), 200_000),  # 129: rejects half the bytes
        ("".join(chr(0x4E00 + i) for i in range(300)), 300_000),  # > 256: 32-bit draws
    ],
    ids=["62", "129", "300"],
)
def test_distribution(alphabet, draws):
    # p < 1e-6 happens once in a million runs for a uniform source; a biased
    # draw (e.g. a plain modulo without rejection) gives p around 1e-100.
    counts = collections.Counter()
    done = 0
    while done < draws:
        chunk = _core.random_string(min(50_000, draws - done), alphabet)
        counts.update(chunk)
        done += len(chunk)
    assert set(counts) == set(alphabet)
    p = chi2_pvalue([counts[c] for c in alphabet], draws / len(alphabet))
    assert p > 1e-6, f"chi-square p-value {p:.3g}: the draw is not uniform"


def test_distribution_per_position():
    # the first character is as uniform as the others (no pool warm-up bias)
    counts = collections.Counter(_core.random_string(1, "abcd") for _ in range(40_000))
    assert chi2_pvalue([counts[c] for c in "abcd"], 10_000) > 1e-6


# ---- token_hex / token_urlsafe / random_bytes -------------------------------------------


@pytest.mark.parametrize("nbytes", [0, 1, 2, 3, 16, 31, 32, 33, 100, 1000])
def test_token_hex(nbytes):
    t = _core.token_hex(nbytes)
    assert len(t) == 2 * nbytes == len(secrets.token_hex(nbytes))
    assert set(t) <= HEX and t.isascii()


@pytest.mark.parametrize("nbytes", [0, 1, 2, 3, 16, 31, 32, 33, 100, 1000])
def test_token_urlsafe(nbytes):
    t = _core.token_urlsafe(nbytes)
    assert len(t) == len(secrets.token_urlsafe(nbytes)) == math.ceil(4 * nbytes / 3)
    assert set(t) <= B64URL and t.isascii() and "=" not in t
    assert len(_core.b64url_decode(t, strict=True)) == nbytes


def test_token_defaults_are_32_bytes():
    assert len(_core.token_hex()) == 64 == len(_core.token_hex(None))
    assert len(_core.token_urlsafe()) == 43 == len(_core.token_urlsafe(None))


@pytest.mark.parametrize("fn", [_core.token_hex, _core.token_urlsafe])
def test_token_argument_errors(fn):
    with pytest.raises(ValueError, match="negative"):
        fn(-1)
    with pytest.raises(ValueError, match="at most"):
        fn(2**30 + 1)
    with pytest.raises(OverflowError):
        fn(2**70)
    with pytest.raises(TypeError):
        fn(1.0)
    with pytest.raises(TypeError):
        fn("8")
    with pytest.raises(TypeError):
        fn(1, 2)
    with pytest.raises(TypeError):
        fn(nbytes=8)


@pytest.mark.parametrize("fn", [_core.token_hex, _core.token_urlsafe])
def test_tokens_differ(fn):
    assert len({fn(16) for _ in range(1000)}) == 1000


@pytest.mark.parametrize("n", [0, 1, 32, 4096])
def test_random_bytes(n):
    b = _core.random_bytes(n)
    assert type(b) is bytes and len(b) == n


def test_random_bytes_errors_and_variety():
    with pytest.raises(ValueError):
        _core.random_bytes(-1)
    with pytest.raises(ValueError):
        _core.random_bytes(2**30 + 1)
    with pytest.raises(OverflowError):
        _core.random_bytes(2**70)
    with pytest.raises(TypeError):
        _core.random_bytes(None)
    with pytest.raises(TypeError):
        _core.random_bytes()
    data = _core.random_bytes(100_000)
    counts = collections.Counter(data)
    assert chi2_pvalue([counts[i] for i in range(256)], len(data) / 256) > 1e-6
    assert _core.random_bytes(32) != _core.random_bytes(32)
