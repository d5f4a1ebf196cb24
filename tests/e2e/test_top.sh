#!/usr/bin/env bash
# flowctl top: with several pipelines every frame shows all of them (one
# update used to clear the screen and leave only its own pipeline); -o table
# is honoured on a pipe; a rate is "—" (JSON: null) until two samples exist,
# then the real rate, never a made-up 0; counts in JSON are numbers.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
start_server d.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/state" ||
  fail "daemon did not start: $(cat d.log)"
for p in alpha beta; do
  cat > $p.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: $p}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 200, shape: counter}}
  sinks:
    - {id: out, type: null, inputs: [gen]}
Y
  expect_exit 0 "$FLOWCTL" apply $p.yaml --server "$ADDR"
done
"$FLOWCTL" top --server "$ADDR" -o table --interval-ms 300 --iterations 6 > top.txt ||
  fail "top -o table: $(cat top.txt)"
grep -q $'\033' top.txt && fail "escape codes on a pipe"
python3 - top.txt <<'PY' || fail "table frames: $(cat top.txt)"
import sys
text = open(sys.argv[1], encoding="utf-8").read()
headers = [l for l in text.splitlines() if l.startswith(("alpha v", "beta v"))]
# 6 updates: the first frame knows one pipeline, the next five show both
# (one pipeline per update would print 6 headers).
assert len(headers) >= 10, headers
rows = [l for l in text.splitlines() if l.startswith("gen ")]
assert rows[0].split()[3] == "—", rows[0]          # first sample: no rate yet
later = [float(r.split()[3]) for r in rows if r.split()[3] != "—"]
assert later and max(later) > 50, rows              # ~200 events/s once measured
PY
"$FLOWCTL" top alpha --server "$ADDR" -o json --interval-ms 300 --iterations 3 > top.json
python3 - top.json <<'PY' || fail "json: $(cat top.json)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
gen = [[n for n in l["nodes"] if n["id"] == "gen"][0] for l in lines]
assert gen[0]["rate_eps"] is None, gen[0]
assert gen[-1]["rate_eps"] > 50, gen[-1]
# Counts are numbers, as everywhere else (proto3 JSON would make them strings).
assert isinstance(gen[-1]["in"], int) and isinstance(lines[-1]["time_ms"], int), gen[-1]
PY
echo "top: ok"
