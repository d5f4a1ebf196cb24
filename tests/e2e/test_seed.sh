#!/usr/bin/env bash
# Every `kind: Pipeline` document of the design seed loads; `flowctl validate`
# passes or names each component type that does not exist yet, with its line,
# and lists the types that do. It never crashes.
source "$(dirname "$0")/lib.sh"
SEED="$SRC/../shared/seed/000_fd905c61910ea776.txt"
[ -f "$SEED" ] || fail "seed not found at $SEED"
cd "$WORK"
python3 - "$SEED" <<'P'
import re, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
n = 0
for b in blocks:
    if re.search(r"^kind: Pipeline\s*$", b, re.M):
        n += 1
        open(f"seed-{n}.yaml", "w").write(b)
print(n)
P
count=$(ls seed-*.yaml | wc -l)
[ "$count" -ge 4 ] || fail "expected at least 4 Pipeline documents in the seed, found $count"
for f in seed-*.yaml; do
  set +e
  OUT=$("$FLOWCTL" validate "$f" 2>&1)
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "$f: exit $rc (crash?): $OUT"
  # Each unknown type is named with file:line and the known types are listed.
  while read -r line; do
    [[ "$line" =~ ^$f:[0-9]+:[0-9]+:\ error:.*unknown\ (source|processor|sink)\ type ]] || fail "$f: unexpected form: $line"
    [[ "$line" == *"known "*" types: "* ]] || fail "$f: known types not listed: $line"
  done < <(grep "unknown .* type '" <<<"$OUT" || true)
  echo "$f: exit $rc"
done
# The intelligent-processing example names its three missing types by line.
f=$(grep -l "intelligent-processing-pipeline" seed-*.yaml)
expect_exit 1 "$FLOWCTL" validate "$f"
expect_out "$f:8:"  # kafka-source
expect_out "unknown source type 'kafka-source'"
expect_out "unknown processor type 'ai-processor'"
expect_out "unknown processor type 'ai-router'"
grep -q "selective-sink" <<<"$(grep "unknown" <<<"$OUT")" && fail "selective-sink exists but was reported unknown"
echo "seed: $count Pipeline documents checked"
