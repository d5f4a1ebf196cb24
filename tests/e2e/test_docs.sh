#!/usr/bin/env bash
# docs/pipeline-reference.md is generated from the registry and must match it.
source "$(dirname "$0")/lib.sh"
"$FLOWCTL" components --output markdown > "$WORK/ref.md"
diff -u "$SRC/docs/pipeline-reference.md" "$WORK/ref.md" \
  || fail "docs/pipeline-reference.md is stale: run 'make docs'"
# Every registered type appears in it.
for t in $("$FLOWCTL" components -o json | python3 -c 'import json,sys; print(" ".join(sorted({c["type"] for c in json.load(sys.stdin)})))'); do
  grep -q "### \`$t\`" "$SRC/docs/pipeline-reference.md" || fail "type $t missing from the reference"
done
echo "docs: reference up to date"
