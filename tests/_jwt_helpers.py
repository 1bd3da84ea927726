"""Shared material for the JWT tests: the test keys (tests/keys/), token
forging for hostile inputs, and Hypothesis strategies for JSON payloads."""

import json
import pathlib

from cryptography.hazmat.primitives import serialization
from hypothesis import strategies as st

from sesstok import _core, jwt

KEYS = pathlib.Path(__file__).parent / "keys"

SECRET = "s" * 64  # long enough for HS512
FUTURE = 4102444800  # 2100-01-01
PAST = 946684800  # 2000-01-01

REGISTERED_CLAIMS = {"exp", "nbf", "iat", "iss", "aud", "sub", "jti"}


def key_bytes(name):
    return (KEYS / name).read_bytes()


def key_text(name):
    return key_bytes(name).decode()


def crypto_private(prefix):
    return serialization.load_pem_private_key(key_bytes(prefix + "_private.pem"), None)


def crypto_public(prefix):
    return serialization.load_pem_public_key(key_bytes(prefix + "_public.pem"))


# algorithm -> (key file prefix); HMAC uses SECRET
ASYM = {
    "RS256": "rsa2048",
    "RS384": "rsa2048",
    "RS512": "rsa2048",
    "PS256": "rsa2048",
    "PS384": "rsa2048",
    "PS512": "rsa2048",
    "ES256": "p256",
    "ES384": "p384",
    "ES512": "p521",
    "EdDSA": "ed25519",
}
HMAC = ("HS256", "HS384", "HS512")
ALL = HMAC + tuple(ASYM)
DETERMINISTIC = HMAC + ("RS256", "RS384", "RS512", "EdDSA")


def signing_key(alg, form="pem"):
    if alg in HMAC:
        return SECRET
    prefix = ASYM[alg]
    if form == "pem":
        return key_text(prefix + "_private.pem")
    if form == "bytes":
        return key_bytes(prefix + "_private.pem")
    if form == "der":
        return key_bytes(prefix + "_private.der")
    if form == "crypto":
        return crypto_private(prefix)
    raise ValueError(form)


def verifying_key(alg, form="pem"):
    if alg in HMAC:
        return SECRET
    prefix = ASYM[alg]
    if form == "pem":
        return key_text(prefix + "_public.pem")
    if form == "bytes":
        return key_bytes(prefix + "_public.pem")
    if form == "der":
        return key_bytes(prefix + "_public.der")
    if form == "ssh":
        return key_text(prefix + "_public.ssh")
    if form == "crypto":
        return crypto_public(prefix)
    raise ValueError(form)


def b64(data):
    return _core.b64url_encode(data).decode()


def forge(header, payload, alg="HS256", key=SECRET, raw=False):
    """A correctly signed token whose header and payload segments hold
    exactly the given bytes (dicts are serialized compactly), for feeding
    hostile content past the signature check."""
    if isinstance(header, dict):
        header = json.dumps(header, separators=(",", ":")).encode()
    if isinstance(payload, dict):
        payload = json.dumps(payload, separators=(",", ":")).encode()
    if isinstance(header, str):
        header = header.encode()
    if isinstance(payload, str):
        payload = payload.encode()
    signing_input = (b64(header) + "." + b64(payload)).encode()
    k = jwt.prepare_key(key, alg)
    return signing_input.decode() + "." + b64(k.sign(alg, signing_input))


# ---- Hypothesis -------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
)

json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

claim_names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12).filter(
    lambda k: k not in REGISTERED_CLAIMS
)

payloads = st.dictionaries(claim_names, json_values, max_size=6)

header_extras = st.dictionaries(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6).filter(
        lambda k: k not in {"alg", "crit", "b64", "kid", "typ"}
    ),
    json_values,
    max_size=3,
)
