#!/usr/bin/env bash
# .ci/sanitize.sh PYTHON [WORKDIR] - build sesstok._core with AddressSanitizer
# and UndefinedBehaviorSanitizer in a copy of the source tree and run the
# C-facing tests against that build.
#
# PYTHON is an interpreter (normally a virtualenv's) that has the test
# dependencies and setuptools installed. WORKDIR (default: a new temp dir)
# receives the copy, the build and the sanitizer logs.
#
# The job fails if pytest fails, if the process dies (abort_on_error), or if
# any sanitizer report appears in the output or the sanitizer log files.
# Before the tests, two canaries prove that this detection works: a small
# library with a heap overflow and one with signed overflow must both be
# caught, and the built module must reference the sanitizer runtimes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
py=${1:?usage: .ci/sanitize.sh PYTHON [WORKDIR]}
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/sesstok-sanitize.XXXXXX")}
src="$work/src"

# shellcheck source=.ci/lib.sh
. "$here/lib.sh"
say() { printf '  -> %s\n' "$*"; }

libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
[ -f "$libasan" ] && [ -f "$libubsan" ] || { echo "gcc's libasan/libubsan not found" >&2; exit 1; }
"$py" -c 'import setuptools' 2>/dev/null || { echo "$py has no setuptools" >&2; exit 1; }

SAN_PATTERN='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer|SUMMARY: AddressSanitizer'

# sanitized LOGDIR OUTFILE CMD...: run CMD with the sanitizer runtimes
# preloaded; fail unless it exits 0 with no sanitizer report anywhere.
sanitized() {
    local logdir=$1 out=$2 rc=0
    shift 2
    rm -rf "$logdir"
    mkdir -p "$logdir"
    set +e
    # ASan also writes its reports to files in $logdir (reports from a
    # subprocess whose stderr a test captured land there too); UBSan, when
    # running inside ASan, ignores log_path and writes to stderr, which
    # pytest leaves alone with --capture=sys. abort_on_error makes both
    # abort, so faulthandler prints the Python stack of the failing test.
    env LD_PRELOAD="$libasan $libubsan" \
        ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$logdir/asan" \
        UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1" \
        PYTHONMALLOC=malloc PYTHONFAULTHANDLER=1 \
        "$@" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    set -e
    local reports
    reports=$(find "$logdir" -type f -size +0c | sort)
    if [ -n "$reports" ]; then
        for f in $reports; do
            echo "----- sanitizer report $f" >&2
            cat "$f" >&2
        done
    fi
    if [ "$rc" -ne 0 ]; then
        echo "sanitized run exited with status $rc" >&2
        return 1
    fi
    if [ -n "$reports" ]; then
        echo "sanitizer reports were written (see above)" >&2
        return 1
    fi
    if grep -Eq "$SAN_PATTERN" "$out"; then
        grep -E "$SAN_PATTERN" "$out" | head -n 20 >&2
        echo "sanitizer report in the output" >&2
        return 1
    fi
    return 0
}

# ---- copy the source tree (no build products, no VCS, no venvs) ---------------------
say "copying the source tree to $src"
copy_source_tree "$root" "$src"

# ---- build ------------------------------------------------------------------------
# CPython's own CFLAGS carry -fwrapv, which defines signed overflow and so
# silently turns UBSan's signed-integer-overflow check off; -fno-wrapv in
# CFLAGS comes after it on the command line and turns the check back on.
say "building with SESSTOK_SANITIZE=1 CC=gcc CFLAGS=-fno-wrapv"
(cd "$src" && SESSTOK_SANITIZE=1 CC=gcc CFLAGS="-fno-wrapv ${CFLAGS:-}" "$py" setup.py build_ext --inplace --force) \
    > "$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    echo "sanitizer build failed" >&2
    exit 1
}
grep -E 'csrc/.*(warning|error):' "$work/build.log" || true
# every C file must have been compiled instrumented and without -fwrapv in effect
compiles=$(grep -E '^gcc .* -c csrc/[a-z_0-9]+\.c ' "$work/build.log" || true)
[ -n "$compiles" ] || { cat "$work/build.log" >&2; echo "no compiler command lines in the build log" >&2; exit 1; }
while IFS= read -r line; do
    file=$(grep -oE -- '-c csrc/[a-z_0-9]+\.c' <<<"$line")
    grep -q -- '-fsanitize=address,undefined' <<<"$line" || { echo "$file built without sanitizers: $line" >&2; exit 1; }
    last_wrap=$(grep -oE -- '-f(no-)?wrapv' <<<"$line" | tail -n 1)
    [ "$last_wrap" != "-fwrapv" ] || { echo "$file built with -fwrapv in effect: $line" >&2; exit 1; }
done <<<"$compiles"
say "$(wc -l <<<"$compiles") C files compiled with -fsanitize=address,undefined and without -fwrapv"
so=$(ls "$src"/sesstok/_core.*.so)
say "built $so"
undef=$(nm -D --undefined-only "$so")
grep -q '__asan_report_' <<<"$undef" || { echo "$so is not instrumented by ASan" >&2; exit 1; }
grep -q '__ubsan_handle_' <<<"$undef" || { echo "$so is not instrumented by UBSan" >&2; exit 1; }
say "the module calls into the ASan and UBSan runtimes"

# ---- canaries: detection must work ---------------------------------------------------
cat > "$work/canary.c" <<'EOF'
#include <stdlib.h>
int ub_canary(int x) { return x + 1; } /* signed overflow for INT_MAX */
int asan_canary(int i) { volatile char *p = malloc(8); int v = p[i]; free((void *)p); return v; }
EOF
gcc -shared -fPIC -O0 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -o "$work/canary.so" "$work/canary.c"
for canary in "asan_canary(8)" "ub_canary(2**31 - 1)"; do
    if sanitized "$work/canary-logs" "$work/canary.out" "$py" -c \
        "import ctypes; lib = ctypes.CDLL('$work/canary.so'); lib.$canary" >/dev/null 2>&1; then
        echo "canary $canary was NOT detected: sanitizer failures would go unnoticed" >&2
        exit 1
    fi
    say "canary $canary detected"
done

# ---- tests --------------------------------------------------------------------------
cd "$src"
export PYTHONPATH="$src"
sanitized "$work/logs" "$work/import.out" "$py" -c \
    'import sesstok._core as c, sys; print(c.__file__); sys.exit(0 if c.__file__.startswith(sys.argv[1]) else 1)' "$src/" \
    || { echo "the sanitizer build is not the module being imported" >&2; exit 1; }

shopt -s nullglob
tests=()
for pattern in tests/test_c_module.py tests/test_codec.py tests/test_crypto.py tests/test_random.py \
    tests/test_zlib.py tests/test_json.py 'tests/test_signing*.py' 'tests/test_jwt*.py'; do
    for f in $pattern; do  # unquoted: glob expansion intended
        [ -f "$f" ] && tests+=("$f")
    done
done
[ ${#tests[@]} -gt 0 ] || { echo "no C-facing test files found" >&2; exit 1; }
say "running: ${tests[*]}"
# --capture=sys: sanitizer reports are written to file descriptor 2 by C code;
# pytest must not capture (and on abort, lose) them.
sanitized "$work/logs" "$work/pytest.out" "$py" -m pytest -q -p no:cacheprovider --capture=sys \
    -m "not slow" "${tests[@]}"
say "no sanitizer reports"
