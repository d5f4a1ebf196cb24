#!/usr/bin/env bash
# A foreground apply with --control-plane-port hosts the gRPC control plane
# for the length of the run: another process can watch it.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cat > cp.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: cp}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 4000, rate: 2000, shape: counter}}
  sinks:
    - {id: out, type: file, inputs: [gen], config: {path: "${OUT:-x}/cp.jsonl"}}
Y
mkdir -p o
OUT="$WORK/o" "$FLOWCTL" apply cp.yaml --control-plane-port 0 -o json > summary.json 2> cp.log &
pid=$!
for _ in $(seq 1 100); do
  ADDR=$(grep -o '127.0.0.1:[0-9]*' cp.log || true); [ -n "$ADDR" ] && break; sleep 0.05
done
[ -n "$ADDR" ] || fail "no control plane address printed: $(cat cp.log)"
expect_exit 0 "$FLOWCTL" status cp --server "$ADDR" -o json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["state"]=="running", d' "$OUT" \
  || fail "status during the run: $OUT"
wait $pid || fail "foreground run failed: $(cat cp.log)"
[ "$(wc -l < o/cp.jsonl)" -eq 4000 ] || fail "environment variable not used or events missing"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"]=="succeeded", d' summary.json \
  || fail "summary: $(cat summary.json)"
# The server is gone with the run.
expect_exit 3 "$FLOWCTL" get pipelines --server "$ADDR"
echo "foreground control plane: ok"
