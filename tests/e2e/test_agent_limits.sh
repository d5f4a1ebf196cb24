#!/usr/bin/env bash
# An agent sql tool's endless query (WITH RECURSIVE) is held to the event's
# max_time_ms (the event goes to on_error), and a run stuck in one with a long
# max_time_ms ends on two SIGTERMs.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
echo 'CREATE TABLE t (x INTEGER);' > db.sql
pipeline() {  # $1 = max_time_ms
cat <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: endless}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 1}}
  processors:
    - id: ag
      type: agent-processor
      inputs: [gen]
      config:
        tools:
          - name: db
            type: sql
            database: db.sql
            call: {query: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c"}
        limits: {max_time_ms: $1}
      on_error: {dead_letter: {to: dlq}}
  sinks:
    - {id: out, type: file, inputs: [ag], config: {path: out.jsonl}}
    - {id: dlq, type: dead-letter, config: {path: dead.jsonl}}
Y
}
pipeline 300 > short.yaml
start=$(date +%s%N)
expect_exit 0 timeout -s KILL 20 "$FLOWCTL" apply short.yaml -q
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 5000 ] || fail "the endless query ran ${ms} ms past max_time_ms 300"
grep -q "max_time_ms 300 passed" dead.jsonl || fail "dead letter lacks the reason: $(cat dead.jsonl)"

pipeline 600000 > long.yaml
"$FLOWCTL" apply long.yaml -q > /dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM $pid; sleep 0.3
# The first may already have stopped it (a loaded machine is slow to look).
kill -TERM $pid 2>/dev/null || true
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then kill -KILL $pid; fail "two SIGTERMs did not stop a run in an endless query"; fi
wait $pid || true
echo "agent limits: ok"
