#!/usr/bin/env bash
# EnableAutoScaling on the daemon (gRPC, Python grpcio): a transform that
# cannot keep up with its source (20 regex matches over a 2 KB field per
# event; the generator is unbounded) is measured busy nearly all the time,
# and the autoscaler doubles its workers as a new version, audited as
# "autoscaler" with the numbers that led to it. Turned off, it stays put.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset FLOWCTL_SERVER
DATA="$WORK/data"
mkdir -p "$DATA"
start_server d.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" \
  --data-root "$DATA" || fail "server did not start: $(cat d.log)"

PAD=$(python3 -c 'print("ab" * 1000)')
SETS=$(python3 - <<'PYX'
print(", ".join("m%d: \"pad.matches('(a|b)*c%d')\"" % (i, i) for i in range(20)))
PYX
)
cat > busy.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: busy}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, shape: template, template: {pad: "$PAD"}}}
  processors:
    - {id: scan, type: transform, inputs: [gen], config: {set: {$SETS}}}
  sinks:
    - {id: out, type: null, inputs: [scan]}
Y
expect_exit 0 "$FLOWCTL" apply busy.yaml --server "$ADDR"

agent_stubs stubs
/usr/bin/python3 - "$ADDR" <<'P' || fail "EnableAutoScaling"
import sys
sys.path.insert(0, "stubs")
import grpc
from ai.obsrvr.flowctl import agent_pb2 as pb, agent_pb2_grpc as rpc
stub = rpc.AIAgentServiceStub(grpc.insecure_channel(sys.argv[1]))
s = stub.EnableAutoScaling(pb.AutoScalingConfig(pipeline_id="busy", enabled=True, max_workers=4),
                           timeout=10)
assert s.enabled and "between 1 and 4" in s.message, s
try:
    stub.EnableAutoScaling(pb.AutoScalingConfig(pipeline_id="ghost", enabled=True), timeout=10)
    raise SystemExit("an unknown pipeline answered")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.NOT_FOUND, e
P

# The first change comes once 9 s of the version's samples (past 5 s of
# warm-up) say so.
for _ in $(seq 1 60); do
  "$FLOWCTL" audit --target busy --caller autoscaler --server "$ADDR" -o json > audit.json || true
  grep -q '"action": "apply"' audit.json && break
  sleep 1
done
python3 - audit.json <<'P' || fail "no scale-up: $(cat audit.json; tail -5 d.log)"
import json, re, sys
e = [x for x in json.load(open(sys.argv[1]))["entries"] if x["action"] == "apply"]
assert e and e[-1]["result"] == "ok", e
why = e[-1]["reasoning"]
# Without a concurrency in the document, a stateless node runs one
# instance per worker thread: "from" is what ran, measured.
m = re.search(r"scan (\d+) -> (\d+) workers: busy (\d+)%, input queue [0-9.]+ of \d+", why)
assert m and int(m.group(2)) == 2 * int(m.group(1)) and int(m.group(3)) >= 85, why
open("to", "w").write(m.group(2))
P
"$FLOWCTL" get pipeline busy --server "$ADDR" -o json > busy.json
python3 - busy.json <<'P' || fail "the new version does not run 2 workers: $(head -c 1500 busy.json)"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert s["version"] >= 2 and s["state"] == "running", s
assert "concurrency: " + open("to").read() in d["yaml"], d["yaml"]
P

# Off: no further versions.
/usr/bin/python3 - "$ADDR" <<'P' || fail "EnableAutoScaling off"
import sys
sys.path.insert(0, "stubs")
import grpc
from ai.obsrvr.flowctl import agent_pb2 as pb, agent_pb2_grpc as rpc
stub = rpc.AIAgentServiceStub(grpc.insecure_channel(sys.argv[1]))
s = stub.EnableAutoScaling(pb.AutoScalingConfig(pipeline_id="busy", enabled=False), timeout=10)
assert not s.enabled, s
P
V=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"summary\"][\"version\"])" busy.json)
sleep 6
"$FLOWCTL" get pipeline busy --server "$ADDR" -o json > after.json
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["summary"]["version"]; assert v == int(sys.argv[2]), v' \
  after.json "$V" || fail "scaled after it was turned off"
expect_exit 0 "$FLOWCTL" delete busy --server "$ADDR"
echo "autoscale: ok"
