#!/usr/bin/env bash
# stdin -> parse-json -> stdout, the way a shell user would use flowctl in a pipe.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cat > pipe.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: pipe}
spec:
  sources:
    - {id: in, type: stdin, config: {codec: lines, field: text}}
  processors:
    - {id: parse, type: parse-json, inputs: [in], config: {field: text, remove_source: true}, on_error: drop}
    - {id: up, type: transform, inputs: [parse], config: {set: {name: "upper(name)"}}}
  sinks:
    - {id: out, type: stdout, inputs: [up]}
Y
printf '{"name":"ada"}\nnot json\n{"name":"bob","n":2}\n' | "$FLOWCTL" apply pipe.yaml -q > out.jsonl
python3 - out.jsonl <<'P' || fail "stdin pipeline output: $(cat out.jsonl)"
import json, sys
rows = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda r: r["name"])
assert rows == [{"name": "ADA"}, {"name": "BOB", "n": 2}], rows
P
# An empty stdin ends the run cleanly.
"$FLOWCTL" apply pipe.yaml -q < /dev/null > empty.jsonl
[ ! -s empty.jsonl ] || fail "output from empty input"
echo "stdin/stdout: ok"
