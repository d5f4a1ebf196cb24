#!/usr/bin/env bash
# The file sandbox: a pipeline applied through the daemon may read and write
# only under --data-root; /etc/passwd, ../ escapes and the daemon's own store
# are refused (like any invalid document, nothing is stored); a pipeline
# inside the root runs; a person's foreground apply keeps full access; the
# MCP server's own engine is sandboxed too.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

start_server() {  # start_server LOG ARGS...: sets ADDR
  local log=$1; shift
  "$FLOWCTL" serve --listen 127.0.0.1:0 --http-listen off "$@" 2> "$log" &
  PIDS+=($!)
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    ADDR=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$log" | grep -o '127.0.0.1:[0-9]*' || true)
    [ -n "$ADDR" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited: $(cat "$log")"
    sleep 0.1
  done
  fail "server did not start: $(cat "$log")"
}

pipeline() {  # pipeline NAME IN OUT
  cat <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: $1}
spec:
  sources:
    - {id: in, type: file, config: {path: "$2", codec: lines}}
  sinks:
    - {id: out, type: file, inputs: [in], config: {path: "$3"}}
Y
}

mkdir -p R D
printf 'one\ntwo\n' > R/in.txt
# The second root contains the state dir: the state dir stays out of reach.
start_server s.log --state-dir "$WORK/D" --data-root "$WORK/R" --data-root "$WORK"

# The exit code of an invalid document on this server (an unknown type):
# a refused path is exactly that.
sed 's/type: file, config: {path: "in.txt"/type: nosuch, config: {path: "in.txt"/' \
  <(pipeline bad in.txt out.jsonl) > bad.yaml
set +e; "$FLOWCTL" apply bad.yaml --server "$ADDR" >/dev/null 2>&1; INVALID=$?; set -e
[ "$INVALID" -ne 0 ] || fail "an unknown type was accepted"

pipeline leak /etc/passwd leak.jsonl > leak.yaml
expect_exit "$INVALID" "$FLOWCTL" apply leak.yaml --server "$ADDR"
expect_out "leak.yaml:6:"
expect_out "'/etc/passwd' is outside the data roots ($(cd R && pwd -P), $(pwd -P))"
[ ! -e R/leak.jsonl ] || fail "/etc/passwd was copied"

pipeline environ /proc/self/environ env.jsonl > environ.yaml
expect_exit "$INVALID" "$FLOWCTL" apply environ.yaml --server "$ADDR"
[ ! -e R/env.jsonl ] || fail "/proc/self/environ was copied"

pipeline escape in.txt ../../../../../../../../tmp/flowctl-escape-$$.jsonl > escape.yaml
expect_exit "$INVALID" "$FLOWCTL" apply escape.yaml --server "$ADDR"
[ ! -e /tmp/flowctl-escape-$$.jsonl ] || fail "../../x.jsonl was written"

cp D/flowctl.db db.before
pipeline truncate in.txt "$WORK/D/flowctl.db" > truncate.yaml
expect_exit "$INVALID" "$FLOWCTL" apply truncate.yaml --server "$ADDR"
expect_out "never reach"
# A symlink inside the root to the store: refused as well.
ln -s "$WORK/D/flowctl.db" R/db
pipeline truncate2 in.txt db > truncate2.yaml
expect_exit "$INVALID" "$FLOWCTL" apply truncate2.yaml --server "$ADDR"
expect_out "never reach"
expect_out "truncate2.yaml:8:"
cmp -s db.before D/flowctl.db || [ "$(stat -c %s D/flowctl.db)" -ge "$(stat -c %s db.before)" ] \
  || fail "the store shrank"
# None of the refused pipelines was stored.
expect_exit 0 "$FLOWCTL" get pipelines --server "$ADDR" -o json
for n in leak environ escape truncate truncate2; do
  grep -q "\"$n\"" <<<"$OUT" && fail "refused pipeline $n was stored: $OUT"
done

# Inside the root, with relative paths (under the first root): runs.
pipeline inside in.txt out.jsonl > inside.yaml
expect_exit 0 "$FLOWCTL" apply inside.yaml --server "$ADDR" --wait
for _ in $(seq 1 100); do [ "$(wc -l < R/out.jsonl 2>/dev/null || echo 0)" -eq 2 ] && break; sleep 0.05; done
[ "$(wc -l < R/out.jsonl)" -eq 2 ] || fail "the pipeline inside the root did not write its output"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

# Default root: STATE_DIR/data, created; the rest of the state dir is not.
start_server s2.log --state-dir "$WORK/D2"
[ -d D2/data ] || fail "the default data root was not created"
printf 'x\n' > D2/data/in.txt
pipeline def in.txt out.jsonl > def.yaml
expect_exit 0 "$FLOWCTL" apply def.yaml --server "$ADDR" --wait
for _ in $(seq 1 100); do [ -s D2/data/out.jsonl ] && break; sleep 0.05; done
[ -s D2/data/out.jsonl ] || fail "the default data root is not usable"
pipeline def2 in.txt ../flowctl.db > def2.yaml
expect_exit "$INVALID" "$FLOWCTL" apply def2.yaml --server "$ADDR"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

# A root that does not exist: a usage error, not a silent mkdir.
expect_exit 2 "$FLOWCTL" serve --listen 127.0.0.1:0 --http-listen off --state-dir D3 --data-root nope
expect_out "data root 'nope' is not an existing directory"

# A person's foreground apply keeps full access.
expect_exit 0 "$FLOWCTL" apply leak.yaml
[ "$(wc -l < leak.jsonl)" -eq "$(wc -l < /etc/passwd)" ] || fail "foreground apply lost access"

# Its control plane (loopback clients) has no data roots: no files at all.
cat > fg.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: fg}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 6000, rate: 2000, shape: counter}}
  sinks:
    - {id: out, type: file, inputs: [gen], config: {path: "$WORK/fg.jsonl"}}
Y
"$FLOWCTL" apply fg.yaml --control-plane-port 0 -q 2> fg.log &
FG_PID=$!
PIDS+=($FG_PID)
for _ in $(seq 1 100); do
  CP=$(grep -o '127.0.0.1:[0-9]*' fg.log || true); [ -n "$CP" ] && break; sleep 0.05
done
[ -n "$CP" ] || fail "no control plane address: $(cat fg.log)"
expect_exit "$INVALID" "$FLOWCTL" apply leak.yaml --server "$CP"
expect_out "no data roots"
wait "$FG_PID" || fail "the foreground run failed: $(cat fg.log)"
[ "$(wc -l < fg.jsonl)" -eq 6000 ] || fail "the person's own pipeline lost its output"

# flowctl mcp (its own engine, for agents): sandboxed, default STATE_DIR/data.
mcp_call() {  # mcp_call YAML: one apply_pipeline call over stdio, prints the answer
  python3 - "$1" <<'PY' | "$FLOWCTL" mcp --state-dir "$WORK/M" 2>/dev/null
import json, sys
msgs = [
  {"jsonrpc": "2.0", "id": 1, "method": "initialize",
   "params": {"protocolVersion": "2025-11-25", "capabilities": {},
              "clientInfo": {"name": "t", "version": "1"}}},
  {"jsonrpc": "2.0", "method": "notifications/initialized"},
  {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
   "params": {"name": "preview_apply", "arguments": {"yaml": open(sys.argv[1]).read()}}},
]
for m in msgs: print(json.dumps(m))
PY
}
OUT=$(mcp_call leak.yaml)
grep -q "outside the data roots" <<<"$OUT" || fail "mcp preview_apply of /etc/passwd was not refused: $OUT"
[ -d M/data ] || fail "mcp did not create its default data root"
echo "sandbox: ok"
