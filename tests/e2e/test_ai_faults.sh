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
start_server d.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" \
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
N=$(python3 - drift.json "$(cat changed_at)" <<'P'
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
print(idx[0] + 1)
P
) || fail "schema change not diagnosed: $(head -c 3000 drift.json)"
expect_exit 0 "$FLOWCTL" ai debug orders --server "$ADDR" --since 2m
expect_out "in: the input's shape changed at"
expect_out "amount became string (was number)"
# The fix, applied: a new version with the normalizing transform.
expect_exit 0 "$FLOWCTL" ai debug orders --server "$ADDR" --since 2m --apply "$N"
expect_out "applied fix $N: orders v2"
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

echo "ai faults: ok"
