"""sesstok.jwt against the installed PyJWT, the oracle.

Same encode output byte for byte; each library decodes the other's tokens
for every algorithm and key form; the same exception classes (by name and
hierarchy) and messages where sesstok is not documented to be stricter
(tests/test_jwt_strict.py covers those)."""

import copy
import datetime
import http.server
import inspect
import json
import threading
import time
import uuid
import warnings
import zlib
from decimal import Decimal
from unittest import mock

import jwt as pyjwt
import jwt.exceptions as pyjwt_exceptions
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sesstok import _core, exceptions, jwt

from _jwt_helpers import (
    ALL,
    forge,
    ASYM,
    DETERMINISTIC,
    FUTURE,
    HMAC,
    PAST,
    SECRET,
    crypto_private,
    crypto_public,
    header_extras,
    key_bytes,
    key_text,
    payloads,
    signing_key,
    verifying_key,
)

PAYLOAD = {"sub": "1234567890", "name": "John Doe", "iat": 1516239022, "exp": FUTURE}


def outcome(fn, *args, **kwargs):
    """(result, None) or (None, (exception class name, message))."""
    try:
        return fn(*args, **kwargs), None
    except Exception as e:  # noqa: BLE001 - comparing whatever is raised
        return None, (type(e).__name__, str(e))


# ---- surface -------------------------------------------------------------------------------


def test_exception_names_and_hierarchy_match_pyjwt():
    names = [
        n
        for n in dir(pyjwt_exceptions)
        if isinstance(getattr(pyjwt_exceptions, n), type) and issubclass(getattr(pyjwt_exceptions, n), Exception)
    ]
    assert "InvalidSignatureError" in names
    for name in names:
        ours = getattr(exceptions, name)
        theirs = getattr(pyjwt_exceptions, name)
        our_bases = [c.__name__ for c in ours.__mro__ if c.__module__ == "sesstok.exceptions"]
        their_bases = [c.__name__ for c in theirs.__mro__ if c.__module__ == "jwt.exceptions"]
        assert our_bases == their_bases, name
        assert getattr(jwt, name) is ours
    assert issubclass(jwt.InvalidSignatureError, jwt.DecodeError)
    assert issubclass(jwt.DecodeError, jwt.InvalidTokenError)
    assert issubclass(jwt.InvalidTokenError, jwt.PyJWTError)
    for name in ("ExpiredSignatureError", "InvalidAudienceError", "MissingRequiredClaimError"):
        assert issubclass(getattr(jwt, name), jwt.InvalidTokenError)
    assert issubclass(jwt.InvalidKeyError, jwt.PyJWTError)
    assert not issubclass(jwt.InvalidKeyError, jwt.InvalidTokenError)
    assert str(jwt.MissingRequiredClaimError("exp")) == str(pyjwt.MissingRequiredClaimError("exp"))
    assert issubclass(jwt.InsecureKeyLengthWarning, UserWarning)
    assert issubclass(jwt.RemovedInPyjwt3Warning, DeprecationWarning)


def test_public_names_of_pyjwt_exist():
    for name in pyjwt.__all__:
        assert hasattr(jwt, name), name


def _params(fn):
    return [(p.name, p.kind) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (jwt.encode, pyjwt.encode),
        (jwt.decode, pyjwt.decode),
        (jwt.decode_complete, pyjwt.decode_complete),
        (jwt.get_unverified_header, pyjwt.get_unverified_header),
        (jwt.PyJWS().encode, pyjwt.PyJWS().encode),
        (jwt.PyJWS().decode, pyjwt.PyJWS().decode),
        (jwt.PyJWS().decode_complete, pyjwt.PyJWS().decode_complete),
        (jwt.PyJWT, pyjwt.PyJWT),
        (jwt.PyJWS, pyjwt.PyJWS),
        (jwt.PyJWK, pyjwt.PyJWK),
        (jwt.PyJWKClient, pyjwt.PyJWKClient),
    ],
)
def test_signatures_match_pyjwt(ours, theirs):
    assert [n for n, _ in _params(ours)] == [n for n, _ in _params(theirs)]


def test_default_options():
    theirs = pyjwt.PyJWT().options
    ours = jwt.PyJWT().options
    assert set(ours) == set(theirs)
    assert {k: v for k, v in ours.items() if k != "enforce_minimum_key_length"} == {
        k: v for k, v in theirs.items() if k != "enforce_minimum_key_length"
    }
    assert ours["enforce_minimum_key_length"] is True  # PyJWT: False (warn only)
    assert jwt.PyJWS().options == {"verify_signature": True, "enforce_minimum_key_length": True}


# ---- encode parity ---------------------------------------------------------------------------


@pytest.mark.parametrize("alg", [a for a in DETERMINISTIC if a not in HMAC])
@pytest.mark.parametrize("form", ["pem", "bytes", "der", "crypto"])
def test_encode_identical_every_key_form(alg, form):
    key = signing_key(alg, form)
    oracle_key = signing_key(alg, "crypto")
    assert jwt.encode(PAYLOAD, key, algorithm=alg) == pyjwt.encode(PAYLOAD, oracle_key, algorithm=alg)


def test_encode_hmac_secret_forms():
    for key in (SECRET, SECRET.encode(), "ü" * 40, b"\x00\xff" * 40):
        assert jwt.encode(PAYLOAD, key) == pyjwt.encode(PAYLOAD, key)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=payloads,
    extra=header_extras,
    kid=st.none() | st.text(max_size=10),
    typ=st.sampled_from([None, "JWT", "at+jwt", "", None]),
    sort_headers=st.booleans(),
    alg=st.sampled_from(DETERMINISTIC),
)
def test_encode_byte_identical_hypothesis(payload, extra, kid, typ, sort_headers, alg):
    headers = dict(extra)
    if kid is not None:
        headers["kid"] = kid
    if typ is not None or "typ" in headers:
        headers["typ"] = typ
    key = signing_key(alg, "crypto") if alg not in HMAC else SECRET
    ours = jwt.encode(payload, key, algorithm=alg, headers=headers or None, sort_headers=sort_headers)
    theirs = pyjwt.encode(payload, key, algorithm=alg, headers=headers or None, sort_headers=sort_headers)
    assert ours == theirs


@settings(max_examples=60)
@given(payload=st.dictionaries(st.text(max_size=5), st.floats() | st.text(), max_size=4))
def test_encode_identical_with_any_text_and_floats(payload):
    # lone surrogates, NaN and infinities: the same bytes as PyJWT (sesstok's
    # decoder then refuses such tokens, see test_jwt_strict); a float "iss"
    # or "sub" is the same TypeError in both
    from _parity import assert_same

    assert_same(lambda: pyjwt.encode(payload, SECRET), lambda: jwt.encode(payload, SECRET))


def test_encode_defaults_and_algorithm_selection():
    assert jwt.encode(PAYLOAD, SECRET) == pyjwt.encode(PAYLOAD, SECRET)
    headers = {"alg": "HS512", "kid": "k1"}
    assert jwt.encode(PAYLOAD, SECRET, algorithm="HS256", headers=headers) == pyjwt.encode(
        PAYLOAD, SECRET, algorithm="HS256", headers=headers
    )
    assert jwt.encode(PAYLOAD, SECRET, headers={"typ": None}) == pyjwt.encode(PAYLOAD, SECRET, headers={"typ": None})
    assert jwt.encode(PAYLOAD, SECRET, headers={"b64": True}) == pyjwt.encode(PAYLOAD, SECRET, headers={"b64": True})
    assert jwt.encode(PAYLOAD, SECRET, headers={}) == pyjwt.encode(PAYLOAD, SECRET, headers={})


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2099, 1, 2, 3, 4, 5),
        datetime.datetime(2099, 1, 2, 3, 4, 5, 999999, tzinfo=datetime.timezone.utc),
        datetime.datetime(2099, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=-7))),
        datetime.datetime(1960, 6, 1),
        datetime.datetime(1, 1, 1, 0, 0, 1),
        datetime.datetime(9999, 12, 31, 23, 59, 59),
    ],
)
def test_datetime_claims_converted_as_pyjwt(value):
    payload = {"exp": value, "iat": value, "nbf": value, "other": 1}
    assert jwt.encode(payload, SECRET) == pyjwt.encode(payload, SECRET)
    assert payload["exp"] is value  # the caller's dict is not changed


def test_datetime_subclass_and_claims_not_converted_elsewhere():
    class MyDT(datetime.datetime):
        pass

    payload = {"exp": MyDT(2099, 5, 5), "iat": 5, "nbf": 7.5}
    assert jwt.encode(payload, SECRET) == pyjwt.encode(payload, SECRET)
    with pytest.raises(TypeError):
        jwt.encode({"other": datetime.datetime(2099, 1, 1)}, SECRET)


def test_json_encoder_parity():
    class Enc(json.JSONEncoder):
        def default(self, o):
            if isinstance(o, (Decimal, uuid.UUID)):
                return str(o)
            return super().default(o)

    payload = {"d": Decimal("1.10"), "u": uuid.UUID(int=5), "n": [1, 2.5, None]}
    headers = {"kid": "x", "u": uuid.UUID(int=7)}
    assert jwt.encode(payload, SECRET, headers=headers, json_encoder=Enc) == pyjwt.encode(
        payload, SECRET, headers=headers, json_encoder=Enc
    )
    with pytest.raises(TypeError):
        jwt.encode({"d": Decimal(1)}, SECRET)


def test_dict_subclass_payloads():
    from collections import OrderedDict

    class D(dict):
        pass

    for payload in (OrderedDict([("b", 1), ("a", 2)]), D(a=1, exp=datetime.datetime(2099, 1, 1))):
        assert jwt.encode(payload, SECRET) == pyjwt.encode(payload, SECRET)


def test_encode_errors_as_pyjwt():
    for args, kwargs in [
        (([1, 2], SECRET), {}),
        (({"iss": 5}, SECRET), {}),
        ((PAYLOAD, SECRET), {"algorithm": "HS999"}),
        ((PAYLOAD, SECRET), {"headers": {"kid": 5}}),
    ]:
        assert outcome(jwt.encode, *args, **kwargs) == outcome(pyjwt.encode, *args, **kwargs)


# ---- decode parity -----------------------------------------------------------------------------

VERIFY_FORMS = ["pem", "bytes", "der", "ssh", "crypto"]


@pytest.mark.parametrize("alg", ALL)
def test_cross_decode_every_algorithm(alg):
    for form in VERIFY_FORMS if alg not in HMAC else ["pem"]:
        vkey = verifying_key(alg, form)
        oracle_vkey = verifying_key(alg, "crypto") if alg not in HMAC else SECRET
        ours = jwt.encode(PAYLOAD, signing_key(alg), algorithm=alg)
        theirs = pyjwt.encode(PAYLOAD, signing_key(alg, "crypto") if alg not in HMAC else SECRET, algorithm=alg)
        assert pyjwt.decode(ours, oracle_vkey, algorithms=[alg]) == PAYLOAD
        assert jwt.decode(theirs, vkey, algorithms=[alg]) == PAYLOAD
        assert jwt.decode(ours, vkey, algorithms=[alg]) == PAYLOAD
        full = jwt.decode_complete(theirs, vkey, algorithms=[alg])
        assert full == pyjwt.decode_complete(theirs, oracle_vkey, algorithms=[alg])
        assert list(full) == ["payload", "header", "signature"]


@pytest.mark.parametrize("alg", ASYM)
def test_decode_with_private_key_and_jwk(alg):
    token = jwt.encode(PAYLOAD, signing_key(alg), algorithm=alg)
    # a private key verifies too
    assert jwt.decode(token, signing_key(alg), algorithms=[alg]) == PAYLOAD
    # PyJWT's JWK export, loaded as sesstok and as PyJWT PyJWK objects
    their_jwk = pyjwt.PyJWK.from_dict(
        json.loads(pyjwt.algorithms.get_default_algorithms()[alg].to_jwk(crypto_public(ASYM[alg]))),
        alg,
    )
    ours_jwk = jwt.PyJWK(their_jwk._jwk_data, alg)
    assert jwt.decode(token, ours_jwk) == PAYLOAD  # algorithms default to the JWK's
    assert jwt.decode(token, their_jwk) == PAYLOAD
    assert jwt.decode(token, their_jwk._jwk_data, algorithms=[alg]) == PAYLOAD


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payloads, extra=header_extras, alg=st.sampled_from(ALL))
def test_cross_decode_hypothesis(payload, extra, alg):
    skey = signing_key(alg, "crypto") if alg not in HMAC else SECRET
    vkey = verifying_key(alg, "crypto") if alg not in HMAC else SECRET
    headers = extra or None
    ours = jwt.encode(payload, skey, algorithm=alg, headers=headers)
    theirs = pyjwt.encode(payload, skey, algorithm=alg, headers=headers)
    if alg in DETERMINISTIC:
        assert ours == theirs
    assert pyjwt.decode(ours, vkey, algorithms=[alg]) == payload
    assert jwt.decode(theirs, vkey, algorithms=[alg]) == payload
    assert jwt.get_unverified_header(theirs) == pyjwt.get_unverified_header(theirs)


def test_jws_bytes_payloads_and_detached():
    ours, theirs = jwt.PyJWS(), pyjwt.PyJWS()
    for payload in (b"", b"hello", bytes(range(256))):
        t = ours.encode(payload, SECRET)
        assert t == theirs.encode(payload, SECRET)
        assert ours.decode(t, SECRET, algorithms=["HS256"]) == payload
        assert theirs.decode(t, SECRET, algorithms=["HS256"]) == payload
        d = ours.encode(payload, SECRET, is_payload_detached=True)
        assert d == theirs.encode(payload, SECRET, is_payload_detached=True)
        assert ours.decode(d, SECRET, algorithms=["HS256"], detached_payload=payload) == payload
        assert theirs.decode(d, SECRET, algorithms=["HS256"], detached_payload=payload) == payload
    d = ours.encode(b"x", SECRET, headers={"b64": False, "crit": ["b64"]})
    assert d == theirs.encode(b"x", SECRET, headers={"b64": False, "crit": ["b64"]})
    for args, kwargs in [
        ((d, SECRET), {"algorithms": ["HS256"]}),
        ((t, SECRET), {"algorithms": ["HS256"], "detached_payload": b"x"}),
        ((d, SECRET), {"algorithms": ["HS256"], "detached_payload": b"y"}),
    ]:
        assert outcome(ours.decode, *args, **kwargs) == outcome(theirs.decode, *args, **kwargs)
    with pytest.raises(TypeError):
        ours.encode("str payload", SECRET)


# ---- claims: the same results as PyJWT ---------------------------------------------------------

NOW = 1_700_000_000.5

CLAIM_CASES = [
    ({"exp": int(NOW) + 10}, {}),
    ({"exp": int(NOW) - 10}, {}),
    ({"exp": int(NOW)}, {}),
    ({"exp": int(NOW) - 10}, {"leeway": 20}),
    ({"exp": int(NOW) - 10}, {"leeway": datetime.timedelta(seconds=20)}),
    ({"exp": NOW - 0.4}, {}),
    ({"exp": 1e15}, {}),
    ({"nbf": int(NOW) + 10}, {}),
    ({"nbf": int(NOW) + 10}, {"leeway": 15.5}),
    ({"nbf": int(NOW)}, {}),
    ({"iat": int(NOW) + 100}, {}),
    ({"iat": int(NOW) - 100}, {}),
    ({"iat": int(NOW) + 100}, {"options": {"verify_iat": False}}),
    ({"exp": int(NOW) - 1}, {"options": {"verify_exp": False}}),
    ({"exp": int(NOW) - 1}, {"options": {"verify_signature": False}}),
    ({"exp": int(NOW) - 1}, {"options": {"verify_signature": False, "verify_exp": True}}),
    ({}, {"options": {"require": ["exp"]}}),
    ({"exp": None}, {"options": {"require": ["exp"]}}),
    ({"exp": FUTURE, "sub": "x"}, {"options": {"require": ["exp", "sub"]}}),
    ({"aud": "a"}, {}),
    ({"aud": "a"}, {"audience": "a"}),
    ({"aud": ["a", "b"]}, {"audience": "b"}),
    ({"aud": ["a", "b"]}, {"audience": ["c", "b"]}),
    ({"aud": ["a", "b"]}, {"audience": ["c"]}),
    ({"aud": "a"}, {"audience": "ab"}),
    ({}, {"audience": "a"}),
    ({"aud": ""}, {"audience": "a"}),
    ({"aud": []}, {}),
    ({"aud": ["a", 1]}, {"audience": "a"}),
    ({"aud": 5}, {"audience": "a"}),
    ({"aud": {"a": 1}}, {"audience": "a"}),
    ({"aud": "a"}, {"audience": "a", "options": {"strict_aud": True}}),
    ({"aud": ["a"]}, {"audience": "a", "options": {"strict_aud": True}}),
    ({"aud": "a"}, {"audience": ["a"], "options": {"strict_aud": True}}),
    ({"aud": "a"}, {"audience": "b", "options": {"strict_aud": True}}),
    ({"aud": "x"}, {"audience": "a", "options": {"verify_aud": False}}),
    ({"aud": "a"}, {"audience": 5}),
    ({"iss": "me"}, {"issuer": "me"}),
    ({"iss": "me"}, {"issuer": "you"}),
    ({"iss": "me"}, {"issuer": ["you", "me"]}),
    ({"iss": "me"}, {"issuer": {"you"}}),
    ({"iss": "me"}, {"issuer": 5}),
    ({}, {"issuer": "me"}),
    ({"iss": 5}, {"issuer": "me"}),
    ({"iss": 5}, {}),
    ({"sub": "x"}, {"subject": "x"}),
    ({"sub": "x"}, {"subject": "y"}),
    ({"sub": 5}, {}),
    ({"jti": "id"}, {}),
    ({"jti": 5}, {}),
    ({"jti": 5}, {"options": {"verify_jti": False}}),
    ({"sub": 5, "jti": 5, "aud": "q", "iss": 5}, {"options": {"verify_signature": False}}),
    ({"exp": int(NOW) - 1, "nbf": int(NOW) + 1, "iat": int(NOW) + 1}, {}),
    ({"exp": int(NOW) - 1, "aud": "x"}, {"audience": "y"}),
]


@pytest.mark.parametrize("claims,kwargs", CLAIM_CASES)
def test_claims_same_as_pyjwt(claims, kwargs):
    token = forge({"alg": "HS256", "typ": "JWT"}, claims)
    with mock.patch("time.time", return_value=NOW), mock.patch("jwt.api_jwt.datetime") as dt:
        dt.now.return_value = datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc)
        theirs = outcome(pyjwt.decode, token, SECRET, algorithms=["HS256"], **kwargs)
        ours = outcome(jwt.decode, token, SECRET, algorithms=["HS256"], **kwargs)
        ours_full = outcome(jwt.decode_complete, token, SECRET, algorithms=["HS256"], **kwargs)
    assert ours == theirs
    assert (ours_full[1] is None) == (ours[1] is None)


def test_clock_is_read_at_call_time():
    token = jwt.encode({"exp": 1000}, SECRET)
    with mock.patch("time.time", return_value=999.0):
        assert jwt.decode(token, SECRET, algorithms=["HS256"]) == {"exp": 1000}
    with mock.patch("time.time", return_value=1000.0):
        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(token, SECRET, algorithms=["HS256"])


def test_positional_argument_orders():
    token = pyjwt.encode({"aud": "a", "iss": "i", "sub": "s"}, SECRET)
    # decode: audience, subject, issuer; decode_complete: audience, issuer, subject
    args = (token, SECRET, ["HS256"], None, None, None, "a", "s", "i")
    assert jwt.decode(*args) == pyjwt.decode(*args)
    args = (token, SECRET, ["HS256"], None, None, None, "a", "i", "s")
    assert jwt.decode_complete(*args)["payload"] == pyjwt.decode_complete(*args)["payload"]


def test_decode_warnings_as_pyjwt():
    token = jwt.encode(PAYLOAD, SECRET)
    with pytest.warns(jwt.RemovedInPyjwt3Warning, match=r"Unsupported kwargs: \('foo',\)"):
        jwt.decode(token, SECRET, algorithms=["HS256"], foo=1)
    with pytest.warns(DeprecationWarning, match="`verify` argument"):
        jwt.decode(token, SECRET, algorithms=["HS256"], verify=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jwt.decode(token, SECRET, algorithms=["HS256"], verify=True)


@pytest.mark.parametrize("cls", [jwt.PyJWT, lambda: CompressedJWT()], ids=["c", "hooked"])
def test_decode_warning_texts_and_place_as_pyjwt(cls):
    # the texts live in sesstok.jwt._decode_warnings; they point at the
    # caller of decode, as PyJWT's (stacklevel=2) do
    ours = cls()
    theirs = pyjwt.PyJWT() if ours.__class__ is jwt.PyJWT else OracleCompressedJWT()
    token = theirs.encode(PAYLOAD, SECRET)
    for fname in ("decode", "decode_complete"):
        caught = {}
        for name, obj in (("ours", ours), ("theirs", theirs)):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                getattr(obj, fname)(token, SECRET, algorithms=["HS256"], foo=1, bar=2)
            caught[name] = [(x.category.__name__, str(x.message), x.filename) for x in w]
        assert caught["ours"] == caught["theirs"]
        assert caught["ours"][0][2] == __file__
    jws_token = pyjwt.PyJWS().encode(b"x", SECRET)
    for fname in ("decode", "decode_complete"):
        with pytest.warns(jwt.RemovedInPyjwt3Warning) as ours_w:
            getattr(jwt.PyJWS(), fname)(jws_token, SECRET, algorithms=["HS256"], foo=1)
        with pytest.warns(pyjwt.warnings.RemovedInPyjwt3Warning) as theirs_w:
            getattr(pyjwt.PyJWS(), fname)(jws_token, SECRET, algorithms=["HS256"], foo=1)
        assert [str(x.message) for x in ours_w] == [str(x.message) for x in theirs_w]


def test_verify_signature_false():
    token = jwt.encode(PAYLOAD, SECRET)
    opts = {"verify_signature": False}
    assert jwt.decode(token, options=opts) == pyjwt.decode(token, options=opts)
    assert jwt.decode(token, "wrong", options=opts) == PAYLOAD
    assert jwt.decode_complete(token, options=opts)["header"] == {"alg": "HS256", "typ": "JWT"}
    # PyJWT ignores an instance's verify_signature=False for the signature
    inst = jwt.PyJWT(options={"verify_signature": False})
    oracle = pyjwt.PyJWT(options={"verify_signature": False})
    assert outcome(inst.decode, token, "x" * 32, algorithms=["HS256"]) == outcome(
        oracle.decode, token, "x" * 32, algorithms=["HS256"]
    )


def test_pyjwk_bound_algorithm():
    jwk = jwt.PyJWK({"kty": "oct", "k": jwt.PyJWK.__name__ and _core.b64url_encode(b"k" * 32).decode()})
    assert jwk.algorithm_name == "HS256"
    token = jwt.encode(PAYLOAD, jwk)
    assert token == jwt.encode(PAYLOAD, b"k" * 32)
    assert jwt.decode(token, jwk) == PAYLOAD
    other = jwt.encode(PAYLOAD, b"k" * 48, algorithm="HS384")
    key48 = jwt.PyJWK({"kty": "oct", "k": _core.b64url_encode(b"k" * 48).decode()})
    assert outcome(jwt.decode, other, key48) == (
        None,
        ("InvalidAlgorithmError", "The specified alg value is not allowed"),
    )
    with pytest.raises(jwt.InvalidAlgorithmError, match="does not match the key's algorithm"):
        jwt.decode(other, key48, algorithms=["HS256", "HS384"])


# ---- instance options, subclasses and hooks --------------------------------------------------


def test_instance_options_and_algorithms():
    inst = jwt.PyJWT(options={"verify_exp": False})
    token = jwt.encode({"exp": PAST}, SECRET)
    assert inst.decode(token, SECRET, algorithms=["HS256"]) == {"exp": PAST}
    inst.options = {**inst.options, "verify_exp": True}
    with pytest.raises(jwt.ExpiredSignatureError):
        inst.decode(token, SECRET, algorithms=["HS256"])
    jws = jwt.PyJWS(algorithms=["HS256"])
    assert jws.get_algorithms() == ["HS256"]
    with pytest.raises(NotImplementedError):
        jws.encode(b"x", SECRET, algorithm="HS384")
    t = jwt.PyJWS().encode(b"x", SECRET * 2, algorithm="HS512")
    with pytest.raises(jwt.InvalidAlgorithmError, match="Algorithm not supported"):
        jws.decode(t, SECRET * 2, algorithms=["HS512"])
    full = jwt.PyJWS()
    full.unregister_algorithm("HS512")
    with pytest.raises(jwt.InvalidAlgorithmError):
        full.decode(t, SECRET * 2, algorithms=["HS512"])
    with pytest.raises(KeyError):
        full.unregister_algorithm("HS512")
    full.register_algorithm("HS512", jwt.get_algorithm_by_name("HS512"))
    assert full.decode(t, SECRET * 2, algorithms=["HS512"]) == b"x"
    with pytest.raises(NotImplementedError):
        full.register_algorithm("XX1", object())


def test_get_algorithm_by_name():
    alg = jwt.get_algorithm_by_name("ES256")
    msg = b"message"
    sig = alg.sign(msg, key_text("p256_private.pem"))
    assert alg.verify(msg, key_text("p256_public.pem"), sig)
    assert not alg.verify(msg + b"!", key_text("p256_public.pem"), sig)
    assert jwt.get_algorithm_by_name("HS256").check_key_length(b"short") is not None
    with pytest.raises(NotImplementedError):
        jwt.get_algorithm_by_name("none")


class CompressedJWT(jwt.PyJWT):
    def _encode_payload(self, payload, headers=None, json_encoder=None):
        return zlib.compress(super()._encode_payload(payload, headers, json_encoder))

    def _decode_payload(self, decoded):
        decoded["payload"] = zlib.decompress(decoded["payload"])
        return super()._decode_payload(decoded)


class OracleCompressedJWT(pyjwt.PyJWT):
    def _encode_payload(self, payload, headers=None, json_encoder=None):
        return zlib.compress(super()._encode_payload(payload, headers, json_encoder))

    def _decode_payload(self, decoded):
        decoded["payload"] = zlib.decompress(decoded["payload"])
        return super()._decode_payload(decoded)


def test_payload_hooks_as_pyjwt():
    ours, theirs = CompressedJWT(), OracleCompressedJWT()
    t = ours.encode(PAYLOAD, SECRET)
    assert t == theirs.encode(PAYLOAD, SECRET)
    assert ours.decode(t, SECRET, algorithms=["HS256"]) == PAYLOAD
    assert theirs.decode(t, SECRET, algorithms=["HS256"]) == PAYLOAD


def test_encode_payload_hook_gets_a_copy_as_pyjwt():
    class Adds(jwt.PyJWT):
        def _encode_payload(self, payload, headers=None, json_encoder=None):
            payload["added"] = True
            return super()._encode_payload(payload, headers, json_encoder)

    class OracleAdds(pyjwt.PyJWT):
        def _encode_payload(self, payload, headers=None, json_encoder=None):
            payload["added"] = True
            return super()._encode_payload(payload, headers, json_encoder)

    ours_payload, theirs_payload = dict(PAYLOAD), dict(PAYLOAD)
    assert Adds().encode(ours_payload, SECRET) == OracleAdds().encode(theirs_payload, SECRET)
    assert ours_payload == theirs_payload == PAYLOAD


def test_hooks_reach_overridden_decode_and_encode_through_super():
    # a subclass that also overrides encode/decode and calls super() still
    # gets its hooks run, as in PyJWT
    class Both(CompressedJWT):
        def encode(self, payload, key, **kwargs):
            return super().encode({**payload, "wrapped": 1}, key, **kwargs)

        def decode(self, token, key, **kwargs):
            return super().decode(token, key, **kwargs)

    class OracleBoth(OracleCompressedJWT):
        def encode(self, payload, key, **kwargs):
            return super().encode({**payload, "wrapped": 1}, key, **kwargs)

        def decode(self, token, key, **kwargs):
            return super().decode(token, key, **kwargs)

    token = Both().encode(PAYLOAD, SECRET, algorithm="HS256")
    assert token == OracleBoth().encode(PAYLOAD, SECRET, algorithm="HS256")
    expected = OracleBoth().decode(token, SECRET, algorithms=["HS256"])
    assert Both().decode(token, SECRET, algorithms=["HS256"]) == expected
    assert Both().decode_complete(token, SECRET, algorithms=["HS256"])["payload"] == expected


def test_validate_claims_hook_keeps_the_calls_json_depth():
    # only _validate_claims is overridden: the payload is still parsed with
    # the call's max_json_depth, as for a plain PyJWT
    class Custom(jwt.PyJWT):
        def _validate_claims(self, payload, options, **kwargs):
            super()._validate_claims(payload, options, **kwargs)

    deep = jwt.encode({"a": [[[[1]]]]}, SECRET)
    for obj in (jwt.PyJWT(), Custom()):
        assert obj.decode(deep, SECRET, algorithms=["HS256"]) == {"a": [[[[1]]]]}
        with pytest.raises(jwt.DecodeError, match="nesting"):
            obj.decode(deep, SECRET, algorithms=["HS256"], options={"max_json_depth": 3})


def test_validate_claims_hook():
    seen = []

    class Custom(jwt.PyJWT):
        def _validate_claims(self, payload, options, **kwargs):
            seen.append((payload, options["verify_exp"], kwargs["audience"]))
            super()._validate_claims(payload, options, **kwargs)

    token = jwt.encode({"exp": FUTURE, "aud": "a"}, SECRET)
    assert Custom().decode(token, SECRET, algorithms=["HS256"], audience="a")
    assert seen == [({"exp": FUTURE, "aud": "a"}, True, "a")]
    with pytest.raises(jwt.InvalidAudienceError):
        Custom().decode(token, SECRET, algorithms=["HS256"], audience="b")


def test_header_typ_subclass():
    class AtJWS(jwt.PyJWS):
        header_typ = "at+jwt"

    class OracleAtJWS(pyjwt.PyJWS):
        header_typ = "at+jwt"

    assert AtJWS().encode(b"{}", SECRET) == OracleAtJWS().encode(b"{}", SECRET)


# ---- key length policy -----------------------------------------------------------------------


def test_minimum_key_length_warn_only_mode():
    relaxed = jwt.PyJWT(options={"enforce_minimum_key_length": False})
    with pytest.warns(jwt.InsecureKeyLengthWarning, match="The HMAC key is 5 bytes long"):
        token = relaxed.encode(PAYLOAD, "short")
    with pytest.warns(jwt.InsecureKeyLengthWarning):
        assert relaxed.decode(token, "short", algorithms=["HS256"]) == PAYLOAD
    with pytest.warns(pyjwt.InsecureKeyLengthWarning):
        assert pyjwt.decode(token, "short", algorithms=["HS256"]) == PAYLOAD
    with pytest.raises(jwt.InvalidKeyError, match="below the minimum recommended length"):
        jwt.decode(token, "short", algorithms=["HS256"])
    with pytest.warns(jwt.InsecureKeyLengthWarning):
        assert (
            jwt.decode(token, "short", algorithms=["HS256"], options={"enforce_minimum_key_length": False}) == PAYLOAD
        )
    rsa1024 = key_text("rsa1024_private.pem")
    with pytest.raises(jwt.InvalidKeyError, match="The RSA key is 1024 bits long"):
        jwt.encode(PAYLOAD, rsa1024, algorithm="RS256")
    with pytest.warns(jwt.InsecureKeyLengthWarning, match="1024 bits"):
        t = relaxed.encode(PAYLOAD, rsa1024, algorithm="RS256")
    with pytest.warns(jwt.InsecureKeyLengthWarning):
        relaxed.decode(t, key_text("rsa1024_public.pem"), algorithms=["RS256"])


# ---- Encoder and Decoder ---------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALL)
def test_encoder_matches_encode(alg):
    headers = {"kid": "k1", "x": [1, 2]}
    enc = jwt.Encoder(signing_key(alg), alg, headers=headers)
    dec = jwt.Decoder(verifying_key(alg), [alg])
    token = enc.encode(PAYLOAD)
    if alg in DETERMINISTIC:
        assert token == jwt.encode(PAYLOAD, signing_key(alg), algorithm=alg, headers=headers)
    assert dec.decode(token) == PAYLOAD
    assert dec.decode_complete(token)["header"] == {"alg": alg, "typ": "JWT", **headers}
    assert enc.algorithm == alg
    oracle_key = verifying_key(alg, "crypto") if alg not in HMAC else SECRET
    assert pyjwt.decode(token, oracle_key, algorithms=[alg]) == PAYLOAD


def test_encoder_and_decoder_with_jwks():
    numbers = crypto_public("p256").public_numbers()
    pub = {
        "kty": "EC",
        "crv": "P-256",
        "kid": "e1",
        "x": _core.b64url_encode(numbers.x.to_bytes(32, "big")).decode(),
        "y": _core.b64url_encode(numbers.y.to_bytes(32, "big")).decode(),
    }
    priv = {
        **pub,
        "d": _core.b64url_encode(crypto_private("p256").private_numbers().private_value.to_bytes(32, "big")).decode(),
    }
    enc = jwt.Encoder(jwt.PyJWK(priv), headers={"kid": "e1"})
    assert enc.algorithm == "ES256"  # from the JWK
    token = enc.encode(PAYLOAD)
    for keys in (jwt.PyJWK(pub), [jwt.PyJWK(pub)], pub, {"keys": [pub]}, [pub]):
        dec = jwt.Decoder(keys, ["ES256"])
        assert dec.decode(token) == PAYLOAD
        assert [kid for _, kid in dec.keys] == ["e1"]
    assert pyjwt.decode(token, pyjwt.PyJWK(pub)) == PAYLOAD


def test_encoder_options():
    enc = jwt.Encoder(SECRET, "HS384", headers={"typ": None}, sort_headers=False)
    assert enc.encode(PAYLOAD) == pyjwt.encode(PAYLOAD, SECRET, "HS384", headers={"typ": None}, sort_headers=False)
    assert jwt.Encoder(SECRET).algorithm == "HS256"
    with pytest.raises(jwt.InvalidKeyError):
        jwt.Encoder("short", "HS256")
    with pytest.warns(jwt.InsecureKeyLengthWarning):
        jwt.Encoder("short", "HS256", enforce_minimum_key_length=False)
    with pytest.raises(jwt.InvalidKeyError, match="private key"):
        jwt.Encoder(verifying_key("ES256"), "ES256")
    with pytest.raises(NotImplementedError):
        jwt.Encoder(SECRET, "none")
    with pytest.raises(TypeError):
        enc.encode([1])
    assert enc.encode({"exp": datetime.datetime(2099, 1, 1)}) == pyjwt.encode(
        {"exp": datetime.datetime(2099, 1, 1)}, SECRET, "HS384", headers={"typ": None}, sort_headers=False
    )


def test_decoder_options_audience_issuer_leeway():
    dec = jwt.Decoder(SECRET, ["HS256"], audience="api", issuer="me", leeway=10, options={"require": ["exp", "sub"]})
    good = jwt.encode({"aud": "api", "iss": "me", "sub": "u", "exp": int(NOW) - 5}, SECRET)
    with mock.patch("time.time", return_value=NOW):
        assert dec.decode(good)["sub"] == "u"
        for claims, exc in [
            ({"aud": "x", "iss": "me", "sub": "u", "exp": FUTURE}, jwt.InvalidAudienceError),
            ({"aud": "api", "iss": "x", "sub": "u", "exp": FUTURE}, jwt.InvalidIssuerError),
            ({"aud": "api", "iss": "me", "exp": FUTURE}, jwt.MissingRequiredClaimError),
            ({"aud": "api", "iss": "me", "sub": "u", "exp": int(NOW) - 11}, jwt.ExpiredSignatureError),
        ]:
            with pytest.raises(exc):
                dec.decode(jwt.encode(claims, SECRET))
    with pytest.raises(ValueError):
        jwt.Decoder(SECRET, [])
    with pytest.raises(ValueError):
        jwt.Decoder(SECRET, ["HS256"], options={"verify_signature": False})
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.Decoder(SECRET, ["HS256", "none"])
    with pytest.raises(NotImplementedError):
        jwt.Decoder(SECRET, ["HS256", "ES256K"])


def test_decoder_key_rotation_by_kid():
    old, new = "o" * 32, "n" * 32
    dec = jwt.Decoder({"2023": old, "2024": new}, ["HS256"])
    t_old = jwt.encode(PAYLOAD, old, headers={"kid": "2023"})
    t_new = jwt.encode(PAYLOAD, new, headers={"kid": "2024"})
    assert dec.decode(t_old) == dec.decode(t_new) == PAYLOAD
    # a kid selects its key only: the other key's signature does not pass
    with pytest.raises(jwt.InvalidSignatureError):
        dec.decode(jwt.encode(PAYLOAD, new, headers={"kid": "2023"}))
    # an unknown kid reaches no key
    with pytest.raises(jwt.InvalidSignatureError, match="kid"):
        dec.decode(jwt.encode(PAYLOAD, new, headers={"kid": "2025"}))
    # no kid: every configured key is tried
    assert dec.decode(jwt.encode(PAYLOAD, old)) == PAYLOAD
    # keys without a kid are tried when the token's kid matches none
    mixed = jwt.Decoder([("a", old), new], ["HS256"])
    assert mixed.decode(jwt.encode(PAYLOAD, new, headers={"kid": "zzz"})) == PAYLOAD
    with pytest.raises(jwt.InvalidSignatureError):
        mixed.decode(jwt.encode(PAYLOAD, new, headers={"kid": "a"}))
    assert [kid for _, kid in mixed.keys] == ["a", None]


def test_decoder_asymmetric_rotation_and_jwks():
    es = jwt.Encoder(signing_key("ES256"), "ES256", headers={"kid": "ec"})
    rs = jwt.Encoder(signing_key("RS256"), "RS256", headers={"kid": "rsa"})
    jwks = {
        "keys": [
            {**json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(crypto_public("p256"))), "kid": "ec"},
            {
                **json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(crypto_public("rsa2048"))),
                "kid": "rsa",
                "alg": "RS256",
            },
            {"kty": "RSA", "use": "enc", "kid": "skip", "n": "AQAB", "e": "AQAB"},
        ]
    }
    for keys in (jwks, jwt.PyJWKSet.from_dict(jwks)):
        dec = jwt.Decoder(keys, ["ES256", "RS256"])
        assert dec.decode(es.encode(PAYLOAD)) == PAYLOAD
        assert dec.decode(rs.encode(PAYLOAD)) == PAYLOAD
        with pytest.raises(jwt.InvalidAlgorithmError):
            dec.decode(jwt.encode(PAYLOAD, signing_key("PS256"), "PS256", headers={"kid": "rsa"}))
    dec = jwt.Decoder({"ec": verifying_key("ES256"), "rsa": verifying_key("RS256")}, ["ES256", "RS256"])
    assert dec.decode(rs.encode(PAYLOAD)) == PAYLOAD
    with pytest.raises(jwt.InvalidAlgorithmError):  # ES256 token naming the RSA key
        dec.decode(jwt.encode(PAYLOAD, signing_key("ES256"), "ES256", headers={"kid": "rsa"}))


def test_decoder_refuses_bad_key_sets():
    with pytest.raises(jwt.InvalidKeyError, match="all symmetric"):
        jwt.Decoder([SECRET, verifying_key("RS256")], ["HS256", "RS256"])
    with pytest.raises(jwt.InvalidKeyError, match="Duplicate kid"):
        jwt.Decoder([("a", SECRET), ("a", "t" * 32)], ["HS256"])
    with pytest.raises(jwt.InvalidKeyError, match="cannot be used"):
        jwt.Decoder(verifying_key("ES384"), ["ES256"])
    with pytest.raises(jwt.InvalidKeyError):
        jwt.Decoder("short", ["HS256"])
    with pytest.warns(jwt.InsecureKeyLengthWarning):
        jwt.Decoder("short", ["HS256"], options={"enforce_minimum_key_length": False})


# ---- keys: loading and caching ---------------------------------------------------------------


def test_key_forms_load():
    for name in (
        "rsa2048_private_pkcs1.pem",
        "rsa2048_public_pkcs1.pem",
        "rsa2048_public_pkcs1.der",
        "p256_private_sec1.pem",
    ):
        k = jwt.prepare_key(key_bytes(name))
        assert k.kty in ("RSA", "EC")
    for bad, match in [
        (key_bytes("p256_private_encrypted.pem"), "Could not parse"),
        (key_bytes("secp256k1_public.pem"), "unsupported EC curve"),
        (key_bytes("ed448_public.pem"), "unsupported key type"),
        (key_bytes("cert.pem"), "Could not parse"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "Could not parse"),
        (b"ssh-rsa AAAAB3NzaC1yc2E= x", "OpenSSH"),
        (b"ssh-dss AAAAB3NzaC1kc3M= x", "OpenSSH"),
        (b"garbage", "Could not parse"),
    ]:
        with pytest.raises(jwt.InvalidKeyError, match=match):
            jwt.prepare_key(bad, "ES256")
    with pytest.raises(jwt.InvalidKeyError, match="Ed448"):
        jwt.prepare_key(crypto_private("ed448"))
    with pytest.raises(TypeError):
        jwt.decode(jwt.encode(PAYLOAD, SECRET), 12345, algorithms=["HS256"])
    with pytest.raises(TypeError):
        jwt.decode(jwt.encode(PAYLOAD, signing_key("ES256"), "ES256"), 12345, algorithms=["ES256"])


def test_jwk_forms():
    k = jwt.PyJWK.from_json(json.dumps({"kty": "oct", "k": _core.b64url_encode(SECRET.encode()).decode(), "kid": "x"}))
    assert (k.key_type, k.key_id, k.public_key_use, k.algorithm_name) == ("oct", "x", None, "HS256")
    assert k.key.kid == "x"
    # RSA private key from n, e, d only: the primes are recovered
    numbers = crypto_private("rsa2048").private_numbers()

    def enc(x):
        return _core.b64url_encode(x.to_bytes((x.bit_length() + 7) // 8, "big")).decode()

    jwk = {"kty": "RSA", "n": enc(numbers.public_numbers.n), "e": enc(numbers.public_numbers.e), "d": enc(numbers.d)}
    token = jwt.encode(PAYLOAD, jwt.PyJWK(jwk), "RS256")
    assert jwt.decode(token, verifying_key("RS256"), algorithms=["RS256"]) == PAYLOAD
    # a private key whose halves do not match is refused
    other = crypto_private("rsa1024").private_numbers()
    with pytest.raises(jwt.InvalidKeyError):
        jwt.PyJWK({**jwk, "d": enc(other.d)})
    for bad in [
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "Ed448", "x": "AA"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB", "p": "AQAB"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "oth": []},
        {"kty": "oct", "k": ""},
        {"kty": "oct", "k": "AAAA", "use": "enc"},
        {"kty": "oct", "k": "AAAA", "key_ops": ["encrypt"]},
        {"kty": "oct", "k": "AAAA", "kid": 5},
        {"kty": "XYZ"},
    ]:
        with pytest.raises((jwt.InvalidKeyError, jwt.PyJWKError)):
            jwt.PyJWK(bad)
    with pytest.raises(jwt.PyJWKError):
        jwt.PyJWK({"kty": "oct", "k": "AAAA", "alg": "A256GCM"})
    assert jwt.PyJWK({"kty": "oct", "k": "AAAA", "key_ops": ["sign, verify"]}).key


def test_jwk_set():
    s = jwt.PyJWKSet.from_json(json.dumps({"keys": [{"kty": "oct", "k": "AAAA", "kid": "a"}, {"kty": "nope"}, "junk"]}))
    assert [k.key_id for k in s] == ["a"]
    assert s["a"].key_id == "a"
    with pytest.raises(KeyError):
        s["b"]
    with pytest.raises(jwt.PyJWKSetError):
        jwt.PyJWKSet([])
    with pytest.raises(jwt.PyJWKSetError):
        jwt.PyJWKSet([{"kty": "nope"}])


def test_keys_are_parsed_once_and_cached():
    _core.jwt_key_cache_clear()
    pem = key_text("rsa2048_private.pem")
    token = jwt.encode(PAYLOAD, pem, "RS256")
    assert _core.jwt_key_cache_size() == 1
    with mock.patch.object(jwt, "_load_key", side_effect=AssertionError("reparsed")):
        for _ in range(3):
            assert jwt.encode(PAYLOAD, pem, "RS256")
            # an equal string (not the same object) hits the cache too
            assert jwt.encode(PAYLOAD, "".join(pem), "RS256")
    assert jwt.decode(token, key_text("rsa2048_public.pem"), algorithms=["RS256"]) == PAYLOAD
    assert _core.jwt_key_cache_size() == 2
    # unhashable key objects (cryptography's public keys) are cached by identity
    pub = crypto_public("p256")
    with pytest.raises(TypeError):
        hash(pub)
    es = jwt.encode(PAYLOAD, signing_key("ES256"), "ES256")
    assert jwt.decode(es, pub, algorithms=["ES256"]) == PAYLOAD
    with mock.patch.object(jwt, "_load_key", side_effect=AssertionError("reparsed")):
        assert jwt.decode(es, pub, algorithms=["ES256"]) == PAYLOAD
    # but never dicts, which may change after first use
    jwk = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(pub))
    assert jwt.decode(es, jwk, algorithms=["ES256"]) == PAYLOAD
    jwk["x"] = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(crypto_public("p256")))["y"]
    with pytest.raises(jwt.InvalidKeyError):
        jwt.decode(es, jwk, algorithms=["ES256"])
    for i in range(300):
        jwt.encode(PAYLOAD, SECRET + str(i))
    assert _core.jwt_key_cache_size() <= 2 * 256


# ---- PyJWKClient -------------------------------------------------------------------------------


@pytest.fixture
def jwks_server():
    jwk = {**json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(crypto_public("p256"))), "kid": "ec1", "use": "sig"}
    state = {"hits": 0, "body": json.dumps({"keys": [jwk]}).encode()}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            state["hits"] += 1
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/jwks")
                self.end_headers()
                return
            body = state["body"] if self.path == "/jwks" else b"[1]"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()


def test_pyjwkclient(jwks_server):
    base, state = jwks_server
    token = jwt.encode(PAYLOAD, signing_key("ES256"), "ES256", headers={"kid": "ec1"})
    client = jwt.PyJWKClient(base + "/jwks")
    key = client.get_signing_key_from_jwt(token)
    assert key.key_id == "ec1"
    assert jwt.decode(token, key, algorithms=["ES256"]) == PAYLOAD
    assert jwt.decode(token, key.key, algorithms=["ES256"]) == PAYLOAD
    client.get_signing_key("ec1")
    assert state["hits"] == 1  # cached
    with pytest.raises(jwt.PyJWKClientError, match="Unable to find"):
        client.get_signing_key("nope")
    with pytest.raises(jwt.PyJWKClientError, match="JSON object"):
        jwt.PyJWKClient(base + "/other").get_jwk_set()
    with pytest.raises(jwt.PyJWKClientConnectionError):
        jwt.PyJWKClient(base + "/redirect").get_jwk_set()
    with pytest.raises(jwt.PyJWKClientError, match="scheme"):
        jwt.PyJWKClient("file:///etc/passwd")
    with pytest.raises(jwt.PyJWKClientConnectionError):
        jwt.PyJWKClient("http://127.0.0.1:1/jwks", timeout=2).get_jwk_set()


@pytest.mark.parametrize(
    "change",
    [
        lambda o: o.__setitem__("verify_exp", False),
        lambda o: o.update(verify_exp=False),
        lambda o: o.update({"verify_signature": False}),
        lambda o: o.__ior__({"verify_exp": False}),
        lambda o: o.setdefault("verify_exp", False),  # present: no change, still expired
        lambda o: o.pop("verify_exp"),  # PyJWT: KeyError at decode, sesstok: the default
    ],
    ids=["setitem", "update-kw", "update-dict", "ior", "setdefault-present", "pop"],
)
def test_options_changed_in_place_are_seen_as_by_pyjwt(change):
    """PyJWT reads PyJWT().options on every call; sesstok prepares them once
    and re-prepares on every in-place change."""
    token = pyjwt.encode({"exp": int(time.time()) - 100, "sub": "x"}, SECRET, algorithm="HS256")
    outcomes = []
    for module in (pyjwt, jwt):
        obj = module.PyJWT()
        change(obj.options)
        try:
            outcomes.append(obj.decode(token, SECRET, algorithms=["HS256"]))
        except Exception as exc:  # the exception's name is the outcome
            outcomes.append(type(exc).__name__)
    if outcomes[0] == "KeyError":
        # PyJWT fails on the missing key; sesstok falls back to the default
        assert outcomes[1] == "ExpiredSignatureError"
    else:
        assert outcomes[0] == outcomes[1]


def test_replaced_options_dict_is_not_watched_any_more():
    obj = jwt.PyJWT()
    old = obj.options
    obj.options = {**old, "verify_exp": True}
    old["verify_exp"] = False  # the old dict is no longer the object's
    token = jwt.encode({"exp": int(time.time()) - 100}, SECRET, algorithm="HS256")
    with pytest.raises(jwt.ExpiredSignatureError):
        obj.decode(token, SECRET, algorithms=["HS256"])
    assert type(copy.deepcopy(obj.options)) is dict
