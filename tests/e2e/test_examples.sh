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
      # Every AI node's decision is on the event; each is explained with
      # evidence of its own kind (urgency for priority, keywords for a class).
      ids=$(python3 -c "import json; print(' '.join(json.loads(open('out/feedback-urgent.jsonl').readline())['_ai']['decisions']))")
      read -r mood_id class_id <<<"$ids"
      expect_exit 0 "$FLOWCTL" explain "$mood_id" --state-dir "$WORK/fb-state"
      expect_out "model       embedded-v1"
      expect_out "urgency words:"
      expect_exit 0 "$FLOWCTL" explain "$class_id" --state-dir "$WORK/fb-state"
      expect_out "node classify"
      expect_out "category: "
      ! grep -q "urgency words" <<<"$OUT" || fail "classify decision explained with urgency words: $OUT"
      expect_exit 1 "$FLOWCTL" explain "classify.none.1" --state-dir "$WORK/fb-state"
      expect_out "no decision 'classify.none.1'"
      ;;
    fraud-detection)
      "$FLOWCTL" apply "$ex" -q --state-dir "$WORK/fraud-state"
      python3 - out 0.2 <<'P' || fail "fraud-detection content"
import json, sys
d, threshold = sys.argv[1], float(sys.argv[2])
alerts = [json.loads(l) for l in open(d + "/fraud-alerts.jsonl")]
cleared = [json.loads(l) for l in open(d + "/fraud-cleared.jsonl")]
assert len(alerts) + len(cleared) == 200, (len(alerts), len(cleared))
assert 10 < len(alerts) < 120, len(alerts)
assert all(a["fraud_flag"] and a["fraud_score"] >= threshold and a["fraud_reasons"] for a in alerts)
assert all(not c["fraud_flag"] and c["fraud_score"] < threshold for c in cleared)
risky = {"gambling", "crypto", "gift_cards"}
share = lambda rows: sum(r["merchant_category"] in risky for r in rows) / max(1, len(rows))
assert share(alerts) > 2 * share(cleared), (share(alerts), share(cleared))
P
      high=$(wc -l < out/fraud-alerts.jsonl)
      id=$(python3 -c "import json; print(json.loads(open('out/fraud-alerts.jsonl').readline())['_ml']['decision'])")
      expect_exit 0 "$FLOWCTL" explain "$id" --state-dir "$WORK/fraud-state" -o json
      expect_out '"component": "ml-processor"'
      expect_out '"fraud_score"'
      # It is the seed's template: parameters listed, typed and checked.
      expect_exit 0 "$FLOWCTL" validate "$ex"
      expect_out "parameter sensitivity = 0.8 (float, ai-tunable)"
      # Lower sensitivity flags fewer transactions.
      "$FLOWCTL" apply "$ex" -q --param sensitivity=0.3
      low=$(wc -l < out/fraud-alerts.jsonl)
      [ "$low" -lt "$high" ] || fail "sensitivity 0.3 flagged $low, 0.8 flagged $high"
      # The other model (decision rules) by name.
      "$FLOWCTL" apply "$ex" -q --param ml-model=fraud-rules-lite
      grep -q '"fraud_reasons":\["large amount at a high-risk merchant"\]' out/fraud-alerts.jsonl \
        || fail "rules model: no rule reason in the alerts"
      expect_exit 1 "$FLOWCTL" apply "$ex" -q --param sensitivity=1.5
      expect_out "parameter 'sensitivity': 1.5 is above the maximum"
      # A feature the model lacks is a validation error naming it.
      sed 's/- device_fingerprint/- device_fingerprnt/' "$ex" > bad-fraud.yaml
      expect_exit 1 "$FLOWCTL" validate bad-fraud.yaml
      expect_out "feature 'device_fingerprnt' is not in model fraud-detector-v2"
      expect_out "did you mean 'device_fingerprint'"
      ;;
    rag-enrichment)
      "$FLOWCTL" apply "$ex" -q
      [ -f out/vectors/support-kb/index.json ] || fail "rag: the index was not built"
      python3 - out <<'P' || fail "rag-enrichment content"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1] + "/tickets-enriched.jsonl")]
assert len(rows) == 60
def top(text):
    for r in rows:
        if text in r["message"]:
            m = r["rag"]["matches"]
            return m[0]["source"] if m else None
assert top("charged twice") == "refunds.md", top("charged twice")
assert top("reset my password") == "accounts.md"
assert top("box arrived damaged") == "shipping.md"
assert top("office in Berlin") is None       # nothing similar enough
for r in rows:
    ms = r["rag"]["matches"]
    assert len(ms) <= 2 and all(m["score"] >= 0.1 and m["text"] for m in ms)
    assert [m["score"] for m in ms] == sorted((m["score"] for m in ms), reverse=True)
P
      expect_exit 0 "$FLOWCTL" index query --index support-kb --dir out/vectors "parcel lost in delivery" -o json
      expect_out '"source": "shipping.md"'
      expect_exit 1 "$FLOWCTL" index query --index nope --dir out/vectors "x"
      expect_out "flowctl index add --index nope"
      ;;
    ai-agent)
      "$FLOWCTL" apply "$ex" -q
      python3 - out <<'P' || fail "ai-agent content"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1] + "/orders-agent.jsonl")]
assert len(rows) == 7 and len(open(sys.argv[1] + "/orders-agent-dead.jsonl").readlines()) == 1
tiers = {"ada": "gold", "bob": "silver", "cy": "bronze", "dee": "gold"}
for r in rows:
    a = r["agent"]
    assert a["steps"] == 2 and a["tools_used"] == ["query-database", "update-cache"], a
    got = a["results"]["query-database"]["rows"]
    want = tiers.get(r["customer"])
    assert (got[0]["tier"] if got else None) == want, (r["customer"], got)
    assert a["results"]["update-cache"] == {"ok": True}
P
      ;;
    ai-powered-router)
      "$FLOWCTL" apply "$ex" -q -o json > router-summary.json
      python3 - out router-summary.json <<'P' || fail "ai-powered-router content"
import json, sys
d = sys.argv[1]
load = lambda f: [json.loads(l) for l in open(d + "/" + f)]
want = {"premium.jsonl": ("high-value-customer", ("renewed", "Platinum")),
        "retention.jsonl": ("potential-churn", ("cancel", "competitor")),
        "sales.jsonl": ("upsell-opportunity", ("seat limit", "addon"))}
for f, (cat, words) in want.items():
    rows = load(f)
    assert len(rows) == 10, (f, len(rows))
    for r in rows:
        assert r["category"] == cat and r["_route"]["destination"] == cat, r
        assert any(w in r["activity"] for w in words), r
assert all(r["_route"]["alert"] == "customer-success-team" for r in load("retention.jsonl"))
other = load("activity-other.jsonl")
assert len(other) == 20 and {r["category"] for r in other} == {"support-needed", "normal-activity"}
s = json.load(open(sys.argv[2]))
router = [n for n in s["nodes"] if n["id"] == "dynamic-router"][0]
assert router["counters"]["ai_decisions"] == 50, router
P
      ;;
    *) fail "example $name has no check in $0" ;;
  esac
  checked=$((checked + 1))
done
[ "$checked" -ge 3 ] || fail "only $checked examples checked"
echo "examples: $checked checked"
