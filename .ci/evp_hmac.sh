#!/usr/bin/env bash
# .ci/evp_hmac.sh PYTHON [WORKDIR] - build sesstok._core with
# SESSTOK_NO_FAST_HMAC=1 (no SHA state-copy fast path: every HMAC takes the
# EVP path of csrc/crypto.c) in a copy of the source tree and run the
# C-facing tests against that build. The tests compare with Django, PyJWT,
# hashlib and the RFC 4231 / Wycheproof vectors, so both HMAC paths are held
# to the same oracles. Then the JWT, signing and codec tests once more with
# the scalar base64url forced (SESSTOK_B64URL_IMPL=scalar).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
py=${1:?usage: .ci/evp_hmac.sh PYTHON [WORKDIR]}
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/sesstok-evp.XXXXXX")}
src="$work/src"

# shellcheck source=.ci/lib.sh
. "$here/lib.sh"
say() { printf '  -> %s\n' "$*"; }

say "copying the source tree to $src"
copy_source_tree "$root" "$src"

say "building with SESSTOK_NO_FAST_HMAC=1"
export SESSTOK_NO_FAST_HMAC=1
(cd "$src" && "$py" setup.py build_ext --inplace --force) > "$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    echo "SESSTOK_NO_FAST_HMAC build failed" >&2
    exit 1
}
if grep -E 'csrc/.*(warning|error):' "$work/build.log"; then
    echo "the SESSTOK_NO_FAST_HMAC build has warnings" >&2
    exit 1
fi

cd "$src"
export PYTHONPATH="$src"
"$py" -c '
import sys, sesstok._core as c
assert c.__file__.startswith(sys.argv[1]), c.__file__
assert c.HMAC_FAST_PATH is False, "the fast path is still compiled in"
print("  -> EVP-only build:", c.__file__)
' "$src/"
tests=(tests/test_crypto.py tests/test_c_module.py tests/test_signing.py tests/test_accelerate.py
       tests/test_sessions.py tests/test_jwt.py tests/test_jwt_c.py tests/test_jwt_vectors.py)
say "running: ${tests[*]}"
"$py" -m pytest -q -p no:cacheprovider "${tests[@]}"

# the same build with the scalar base64url forced (the AVX2 one is chosen
# wherever the CPU has it, so the scalar one would otherwise be tested only
# through tests/test_codec.py's switch)
scalar_tests=(tests/test_jwt_strict.py tests/test_signing.py tests/test_codec.py)
say "running with SESSTOK_B64URL_IMPL=scalar: ${scalar_tests[*]}"
SESSTOK_B64URL_IMPL=scalar "$py" -c '
import sesstok._core as c
assert c._b64url_impl() == "scalar", c._b64url_impl()
'
SESSTOK_B64URL_IMPL=scalar "$py" -m pytest -q -p no:cacheprovider "${scalar_tests[@]}"
