"""sesstok.crypto against django.utils.crypto, the oracle: the same names,
signatures, results, return types and exceptions."""

import collections
import hashlib
import hmac
import inspect
import types
import warnings

import pytest
from django.test import override_settings
from django.utils import crypto as dj
from hypothesis import given
from hypothesis import strategies as st

from sesstok import crypto

# hashlib attributes salted_hmac can name (getattr(hashlib, algorithm))
ALGORITHMS = sorted(a for a in hashlib.algorithms_guaranteed if not a.startswith("shake_"))


def _public(module):
    """Names a module defines (not those it imports)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and name != "settings"
        and not isinstance(value, types.ModuleType)
        and (not callable(value) or value.__module__ == module.__name__)
    }


def test_every_public_name_with_the_same_signature():
    names = _public(dj)
    assert names == {
        "InvalidAlgorithm",
        "RANDOM_STRING_CHARS",
        "constant_time_compare",
        "get_random_string",
        "pbkdf2",
        "salted_hmac",
    }  # a new Django name makes this fail: add it to sesstok.crypto
    assert names <= set(crypto.__all__)
    for name in names:
        ours, theirs = getattr(crypto, name), getattr(dj, name)
        if callable(theirs) and not isinstance(theirs, type):
            assert inspect.signature(ours) == inspect.signature(theirs), name
    assert crypto.InvalidAlgorithm is dj.InvalidAlgorithm
    assert crypto.RANDOM_STRING_CHARS == dj.RANDOM_STRING_CHARS


def _same_hmac(ours, theirs):
    assert isinstance(ours, hmac.HMAC)
    assert ours.digest() == theirs.digest()
    assert ours.hexdigest() == theirs.hexdigest()
    assert (ours.name, ours.digest_size) == (theirs.name, theirs.digest_size)
    # hmac.HMAC.copy() leaves block_size unset on its pure-Python path (blake2, sha3)
    assert ours.block_size == getattr(theirs, "block_size", hashlib.new(ours.name[5:]).block_size)


text = st.one_of(st.text(max_size=40), st.binary(max_size=40))


@given(
    key_salt=text,
    value=st.one_of(text, st.integers()),
    secret=st.one_of(st.none(), text),
    algorithm=st.sampled_from(ALGORITHMS),
    more=st.lists(st.binary(max_size=70), max_size=3),
)
def test_salted_hmac_matches_django(key_salt, value, secret, algorithm, more):
    ours = crypto.salted_hmac(key_salt, value, secret, algorithm=algorithm)
    theirs = dj.salted_hmac(key_salt, value, secret, algorithm=algorithm)
    _same_hmac(ours, theirs)
    ours_copy, theirs_copy = ours.copy(), theirs.copy()
    for chunk in more:
        ours.update(chunk)
        theirs.update(chunk)
        _same_hmac(ours, theirs)
    _same_hmac(ours_copy, theirs_copy)  # a copy is not changed by updates of the original
    ours_copy.update(memoryview(b"tail"))
    theirs_copy.update(memoryview(b"tail"))
    _same_hmac(ours_copy, theirs_copy)


def _warned(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, [(w.category, str(w.message)) for w in caught]


def test_salted_hmac_default_algorithm_as_the_installed_django():
    # sha1 by default; Django 6.1 warns (RemovedInDjango2028Warning) before using it
    ours, our_warnings = _warned(crypto.salted_hmac, "salt", "value")
    theirs, their_warnings = _warned(dj.salted_hmac, "salt", "value")
    _same_hmac(ours, theirs)
    assert ours.name == "hmac-sha1" and our_warnings == their_warnings


def test_salted_hmac_secret_follows_settings():
    before = crypto.salted_hmac("salt", "value", algorithm="sha256").digest()
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40):
        _same_hmac(
            crypto.salted_hmac("salt", "value", algorithm="sha256"), dj.salted_hmac("salt", "value", algorithm="sha256")
        )
        assert crypto.salted_hmac("salt", "value", algorithm="sha256").digest() != before


@pytest.mark.parametrize("algorithm", ["nope", "shake_128", "new", None, 5])
def test_salted_hmac_bad_algorithms_raise_as_django(algorithm):
    with pytest.raises(Exception) as theirs:
        dj.salted_hmac("salt", "value", algorithm=algorithm).digest()
    with pytest.raises(type(theirs.value)) as ours:
        crypto.salted_hmac("salt", "value", algorithm=algorithm).digest()
    assert str(ours.value) == str(theirs.value)


def test_update_refuses_str_like_hmac():
    with pytest.raises(TypeError):
        dj.salted_hmac("s", "v", algorithm="sha1").update("text")
    with pytest.raises(TypeError):
        crypto.salted_hmac("s", "v", algorithm="sha1").update("text")


@pytest.mark.parametrize("length", [0, 1, 12, 32, 100, -3, True])
@pytest.mark.parametrize("chars", [dj.RANDOM_STRING_CHARS, "ab", "0123456789abcdef", "äöü€😀"])
def test_get_random_string_shape(length, chars):
    value = crypto.get_random_string(length, chars)
    assert type(value) is str
    assert len(value) == len(dj.get_random_string(length, chars))
    assert set(value) <= set(chars)


def test_get_random_string_default_alphabet_and_keywords():
    value = crypto.get_random_string(length=64)
    assert len(value) == 64 and set(value) <= set(dj.RANDOM_STRING_CHARS)
    assert len({crypto.get_random_string(22) for _ in range(100)}) == 100


def test_get_random_string_weights_characters_as_secrets_choice():
    # secrets.choice picks an index: a repeated character is drawn more often
    counts = collections.Counter(crypto.get_random_string(30000, "aab"))
    assert 19400 < counts["a"] < 20600  # expected 20000, sd ~82
    counts = collections.Counter(crypto.get_random_string(30000, "abc"))
    assert all(9400 < counts[c] < 10600 for c in "abc")


@pytest.mark.parametrize("length, chars", [(3, ""), (2.0, "ab"), ("3", "ab"), (3, b"ab"), (3, None)])
def test_get_random_string_bad_input_raises_as_django(length, chars):
    with pytest.raises(Exception) as theirs:
        dj.get_random_string(length, chars)
    with pytest.raises(type(theirs.value)):
        crypto.get_random_string(length, chars)


def test_get_random_string_non_str_alphabets_as_django():
    assert set(crypto.get_random_string(10, ["x", "yz"])) <= set("xyz")
    assert crypto.get_random_string(0, b"ab") == dj.get_random_string(0, b"ab") == ""


@given(
    a=st.one_of(st.text(max_size=20), st.binary(max_size=20), st.integers()),
    b=st.one_of(st.text(max_size=20), st.binary(max_size=20), st.integers()),
)
def test_constant_time_compare_matches_django(a, b):
    assert crypto.constant_time_compare(a, b) is dj.constant_time_compare(a, b)
    assert crypto.constant_time_compare(a, a) is True


@pytest.mark.parametrize("value", ["é", "€uro", b"\xff", 12])
def test_constant_time_compare_non_ascii(value):
    assert crypto.constant_time_compare(value, value) is dj.constant_time_compare(value, value) is True


@pytest.mark.parametrize("digest", [None, hashlib.sha1, hashlib.sha512])
def test_pbkdf2_matches_django(digest):
    assert crypto.pbkdf2("pw", "salt", 1000, 0, digest) == dj.pbkdf2("pw", "salt", 1000, 0, digest)
    assert crypto.pbkdf2(b"pw", b"salt", 10, dklen=7) == dj.pbkdf2(b"pw", b"salt", 10, dklen=7)


def test_get_random_string_length_limit():
    # README, sesstok.crypto: "refuses lengths above 2**30 with ValueError"
    with pytest.raises(ValueError, match="at most 2"):
        crypto.get_random_string(2**30 + 1)
