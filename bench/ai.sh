#!/usr/bin/env bash
# AI benchmarks (bench/README.md): A1 = ai-processor sentiment+classify on the
# embedded models over W0's data, beside jq doing keyword rules of the same
# shape in the same run; A2 = classify against a fake model server answering
# in DELAY ms, at several concurrency limits.
set -euo pipefail
EVENTS=1000000; RUNS=3; DELAY=20; REMOTE_EVENTS=2000; CURVE="1 2 4 8 16 32 64"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --delay-ms) DELAY="$2"; shift 2 ;;
    --remote-events) REMOTE_EVENTS="$2"; shift 2 ;;
    --curve) CURVE="$2"; shift 2 ;;
    -h|--help) echo "usage: bash bench/ai.sh [--events N] [--runs R] [--delay-ms D] [--remote-events N] [--curve '1 2 4']"; exit 0 ;;
    *) echo "ai.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FLOWCTL=build/flowctl FAKE=build/flowctl_fake_llm
[[ -x $FLOWCTL && -x $FAKE ]] || { echo "ai.sh: run 'make build' first" >&2; exit 2; }
mkdir -p bench/data
INPUT=bench/data/events-$EVENTS.jsonl
[[ -f $INPUT ]] || python3 ../shared/bench/gen_events.py "$EVENTS" "$INPUT"
WORK=$(mktemp -d bench/data/ai.XXXXXX)
trap 'rm -rf "$WORK"; [[ -z ${FAKE_PID:-} ]] || kill $FAKE_PID 2>/dev/null || true' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() {  # prints wall seconds
  /usr/bin/time -f '%e' -o "$WORK/t" bash -c "$1" >/dev/null 2>&1
  cat "$WORK/t"
}
# jq doing the same shape of work: a lexicon-ish sentiment and a keyword category.
JQ='.sentiment = ((if (.message|test("success|delivered|resolved|great")) then 1 else 0 end) - (if (.message|test("fail|error|timeout|refund|cancel")) then 1 else 0 end)) | .category = (if (.message|test("invoice|refund|payment|charge")) then "billing" elif (.message|test("error|timeout|fail|latency")) then "technical" elif (.message|test("login|token|user")) then "account" elif (.message|test("shipped|delivered|cart")) then "shipping" else "general" end)'

echo "== A1: ai-processor sentiment+classify, embedded models, $EVENTS events ($RUNS runs, median)"
fl=(); jq_t=()
for r in $(seq "$RUNS"); do
  fl+=("$(timed "$FLOWCTL apply bench/ai-embedded.yaml --set INPUT=$INPUT --set OUTPUT=$WORK/fl.out -q")")
  jq_t+=("$(timed "jq -c '$JQ' $INPUT > $WORK/jq.out")")
done
FL=$(printf '%s\n' "${fl[@]}" | median); JQT=$(printf '%s\n' "${jq_t[@]}" | median)
[[ $(wc -l < "$WORK/fl.out") -eq $EVENTS ]] || { echo "A1: flowctl wrote $(wc -l < "$WORK/fl.out") lines" >&2; exit 1; }
python3 - "$WORK/fl.out" <<'P'
import json, sys
e = json.loads(open(sys.argv[1]).readline())
assert "sentiment" in e and "category" in e and "sentiment_label" in e, e
P
awk -v e="$EVENTS" -v f="$FL" -v j="$JQT" 'BEGIN {printf "flowctl %.2f s  %10.0f events/s\njq      %.2f s  %10.0f events/s  (keyword rules)\nratio   %.1fx\n", f, e/f, j, e/j, j/f}'
echo
echo "== A2: classify via a fake OpenAI server answering in $DELAY ms, $REMOTE_EVENTS events"
head -n "$REMOTE_EVENTS" "$INPUT" > "$WORK/remote.jsonl"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$FAKE "$PORT" "$DELAY" & FAKE_PID=$!
sleep 0.3
printf '%-12s %10s %12s %14s\n' concurrency wall_s events/s ideal_events/s
for c in $CURVE; do
  t=$(timed "OPENAI_API_KEY=bench OPENAI_BASE_URL=http://127.0.0.1:$PORT/v1 $FLOWCTL apply bench/ai-remote.yaml --set INPUT=$WORK/remote.jsonl --set OUTPUT=$WORK/r.out --set CONCURRENCY=$c -q")
  n=$(wc -l < "$WORK/r.out")
  [[ $n -eq $REMOTE_EVENTS ]] || { echo "A2: wrote $n of $REMOTE_EVENTS" >&2; exit 1; }
  awk -v c="$c" -v t="$t" -v e="$REMOTE_EVENTS" -v d="$DELAY" 'BEGIN {printf "%-12d %10.2f %12.0f %14.0f\n", c, t, e/t, c*1000/d}'
done
