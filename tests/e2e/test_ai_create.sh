#!/usr/bin/env bash
# flowctl ai create with the real binary, non-interactively (stdin is not a
# terminal): -o FILE then validate and apply --dry-run; YAML on stdout and
# the explanation on stderr; --output json; --dry-run; a goal that cannot be
# served (exit 1); usage errors (exit 2); a provider that is down (exit 3).
source "$(dirname "$0")/lib.sh"
cd "$WORK"

SEED="Build a pipeline that processes customer feedback, extracts sentiment, identifies urgent issues, and routes them to the appropriate support teams"
expect_exit 0 "$FLOWCTL" ai create "$SEED" -o seed.yaml </dev/null
expect_out "Pipeline created"
expect_out "Assumptions"
grep -q "type: ai-router" seed.yaml || fail "seed goal: no ai-router"
grep -q "sentiment" seed.yaml || fail "seed goal: no sentiment task"
grep -q "priority" seed.yaml || fail "seed goal: no priority task"
expect_exit 0 "$FLOWCTL" validate seed.yaml
expect_exit 0 "$FLOWCTL" apply seed.yaml --dry-run
expect_out "ai-router"

# YAML alone on stdout, explanation on stderr.
"$FLOWCTL" ai create "read orders.jsonl, keep orders over \$250, write them to big.jsonl" \
  </dev/null >orders.yaml 2>orders.err || fail "orders goal failed: $(cat orders.err)"
grep -q "amount > 250" orders.yaml || fail "no amount condition: $(cat orders.yaml)"
grep -q "big.jsonl" orders.yaml || fail "no sink path"
grep -q "filter" orders.err || fail "explanation not on stderr"
! grep -q "Pipeline created" orders.yaml || fail "explanation leaked into stdout"
expect_exit 0 "$FLOWCTL" validate orders.yaml

# The pipeline it made runs: events in, the big ones out.
printf '%s\n' '{"id":1,"amount":100}' '{"id":2,"amount":900}' 'not json' > orders.jsonl
expect_exit 0 "$FLOWCTL" apply orders.yaml -q
[ "$(wc -l < big.jsonl)" -eq 1 ] || fail "big.jsonl: $(cat big.jsonl)"
grep -q '"amount":900' big.jsonl || fail "wrong event kept"
grep -q "not json" out/dead-letter.jsonl || fail "malformed line not dead-lettered"

# --output json: one object with the yaml, nodes, warnings.
"$FLOWCTL" ai create "consume the clicks topic from kafka, dedupe by user id, print them" \
  --output json </dev/null >plan.json || fail "json output failed"
python3 - plan.json <<'P' || fail "json plan lacks what the goal implies"
import json, sys
j = json.load(open(sys.argv[1]))
types = [n["type"] for n in j["nodes"]]
assert "dedupe" in types and "stdout" in types, types
assert any("Kafka" in w for w in j["warnings"]), j["warnings"]
assert "user_id" in j["yaml"] and j["valid"] is True
assert j["optimizations"] and "cost_estimate" in j
P

# --dry-run prints the run plan and starts nothing.
expect_exit 0 "$FLOWCTL" ai create "generate 100 test events and keep priority critical" --dry-run </dev/null
expect_out "Dry run"

# Cannot be served: exit 1 and says why.
expect_exit 1 "$FLOWCTL" ai create "bake a chocolate cake" </dev/null
expect_out "no pipeline can serve it"
# Usage: empty goal, --apply without a terminal and without --yes.
expect_exit 2 "$FLOWCTL" ai create "" </dev/null
expect_exit 2 "$FLOWCTL" ai create "read a.jsonl and print it" --apply </dev/null
expect_out "--yes"
# A model provider that cannot be reached: exit 3.
OPENAI_API_KEY=k OPENAI_BASE_URL=http://127.0.0.1:1/v1 \
  expect_exit 3 "$FLOWCTL" ai create "read a.jsonl and print it" --provider openai --max-repairs 0 </dev/null
expect_out "model provider openai"
echo "ai create: ok"
