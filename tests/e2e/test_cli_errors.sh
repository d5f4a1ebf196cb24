#!/usr/bin/env bash
# Bad input gives one clear error with file:line and the documented exit code.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# Broken YAML: exit 1, names the line.
printf 'apiVersion: flowctl/v1\nkind: Pipeline\nmetadata:\n  name: x\nspec:\n  sources: [\n    - id: a\n' > broken.yaml
expect_exit 1 "$FLOWCTL" validate broken.yaml
expect_out "broken.yaml:"

# Unknown type: exit 1, names line 8, lists known types.
cat > unknown.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: x
spec:
  sources:
    - id: in
      type: kafka-source
  sinks:
    - id: out
      type: stdout
      inputs: [in]
Y
expect_exit 1 "$FLOWCTL" validate unknown.yaml
expect_out "unknown.yaml:8:"
expect_out "unknown source type 'kafka-source'"
expect_out "generator"

# Cycle and bad expression, all reported at once.
cat > cycle.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: x}
spec:
  sources:
    - {id: gen, type: generator}
  processors:
    - {id: a, type: filter, inputs: [gen, b], config: {condition: "id > 1"}}
    - {id: b, type: filter, inputs: [a], config: {condition: "id >"}}
  sinks:
    - {id: out, type: stdout, inputs: [b]}
Y
expect_exit 1 "$FLOWCTL" validate cycle.yaml
expect_out "cycle: "
expect_out "cycle.yaml:9:"
expect_out "column"

# JSON output for machines.
expect_exit 1 "$FLOWCTL" validate -o json unknown.yaml
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d[0]["valid"] is False; assert d[0]["diagnostics"][0]["line"]==8, d' "$OUT" \
  || fail "validate -o json: $OUT"

# Usage errors: exit 2.
expect_exit 2 "$FLOWCTL" validate
expect_exit 2 "$FLOWCTL" apply does-not-exist.yaml
expect_exit 2 "$FLOWCTL" frobnicate
expect_exit 2 "$FLOWCTL" apply unknown.yaml --set novalue

# Runtime failure: a file source whose file is missing: exit 3, one line.
cat > missing.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: x}
spec:
  sources:
    - {id: in, type: file, config: {path: /nonexistent/in.jsonl}}
  sinks:
    - {id: out, type: stdout, inputs: [in]}
Y
expect_exit 3 "$FLOWCTL" apply missing.yaml
expect_out "cannot open /nonexistent/in.jsonl"

# Malformed events do not stop the flow; they are counted.
printf '{"id":1}\nnot json\n{"id":3}\n' > in.jsonl
cat > malformed.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: x}
spec:
  sources:
    - {id: in, type: file, config: {path: in.jsonl}}
  sinks:
    - {id: out, type: file, inputs: [in], config: {path: out.jsonl, append: false}}
Y
expect_exit 0 "$FLOWCTL" apply malformed.yaml -o json
[ "$(wc -l < out.jsonl)" -eq 2 ] || fail "expected 2 good events"
python3 -c 'import json,sys; d=json.loads(sys.argv[1][sys.argv[1].index("{"):]); assert d["nodes"][0]["errors"]==1, d' "$OUT" \
  || fail "errors not counted: $OUT"

# --set overrides a node's config; ${VAR:-default} substitution.
expect_exit 0 "$FLOWCTL" apply malformed.yaml --set out.path=other.jsonl -q
[ "$(wc -l < other.jsonl)" -eq 2 ] || fail "--set did not redirect the sink"

# dry run prints the plan, runs nothing.
rm -f out.jsonl
expect_exit 0 "$FLOWCTL" apply malformed.yaml --dry-run
expect_out "Plan for pipeline 'x'"
[ ! -e out.jsonl ] || fail "dry run wrote output"

# A URL the HTTP client cannot use is an error at validate, naming the node and
# field (it used to pass and then abort the process on the first event).
for url in "ftp://example.com/x" "http://h:99999" "http://" "not a url"; do
cat > badurl.yaml <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: x}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 2}}
  processors:
    - id: ag
      type: agent-processor
      inputs: [gen]
      config:
        tools:
          - {name: web, type: http, base_url: "$url", call: {path: /a}}
    - id: ai
      type: ai-processor
      inputs: [ag]
      config: {model: gpt-4o-mini, base_url: "$url"}
  sinks:
    - {id: out, type: stdout, inputs: [ai]}
Y
expect_exit 1 "$FLOWCTL" validate badurl.yaml
expect_out "node 'ag': config/tools/0: tool web: base_url '$url' is not a valid URL"
expect_out "node 'ai': config/base_url: base_url '$url' is not a valid URL"
expect_out "valid: http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]"
expect_out "invalid (2 errors)"
done
# The same URL from the environment: apply refuses to start (exit 3), no abort.
cat > envurl.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: x}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 2}}
  processors:
    - {id: ai, type: ai-processor, inputs: [gen], config: {model: gpt-4o-mini}}
  sinks:
    - {id: out, type: stdout, inputs: [ai]}
Y
expect_exit 3 env OPENAI_API_KEY=k OPENAI_BASE_URL=ftp://x "$FLOWCTL" apply envurl.yaml -q
expect_out "OPENAI_BASE_URL: 'ftp://x' is not a valid URL"

# validate only reads: an agent sql tool's script is not run, so a script that
# would create a database file leaves nothing behind; at start the in-memory
# script may not attach files either.
printf "ATTACH DATABASE 'created.db' AS c; CREATE TABLE c.t(x);\nCREATE TABLE customers(id TEXT);\n" > init.sql
cat > sqltool.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: x}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 1}}
  processors:
    - id: ag
      type: agent-processor
      inputs: [gen]
      config:
        tools:
          - {name: db, type: sql, database: init.sql, call: {query: "SELECT 1 AS one"}}
  sinks:
    - {id: out, type: stdout, inputs: [ag]}
Y
expect_exit 0 "$FLOWCTL" validate sqltool.yaml
[ ! -e created.db ] || fail "validate ran the sql tool's script (created.db exists)"
expect_exit 3 "$FLOWCTL" apply sqltool.yaml -q
expect_out "ATTACH and VACUUM INTO are refused"
[ ! -e created.db ] || fail "the sql tool's script attached a file"

# ai create caps the goal's size: exit 2 with the cap in the message.
expect_exit 2 "$FLOWCTL" ai create "$(head -c 17000 /dev/zero | tr '\0' a)"
expect_out "at most 16384 are planned"

# Mistyped subcommands get did-you-mean at every level; commands that are not
# built yet say so; all exit 2.
expect_exit 2 "$FLOWCTL" aply x.yaml
expect_out "unknown command 'aply' for 'flowctl' (did you mean 'apply'?)"
expect_exit 2 "$FLOWCTL" ai crate "read x"
expect_out "unknown command 'crate' for 'flowctl ai' (did you mean 'create'?)"
expect_exit 2 "$FLOWCTL" --log-level warn get pipelnes
expect_out "did you mean 'pipelines'?"
expect_exit 2 "$FLOWCTL" index ad x.txt
expect_out "did you mean 'add'?"
expect_exit 2 "$FLOWCTL" zzzz
expect_out "known: validate, apply"
expect_exit 2 "$FLOWCTL" ai
expect_out "'flowctl ai' needs a command: "
expect_exit 2 "$FLOWCTL" ai optimiz my-pipeline --since 1h
expect_out "did you mean 'optimize'?"
# Built, and says what it needs: a daemon (none listens on this port).
expect_exit 3 "$FLOWCTL" ai optimize my-pipeline --since 1h --server 127.0.0.1:9
expect_out "no flowctl server at 127.0.0.1:9"
expect_exit 2 "$FLOWCTL" ai debg my-pipeline
expect_out "did you mean 'debug'?"
# Real commands still parse.
expect_exit 0 "$FLOWCTL" ai tools --format json

# components and graph.
expect_exit 0 "$FLOWCTL" components
expect_out "selective-sink"
expect_exit 0 "$FLOWCTL" components route
expect_out "Example:"
expect_exit 2 "$FLOWCTL" components rute
expect_out "did you mean 'route'"
expect_exit 1 "$FLOWCTL" graph cycle.yaml --format mermaid
expect_exit 0 "$FLOWCTL" graph malformed.yaml --format mermaid
expect_out "in --> out"
expect_exit 0 "$FLOWCTL" version
expect_out "flowctl 0.1.0"
echo "cli errors: ok"
