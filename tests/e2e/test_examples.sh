#!/usr/bin/env bash
# Runs every example under examples/ with the real binary and checks its output.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export OUT_DIR="$WORK/out" EXAMPLES="$SRC/examples"
checked=0
for ex in "$SRC"/examples/*.yaml; do
  name=$(basename "$ex" .yaml)
  expect_exit 0 "$FLOWCTL" validate "$ex"
  case "$name" in
    quickstart)
      "$FLOWCTL" apply "$ex" -q > critical.jsonl
      total=$(cat out/quickstart-*.jsonl | wc -l)
      [ "$total" -gt 2500 ] && [ "$total" -lt 3500 ] || fail "quickstart: $total important events"
      python3 - out critical.jsonl <<'P' || fail "quickstart content"
import json, sys, glob
d = sys.argv[1]
eu = {"DE", "FR", "GB", "ES", "NL", "SE"}; am = {"US", "CA", "BR"}
for path, want in [(d + "/quickstart-europe.jsonl", eu), (d + "/quickstart-americas.jsonl", am)]:
    for line in open(path):
        e = json.loads(line)
        assert e["geo"]["country"] in want, e
        assert e["priority"] in ("high", "critical") and e["routed"] is True, e
        assert abs(e["amount_usd"] - e["amount"] * 1.1) < 1e-6, e
for line in open(d + "/quickstart-rest.jsonl"):
    e = json.loads(line); assert e["geo"]["country"] not in eu | am, e
crit = [json.loads(l) for l in open(sys.argv[2])]
assert crit and all(e["priority"] == "critical" for e in crit)
P
      ;;
    dead-letter)
      "$FLOWCTL" apply "$ex" -q
      [ "$(wc -l < out/orders-clean.jsonl)" -eq 6 ] || fail "dead-letter: clean count"
      [ "$(wc -l < out/orders-dead.jsonl)" -eq 2 ] || fail "dead-letter: dead count"
      grep -q '"raw":"{\\"order\\": 4, oops' out/orders-dead.jsonl || fail "dead-letter: raw kept"
      ;;
    logs-to-json)
      "$FLOWCTL" apply "$ex" -q
      python3 - out/errors.jsonl <<'P' || fail "logs-to-json content"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2, rows
assert all(r["level"] == "error" and "message" not in r for r in rows), rows
P
      ;;
    ai-feedback)
      "$FLOWCTL" apply "$ex" -q --state-dir "$WORK/fb-state"
      python3 - out <<'P' || fail "ai-feedback content"
import json, sys, glob
d = sys.argv[1]
queues = {p.split("queue-")[1][:-6]: [json.loads(l) for l in open(p)] for p in glob.glob(d + "/queue-*.jsonl")}
assert sum(len(v) for v in queues.values()) == 60, {k: len(v) for k, v in queues.items()}
assert len(open(d + "/feedback-dead.jsonl").readlines()) == 1
for team, events in queues.items():
    for e in events:
        assert e["category"] == team and e["_route"]["destination"] == team, (team, e)
        assert -1 <= e["sentiment"] <= 1 and e["priority"] in ("low", "medium", "high", "critical"), e
        assert e["_ai"]["model"] == "embedded-v1" and 0 < e["_ai"]["confidence"] <= 1, e
def where(text):
    return {t for t, ev in queues.items() for e in ev if text in e["message"]}
assert where("Production is DOWN") == {"technical"}, where("Production is DOWN")
assert where("charged twice") == {"billing"}
assert where("reset my password") == {"account"}
assert where("tracking has not updated") == {"shipping"}
assert where("switch to a competitor") == {"retention"}
assert all(e["sentiment"] > 0 and not e["urgent"] for ev in queues.values() for e in ev if "Great product" in e["message"])
assert all(e["_route"]["alert"] == "on-call-engineering" for e in queues["technical"])
urgent = [json.loads(l) for l in open(d + "/feedback-urgent.jsonl")]
assert urgent and all(e["urgent"] or e["priority"] == "critical" for e in urgent)
assert any("Production is DOWN" in e["message"] for e in urgent)
assert not any("Great product" in e["message"] for e in urgent)
P
      id=$(python3 -c "import json; print(json.loads(open('out/feedback-urgent.jsonl').readline())['_ai']['decision'])")
      expect_exit 0 "$FLOWCTL" explain "$id" --state-dir "$WORK/fb-state"
      expect_out "model       embedded-v1"
      expect_out "urgency words:"
      expect_exit 1 "$FLOWCTL" explain "classify.none.1" --state-dir "$WORK/fb-state"
      expect_out "no decision 'classify.none.1'"
      ;;
    *) fail "example $name has no check in $0" ;;
  esac
  checked=$((checked + 1))
done
[ "$checked" -ge 3 ] || fail "only $checked examples checked"
echo "examples: $checked checked"
