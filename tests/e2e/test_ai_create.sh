#!/usr/bin/env bash
# flowctl ai create with the real binary, non-interactively (stdin is not a
# terminal): -f FILE then validate and apply --dry-run; YAML on stdout and
# the explanation on stderr; --output json; --dry-run; a goal that cannot be
# served (exit 1); usage errors (exit 2); a provider that is down (exit 3).
source "$(dirname "$0")/lib.sh"
cd "$WORK"

SEED="Build a pipeline that processes customer feedback, extracts sentiment, identifies urgent issues, and routes them to the appropriate support teams"
expect_exit 0 "$FLOWCTL" ai create "$SEED" -f seed.yaml </dev/null
expect_out "Pipeline created"
expect_out "Assumptions"
grep -q "type: ai-router" seed.yaml || fail "seed goal: no ai-router"
grep -q "sentiment" seed.yaml || fail "seed goal: no sentiment task"
grep -q "priority" seed.yaml || fail "seed goal: no priority task"
expect_exit 0 "$FLOWCTL" validate seed.yaml
expect_exit 0 "$FLOWCTL" apply seed.yaml --dry-run
expect_out "ai-router"

# -o is the output format, as in every command: -o json prints JSON; the
# old `-o FILE` still writes the file and says to use -f.
"$FLOWCTL" ai create "read orders.jsonl, keep orders over \$250, write them to big.jsonl" \
  -o json </dev/null >o.json 2>o.err || fail "-o json: $(cat o.err)"
python3 -c 'import json,sys; assert "amount > 250" in json.load(open(sys.argv[1]))["yaml"]' o.json ||
  fail "-o json did not print the JSON plan: $(cat o.json)"
expect_exit 0 "$FLOWCTL" ai create "read orders.jsonl, keep orders over \$250, write them to big.jsonl" \
  -o old.yaml </dev/null
expect_out "-o is the output format"
grep -q "amount > 250" old.yaml || fail "-o FILE did not write the file"
expect_exit 2 "$FLOWCTL" ai create "read orders.jsonl, write them to big.jsonl" -o x.yaml -f y.yaml </dev/null

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

# Before it runs, a hosted model is priced (ai optimize's estimate) and a
# cheaper one of the vendor is offered as a document that validates.
"$FLOWCTL" ai create "read tickets.jsonl, classify the sentiment of each ticket with gpt-4o, write them to out.jsonl" \
  --output json </dev/null >priced.json || fail "json output failed"
python3 - priced.json cheaper.yaml <<'P' || fail "no priced cheaper model: $(cat priced.json)"
import json, sys
j = json.load(open(sys.argv[1]))
s = [s for s in j["suggestions"] if s["kind"] == "model"][0]
p = s["predicted"][0]
assert p["metric"] == "cost_usd_per_h" and 0 < p["after"] < p["before"], p
assert abs(p["before"] - j["cost_estimate"]["usd_per_hour"]) < 1e-6, (p, j["cost_estimate"])
assert "model: gpt-4o\n" not in s["yaml"] and "model: " in s["yaml"], s["yaml"]
open(sys.argv[2], "w").write(s["yaml"])
P
expect_exit 0 "$FLOWCTL" validate cheaper.yaml

# Goals written after the planner, run on fabricated input: the events that
# should pass do, the others do not (and none vanishes unasked).
mkdir -p robust && cd robust
# Plain access-log lines: 5xx is a regex on the line, not a field.
cat > access.log <<'L'
127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl"
127.0.0.1 - - [10/Oct/2024:13:55:37 +0000] "GET /b HTTP/1.1" 503 12 "-" "curl"
127.0.0.1 - - [10/Oct/2024:13:55:38 +0000] "POST /c HTTP/1.1" 404 0 "-" "curl"
127.0.0.1 - - [10/Oct/2024:13:55:39 +0000] "GET /d HTTP/1.1" 500 5000 "-" "curl"
L
expect_exit 0 "$FLOWCTL" ai create "Read nginx access logs from access.log, keep only 5xx errors, and write them to errors.jsonl" -f logs.yaml </dev/null
expect_exit 0 "$FLOWCTL" apply logs.yaml -q
[ "$(wc -l < errors.jsonl)" -eq 2 ] || fail "5xx lines: $(cat errors.jsonl)"
grep -q '503' errors.jsonl && grep -q '"GET /d' errors.jsonl || fail "wrong lines kept: $(cat errors.jsonl)"
! grep -q ' 200 512' errors.jsonl || fail "a 200 whose byte count starts with 5 was kept"

# "drop readings where temperature is below -40" keeps the complement, then dedupes.
printf '%s\n' '{"device_id":"a","temperature":-55}' '{"device_id":"b","temperature":-40}' \
  '{"device_id":"c","temperature":21.5}' '{"device_id":"c","temperature":22}' > sensors.jsonl
expect_exit 0 "$FLOWCTL" ai create "Consume IoT sensor readings from the Kafka topic sensors, drop readings where temperature is below -40, deduplicate by device_id and store them in sensors-clean.jsonl" -f sensors.yaml </dev/null
sed -i 's/follow: true/follow: false/' sensors.yaml
expect_exit 0 "$FLOWCTL" apply sensors.yaml -q
[ "$(wc -l < sensors-clean.jsonl)" -eq 2 ] || fail "sensors: $(cat sensors-clean.jsonl)"
! grep -q '"a"' sensors-clean.jsonl || fail "the -55 reading passed"
grep -q '"b"' sensors-clean.jsonl || fail "the -40 reading was dropped"

# "send negative ones to X": the label decides, the other reviews go on.
printf '%s\n' '{"id":1,"text":"This app is terrible, it crashes all the time and I hate it"}' \
  '{"id":2,"text":"Great app, love it, works perfectly"}' > reviews.jsonl
expect_exit 0 "$FLOWCTL" ai create "Monitor app reviews in reviews.jsonl, detect negative sentiment and summarize each review, send negative ones to escalations.jsonl" -f reviews.yaml </dev/null
! grep -q "sentiment ==" reviews.yaml || fail "condition on the numeric sentiment: $(cat reviews.yaml)"
expect_exit 0 "$FLOWCTL" apply reviews.yaml -q
[ "$(wc -l < escalations.jsonl)" -eq 1 ] && grep -q '"id":1' escalations.jsonl || fail "escalations: $(cat escalations.jsonl)"
grep -q '"summary"' escalations.jsonl || fail "no summary"
grep -q '"id":2' out/rest.jsonl || fail "the positive review vanished"

# "quantity at least 10 or amount over $500": either one passes.
printf '%s\n' '{"id":1,"quantity":12,"amount":20}' '{"id":2,"quantity":1,"amount":900}' \
  '{"id":3,"quantity":2,"amount":50}' > orders.jsonl
expect_exit 0 "$FLOWCTL" ai create "Read orders.jsonl, keep orders with quantity at least 10 or amount over \$500, write to bulk.jsonl" -f bulk.yaml </dev/null
expect_exit 0 "$FLOWCTL" apply bulk.yaml -q
[ "$(wc -l < bulk.jsonl)" -eq 2 ] && ! grep -q '"id":3' bulk.jsonl || fail "bulk: $(cat bulk.jsonl)"
cd ..

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

# On a terminal, the menu's "Set up monitoring" writes an AIMonitor for the
# new pipeline that validates (driven through a pseudo-terminal).
mkdir -p "$WORK/menu" && cd "$WORK/menu"
python3 - "$FLOWCTL" <<'P' || fail "ai create menu 5"
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "ai", "create",
                           "generate 100 test events, keep priority high, write them to out.jsonl"])
out = b""
def read_until(token, timeout=30):
    global out
    end = time.time() + timeout
    while token not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    assert token in out, out.decode(errors="replace")[-2000:]
read_until(b"Choice:")
os.write(fd, b"5\n")
read_until(b"-monitor.yaml")
read_until(b"Choice:")
os.write(fd, b"q\n")
os.waitpid(pid, 0)
P
ls *-monitor.yaml > /dev/null 2>&1 || fail "no monitor file written: $(ls)"
M=$(ls *-monitor.yaml | head -n1)
expect_exit 0 "$FLOWCTL" validate "$M"
expect_out "AIMonitor '${M%.yaml}' is valid"
grep -q "pipeline: ${M%-monitor.yaml}$" "$M" || fail "the monitor does not target the pipeline: $(cat "$M")"
echo "ai create: ok"
