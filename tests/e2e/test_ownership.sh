#!/usr/bin/env bash
# One owner per port and per state dir: a second `flowctl serve` on a taken
# gRPC port, HTTP side port or state dir exits 3 naming the first; a
# foreground apply on a daemon's state dir is refused; `flowctl mcp` and
# `flowctl get` on a daemon's state dir act through the daemon. A pipeline
# that keeps crashing the daemon (a real SIGSEGV on its worker) is
# quarantined at the next start while the others resume.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset FLOWCTL_SERVER

cat > gen.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: ticking}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 20, shape: counter}}
  sinks:
    - {id: out, type: null, inputs: [gen]}
Y
sed 's/name: ticking/name: crashy/' gen.yaml > crashy.yaml

# --- ports -----------------------------------------------------------------
start_server s1.log --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --state-dir "$WORK/s1" ||
  fail "first daemon: $(cat s1.log)"
FIRST_PID=$SERVER_PID
FIRST_ADDR=$ADDR
expect_exit 3 "$FLOWCTL" serve --listen "$FIRST_ADDR" --http-listen off --state-dir "$WORK/s2"
expect_out "$FIRST_ADDR is in use"
expect_exit 3 "$FLOWCTL" serve --listen 127.0.0.1:0 --http-listen "$HTTP" --state-dir "$WORK/s3"
expect_out "$HTTP is in use"
# The first daemon still answers, alone.
expect_exit 0 "$FLOWCTL" get pipelines --server "$FIRST_ADDR"

# --- state dir ----------------------------------------------------------------
expect_exit 3 "$FLOWCTL" serve --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/s1"
expect_out "state dir $WORK/s1 is in use by flowctl serve (pid $FIRST_PID, control plane $FIRST_ADDR)"
expect_exit 3 "$FLOWCTL" apply gen.yaml --state-dir "$WORK/s1"
expect_out "is in use by flowctl serve (pid $FIRST_PID"

# mcp on the daemon's state dir acts through the daemon: what it sees is
# what the daemon runs.
expect_exit 0 "$FLOWCTL" apply gen.yaml --server "$FIRST_ADDR"
printf '%s\n' \
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_pipeline_status","arguments":{"name":"ticking"}}}' |
  "$FLOWCTL" mcp --state-dir "$WORK/s1" > mcp.out 2> mcp.err || fail "mcp: $(cat mcp.err)"
grep -q "acting through it at $FIRST_ADDR" mcp.err || fail "mcp did not go through the daemon: $(cat mcp.err)"
python3 - mcp.out <<'PY' || fail "mcp status: $(cat mcp.out)"
import json, sys
answers = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
status = [a for a in answers if a.get("id") == 2][0]["result"]["structuredContent"]
assert status["state"] == "running", status
PY

# get/status without --server find the daemon that owns ~/.flowctl.
mkdir -p home
HOME="$WORK/home" start_server s4.log --listen 127.0.0.1:0 --http-listen off ||
  fail "home daemon: $(cat s4.log)"
HOME_ADDR=$ADDR
HOME="$WORK/home" expect_exit 0 "$FLOWCTL" apply crashy.yaml --server "$HOME_ADDR"
HOME="$WORK/home" expect_exit 0 "$FLOWCTL" get pipelines
expect_out "crashy"
kill "$SERVER_PID"; wait "$SERVER_PID" || fail "home daemon did not stop cleanly"
kill "$FIRST_PID"; wait "$FIRST_PID" || fail "first daemon did not stop cleanly"
# Released with its owner: the state dir can be taken again.
start_server s5.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/s1" ||
  fail "restart on a released state dir: $(cat s5.log)"
kill "$SERVER_PID"; wait "$SERVER_PID" || true

# --- quarantine ------------------------------------------------------------------
Q="$WORK/q"
start_server q0.log --listen 127.0.0.1:0 --http-listen off --state-dir "$Q" || fail "q0"
expect_exit 0 "$FLOWCTL" apply gen.yaml --server "$ADDR"
# The crash hook takes effect in daemons started with it.
kill "$SERVER_PID"; wait "$SERVER_PID" || true
export FLOWCTL_TEST_CRASH_PIPELINE=crashy
start_server q1.log --listen 127.0.0.1:0 --http-listen off --state-dir "$Q" || fail "q1"
"$FLOWCTL" apply crashy.yaml --server "$ADDR" > /dev/null 2>&1 || true
set +e; wait "$SERVER_PID"; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "the daemon did not crash"
# Each restart resumes crashy and dies again, until the third crash in a row.
for i in 2 3; do
  set +e
  start_server "q$i.log" --listen 127.0.0.1:0 --http-listen off --state-dir "$Q"
  wait "$SERVER_PID"; rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "restart $i did not crash: $(cat q$i.log)"
done
start_server q4.log --listen 127.0.0.1:0 --http-listen off --state-dir "$Q" ||
  fail "the daemon still crash-loops: $(cat q4.log)"
sleep 1
kill -0 "$SERVER_PID" || fail "the daemon died after quarantine: $(cat q4.log)"
grep -q "pipeline 'crashy' quarantined: crashed the process 3 times in a row" q4.log ||
  fail "no quarantine line: $(cat q4.log)"
expect_exit 0 "$FLOWCTL" status crashy --server "$ADDR" -o json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); s=json.dumps(d); assert "quarantined" in s, s' "$OUT" ||
  fail "status does not say quarantined: $OUT"
expect_exit 0 "$FLOWCTL" get pipelines --server "$ADDR"
grep -q "ticking.*running" <<<"$OUT" || fail "the other pipeline did not resume: $OUT"
kill "$SERVER_PID"; wait "$SERVER_PID" || true
echo "ownership: ok"
