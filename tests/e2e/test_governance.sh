#!/usr/bin/env bash
# Identities and the governance gate on the daemon: an auth file maps tokens
# to principals (a person in senior-engineers, a person in team-lead, an
# agent); the seed's AIGovernancePolicy holds a change to a production
# pipeline and a costly new one until someone else of an approver group
# approves. Self-approval, an outsider's approval, an agent approving what
# needs a person, and a held delete are refused; a denied change never
# runs; policies and approvals survive a restart (expiry: gate_test.cc).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset FLOWCTL_SERVER FLOWCTL_TOKEN
DATA="$WORK/data"
mkdir -p "$DATA"

for who in alice bob carol bot; do
  python3 -c 'import secrets; print(secrets.token_hex(24))' > "$who.token"
done
cat > auth.yaml <<'Y'
principals:
  - {name: alice, token-file: alice.token, groups: [senior-engineers]}
  - {name: bob, token-file: bob.token, groups: [developers]}
  - {name: carol, token-file: carol.token, groups: [team-lead, admin]}
  - {name: bot, kind: agent, token-file: bot.token, groups: [senior-engineers, admin]}
local: none
Y

# A broken auth file is refused at start with file:line.
printf 'principals:\n  - {name: x, token-file: missing.token}\n' > bad-auth.yaml
expect_exit 2 "$FLOWCTL" serve --listen 127.0.0.1:0 --state-dir "$WORK/bad" --auth-file bad-auth.yaml
expect_out "bad-auth.yaml:2"
expect_out "missing.token"

start_server d.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" \
  --data-root "$DATA" --auth-file auth.yaml || fail "server did not start: $(cat d.log)"
as() { local who=$1; shift; "$FLOWCTL" "$@" --server "$ADDR" --token-file "$WORK/$who.token"; }
expect_as() { local want=$1 who=$2; shift 2; expect_exit "$want" "$FLOWCTL" "$@" --server "$ADDR" --token-file "$WORK/$who.token"; }

# No token, and loopback is not trusted here (local: none).
expect_exit 3 "$FLOWCTL" get pipelines --server "$ADDR"
expect_out "missing 'authorization: Bearer <token>'"

# The seed's policy, as written (its apiVersion too).
cat > policy.yaml <<'Y'
apiVersion: governance.obsrvr.com/v1
kind: AIGovernancePolicy
metadata:
  name: production-ai-controls
spec:
  approval-required:
    - action: modify-production-pipeline
      approvers: [senior-engineers, platform-team]
      ai-confidence-threshold: 0.95
    - action: create-new-pipeline
      approvers: [team-lead]
      conditions:
        - estimated-cost: "> $100/hour"
        - data-sensitivity: "high"
    - action: delete-resources
      approvers: [admin]
      human-confirmation: required
  audit:
    log-all-actions: true
    include-reasoning: true
    retention: 90d
Y
expect_exit 0 "$FLOWCTL" validate policy.yaml
sed 's/modify-production-pipeline/modify-production-pipline/' policy.yaml > typo.yaml
expect_exit 1 "$FLOWCTL" validate typo.yaml
expect_out "typo.yaml:7"
expect_out "did you mean 'modify-production-pipeline'"
# An agent does not change the rules it is governed by.
expect_as 5 bot apply policy.yaml
expect_out "governance policies are applied and deleted by people"
expect_as 0 alice apply policy.yaml
expect_out "enforced"

pipeline() {  # NAME ENV RATE-FIELD-VALUE
  cat <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: $1, labels: {environment: $2}}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 20, shape: counter}}
  processors:
    - {id: tag, type: transform, inputs: [gen], config: {set: {v: "'$3'"}}}
  sinks:
    - {id: out, type: file, inputs: [tag], config: {path: "$DATA/$1.jsonl"}}
Y
}
# A new production pipeline without AI costs $0: created at once.
pipeline orders production v1 > orders-v1.yaml
expect_as 0 bob apply orders-v1.yaml
sleep 1.5
grep -q '"v":"v1"' "$DATA/orders.jsonl" || fail "v1 is not running"

# Changing it is held for senior-engineers.
pipeline orders production v2 > orders-v2.yaml
expect_as 4 bob apply orders-v2.yaml --reason "tag v2"
expect_out "modify-production-pipeline on 'orders' needs an approval by senior-engineers or platform-team"
ID=$(grep -o 'apr-[0-9]*' <<<"$OUT" | head -1)
[ -n "$ID" ] || fail "no approval id: $OUT"
sleep 1
grep -q '"v":"v2"' "$DATA/orders.jsonl" && fail "a held change ran"
as alice approvals list -o json > list.json
python3 - list.json "$ID" <<'P' || fail "approval not listed: $(cat list.json)"
import json, sys
a = [a for a in json.load(open(sys.argv[1]))["approvals"] if a["id"] == sys.argv[2]][0]
assert a["state"] == "pending" and a["requested_by"] == "bob" and a["pipeline"] == "orders", a
assert a["approvers"] == ["senior-engineers", "platform-team"] and a["reason"] == "tag v2", a
P
# bob may not approve his own; carol is in no approver group.
expect_as 5 bob approvals approve "$ID"
expect_out "nobody approves or denies their own request"
expect_as 5 carol approvals approve "$ID"
expect_out "none of the approver groups"
expect_as 0 alice approvals approve "$ID" --reason "reviewed the diff"
expect_out "approved"
expect_out "result:     ok"
sleep 1.5
grep -q '"v":"v2"' "$DATA/orders.jsonl" || fail "the approved change did not run"
expect_as 3 alice approvals approve "$ID"
expect_out "is approved, not pending"

# A denied change never runs.
pipeline orders production v3 > orders-v3.yaml
expect_as 4 bob apply orders-v3.yaml
DENIED=$(grep -o 'apr-[0-9]*' <<<"$OUT" | head -1)
expect_as 0 alice approvals deny "$DENIED" --reason "not now"
sleep 1
grep -q '"v":"v3"' "$DATA/orders.jsonl" && fail "a denied change ran"

# Over MCP: the agent's session (flowctl mcp --server with its token) applies
# a production change; the daemon holds it, the agent polls get_approval, a
# person approves on the CLI, and the agent sees it ran.
pipeline orders production v4 > orders-v4.yaml
python3 - "$FLOWCTL" "$ADDR" "$WORK/bot.token" orders-v4.yaml mcp-id <<'P' || fail "MCP held apply"
import json, sys
import mcp_session
flowctl, addr, token, doc, out = sys.argv[1:6]
call, close = mcp_session.connect(flowctl, addr, token)
yaml = open(doc).read()
err, text = call("preview_apply", {"yaml": yaml})
assert not err, text
token_ = json.loads(text)["plan_token"]
err, text = call("apply_pipeline", {"yaml": yaml, "plan_token": token_, "reason": "agent: tag v4"})
assert err and "apr-" in text and "needs an approval" in text, text
apr = "apr-" + text.split("apr-")[1].split(":")[0]
err, text = call("get_approval", {"approval_id": apr})
a = json.loads(text)["approvals"][0]
assert not err and a["state"] == "pending" and a["requested_by"] == "bot", a
# The agent is a senior engineer too, but not for its own request.
err, text = call("decide_approval", {"approval_id": apr, "approve": True, "reason": "me"})
assert err and "their own request" in text, text
open(out, "w").write(apr)
close()
P
MCP_APR=$(cat mcp-id)
expect_as 0 alice approvals approve "$MCP_APR" --reason "ok for the bot"
sleep 1.5
grep -q '"v":"v4"' "$DATA/orders.jsonl" || fail "the agent's approved change did not run"

# Sensitive data: a new pipeline labelled data-sensitivity high waits for a team lead.
sed 's/labels: {environment: staging}/labels: {environment: staging, data-sensitivity: high}/' \
  <(pipeline pii staging x) > pii.yaml
expect_as 4 bob apply pii.yaml
expect_out "create-new-pipeline with data-sensitivity: high"
PII=$(grep -o 'apr-[0-9]*' <<<"$OUT" | head -1)
# A plain staging pipeline is not held.
pipeline scratch staging s > scratch.yaml
expect_as 0 bob apply scratch.yaml

# Deleting needs a person in admin: the agent (in admin) may not confirm it.
expect_as 4 bob delete scratch
DEL=$(grep -o 'apr-[0-9]*' <<<"$OUT" | head -1)
expect_as 5 bot approvals approve "$DEL"
expect_out "needs a human's confirmation; bot is an agent"
expect_as 0 carol approvals approve "$DEL"
expect_as 2 alice get pipeline scratch
# Deleting the policy is a delete too.
expect_as 4 alice delete production-ai-controls
POL=$(grep -o 'apr-[0-9]*' <<<"$OUT" | head -1)

# The audit log names the principals and the reasoning.
as alice audit --target orders -o json > audit.json
python3 - audit.json <<'P' || fail "audit lacks the principals: $(cat audit.json)"
import json, sys
e = json.load(open(sys.argv[1]))["entries"]
approve = [x for x in e if x["action"] == "approve"]
assert approve and approve[-1]["caller"] == "alice" and approve[-1]["reasoning"] == "reviewed the diff", approve
applied = [x for x in e if x["action"] == "apply" and x["result"] == "ok" and "approved by alice" in x.get("reasoning", "")]
assert {x["caller"] for x in applied} == {"bob", "bot"}, applied
held = [x for x in e if x["action"] == "apply" and "PENDING_APPROVAL" in x["result"]]
assert len(held) >= 3 and {x["caller"] for x in held} == {"bob", "bot"}, held
assert [x["reasoning"] for x in held if x["caller"] == "bot"] == ["agent: tag v4"], held
P

# Filters: a principal's held applies.
as alice audit --caller bob --action apply --since 1h -o json > bob.json
python3 - bob.json <<'P' || fail "audit filters: $(cat bob.json)"
import json, sys
e = json.load(open(sys.argv[1]))["entries"]
assert e and all(x["caller"] == "bob" and x["action"] == "apply" for x in e), e
P
expect_as 2 alice audit --since 2x

# Restart: the policy and the pending approvals are still there.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server d2.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" \
  --data-root "$DATA" --auth-file auth.yaml || fail "server did not restart: $(cat d2.log)"
expect_as 0 alice approvals show "$PII"
expect_out "pending"
expect_as 4 bob apply orders-v3.yaml
expect_as 0 carol approvals approve "$POL"
# With the policy gone, nothing is held.
expect_as 0 bob apply orders-v3.yaml
echo "governance: ok"
