"""Prepared HMAC keys, digests and constant-time comparison in sesstok._core
(csrc/crypto.c, crypto_py.c): known-answer vectors (RFC 4231, Wycheproof),
Django's salted_hmac, hashlib and hmac.compare_digest as oracles."""

import hashlib
import hmac
import json
import os
import pathlib

import pytest
from django.utils.crypto import salted_hmac
from hypothesis import given
from hypothesis import strategies as st

from sesstok import _core

pytestmark = pytest.mark.sanitizer  # CI also runs this file under ASan/UBSan

VECTORS = pathlib.Path(__file__).parent / "vectors"
RFC4231_ALGORITHMS = ["sha224", "sha256", "sha384", "sha512"]


def load(name):
    with open(VECTORS / name, encoding="utf-8") as f:
        data = json.load(f)
    assert data.get("source"), f"{name} must say where it came from"
    return data


# ---- RFC 4231 ----------------------------------------------------------------

RFC4231 = load("rfc4231.json")["vectors"]


@pytest.mark.parametrize("algorithm", RFC4231_ALGORITHMS)
@pytest.mark.parametrize("vector", RFC4231, ids=lambda v: f"tc{v['test_case']}")
def test_rfc4231(vector, algorithm):
    key = bytes.fromhex(vector["key_hex"])
    data = bytes.fromhex(vector["data_hex"])
    expected = bytes.fromhex(vector[f"hmac_{algorithm}"])
    hk = _core.HmacKey(key, algorithm)
    mac = hk.digest(data)
    assert len(mac) == hk.digest_size == hashlib.new(algorithm).digest_size
    assert mac[: len(expected)] == expected
    if len(expected) == hk.digest_size:
        assert hk.verify(data, expected)
    else:  # test case 5 is truncated: a prefix is not the MAC
        assert not hk.verify(data, expected)
        assert hk.verify(data, mac)


def test_rfc4231_covers_long_keys():
    # test cases 6 and 7 use a 131-byte key: longer than every block size
    assert any(len(bytes.fromhex(v["key_hex"])) > 128 for v in RFC4231)


# ---- Wycheproof -------------------------------------------------------------------


def wycheproof_cases():
    for bits in (256, 384, 512):
        data = load(f"wycheproof_hmac_sha{bits}.json")
        assert data["algorithm"] == f"HMACSHA{bits}"
        for group in data["testGroups"]:
            for test in group["tests"]:
                yield pytest.param(f"sha{bits}", group["tagSize"], test, id=f"sha{bits}-{test['tcId']}")


@pytest.mark.parametrize("algorithm, tag_bits, test", list(wycheproof_cases()))
def test_wycheproof(algorithm, tag_bits, test):
    key, msg, tag = (bytes.fromhex(test[k]) for k in ("key", "msg", "tag"))
    hk = _core.HmacKey(key, algorithm)
    mac = hk.digest(msg)
    truncated = mac[: tag_bits // 8]
    # no 'acceptable' HMAC vectors exist; should one appear, it must be decided
    assert test["result"] in ("valid", "invalid"), test
    if test["result"] == "valid":
        assert truncated == tag
        assert hk.verify(msg, tag) == (tag_bits // 8 == hk.digest_size)
    else:
        assert truncated != tag
        assert not hk.verify(msg, tag)


# ---- Django's salted_hmac --------------------------------------------------------

secrets_ = st.one_of(st.text(max_size=80), st.binary(max_size=200))
salts = st.one_of(st.text(max_size=60), st.binary(max_size=60))
values = st.one_of(st.text(max_size=200), st.binary(max_size=300))


def test_hmac_fast_path_follows_the_build_macro():
    # SHA-1/SHA-2 keys copy precomputed SHA states (hmac_sha.c) unless the
    # module was built with SESSTOK_NO_FAST_HMAC=1 (CI builds both and runs
    # these vectors and the Django oracles against each): then every HMAC
    # takes the EVP path of crypto.c.
    built_without = os.environ.get("SESSTOK_NO_FAST_HMAC") == "1"
    assert _core.HMAC_FAST_PATH is (not built_without)


def test_hmac_algorithms_are_hashlib_names():
    assert "sha256" in _core.HMAC_ALGORITHMS
    assert len(set(_core.HMAC_ALGORITHMS)) == len(_core.HMAC_ALGORITHMS)
    for name in _core.HMAC_ALGORITHMS:
        assert name in hashlib.algorithms_available


@pytest.mark.parametrize("algorithm", _core.HMAC_ALGORITHMS)
@given(secret=secrets_, salt=salts, value=values)
def test_salted_matches_django(algorithm, secret, salt, value):
    expected = salted_hmac(salt, value, secret, algorithm=algorithm).digest()
    hk = _core.HmacKey(secret, algorithm, salt=salt)
    assert hk.digest(value) == expected
    assert hk.verify(value, expected)
    assert hk.algorithm == algorithm


@pytest.mark.parametrize("algorithm", _core.HMAC_ALGORITHMS)
@given(key=st.binary(max_size=300), msg=st.binary(max_size=300))
def test_plain_matches_hmac(algorithm, key, msg):
    expected = hmac.new(key, msg, getattr(hashlib, algorithm)).digest()
    assert _core.HmacKey(key, algorithm).digest(msg) == expected


def test_default_algorithm_is_sha256():
    hk = _core.HmacKey(b"k")
    assert hk.algorithm == "sha256" and hk.digest_size == 32
    assert hk.digest(b"m") == hmac.new(b"k", b"m", "sha256").digest()


def test_str_is_utf8():
    secret, salt, value = "sécret-😀", "sälz", "välue-€"
    expected = salted_hmac(salt, value, secret, algorithm="sha256").digest()
    assert _core.HmacKey(secret, salt=salt).digest(value) == expected
    assert _core.HmacKey(secret.encode(), salt=salt.encode()).digest(value.encode()) == expected


def test_message_buffers():
    hk = _core.HmacKey(b"k")
    expected = hmac.new(b"k", b"message", "sha256").digest()
    assert hk.digest(bytearray(b"message")) == expected
    assert hk.digest(memoryview(b"xmessage")[1:]) == expected
    assert hk.verify(b"message", bytearray(expected))
    assert hk.verify(b"message", memoryview(expected))


def test_empty_salt_is_not_no_salt():
    # salt="" is Django's derivation with an empty salt; no salt is a plain key
    assert _core.HmacKey(b"s", salt="").digest(b"m") == salted_hmac("", b"m", b"s", algorithm="sha256").digest()
    assert _core.HmacKey(b"s").digest(b"m") == hmac.new(b"s", b"m", "sha256").digest()


def test_verify_rejects_near_misses():
    hk = _core.HmacKey(b"k", "sha512")
    mac = hk.digest(b"m")
    assert hk.verify(b"m", mac)
    assert not hk.verify(b"m", mac[:-1])
    assert not hk.verify(b"m", mac + b"\0")
    assert not hk.verify(b"m", b"")
    for i in (0, len(mac) // 2, len(mac) - 1):
        assert not hk.verify(b"m", mac[:i] + bytes([mac[i] ^ 1]) + mac[i + 1 :])
    assert not hk.verify(b"n", mac)


def test_hmac_key_errors():
    with pytest.raises(ValueError, match="unsupported HMAC algorithm"):
        _core.HmacKey(b"k", "nope")
    with pytest.raises(TypeError):
        _core.HmacKey(b"k", b"sha256")  # algorithm must be str
    with pytest.raises(TypeError, match="secret must be str or bytes"):
        _core.HmacKey(1)
    with pytest.raises(TypeError):
        _core.HmacKey()
    with pytest.raises(TypeError):
        _core.HmacKey(b"k", "sha256", "salt")  # salt is keyword-only
    with pytest.raises(TypeError, match="salt must be str or bytes"):
        _core.HmacKey(b"k", salt=1)
    with pytest.raises(UnicodeEncodeError):
        _core.HmacKey("\udc80")  # Django's force_bytes raises the same
    with pytest.raises(UnicodeEncodeError):
        _core.HmacKey("k", salt="\udc80")
    hk = _core.HmacKey(b"k")
    with pytest.raises(TypeError):
        hk.digest(None)
    with pytest.raises(UnicodeEncodeError):
        hk.digest("\udc80")
    with pytest.raises(TypeError):
        hk.verify(b"m")
    with pytest.raises(TypeError):
        hk.verify(b"m", "not bytes")
    with pytest.raises(AttributeError):
        hk.algorithm = "sha1"


def test_hmac_key_type_is_immutable():
    with pytest.raises(TypeError):
        _core.HmacKey.digest = None


def test_hmac_cache_functions():
    _core.hmac_cache_clear()
    assert _core.hmac_cache_size() == 0


# ---- compare_digest ---------------------------------------------------------------


@given(a=st.binary(max_size=64), b=st.binary(max_size=64))
def test_compare_digest_bytes(a, b):
    assert _core.compare_digest(a, b) is hmac.compare_digest(a, b)
    assert _core.compare_digest(a, a) is True


@given(
    a=st.text(alphabet=st.characters(max_codepoint=127), max_size=64),
    b=st.text(alphabet=st.characters(max_codepoint=127), max_size=64),
)
def test_compare_digest_ascii_str(a, b):
    assert _core.compare_digest(a, b) is hmac.compare_digest(a, b)


def test_compare_digest_semantics():
    assert _core.compare_digest(b"", b"") is True
    assert _core.compare_digest(b"abc", b"abd") is False
    assert _core.compare_digest(b"abc", b"abcd") is False  # lengths differ
    assert _core.compare_digest(bytearray(b"abc"), memoryview(b"abc")) is True
    for bad in [(b"a", None), (1, 1), (b"a", 1.0)]:
        with pytest.raises(TypeError):
            _core.compare_digest(*bad)
    with pytest.raises(TypeError):
        _core.compare_digest(b"a")
    with pytest.raises(TypeError):
        _core.compare_digest(b"a", b"a", b"a")


# compare_digest refuses exactly what hmac.compare_digest refuses.
@pytest.mark.parametrize("a, b", [("é", "é".encode()), ("é", "é"), ("abc", b"abc")])
def test_compare_digest_refuses_what_hmac_refuses(a, b):
    with pytest.raises(TypeError):
        hmac.compare_digest(a, b)
    with pytest.raises(TypeError):
        _core.compare_digest(a, b)


# ---- digest -----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", _core.HMAC_ALGORITHMS)
@given(data=st.binary(max_size=500))
def test_digest_matches_hashlib(algorithm, data):
    assert _core.digest(algorithm, data) == hashlib.new(algorithm, data).digest()


def test_digest_inputs_and_errors():
    assert _core.digest("sha256", "é") == hashlib.sha256("é".encode()).digest()
    assert _core.digest("sha256", bytearray(b"x")) == hashlib.sha256(b"x").digest()
    assert _core.digest("sha256", memoryview(b"yx")[1:]) == hashlib.sha256(b"x").digest()
    big = bytes(range(256)) * 4096
    assert _core.digest("sha512", big) == hashlib.sha512(big).digest()
    with pytest.raises(ValueError, match="unsupported digest"):
        _core.digest("nope", b"x")
    with pytest.raises(ValueError, match="unsupported digest"):
        _core.digest(b"sha256", b"x")
    with pytest.raises(TypeError):
        _core.digest("sha256", None)
    with pytest.raises(TypeError):
        _core.digest("sha256")
    with pytest.raises(UnicodeEncodeError):
        _core.digest("sha256", "\ud800")
