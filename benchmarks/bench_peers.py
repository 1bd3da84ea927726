"""sesstok against the other JWT and signing libraries that install here.

    python benchmarks/bench_peers.py [--json] [--quick] [--runs N] [-k NAME]
    python benchmarks/bench_peers.py --from-json FILE     (the table of a saved run)

Cases: HS256 encode and decode through each library's module-level API and
through its prepared key objects, RS256 / ES256 / EdDSA verification with a
key loaded once, and Django-format signing (itsdangerous configured as
Django's ``Signer``: same key derivation, digest, salt and separator, so
the output is byte-identical). Peers: PyJWT, authlib, joserfc, itsdangerous
and the Rust-backed ryjwt (CPython >= 3.12 only), oxyjwt and webtoken; a
peer that is not installed is listed as missing, not timed.

Before timing, every peer is checked against sesstok in both directions:
it decodes sesstok's token to the same claims and sesstok decodes its token
to the same claims (signers: the same signed bytes, and each unsigns the
other's). Rounds interleave sesstok and every peer of a case and time this
thread's CPU (``time.thread_time``), so time the scheduler gives other jobs
on a shared machine is not counted (a VM's steal time may still be). The
whole set of cases is measured ``--runs`` times (3); the table shows the
median over runs of the median µs per call, and of the median over rounds
of the per-round ratio peer time / sesstok time (above 1: sesstok is faster).
"""

import argparse
import hashlib
import importlib
import importlib.metadata
import json
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402  (makes a source checkout importable)
from _harness import ResultMismatch, _calibrate  # noqa: E402

warnings.simplefilter("ignore")  # authlib.jose's deprecation notice, short-key warnings

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: E402

from sesstok import jwt as sjwt  # noqa: E402
from sesstok import signing as ssigning  # noqa: E402

SECRET = "peers-benchmark-secret-" + "k" * 41  # 64 bytes
NOW = int(time.time())
CLAIMS = {"sub": "1234567890", "name": "John Doe", "iat": NOW, "exp": NOW + 86400, "jti": "f4a3c0de9b1e4d2a"}
PEERS = ("PyJWT", "authlib", "joserfc", "ryjwt", "oxyjwt", "webtoken", "itsdangerous")


def _optional(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


pyjwt = _optional("jwt")
ryjwt = _optional("ryjwt")
oxyjwt = _optional("oxyjwt")
webtoken = _optional("webtoken")
itsdangerous = _optional("itsdangerous")
authlib_jose = _optional("authlib.jose")
joserfc_jwt = _optional("joserfc.jwt")
joserfc_jwk = _optional("joserfc.jwk")
MODULES = {
    "PyJWT": pyjwt,
    "authlib": authlib_jose,
    "joserfc": joserfc_jwt,
    "ryjwt": ryjwt,
    "oxyjwt": oxyjwt,
    "webtoken": webtoken,
    "itsdangerous": itsdangerous,
}


def pem(key, private):
    if private:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


KEYS = {
    "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ES256": ec.generate_private_key(ec.SECP256R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate(),
}
PEMS = {alg: (pem(k, True), pem(k, False)) for alg, k in KEYS.items()}
ALGS = ("HS256",) + tuple(KEYS)


# ---- each peer's calls ---------------------------------------------------------------------------------
# encoders: name -> (claims -> token str); decoders: name -> (token -> claims dict)


def _joserfc_registry():
    from joserfc.jwt import JWTClaimsRegistry

    return JWTClaimsRegistry()  # exp/nbf/iat checked, as every other library here does by default


def _authlib_options():
    return {"exp": {"essential": True}}


def module_hs256():
    """HS256 through module-level calls, the secret passed as a string each time."""
    enc, dec = {}, {}
    enc["sesstok"] = lambda c: sjwt.encode(c, SECRET, algorithm="HS256")
    dec["sesstok"] = lambda t: sjwt.decode(t, SECRET, algorithms=["HS256"])
    if pyjwt:
        enc["PyJWT"] = lambda c: pyjwt.encode(c, SECRET, algorithm="HS256")
        dec["PyJWT"] = lambda t: pyjwt.decode(t, SECRET, algorithms=["HS256"])
    if authlib_jose:
        from authlib.jose import jwt as ajwt

        def authlib_decode(t):
            claims = ajwt.decode(t, SECRET)
            claims.validate(now=int(time.time()))
            return dict(claims)

        enc["authlib"] = lambda c: ajwt.encode({"alg": "HS256"}, c, SECRET).decode()
        dec["authlib"] = authlib_decode
    if joserfc_jwt:
        registry = _joserfc_registry()

        def joserfc_decode(t):
            token = joserfc_jwt.decode(t, joserfc_jwk.OctKey.import_key(SECRET), algorithms=["HS256"])
            registry.validate(token.claims)
            return token.claims

        enc["joserfc"] = lambda c: joserfc_jwt.encode({"alg": "HS256"}, c, joserfc_jwk.OctKey.import_key(SECRET))
        dec["joserfc"] = joserfc_decode
    if oxyjwt:
        enc["oxyjwt"] = lambda c: oxyjwt.encode(c, SECRET, algorithm="HS256")
        dec["oxyjwt"] = lambda t: oxyjwt.decode(t, SECRET, algorithms=["HS256"])
    if webtoken:
        enc["webtoken"] = lambda c: webtoken.encode(c, SECRET, algorithm="HS256")
        dec["webtoken"] = lambda t: webtoken.decode(t, SECRET, algorithms=["HS256"])
    return enc, dec


def prepared_hs256():
    """HS256 with the key prepared once (the library's key object), where the
    library has one; PyJWT has none (its module call with the secret)."""
    module_enc, module_dec = module_hs256()
    # PyJWT and webtoken have no key objects: their module calls
    enc = {k: module_enc[k] for k in ("PyJWT", "webtoken") if k in module_enc}
    dec = {k: module_dec[k] for k in ("PyJWT", "webtoken") if k in module_dec}
    encoder, decoder = sjwt.Encoder(SECRET, "HS256"), sjwt.Decoder(SECRET, ["HS256"])
    enc["sesstok"], dec["sesstok"] = encoder.encode, decoder.decode
    if authlib_jose:
        from authlib.jose import JsonWebToken, OctKey

        a, akey = JsonWebToken(["HS256"]), OctKey.import_key(SECRET)
        header = {"alg": "HS256"}

        def authlib_decode(t):
            claims = a.decode(t, akey)
            claims.validate(now=int(time.time()))
            return dict(claims)

        enc["authlib"] = lambda c: a.encode(header, c, akey).decode()
        dec["authlib"] = authlib_decode
    if joserfc_jwt:
        jkey, registry, jheader = joserfc_jwk.OctKey.import_key(SECRET), _joserfc_registry(), {"alg": "HS256"}

        def joserfc_decode(t):
            token = joserfc_jwt.decode(t, jkey, algorithms=["HS256"])
            registry.validate(token.claims)
            return token.claims

        enc["joserfc"] = lambda c: joserfc_jwt.encode(jheader, c, jkey, algorithms=["HS256"])
        dec["joserfc"] = joserfc_decode
    if ryjwt:
        rkey = ryjwt.SecretKey(SECRET, algorithms=["HS256"])
        enc["ryjwt"], dec["ryjwt"] = rkey.encode, rkey.decode
    if oxyjwt:
        ekey, dkey = oxyjwt.EncodingKey.from_secret(SECRET.encode()), oxyjwt.DecodingKey.from_secret(SECRET.encode())
        enc["oxyjwt"] = lambda c: oxyjwt.encode(c, ekey, algorithm="HS256")
        dec["oxyjwt"] = lambda t: oxyjwt.decode(t, dkey, algorithms=["HS256"])
    order = ("sesstok",) + PEERS  # the table's column order
    return ({k: enc[k] for k in order if k in enc}, {k: dec[k] for k in order if k in dec})


OXY_LOADERS = {"RS256": "from_rsa_pem", "ES256": "from_ec_pem", "EdDSA": "from_ed_pem"}
JOSERFC_KEYS = {"RS256": "RSAKey", "ES256": "ECKey", "EdDSA": "OKPKey"}


def asymmetric(alg):
    """Verification with the public key loaded once; tokens signed by sesstok."""
    private, public = PEMS[alg]
    dec = {"sesstok": sjwt.Decoder(public, [alg]).decode}
    enc = {"sesstok": sjwt.Encoder(private, alg).encode}
    if pyjwt:
        key = KEYS[alg].public_key()
        dec["PyJWT"] = lambda t: pyjwt.decode(t, key, algorithms=[alg])
        enc["PyJWT"] = lambda c: pyjwt.encode(c, KEYS[alg], algorithm=alg)
    if authlib_jose:
        from authlib.jose import JsonWebKey, JsonWebToken

        a = JsonWebToken([alg])
        akey, apriv = JsonWebKey.import_key(public), JsonWebKey.import_key(private)

        def authlib_decode(t):
            claims = a.decode(t, akey)
            claims.validate(now=int(time.time()))
            return dict(claims)

        dec["authlib"] = authlib_decode
        enc["authlib"] = lambda c: a.encode({"alg": alg}, c, apriv).decode()
    if joserfc_jwt:
        cls = getattr(joserfc_jwk, JOSERFC_KEYS[alg])
        jkey, jpriv, registry = cls.import_key(public), cls.import_key(private), _joserfc_registry()

        def joserfc_decode(t):
            token = joserfc_jwt.decode(t, jkey, algorithms=[alg])
            registry.validate(token.claims)
            return token.claims

        dec["joserfc"] = joserfc_decode
        enc["joserfc"] = lambda c: joserfc_jwt.encode({"alg": alg}, c, jpriv, algorithms=[alg])
    if ryjwt:
        rpub, rpriv = ryjwt.PublicKey(public, algorithms=[alg]), ryjwt.PrivateKey(private, algorithms=[alg])
        dec["ryjwt"], enc["ryjwt"] = rpub.decode, rpriv.encode
    if oxyjwt:
        dkey = getattr(oxyjwt.DecodingKey, OXY_LOADERS[alg])(public.encode())
        ekey = getattr(oxyjwt.EncodingKey, OXY_LOADERS[alg])(private.encode())
        dec["oxyjwt"] = lambda t: oxyjwt.decode(t, dkey, algorithms=[alg])
        enc["oxyjwt"] = lambda c: oxyjwt.encode(c, ekey, algorithm=alg)
    if webtoken:
        wpub, wpriv = webtoken.load_pem_public_key(public.encode()), webtoken.load_pem_private_key(private.encode())
        dec["webtoken"] = lambda t: webtoken.decode(t, wpub, algorithms=[alg])
        enc["webtoken"] = lambda c: webtoken.encode(c, wpriv, algorithm=alg)
    return enc, dec


# ---- correctness -------------------------------------------------------------------------------------


def _claims(value):
    return dict(value) if not isinstance(value, dict) else value


def check_pair(name, enc, dec, peer):
    """peer decodes sesstok's token to CLAIMS, sesstok decodes the peer's."""
    ours = enc["sesstok"](CLAIMS)
    theirs = enc[peer](CLAIMS) if peer in enc else None
    got = _claims(dec[peer](ours))
    if got != CLAIMS:
        raise ResultMismatch(f"{name}: {peer} decodes sesstok's token to {got!r}")
    if theirs is not None:
        got = dec["sesstok"](theirs)
        if got != CLAIMS:
            raise ResultMismatch(f"{name}: sesstok decodes {peer}'s token to {got!r}")
        if _claims(dec[peer](theirs)) != CLAIMS:
            raise ResultMismatch(f"{name}: {peer} does not decode its own token")
    return theirs == ours


def jwt_cases():
    """(case name, {library: zero-argument callable}, checks) for every JWT case."""
    cases = []
    for label, (enc, dec) in (("module API", module_hs256()), ("prepared", prepared_hs256())):
        token = enc["sesstok"](CLAIMS)
        peers = [p for p in dec if p != "sesstok"]
        same = {p: check_pair(f"HS256 {label}", enc, dec, p) for p in peers}
        cases.append(
            (
                f"HS256 encode ({label})",
                {k: (lambda f=f: f(CLAIMS)) for k, f in enc.items()},
                {p: "same bytes" if same[p] else "other bytes, cross-verified" for p in peers if p in enc},
            )
        )
        cases.append((f"HS256 decode ({label})", {k: (lambda f=f, t=token: f(t)) for k, f in dec.items()}, {}))
    for alg in KEYS:
        enc, dec = asymmetric(alg)
        for p in dec:
            if p != "sesstok":
                check_pair(f"{alg}", enc, dec, p)
        token = enc["sesstok"](CLAIMS)
        cases.append((f"{alg} verify (key loaded once)", {k: (lambda f=f, t=token: f(t)) for k, f in dec.items()}, {}))
    return cases


def signing_cases():
    """itsdangerous configured as Django's Signer vs sesstok.signing (byte-identical)."""
    if itsdangerous is None:
        return []
    import _django

    _django.setup()
    salt = "django.core.signing.Signer"
    theirs = itsdangerous.Signer(
        SECRET, salt=salt, sep=":", key_derivation="django-concat", digest_method=hashlib.sha256
    )
    ours = ssigning.Signer(key=SECRET, salt=salt)
    value = "user:42:2026-12-04T18:00:00"
    signed = ours.sign(value)
    if theirs.sign(value).decode() != signed:
        raise ResultMismatch(f"itsdangerous signs {theirs.sign(value)!r}, sesstok {signed!r}")
    if theirs.unsign(signed).decode() != value or ours.unsign(theirs.sign(value).decode()) != value:
        raise ResultMismatch("itsdangerous and sesstok do not unsign each other's values")
    return [
        (
            "Signer.sign (Django format)",
            {"sesstok": lambda: ours.sign(value), "itsdangerous": lambda: theirs.sign(value)},
            {"itsdangerous": "same bytes"},
        ),
        (
            "Signer.unsign (Django format)",
            {"sesstok": lambda: ours.unsign(signed), "itsdangerous": lambda: theirs.unsign(signed)},
            {},
        ),
    ]


# ---- timing and output -----------------------------------------------------------------------------------


def _cpu_round(fn, number):
    """µs of this thread's CPU per call: time the scheduler gives to other
    jobs on a shared machine is not counted, unlike wall-clock time."""
    start = time.thread_time()
    for _ in range(number):
        fn()
    return (time.thread_time() - start) / number * 1e6


def measure(calls, rounds):
    """({library: median µs}, {peer: median over rounds of peer µs / sesstok µs in that round})."""
    numbers = {k: _calibrate(f) for k, f in calls.items()}
    samples = {k: [] for k in calls}
    for _ in range(rounds):
        for k, f in calls.items():
            samples[k].append(_cpu_round(f, numbers[k]))
    ratios = {
        k: statistics.median(a / b for a, b in zip(v, samples["sesstok"])) for k, v in samples.items() if k != "sesstok"
    }
    return {k: statistics.median(v) for k, v in samples.items()}, ratios


def version(name):
    dist = {"PyJWT": "PyJWT", "authlib": "Authlib"}.get(name, name)
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def markdown(results, versions):
    """The table; versions: {peer: version} in column order."""
    peers = list(versions)
    head = "| case | sesstok µs | " + " | ".join(f"{p} {v}" for p, v in versions.items()) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(peers)]
    cases = {}
    for r in results:
        cases.setdefault(r["group"], {})[r["peer"]] = r
    for case, by_peer in cases.items():
        cells = []
        for p in peers:
            r = by_peer.get(p)
            cells.append("—" if r is None else f"{r['original_us']:.2f} (**{r['ratio']:.2f}×**)")
        lines.append(f"| {case} | {next(iter(by_peer.values()))['sesstok_us']:.2f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Cells: peer µs per call (peer time ÷ sesstok time; above 1: sesstok is faster). "
        "—: the library has no such call.",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (noisier)")
    parser.add_argument("-k", dest="filter", help="only cases whose name contains this")
    parser.add_argument("--runs", type=int, default=3, help="passes over all cases; medians over passes (default 3)")
    parser.add_argument("--from-json", metavar="FILE", help="print the table of a saved --json run (no measuring)")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as f:
            saved = json.load(f)
        print(markdown(saved["results"], saved["environment"]["peers"]))
        return saved["results"]
    rounds, runs = (7, 1) if args.quick else (15, args.runs)
    missing = [p for p in PEERS if MODULES[p] is None]
    peers = [p for p in PEERS if MODULES[p] is not None]
    cases = [c for c in jwt_cases() + signing_cases() if not args.filter or args.filter in c[0]]
    # whole passes over every case, so that a slow spell of the machine
    # lands in one pass of a case, not in all of its rounds
    passes = [[measure(calls, rounds) for _, calls, _ in cases] for _ in range(runs)]
    results = []
    for i, (name, calls, notes) in enumerate(cases):
        us = {k: statistics.median(p[i][0][k] for p in passes) for k in calls}
        ratios = {k: statistics.median(p[i][1][k] for p in passes) for k in calls if k != "sesstok"}
        # one row per peer, in the harness's shape ("original" = the peer), so
        # `python -m sesstok bench` renders it like the other benchmarks
        for peer in (p for p in us if p != "sesstok"):
            results.append(
                {
                    "name": f"{name}: {peer} vs sesstok",
                    "group": name,
                    "peer": peer,
                    "original_us": us[peer],
                    "sesstok_us": us["sesstok"],
                    "ratio": ratios[peer],
                    "target": None,
                    "note": notes.get(peer, ""),
                }
            )
        if not args.json:
            print(f"  {name}: " + ", ".join(f"{p} {r:.2f}×" for p, r in ratios.items()), file=sys.stderr)
    environment = dict(_harness.environment(), peers={p: version(p) for p in peers}, missing=missing)
    if args.json:
        print(
            json.dumps({"title": "sesstok vs peer libraries", "environment": environment, "results": results}, indent=2)
        )
        return results
    print(markdown(results, environment["peers"]))
    if missing:
        print(f"\nNot installed here: {', '.join(missing)}.")
    return results


if __name__ == "__main__":
    main()
