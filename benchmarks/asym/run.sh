#!/usr/bin/env bash
# benchmarks/asym/run.sh - build bench_asym.c against every C crypto library
# installed here, check each on the Wycheproof Ed25519 vectors, and time
# Ed25519 and ES256 sign/verify (median µs per operation); with CALLGRIND=1
# also count instructions per operation (load-independent).
#
# Not built by setup.py: this only informs the choice of backend
# (docs/crypto-backends.md). Libraries (Debian): libssl-dev (required),
# libsodium-dev, nettle-dev, libgcrypt20-dev, libwolfssl-dev, libmbedtls-dev,
# libdecaf-dev; each one found is compiled in.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$(dirname "$here")")
work=$(mktemp -d "${TMPDIR:-/tmp}/sesstok-asym.XXXXXX")
trap 'rm -rf "$work"' EXIT

flags=() libs=(-lcrypto)
have() { # have NAME HEADER LIBS...
    local name=$1 header=$2; shift 2
    if printf '#include <%s>\n' "$header" | ${CC:-gcc} -E -x c - -I/usr/include/decaf >/dev/null 2>&1; then
        flags+=("-DHAVE_$name"); libs+=("$@"); echo "with $name"
    else
        echo "without $name ($header not found)"
    fi
}
have SODIUM sodium.h -lsodium
have NETTLE nettle/eddsa.h -lhogweed -lnettle -lgmp
have GCRYPT gcrypt.h -lgcrypt
have WOLFSSL wolfssl/options.h -lwolfssl
have MBEDTLS mbedtls/ecdsa.h -lmbedcrypto
have DECAF decaf/ed255.h -ldecaf

${CC:-gcc} -std=c11 -O2 -Wall -Wextra -Wno-unused-parameter -Wno-deprecated-declarations \
    -I/usr/include/decaf "${flags[@]}" -o "$work/bench_asym" "$here/bench_asym.c" "${libs[@]}"

# Wycheproof Ed25519 -> "pk msg sig result" lines of hex ("-" for an empty message)
python3 - "$root/tests/vectors/jwt/wycheproof_ed25519.json" >"$work/vectors.txt" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
for group in data["testGroups"]:
    for t in group["tests"]:
        print(group["publicKey"]["pk"], t["msg"] or "-", t["sig"] or "-", t["result"])
PY

echo "OpenSSL: $(openssl version 2>/dev/null || echo '?')"
"$work/bench_asym" "$work/vectors.txt" || echo "bench_asym: some backend failed a correctness check (see above)"

if [ "${CALLGRIND:-0}" = 1 ]; then
    echo "instructions per operation (callgrind: BENCH_ITERS=20 minus BENCH_ITERS=0, / 20):"
    count() { # count LABEL OP ITERS
        BENCH_ONLY=$1 BENCH_OP=$2 BENCH_ITERS=$3 valgrind --tool=callgrind \
            --callgrind-out-file="$work/cg.out" "$work/bench_asym" >/dev/null 2>&1
        sed -n 's/^summary: \([0-9]*\).*/\1/p; s/^totals: \([0-9]*\).*/\1/p' "$work/cg.out" | head -n 1
    }
    for label in $(BENCH_ITERS=0 BENCH_ONLY=none "$work/bench_asym" --list); do
        for op in sign verify; do
            base=$(count "$label" "$op" 0) full=$(count "$label" "$op" 20)
            echo "$label $op $(( (full - base) / 20 ))"
        done
    done
fi
