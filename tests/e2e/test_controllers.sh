#!/usr/bin/env bash
# The daemon's controllers over gRPC (Python grpcio).
# EnableAutoScaling: a transform that cannot keep up with its source (20
# regex matches over a 2 KB field per event; the generator is unbounded) is
# measured busy nearly all the time, and the autoscaler doubles its workers
# as a new version, audited as "autoscaler" with the numbers that led to it.
# Turned off, it stays put.
# EnableCostOptimization: a model over its budget (fake OpenAI token counts)
# is switched to a cheaper one without losing an event.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset FLOWCTL_SERVER
DATA="$WORK/data"
mkdir -p "$DATA"
OPENAI_API_KEY=test start_server d.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" \
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

# --- a cost budget (EnableCostOptimization) ---------------------------------
# gpt-4o through a fake OpenAI server that reports 120 + 8 tokens a call: 40
# calls/s cost about 55 USD/h at list prices. With a budget of 10 USD/h the
# node moves to the cheaper model ai optimize prices, as a new version, and
# keeps every event.
fake_llm 5
PORT=$LLM_PORT
cat > costly.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: costly}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 40, shape: counter}}
  processors:
    - id: classify
      type: ai-processor
      inputs: [gen]
      config:
        model: gpt-4o
        base_url: "http://127.0.0.1:$PORT/v1"
        cache: {enabled: false}
        prompt_template: "classify {{id}}"
        output_schema: {type: object, properties: {category: {type: string}}, required: [category]}
  sinks:
    - {id: out, type: file, inputs: [classify], config: {path: "$DATA/costly.jsonl"}}
Y
expect_exit 0 "$FLOWCTL" apply costly.yaml --server "$ADDR"
/usr/bin/python3 - "$ADDR" <<'P' || fail "EnableCostOptimization"
import sys
sys.path.insert(0, "stubs")
import grpc
from ai.obsrvr.flowctl import agent_pb2 as pb, agent_pb2_grpc as rpc
stub = rpc.AIAgentServiceStub(grpc.insecure_channel(sys.argv[1]))
s = stub.EnableCostOptimization(
    pb.CostOptimizationConfig(pipeline_id="costly", enabled=True, max_cost_per_hour=10), timeout=10)
assert s.enabled and "budget 10.00 USD/hour" in s.message, s
try:
    stub.EnableCostOptimization(
        pb.CostOptimizationConfig(pipeline_id="costly", enabled=True, max_cost_per_hour=0), timeout=10)
    raise SystemExit("a zero budget answered")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
P
for _ in $(seq 1 60); do
  "$FLOWCTL" audit --target costly --caller cost-guard --server "$ADDR" -o json > cost.json || true
  grep -q '"action": "apply"' cost.json && break
  sleep 1
done
python3 - cost.json <<'P' || fail "no model switch: $(cat cost.json; tail -5 d.log)"
import json, re, sys
e = [x for x in json.load(open(sys.argv[1]))["entries"] if x["action"] == "apply"]
assert e and e[-1]["result"] == "ok", e
why = e[-1]["reasoning"]
m = re.search(r"classify gpt-4o -> (\S+): model cost ([0-9.]+) USD/h measured over [0-9.]+ s, "
              r"budget 10.00; predicted ([0-9.]+) USD/h", why)
assert m and m.group(1) != "gpt-4o", why
assert 30 <= float(m.group(2)) <= 80 and float(m.group(3)) < 10, why
open("model", "w").write(m.group(1))
P
"$FLOWCTL" get pipeline costly --server "$ADDR" -o json > costly.json
python3 - costly.json <<'P' || fail "the new version does not use the cheaper model"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["summary"]["state"] == "running", d["summary"]
assert "model: " + open("model").read() + "\n" in d["yaml"], d["yaml"]
P
# Every generated event reached the sink (at-least-once: ids may repeat).
expect_exit 0 "$FLOWCTL" stop costly --server "$ADDR"
python3 - "$DATA/costly.jsonl" <<'P' || fail "events lost across the switch"
import json, sys
ids = sorted({json.loads(l)["id"] for l in open(sys.argv[1])})
assert len(ids) > 100 and ids == list(range(ids[0], ids[0] + len(ids))), (len(ids), ids[:5], ids[-5:])
P
echo "controllers: ok"
