"""Tests of sesstok._core as a C extension module: import without Django,
re-import and sub-interpreters (PEP 489 multi-phase init, per-module state),
a reference-leak loop over every public callable, and many threads.

To cover a new function or method of _core, add entries to LEAK_CASES below
(one per code path worth looping: success and each error path). The test
``test_every_public_callable_is_looped`` fails until you do.
"""

import ctypes
import dataclasses
import datetime
import gc
import hmac
import importlib
import os
import string
import subprocess
import sys
import textwrap
import threading
import zlib
from typing import Any, Callable, Optional

import pytest

import sesstok
from sesstok import _core

pytestmark = pytest.mark.sanitizer  # CI also runs this file under ASan/UBSan

# Directory holding the imported ``sesstok`` package, so subprocesses and
# sub-interpreters import the very same build (an ASan build in CI, say).
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(sesstok.__file__)))


def _under_asan():
    try:
        return hasattr(ctypes.CDLL(None), "__asan_init")
    except OSError:
        return False


UNDER_ASAN = _under_asan()


def _subprocess_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
    return env


# ---- import without Django -------------------------------------------------


def test_imports_without_django():
    code = "import sys; sys.modules['django'] = None; import sesstok._core; print(sesstok._core.__file__)"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_subprocess_env(),
        cwd=PACKAGE_PARENT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert os.path.samefile(proc.stdout.strip(), _core.__file__)


def test_import_pulls_in_no_django():
    code = (
        "import sys, sesstok._core\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_subprocess_env(), timeout=120
    )
    assert proc.returncode == 0, proc.stderr


# ---- re-import and sub-interpreters ----------------------------------------


def _smoke(mod):
    """A few calls that touch every kind of module state."""
    assert mod.HmacKey(b"k", "sha256").digest(b"m") == hmac.new(b"k", b"m", "sha256").digest()
    assert mod.b64url_decode(mod.b64url_encode(b"\x00\xffabc"), strict=True) == b"\x00\xffabc"
    assert mod.zlib_decompress(mod.zlib_compress(b"x" * 1000)) == b"x" * 1000
    assert len(mod.random_string(12)) == 12
    assert mod.get_limits()["max_decompressed_size"] == mod.DEFAULT_MAX_DECOMPRESSED_SIZE


def test_reimport_creates_an_independent_module():
    # mirrors markupsafe's test_ext_init: a fresh module object from the same .so
    saved = sys.modules.pop("sesstok._core")
    try:
        fresh = importlib.import_module("sesstok._core")
        assert fresh is not saved
        assert fresh.HmacKey is not saved.HmacKey  # heap types are per module
        _smoke(fresh)
        # state is per module: limits set on one do not leak into the other
        old = fresh.set_limits(max_decompressed_size=1000)
        try:
            assert saved.get_limits()["max_decompressed_size"] == old["max_decompressed_size"]
        finally:
            fresh.set_limits(**old)
    finally:
        sys.modules["sesstok._core"] = saved
        sesstok._core = saved
    _smoke(saved)


def test_reimported_module_is_collected():
    import weakref

    saved = sys.modules.pop("sesstok._core")
    try:
        fresh = importlib.import_module("sesstok._core")
        key = fresh.HmacKey(b"secret")  # instance -> type -> module -> state -> type
        ref = weakref.ref(fresh)
        del sys.modules["sesstok._core"]
    finally:
        sys.modules["sesstok._core"] = saved
        sesstok._core = saved
    assert key.digest(b"m") == hmac.new(b"secret", b"m", "sha256").digest()
    del fresh, key
    gc.collect()
    assert ref() is None, "module not freed: m_traverse misses a reference, or a cycle is uncollectable"
    _smoke(saved)


def _subinterp_code():
    expected = hmac.new(b"k", b"m", "sha256").digest()
    return textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{PACKAGE_PARENT!r}]
        import sesstok._core as c
        assert c.__file__ == {_core.__file__!r}, c.__file__
        assert c.HmacKey(b"k", "sha256").digest(b"m") == {expected!r}
        assert c.b64url_decode(c.b64url_encode(b"abc"), strict=True) == b"abc"
        assert c.zlib_decompress(c.zlib_compress(b"x" * 1000)) == b"x" * 1000
        assert len(c.random_string(10)) == 10
        c.set_limits(max_decompressed_size=10)
        """
    )


def test_subinterpreter_shared_gil():
    _testcapi = pytest.importorskip("_testcapi", reason="_testcapi not built for this Python")
    before = _core.get_limits()
    assert _testcapi.run_in_subinterp(_subinterp_code()) == 0
    assert _core.get_limits() == before  # the sub-interpreter had its own state
    _smoke(_core)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="per-interpreter GIL needs Python 3.12+")
def test_subinterpreter_own_gil():
    interpreters = pytest.importorskip("test.support.interpreters", reason="test.support.interpreters not available")
    if sys.version_info >= (3, 13):
        interp = interpreters.create()  # isolated: own GIL, checks Py_mod_multiple_interpreters
        run = interp.exec
    else:
        interp = interpreters.create(isolated=True)
        run = interp.run
    try:
        run(_subinterp_code())
    finally:
        interp.close()
    _smoke(_core)


# ---- reference-leak loop ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LeakCase:
    covers: str  # the public name exercised: "func" or "Type.method"
    func: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    raises: Optional[type] = None  # the exception this call must raise
    limits: Optional[dict] = None  # _core.set_limits(**limits) around the loop
    note: str = ""

    @property
    def id(self):
        return f"{self.covers}{'-' + self.note if self.note else ''}"


def case(covers, func, *args, raises=None, limits=None, note="", **kwargs):
    return LeakCase(covers, func, args, kwargs, raises, limits, note)


_KEY = _core.HmacKey(b"leak-test-key", "sha256")
_KEY512 = _core.HmacKey("leak-test-key", "sha512", salt="django.core.signing")
_MAC = _KEY.digest(b"message")
_Z_SMALL = zlib.compress(b"hello world " * 20)
_Z_BOMB = zlib.compress(b"\0" * 5000)
_Z_TRUNCATED = _Z_SMALL[:-5]
_Z_CORRUPT = _Z_SMALL[:2] + b"\xff\xff\xff" + _Z_SMALL[5:]
_BIG = os.urandom(700)  # above pymalloc's small-object limit
_UNI_ALPHABET = "aé€😀" + string.ascii_letters
_WIDE_ALPHABET = "".join(chr(0x4E00 + i) for i in range(300))

# Every public function and method of _core, on each path worth looping.
# Add signer/json/jwt entries here as those land in C.
LEAK_CASES = [
    # codec
    case("b64url_encode", _core.b64url_encode, b"some bytes\x00\xff"),
    case("b64url_encode", _core.b64url_encode, _BIG, note="big"),
    case("b64url_encode", _core.b64url_encode, bytearray(b"abc"), note="bytearray"),
    case("b64url_encode", _core.b64url_encode, "str", raises=TypeError, note="str"),
    case("b64url_decode", _core.b64url_decode, "c29tZSBieXRlcw", note="lax-str"),
    case("b64url_decode", _core.b64url_decode, b"c29tZSBieXRlcw", note="lax-bytes"),
    case("b64url_decode", _core.b64url_decode, "c29tZSBieXRlcw", strict=True, note="strict"),
    case("b64url_decode", _core.b64url_decode, memoryview(b"QQ"), strict=True, note="memoryview"),
    case("b64url_decode", _core.b64url_decode, "QR", strict=True, raises=ValueError, note="strict-bits"),
    case("b64url_decode", _core.b64url_decode, "a===", raises=ValueError, note="padding"),
    case("b64url_decode", _core.b64url_decode, "abcde", raises=ValueError, note="len-mod-4"),
    case("b64url_decode", _core.b64url_decode, "é", raises=ValueError, note="non-ascii"),
    case("b64url_decode", _core.b64url_decode, 12, raises=TypeError, note="type"),
    case("b64url_decode", _core.b64url_decode, "QQ", bogus=1, raises=TypeError, note="kw"),
    case("b62_encode", _core.b62_encode, 2**63 - 1),
    case("b62_encode", _core.b62_encode, -(2**63), note="min"),
    case("b62_encode", _core.b62_encode, 2**64, raises=OverflowError, note="overflow"),
    case("b62_encode", _core.b62_encode, 1.5, raises=TypeError, note="type"),
    case("b62_decode", _core.b62_decode, "-AzL8n0Y58m8"),
    case("b62_decode", _core.b62_decode, "zzzzzzzzzzzzzz", raises=ValueError, note="overflow"),
    case("b62_decode", _core.b62_decode, b"1", raises=ValueError, note="type"),
    case("hex", _core.hex, b"\x00\x01\xfe\xff"),
    case("hex", _core.hex, None, raises=TypeError, note="type"),
    # crypto
    case("HmacKey", _core.HmacKey, b"secret"),
    case("HmacKey", _core.HmacKey, "secret" * 30, "sha512", note="long-str"),
    case("HmacKey", _core.HmacKey, "secret", "blake2b", salt="salt", note="salted"),
    case("HmacKey", _core.HmacKey, b"secret", "sha3_224", salt=b"salt", note="salted-sha3"),
    case("HmacKey", _core.HmacKey, b"secret", "nope", raises=ValueError, note="algorithm"),
    case("HmacKey", _core.HmacKey, 1, raises=TypeError, note="secret-type"),
    case("HmacKey", _core.HmacKey, b"s", salt=1, raises=TypeError, note="salt-type"),
    case("HmacKey", _core.HmacKey, "\ud800", raises=UnicodeEncodeError, note="surrogate"),
    case("HmacKey.digest", _KEY.digest, b"message"),
    case("HmacKey.digest", _KEY512.digest, "message", note="salted-str"),
    case("HmacKey.digest", _KEY.digest, _BIG, note="big"),
    case("HmacKey.digest", _KEY.digest, 1, raises=TypeError, note="type"),
    case("HmacKey.verify", _KEY.verify, b"message", _MAC),
    case("HmacKey.verify", _KEY.verify, b"message", b"\0" * 32, note="mismatch"),
    case("HmacKey.verify", _KEY.verify, b"message", "str", raises=TypeError, note="mac-type"),
    case("HmacKey.verify", _KEY.verify, b"message", raises=TypeError, note="arity"),
    case("HmacKey.digest_size", lambda: _KEY.digest_size),
    case("HmacKey.algorithm", lambda: _KEY.algorithm),
    case("compare_digest", _core.compare_digest, b"abc", b"abc"),
    case("compare_digest", _core.compare_digest, "abc", "abd", note="str"),
    case("compare_digest", _core.compare_digest, b"abc", 1, raises=TypeError, note="type"),
    case("compare_digest", _core.compare_digest, b"abc", raises=TypeError, note="arity"),
    case("digest", _core.digest, "sha256", b"data"),
    case("digest", _core.digest, "blake2s", "data", note="str"),
    case("digest", _core.digest, "nope", b"data", raises=ValueError, note="algorithm"),
    case("digest", _core.digest, "sha256", 1, raises=TypeError, note="type"),
    case("hmac_cache_size", _core.hmac_cache_size),
    case("hmac_cache_clear", _core.hmac_cache_clear),
    # random
    case("random_bytes", _core.random_bytes, 32),
    case("random_bytes", _core.random_bytes, -1, raises=ValueError, note="negative"),
    case("random_bytes", _core.random_bytes, "x", raises=TypeError, note="type"),
    case("token_hex", _core.token_hex),
    case("token_hex", _core.token_hex, 16, note="n"),
    case("token_hex", _core.token_hex, -1, raises=ValueError, note="negative"),
    case("token_hex", _core.token_hex, 1, 2, raises=TypeError, note="arity"),
    case("token_urlsafe", _core.token_urlsafe),
    case("token_urlsafe", _core.token_urlsafe, 2**31, raises=ValueError, note="huge"),
    case("random_string", _core.random_string, 32),
    case("random_string", _core.random_string, 32, _UNI_ALPHABET, note="unicode"),
    case("random_string", _core.random_string, 32, allowed_chars=_WIDE_ALPHABET, note="wide"),
    case("random_string", _core.random_string, -5, note="negative"),
    case("random_string", _core.random_string, 5, "", raises=IndexError, note="empty"),
    case("random_string", _core.random_string, 5, b"ab", raises=TypeError, note="chars-type"),
    case("random_string", _core.random_string, raises=TypeError, note="arity"),
    case("random_string", _core.random_string, 5, nope=1, raises=TypeError, note="kw"),
    # zlib
    case("zlib_compress", _core.zlib_compress, b"hello world " * 20),
    case("zlib_compress", _core.zlib_compress, b"", note="empty"),
    case("zlib_compress", _core.zlib_compress, "str", raises=TypeError, note="type"),
    case("zlib_decompress", _core.zlib_decompress, _Z_SMALL),
    case("zlib_decompress", _core.zlib_decompress, _Z_TRUNCATED, raises=zlib.error, note="truncated"),
    case("zlib_decompress", _core.zlib_decompress, _Z_CORRUPT, raises=zlib.error, note="corrupt"),
    case("zlib_decompress", _core.zlib_decompress, b"", raises=zlib.error, note="empty"),
    case(
        "zlib_decompress",
        _core.zlib_decompress,
        _Z_BOMB,
        raises=ValueError,
        limits={"max_decompressed_size": 1000},
        note="cap",
    ),
    # limits
    case("get_limits", _core.get_limits),
    case("set_limits", _core.set_limits, max_json_depth=512),
    case("set_limits", _core.set_limits, max_decompressed_size=0, raises=ValueError, note="range"),
    case("set_limits", _core.set_limits, max_json_depth="x", raises=TypeError, note="type"),
]

# ---- JSON and Django's signing (need sesstok.signing, i.e. Django) -------------

from sesstok import signing as _signing  # noqa: E402  (installs Django's objects)

_SESSION = {"_auth_user_id": "1", "cart": [1, 2.5, None, True], "name": "caf\u00e9"}
_SIGNER = _signing.Signer(key="leak-key")
_TS = _signing.TimestampSigner(key="leak-key")
_SIGNED = _SIGNER.sign("value")
_TS_SIGNED = _TS.sign("value")
_DUMPED = _signing.dumps(_SESSION)
_DUMPED_Z = _signing.dumps(list(range(100)), compress=True)
_BAD_JSON = _signing.TimestampSigner(key="leak-key", salt="django.core.signing").sign("e25vdA")
_BOMB = _signing.TimestampSigner(key="leak-key", salt="django.core.signing").sign(
    "." + _signing.b64_encode(zlib.compress(b"[" + b"0," * 5000 + b"0]")).decode()
)


class _Custom(_signing.TimestampSigner):
    def timestamp(self):
        return "fixed"


def _dj_ts():
    from django.core import signing as dj

    return dj.TimestampSigner(key="leak-key")


_DJ_TS = _dj_ts()
_DJ_TS_OBJ = _DJ_TS.sign_object(_SESSION)


def _set_attr(obj, name, value):
    setattr(obj, name, value)
    return getattr(obj, name)


LEAK_CASES += [
    case("json_encode", _core.json_encode, _SESSION),
    case("json_encode", _core.json_encode, {"b": 1, "a": [1.5, "\U0001f600"]}, sort_keys=True, note="sorted"),
    case("json_encode", _core.json_encode, {1: object()}, raises=TypeError, note="fallback-error"),
    case("json_decode", _core.json_decode, b'{"a":[1,2.5,"x",null,true]}'),
    case("json_decode", _core.json_decode, b'{"a":1,"a":2}', strict=True, raises=ValueError, note="strict-dup"),
    case("json_decode", _core.json_decode, b"[1,", raises=ValueError, note="invalid"),
    case("json_decode", _core.json_decode, b"[" * 600 + b"]" * 600, raises=ValueError, note="depth"),
    case("Signer", _signing.Signer, key="k", salt="s"),
    case("Signer", _signing.Signer, key="k", sep="a", raises=ValueError, note="sep"),
    case("Signer", _signing.Signer, "positional", raises=TypeError, note="positional"),
    case("Signer.sign", _SIGNER.sign, "value"),
    case("Signer.sign", _SIGNER.sign, b"bytes", note="general-path"),
    case("Signer.sign", _SIGNER.sign, "\ud800", raises=UnicodeEncodeError, note="surrogate"),
    case("Signer.unsign", _SIGNER.unsign, _SIGNED),
    case("Signer.unsign", _SIGNER.unsign, _SIGNED + "x", raises=_signing.BadSignature, note="bad"),
    case("Signer.unsign", _SIGNER.unsign, "no separator", raises=_signing.BadSignature, note="nosep"),
    case("Signer.unsign", _SIGNER.unsign, b"a:b", raises=TypeError, note="bytes"),
    case("Signer.signature", _SIGNER.signature, "value", "other-key"),
    case("Signer.sign_object", _SIGNER.sign_object, _SESSION, compress=True),
    case("Signer.sign_object", _SIGNER.sign_object, {"x": object()}, raises=TypeError, note="unserializable"),
    case("Signer.unsign_object", _SIGNER.unsign_object, _SIGNER.sign_object(_SESSION)),
    case("Signer.unsign_object", _SIGNER.unsign_object, _SIGNED, max_age=1, raises=TypeError, note="kwargs"),
    case("Signer.key", _set_attr, _signing.Signer(key="k"), "key", "other"),
    case("Signer.salt", _set_attr, _signing.Signer(key="k"), "salt", "other"),
    case("Signer.algorithm", _set_attr, _signing.Signer(key="k"), "algorithm", "sha512"),
    case("Signer.sep", _set_attr, _signing.Signer(key="k"), "sep", "/"),
    case("Signer.fallback_keys", _set_attr, _signing.Signer(key="k"), "fallback_keys", ["a"]),
    case("TimestampSigner", _signing.TimestampSigner),
    case("TimestampSigner.timestamp", _TS.timestamp),
    case("TimestampSigner.sign", _TS.sign, "value"),
    case("TimestampSigner.sign", _Custom(key="k").sign, "value", note="override"),
    case("TimestampSigner.unsign", _TS.unsign, _TS_SIGNED, max_age=10**9),
    case(
        "TimestampSigner.unsign", _TS.unsign, _TS_SIGNED, max_age=-1, raises=_signing.SignatureExpired, note="expired"
    ),
    case("dumps", _signing.dumps, _SESSION),
    case("dumps", _signing.dumps, list(range(100)), compress=True, note="compress"),
    case("loads", _signing.loads, _DUMPED),
    case("loads", _signing.loads, _DUMPED_Z, note="compressed"),
    case("loads", _signing.loads, _DUMPED[:-1], raises=_signing.BadSignature, note="bad"),
    case("loads", _signing.loads, _BAD_JSON, key="leak-key", raises=ValueError, note="bad-json"),
    case(
        "loads",
        _signing.loads,
        _BOMB,
        key="leak-key",
        raises=_signing.PayloadTooLarge,
        limits={"max_decompressed_size": 1000},
        note="cap",
    ),
    case("base64_hmac", _core.base64_hmac, "salt", "value", "key", "sha256"),
    case("base64_hmac", _core.base64_hmac, "salt", "value", "key", "sha512_256", note="general-path", raises=Exception),
    case("django_signature", _core.django_signature, _DJ_TS, True, "value"),
    case("django_signature", _core.django_signature, _DJ_TS, True, raises=TypeError, note="arity"),
    case("django_sign", _core.django_sign, _DJ_TS, True, "value"),
    case("django_sign", _core.django_sign, _DJ_TS, False, b"bytes", note="general-path"),
    case("django_unsign", _core.django_unsign, _DJ_TS, True, _DJ_TS.sign("v"), 10**9),
    case("django_unsign", _core.django_unsign, _DJ_TS, True, "nope", raises=_signing.BadSignature, note="bad"),
    case("django_sign_object", _core.django_sign_object, _DJ_TS, True, _SESSION, note="object"),
    case("django_unsign_object", _core.django_unsign_object, _DJ_TS, True, _DJ_TS_OBJ, max_age=10**9),
    case(
        "django_unsign_object",
        _core.django_unsign_object,
        _DJ_TS,
        False,
        _DJ_TS_OBJ,
        nope=1,
        raises=TypeError,
        note="kwargs",
    ),
]

# ---- JWT (sesstok.jwt: no Django needed) ------------------------------------------

from sesstok import jwt as _jwt  # noqa: E402

_JWT_KEYS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keys")


def _jwt_key_file(name):
    with open(os.path.join(_JWT_KEYS, name), "rb") as f:
        return f.read()


_HS_SECRET = "leak-secret" * 4
_ES_PRIV = _jwt_key_file("p256_private.pem")
_ES_PUB = _jwt_key_file("p256_public.pem")
_RS_PRIV = _jwt_key_file("rsa2048_private.pem")
_ED_PRIV_KEY = _core.JwtKey.load(_jwt_key_file("ed25519_private.pem"))
_ES_KEY = _core.JwtKey.load(_ES_PRIV)
_RS_KEY = _core.JwtKey.load(_RS_PRIV)
_HS_KEY = _core.JwtKey.hmac(_HS_SECRET.encode())
_JWT_API = _jwt.PyJWT()


class _HookedJWT(_jwt.PyJWT):  # encode/decode run in Python, on the C JWS steps
    def _validate_claims(self, payload, options, **kwargs):
        super()._validate_claims(payload, options, **kwargs)


_HOOKED_API = _HookedJWT()
_JWS_API = _jwt.PyJWS()
_HS_TOKEN = _jwt.encode({"sub": "x", "l": [1, 2.5, None]}, _HS_SECRET)
_ES_TOKEN = _jwt.encode({"sub": "x"}, _ES_PRIV, algorithm="ES256")
_ENCODER = _jwt.Encoder(_HS_SECRET, "HS256", headers={"kid": "k"})
_DECODER = _jwt.Decoder({"k": _HS_SECRET}, ["HS256"], options={"require": ["sub"]})
_ES_DECODER = _jwt.Decoder(_ES_PUB, ["ES256"])
_ES_RAW = _ES_KEY.sign("ES256", b"msg")
_RSA_N = _RS_KEY.rsa_public_numbers()[0].to_bytes(256, "big")
_FULL_OPTS = _jwt.PyJWT._get_default_options()

LEAK_CASES += [
    case("JwtApi", _core.JwtApi),
    case("JwtApi.encode", _JWT_API.encode, {"sub": "x", "n": 1.5}, _HS_SECRET),
    case("JwtApi.encode", _JWT_API.encode, {"sub": "x"}, _ES_PRIV, "ES256", headers={"kid": "a"}, note="es256-headers"),
    case("JwtApi.encode", _JWT_API.encode, {"x": object()}, _HS_SECRET, raises=TypeError, note="json"),
    case("JwtApi.encode", _JWT_API.encode, {}, "short", raises=_jwt.InvalidKeyError, note="short"),
    case("JwtApi.decode", _JWT_API.decode, _HS_TOKEN, _HS_SECRET, algorithms=["HS256"]),
    case("JwtApi.decode", _JWT_API.decode, _ES_TOKEN, _ES_PUB, algorithms=["ES256"], note="es256"),
    case(
        "JwtApi.decode",
        _JWT_API.decode,
        _HS_TOKEN + "x",
        _HS_SECRET,
        algorithms=["HS256"],
        raises=_jwt.InvalidSignatureError,
        note="bad-signature",
    ),
    case(
        "JwtApi.decode",
        _JWT_API.decode,
        "a.b",
        _HS_SECRET,
        algorithms=["HS256"],
        raises=_jwt.DecodeError,
        note="segments",
    ),
    case(
        "JwtApi.decode",
        _JWT_API.decode,
        _HS_TOKEN,
        _HS_SECRET,
        algorithms=["HS256"],
        audience="x",
        raises=_jwt.MissingRequiredClaimError,
        note="claims",
    ),
    case("JwtApi.decode_complete", _JWT_API.decode_complete, _HS_TOKEN, _HS_SECRET, algorithms=["HS256"]),
    case("JwtApi.decode", _JWT_API.decode, _HS_TOKEN, _HS_SECRET, algorithms=["HS256"], verify=True, note="verify"),
    case("JwtApi.encode", _HOOKED_API.encode, {"sub": "x"}, _HS_SECRET, note="hooked"),
    case("JwtApi.decode", _HOOKED_API.decode, _HS_TOKEN, _HS_SECRET, algorithms=["HS256"], note="hooked"),
    case(
        "JwtApi.decode_complete",
        _HOOKED_API.decode_complete,
        _HS_TOKEN,
        _HS_SECRET,
        algorithms=["HS384"],
        raises=_jwt.InvalidAlgorithmError,
        note="hooked",
    ),
    case("JwtApi.get_unverified_header", _JWT_API.get_unverified_header, _HS_TOKEN),
    case("JwtApi.get_algorithms", _JWT_API.get_algorithms),
    case("JwsApi", _core.JwsApi),
    case("JwsApi.encode", _JWS_API.encode, b"payload", _HS_SECRET, is_payload_detached=True),
    case("JwsApi.decode", _JWS_API.decode, _HS_TOKEN, _HS_SECRET, algorithms=["HS256"]),
    case(
        "JwsApi.decode_complete",
        _JWS_API.decode_complete,
        _HS_TOKEN,
        _HS_SECRET,
        algorithms=["HS512"],
        raises=_jwt.InvalidAlgorithmError,
    ),
    case("JwsApi.get_unverified_header", _JWS_API.get_unverified_header, "e30.e30.", note="no-alg"),
    case("JwsApi.get_algorithms", _JWS_API.get_algorithms),
    case("JwtEncoder", _jwt.Encoder, _HS_SECRET, "HS256"),
    case("JwtEncoder.encode", _ENCODER.encode, {"sub": "x", "exp": 4102444800}),
    case("JwtEncoder.encode", _ENCODER.encode, [1], raises=TypeError, note="type"),
    case("JwtEncoder.algorithm", lambda: _ENCODER.algorithm),
    case("JwtEncoder.key", lambda: _ENCODER.key),
    case("JwtDecoder", _jwt.Decoder, [("a", _HS_SECRET), ("b", _HS_SECRET + "2")], ["HS256"]),
    case("JwtDecoder.decode", _DECODER.decode, _ENCODER.encode({"sub": "x"})),
    case("JwtDecoder.decode", _ES_DECODER.decode, _ES_TOKEN, note="es256"),
    case("JwtDecoder.decode", _DECODER.decode, _HS_TOKEN[:-2], raises=_jwt.DecodeError, note="bad"),
    case("JwtDecoder.decode_complete", _DECODER.decode_complete, _ENCODER.encode({"sub": "x"})),
    case("JwtDecoder.decode_jws", _DECODER.decode_jws, _ENCODER.encode({"y": 1})),
    case("JwtDecoder.algorithms", lambda: _DECODER.algorithms),
    case("JwtDecoder.keys", lambda: _DECODER.keys),
    case("JwtDecoder.options", lambda: _DECODER.options["require"]),
    case("JwtDecoder", _jwt.Decoder, _HS_SECRET, ["HS256"], options={"require": ["exp", "sub"]}, note="require copied"),
    case("JwtKey.hmac", _core.JwtKey.hmac, b"secret", algorithm="HS256", kid="k"),
    case("JwtKey.hmac", _core.JwtKey.hmac, "str", raises=TypeError, note="type"),
    case("JwtKey.load", _core.JwtKey.load, _ES_PRIV),
    case("JwtKey.load", _core.JwtKey.load, _ES_PUB, note="public"),
    case("JwtKey.load", _core.JwtKey.load, b"garbage", raises=_jwt.InvalidKeyError, note="bad"),
    case("JwtKey.rsa", _core.JwtKey.rsa, _RSA_N, b"\x01\x00\x01"),
    case("JwtKey.rsa", _core.JwtKey.rsa, b"\x01", b"\x01", raises=_jwt.InvalidKeyError, note="bad"),
    case(
        "JwtKey.ec", _core.JwtKey.ec, "P-256", b"\x01" * 32, b"\x02" * 32, raises=_jwt.InvalidKeyError, note="off-curve"
    ),
    case("JwtKey.ed25519", _core.JwtKey.ed25519, b"\x01" * 32),
    case("JwtKey.sign", _ES_KEY.sign, "ES256", b"msg"),
    case("JwtKey.sign", _RS_KEY.sign, "PS256", b"msg", note="ps256"),
    case("JwtKey.sign", _ED_PRIV_KEY.sign, "EdDSA", b"msg", note="eddsa"),
    case("JwtKey.verify", _ES_KEY.verify, "ES256", b"msg", _ES_RAW),
    case("JwtKey.verify", _ES_KEY.verify, "ES256", b"msg", b"\x00" * 64, note="range"),
    case("JwtKey.verify", _HS_KEY.verify, "ES256", b"msg", b"", raises=_jwt.InvalidKeyError, note="wrong-alg"),
    case("JwtKey.check_length", _HS_KEY.check_length, "HS256", True),
    case("JwtKey.rsa_public_numbers", _RS_KEY.rsa_public_numbers),
    case("JwtKey.public_der", _ES_KEY.public_der),
    case("JwtKey.kty", lambda: _ES_KEY.kty),
    case("JwtKey.is_private", lambda: _ES_KEY.is_private),
    case("JwtKey.key_size", lambda: _RS_KEY.key_size),
    case("JwtKey.curve", lambda: _ES_KEY.curve),
    case("JwtKey.algorithm", lambda: _HS_KEY.algorithm),
    case("JwtKey.algorithms", lambda: _RS_KEY.algorithms),
    case("JwtKey.kid", lambda: _HS_KEY.kid),
    case("jwt_json_dumps", _core.jwt_json_dumps, {"b": 1, "a": [1, "é"]}, None, True),
    case(
        "jwt_prepare_payload",
        _core.jwt_prepare_payload,
        {"exp": datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)},
    ),
    case("jwt_prepare_payload", _core.jwt_prepare_payload, {"iss": 1}, raises=TypeError, note="iss"),
    case("jwt_validate_claims", _core.jwt_validate_claims, {"exp": 1}, _FULL_OPTS, raises=_jwt.ExpiredSignatureError),
    case("jwt_key_cache_size", _core.jwt_key_cache_size),
    case("jwt_key_cache_clear", _core.jwt_key_cache_clear),
    case("is_der_certificate", _core.is_der_certificate, b"\x30\x03\x02\x01\x00"),
    case("ecdsa_der_to_raw", _core.ecdsa_der_to_raw, _core.ecdsa_raw_to_der(_ES_RAW), 32),
    case("ecdsa_der_to_raw", _core.ecdsa_der_to_raw, b"\x30\x00", 32, raises=ValueError, note="bad"),
    case("ecdsa_raw_to_der", _core.ecdsa_raw_to_der, _ES_RAW),
]

# Public callables deliberately not looped, with the reason. Types that
# cannot be constructed without Django installed belong here until their
# test module adds cases (by name, or "Type.method").
NOT_LOOPED: dict[str, str] = {
    "install_django": "called once by sesstok.signing at import; replaces references it holds",
    "JwtKey": "not instantiable; made by its classmethods hmac/load/rsa/ec/ed25519 (looped)",
}

LEAK_WARMUP = 200
LEAK_ITERATIONS = 2000
LEAK_ROUNDS = 3
BLOCK_SLACK = 100  # pymalloc blocks per round (far below one per call)
HEAP_SLACK = 64 * 1024  # malloc'd bytes per round (OpenSSL, zlib, big objects)


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _heap_probe():
    """Bytes in use in the C heap (glibc mallinfo2), or None where unavailable."""
    if UNDER_ASAN or not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    fn.argtypes = []

    def probe():
        info = fn()
        return info.uordblks + info.hblkhd

    return probe


_HEAP = _heap_probe()


def _public_callables():
    """Names (and "Type.method" names) that LEAK_CASES must cover."""
    names = set()
    for name in dir(_core):
        if name.startswith("_"):
            continue
        obj = getattr(_core, name)
        if not callable(obj):
            continue
        names.add(name)
        if isinstance(obj, type):
            for attr, value in vars(obj).items():
                if attr.startswith("_"):
                    continue
                names.add(f"{name}.{attr}")  # methods and getters alike
    return names


def test_every_public_callable_is_looped():
    covered = {c.covers for c in LEAK_CASES}
    missing = sorted(_public_callables() - covered - set(NOT_LOOPED))
    assert not missing, f"add LEAK_CASES entries (or a NOT_LOOPED reason) for: {', '.join(missing)}"
    stale = sorted((covered | set(NOT_LOOPED)) - _public_callables())
    assert not stale, f"LEAK_CASES/NOT_LOOPED name things _core lacks: {stale}"


def _runner(c):
    func, args, kwargs, raises = c.func, c.args, c.kwargs, c.raises
    if raises is None:

        def run(n):
            for _ in range(n):
                func(*args, **kwargs)
    else:

        def run(n):
            for _ in range(n):
                try:
                    func(*args, **kwargs)
                except raises:
                    pass

    return run


def _measure(run):
    gc.collect()
    blocks, heap = sys.getallocatedblocks(), _HEAP() if _HEAP else 0
    run(LEAK_ITERATIONS)
    gc.collect()
    return sys.getallocatedblocks() - blocks, (_HEAP() - heap) if _HEAP else 0


@pytest.fixture
def restore_limits():
    before = _core.get_limits()
    yield
    _core.set_limits(**before)


@pytest.mark.parametrize("c", LEAK_CASES, ids=lambda c: c.id)
def test_no_leak(c, restore_limits):
    if c.limits:
        _core.set_limits(**c.limits)
    # the call must do what the table says before its cost is measured
    if c.raises is None:
        c.func(*c.args, **c.kwargs)
    else:
        with pytest.raises(c.raises):
            c.func(*c.args, **c.kwargs)
    run = _runner(c)
    run(LEAK_WARMUP)
    deltas = [_measure(run) for _ in range(LEAK_ROUNDS)]
    block_growth = min(d[0] for d in deltas)
    heap_growth = min(d[1] for d in deltas)
    assert block_growth <= BLOCK_SLACK, (
        f"{c.id}: {block_growth} pymalloc blocks more after each {LEAK_ITERATIONS} calls ({deltas})"
    )
    assert heap_growth <= HEAP_SLACK, (
        f"{c.id}: C heap grew by {heap_growth} bytes per {LEAK_ITERATIONS} calls ({deltas})"
    )


def test_leak_loop_detects_a_leak():
    """The measurement itself works: a deliberately leaking callable fails it."""
    hoard = []
    leaky = case("leaky", lambda: hoard.append(object()))
    deltas = [_measure(_runner(leaky)) for _ in range(LEAK_ROUNDS)]
    if sys.getallocatedblocks() == 0:
        pytest.skip("sys.getallocatedblocks() is 0: not running on pymalloc (PYTHONMALLOC=malloc)")
    assert min(d[0] for d in deltas) > BLOCK_SLACK


@pytest.mark.skipif(_HEAP is None, reason="glibc mallinfo2 unavailable (or under ASan)")
def test_heap_probe_detects_a_native_leak():
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    ptrs = []
    try:
        before = _HEAP()
        for _ in range(LEAK_ITERATIONS):
            ptrs.append(libc.malloc(64))
        assert _HEAP() - before > HEAP_SLACK
    finally:
        for p in ptrs:
            libc.free(p)


# ---- many threads ----------------------------------------------------------

THREADS = 8
THREAD_ITERATIONS = 1000


def test_many_threads():
    secret = b"thread-test-secret"
    key = _core.HmacKey(secret, "sha256")
    salted = _core.HmacKey(secret, "sha512", salt="salt")
    messages = [os.urandom(i * 7) for i in range(32)]
    expected = [hmac.new(secret, m, "sha256").digest() for m in messages]
    payloads = [os.urandom(i) * (i % 5 + 1) for i in range(0, 512, 16)]
    compressed = [zlib.compress(p) for p in payloads]
    alphabet = "abcdef€😀"
    barrier = threading.Barrier(THREADS)
    errors = []

    def worker(tid):
        try:
            barrier.wait()
            for i in range(THREAD_ITERATIONS):
                j = (i * 7 + tid) % len(messages)
                assert key.digest(messages[j]) == expected[j]
                assert key.verify(messages[j], expected[j])
                assert len(salted.digest(messages[j])) == 64
                s = _core.random_string(20, alphabet)
                assert len(s) == 20 and set(s) <= set(alphabet)
                assert len(_core.token_hex(8)) == 16
                k = (i + tid) % len(payloads)
                z = _core.zlib_compress(payloads[k])
                assert z == compressed[k]
                assert _core.zlib_decompress(z) == payloads[k]
        except BaseException as e:  # reported below, in the main thread
            errors.append((tid, repr(e)))

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors[:5]


# ---- install_django ----------------------------------------------------------


def test_install_django_takes_each_object_by_name():
    # a refused call changes nothing: the signers keep working
    signed = _SIGNER.sign("v")
    with pytest.raises(TypeError, match="missing keyword argument 'BadSignature'"):
        _core.install_django(settings=object())
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        _core.install_django(bogus=1)
    with pytest.raises(TypeError, match="keyword arguments only"):
        _core.install_django(1)
    assert _SIGNER.unsign(signed) == "v"
    assert _signing.loads(_DUMPED) == _SESSION


# ---- the argument parser -------------------------------------------------------


def test_keyword_names_match_by_value_too():
    # Keyword names are matched by pointer against interned copies first; a
    # name built at run time (not interned) must match by value all the same.
    sort_keys = "".join(["sort", "_keys"])
    max_age = "".join(["max", "_age"])
    assert _core.json_encode({"b": 1, "a": 2}, **{sort_keys: True}) == b'{"a":2,"b":1}'
    assert _TS.unsign(_TS_SIGNED, **{max_age: 10**9}) == "value"
    assert _signing.loads(_DUMPED, **{"".join(["max", "_age"]): 10**9}) == _SESSION
    with pytest.raises(TypeError, match="unexpected keyword argument 'sorted'"):
        _core.json_encode([1], **{"".join(["sor", "ted"]): True})
    with pytest.raises(TypeError, match="multiple values for argument 'obj'"):
        _core.json_encode([1], **{"".join(["o", "bj"]): 2})
