"""PyJWT vs sesstok.jwt, side by side.

    python benchmarks/bench_jwt.py [--json] [--quick] [-k NAME]

Every case checks first that both sides agree (identical tokens where the
algorithm is deterministic; otherwise each side's token verifies with the
other library; identical claims when decoding). Groups:

- hmac: HS256/HS512 through the module functions (HS256 also with the
  per-call `options=` SimpleJWT passes), and sesstok's prepared
  Encoder/Decoder against the same PyJWT call.
- pem: RS256, ES256 and EdDSA with PEM strings as keys, as many PyJWT users
  pass them (PyJWT parses the PEM on every call; sesstok once).
- objects: the same with `cryptography` key objects.
- floor: sesstok with PEM strings against one raw signature or verification
  with a key loaded once through `cryptography` (i.e. OpenSSL). The ratio
  there is raw / sesstok; the target 0.77 means "within 1.3x of the raw
  operation".
"""

import os
import sys
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402,F401  (makes a source checkout importable)

import jwt as pyjwt  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # noqa: E402

from _harness import Case, run  # noqa: E402
from sesstok import jwt  # noqa: E402

SECRET = "benchmark-secret-" + "k" * 47  # 64 bytes: long enough for HS512
CLAIMS = {
    "sub": "1234567890",
    "name": "John Doe",
    "iat": 1516239022,
    "exp": 4102444800,
    "scope": ["read", "write"],
}
# what SimpleJWT's TokenBackend.decode passes without an audience
SIMPLEJWT_OPTIONS = {"verify_aud": False, "verify_signature": True}
SIMPLEJWT_LEEWAY = timedelta(0)  # TokenBackend.get_leeway() returns a timedelta
FLOOR = round(1 / 1.3, 3)  # "within 1.3x of the raw operation"


def _pem(private_key):
    priv = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pub = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return priv, pub


KEYS = {
    "RS256": rsa.generate_private_key(65537, 2048),
    "ES256": ec.generate_private_key(ec.SECP256R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate(),
}
PEMS = {alg: _pem(k) for alg, k in KEYS.items()}
DETERMINISTIC = {"HS256", "HS512", "RS256", "EdDSA"}


def _verifies_both_ways(alg, pub):
    """Check for randomized signatures: each token verifies with the other
    library and carries the same claims."""

    def check(theirs, ours):
        return (
            jwt.decode(theirs, pub, algorithms=[alg]) == CLAIMS and pyjwt.decode(ours, pub, algorithms=[alg]) == CLAIMS
        )

    return check


def hmac_cases():
    for alg, target_enc, target_dec in (("HS256", 10, 12), ("HS512", None, None)):
        token = pyjwt.encode(CLAIMS, SECRET, algorithm=alg)
        encoder = jwt.Encoder(SECRET, alg)
        decoder = jwt.Decoder(SECRET, [alg])
        yield Case(
            f"{alg} encode",
            lambda a=alg: pyjwt.encode(CLAIMS, SECRET, algorithm=a),
            lambda a=alg: jwt.encode(CLAIMS, SECRET, algorithm=a),
            target=target_enc,
            group="hmac",
        )
        yield Case(
            f"{alg} decode",
            lambda t=token, a=alg: pyjwt.decode(t, SECRET, algorithms=[a]),
            lambda t=token, a=alg: jwt.decode(t, SECRET, algorithms=[a]),
            target=target_dec,
            group="hmac",
        )
        if alg == "HS256":
            # SimpleJWT's TokenBackend.decode passes options= (and the claim
            # arguments) on every call: the per-call option merge
            yield Case(
                f"{alg} decode options=",
                lambda t=token, a=alg: pyjwt.decode(
                    t,
                    SECRET,
                    algorithms=[a],
                    audience=None,
                    issuer=None,
                    leeway=SIMPLEJWT_LEEWAY,
                    options=SIMPLEJWT_OPTIONS,
                ),
                lambda t=token, a=alg: jwt.decode(
                    t,
                    SECRET,
                    algorithms=[a],
                    audience=None,
                    issuer=None,
                    leeway=SIMPLEJWT_LEEWAY,
                    options=SIMPLEJWT_OPTIONS,
                ),
                note="as SimpleJWT calls it",
                group="hmac",
            )
        yield Case(
            f"{alg} Encoder.encode",
            lambda a=alg: pyjwt.encode(CLAIMS, SECRET, algorithm=a),
            lambda e=encoder: e.encode(CLAIMS),
            note="prepared",
            group="hmac",
        )
        yield Case(
            f"{alg} Decoder.decode",
            lambda t=token, a=alg: pyjwt.decode(t, SECRET, algorithms=[a]),
            lambda t=token, d=decoder: d.decode(t),
            target=15 if alg == "HS256" else None,
            note="prepared",
            group="hmac",
        )


def asymmetric_cases(group):
    for alg, key in KEYS.items():
        priv_pem, pub_pem = PEMS[alg]
        if group == "pem":
            sign_key, verify_key, note = priv_pem, pub_pem, "PEM str"
        else:
            sign_key, verify_key, note = key, key.public_key(), "key object"
        token = pyjwt.encode(CLAIMS, sign_key, algorithm=alg)
        check = None if alg in DETERMINISTIC else _verifies_both_ways(alg, pub_pem)
        yield Case(
            f"{alg} encode",
            lambda k=sign_key, a=alg: pyjwt.encode(CLAIMS, k, algorithm=a),
            lambda k=sign_key, a=alg: jwt.encode(CLAIMS, k, algorithm=a),
            check=check,
            target=1,
            note=note,
            group=group,
        )
        yield Case(
            f"{alg} decode",
            lambda t=token, k=verify_key, a=alg: pyjwt.decode(t, k, algorithms=[a]),
            lambda t=token, k=verify_key, a=alg: jwt.decode(t, k, algorithms=[a]),
            target=1,
            note=note,
            group=group,
        )


def _raw_sign(alg, key):
    if alg == "RS256":
        return lambda msg: key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256":
        return lambda msg: key.sign(msg, ec.ECDSA(hashes.SHA256()))
    return key.sign


def _raw_verify(alg, pub):
    if alg == "RS256":
        return lambda sig, msg: pub.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256":
        return lambda sig, msg: pub.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
    return pub.verify


def floor_cases():
    for alg, key in KEYS.items():
        priv_pem, pub_pem = PEMS[alg]
        pub = key.public_key()
        token = jwt.encode(CLAIMS, priv_pem, algorithm=alg)
        signing_input, _, sig_b64 = token.rpartition(".")
        msg = signing_input.encode()
        raw_sig = jwt.JwtKey.load(priv_pem.encode()).sign(alg, msg)
        if alg == "ES256":  # JWS R||S -> DER for cryptography
            raw_sig = encode_dss_signature(int.from_bytes(raw_sig[:32], "big"), int.from_bytes(raw_sig[32:], "big"))
        sign, verify = _raw_sign(alg, key), _raw_verify(alg, pub)

        def sign_check(raw, ours, alg=alg, pub_pem=pub_pem, verify=verify, msg=msg):
            verify(raw, msg)  # the raw signature is real
            return jwt.decode(ours, pub_pem, algorithms=[alg]) == CLAIMS

        def verify_check(raw, ours):
            return raw is None and ours == CLAIMS

        yield Case(
            f"{alg} encode vs one raw signature",
            lambda s=sign, m=msg: s(m),
            lambda k=priv_pem, a=alg: jwt.encode(CLAIMS, k, algorithm=a),
            check=sign_check,
            target=FLOOR,
            note="PEM str; ratio = raw/sesstok",
            group="floor",
        )
        yield Case(
            f"{alg} decode vs one raw verification",
            lambda v=verify, s=raw_sig, m=msg: v(s, m),
            lambda t=token, k=pub_pem, a=alg: jwt.decode(t, k, algorithms=[a]),
            check=verify_check,
            target=FLOOR,
            note="PEM str; ratio = raw/sesstok",
            group="floor",
        )


def cases():
    yield from hmac_cases()
    yield from asymmetric_cases("pem")
    yield from asymmetric_cases("objects")
    yield from floor_cases()


TITLE = "JWT: PyJWT vs sesstok.jwt"


def main(argv=None):
    return run(list(cases()), TITLE, argv)


if __name__ == "__main__":
    main()
