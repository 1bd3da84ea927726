#!/usr/bin/env bash
# fuzz/run.sh - build the harnesses and run each for a bounded time on a
# freshly generated seed corpus. Exit non-zero if any harness finds a crash.
#
# Usage: fuzz/run.sh [TOTAL_SECONDS]   (default 180, or $FUZZ_TOTAL_SECONDS)
# Each harness gets TOTAL/count seconds, at least FUZZ_MIN_SECONDS (20) and
# at most FUZZ_MAX_SECONDS (60). Crash inputs are kept in $FUZZ_ARTIFACTS
# (default: a temp dir, printed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
total=${1:-${FUZZ_TOTAL_SECONDS:-180}}
min=${FUZZ_MIN_SECONDS:-20}
max=${FUZZ_MAX_SECONDS:-60}
python=${PYTHON:-python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/sesstok-fuzz.XXXXXX")
artifacts=${FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"
cleanup() { rm -rf "$work/bin" "$work/corpus"; }
trap cleanup EXIT

"$here/build.sh" "$work/bin"

shopt -s nullglob
bins=("$work"/bin/fuzz_*)
count=${#bins[@]}
per=$(( total / count ))
(( per < min )) && per=$min
(( per > max )) && per=$max

failed=()
for bin in "${bins[@]}"; do
    name=$(basename "$bin")
    corpus="$work/corpus/$name"
    mkdir -p "$corpus"
    "$python" "$here/seeds.py" "$name" "$corpus"
    echo "--- $name: ${per}s on $(ls "$corpus" | wc -l) seeds"
    if ! "$bin" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$corpus" 2>"$work/$name.log"; then
        tail -n 60 "$work/$name.log" >&2
        for crash in "$artifacts/$name"-*; do
            echo "reproducer: $crash  (run: $name $crash)" >&2
            od -A d -t x1z "$crash" | head -n 20 >&2
        done
        failed+=("$name")
    else
        grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$name.log" || tail -n 3 "$work/$name.log"
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz/run.sh: FAILED: ${failed[*]} (artifacts in $artifacts)" >&2
    exit 1
fi
rm -rf "$work"
echo "fuzz/run.sh: $count harness(es) ran ${per}s each without findings"
