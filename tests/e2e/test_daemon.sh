#!/usr/bin/env bash
# flowctl serve: operator CLI round trip, /metrics parsed by the Prometheus
# client library, token and loopback rules, and kill -9 of the daemon while a
# pipeline runs: after a restart it comes back and resumes from its
# checkpoint with no event lost.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

start_server() {  # start_server LOG ARGS...: sets ADDR and HTTP
  local log=$1; shift
  # The pipelines read and write under $WORK: that is the data root.
  "$FLOWCTL" serve --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --data-root "$WORK" "$@" 2> "$log" &
  PIDS+=($!)
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    ADDR=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$log" | grep -o '127.0.0.1:[0-9]*' || true)
    HTTP=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | sed 's|http://||' || true)
    [ -n "$ADDR" ] && [ -n "$HTTP" ] && return 0
    sleep 0.1
  done
  fail "server did not start: $(cat "$log")"
}

# No server: one clear line, exit 3.
expect_exit 3 "$FLOWCTL" get pipelines --server 127.0.0.1:1
expect_out "no flowctl server at 127.0.0.1:1: start one with \`flowctl serve\`"

# Beyond loopback without a token: refused.
expect_exit 2 "$FLOWCTL" serve --listen 0.0.0.0:0 --state-dir "$WORK/x"
expect_out "needs --token-file"

N=2000000
seq 1 $N | awk '{printf "{\"id\":%d}\n", $1}' > in.jsonl
cat > slow.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: resume}
spec:
  batch_size: 100
  sources:
    - {id: in, type: file, config: {path: $WORK/in.jsonl}}
  processors:
    - {id: t, type: transform, inputs: [in], config: {set: {seen: "true"}}}
  sinks:
    - {id: out, type: file, inputs: [t], config: {path: $WORK/out.jsonl}}
Y

start_server s1.log --state-dir "$WORK/state" --workers 1
expect_exit 0 "$FLOWCTL" apply slow.yaml --server "$ADDR"
expect_out "pipeline 'resume' version 1 applied"
# kill -9 while it runs (wait for some output first).
for _ in $(seq 1 200); do [ -s out.jsonl ] && break; sleep 0.02; done
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
first=$(wc -l < out.jsonl)
echo "first daemon wrote $first of $N before kill -9"
[ "$first" -lt "$N" ] || fail "the run finished before kill -9; raise N"

start_server s2.log --state-dir "$WORK/state" --workers 1
# Operator commands against the running daemon.
expect_exit 0 "$FLOWCTL" get pipelines --server "$ADDR" -o json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["pipelines"][0]["name"]=="resume", d' "$OUT" || fail "get pipelines -o json: $OUT"
expect_exit 0 "$FLOWCTL" get pipeline resume --server "$ADDR" -o yaml
expect_out "name: \"resume\""
expect_exit 2 "$FLOWCTL" status resum --server "$ADDR"
expect_out "did you mean 'resume'"
# /metrics through the official Prometheus parser (system python).
curl -sf "http://$HTTP/metrics" > metrics.txt || fail "no /metrics"
/usr/bin/python3 - metrics.txt <<'P' || fail "/metrics did not parse: $(head -20 metrics.txt)"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
assert "flowctl_node_events_in" in fams or "flowctl_node_events_in_total" in fams, sorted(fams)
h = fams["flowctl_node_batch_duration_seconds"]
assert h.type == "histogram", h.type
nodes = {s.labels["node"] for s in fams["flowctl_node_events_out"].samples}
assert {"in", "t", "out"} <= nodes, nodes
up = [s for s in fams["flowctl_pipeline_up"].samples if s.labels["pipeline"] == "resume"]
assert up, fams["flowctl_pipeline_up"].samples
print("metrics ok:", len(fams), "families")
P
curl -sf "http://$HTTP/healthz" | grep -q ok || fail "/healthz"
curl -sf "http://$HTTP/readyz" | grep -q ready || fail "/readyz"
# Wait until the recovered run finishes.
for _ in $(seq 1 300); do
  "$FLOWCTL" get pipelines --server "$ADDR" -o json > list.json 2>/dev/null || true
  grep -q '"state": "succeeded"' list.json && break
  sleep 0.1
done
grep -q '"state": "succeeded"' list.json || fail "recovered run did not finish: $(cat list.json) $(cat s2.log)"
python3 - out.jsonl $N <<'P' || fail "events lost across kill -9 of the daemon"
import json, sys
n = int(sys.argv[2])
ids = {json.loads(l)["id"] for l in open(sys.argv[1])}
missing = n - len(ids & set(range(1, n + 1)))
assert missing == 0, f"{missing} ids missing"
P
expect_exit 0 "$FLOWCTL" history resume --server "$ADDR" -o json
python3 -c '
import json,sys
d=json.loads(sys.argv[1]); st=[r["status"] for r in d["runs"]]
assert "interrupted" in st and "succeeded" in st, st' "$OUT" || fail "history: $OUT"
expect_exit 0 "$FLOWCTL" audit --server "$ADDR"
expect_out "apply"

# Token rules on a second server.
echo "s3cret" > token
start_server s3.log --state-dir "$WORK/state3" --token-file token
expect_exit 3 "$FLOWCTL" get pipelines --server "$ADDR"
expect_out "authorization: Bearer <token>"
expect_exit 0 "$FLOWCTL" get pipelines --server "$ADDR" --token-file token
# A unix socket is local by nature: no token needed.
"$FLOWCTL" serve --listen "unix:$WORK/f.sock" --http-listen off --state-dir "$WORK/state4" 2> s4.log &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "listening on unix:" s4.log && break; sleep 0.05; done
expect_exit 0 "$FLOWCTL" get pipelines --server "unix:$WORK/f.sock"
expect_out "no pipelines"
echo "daemon: ok"
