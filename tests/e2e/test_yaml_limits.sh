#!/usr/bin/env bash
# Hostile YAML (issue 9 F/G): an alias bomb, a 10 MB "[[[" file and a 12 MB list are refused
# by `flowctl validate` with file:line:col and the limit, quickly and with a
# bounded peak memory (they cost 0.5-2.5 GB and up to a minute before).
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# Runs the command; PEAK_KB = its peak RSS, RC = its exit code (python3's
# rusage of the child: /usr/bin/time is not always installed).
peak() {
  read -r RC PEAK_KB < <(python3 -c '
import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdout=open("out.txt", "w"), stderr=subprocess.STDOUT, timeout=120)
print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@")
  OUT=$(cat out.txt)
}
LIMIT_KB=$((200 * 1024))
# A sanitizer's shadow memory and quarantine multiply the footprint.
[ -z "${FLOWCTL_SANITIZE:-}" ] || LIMIT_KB=$((LIMIT_KB * 4))

# Alias bomb: 9 levels of 9 aliases, 9^9 nodes expanded from 700 bytes.
python3 - <<'P'
lines = ["apiVersion: flowctl/v1", "kind: Pipeline", "metadata: {name: bomb}", "spec:",
         "  sources:", "    - id: gen", "      type: generator", "      config:",
         "        count: 1",
         "        x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
for i in range(1, 9):
    lines.append("        x%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 9)))
lines += ["  sinks:", "    - {id: out, type: null, inputs: [gen]}"]
open("bomb.yaml", "w").write("\n".join(lines) + "\n")
open("deep.yaml", "w").write("[" * (10 * 1024 * 1024))
P

peak "$FLOWCTL" validate bomb.yaml
[ "$RC" -eq 1 ] || fail "bomb: expected exit 1 (invalid), got $RC: $OUT"
grep -qE '^bomb\.yaml:1[0-9]:[0-9]+: error: YAML aliases expand to more than 100000 nodes' <<<"$OUT" ||
  fail "bomb: no file:line:col error naming the alias limit: $OUT"
[ "$PEAK_KB" -lt "$LIMIT_KB" ] || fail "bomb: peak RSS ${PEAK_KB} KB >= ${LIMIT_KB} KB"

peak "$FLOWCTL" validate deep.yaml
[ "$RC" -eq 1 ] || fail "deep: expected exit 1 (invalid), got $RC: $OUT"
expect_out "deep.yaml:1:257: error: YAML nested deeper than 256 levels"
[ "$PEAK_KB" -lt "$LIMIT_KB" ] || fail "deep: peak RSS ${PEAK_KB} KB >= ${LIMIT_KB} KB"

# A flat list of 2 M items (12 MB): refused before it is parsed.
python3 -c 'open("big.yaml", "w").write("items:\n" + "  - x\n" * (2 * 1024 * 1024))'
peak "$FLOWCTL" validate big.yaml
[ "$RC" -eq 1 ] || fail "big: expected exit 1 (invalid), got $RC: $OUT"
expect_out "big.yaml:50001:3: error: YAML has more than 100000 entries"
[ "$PEAK_KB" -lt "$LIMIT_KB" ] || fail "big: peak RSS ${PEAK_KB} KB >= ${LIMIT_KB} KB"

# JSON output says the same (machine readers get the limit too).
expect_exit 1 "$FLOWCTL" validate -o json deep.yaml
expect_out "nested deeper than 256 levels"
echo "ok: alias bomb and deep nesting refused with bounded memory"
