#!/usr/bin/env bash
# The metric history: a foreground `apply --state-dir` and the daemon both
# sample every node once a second; `flowctl metrics` reads it from the state
# dir or through the daemon that owns it; it survives a daemon restart; the
# performance analysis (gRPC AnalyzePerformance, the MCP tool) reads it.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset FLOWCTL_SERVER

# A pipeline whose rates are known: 400 events/s in, two thirds pass.
cat > p.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: paced}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 1600, rate: 400, shape: counter}}
  processors:
    - {id: f, type: filter, inputs: [gen], config: {condition: "id % 3 != 0"}}
  sinks:
    - {id: out, type: "null", inputs: [f]}
Y
check_rates() {  # check_rates JSON_FILE MIN_SAMPLES
  python3 - "$1" "$2" <<'P'
import json, sys
d = json.load(open(sys.argv[1])); want = int(sys.argv[2])
nodes = {n["node"]: n for n in d["nodes"]}
assert set(nodes) >= {"gen", "f", "out", "*"}, nodes.keys()
for n in nodes.values():
    assert n["samples"] >= want, (n["node"], n["samples"])
    for series in n["metrics"].values():
        assert len(series) == len(n["ts_ms"])
gen, f = nodes["gen"]["summary"], nodes["f"]["summary"]
assert 300 <= gen["out_per_s"]["mean"] <= 500, gen["out_per_s"]
sel = f["out_per_s"]["mean"] / f["in_per_s"]["mean"]
assert 0.6 <= sel <= 0.73, sel
assert nodes["*"]["summary"]["rss_mb"]["max"] > 1
P
}

# --- foreground -------------------------------------------------------------
expect_exit 0 "$FLOWCTL" apply p.yaml --state-dir fg -q
"$FLOWCTL" metrics paced --state-dir fg -o json > fg.json || fail "metrics: $(cat fg.json)"
check_rates fg.json 3 || fail "foreground history: $(head -c 600 fg.json)"
expect_exit 0 "$FLOWCTL" metrics paced --state-dir fg
expect_out "OUT/S TREND"
expect_out "memory:"
expect_exit 0 "$FLOWCTL" metrics paced --state-dir fg --node f -o json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert [n["node"] for n in d["nodes"]] == ["f"], d' "$OUT" ||
  fail "--node f: $OUT"
expect_exit 2 "$FLOWCTL" metrics paced --state-dir fg --since 3w
expect_out "the unit must be s, m, h or d"
expect_exit 1 "$FLOWCTL" metrics paced --state-dir nowhere
expect_out "no metric history in nowhere"

# --- daemon -------------------------------------------------------------------
daemon() {  # daemon LOG: the daemon on the state dir d
  start_server "$1" --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" ||
    fail "server did not start: $(cat "$1")"
}
daemon d1.log
sed 's/count: 1600/count: 0/' p.yaml > endless.yaml
expect_exit 0 "$FLOWCTL" apply endless.yaml --server "$ADDR"
sleep 4.5
"$FLOWCTL" metrics paced --server "$ADDR" -o json > d.json || fail "metrics: $(cat d.json)"
check_rates d.json 3 || fail "daemon history: $(head -c 600 d.json)"
# The daemon's state dir is read through the daemon.
expect_exit 0 "$FLOWCTL" metrics paced --state-dir "$WORK/d" -o json
check_rates <(echo "$OUT") 3 || fail "through the owner: $OUT"
# A run shorter than the sampling period still leaves its sample.
sed 's/name: paced/name: brief/; s/count: 1600, rate: 400/count: 300/' p.yaml > brief.yaml
expect_exit 0 "$FLOWCTL" apply brief.yaml --server "$ADDR"
sleep 1.5
expect_exit 0 "$FLOWCTL" metrics brief --server "$ADDR" -o json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
gen = [n for n in d["nodes"] if n["node"] == "gen"][0]
assert gen["samples"] >= 1, gen
assert abs(sum(r * s for r, s in zip(gen["metrics"]["out_per_s"], gen["metrics"]["interval_s"])) - 300) < 1, gen
' "$OUT" || fail "a brief run left no history: $OUT"
expect_exit 1 "$FLOWCTL" metrics nope --server "$ADDR"
expect_out "nope"

# The performance analysis reads the history: the MCP tool (through the
# daemon's MetricHistory RPC) and the metrics resource.
printf '%s\n' \
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"analyze_pipeline_performance","arguments":{"pipeline_id":"paced","time_range":"1h"}}}' \
  '{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"flowctl://pipelines/paced/metrics"}}' |
  "$FLOWCTL" mcp --server "$ADDR" > mcp.out 2> mcp.err || fail "mcp: $(cat mcp.err)"
python3 - mcp.out <<'P' || fail "analysis/resource did not read the history: $(cat mcp.out)"
import json, sys
answers = {a["id"]: a for a in map(json.loads, filter(str.strip, open(sys.argv[1])))}
r = answers[2]["result"]["structuredContent"]
assert r["source"] == "history", r
assert 300 <= r["throughput_eps"] <= 500, r
assert r["window_s"] >= 3, r
assert r["findings"][0].startswith("from the metric history"), r["findings"]
m = json.loads(answers[3]["result"]["contents"][0]["text"])
assert {n["node"] for n in m["nodes"]} >= {"gen", "f", "out", "*"}, m
P

# History survives a restart of the daemon.
kill "$SERVER_PID"; wait "$SERVER_PID" || true
daemon d2.log
expect_exit 0 "$FLOWCTL" metrics paced --server "$ADDR" -o json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
gen = [n for n in d["nodes"] if n["node"] == "gen"][0]
assert gen["samples"] >= 3, gen["samples"]
' "$OUT" || fail "history lost across a restart: $OUT"
kill "$SERVER_PID"; wait "$SERVER_PID" || true
echo "metrics: ok"
