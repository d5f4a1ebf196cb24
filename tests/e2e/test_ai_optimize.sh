#!/usr/bin/env bash
# `flowctl ai optimize` on a real pipeline whose AI node waits on a model
# (the fake OpenAI server answers after 20 ms): the model of the measured
# stages names the bottleneck and predicts the bound after a change; the
# change, applied, is measured, and the next report shows prediction and
# measurement side by side. The gRPC OptimizePipeline / SuggestImprovements
# answer from the same analysis (Python grpcio with stubs made here).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset FLOWCTL_SERVER
FAKE="$(dirname "$FLOWCTL")/flowctl_fake_llm"
[ -x "$FAKE" ] || fail "no fake model server at $FAKE"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$FAKE" "$PORT" 20 2> llm.log &
PIDS+=($!)
DATA="$WORK/data"
mkdir -p "$DATA"
OPENAI_API_KEY=test start_server d.log --listen 127.0.0.1:0 --http-listen off \
  --state-dir "$WORK/d" --data-root "$DATA" || fail "server did not start: $(cat d.log)"

cat > slow.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: slow}
spec:
  batch_size: 16
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 2000, shape: counter}}
  processors:
    - id: classify
      type: ai-processor
      inputs: [gen]
      config:
        model: gpt-4o
        base_url: "http://127.0.0.1:$PORT/v1"
        max_concurrency: 2
        cache: {enabled: false}
        prompt_template: "classify {{id}}"
        output_schema: {type: object, properties: {category: {type: string}}, required: [category]}
  sinks:
    - {id: out, type: file, inputs: [classify], config: {path: "$DATA/slow.jsonl"}}
Y
expect_exit 0 "$FLOWCTL" apply slow.yaml --server "$ADDR"
# The first 5 s of a version are warm-up; then samples accumulate.
sleep 10
"$FLOWCTL" ai optimize slow --server "$ADDR" --simulate --goal throughput -o json > o1.json \
  || fail "ai optimize: $(cat o1.json)"
python3 - o1.json <<'P' || fail "the bottleneck is not modelled: $(head -c 2500 o1.json)"
import json, sys
d = json.load(open(sys.argv[1]))
m = d["model"]
assert m["bottleneck"] == "classify", m
# 2 calls in flight of 20 ms each: about 100 events/s, the input's limit.
assert 60 <= m["input_per_s"] <= 110, m["input_per_s"]
assert 60 <= m["throughput_bound_eps"] <= 130, m
s = d["suggestions"][0]
assert s["kind"] == "max_concurrency" and s["node"] == "classify", s
p = s["predicted"][0]
assert p["metric"] == "throughput_bound_eps" and abs(p["after"] / p["before"] - 2) < 0.01, p
assert "max_concurrency: 4" in s["yaml"], s["yaml"]
json.dump({"before_input": m["input_per_s"], "predicted": p["after"]}, open("pred.json", "w"))
P
expect_exit 0 "$FLOWCTL" ai optimize slow --server "$ADDR" --simulate
expect_out "bottleneck: classify"
expect_out "let classify make up to 4 model calls at once"
expect_out "use gpt-4o-mini instead of gpt-4o in classify"
# --simulate changed nothing.
expect_exit 0 "$FLOWCTL" get pipeline slow --server "$ADDR" -o json
python3 -c 'import json,sys; assert json.loads(sys.argv[1])["summary"]["version"] == 1' "$OUT" \
  || fail "--simulate made a version: $OUT"

# Applied: a new version, and the throughput it predicted is measured.
expect_exit 0 "$FLOWCTL" ai optimize slow --server "$ADDR" --goal throughput --apply 1
expect_out "applied suggestion 1: slow v2"
sleep 11
"$FLOWCTL" ai optimize slow --server "$ADDR" -o json > o2.json || fail "$(cat o2.json)"
python3 - o2.json <<'P' || fail "the outcome is not measured: $(head -c 3000 o2.json)"
import json, sys
d = json.load(open(sys.argv[1]))
pred = json.load(open("pred.json"))
o = d["outcomes"][0]
assert o["version"] == 2 and o["node"] == "classify", o
assert o["predicted"]["metric"] == "throughput_bound_eps", o
# The apply made its own model a moment after the simulation: near it.
assert abs(o["predicted"]["after"] - pred["predicted"]) <= 0.1 * pred["predicted"], (o, pred)
# What the change did, measured: the input doubled, near the prediction.
now = d["model"]["input_per_s"]
assert now >= 1.6 * pred["before_input"], (now, pred)
assert abs(o["measured"] - o["predicted"]["after"]) <= 0.25 * o["predicted"]["after"], o
P
expect_exit 0 "$FLOWCTL" ai optimize slow --server "$ADDR"
expect_out "Earlier optimizations, predicted and measured since:"
expect_exit 0 "$FLOWCTL" audit --target slow --server "$ADDR" -o json
expect_out "ai optimize: let classify make up to 4 model calls at once"

# gRPC, with stubs generated from the repository's proto.
agent_stubs stubs
/usr/bin/python3 - "$ADDR" <<'P' || fail "gRPC OptimizePipeline/SuggestImprovements"
import sys
sys.path.insert(0, "stubs")
import grpc
from ai.obsrvr.flowctl import agent_pb2 as pb, agent_pb2_grpc as rpc
stub = rpc.AIAgentServiceStub(grpc.insecure_channel(sys.argv[1]))
plan = stub.OptimizePipeline(pb.OptimizationRequest(pipeline_id="slow", simulate_only=True), timeout=20)
assert not plan.applied and plan.bottleneck == "classify" and plan.throughput_bound_eps > 0, plan
assert plan.suggestions and plan.changes[0] == plan.suggestions[0].title, plan
assert plan.suggestions[0].predicted[0].predictable, plan.suggestions[0]
imp = stub.SuggestImprovements(pb.ImprovementRequest(pipeline_id="slow"), timeout=20)
assert [i.title for i in imp.items] == list(imp.suggestions) == list(plan.changes), imp
# Not a simulation: the best cost change is applied as version 3.
req = pb.OptimizationRequest(pipeline_id="slow", simulate_only=False)
req.objectives.add(goal="cost", weight=1)
plan = stub.OptimizePipeline(req, timeout=30)
assert plan.applied and plan.version == 3, plan
assert plan.suggestions[0].kind == "model" and "gpt-4o-mini" in plan.yaml, plan.suggestions[0]
try:
    stub.OptimizePipeline(pb.OptimizationRequest(pipeline_id="ghost"), timeout=10)
    raise SystemExit("ghost answered")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.NOT_FOUND, e
P
expect_exit 0 "$FLOWCTL" get pipeline slow --server "$ADDR" -o json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["summary"]["version"] == 3 and "gpt-4o-mini" in d["yaml"], d' "$OUT" \
  || fail "OptimizePipeline did not apply: $OUT"

expect_exit 1 "$FLOWCTL" ai optimize ghost --server "$ADDR"
expect_exit 2 "$FLOWCTL" ai optimize slow --server "$ADDR" --goal speed
expect_exit 2 "$FLOWCTL" ai optimize slow --server "$ADDR" --simulate --apply 1
expect_exit 2 "$FLOWCTL" ai optimize slow --server "$ADDR" --apply 99

# --- a foreground run's state dir -------------------------------------------
cat > fg.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: fg}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 30000, rate: 10000, shape: counter}}
  processors:
    - {id: ratio, type: transform, inputs: [gen], config: {set: {x: "10 / (id % 10)"}}}
  sinks:
    - {id: out, type: file, inputs: [ratio], config: {path: "$DATA/fg.jsonl"}}
Y
expect_exit 0 "$FLOWCTL" apply fg.yaml --state-dir fgstate -q
expect_exit 0 "$FLOWCTL" ai optimize fg --state-dir fgstate -f fg.yaml --goal reliability -o json
python3 - "$OUT" <<'P' || fail "foreground reliability: $OUT"
import json, sys
d = json.loads(sys.argv[1])
s = d["suggestions"][0]
assert s["kind"] == "dead_letter" and s["node"] == "ratio", s
assert s["predicted"][0]["before"] > 0 and s["predicted"][0]["after"] == 0, s
P
expect_exit 0 "$FLOWCTL" ai optimize fg --state-dir fgstate -f fg.yaml --goal reliability --show 1
grep -q "dead_letter" <<<"$OUT" || fail "--show 1 is not the changed document: $OUT"
expect_exit 2 "$FLOWCTL" ai optimize fg --state-dir fgstate -f fg.yaml --apply 1
expect_exit 1 "$FLOWCTL" ai optimize fg --state-dir nowhere
echo "ok"
