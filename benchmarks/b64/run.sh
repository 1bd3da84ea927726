#!/usr/bin/env bash
# benchmarks/b64/run.sh [CODEC_DIR] - base64url instructions and time per
# character, per implementation, for 64 B, 1 KB and 20 KB of input.
#
# Builds bench_b64.c against CODEC_DIR/codec.c (default: this checkout's
# csrc; pass e.g. /work/baseline/csrc for the code before a change) with the
# flags setup.py uses, then for each implementation (SESSTOK_B64URL_IMPL;
# a codec.c without the switch ignores it) prints a markdown table:
# callgrind instructions per base64 character (ITERS runs minus 0 runs, so
# setup cancels out) and the median of 5 timed runs in ns per character.
# Needs gcc and valgrind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${1:-$here/../../csrc}
impls=${IMPLS:-scalar avx2}
work=$(mktemp -d "${TMPDIR:-/tmp}/sesstok-b64.XXXXXX")
trap 'rm -rf "$work"' EXIT

${CC:-gcc} -std=c11 -O2 -Wall -Wextra -Wno-unused-parameter -I"$src" \
    -o "$work/bench_b64" "$here/bench_b64.c" "$src/codec.c"

# total instructions of one run under callgrind
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$work/bench_b64" "$@" >/dev/null 2>&1
    sed -n 's/^totals: \([0-9]*\).*/\1/p; s/^summary: \([0-9]*\).*/\1/p' "$work/cg.out" | head -n 1
}

median_ns() {
    for _ in 1 2 3 4 5; do "$work/bench_b64" "$@" | cut -d' ' -f2; done | sort -g | sed -n 3p
}

echo "codec: $src"
echo
echo "| impl | op | input | chars | instructions/char | ns/char |"
echo "|---|---|---|---|---|---|"
for impl in $impls; do
    export SESSTOK_B64URL_IMPL=$impl
    for op in encode strict lax; do
        for size in 64 1024 20480; do
            iters=$(( 2000000 / size + 20 ))
            chars=$("$work/bench_b64" "$op" "$size" 1 | cut -d' ' -f1)
            base=$(instructions "$op" "$size" 0)
            full=$(instructions "$op" "$size" "$iters")
            per=$(awk -v a="$full" -v b="$base" -v n="$iters" -v c="$chars" 'BEGIN { printf "%.2f", (a - b) / (n * c) }')
            ns=$(median_ns "$op" "$size" $(( iters * 20 )))
            echo "| $impl | $op | $size B | $chars | $per | $ns |"
        done
    done
done
