"""C-facing tests of the JWT core: arbitrary bytes never crash the decoder
(Hypothesis, also run under ASan/UBSan in CI), mutated tokens end in the
documented exceptions, the ECDSA conversions, reference leaks, threads, and
module re-import."""

import gc
import json
import subprocess
import sys
import threading
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sesstok import _core, jwt
from sesstok.exceptions import DecodeError, InvalidKeyError, MissingRequiredClaimError, PyJWTError

from _jwt_helpers import ALL, FUTURE, HMAC, SECRET, b64, forge, signing_key, verifying_key

pytestmark = pytest.mark.sanitizer

TOKENS = {alg: jwt.encode({"sub": "x", "exp": FUTURE}, signing_key(alg), algorithm=alg) for alg in ALL}
DECODERS = {alg: jwt.Decoder(verifying_key(alg), [alg]) for alg in ALL}


def _decode_everywhere(token):
    """Every decoding entry point; each must return or raise a PyJWTError."""
    for call in (
        lambda: jwt.decode(token, SECRET, algorithms=["HS256"]),
        lambda: jwt.decode_complete(token, verifying_key("ES256"), algorithms=["ES256", "HS256"]),
        lambda: jwt.get_unverified_header(token),
        lambda: jwt.decode(token, options={"verify_signature": False}),
        lambda: jwt.PyJWS().decode(token, verifying_key("EdDSA"), algorithms=["EdDSA"]),
        lambda: DECODERS["RS256"].decode(token),
        lambda: DECODERS["HS512"].decode_jws(token),
    ):
        try:
            call()
        except PyJWTError:
            pass


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600) | st.text(max_size=300))
def test_arbitrary_input_never_crashes(data):
    _decode_everywhere(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    alg=st.sampled_from(ALL),
    pos=st.integers(min_value=0, max_value=2000),
    byte=st.integers(min_value=0, max_value=255),
    mode=st.sampled_from(["replace", "insert", "delete", "truncate"]),
)
def test_mutated_tokens_are_refused_cleanly(alg, pos, byte, mode):
    token = TOKENS[alg].encode()
    pos %= len(token)
    if mode == "replace":
        mutated = token[:pos] + bytes([byte]) + token[pos + 1 :]
    elif mode == "insert":
        mutated = token[:pos] + bytes([byte]) + token[pos:]
    elif mode == "delete":
        mutated = token[:pos] + token[pos + 1 :]
    else:
        mutated = token[:pos]
    if mutated == token:
        return
    with pytest.raises(PyJWTError):
        DECODERS[alg].decode(mutated)
    _decode_everywhere(mutated)


@settings(max_examples=200)
@given(st.binary(max_size=200), st.sampled_from([32, 48, 66]))
def test_ecdsa_der_parser_is_canonical(data, coord):
    try:
        raw = _core.ecdsa_der_to_raw(data, coord)
    except ValueError:
        return
    assert len(raw) == 2 * coord
    assert _core.ecdsa_raw_to_der(raw) == data


@settings(max_examples=200)
@given(st.sampled_from([32, 48, 66]).flatmap(lambda n: st.binary(min_size=2 * n, max_size=2 * n)))
def test_ecdsa_raw_der_round_trip(raw):
    der = _core.ecdsa_raw_to_der(raw)
    assert _core.ecdsa_der_to_raw(der, len(raw) // 2) == raw


def test_ecdsa_der_matches_cryptography():
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    for r, s, n in [(1, 1, 32), (2**255, 5, 32), (0x80, 0x7F, 48), (2**520, 2**519 + 3, 66)]:
        raw = r.to_bytes(n, "big") + s.to_bytes(n, "big")
        assert _core.ecdsa_raw_to_der(raw) == encode_dss_signature(r, s)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_key_loader_never_crashes(data):
    for loader in (jwt.JwtKey.load, lambda d: jwt.prepare_key(d, "HS256")):
        try:
            loader(data)
        except (InvalidKeyError, ValueError):
            pass


def test_header_json_limits_in_c():
    deep = b'{"alg":"HS256","x":' + b"[" * 5000 + b"]" * 5000 + b"}"
    with pytest.raises(DecodeError, match="nesting"):
        jwt.decode(forge(deep, {}), SECRET, algorithms=["HS256"], options={"max_token_length": 100000})


# ---- reference leaks, threads, re-import -----------------------------------------------------


def _leak_loop(fn, rounds=3, n=300):
    fn()
    sizes = []
    for _ in range(rounds):
        gc.collect()
        tracemalloc.start()
        for _ in range(n):
            fn()
        gc.collect()
        sizes.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()
    return sizes


def _calls():
    hs = TOKENS["HS256"]
    es = TOKENS["ES256"]
    bad = forge({"alg": "HS256", "crit": ["x"]}, {"a": 1})
    enc = jwt.Encoder(SECRET, "HS256", headers={"kid": "k"})

    def ok():
        jwt.encode({"sub": "x", "exp": FUTURE, "l": [1, 2.5, None]}, SECRET)
        jwt.decode(hs, SECRET, algorithms=["HS256"])
        jwt.decode_complete(es, verifying_key("ES256"), algorithms=["ES256"])
        DECODERS["HS256"].decode(hs)
        enc.encode({"a": "é"})

    def errors():
        for call in (
            lambda: jwt.decode(hs, "x" * 32, algorithms=["HS256"]),
            lambda: jwt.decode(bad, SECRET, algorithms=["HS256"]),
            lambda: jwt.decode(hs + "x", SECRET, algorithms=["HS256"]),
            lambda: jwt.decode(forge({"alg": "HS256"}, b'{"a":1,"a":2}'), SECRET, algorithms=["HS256"]),
            lambda: jwt.decode(forge({"alg": "HS256"}, {"exp": 1}), SECRET, algorithms=["HS256"]),
            lambda: jwt.decode(forge({"alg": "HS256"}, {"aud": "a"}), SECRET, algorithms=["HS256"]),
            lambda: jwt.encode({}, "short"),
            lambda: jwt.decode(es, SECRET, algorithms=["ES256"]),
        ):
            try:
                call()
            except PyJWTError:
                pass

    return ok, errors


@pytest.mark.parametrize("which", [0, 1])
def test_no_reference_leaks(which):
    fn = _calls()[which]
    sizes = _leak_loop(fn)
    assert sizes[-1] <= sizes[0] + 4096, sizes


def test_refcounts_of_arguments_unchanged():
    token = TOKENS["HS256"]
    key = "k" * 40 + "refcount"
    algorithms = ["HS256"]
    jwt.decode(jwt.encode({"a": 1}, key), key, algorithms=algorithms)
    before = (sys.getrefcount(token), sys.getrefcount(algorithms))
    for _ in range(1000):
        try:
            jwt.decode(token, key, algorithms=algorithms)
        except PyJWTError:
            pass
    assert (sys.getrefcount(token), sys.getrefcount(algorithms)) == before


def test_threads():
    errors = []
    enc = jwt.Encoder(signing_key("EdDSA"), "EdDSA")

    def work(i):
        try:
            for j in range(200):
                claims = {"i": i, "j": j, "exp": FUTURE}
                for alg in HMAC:
                    t = jwt.encode(claims, SECRET, algorithm=alg)
                    assert jwt.decode(t, SECRET, algorithms=[alg]) == claims
                t = enc.encode(claims)
                assert DECODERS["EdDSA"].decode(t) == claims
                assert jwt.decode(t, verifying_key("EdDSA"), algorithms=["EdDSA"]) == claims
                if j % 20 == 0:  # the GIL is released around these
                    for alg in ("RS256", "PS384", "ES256", "ES512"):
                        t = jwt.encode(claims, signing_key(alg), algorithm=alg)
                        assert DECODERS[alg].decode(t) == claims
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_prepared_objects_are_initialized_once():
    # decode/encode release the GIL while they hold the key table
    dec = jwt.Decoder(SECRET, ["HS256"])
    with pytest.raises(RuntimeError):
        dec.__init__(SECRET, ["HS256"])
    enc = jwt.Encoder(SECRET)
    with pytest.raises(RuntimeError):
        enc.__init__(SECRET)
    assert dec.decode(enc.encode({"a": 1})) == {"a": 1}


def test_reconfiguring_while_other_threads_decode():
    inst = jwt.PyJWT()
    token = jwt.encode({"sub": "x", "exp": FUTURE}, signing_key("RS256"), algorithm="RS256")
    stop = threading.Event()
    errors = []

    def decode_loop():
        try:
            while not stop.is_set():
                inst.decode(token, verifying_key("RS256"), algorithms=["RS256"])
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=decode_loop) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(300):
        inst.options = {**inst.options, "require": ["sub"] if i % 2 else ["exp"]}
    stop.set()
    for t in threads:
        t.join()
    assert errors == []


# ---- ownership of options (issue 12: options["require"] was borrowed) ------------------------


def test_decoder_options_are_a_read_only_copy():
    # the Decoder kept options["require"] as a borrowed pointer while
    # Decoder.options exposed the same dict: replacing the list freed it and
    # the next decode read freed memory
    require = ["exp"]
    options = {"require": require}
    dec = jwt.Decoder(SECRET, ["HS256"], options=options)
    with pytest.raises(TypeError):
        dec.options["require"] = ["nope"]
    with pytest.raises(AttributeError):
        dec.options = {"require": ["nope"]}
    # what the caller passed in is the caller's: changing it changes nothing
    options["require"] = ["nope"]
    require.append("also-nope")
    del options, require
    gc.collect()
    assert dec.options["require"] == ("exp",)
    no_exp = jwt.encode({"sub": "x"}, SECRET)
    for _ in range(3):
        with pytest.raises(MissingRequiredClaimError) as e:
            dec.decode(no_exp)
        assert e.value.claim == "exp"
    assert dec.decode(jwt.encode({"exp": FUTURE}, SECRET)) == {"exp": FUTURE}


def test_encoder_headers_are_a_read_only_copy():
    headers = {"kid": "k1"}
    enc = jwt.Encoder(SECRET, "HS256", headers=headers)
    with pytest.raises(TypeError):
        enc.headers["kid"] = "k2"
    headers["kid"] = "k3"
    assert enc.headers["kid"] == "k1"
    assert jwt.get_unverified_header(enc.encode({"a": 1}))["kid"] == "k1"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])  # the GIL is released while they verify
def test_options_changed_in_place_while_other_threads_decode(alg):
    # PyJWT code changes obj.options in place; a decode running without the
    # GIL held only the dict, not the "require" list the change freed. The
    # per-call options dict of another thread's decode is the same case.
    inst = jwt.PyJWT()
    token = jwt.encode({"sub": "x", "exp": FUTURE}, signing_key(alg), algorithm=alg)
    key = jwt.prepare_key(verifying_key(alg), alg)
    per_call = {"require": ["sub"]}
    stop = threading.Event()
    errors = []
    decodes = [0] * 6

    def decode_loop(n):
        use_per_call = n % 2
        try:
            while not stop.is_set():
                decodes[n] += 1
                try:
                    if use_per_call:
                        claims = inst.decode(token, key, algorithms=[alg], options=per_call)
                    else:
                        claims = inst.decode(token, key, algorithms=[alg])
                    assert claims == {"sub": "x", "exp": FUTURE}
                except MissingRequiredClaimError as e:
                    assert e.claim == "jti", e.claim  # the only claim the token lacks
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    threads = [threading.Thread(target=decode_loop, args=(i,)) for i in range(6)]
    try:
        for t in threads:
            t.start()
        i = 0
        # until every thread has decoded a few times while the lists change
        while (i < 3000 or min(decodes) < 20) and i < 2_000_000 and not errors:
            # new lists each time: the previous one is freed by the assignment
            require = [["jti"], ["sub"], ["exp", "sub"]][i % 3]
            inst.options["require"] = list(require)
            per_call["require"] = list(require)
            i += 1
    finally:
        stop.set()
        for t in threads:
            t.join()
        sys.setswitchinterval(interval)
    assert errors == []
    assert min(decodes) >= 20, decodes


def _runtime_name(name):
    """The same text as a str that is not interned (built at run time)."""
    return "".join(list(name))


def test_keywords_match_by_pointer_and_by_value():
    # keyword names from source are interned and match by pointer; names
    # built at run time take the string-comparing path: same results
    token = jwt.encode({"a": 1}, SECRET)
    dynamic = {_runtime_name("key"): SECRET, _runtime_name("algorithms"): ["HS256"]}
    assert jwt.decode(token, **dynamic) == jwt.decode(token, SECRET, algorithms=["HS256"])
    assert jwt.PyJWS().decode(token, **dynamic) == jwt.PyJWS().decode(token, SECRET, algorithms=["HS256"])
    assert jwt.Decoder(SECRET, ["HS256"]).decode(**{_runtime_name("jwt"): token}) == {"a": 1}
    key = jwt.JwtKey.hmac(**{_runtime_name("secret"): SECRET.encode(), "kid": "k"})
    assert key.kid == "k" and jwt.JwtKey.hmac(SECRET.encode(), kid="k").kid == "k"
    # errors are worded by the general parser whichever way the name came
    for name in ("key", _runtime_name("key")):
        with pytest.raises(TypeError, match="got multiple values for argument 'key'"):
            jwt.decode(token, SECRET, algorithms=["HS256"], **{name: SECRET})
    with pytest.raises(TypeError, match="missing required argument 'jwt'"):
        jwt.decode(key=SECRET, algorithms=["HS256"])
    with pytest.raises(TypeError, match="takes at most 1 positional argument"):
        jwt.JwtKey.hmac(SECRET.encode(), "HS256")
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        jwt.JwtKey.hmac(SECRET.encode(), nope=1)
    for name in ("nope", _runtime_name("nope")):
        with pytest.warns(jwt.RemovedInPyjwt3Warning, match=r"Unsupported kwargs: \('nope',\)"):
            assert jwt.decode(token, SECRET, algorithms=["HS256"], **{name: 1}) == {"a": 1}


def test_reimport_in_subprocess():
    code = (
        "import sys, importlib\n"
        "from sesstok import jwt\n"
        "t = jwt.encode({'a': 1}, 's' * 32)\n"
        "del sys.modules['sesstok.jwt'], sys.modules['sesstok._core'], sys.modules['sesstok.exceptions']\n"
        "import sesstok\n"
        "del sesstok._core, sesstok.jwt, sesstok.exceptions\n"
        "from sesstok import jwt as jwt2\n"
        "assert jwt2 is not jwt\n"
        "assert jwt2.decode(t, 's' * 32, algorithms=['HS256']) == {'a': 1}\n"
        "try:\n"
        "    jwt2.decode(t + 'x', 's' * 32, algorithms=['HS256'])\n"
        "except jwt2.InvalidSignatureError:\n"
        "    pass\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_imports_without_django_or_pyjwt():
    code = (
        "import sys\n"
        "sys.modules['django'] = None\n"
        "sys.modules['jwt'] = None\n"
        "from sesstok import jwt\n"
        "assert jwt.decode(jwt.encode({'a': 1}, 's' * 32), 's' * 32, algorithms=['HS256']) == {'a': 1}\n"
        "assert 'cryptography' not in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_json_header_cache_free_paths():
    # headers decoded by C are fresh objects: mutating one does not affect the next decode
    full = jwt.decode_complete(TOKENS["HS256"], SECRET, algorithms=["HS256"])
    full["header"]["alg"] = "none"
    again = jwt.decode_complete(TOKENS["HS256"], SECRET, algorithms=["HS256"])
    assert again["header"]["alg"] == "HS256"
    assert json.loads(_core.b64url_decode(TOKENS["HS256"].split(".")[0])) == again["header"]
    assert jwt.get_unverified_header(TOKENS["HS256"]) is not jwt.get_unverified_header(TOKENS["HS256"])
    # headers with lists are never shared either
    nested = jwt.encode({"a": 1}, SECRET, headers={"x5c": ["a"]})
    h = jwt.decode_complete(nested, SECRET, algorithms=["HS256"])["header"]
    h["x5c"].append("evil")
    assert jwt.decode_complete(nested, SECRET, algorithms=["HS256"])["header"]["x5c"] == ["a"]
    # many distinct headers: the cache stays bounded and answers stay right
    for i in range(200):
        t = jwt.encode({"i": i}, SECRET, headers={"kid": str(i)})
        assert jwt.decode_complete(t, SECRET, algorithms=["HS256"])["header"]["kid"] == str(i)
