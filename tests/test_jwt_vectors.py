"""Known-answer tests for sesstok.jwt: RFC 7515 appendix A, RFC 7519, RFC 8037,
RFC 4231 and the Wycheproof HMAC, ECDSA (P1363 and DER), Ed25519, RSA PKCS#1
v1.5, JSON Web Signature and JSON Web Key files (tests/vectors/jwt/, each
with its source noted).

Every `valid` vector verifies and every `invalid` one is rejected.
Wycheproof's one `acceptable` vector here (RSA PKCS#1 v1.5 with the NULL
parameter missing from the DigestInfo, tcId 8) is rejected: sesstok accepts
only the canonical encoding, as OpenSSL 3 does; see docs/jwt.md.
"""

import json
import pathlib

import pytest

from sesstok import _core, jwt
from sesstok.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    InvalidAlgorithmError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    PyJWTError,
)

VECTORS = pathlib.Path(__file__).parent / "vectors" / "jwt"


def load(name):
    return json.loads((VECTORS / name).read_text())


def b64(data):
    return _core.b64url_encode(data).decode()


# ---- RFC 7515 / 7519 / 8037 --------------------------------------------------------------

RFC7515 = {v["id"]: v for v in load("rfc7515.json")["vectors"]}


def test_sources_noted():
    for path in VECTORS.glob("*.json"):
        assert "source" in json.loads(path.read_text()), path.name


def test_rfc7515_a1_hs256_verifies_and_resigns():
    v = RFC7515["RFC7515-A.1"]
    key = bytes.fromhex(v["key_hex"])
    # the JWS verifies; the 2011 exp makes the JWT decode raise
    assert jwt.PyJWS().decode(v["token"], key, algorithms=["HS256"]) == v["payload"].encode()
    with pytest.raises(ExpiredSignatureError):
        jwt.decode(v["token"], key, algorithms=["HS256"])
    claims = jwt.decode(v["token"], key, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == v["payload_json"]
    # the same key as a JWK
    jwk = jwt.PyJWK(v["key_jwk"])
    assert jwt.decode(v["token"], jwk, options={"verify_exp": False}) == v["payload_json"]
    # the signature is HMAC over the signing input, byte for byte
    k = jwt.JwtKey.hmac(key)
    assert b64(k.sign("HS256", v["signing_input"].encode())) == v["signature_b64u"]


@pytest.mark.parametrize("vid", ["RFC7515-A.2", "RFC7515-A.3", "RFC7515-A.4"])
def test_rfc7515_asymmetric(vid):
    v = RFC7515[vid]
    alg = v["alg"]
    for key in (v["key_pem_public"], v["key_pem_private"], jwt.PyJWK(v["key_jwk"], alg)):
        payload = jwt.PyJWS().decode(v["token"], key, algorithms=[alg])
        assert payload == v["payload"].encode()
    if v["payload_json"] is not None:
        with pytest.raises(ExpiredSignatureError):
            jwt.decode(v["token"], v["key_pem_public"], algorithms=[alg])
    else:  # A.4: "Payload" is not JSON
        with pytest.raises(DecodeError, match="Invalid payload string"):
            jwt.decode(v["token"], v["key_pem_public"], algorithms=[alg])
    tampered = v["token"][:-4] + ("AAAA" if not v["token"].endswith("AAAA") else "BBBA")
    with pytest.raises((InvalidSignatureError, DecodeError)):
        jwt.PyJWS().decode(tampered, v["key_pem_public"], algorithms=[alg])


def test_rfc7515_a2_rs256_resigns_byte_for_byte():
    v = RFC7515["RFC7515-A.2"]
    k = jwt.prepare_key(v["key_pem_private"], "RS256")
    assert b64(k.sign("RS256", v["signing_input"].encode())) == v["signature_b64u"]


def test_rfc7515_a5_unsecured_refused():
    v = RFC7515["RFC7515-A.5"]
    with pytest.raises(InvalidAlgorithmError):
        jwt.decode(v["token"], "k" * 32, algorithms=["HS256"])
    with pytest.raises(InvalidAlgorithmError):
        jwt.decode(v["token"], "k" * 32, algorithms=["none"])


def test_rfc7515_appendix_e_crit_refused():
    v = RFC7515["RFC7515-E"]
    with pytest.raises(InvalidTokenError, match="Unsupported critical extension"):
        jwt.get_unverified_header(v["token"])
    with pytest.raises(InvalidTokenError):
        jwt.decode(v["token"], "k" * 32, algorithms=["HS256"])


def test_rfc7519():
    for v in load("rfc7519.json")["vectors"]:
        if v["alg"] == "none":
            with pytest.raises(InvalidAlgorithmError):
                jwt.decode(v["token"], "k" * 32, algorithms=["HS256"])
            continue
        key = bytes.fromhex(v["key_hex"]) if "key_hex" in v else v["key_pem_public"]
        assert jwt.decode(v["token"], key, algorithms=[v["alg"]], options={"verify_exp": False}) == v["claims"]
        with pytest.raises(ExpiredSignatureError):
            jwt.decode(v["token"], key, algorithms=[v["alg"]])


def test_rfc8037_ed25519():
    (v,) = load("rfc8037.json")["vectors"]
    for key in (v["key_pem_public"], jwt.PyJWK(v["public_jwk"]), jwt.PyJWK(v["private_jwk"])):
        assert jwt.PyJWS().decode(v["token"], key, algorithms=["EdDSA"]) == v["payload"].encode()
    with pytest.raises(DecodeError, match="Invalid payload string"):
        jwt.decode(v["token"], v["key_pem_public"], algorithms=["EdDSA"])
    # Ed25519 is deterministic: re-signing gives the RFC's signature
    k = jwt.PyJWK(v["private_jwk"]).key
    assert b64(k.sign("EdDSA", v["signing_input"].encode())) == v["token"].rsplit(".", 1)[1]
    assert jwt.PyJWS().encode(v["payload"].encode(), v["key_pem_private"], "EdDSA", headers={"typ": None}) == v["token"]


# ---- RFC 4231 and Wycheproof HMAC: the primitive, no key-length policy ------------------

ALG_OF_SHA = {"sha256": "HS256", "sha384": "HS384", "sha512": "HS512"}


def test_rfc4231():
    for v in load("rfc4231.json")["vectors"]:
        key = jwt.JwtKey.hmac(bytes.fromhex(v["key_hex"]))  # short keys: the primitive
        data = bytes.fromhex(v["data_hex"])
        for sha, alg in ALG_OF_SHA.items():
            expected = bytes.fromhex(v["hmac_" + sha])
            mac = key.sign(alg, data)
            assert mac[: len(expected)] == expected, (v["test_case"], alg)
            if len(expected) == len(mac):
                assert key.verify(alg, data, expected)


@pytest.mark.parametrize("sha", ["sha256", "sha384", "sha512"])
def test_wycheproof_hmac(sha):
    data = load(f"wycheproof_hmac_{sha}.json")
    alg = ALG_OF_SHA[sha]
    count = 0
    for group in data["testGroups"]:
        tag_bytes = group["tagSize"] // 8
        for t in group["tests"]:
            key = jwt.JwtKey.hmac(bytes.fromhex(t["key"]))
            tag = bytes.fromhex(t["tag"])
            mac = key.sign(alg, bytes.fromhex(t["msg"]))
            ok = len(tag) == tag_bytes and _core.compare_digest(mac[:tag_bytes], tag)
            assert ok == (t["result"] == "valid"), t["tcId"]
            if len(tag) == len(mac):
                assert key.verify(alg, bytes.fromhex(t["msg"]), tag) == ok
            count += 1
    assert count == data["numberOfTests"]


# ---- Wycheproof signatures at the primitive level -------------------------------------------


@pytest.mark.parametrize(
    "name,alg",
    [
        ("wycheproof_ecdsa_secp256r1_sha256_p1363.json", "ES256"),
        ("wycheproof_ecdsa_secp384r1_sha384_p1363.json", "ES384"),
        ("wycheproof_ecdsa_secp521r1_sha512_p1363.json", "ES512"),
        ("wycheproof_ed25519.json", "EdDSA"),
        ("wycheproof_rsa_signature_2048_sha256.json", "RS256"),
    ],
)
def test_wycheproof_signatures(name, alg):
    data = load(name)
    seen = {"valid": 0, "invalid": 0, "acceptable": 0}
    for group in data["testGroups"]:
        key = jwt.prepare_key(bytes.fromhex(group["publicKeyDer"]), alg)
        if "publicKeyPem" in group:
            assert jwt.prepare_key(group["publicKeyPem"], alg).public_der() == key.public_der()
        if "publicKeyJwk" in group:
            assert jwt.PyJWK(group["publicKeyJwk"], alg).key.public_der() == key.public_der()
        for t in group["tests"]:
            ok = key.verify(alg, bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"]))
            # `acceptable` is rejected (see the module docstring)
            assert ok == (t["result"] == "valid"), (t["tcId"], t["comment"])
            seen[t["result"]] += 1
    assert sum(seen.values()) == data["numberOfTests"]
    if alg == "RS256":
        assert seen["acceptable"] == 1


def test_wycheproof_ecdsa_der_through_the_der_parser():
    """The DER file: our strict DER parser (used for OpenSSL's signatures)
    turns every valid DER signature into R||S that verifies, and no invalid
    one verifies, whether or not it parses."""
    data = load("wycheproof_ecdsa_secp256r1_sha256.json")
    for group in data["testGroups"]:
        key = jwt.prepare_key(bytes.fromhex(group["publicKeyDer"]), "ES256")
        for t in group["tests"]:
            try:
                raw = _core.ecdsa_der_to_raw(bytes.fromhex(t["sig"]), 32)
            except ValueError:
                assert t["result"] != "valid", t["tcId"]
                continue
            ok = key.verify("ES256", bytes.fromhex(t["msg"]), raw)
            assert ok == (t["result"] == "valid"), (t["tcId"], t["comment"])
            if t["result"] == "valid":
                assert _core.ecdsa_raw_to_der(raw) == bytes.fromhex(t["sig"])


# ---- Wycheproof JSON Web Signature ----------------------------------------------------------

# Documented exceptions (docs/jwt.md, "Wycheproof"):
# - 367 and 370 ("invalidBase64Padding...") hold a token byte-identical to
#   357 ("ValidMac", valid): the padding the names refer to is not in the
#   file. Being the same bytes, they verify as 357 does.
# - 372 and 373 insert a "?" into the header or payload segment and are
#   labelled valid for libraries that skip characters outside the alphabet;
#   sesstok accepts canonical base64url only and rejects them.
JWS_SAME_AS_VALID = {367, 370}
JWS_STRICT_REJECTS = {372, 373}

# RFC 7520 uses one key for RS256, PS384 and ES512 examples; Wycheproof's
# groups give its JWK an "alg" for one of them ("ES521" is not a JWS name).
RFC7520_GROUPS = {"rfc7520", "rfc7520WithKeyOps"}


def _jws_decode(group, token):
    jwk = dict(group["private"])
    alg = jwk.get("alg")
    if group["comment"] in RFC7520_GROUPS:
        alg = jwt.get_unverified_header(token)["alg"]
    key = jwt.PyJWK(jwk, alg)
    return jwt.PyJWS().decode(token, key)


def test_wycheproof_json_web_signature():
    data = load("wycheproof_json_web_signature.json")
    count = 0
    for group in data["testGroups"]:
        for t in group["tests"]:
            count += 1
            expect_valid = t["result"] == "valid"
            if t["tcId"] in JWS_SAME_AS_VALID:
                expect_valid = True
            if t["tcId"] in JWS_STRICT_REJECTS:
                expect_valid = False
            try:
                payload = _jws_decode(group, t["jws"])
            except PyJWTError:
                assert not expect_valid, (t["tcId"], t["comment"])
            else:
                assert expect_valid, (t["tcId"], t["comment"])
                assert isinstance(payload, bytes)
    assert count == data["numberOfTests"]


def test_wycheproof_jws_documented_exceptions_are_what_we_say():
    tests = {t["tcId"]: t for g in load("wycheproof_json_web_signature.json")["testGroups"] for t in g["tests"]}
    assert tests[367]["jws"] == tests[357]["jws"] == tests[370]["jws"]
    for tc in JWS_STRICT_REJECTS:
        assert tests[tc]["result"] == "valid" and "?" in tests[tc]["jws"]
        with pytest.raises(DecodeError, match="Token contains|padding"):
            jwt.get_unverified_header(tests[tc]["jws"])


# ---- Wycheproof JSON Web Key (key sets) -------------------------------------------------------


def test_wycheproof_json_web_key():
    """Key sets go to a Decoder (the payloads are not JSON, so decode_jws)."""
    data = load("wycheproof_json_web_key.json")
    count = 0
    for group in data["testGroups"]:
        for t in group["tests"]:
            count += 1
            try:
                alg = jwt.get_unverified_header(t["jws"])["alg"]
                payload = jwt.Decoder(group["private"], [alg]).decode_jws(t["jws"])
                assert payload == b"foo" or payload == b""
                verdict = "valid"
            except PyJWTError:
                verdict = "invalid"
            assert verdict == t["result"], (t["tcId"], t["comment"])
    assert count == data["numberOfTests"]


def test_wycheproof_jwk_rejections_are_key_errors():
    """The invalid key sets are refused when the keys are loaded."""
    data = load("wycheproof_json_web_key.json")
    by_comment = {}
    for group in data["testGroups"]:
        for t in group["tests"]:
            by_comment.setdefault(t["comment"], []).append((group, t))
    for comment in (
        "rejectsValid",
        "rejectsDuplicateKid",
        "rejectsKeyWithRocaVulnerability",
        "rejectsPublicExponent1",
        "rejectsModifiedKey",
        "rejectsAesKey",
        "mismatchedAlgAndCurve",
    ):
        for group, t in by_comment[comment]:
            with pytest.raises((InvalidKeyError, jwt.PyJWKSetError, jwt.PyJWKError)):
                alg = jwt.get_unverified_header(t["jws"])["alg"]
                jwt.Decoder(group["private"], [alg])
