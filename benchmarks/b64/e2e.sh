#!/usr/bin/env bash
# benchmarks/b64/e2e.sh CHECKOUT [PYTHON] - callgrind instructions per call of
# the end-to-end cases in e2e.py (HS256 decode/encode, dumps/loads of a
# session, 1 KB and 20 KB), with CHECKOUT's sesstok (e.g. /work/baseline for
# the code before a change, or this checkout). Load-independent, unlike
# timings on a shared machine. A checkout whose codec.c reads
# SESSTOK_B64URL_IMPL is measured with each implementation in $IMPLS.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
checkout=$1
python=${2:-python3}
cases=${CASES:-hs256-decode hs256-encode dumps-session loads-session dumps-1k loads-1k dumps-20k loads-20k}
impls=${IMPLS:-default}
work=$(mktemp -d "${TMPDIR:-/tmp}/sesstok-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT

count() { # count CASE N
    rm -f "$work/cg.out"
    PYTHONPATH=$checkout PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
        "$python" "$here/e2e.py" "$1" "$2" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
    sed -n 's/^summary: \([0-9]*\).*/\1/p; s/^totals: \([0-9]*\).*/\1/p' "$work/cg.out" | head -n 1
}

echo "| checkout | impl | case | instructions/call |"
echo "|---|---|---|---|"
for impl in $impls; do
    if [ "$impl" = default ]; then unset SESSTOK_B64URL_IMPL; else export SESSTOK_B64URL_IMPL=$impl; fi
    for c in $cases; do
        case $c in *-20k) n=100 ;; *) n=2000 ;; esac
        base=$(count "$c" 0) full=$(count "$c" "$n")
        echo "| $checkout | $impl | $c | $(( (full - base) / n )) |"
    done
done
