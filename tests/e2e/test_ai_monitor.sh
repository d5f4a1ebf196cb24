#!/usr/bin/env bash
# An AIMonitor document on the daemon: checked with file:line like any
# document, kept across restarts, run every interval over the pipelines its
# targets name. A transform whose failures rise steadily (10% at about 33 s)
# is predicted to fail; the alert notifies a webhook (the first POST answers
# 500: it is retried), the audit log, prepares a rollback plan to the
# version before, and records the execute action as waiting.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset FLOWCTL_SERVER
DATA="$WORK/data"
mkdir -p "$DATA"

# The webhook: fails the first POST, records the others.
HOOK_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$HOOK_PORT" "$WORK/hook.jsonl" <<'P' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
seen = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen[0] += 1
        if seen[0] == 1:
            self.send_response(500); self.end_headers(); return
        with open(out, "ab") as f:
            f.write(body + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
P
PIDS+=($!)

start_server d.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" \
  --data-root "$DATA" || fail "server did not start: $(cat d.log)"
ramp() {
  cat <<Y
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: ramp}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: $1, shape: counter}}
  processors:
    - {id: t, type: transform, inputs: [gen], config: {set: {x: "10 / (id % 100 >= id / 1000 ? 1 : 0)"}}}
  sinks:
    - {id: out, type: file, inputs: [t], config: {path: "$DATA/ramp.jsonl"}}
Y
}
ramp 200 > v1.yaml
ramp 300 > v2.yaml
expect_exit 0 "$FLOWCTL" apply v1.yaml --server "$ADDR"
expect_exit 0 "$FLOWCTL" apply v2.yaml --server "$ADDR"

cat > monitor.yaml <<Y
apiVersion: monitoring.obsrvr.com/v1
kind: AIMonitor
metadata:
  name: watch
spec:
  targets:
    - pipeline: ra*
  interval: 2s
  predictions:
    - type: failure-prediction
      model: time-series-prophet
      alert-threshold: 0.8
      advance-warning: 1h
    - type: anomaly-prediction
      model: isolation-forest
      sensitivity: low
  actions:
    on-predicted-failure:
      - notify: {to: ops-team, webhook: "http://127.0.0.1:$HOOK_PORT/alerts"}
      - prepare: rollback-plan
      - execute: preventive-scaling
Y
# Broken monitors are refused with file:line, like pipelines.
sed 's/isolation-forest/random-forest/' monitor.yaml > bad.yaml
expect_exit 1 "$FLOWCTL" apply bad.yaml --server "$ADDR"
expect_out "bad.yaml:15:14"
expect_out "model 'random-forest' is not one for anomaly-prediction"
expect_exit 1 "$FLOWCTL" validate bad.yaml
expect_exit 0 "$FLOWCTL" validate monitor.yaml
expect_out "AIMonitor 'watch' is valid"
expect_out "runs as the built-in linear-trend"
expect_exit 2 "$FLOWCTL" apply monitor.yaml
expect_out "runs on the daemon"

expect_exit 0 "$FLOWCTL" apply monitor.yaml --server "$ADDR"
expect_out "'watch' version 1 applied (monitoring)"
alert=
for _ in $(seq 1 60); do
  "$FLOWCTL" get monitors --server "$ADDR" -o json > m.json
  if python3 -c 'import json,sys; d=json.load(open("m.json")); sys.exit(0 if d["monitors"][0].get("alerts") else 1)'; then
    alert=1; break
  fi
  sleep 0.5
done
[ -n "$alert" ] || fail "no alert in 30 s: $(cat m.json) $(tail -5 d.log)"
python3 - m.json "$WORK/hook.jsonl" <<'P' || fail "the alert and its actions: $(cat m.json)"
import json, sys
m = json.load(open(sys.argv[1]))["monitors"][0]
assert m["watching"] == ["ramp"], m
a = m["alerts"][0]
assert a["pipeline"] == "ramp" and a["kind"] == "error_rate" and a["node"] == "t", a
assert a["score"] >= 0.8 and 0 < a["eta_s"] <= 3600, a
acts = {x["action"]: x for x in json.loads(a["actions_json"])}
n = acts["notify"]
assert n["delivered"] and n["attempts"] == 2 and n["audited"], n  # the 500 was retried
plan = acts["prepare"]["plan"]
assert plan["from_version"] == 2 and plan["to_version"] == 1, plan
assert plan["command"].startswith("flowctl rollback ramp --to-version 1"), plan
assert "rate: 300" in plan["diff"] and "rate: 200" in plan["diff"], plan["diff"]
assert acts["execute"]["state"] == "waiting", acts["execute"]
posted = [json.loads(l) for l in open(sys.argv[2])]
assert posted[0]["pipeline"] == "ramp" and posted[0]["kind"] == "error_rate", posted
assert posted[0]["title"] == a["title"], (posted[0], a)
P
# Nothing was rolled back: a plan is for a person.
expect_exit 0 "$FLOWCTL" get pipeline ramp --server "$ADDR" -o json
python3 -c 'import json,sys; assert json.loads(sys.argv[1])["summary"]["version"] == 2' "$OUT" \
  || fail "the monitor changed the pipeline: $OUT"
expect_exit 0 "$FLOWCTL" audit --target ramp --server "$ADDR" -o json
expect_out "monitor-alert"
# The same alert does not fire again within its advance-warning.
sleep 3
ADDR="$ADDR" python3 - <<'P' || fail "the alert repeated"
import json, subprocess, os
d = json.loads(subprocess.check_output([os.environ["FLOWCTL"], "get", "monitors", "--server",
                                        os.environ["ADDR"], "-o", "json"]))
kinds = [(a["kind"], a["node"]) for a in d["monitors"][0]["alerts"]]
assert kinds.count(("error_rate", "t")) == 1, kinds
P

# Kept across a restart; deleted by name.
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
start_server d2.log --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/d" \
  --data-root "$DATA" || fail "server did not restart: $(cat d2.log)"
expect_exit 0 "$FLOWCTL" get monitors --server "$ADDR"
expect_out "watch v1: every 2 s"
expect_exit 0 "$FLOWCTL" delete watch --server "$ADDR"
expect_exit 0 "$FLOWCTL" get monitors --server "$ADDR"
expect_out "(no monitors"
echo "ok"
