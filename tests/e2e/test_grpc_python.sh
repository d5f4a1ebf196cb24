#!/usr/bin/env bash
# A Python gRPC client nobody here wrote discovers the control plane through
# server reflection (v1alpha), builds every message from the reflected file
# descriptors and drives PipelineService, ComponentService and health checking.
# Needs Debian's python3-grpcio/python3-protobuf (system /usr/bin/python3 only),
# grpc-proto, protobuf-compiler and protobuf-compiler-grpc (grpc_python_plugin).
source "$(dirname "$0")/lib.sh"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PY=/usr/bin/python3
[ -x "$PY" ] || fail "no system python at $PY"
"$PY" -c 'import grpc, google.protobuf' 2>/dev/null \
  || fail "$PY lacks grpc or protobuf: install python3-grpcio python3-protobuf"
command -v protoc >/dev/null || fail "protoc not found: install protobuf-compiler"
PLUGIN=$(command -v grpc_python_plugin) \
  || fail "grpc_python_plugin not found: install protobuf-compiler-grpc"
REFL_PROTO=$(dpkg -L grpc-proto 2>/dev/null | grep 'v1alpha/reflection\.proto$' | head -n1 || true)
[ -n "$REFL_PROTO" ] && [ -f "$REFL_PROTO" ] \
  || fail "grpc/reflection/v1alpha/reflection.proto not found: install grpc-proto"

# Reflection stubs under a top-level name: a grpc/reflection/... package would
# be shadowed by the installed grpc package.
STUBS="$WORK/stubs"
mkdir -p "$STUBS"
cp "$REFL_PROTO" "$STUBS/reflection_v1alpha.proto"
protoc -I "$STUBS" --python_out="$STUBS" --grpc_out="$STUBS" \
  --plugin=protoc-gen-grpc="$PLUGIN" "$STUBS/reflection_v1alpha.proto" \
  || fail "protoc could not generate the reflection stubs"
[ -f "$STUBS/reflection_v1alpha_pb2.py" ] && [ -f "$STUBS/reflection_v1alpha_pb2_grpc.py" ] \
  || fail "reflection stubs missing: $(ls "$STUBS")"

# Fallback descriptor for grpc.health.v1 (gRPC C++'s default health service has
# none that reflection can serve); the client uses it only on NOT_FOUND and says so.
HEALTH_PROTO=$(dpkg -L grpc-proto 2>/dev/null | grep 'health/v1/health\.proto$' | head -n1 || true)
if [ -n "$HEALTH_PROTO" ] && [ -f "$HEALTH_PROTO" ]; then
  cp "$HEALTH_PROTO" "$STUBS/health_v1.proto"
  protoc -I "$STUBS" --descriptor_set_out="$STUBS/health_v1.pb" "$STUBS/health_v1.proto" \
    || fail "protoc could not compile $HEALTH_PROTO"
fi

# The server: any free port; no HTTP side port (its default, 8081, is fixed).
LOG="$WORK/serve.log"
"$FLOWCTL" serve --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/state" 2> "$LOG" &
SERVER_PID=$!
ADDR=
for _ in $(seq 1 100); do
  ADDR=$(sed -n 's/^flowctl control plane listening on \([^ ]*\) (state dir .*/\1/p' "$LOG" | head -n1)
  [ -n "$ADDR" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited: $(cat "$LOG")"
  sleep 0.1
done
[ -n "$ADDR" ] || fail "server did not report its address within 10 s: $(cat "$LOG")"

set +e
OUT=$(cd "$WORK" && timeout 120 "$PY" "$SRC/tests/e2e/grpc_client.py" "$ADDR" "$STUBS" 2>&1)
rc=$?
set -e
echo "$OUT"
[ "$rc" -eq 0 ] || fail "grpc_client.py exited $rc: $OUT
-- server log:
$(cat "$LOG")"
kill -0 "$SERVER_PID" 2>/dev/null || fail "server died during the test: $(cat "$LOG")"
echo "grpc_python: ok (server $ADDR)"
