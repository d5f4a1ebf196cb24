#!/usr/bin/env bash
# The fault-injection harness of `ai debug`: real pipelines on the daemon,
# each given one fault — a schema change mid-stream, a slow sink, a latency
# spike in a model provider — and for each, the finding names the node, the
# cause and the window with evidence; where the fix is a spec change, it is
# applied and the symptom is measured gone in the next run.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset FLOWCTL_SERVER
DATA="$WORK/data"
mkdir -p "$DATA"
OPENAI_API_KEY=test start_server d.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" \
  --data-root "$DATA" || fail "server did not start: $(cat d.log)"

# --- a schema change mid-stream ---------------------------------------------
# A producer writes 100 events/s with a numeric amount, then switches to
# strings ("12.5"); the transform that computes cents fails on every one.
: > "$DATA/orders.jsonl"
python3 - "$DATA/orders.jsonl" "$WORK/changed_at" <<'P' &
import json, sys, time
path, mark = sys.argv[1], sys.argv[2]
start = time.time()
i, marked = 0, False
with open(path, "a", buffering=1) as f:
    while True:
        changed = time.time() - start >= 5
        if changed and not marked:
            marked = True
            open(mark, "w").write(str(int(time.time() * 1000)))
        amount = "12.5" if changed else 12.5
        f.write(json.dumps({"id": i, "user_id": "u%d" % (i % 7), "amount": amount}) + "\n")
        i += 1
        time.sleep(0.01)
P
PIDS+=($!)
WRITER=$!
cat > orders.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: orders}
spec:
  sources:
    - {id: in, type: file, config: {path: "$DATA/orders.jsonl", follow: true}}
  processors:
    - {id: cents, type: transform, inputs: [in], config: {set: {cents: "amount * 100"}}}
  sinks:
    - {id: out, type: file, inputs: [cents], config: {path: "$DATA/orders-out.jsonl"}}
Y
expect_exit 0 "$FLOWCTL" apply orders.yaml --server "$ADDR"
sleep 9
"$FLOWCTL" ai debug orders --server "$ADDR" --since 2m -o json > drift.json ||
  fail "ai debug: $(cat drift.json)"
python3 - drift.json "$(cat changed_at)" <<'P' || fail "schema change not diagnosed: $(head -c 3000 drift.json)"
import json, sys
d = json.load(open(sys.argv[1]))
changed = int(sys.argv[2])
idx = [i for i, f in enumerate(d["findings"]) if f["kind"] == "schema_drift"]
assert len(idx) == 1, [f["title"] for f in d["findings"]]
f = d["findings"][idx[0]]
assert f["node"] == "in" and f["severity"] == "warning", f
# When: within two seconds of the producer's switch.
assert abs(f["from_ms"] - changed) <= 2000, (f["from_ms"], changed)
c = f["evidence"]["changes"]
assert [(x["field"], x["change"], x["type_before"], x["type_after"]) for x in c] == \
    [("amount", "type_changed", "number", "string")], c
s = f["evidence"]["errors_started"]
assert s and s[0]["node"] == "cents" and s[0]["failure_share_after"] > 0.3, s
assert abs(s[0]["first_failure_ms"] - changed) <= 2000, s
assert f["evidence"]["clusters"] and f["evidence"]["clusters"][0]["examples"], f["evidence"]
assert "cents_normalize" not in json.dumps(d["findings"][:idx[0]])
assert "in_normalize" in f["fix_yaml"] and "double(amount)" in f["fix_yaml"], f
assert f["id"] == "schema_drift:in", f["id"]
P
expect_exit 0 "$FLOWCTL" ai debug orders --server "$ADDR" --since 2m
expect_out "in: the input's shape changed at"
expect_out "amount became string (was number)"
# The fix, applied by its id (its number may move as other findings come):
# a new version with the normalizing transform.
expect_exit 0 "$FLOWCTL" ai debug orders --server "$ADDR" --since 2m --apply schema_drift:in
expect_out "applied fix schema_drift:in: orders v2"
sleep 4
kill "$WRITER"
sleep 1.5
# Measured in the new run: no failures, and string amounts became cents.
expect_exit 0 "$FLOWCTL" ai debug orders --server "$ADDR" --since 3s -o json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert not [f for f in d["findings"] if f["kind"] in ("errors", "schema_drift")], d["findings"]
' "$OUT" || fail "after the fix: $OUT"
python3 - "$DATA/orders-out.jsonl" <<'P' || fail "the fixed pipeline's output"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
fixed = [r for r in rows if r["amount"] == 12.5 and r["cents"] == 1250 and r["id"] > 600]
assert len(fixed) >= 150, len(fixed)
P
expect_exit 0 "$FLOWCTL" delete orders --server "$ADDR"

# --- a slow sink: a steadily growing queue, then backpressure ----------------
# The sink writes into a FIFO whose reader takes 300 lines/s; the source makes
# 400 events/s of ~2 KB (the pipe's buffer holds a few dozen), so the sink's
# queue grows by ~100 batches/s (one event per batch at this rate) and is full
# about 2000/100 = 20 s after the start; the forecast is held to the time the
# history measured it full.
mkfifo "$DATA/slow.fifo"
python3 - "$DATA/slow.fifo" <<'P' &
import sys, time
n, start = 0, time.time()
with open(sys.argv[1]) as f:
    for _ in f:
        n += 1
        ahead = n / 300.0 - (time.time() - start)
        if ahead > 0:
            time.sleep(ahead)
P
PIDS+=($!)
PAD=$(python3 -c 'print("x" * 2000)')
cat > slow.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: slow}
spec:
  channel_capacity: 2000
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 400, shape: template, template: {pad: "$PAD"}}}
  sinks:
    - {id: out, type: file, inputs: [gen], config: {path: "$DATA/slow.fifo"}}
Y
expect_exit 0 "$FLOWCTL" apply slow.yaml --server "$ADDR"
sleep 12
"$FLOWCTL" ai predict slow --server "$ADDR" -o json > predict.json || fail "$(cat predict.json)"
ASKED=$(date +%s.%N)
python3 - predict.json <<'P' || fail "growing queue not forecast: $(head -c 2000 predict.json)"
import json, sys
d = json.load(open(sys.argv[1]))
q = [f for f in d["failures"] if f["kind"] == "queue_full"]
assert q and q[0]["node"] == "out" and q[0]["threshold"] == 2000, d["failures"]
# The growth is 400 - 300 = 100 batches/s by construction (less on a loaded
# machine or under sanitizers: the generator then falls behind its rate).
assert 20 <= q[0]["evidence"]["slope_per_s"] <= 130, q[0]["evidence"]
P
# The forecast made ~12 s in, against the time the queue was measured full.
for _ in $(seq 1 60); do
  "$FLOWCTL" metrics slow --node out --since 2m --server "$ADDR" -o json > slow-metrics.json ||
    fail "$(cat slow-metrics.json)"
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["nodes"][0]; sys.exit(0 if max(m["metrics"]["queue_depth"]) >= 1990 else 1)' \
    slow-metrics.json && break
  sleep 1
done
python3 - predict.json slow-metrics.json "$ASKED" <<'P' || fail "fill time mis-forecast"
import json, sys
f = [f for f in json.load(open(sys.argv[1]))["failures"] if f["kind"] == "queue_full"][0]
m = json.load(open(sys.argv[2]))["nodes"][0]
full = [t for t, q in zip(m["ts_ms"], m["metrics"]["queue_depth"]) if q >= 1990]
assert full, m["metrics"]["queue_depth"]
full_at, predicted = full[0] / 1000.0, float(sys.argv[3]) + f["eta_s"]
# Within 4 s, or a fifth of the time ahead when the trend is slower.
assert abs(predicted - full_at) <= max(4, 0.2 * f["eta_s"]), (predicted - full_at, f)
print("queue full forecast %.1f s off the measured time" % (predicted - full_at))
P
sleep 5  # 4 s of a full queue for ai debug's window
expect_exit 0 "$FLOWCTL" ai debug slow --server "$ADDR" --since 4s -o json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
b = [f for f in d["findings"] if f["kind"] == "bottleneck"]
assert b and b[0]["node"] == "out", d["findings"]
e = b[0]["evidence"]
# Full: the sink takes a batch while the source waits to put the next.
assert e["queue_capacity"] == 2000 and e["queue_depth_max"] >= 1990 and e["busy"] >= 0.85, e
assert 250 <= e["in_per_s"] <= 350, e  # the reader, not the source, sets the pace
assert "destination is slower" in b[0]["fix"] and "fix_yaml" not in b[0], b[0]
assert not [f for f in d["findings"] if f["node"] == "gen" and f["kind"] != "idle_source"], d
' "$OUT" || fail "slow sink not diagnosed: $OUT"
expect_exit 0 "$FLOWCTL" delete slow --server "$ADDR"

# --- a latency spike in the model provider ----------------------------------
# The fake OpenAI server answers in 5 ms, then in 150 ms for 3 s, then in 5 ms
# again; the AI node's batch p99 follows it, and ai debug places it in time.
fake_llm 5
PORT=$LLM_PORT
cat > spiky.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: spiky}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 50, shape: counter}}
  processors:
    - id: classify
      type: ai-processor
      inputs: [gen]
      config:
        model: gpt-4o-mini
        base_url: "http://127.0.0.1:$PORT/v1"
        cache: {enabled: false}
        prompt_template: "classify {{id}}"
        output_schema: {type: object, properties: {category: {type: string}}, required: [category]}
  sinks:
    - {id: out, type: file, inputs: [classify], config: {path: "$DATA/spiky.jsonl"}}
Y
expect_exit 0 "$FLOWCTL" apply spiky.yaml --server "$ADDR"
sleep 16
SPIKE_FROM=$(date +%s%3N)
curl -fsS "http://127.0.0.1:$PORT/delay?ms=150" > /dev/null || fail "fake model: no /delay"
sleep 3
curl -fsS "http://127.0.0.1:$PORT/delay?ms=5" > /dev/null
SPIKE_TO=$(date +%s%3N)
sleep 4
expect_exit 0 "$FLOWCTL" ai debug spiky --server "$ADDR" --since 25s -o json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
t0, t1 = int(sys.argv[2]), int(sys.argv[3])
s = [f for f in d["findings"] if f["kind"] == "latency_spike" and f["node"] == "classify"]
assert s, d["findings"]
f = s[0]
# The window is the spike: it starts within 2 s of it and ends within 3 s.
assert abs(f["from_ms"] - t0) <= 2000 and abs(f["to_ms"] - t1) <= 3000, (f["from_ms"] - t0, f["to_ms"] - t1)
assert f["evidence"]["factor"] >= 5 and f["evidence"]["p99_us_peak"] >= 100000, f["evidence"]
# The generator does not wait on the model. On a loaded machine (a sanitizer
# build beside a compile) it can have blips of its own, but not this one.
g = [x for x in d["findings"] if x["kind"] == "latency_spike" and x["node"] == "gen"]
assert all(x["evidence"]["p99_us_peak"] * 3 <= f["evidence"]["p99_us_peak"] for x in g), g
' "$OUT" "$SPIKE_FROM" "$SPIKE_TO" || fail "latency spike not placed: $OUT"
expect_exit 0 "$FLOWCTL" delete spiky --server "$ADDR"

echo "ai faults: ok"
