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
    *) fail "example $name has no check in $0" ;;
  esac
  checked=$((checked + 1))
done
[ "$checked" -ge 3 ] || fail "only $checked examples checked"
echo "examples: $checked checked"
