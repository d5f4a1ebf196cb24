#!/usr/bin/env bash
# `flowctl ai predict` on a real pipeline whose failures grow steadily (a
# transform fails on ids with id % 100 < id / 1000: a share rising 0.3
# points a second at 300 events/s, 10% at about 33 s): the trend names the
# node and the time it reaches 10%, the forecast follows the input rate.
# gRPC PredictFailures answers the same (Python grpcio, stubs made here).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset FLOWCTL_SERVER
DATA="$WORK/data"
mkdir -p "$DATA"
start_server d.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" \
  --data-root "$DATA" || fail "server did not start: $(cat d.log)"
cat > ramp.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: ramp}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 300, shape: counter}}
  processors:
    - {id: t, type: transform, inputs: [gen], config: {set: {x: "10 / (id % 100 >= id / 1000 ? 1 : 0)"}}}
  sinks:
    - {id: out, type: file, inputs: [t], config: {path: "$DATA/ramp.jsonl"}}
Y
expect_exit 0 "$FLOWCTL" apply ramp.yaml --server "$ADDR"
sleep 13
"$FLOWCTL" ai predict ramp --server "$ADDR" --horizon 1h --forecast 5s -o json > p.json \
  || fail "ai predict: $(cat p.json)"
python3 - p.json <<'P' || fail "the rising failures are not predicted: $(head -c 3000 p.json)"
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["failures"] if x["kind"] == "error_rate"]
assert f, d["failures"]
f = f[0]
assert f["node"] == "t" and f["threshold"] == 0.1, f
assert 0.01 <= f["current"] <= 0.07, f     # about 0.3% a second for ~12 s
assert f["score"] >= 0.8, f                 # a line explains the ramp
# The share reaches 10% at about 33 s after the start: what is left of that.
start_to_now = d["window_s"]
assert 10 <= f["eta_s"] + start_to_now <= 50, (f["eta_s"], start_to_now)
fc = {x["metric"]: x for x in d["forecasts"]}
assert 240 <= fc["throughput_eps"]["now"] <= 360, fc
# 5 s ahead of a steady 300/s (the first samples ramp up: some trend).
assert 150 <= fc["throughput_eps"]["at"] <= 450, fc
for x in fc.values():
    assert 0 <= x["low"] <= x["at"] <= x["high"], x
assert fc["error_share"]["high"] <= 1, fc
P
expect_exit 0 "$FLOWCTL" ai predict ramp --server "$ADDR" --horizon 1h
expect_out "t's failures reach 10% of its events in about"

agent_stubs stubs
/usr/bin/python3 - "$ADDR" <<'P' || fail "gRPC PredictFailures"
import sys
sys.path.insert(0, "stubs")
import grpc
from ai.obsrvr.flowctl import agent_pb2 as pb, agent_pb2_grpc as rpc
stub = rpc.AIAgentServiceStub(grpc.insecure_channel(sys.argv[1]))
p = stub.PredictFailures(pb.PredictionRequest(pipeline_id="ramp", horizon="1h"), timeout=20)
kinds = [(f.kind, f.node) for f in p.failures]
assert ("error_rate", "t") in kinds, p
assert p.probability >= 0.8 and p.reason == p.failures[0].title, p
try:
    stub.PredictFailures(pb.PredictionRequest(pipeline_id="ramp", horizon="soon"), timeout=10)
    raise SystemExit("a bad horizon answered")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
P
expect_exit 1 "$FLOWCTL" ai predict ghost --server "$ADDR"
expect_exit 2 "$FLOWCTL" ai predict ramp --server "$ADDR" --horizon soon
expect_exit 2 "$FLOWCTL" ai predict ramp --server "$ADDR" --sensitivity extreme
echo "ok"
