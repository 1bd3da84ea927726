"""Type stubs for sesstok._core, the C core."""

from datetime import timedelta
from typing import Any, Iterable, Mapping, Optional, Union

_Bytes = Union[bytes, bytearray, memoryview]
_StrOrBytes = Union[str, bytes]

OPENSSL_VERSION: str
ZLIB_VERSION: str
DEFAULT_MAX_DECOMPRESSED_SIZE: int
DEFAULT_MAX_JSON_DEPTH: int
HMAC_ALGORITHMS: list[str]
HMAC_FAST_PATH: bool  # False in a SESSTOK_NO_FAST_HMAC=1 build

def set_limits(
    *, max_decompressed_size: Optional[int] = ..., max_json_depth: Optional[int] = ...
) -> dict[str, int]: ...
def get_limits() -> dict[str, int]: ...

# codecs
def b64url_encode(data: _Bytes, /) -> bytes: ...
def b64url_decode(data: Union[str, _Bytes], /, *, strict: bool = ...) -> bytes: ...
def b62_encode(value: int, /) -> str: ...
def b62_decode(value: str, /) -> int: ...
def hex(data: _Bytes, /) -> str: ...

# crypto
class HmacKey:
    def __new__(cls, secret: _StrOrBytes, algorithm: str = ..., *, salt: Optional[_StrOrBytes] = ...) -> "HmacKey": ...
    @property
    def digest_size(self) -> int: ...
    @property
    def algorithm(self) -> str: ...
    def digest(self, msg: Union[str, _Bytes], /) -> bytes: ...
    def verify(self, msg: Union[str, _Bytes], mac: _Bytes, /) -> bool: ...

def compare_digest(a: Union[str, _Bytes], b: Union[str, _Bytes], /) -> bool: ...
def digest(algorithm: str, data: Union[str, _Bytes], /) -> bytes: ...
def hmac_cache_clear() -> None: ...
def hmac_cache_size() -> int: ...

# random
def random_bytes(n: int, /) -> bytes: ...
def token_hex(nbytes: Optional[int] = ..., /) -> str: ...
def token_urlsafe(nbytes: Optional[int] = ..., /) -> str: ...
def random_string(length: int, allowed_chars: str = ...) -> str: ...

# zlib
def zlib_compress(data: _Bytes, /) -> bytes: ...
def zlib_decompress(data: _Bytes, /) -> bytes: ...

# JSON
def json_encode(obj: Any, *, sort_keys: bool = ...) -> bytes: ...
def json_decode(data: Union[str, _Bytes], *, strict: bool = ..., max_depth: Optional[int] = ...) -> Any: ...

# Django's signing
class Signer:
    key: Any
    fallback_keys: Iterable[Any]
    sep: str
    salt: str
    algorithm: str
    def __init__(
        self,
        *,
        key: Any = ...,
        sep: str = ...,
        salt: Optional[str] = ...,
        algorithm: Optional[str] = ...,
        fallback_keys: Optional[Iterable[Any]] = ...,
    ) -> None: ...
    def signature(self, value: Any, key: Any = ...) -> str: ...
    def sign(self, value: Any, /) -> str: ...
    def unsign(self, signed_value: str, /) -> str: ...
    def sign_object(self, obj: Any, serializer: Any = ..., compress: bool = ...) -> str: ...
    def unsign_object(self, signed_obj: str, serializer: Any = ..., **kwargs: Any) -> Any: ...

class TimestampSigner(Signer):
    def timestamp(self) -> str: ...
    def unsign(self, value: str, max_age: Union[int, float, timedelta, None] = ...) -> str: ...  # type: ignore[override]

def dumps(obj: Any, key: Any = ..., salt: str = ..., serializer: Any = ..., compress: bool = ...) -> str: ...
def loads(
    s: str,
    key: Any = ...,
    salt: str = ...,
    serializer: Any = ...,
    max_age: Union[int, float, timedelta, None] = ...,
    fallback_keys: Optional[Iterable[Any]] = ...,
) -> Any: ...
def base64_hmac(salt: str, value: _StrOrBytes, key: _StrOrBytes, algorithm: str) -> str: ...

# the methods sesstok.accelerate_django puts on Django's Signer/TimestampSigner
def django_signature(self: Any, timestamp: bool, value: Any, key: Any = ..., /) -> Any: ...
def django_sign(self: Any, timestamp: bool, value: Any, /) -> Any: ...
def django_unsign(self: Any, timestamp: bool, value: Any, max_age: Any = ..., /) -> Any: ...
def django_sign_object(self: Any, timestamp: bool, obj: Any, serializer: Any = ..., compress: Any = ..., /) -> str: ...
def django_unsign_object(
    self: Any, timestamp: bool, signed_obj: Any, serializer: Any = ..., /, **kwargs: Any
) -> Any: ...
def install_django(**objects: Any) -> None: ...

# JWT (jwt_*.c; the public API is sesstok.jwt)
JWT_ALGORITHMS: tuple[str, ...]
JWT_DEFAULT_MAX_TOKEN_LENGTH: int
JWT_DEFAULT_MAX_JSON_DEPTH: int

class JwtKey:
    kty: str
    is_private: bool
    key_size: int
    curve: Optional[str]
    algorithm: Optional[str]
    kid: Optional[str]
    algorithms: tuple[str, ...]
    @classmethod
    def hmac(cls, secret: bytes, *, algorithm: Optional[str] = ..., kid: Optional[str] = ...) -> JwtKey: ...
    @classmethod
    def load(cls, data: _Bytes, *, algorithm: Optional[str] = ..., kid: Optional[str] = ...) -> JwtKey: ...
    @classmethod
    def rsa(
        cls,
        n: _Bytes,
        e: _Bytes,
        d: Optional[_Bytes] = ...,
        p: Optional[_Bytes] = ...,
        q: Optional[_Bytes] = ...,
        dp: Optional[_Bytes] = ...,
        dq: Optional[_Bytes] = ...,
        qi: Optional[_Bytes] = ...,
        *,
        algorithm: Optional[str] = ...,
        kid: Optional[str] = ...,
    ) -> JwtKey: ...
    @classmethod
    def ec(
        cls,
        crv: str,
        x: _Bytes,
        y: _Bytes,
        d: Optional[_Bytes] = ...,
        *,
        algorithm: Optional[str] = ...,
        kid: Optional[str] = ...,
    ) -> JwtKey: ...
    @classmethod
    def ed25519(
        cls,
        x: Optional[_Bytes] = ...,
        d: Optional[_Bytes] = ...,
        *,
        algorithm: Optional[str] = ...,
        kid: Optional[str] = ...,
    ) -> JwtKey: ...
    def sign(self, algorithm: str, msg: _Bytes) -> bytes: ...
    def verify(self, algorithm: str, msg: _Bytes, signature: _Bytes) -> bool: ...
    def check_length(self, algorithm: str, enforce: bool) -> None: ...
    def rsa_public_numbers(self) -> tuple[int, int]: ...
    def public_der(self) -> bytes: ...

class JwtApi:
    def _configure(
        self, options: dict, algorithms: Optional[Iterable[str]], header_typ: Optional[str], hooked: bool
    ) -> None: ...
    # the JWS steps of encode/decode_complete, for subclasses with hooks (sesstok.jwt._hooked_*)
    def _encode_jws(
        self,
        payload: _Bytes,
        key: Any,
        algorithm: Optional[str] = ...,
        headers: Optional[dict] = ...,
        json_encoder: Any = ...,
        is_payload_detached: bool = ...,
        sort_headers: bool = ...,
    ) -> str: ...
    def _decode_jws(
        self,
        jwt: Union[str, bytes],
        key: Any = ...,
        algorithms: Optional[Iterable[str]] = ...,
        options: Optional[dict] = ...,
        detached_payload: Optional[bytes] = ...,
    ) -> dict: ...
    def encode(
        self,
        payload: dict,
        key: Any,
        algorithm: Optional[str] = ...,
        headers: Optional[dict] = ...,
        json_encoder: Any = ...,
        sort_headers: bool = ...,
    ) -> str: ...
    def decode(
        self,
        jwt: Union[str, bytes],
        key: Any = ...,
        algorithms: Optional[Iterable[str]] = ...,
        options: Optional[dict] = ...,
        verify: Optional[bool] = ...,
        detached_payload: Optional[bytes] = ...,
        audience: Any = ...,
        subject: Optional[str] = ...,
        issuer: Any = ...,
        leeway: Any = ...,
        **kwargs: Any,
    ) -> Any: ...
    def decode_complete(
        self,
        jwt: Union[str, bytes],
        key: Any = ...,
        algorithms: Optional[Iterable[str]] = ...,
        options: Optional[dict] = ...,
        verify: Optional[bool] = ...,
        detached_payload: Optional[bytes] = ...,
        audience: Any = ...,
        issuer: Any = ...,
        subject: Optional[str] = ...,
        leeway: Any = ...,
        **kwargs: Any,
    ) -> dict: ...
    def get_unverified_header(self, jwt: Union[str, bytes]) -> dict: ...
    def get_algorithms(self) -> tuple[str, ...]: ...

class JwsApi:
    def _configure(
        self, options: dict, algorithms: Optional[Iterable[str]], header_typ: Optional[str], hooked: bool
    ) -> None: ...
    def encode(
        self,
        payload: _Bytes,
        key: Any,
        algorithm: Optional[str] = ...,
        headers: Optional[dict] = ...,
        json_encoder: Any = ...,
        is_payload_detached: bool = ...,
        sort_headers: bool = ...,
    ) -> str: ...
    def decode(
        self,
        jwt: Union[str, bytes],
        key: Any = ...,
        algorithms: Optional[Iterable[str]] = ...,
        options: Optional[dict] = ...,
        detached_payload: Optional[bytes] = ...,
        **kwargs: Any,
    ) -> Any: ...
    def decode_complete(
        self,
        jwt: Union[str, bytes],
        key: Any = ...,
        algorithms: Optional[Iterable[str]] = ...,
        options: Optional[dict] = ...,
        detached_payload: Optional[bytes] = ...,
        **kwargs: Any,
    ) -> dict: ...
    def get_unverified_header(self, jwt: Union[str, bytes]) -> dict: ...
    def get_algorithms(self) -> tuple[str, ...]: ...

class JwtEncoder:
    algorithm: Optional[str]
    key: Optional[JwtKey]
    def __init__(self, key: JwtKey, algorithm: str, header_b64: bytes, json_encoder: Any) -> None: ...
    def encode(self, payload: dict) -> str: ...

class JwtDecoder:
    algorithms: tuple[str, ...]
    keys: tuple[tuple[JwtKey, Optional[str]], ...]
    @property
    def options(self) -> Optional[Mapping[str, Any]]: ...  # read-only view of its own copy
    def __init__(
        self,
        entries: list,
        algorithms: Iterable[str],
        options: dict,
        audience: Any,
        issuer: Any,
        subject: Optional[str],
        leeway: Any,
    ) -> None: ...
    def decode(self, jwt: Union[str, bytes]) -> dict: ...
    def decode_complete(self, jwt: Union[str, bytes]) -> dict: ...
    def decode_jws(self, jwt: Union[str, bytes]) -> bytes: ...

def jwt_json_dumps(obj: Any, json_encoder: Any = ..., sort_keys: bool = ...) -> bytes: ...
def jwt_prepare_payload(payload: dict, /) -> dict: ...
def jwt_validate_claims(
    payload: dict,
    options: dict,
    audience: Any = ...,
    issuer: Any = ...,
    subject: Optional[str] = ...,
    leeway: Any = ...,
) -> None: ...
def jwt_key_cache_clear() -> None: ...
def jwt_key_cache_size() -> int: ...
def is_der_certificate(data: _Bytes, /) -> bool: ...
def ecdsa_der_to_raw(der: _Bytes, coord_len: int, /) -> bytes: ...
def ecdsa_raw_to_der(raw: _Bytes, /) -> bytes: ...
