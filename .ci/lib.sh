# .ci/lib.sh - helpers sourced by .ci/run (and usable by other .ci scripts).
# shellcheck shell=bash

# ---- output --------------------------------------------------------------------

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    C_BOLD=$'\033[1m' C_RED=$'\033[1;31m' C_GREEN=$'\033[1;32m' C_OFF=$'\033[0m'
else
    C_BOLD='' C_RED='' C_GREEN='' C_OFF=''
fi

ci_now() { date +%s; }

# section "Title": a visible header; ends the timing of the previous section.
CI_SECTION=""
CI_SECTION_START=0
CI_RESULTS=()
section() {
    section_end
    CI_SECTION=$1
    CI_SECTION_START=$(ci_now)
    printf '\n%s==== %s ====%s  (%s)\n' "$C_BOLD" "$1" "$C_OFF" "$(date '+%H:%M:%S')"
}

# Record the running section as passed (called before the next section and at the end).
section_end() {
    if [ -n "$CI_SECTION" ]; then
        CI_RESULTS+=("PASS  $(printf '%4ds' $(( $(ci_now) - CI_SECTION_START )))  $CI_SECTION")
        CI_SECTION=""
    fi
}

# Record the running section as failed (from the EXIT trap).
section_fail() {
    if [ -n "$CI_SECTION" ]; then
        CI_RESULTS+=("FAIL  $(printf '%4ds' $(( $(ci_now) - CI_SECTION_START )))  $CI_SECTION")
        CI_SECTION=""
    fi
}

note() { printf '  -> %s\n' "$*"; }
die() { printf '\n%sERROR: %s%s\n' "$C_RED" "$*" "$C_OFF" >&2; exit 1; }

# Run a command, echoing it first.
run() { printf '+ %s\n' "$*"; "$@"; }

# pip_quiet LOG CMD...: run a (pip) command with its chatter appended to LOG,
# shown only if it fails.
pip_quiet() {
    local log=$1
    shift
    printf '+ %s\n' "$*"
    if ! "$@" >>"$log" 2>&1; then
        tail -n 80 "$log" >&2
        die "failed: $* (full log: $log)"
    fi
}

# ---- Pythons ----------------------------------------------------------------------

# Print "X.Y" for the interpreter $1, or nothing if it does not run.
python_minor() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

# find_python X.Y: print the absolute path of a CPython X.Y that can create
# virtual environments. Looks at $SESSTOK_CI_PYTHON_X_Y, then pythonX.Y and
# python3 on PATH, then pyenv's versions (pyenv root, $PYENV_ROOT, ~/.pyenv).
find_python() {
    local want=$1 var cand root
    local candidates=()
    var="SESSTOK_CI_PYTHON_${want//./_}"
    [ -n "${!var:-}" ] && candidates+=("${!var}")
    candidates+=("$(command -v "python$want" || true)" "$(command -v python3 || true)")
    local roots=()
    command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root 2>/dev/null || true)")
    roots+=("${PYENV_ROOT:-}" "$HOME/.pyenv" "/root/.pyenv")
    for root in "${roots[@]}"; do
        [ -n "$root" ] && [ -d "$root/versions" ] || continue
        # newest patch release first; skip free-threaded and debug variants
        while IFS= read -r cand; do
            candidates+=("$cand")
        done < <(ls -d "$root/versions/$want".*/bin/python 2>/dev/null | grep -v -e 't/bin' -e 'd/bin' | sort -rV)
    done
    for cand in "${candidates[@]}"; do
        [ -n "$cand" ] && [ -x "$cand" ] || continue
        [ "$(python_minor "$cand")" = "$want" ] || continue
        "$cand" -c 'import venv, ensurepip, sysconfig; assert sysconfig.get_config_var("Py_GIL_DISABLED") in (None, 0)' \
            >/dev/null 2>&1 || continue
        # resolve shims (pyenv) to the real interpreter
        "$cand" -c 'import sys; print(sys.executable)'
        return 0
    done
    return 1
}

# copy_source_tree ROOT DEST: the source tree without build products, VCS
# data or virtualenvs (for builds in a copy: sanitizers, EVP-only HMAC).
copy_source_tree() {
    rm -rf "$2"
    mkdir -p "$2"
    tar -C "$1" \
        --exclude=./.git --exclude='./.venv*' --exclude=./build --exclude=./dist \
        --exclude='*.so' --exclude='*.o' --exclude='*.egg-info' --exclude=__pycache__ \
        --exclude=.hypothesis --exclude=.pytest_cache --exclude=./fuzz/out \
        -cf - . | tar -C "$2" -xf -
}
