#!/usr/bin/env bash
# `flowctl ai tools --format openai`: create_pipeline and
# analyze_pipeline_performance carry the seed's parameter names, types and enums.
source "$(dirname "$0")/lib.sh"
"$FLOWCTL" ai tools --format openai > "$WORK/openai.json"
python3 - "$WORK/openai.json" <<'P' || fail "openai tool specs differ from the seed"
import json, sys
tools = {t["function"]["name"]: t["function"] for t in json.load(open(sys.argv[1]))}
c = tools["create_pipeline"]["parameters"]["properties"]
assert c["name"]["type"] == "string" and c["goal"]["type"] == "string", c
k = c["constraints"]["properties"]
assert k == {"max_latency_ms": {"type": "integer"}, "max_cost_per_hour": {"type": "number"},
             "required_throughput": {"type": "integer"}}, k
a = tools["analyze_pipeline_performance"]["parameters"]["properties"]
assert a["pipeline_id"]["type"] == "string", a
assert a["time_range"] == {"type": "string", "enum": ["1h", "24h", "7d", "30d"]}, a
g = a["optimization_goals"]
assert g["type"] == "array" and g["items"]["enum"] == ["latency", "throughput", "cost", "reliability"], g
assert tools["analyze_pipeline_performance"]["description"] == \
    "Analyze pipeline performance and suggest optimizations"
P
for f in anthropic mcp json; do
  "$FLOWCTL" ai tools --format $f | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "format $f"
done
expect_exit 2 "$FLOWCTL" ai tools --format yaml
echo "ai tools: ok"
