"""Ed25519 and ES256 sign/verify through pyca/cryptography's wheel, which
bundles its own OpenSSL (statically linked into its Rust module, so a C
extension cannot call it; measured for comparison with the system 3.0).

    python benchmarks/asym/pyca.py

Median of 7 rounds of thread CPU time, µs per operation, on the same
200-byte message as bench_asym.c; includes one Python call (~0.1 µs)."""

import statistics
import time

from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

MSG = (b"eyJhbGciOiJFZERTQSJ9." * 10)[:200]


def median_us(fn):
    n = 1
    while True:
        t0 = time.thread_time()
        for _ in range(n):
            fn()
        if time.thread_time() - t0 >= 0.02:
            break
        n *= 2
    rounds = []
    for _ in range(7):
        t0 = time.thread_time()
        for _ in range(n):
            fn()
        rounds.append((time.thread_time() - t0) / n * 1e6)
    return statistics.median(rounds)


def main():
    print("cryptography's OpenSSL:", backend.openssl_version_text())
    ed = ed25519.Ed25519PrivateKey.from_private_bytes(b"sesstok asym benchmark seed 0001")
    ed_pub, ed_sig = ed.public_key(), ed.sign(MSG)
    ed_pub.verify(ed_sig, MSG)
    p256 = ec.generate_private_key(ec.SECP256R1())
    p256_pub, alg = p256.public_key(), ec.ECDSA(hashes.SHA256())
    p256_sig = p256.sign(MSG, alg)
    p256_pub.verify(p256_sig, MSG, alg)
    print(f"Ed25519 pyca sign {median_us(lambda: ed.sign(MSG)):.2f}")
    print(f"Ed25519 pyca verify {median_us(lambda: ed_pub.verify(ed_sig, MSG)):.2f}")
    print(f"ES256 pyca sign {median_us(lambda: p256.sign(MSG, alg)):.2f}")
    print(f"ES256 pyca verify {median_us(lambda: p256_pub.verify(p256_sig, MSG, alg)):.2f}")


if __name__ == "__main__":
    main()
