"""PyJWT-compatible JSON Web Tokens on sesstok's C core.

The same functions, classes, arguments, options and exception names as
PyJWT 2.x, so code written against PyJWT works after changing the import::

    from sesstok import jwt

    token = jwt.encode({"sub": "42", "exp": expires}, SECRET, algorithm="HS256")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="api")

``encode`` returns exactly the bytes PyJWT returns for the same payload, key
and headers; each library decodes the other's tokens. Decoding is stricter
than PyJWT's where PyJWT is lax (canonical base64url only, strict JSON, a
token length limit, ``crit`` enforced, numeric claims checked, no ``none``,
short keys refused by default); docs/jwt.md lists every difference and the
option that relaxes it where one exists.

For the hot path, prepare the key and the checks once::

    encoder = jwt.Encoder(PRIVATE_KEY_PEM, "ES256", headers={"kid": "2024-01"})
    decoder = jwt.Decoder({"2024-01": PUBLIC_KEY_PEM, "2023-07": OLD_PUBLIC_KEY},
                          algorithms=["ES256"], audience="api", leeway=30)
    token = encoder.encode(claims)
    claims = decoder.decode(token)

A token's ``kid`` only ever selects among the keys a Decoder was given.

Keys may be str/bytes HMAC secrets, PEM or DER private/public keys (PKCS#8,
PKCS#1, SEC1, SubjectPublicKeyInfo), OpenSSH public keys, JWKs (dicts or
:class:`PyJWK`, sesstok's or PyJWT's), ``cryptography`` key objects, or a
prepared :class:`JwtKey`. Every key is parsed once and cached (by value,
bounded); PyJWT parses a PEM key again on every call. This module does not
import Django.
"""

from __future__ import annotations

import http.client
import json
import math
import re
import threading
import time
import urllib.request
import warnings
import weakref
from collections.abc import Iterable, Mapping
from functools import lru_cache
from math import gcd
from types import MappingProxyType
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

from . import _core
from .exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InsecureKeyLengthWarning,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidJTIError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidSubjectError,
    InvalidTokenError,
    MissingCryptographyError,
    MissingRequiredClaimError,
    PyJWKClientConnectionError,
    PyJWKClientError,
    PyJWKError,
    PyJWKSetError,
    PyJWTError,
    RemovedInPyjwt3Warning,
)

__all__ = [
    "PyJWS",
    "PyJWT",
    "PyJWK",
    "PyJWKSet",
    "PyJWKClient",
    "Encoder",
    "Decoder",
    "JwtKey",
    "Algorithm",
    "prepare_key",
    "encode",
    "decode",
    "decode_complete",
    "get_unverified_header",
    "register_algorithm",
    "unregister_algorithm",
    "get_algorithm_by_name",
    "ALGORITHMS",
    "DEFAULT_MAX_TOKEN_LENGTH",
    # warnings
    "InsecureKeyLengthWarning",
    "RemovedInPyjwt3Warning",
    # exceptions
    "PyJWTError",
    "InvalidTokenError",
    "DecodeError",
    "InvalidSignatureError",
    "ExpiredSignatureError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidIssuedAtError",
    "ImmatureSignatureError",
    "InvalidKeyError",
    "InvalidAlgorithmError",
    "MissingRequiredClaimError",
    "InvalidSubjectError",
    "InvalidJTIError",
    "PyJWKError",
    "PyJWKSetError",
    "PyJWKClientError",
    "PyJWKClientConnectionError",
    "MissingCryptographyError",
]

JwtKey = _core.JwtKey

#: The algorithms sesstok implements (RFC 7518 names; Ed25519 as "EdDSA").
ALGORITHMS: tuple[str, ...] = _core.JWT_ALGORITHMS
DEFAULT_MAX_TOKEN_LENGTH: int = _core.JWT_DEFAULT_MAX_TOKEN_LENGTH
_HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})

# ---------------------------------------------------------------------------
# Keys: every form PyJWT accepts, classified and loaded once (the C core
# caches the result by value and calls _load_key only on a miss).
# ---------------------------------------------------------------------------

# PEM blocks: any BEGIN/END pair with the same label, plus the spacing
# variants PyJWT's is_pem_format recognises for its labels.
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----.*?-----END \1-----", re.S)
_PEM_LABELS = (
    b"CERTIFICATE|TRUSTED CERTIFICATE|PRIVATE KEY|PUBLIC KEY|ENCRYPTED PRIVATE KEY|"
    b"OPENSSH PRIVATE KEY|DSA PRIVATE KEY|RSA PRIVATE KEY|RSA PUBLIC KEY|EC PRIVATE KEY|"
    b"DH PARAMETERS|NEW CERTIFICATE REQUEST|CERTIFICATE REQUEST|SSH2 PUBLIC KEY|"
    b"SSH2 ENCRYPTED PRIVATE KEY|X509 CRL"
)
_PEM_MARKER = re.compile(b"----[- ](BEGIN|END) (" + _PEM_LABELS + b")[- ]----")
_SSH_PREFIXES = (
    b"ssh-ed25519",
    b"ssh-rsa",
    b"ssh-dss",
    b"ecdsa-sha2-nistp256",
    b"ecdsa-sha2-nistp384",
    b"ecdsa-sha2-nistp521",
    b"ssh-ed448",
    b"sk-",
)


def _looks_pem(data: bytes) -> bool:
    if _PEM_BLOCK.search(data):
        return True
    begun = set()
    for m in _PEM_MARKER.finditer(data):
        if m.group(1) == b"BEGIN":
            begun.add(m.group(2))
        elif m.group(2) in begun:
            return True
    return False


def _looks_asymmetric(data: bytes) -> bool:
    """Is data an asymmetric key or certificate in any encoding?"""
    if _looks_pem(data) or data.startswith(_SSH_PREFIXES):
        return True
    if _core.is_der_certificate(data):
        return True
    try:
        _core.JwtKey.load(data)
    except InvalidKeyError:
        return False
    return True


def _contains_jwk(obj: Any) -> bool:
    todo = [obj]
    while todo:
        o = todo.pop()
        if isinstance(o, dict):
            if "kty" in o:
                return True
            todo.extend(o.values())
        elif isinstance(o, list):
            todo.extend(o)
    return False


def _looks_like_jwk(data: bytes) -> bool:
    """Is data JSON holding a JWK (an object with "kty") anywhere? In any
    encoding json.loads reads bytes in (UTF-8/16/32 in either byte order,
    with or without a BOM), as PyJWT's HMACAlgorithm.prepare_key checks."""
    try:
        # what json.loads(data) decodes first (a BOM is removed with it)
        text = data.decode(json.detect_encoding(data), "surrogatepass")
    except UnicodeDecodeError:
        return False  # not JSON in any encoding
    if text.lstrip(" \t\r\n")[:1] not in ("{", "["):
        return False  # only an object or an array can hold a JWK
    try:
        obj = json.loads(
            text,
            parse_int=lambda _: 0,
            parse_float=lambda _: 0.0,
            parse_constant=lambda _: 0.0,
        )
    except RecursionError:
        return True  # too deep to inspect: refuse rather than guess
    except ValueError:
        return False
    return _contains_jwk(obj)


def _hmac_key(data: bytes) -> JwtKey:
    # mirrors HMACAlgorithm.prepare_key, refusing every asymmetric encoding
    if not data:
        raise InvalidKeyError("HMAC key must not be empty.")
    if _looks_asymmetric(data):
        raise InvalidKeyError(
            "The specified key is an asymmetric key or x509 certificate and should not be used as an HMAC secret."
        )
    if _looks_like_jwk(data):
        raise InvalidKeyError(
            "The specified key looks like a JWK and should not be used directly as an "
            "HMAC secret. Load it via sesstok.jwt.PyJWK first."
        )
    return _core.JwtKey.hmac(data)


# ROCA (CVE-2017-15361): moduli from the vulnerable Infineon generator are
# m = k * M + (65537**a mod M); modulo each small prime p below they fall in
# the subgroup generated by 65537. The fingerprint test of Nemec et al.
_ROCA_PRIMES = (
    3,
    5,
    7,
    11,
    13,
    17,
    19,
    23,
    29,
    31,
    37,
    41,
    43,
    47,
    53,
    59,
    61,
    67,
    71,
    73,
    79,
    83,
    89,
    97,
    101,
    103,
    107,
    109,
    113,
    127,
    131,
    137,
    139,
    149,
    151,
    157,
    163,
    167,
)


def _subgroup_mask(p: int) -> int:
    mask, x = 0, 1
    while True:
        mask |= 1 << x
        x = x * 65537 % p
        if x == 1:
            return mask


_ROCA_MASKS = tuple((p, _subgroup_mask(p)) for p in _ROCA_PRIMES)


def _roca_fingerprint(n: int) -> bool:
    return all((1 << (n % p)) & mask for p, mask in _ROCA_MASKS)


def _check_key(key: JwtKey) -> JwtKey:
    """Checks done once per loaded key, on top of pkey.c's."""
    if key.kty == "RSA":
        n, _e = key.rsa_public_numbers()
        if _roca_fingerprint(n):
            raise InvalidKeyError("The RSA key was made by a generator with the ROCA weakness (CVE-2017-15361)")
    return key


def _asym_key(data: bytes) -> JwtKey:
    return _check_key(_core.JwtKey.load(data))


def _cryptography_key(key: Any) -> JwtKey | None:
    """A cryptography key object as a JwtKey (None if it is not one)."""
    module = type(key).__module__ or ""
    if not module.startswith("cryptography"):
        return None
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    if isinstance(key, (ed448.Ed448PrivateKey, ed448.Ed448PublicKey)):
        raise InvalidKeyError("Ed448 keys are not supported (EdDSA means Ed25519 in sesstok)")
    if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    elif isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)):
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        return None
    return _asym_key(der)


def _is_pyjwt_jwk(key: Any) -> bool:
    return type(key).__name__ == "PyJWK" and hasattr(key, "_jwk_data") and hasattr(key, "algorithm_name")


def _load_key(key: Any, for_hmac: int | bool = False) -> JwtKey:
    """The JwtKey for any key form PyJWT accepts (and more). Called by the C
    core on a cache miss; for_hmac says whether a str/bytes key is an HMAC
    secret (HS*) or an encoded asymmetric key."""
    if isinstance(key, _core.JwtKey):
        return key
    if isinstance(key, PyJWK):
        return key.key
    if isinstance(key, (str, bytes)):
        data = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        return _hmac_key(data) if for_hmac else _asym_key(data)
    if _is_pyjwt_jwk(key):
        return _jwk_key(key._jwk_data, key.algorithm_name)
    if isinstance(key, Mapping):
        return _jwk_key(dict(key), None)
    loaded = _cryptography_key(key)
    if loaded is not None:
        return loaded
    if for_hmac:
        raise TypeError("Expected a string or bytes value")
    raise TypeError("Expecting a PEM-formatted key.")


def prepare_key(key: Any, algorithm: str | None = None) -> JwtKey:
    """Load `key` once (for `algorithm`, which decides whether a str/bytes
    key is an HMAC secret) and return the prepared :class:`JwtKey`."""
    return _load_key(key, algorithm in _HMAC_ALGORITHMS if algorithm else False)


# ---------------------------------------------------------------------------
# JWK
# ---------------------------------------------------------------------------

_REGISTERED_KEY_OPS = frozenset(
    {"sign", "verify", "encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits"}
)


def _b64_member(jwk: dict, name: str, required: bool = True) -> bytes | None:
    value = jwk.get(name)
    if value is None:
        if required:
            raise InvalidKeyError(f'JWK is missing the "{name}" member')
        return None
    if not isinstance(value, str):
        raise InvalidKeyError(f'JWK member "{name}" must be a base64url string')
    try:
        return _core.b64url_decode(value, strict=True)
    except ValueError:
        raise InvalidKeyError(f'JWK member "{name}" is not canonical base64url') from None


def _int_bytes(x: int) -> bytes:
    return x.to_bytes(max(1, (x.bit_length() + 7) // 8), "big")


def _recover_primes(n: int, e: int, d: int) -> tuple[int, int]:
    """p, q from n, e, d (NIST SP 800-56B, appendix C)."""
    k = d * e - 1
    if k <= 0 or k % 2:
        raise InvalidKeyError("Unable to compute the RSA factors from n, e and d")
    r, t = k, 0
    while r % 2 == 0:
        r //= 2
        t += 1
    # each base finds the factors with probability >= 1/2 for a real key:
    # 64 failures mean d does not belong to n
    for g in range(2, 66):
        y = pow(g, r, n)
        if y in (1, n - 1):
            continue
        for _ in range(t):
            x = pow(y, 2, n)
            if x == 1:
                p = gcd(y - 1, n)
                if 1 < p < n:
                    q = n // p
                    return (p, q) if p > q else (q, p)
                break
            if x == n - 1:
                break
            y = x
    raise InvalidKeyError("Unable to compute the RSA factors from n, e and d")


def _jwk_key(jwk: Any, algorithm: str | None) -> JwtKey:
    """A JwtKey from a JWK dict, bound to `algorithm` (or the JWK's "alg")."""
    if not isinstance(jwk, dict):
        raise InvalidKeyError("Key is not valid JSON")
    kty = jwk.get("kty")
    alg = algorithm or jwk.get("alg")
    if alg is not None and alg not in ALGORITHMS:
        raise InvalidKeyError(f"Unsupported JWK algorithm: {alg!r}")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise InvalidKeyError(f'The JWK is for {use!r}, not for signatures ("use")')
    ops = jwk.get("key_ops")
    if ops is not None:
        if not isinstance(ops, list) or not all(isinstance(o, str) for o in ops):
            raise InvalidKeyError('JWK "key_ops" must be a list of strings')
        named = _REGISTERED_KEY_OPS.intersection(ops)
        if named and not named & {"sign", "verify"}:
            raise InvalidKeyError('The JWK\'s "key_ops" do not include signing or verification')
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise InvalidKeyError('JWK "kid" must be a string')
    if kty == "oct":
        k = _b64_member(jwk, "k")
        if not k:
            raise InvalidKeyError("HMAC key must not be empty.")
        return _core.JwtKey.hmac(k, algorithm=alg, kid=kid)
    if kty == "RSA":
        if "oth" in jwk:
            raise InvalidKeyError("Unsupported RSA private key: > 2 primes not supported")
        n = _b64_member(jwk, "n")
        e = _b64_member(jwk, "e")
        d = _b64_member(jwk, "d", required=False)
        crt = [_b64_member(jwk, m, required=False) for m in ("p", "q", "dp", "dq", "qi")]
        if d is not None and not any(c is not None for c in crt):
            ni, ei, di = (int.from_bytes(x, "big") for x in (n, e, d))
            p, q = _recover_primes(ni, ei, di)
            crt = [_int_bytes(x) for x in (p, q, di % (p - 1), di % (q - 1), pow(q, -1, p))]
        elif d is not None and not all(c is not None for c in crt):
            raise InvalidKeyError("RSA key must include all parameters if any are present besides d")
        elif d is None and any(c is not None for c in crt):
            raise InvalidKeyError("RSA key has CRT parameters but no private exponent")
        return _check_key(_core.JwtKey.rsa(n, e, d, *crt, algorithm=alg, kid=kid))
    if kty == "EC":
        crv = jwk.get("crv")
        if crv not in ("P-256", "P-384", "P-521"):
            raise InvalidKeyError(f"Invalid curve: {crv}")
        x = _b64_member(jwk, "x")
        y = _b64_member(jwk, "y")
        d = _b64_member(jwk, "d", required=False)
        return _core.JwtKey.ec(crv, x, y, d, algorithm=alg, kid=kid)
    if kty == "OKP":
        crv = jwk.get("crv")
        if crv != "Ed25519":
            raise InvalidKeyError(f"Invalid curve: {crv}")
        x = _b64_member(jwk, "x")
        d = _b64_member(jwk, "d", required=False)
        return _core.JwtKey.ed25519(x, d, algorithm=alg, kid=kid)
    raise InvalidKeyError(f"Unsupported kty: {kty}")


def _infer_algorithm(jwk: dict) -> str:
    # mirrors PyJWK.__init__'s choice of algorithm from kty and crv
    kty = jwk.get("kty")
    crv = jwk.get("crv")
    if kty == "EC":
        if crv == "P-256" or not crv:
            return "ES256"
        if crv == "P-384":
            return "ES384"
        if crv == "P-521":
            return "ES512"
        if crv == "secp256k1":
            return "ES256K"
        raise InvalidKeyError(f"Unsupported crv: {crv}")
    if kty == "RSA":
        return "RS256"
    if kty == "oct":
        return "HS256"
    if kty == "OKP":
        if not crv:
            raise InvalidKeyError(f"crv is not found: {jwk}")
        if crv == "Ed25519":
            return "EdDSA"
        raise InvalidKeyError(f"Unsupported crv: {crv}")
    raise InvalidKeyError(f"Unsupported kty: {kty}")


class PyJWK:
    """A JSON Web Key (RFC 7517), as PyJWT's ``PyJWK``. ``key`` is the
    prepared :class:`JwtKey` (PyJWT's holds a ``cryptography`` object)."""

    def __init__(self, jwk_data: dict[str, Any], algorithm: str | None = None) -> None:
        self._jwk_data = jwk_data
        kty = self._jwk_data.get("kty", None)
        if not kty:
            raise InvalidKeyError(f"kty is not found: {self._jwk_data}")
        if not algorithm and isinstance(self._jwk_data, dict):
            algorithm = self._jwk_data.get("alg", None)
        if not algorithm:
            algorithm = _infer_algorithm(self._jwk_data)
        if algorithm not in ALGORITHMS:
            raise PyJWKError(f"Unable to find an algorithm for key: {self._jwk_data}")
        self.algorithm_name = algorithm
        self.Algorithm = get_algorithm_by_name(algorithm)
        try:
            self.key = _jwk_key(self._jwk_data, algorithm)
        except (TypeError, ValueError) as error:
            raise InvalidKeyError(f"Unable to construct key from JWK: {error}") from error

    @staticmethod
    def from_dict(obj: dict[str, Any], algorithm: str | None = None) -> PyJWK:
        return PyJWK(obj, algorithm)

    @staticmethod
    def from_json(data: str, algorithm: str | None = None) -> PyJWK:
        return PyJWK.from_dict(json.loads(data), algorithm)

    @property
    def key_type(self) -> str | None:
        return self._jwk_data.get("kty", None)

    @property
    def key_id(self) -> str | None:
        return self._jwk_data.get("kid", None)

    @property
    def public_key_use(self) -> str | None:
        return self._jwk_data.get("use", None)

    def __repr__(self) -> str:
        return f"<PyJWK {self.algorithm_name} kid={self.key_id!r}>"


class PyJWKSet:
    """A JWK Set (RFC 7517 section 5), as PyJWT's ``PyJWKSet``: unusable keys
    are skipped."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys: list[PyJWK] = []
        if not keys:
            raise PyJWKSetError("The JWK Set did not contain any keys")
        if not isinstance(keys, list):
            raise PyJWKSetError("Invalid JWK Set value")
        for key in keys:
            if not isinstance(key, dict):
                continue
            try:
                self.keys.append(PyJWK(key))
            except PyJWTError:
                continue  # skip unusable keys
        if len(self.keys) == 0:
            raise PyJWKSetError("The JWK Set did not contain any usable keys.")

    @staticmethod
    def from_dict(obj: dict[str, Any]) -> PyJWKSet:
        return PyJWKSet(obj.get("keys", []))

    @staticmethod
    def from_json(data: str) -> PyJWKSet:
        return PyJWKSet.from_dict(json.loads(data))

    def __getitem__(self, kid: str) -> PyJWK:
        for key in self.keys:
            if key.key_id == kid:
                return key
        raise KeyError(f"keyset has no key for kid: {kid}")

    def __iter__(self):
        return iter(self.keys)


# ---------------------------------------------------------------------------
# Algorithms (what PyJWS.get_algorithm_by_name returns)
# ---------------------------------------------------------------------------


class Algorithm:
    """The sign/verify interface of one algorithm, as PyJWT's ``Algorithm``
    objects offer it. Keys go through :func:`prepare_key`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def prepare_key(self, key: Any) -> JwtKey:
        return prepare_key(key, self.name)

    def sign(self, msg: bytes, key: Any) -> bytes:
        return self.prepare_key(key).sign(self.name, msg)

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        return self.prepare_key(key).verify(self.name, msg, sig)

    def check_key_length(self, key: Any) -> str | None:
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.prepare_key(key).check_length(self.name, False)
        return str(caught[0].message) if caught else None

    @staticmethod
    def from_jwk(jwk: str | dict) -> JwtKey:
        if isinstance(jwk, str):
            try:
                jwk = json.loads(jwk)
            except ValueError:
                raise InvalidKeyError("Key is not valid JSON") from None
        return _jwk_key(jwk, None)

    def __repr__(self) -> str:
        return f"<sesstok.jwt.Algorithm {self.name}>"


_ALGORITHM_OBJECTS = {name: Algorithm(name) for name in ALGORITHMS}


# ---------------------------------------------------------------------------
# PyJWS and PyJWT
# ---------------------------------------------------------------------------


# ---- PyJWT's API where it is cold: warnings, and subclasses with hooks ----
# The C core runs encode and decode; it calls these only off the hot path.


def _decode_warnings(fname: str, kwargs: Any, verify: Any, options: Any, stacklevel: int = 2) -> None:
    """PyJWT's warnings about the legacy arguments of decode() and
    decode_complete(): **kwargs (their names) and a `verify` that disagrees
    with options["verify_signature"]. The C core calls this only when there
    is one (stacklevel 2 is then its caller: C methods have no frame)."""
    if kwargs:
        warnings.warn(
            f"passing additional kwargs to {fname}() is deprecated and will be removed in "
            f"pyjwt version 3. Unsupported kwargs: {tuple(kwargs)}",
            RemovedInPyjwt3Warning,
            stacklevel=stacklevel,
        )
    verify_signature = True if options is None else options.get("verify_signature", True)
    if verify is not None and verify != verify_signature:
        warnings.warn(
            "The `verify` argument to `decode` does nothing in PyJWT 2.0 and newer. The "
            "equivalent is setting `verify_signature` to False in the `options` dictionary. "
            "This invocation has a mismatch between the kwarg and the option entry.",
            category=DeprecationWarning,
            stacklevel=stacklevel,
        )


_EXTENSION_POINTS = ("_encode_payload", "_decode_payload", "_validate_claims")
_ALGORITHM_UNSET = object()  # PyJWT's: "algorithm" not given to encode


def _hooked(obj: Any) -> bool:
    """Does obj's class override one of PyJWT's extension points? PyJWT
    documents _encode_payload/_decode_payload as such (_validate_claims is
    one in practice): encode and decode then run as PyJWT's code does,
    through them (_hooked_encode, _hooked_decode, _hooked_decode_complete),
    on the C core's JWS steps."""
    cls = type(obj)
    return isinstance(obj, PyJWT) and any(getattr(cls, name) is not getattr(PyJWT, name) for name in _EXTENSION_POINTS)


def _hooked_encode(
    self: PyJWT,
    payload: dict[str, Any],
    key: Any,
    algorithm: Any = _ALGORITHM_UNSET,
    headers: dict[str, Any] | None = None,
    json_encoder: Any = None,
    sort_headers: bool = True,
) -> str:
    # mirrors PyJWT.encode
    prepared = _core.jwt_prepare_payload(payload)
    if prepared is payload:
        prepared = payload.copy()  # PyJWT hands _encode_payload a copy
    json_payload = self._encode_payload(prepared, headers=headers, json_encoder=json_encoder)
    if algorithm is _ALGORITHM_UNSET:
        return self._encode_jws(
            json_payload, key, headers=headers, json_encoder=json_encoder, sort_headers=sort_headers
        )
    return self._encode_jws(json_payload, key, algorithm, headers, json_encoder, sort_headers=sort_headers)


def _hooked_decode_complete(
    self: PyJWT,
    jwt: str | bytes,
    key: Any = "",
    algorithms: Iterable[str] | None = None,
    options: dict[str, Any] | None = None,
    verify: bool | None = None,
    detached_payload: bytes | None = None,
    audience: Any = None,
    issuer: Any = None,
    subject: str | None = None,
    leeway: Any = 0,
    **kwargs: Any,
) -> dict[str, Any]:
    # mirrors PyJWT.decode_complete
    if kwargs or verify is not None:
        _decode_warnings("decode_complete", kwargs, verify, options, stacklevel=3)
    merged_options = self._merge_options(options)
    decoded = self._decode_jws(jwt, key, algorithms, options, detached_payload)
    if type(self)._decode_payload is PyJWT._decode_payload:
        payload = _claims_json(decoded["payload"], merged_options)  # the call's max_json_depth
    else:
        payload = self._decode_payload(decoded)
    self._validate_claims(payload, merged_options, audience=audience, issuer=issuer, subject=subject, leeway=leeway)
    decoded["payload"] = payload
    return decoded


def _hooked_decode(
    self: PyJWT,
    jwt: str | bytes,
    key: Any = "",
    algorithms: Iterable[str] | None = None,
    options: dict[str, Any] | None = None,
    verify: bool | None = None,
    detached_payload: bytes | None = None,
    audience: Any = None,
    subject: str | None = None,
    issuer: Any = None,
    leeway: Any = 0,
    **kwargs: Any,
) -> Any:
    # mirrors PyJWT.decode
    if kwargs:
        _decode_warnings("decode", kwargs, None, None, stacklevel=3)
    decoded = self.decode_complete(
        jwt,
        key,
        algorithms,
        options,
        verify=verify,
        detached_payload=detached_payload,
        audience=audience,
        subject=subject,
        issuer=issuer,
        leeway=leeway,
    )
    return decoded["payload"]


def _claims_json(data: bytes, options: Mapping[str, Any]) -> dict[str, Any]:
    """The claims of a JWT payload: strict JSON, an object, nested no deeper
    than options["max_json_depth"] (PyJWT._decode_payload's errors)."""
    try:
        payload = _core.json_decode(
            data,
            strict=True,
            max_depth=options.get("max_json_depth") or _core.JWT_DEFAULT_MAX_JSON_DEPTH,
        )
    except ValueError as e:
        raise DecodeError(f"Invalid payload string: {e}") from e
    if not isinstance(payload, dict):
        raise DecodeError("Invalid payload string: must be a json object")
    return payload


class _Options(dict):
    """The ``options`` dict of a PyJWS/PyJWT object. PyJWT reads that dict
    on every call, so code that changes it in place
    (``obj.options["verify_exp"] = False``) is honoured there; sesstok
    prepares its options once, so every in-place change re-prepares the
    owner. (A list inside it, ``options["require"]``, changed in place is
    not seen: assign a new list.)"""

    __slots__ = ("_owner",)

    def __init__(self, value: Mapping, owner: Any) -> None:
        super().__init__(value)
        self._owner = weakref.ref(owner)  # no cycle; deepcopy keeps the ref as is

    def _changed(self) -> None:
        owner = self._owner()
        if owner is not None and owner._options is self:
            owner._reconfigure()

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()

    def __ior__(self, other: Any) -> _Options:
        super().__ior__(other)
        self._changed()
        return self

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def pop(self, *args: Any) -> Any:
        value = super().pop(*args)
        self._changed()
        return value

    def popitem(self) -> tuple[Any, Any]:
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, key: Any, default: Any = None) -> Any:
        value = super().setdefault(key, default)
        self._changed()
        return value

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __reduce__(self) -> tuple:
        return (dict, (dict(self),))  # copies and pickles are plain dicts


class PyJWS(_core.JwsApi):
    """JSON Web Signatures with arbitrary bytes payloads, as PyJWT's
    ``PyJWS``. Options: ``verify_signature`` (True),
    ``enforce_minimum_key_length`` (True in sesstok, False in PyJWT),
    ``max_token_length`` (8192) and ``max_json_depth`` (32)."""

    header_typ = "JWT"

    def __init__(self, algorithms: Iterable[str] | None = None, options: dict | None = None) -> None:
        self._valid_algs = set(algorithms) if algorithms is not None else set(ALGORITHMS)
        self._restricted = algorithms is not None
        opts = self._get_default_options()
        if options is not None:
            opts = {**opts, **options}
        self.options = opts

    @staticmethod
    def _get_default_options() -> dict[str, Any]:
        return {"verify_signature": True, "enforce_minimum_key_length": True}

    @property
    def options(self) -> dict[str, Any]:
        return self._options

    @options.setter
    def options(self, value: dict[str, Any]) -> None:
        self._options = _Options(value, self)
        self._reconfigure()

    def _reconfigure(self) -> None:
        algorithms = sorted(self._valid_algs) if self._restricted else None
        self._configure(self._options, algorithms, type(self).header_typ, False)

    def register_algorithm(self, alg_id: str, alg_obj: Any) -> None:
        """Not supported: sesstok's algorithms are implemented in C. Re-enables
        a built-in algorithm that unregister_algorithm removed."""
        if alg_id in self._valid_algs:
            raise ValueError("Algorithm already has a handler.")
        if alg_id in ALGORITHMS and isinstance(alg_obj, Algorithm) and alg_obj.name == alg_id:
            self._valid_algs.add(alg_id)
            self._reconfigure()
            return
        raise NotImplementedError(
            "sesstok implements its algorithms in C; custom Algorithm objects cannot be registered"
        )

    def unregister_algorithm(self, alg_id: str) -> None:
        if alg_id not in self._valid_algs:
            raise KeyError("The specified algorithm could not be removed because it is not registered.")
        self._valid_algs.remove(alg_id)
        self._restricted = True
        self._reconfigure()

    def get_algorithms(self) -> list[str]:
        return list(self._valid_algs)

    def get_algorithm_by_name(self, alg_name: str) -> Algorithm:
        if alg_name in self._valid_algs and alg_name in _ALGORITHM_OBJECTS:
            return _ALGORITHM_OBJECTS[alg_name]
        raise NotImplementedError("Algorithm not supported")


class PyJWT(_core.JwtApi):
    """JSON Web Tokens, as PyJWT's ``PyJWT``: ``encode``, ``decode`` and
    ``decode_complete`` with PyJWT's arguments and options (``verify_*``,
    ``require``, ``strict_aud``, ``enforce_minimum_key_length`` -- True by
    default in sesstok), plus ``max_token_length`` and ``max_json_depth``."""

    def __init__(self, options: dict | None = None) -> None:
        self._options = self._get_default_options()
        self.options = self._merge_options(options) if options is not None else self._options
        self._jws = PyJWS(options=self._get_sig_options())

    @staticmethod
    def _get_default_options() -> dict[str, Any]:
        return {
            "verify_signature": True,
            "verify_exp": True,
            "verify_nbf": True,
            "verify_iat": True,
            "verify_aud": True,
            "verify_iss": True,
            "verify_sub": True,
            "verify_jti": True,
            "require": [],
            "strict_aud": False,
            "enforce_minimum_key_length": True,
        }

    @property
    def options(self) -> dict[str, Any]:
        return self._options

    @options.setter
    def options(self, value: dict[str, Any]) -> None:
        self._options = _Options(value, self)
        self._reconfigure()

    def _reconfigure(self) -> None:
        self._configure(self._options, None, PyJWS.header_typ, _hooked(self))

    def _get_sig_options(self) -> dict[str, Any]:
        return {
            "verify_signature": self.options["verify_signature"],
            "enforce_minimum_key_length": self.options.get("enforce_minimum_key_length", True),
        }

    def _merge_options(self, options: dict | None = None) -> dict[str, Any]:
        # mirrors PyJWT._merge_options
        if options is None:
            return self.options
        merged = dict(options)
        if not merged.get("verify_signature", True):
            for name in (
                "verify_exp",
                "verify_nbf",
                "verify_iat",
                "verify_aud",
                "verify_iss",
                "verify_sub",
                "verify_jti",
            ):
                merged[name] = merged.get(name, False)
        return {**self.options, **merged}

    # Extension points PyJWT documents; a subclass overriding one is honoured.
    def _encode_payload(self, payload: dict[str, Any], headers: dict | None = None, json_encoder: Any = None) -> bytes:
        return _core.jwt_json_dumps(payload, json_encoder)

    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        return _claims_json(decoded["payload"], self.options)

    def _validate_claims(
        self,
        payload: dict[str, Any],
        options: dict[str, Any],
        audience: Any = None,
        issuer: Any = None,
        subject: str | None = None,
        leeway: float = 0,
    ) -> None:
        _core.jwt_validate_claims(payload, options, audience, issuer, subject, leeway)


_jws_global_obj = PyJWS()
_jwt_global_obj = PyJWT()
_jwt_global_obj._jws = _jws_global_obj

encode = _jwt_global_obj.encode
decode = _jwt_global_obj.decode
decode_complete = _jwt_global_obj.decode_complete
get_unverified_header = _jws_global_obj.get_unverified_header
register_algorithm = _jws_global_obj.register_algorithm
unregister_algorithm = _jws_global_obj.unregister_algorithm
get_algorithm_by_name = _jws_global_obj.get_algorithm_by_name


# ---------------------------------------------------------------------------
# Prepared Encoder and Decoder
# ---------------------------------------------------------------------------


def _check_algorithm(name: Any, signing: bool = False) -> str:
    if isinstance(name, str) and name.lower() == "none":
        if signing:  # as encode(): an unsupported algorithm
            raise NotImplementedError("Algorithm 'none' is not supported: sesstok never makes unsecured tokens")
        raise InvalidAlgorithmError("The 'none' algorithm is not supported: sesstok never accepts unsecured tokens")
    if name not in ALGORITHMS:
        raise NotImplementedError(f"Algorithm not supported: {name!r}")
    return name


class Encoder(_core.JwtEncoder):
    """A prepared signer: the key is loaded and checked, and the header
    serialized, once. ``encode(payload)`` returns what
    ``jwt.encode(payload, key, algorithm, headers, json_encoder, sort_headers)``
    would.

    ::

        encoder = Encoder(private_pem, "RS256", headers={"kid": "k1"})
        token = encoder.encode({"sub": "42", "exp": exp})
    """

    def __init__(
        self,
        key: Any,
        algorithm: str | None = None,
        headers: dict[str, Any] | None = None,
        json_encoder: Any = None,
        sort_headers: bool = True,
        *,
        enforce_minimum_key_length: bool = True,
    ) -> None:
        bound = None
        if not isinstance(key, (str, bytes)):
            bound = _load_key(key).algorithm
        alg = algorithm or bound or "HS256"
        if headers and headers.get("alg"):
            alg = headers["alg"]
        alg = _check_algorithm(alg, signing=True)
        if headers and headers.get("b64") is False:
            raise InvalidTokenError('A JWT cannot have "b64": false (RFC 7797 payloads are for JWS only)')
        header: dict[str, Any] = {"typ": PyJWS.header_typ, "alg": alg}
        if headers:
            if "kid" in headers and not isinstance(headers["kid"], str):
                raise InvalidTokenError("Key ID header parameter must be a string")
            header.update(headers)
        if not header["typ"]:
            del header["typ"]
        header.pop("b64", None)
        header_b64 = _core.b64url_encode(_core.jwt_json_dumps(header, json_encoder, sort_headers))
        prepared = _load_key(key, alg in _HMAC_ALGORITHMS)
        prepared.check_length(alg, enforce_minimum_key_length)
        super().__init__(prepared, alg, header_b64, json_encoder)
        # the header every token carries, parsed back: nothing shared with
        # the caller's headers, read-only
        self._headers = MappingProxyType(json.loads(_core.b64url_decode(header_b64)))

    @property
    def headers(self) -> Mapping[str, Any]:
        return self._headers


def _jwk_set_entries(keys: Any) -> list[tuple[JwtKey, str | None]]:
    if not isinstance(keys, PyJWKSet):
        kids = [k.get("kid") for k in keys.get("keys", []) if isinstance(k, dict) and "kid" in k]
        if len(kids) != len(set(map(repr, kids))):
            raise InvalidKeyError("Duplicate kid in the JWK Set")
    jwks = keys if isinstance(keys, PyJWKSet) else PyJWKSet.from_dict(keys)
    return [(k.key, k.key_id) for k in jwks]


class Decoder(_core.JwtDecoder):
    """A prepared verifier: keys loaded and checked, options and claim
    expectations fixed, once. ``decode(token)`` is one C call.

    keys: one key (any form PyJWT accepts, or a JWK); a mapping
    ``{kid: key}``; a list of keys, JWKs or ``(kid, key)`` pairs; a JWK Set
    (``{"keys": [...]}`` or :class:`PyJWKSet`). A token's ``kid`` selects the
    key with that kid; keys given without a kid are tried when none matches.
    Keys must be all symmetric or all asymmetric, and kids unique.
    What the Decoder is given is copied when it is made: ``options`` is a
    read-only view of its own copy (``require`` as a tuple), and list
    ``audience``/``issuer`` values become tuples, so changing the caller's
    objects later changes nothing.

    ::

        decoder = Decoder({"2024": new_secret, "2023": old_secret}, ["HS256"],
                          audience="api", issuer="https://auth.example",
                          leeway=30, options={"require": ["exp", "sub"]})
        claims = decoder.decode(token)
    """

    def __init__(
        self,
        keys: Any,
        algorithms: Iterable[str],
        *,
        audience: Any = None,
        issuer: Any = None,
        subject: str | None = None,
        leeway: Any = 0,
        options: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(algorithms, str) or not algorithms:
            raise ValueError('Decoder needs a list of algorithms, e.g. ["HS256"]')
        algs = [_check_algorithm(a) for a in algorithms]
        opts = PyJWT._get_default_options()
        if options:
            opts.update(options)
        if not opts["verify_signature"]:
            raise ValueError("a Decoder always verifies signatures (verify_signature=False)")
        entries = self._entries(keys, algs)
        self._check_entries(entries, algs, bool(opts.get("enforce_minimum_key_length", True)))
        audience = tuple(audience) if isinstance(audience, list) else audience
        issuer = tuple(issuer) if isinstance(issuer, list) else issuer
        super().__init__(entries, algs, opts, audience, issuer, subject, leeway)

    @staticmethod
    def _load(key: Any, algs: list[str]) -> JwtKey:
        hmac = [a in _HMAC_ALGORITHMS for a in algs]
        if isinstance(key, (str, bytes)) and any(hmac) and not all(hmac):
            data = key.encode() if isinstance(key, str) else key
            return _asym_key(data) if _looks_asymmetric(data) else _hmac_key(data)
        return _load_key(key, all(hmac))

    @classmethod
    def _entries(cls, keys: Any, algs: list[str]) -> list[tuple[JwtKey, str | None]]:
        if isinstance(keys, PyJWKSet) or (isinstance(keys, Mapping) and "keys" in keys):
            return _jwk_set_entries(keys)
        if isinstance(keys, Mapping) and "kty" not in keys:
            out = []
            for kid, key in keys.items():
                if not isinstance(kid, str):
                    raise TypeError("the keys of a kid -> key mapping must be str")
                out.append((cls._load(key, algs), kid))
            return out
        if isinstance(keys, (list, tuple)):
            out = []
            for item in keys:
                if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                    out.append((cls._load(item[1], algs), item[0]))
                else:
                    k = cls._load(item, algs)
                    out.append((k, k.kid))
            return out
        k = cls._load(keys, algs)
        return [(k, k.kid)]

    @staticmethod
    def _check_entries(entries: list[tuple[JwtKey, str | None]], algs: list[str], enforce: bool) -> None:
        if not entries:
            raise ValueError("a Decoder needs at least one key")
        symmetric = {k.kty == "oct" for k, _ in entries}
        if len(symmetric) > 1:
            raise InvalidKeyError("A Decoder's keys must be all symmetric (HMAC) or all asymmetric")
        kids = [kid for _, kid in entries if kid is not None]
        if len(kids) != len(set(kids)):
            raise InvalidKeyError("Duplicate kid in the Decoder's keys")
        for key, kid in entries:
            usable = [a for a in algs if a in key.algorithms]
            if not usable:
                raise InvalidKeyError(f"Key {kid or key!r} cannot be used with any of the algorithms {algs}")
            for a in usable:
                key.check_length(a, enforce)


# ---------------------------------------------------------------------------
# PyJWKClient
# ---------------------------------------------------------------------------


class _NoRedirectHandler(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


class PyJWKClient:
    """Fetches signing keys from a JWKS endpoint, as PyJWT's ``PyJWKClient``:
    the JWK Set is cached for ``lifespan`` seconds, an unknown kid triggers
    one refresh (at most every ``cooldown_duration`` seconds), only http(s)
    URIs are accepted and redirects are not followed."""

    def __init__(
        self,
        uri: str,
        cache_keys: bool = False,
        max_cached_keys: int = 16,
        cache_jwk_set: bool = True,
        lifespan: float = 300,
        headers: dict[str, Any] | None = None,
        timeout: float = 30,
        ssl_context: Any = None,
        cooldown_duration: float = 30,
    ) -> None:
        scheme = urlparse(uri).scheme.lower()
        if scheme not in ("http", "https"):
            raise PyJWKClientError(f"Invalid JWKS URI scheme {scheme!r}: only 'http' and 'https' are supported.")
        if cooldown_duration < 0 or not math.isfinite(cooldown_duration):
            raise PyJWKClientError(
                f'Cooldown duration must be a finite number >= 0, the input is "{cooldown_duration}"'
            )
        if cache_jwk_set and lifespan <= 0:
            raise PyJWKClientError(f'Lifespan must be greater than 0, the input is "{lifespan}"')
        self.uri = uri
        self.headers = headers or {}
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.cooldown_duration = cooldown_duration
        self.cache_jwk_set = cache_jwk_set
        self.lifespan = lifespan
        self._cached: tuple[PyJWKSet, float] | None = None
        self._last_successful_fetch: float | None = None
        self._lock = threading.RLock()
        if cache_keys:
            self.get_signing_key = lru_cache(maxsize=max_cached_keys)(self.get_signing_key)  # type: ignore[method-assign]

    def fetch_data(self) -> Any:
        try:
            request = urllib.request.Request(url=self.uri, headers=self.headers)
            handlers: list[Any] = [_NoRedirectHandler()]
            if self.ssl_context is not None:
                handlers.append(urllib.request.HTTPSHandler(context=self.ssl_context))
            opener = urllib.request.build_opener(*handlers)
            with opener.open(request, timeout=self.timeout) as response:
                data = json.load(response)
        except (URLError, TimeoutError, http.client.HTTPException, ValueError) as e:
            if isinstance(e, HTTPError):
                e.close()
            raise PyJWKClientConnectionError(f'Fail to fetch data from the url, err: "{e}"') from e
        if not isinstance(data, dict):
            raise PyJWKClientError("The JWKS endpoint did not return a JSON object")
        jwk_set = PyJWKSet.from_dict(data)
        if self.cache_jwk_set:
            self._cached = (jwk_set, time.monotonic())
        self._last_successful_fetch = time.monotonic()
        return data

    def get_jwk_set(self, refresh: bool = False) -> PyJWKSet:
        if self.cache_jwk_set and not refresh and self._cached is not None:
            jwk_set, when = self._cached
            if time.monotonic() <= when + self.lifespan:
                return jwk_set
        data = self.fetch_data()
        if self.cache_jwk_set and self._cached is not None:
            return self._cached[0]
        return PyJWKSet.from_dict(data)

    def get_signing_keys(self, refresh: bool = False) -> list[PyJWK]:
        keys = [k for k in self.get_jwk_set(refresh).keys if k.public_key_use in ("sig", None) and k.key_id]
        if not keys:
            raise PyJWKClientError("The JWKS endpoint did not contain any signing keys")
        return keys

    def get_signing_key(self, kid: str) -> PyJWK:
        with self._lock:
            key = self.match_kid(self.get_signing_keys(), kid)
            if key is None:
                cooling = (
                    self.cache_jwk_set
                    and self._last_successful_fetch is not None
                    and time.monotonic() - self._last_successful_fetch < self.cooldown_duration
                )
                if not cooling:
                    key = self.match_kid(self.get_signing_keys(refresh=True), kid)
                if key is None:
                    raise PyJWKClientError(f'Unable to find a signing key that matches: "{kid}"')
            return key

    def get_signing_key_from_jwt(self, token: str | bytes) -> PyJWK:
        header = get_unverified_header(token)
        return self.get_signing_key(header.get("kid"))

    @staticmethod
    def match_kid(signing_keys: list[PyJWK], kid: str) -> PyJWK | None:
        for key in signing_keys:
            if key.key_id == kid:
                return key
        return None
