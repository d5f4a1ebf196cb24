#!/usr/bin/env bash
# PipelineTemplate documents with the real binary: validate instantiates a
# template with its defaults and lists its parameters; apply --param runs it
# with typed values; a Pipeline instantiates a template of another file; bad
# values exit 1 naming the parameter and where it was given.
source "$(dirname "$0")/lib.sh"
T="$SRC/tests/e2e/templates"
cd "$WORK"
export OUT_DIR="$WORK"

# validate: instantiated with the defaults, parameters shown.
expect_exit 0 "$FLOWCTL" validate "$T/fraud-template.yaml"
expect_out "pipeline 'fraud-detection-pattern' is valid (4 nodes), from template 'fraud-detection-pattern'"
expect_out "parameter sensitivity = 0.8 (float, ai-tunable): Fraud detection sensitivity (0-1)"
expect_out "parameter transactions = 200 (int): How many transactions to generate"
expect_out "parameter level = \"high\" (string, ai-tunable)"
expect_out "parameter append = false (bool)"
expect_out "parameter alert-file = \"$WORK/fraud-alerts.jsonl\" (string)"
"$FLOWCTL" validate -o json "$T/fraud-template.yaml" --param sensitivity=0.3 > v.json
python3 - v.json <<'P' || fail "validate -o json"
import json, sys
[f] = json.load(open(sys.argv[1]))
assert f["valid"], f
t = f["pipelines"][0]["template"]
params = {p["name"]: p for p in t["parameters"]}
assert t["name"] == "fraud-detection-pattern"
assert params["sensitivity"]["value"] == 0.3 and params["sensitivity"]["default"] == 0.8
assert params["sensitivity"]["ai_tunable"] and not params["transactions"]["ai_tunable"]
assert params["level"]["ai_recommendations"][0]["when"] == "cost-optimized"
P

# apply --param: typed values reach the components (the generator's count
# must be an integer and the file sink's append a bool: their schemas reject
# strings), and the threshold is 1 - sensitivity.
expect_exit 0 "$FLOWCTL" apply -q "$T/fraud-template.yaml" \
  --param sensitivity=0.25 --param transactions=400 --param level=low
python3 - fraud-alerts.jsonl <<'P' || fail "apply --param output"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert 0 < len(rows) < 400, len(rows)
assert all(r["risk"] > 0.75 and r["amount"] > 3750 and r["level"] == "low" for r in rows), rows[:3]
assert max(r["id"] for r in rows) <= 400  # ids count from 1
P
expect_exit 0 "$FLOWCTL" apply --dry-run "$T/fraud-template.yaml" --param transactions=5
expect_out "Plan for pipeline 'fraud-detection-pattern'"
expect_out "sink alerts (file) <- suspicious"
expect_exit 0 "$FLOWCTL" graph --format mermaid "$T/fraud-template.yaml" --param level=low
expect_out "transaction-stream"

# A Pipeline referencing the template by a path relative to itself.
cp -r "$T" tpl
expect_exit 0 "$FLOWCTL" validate tpl/fraud-pipeline.yaml
expect_out "pipeline 'fraud-strict' is valid (4 nodes), from template 'fraud-detection-pattern'"
expect_out "parameter sensitivity = 0.1 (float, ai-tunable)"
expect_out "parameter transactions = 300 (int)"
expect_exit 0 "$FLOWCTL" apply -q tpl/fraud-pipeline.yaml --param alert-file="$WORK/strict.jsonl"
python3 - strict.jsonl <<'P' || fail "referencing pipeline output"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert 0 < len(rows) < 100, len(rows)
assert all(r["risk"] > 0.9 for r in rows), rows[:3]
P

# Errors: exit 1, the parameter named, and where the value was given.
expect_exit 1 "$FLOWCTL" validate "$T/fraud-template.yaml" --param sensitivity=high
expect_out "--param: error: parameter 'sensitivity': expected float, got 'high'"
expect_exit 1 "$FLOWCTL" apply "$T/fraud-template.yaml" --param sensitivity=1.5
expect_out "parameter 'sensitivity': 1.5 is above the maximum 1"
expect_exit 1 "$FLOWCTL" apply "$T/fraud-template.yaml" --param sensitivty=0.5
expect_out "unknown parameter 'sensitivty' (did you mean 'sensitivity'? parameters: alert-file, append, level, sensitivity, transactions)"
expect_exit 1 "$FLOWCTL" validate "$T/fraud-template.yaml" --param level=medium
expect_out "parameter 'level': 'medium' is not one of the allowed values (allowed: low, high)"
sed 's/sensitivity: 0.1/sensitivity: very/' tpl/fraud-pipeline.yaml > tpl/bad.yaml
expect_exit 1 "$FLOWCTL" validate tpl/bad.yaml
expect_out "tpl/bad.yaml:13:20: error: parameter 'sensitivity': expected float, got 'very'"
sed 's/name: fraud-detection-pattern/name: fraud-detection/' tpl/fraud-pipeline.yaml > tpl/bad.yaml
expect_exit 1 "$FLOWCTL" validate tpl/bad.yaml
expect_out "tpl/bad.yaml:10:11: error: no PipelineTemplate 'fraud-detection' in"
expect_out "did you mean 'fraud-detection-pattern'?"
cat > needs.yaml <<'Y'
apiVersion: v1
kind: PipelineTemplate
metadata: {name: needs-count}
spec:
  parameters:
    - name: count
      type: int
  template:
    sources: [{id: g, type: generator, config: {count: "${count}"}}]
    sinks: [{id: o, type: "null", inputs: [g]}]
Y
expect_exit 1 "$FLOWCTL" validate needs.yaml
expect_out "needs.yaml:6:7: error: parameter 'count' has no default and no value (pass --param count=VALUE"
expect_exit 0 "$FLOWCTL" apply -q needs.yaml --param count=3
expect_exit 1 "$FLOWCTL" validate "$SRC/examples/quickstart.yaml" --param count=3
expect_out "--param needs a PipelineTemplate"
# Not sent to a daemon yet: a usage error, not a silent drop.
expect_exit 2 "$FLOWCTL" apply --server 127.0.0.1:9 "$T/fraud-template.yaml" --param level=low
expect_out "--param is not sent to a server yet"
echo "templates: ok"
