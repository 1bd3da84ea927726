#!/usr/bin/env bash
# fuzz/build.sh - build every libFuzzer harness fuzz/fuzz_*.c.
#
# Each harness names the Python-free C files it links in a comment line:
#
#     fuzz-sources: csrc/codec.c csrc/json_core.c
#
# and may add compiler flags or libraries the same way:
#
#     fuzz-cflags: -DSOMETHING
#     fuzz-libs: -lz -lcrypto
#
# so a new fuzz/fuzz_<name>.c is picked up without touching this script.
#
# Usage: fuzz/build.sh [OUTDIR]           (default: fuzz/out)
# Environment: CC (default clang), FUZZ_SANITIZE (default fuzzer,address,undefined),
#              FUZZ_CFLAGS (extra flags for every harness).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=${1:-$here/out}
cc=${CC:-clang}
sanitize=${FUZZ_SANITIZE:-fuzzer,address,undefined}

command -v "$cc" >/dev/null || { echo "fuzz/build.sh: $cc not found (apt-get install clang)" >&2; exit 1; }
mkdir -p "$out"

# Read one "fuzz-<key>:" declaration from a harness (first occurrence).
declared() {
    sed -n "s/^.*fuzz-$1:[[:space:]]*//p" "$2" | head -n 1
}

shopt -s nullglob
harnesses=("$here"/fuzz_*.c)
if [ ${#harnesses[@]} -eq 0 ]; then
    echo "fuzz/build.sh: no fuzz/fuzz_*.c harnesses" >&2
    exit 1
fi

for harness in "${harnesses[@]}"; do
    name=$(basename "$harness" .c)
    sources=$(declared sources "$harness")
    if [ -z "$sources" ]; then
        echo "fuzz/build.sh: $name: no 'fuzz-sources:' line naming the C files to link" >&2
        exit 1
    fi
    srcs=()
    for s in $sources; do
        [ -f "$root/$s" ] || { echo "fuzz/build.sh: $name: $s does not exist" >&2; exit 1; }
        if grep -q '#include <Python.h>\|#include "sesstok.h"' "$root/$s"; then
            echo "fuzz/build.sh: $name: $s includes Python; fuzz only the Python-free files" >&2
            exit 1
        fi
        srcs+=("$root/$s")
    done
    echo "building $name from: $sources"
    # shellcheck disable=SC2046  # the declared flags are meant to be word-split
    "$cc" -g -O1 -fno-omit-frame-pointer -fsanitize="$sanitize" -fno-sanitize-recover=all \
        -std=c11 -Wall -Wextra -Wno-unused-parameter -Werror \
        -I"$root/csrc" $(declared cflags "$harness") ${FUZZ_CFLAGS:-} \
        -o "$out/$name" "$harness" "${srcs[@]}" $(declared libs "$harness")
done
echo "fuzz/build.sh: built ${#harnesses[@]} harness(es) into $out"
