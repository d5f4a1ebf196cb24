# Shared helpers for the end-to-end scripts (sourced, not a test itself).
set -euo pipefail
: "${FLOWCTL:?path to the flowctl binary}"
: "${SRC:?path to the source tree}"
WORK=$(mktemp -d /tmp/flowctl-e2e-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_exit CODE CMD...: runs CMD, captures output in $OUT, checks the code.
expect_exit() {
  local want=$1; shift
  set +e
  OUT=$("$@" 2>&1)
  local got=$?
  set -e
  [ "$got" -eq "$want" ] || fail "expected exit $want, got $got from: $* -- output: $OUT"
}
expect_out() { grep -qF -- "$1" <<<"$OUT" || fail "output lacks '$1': $OUT"; }
