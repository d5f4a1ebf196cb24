# Shared helpers for the end-to-end scripts (sourced, not a test itself).
set -euo pipefail
: "${FLOWCTL:?path to the flowctl binary}"
: "${SRC:?path to the source tree}"
WORK=$(mktemp -d /tmp/flowctl-e2e-XXXXXX)
# Daemons a script starts (start_server, or added to PIDS) die with it.
PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# The scripts' Python helpers (mcp_session.py) import from here.
export PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
# expect_exit CODE CMD...: runs CMD, captures output in $OUT, checks the code.
expect_exit() {
  local want=$1; shift
  set +e
  OUT=$("$@" 2>&1)
  local got=$?
  set -e
  [ "$got" -eq "$want" ] || fail "expected exit $want, got $got from: $* -- output: $OUT"
}
# start_server LOG ARGS...: `flowctl serve ARGS` in the background, stderr to
# LOG; once it listens sets ADDR (gRPC), HTTP (side port, if any) and
# SERVER_PID. Returns 1 if it exits before listening.
start_server() {
  local log=$1; shift
  "$FLOWCTL" serve "$@" 2> "$log" &
  SERVER_PID=$!
  PIDS+=($SERVER_PID)
  for _ in $(seq 1 100); do
    ADDR=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$log" | grep -o '127.0.0.1:[0-9]*' || true)
    HTTP=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | sed 's|http://||' || true)
    [ -n "$ADDR" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  fail "server did not start: $(cat "$log")"
}
expect_out() { grep -qF -- "$1" <<<"$OUT" || fail "output lacks '$1': $OUT"; }
# agent_stubs DIR: Python stubs of the AIAgentService from the repository's
# proto into DIR (import them as ai.obsrvr.flowctl.agent_pb2[_grpc]).
agent_stubs() {
  local plugin
  plugin=$(command -v grpc_python_plugin) || fail "grpc_python_plugin not found"
  mkdir -p "$1"
  protoc -I "$SRC/proto" --python_out="$1" --grpc_out="$1" --plugin=protoc-gen-grpc="$plugin" \
    "$SRC/proto/ai/obsrvr/flowctl/agent.proto" || fail "protoc failed"
}
# fake_llm DELAY_MS: the fake OpenAI server (bench/fake_llm.cc) in the
# background, answering after DELAY_MS; sets LLM_PORT. Its log: llm.log.
fake_llm() {
  local fake
  fake="$(dirname "$FLOWCTL")/flowctl_fake_llm"
  [ -x "$fake" ] || fail "no fake model server at $fake"
  LLM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$fake" "$LLM_PORT" "$1" 2> llm.log &
  PIDS+=($!)
}
