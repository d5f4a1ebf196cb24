#!/usr/bin/env bash
# flowctl mcp with the official MCP TypeScript SDK clients (pinned in
# tests/mcp/package.json and its lockfile): the 2.x client
# (@modelcontextprotocol/client, tests/mcp/client2.mjs) negotiates the stateless
# revision 2026-07-28 over stdio and HTTP, in auto and pinned mode; the 1.x SDK
# (the session era) runs the full tour: stdio, stdio --read-only and streamable HTTP each
# list tools, create a pipeline with create_pipeline, validate, preview_apply ->
# apply_pipeline with the token, read resources, get prompts and see a bad
# argument come back as isError (tests/mcp/client.mjs); then the same against
# a `flowctl serve` with a token (mcp --server), and with no daemon there. curl checks the HTTP
# rules the SDK does not exercise: Origin/Host, session and version headers, the
# 2026-07-28 header checks, a 100k-deep message (stdio and HTTP: an error, and
# the server answers the next request), HTTPS with --tls-cert/--tls-key and the
# bearer token of mcp --http.
source "$(dirname "$0")/lib.sh"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed for the MCP SDK clients (scripts/install-deps.sh installs them)"
  exit 77
fi

# The SDKs, installed once per build dir from the lockfile (npm ci); again
# only when the lock changes or a package is missing, so reruns need no network.
CACHE="$(dirname "$FLOWCTL")/mcp-node"
mkdir -p "$CACHE"
if ! cmp -s "$SRC/tests/mcp/package-lock.json" "$CACHE/package-lock.json" ||
   [ ! -d "$CACHE/node_modules/@modelcontextprotocol/sdk" ] ||
   [ ! -d "$CACHE/node_modules/@modelcontextprotocol/client" ]; then
  cp "$SRC/tests/mcp/package.json" "$SRC/tests/mcp/package-lock.json" "$CACHE/"
  (cd "$CACHE" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci of the MCP SDKs"
fi
# ESM resolves packages next to the script, so the clients run from the cache.
cp "$SRC/tests/mcp/client.mjs" "$SRC/tests/mcp/client2.mjs" "$CACHE/"
version_of() { node -p 'require(process.argv[1]).version' "$CACHE/node_modules/$1/package.json"; }
echo "MCP SDK $(version_of @modelcontextprotocol/sdk), MCP client $(version_of @modelcontextprotocol/client)"

# 2.x: 2026-07-28 over stdio, by probe (auto) and pinned.
for NEG in auto pin; do
  node "$CACHE/client2.mjs" stdio "$FLOWCTL" "$WORK/stdio2-$NEG" "$NEG" || fail "2.x stdio $NEG"
done

# A 100k-deep message (200 KB) on stdio: a -32700 naming the limit, then the
# next request is answered by the same process.
python3 - > "$WORK/deep.jsonl" <<'P'
deep = "[" * 100000 + "]" * 100000
print('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":%s}}}' % deep)
print('{"jsonrpc":"2.0","id":2,"method":"server/discover","params":{"_meta":'
      '{"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
      '"io.modelcontextprotocol/clientCapabilities":{}}}}')
P
"$FLOWCTL" mcp --state-dir "$WORK/deep-state" --workers 1 < "$WORK/deep.jsonl" \
  > "$WORK/deep.out" 2> "$WORK/deep.err" || fail "mcp on a deep message: exit $? $(cat "$WORK/deep.err")"
python3 - "$WORK/deep.out" <<'P' || fail "deep message on stdio: $(head -c 600 "$WORK/deep.out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 2, lines
assert lines[0]["error"]["code"] == -32700, lines[0]
assert "nested deeper than 512 levels" in lines[0]["error"]["message"], lines[0]
assert lines[1]["id"] == 2 and lines[1]["result"]["resultType"] == "complete", lines[1]
P

node "$CACHE/client.mjs" stdio "$FLOWCTL" "$WORK/stdio-state" || fail "stdio"
node "$CACHE/client.mjs" stdio "$FLOWCTL" "$WORK/ro-state" --read-only || fail "stdio --read-only"

# Streamable HTTP on a free port.
"$FLOWCTL" mcp --http 127.0.0.1:0 --state-dir "$WORK/http-state" --workers 1 2> "$WORK/http.log" &
PIDS+=($!)
HTTP_PID=$!
for _ in $(seq 1 100); do
  URL=$(grep -o 'http://127.0.0.1:[0-9]*/mcp' "$WORK/http.log" || true)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || fail "mcp --http did not start: $(cat "$WORK/http.log")"
node "$CACHE/client.mjs" http "$URL" || fail "http"
for NEG in auto pin; do
  node "$CACHE/client2.mjs" http "$URL" "$NEG" || fail "2.x http $NEG"
done

# post [HEADER...] BODY: sets CODE, BODY_OUT, HEADERS_OUT.
post() {
  local body=${*: -1}
  local args=("${@:1:$#-1}")
  CODE=$(curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X POST "$URL" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    "${args[@]}" --data "$body")
  BODY_OUT=$(cat "$WORK/body")
  HEADERS_OUT=$(cat "$WORK/headers")
}
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
PING='{"jsonrpc":"2.0","id":2,"method":"ping"}'

post -H 'Origin: https://evil.example' "$INIT"
[ "$CODE" = 403 ] || fail "foreign Origin: $CODE $BODY_OUT"
post -H 'Host: evil.example' "$INIT"
[ "$CODE" = 403 ] || fail "foreign Host (DNS rebinding): $CODE $BODY_OUT"
post -H 'Origin: http://localhost:5173' "$INIT"
[ "$CODE" = 200 ] || fail "loopback Origin: $CODE $BODY_OUT"
SID=$(grep -i '^mcp-session-id:' <<<"$HEADERS_OUT" | tr -d '\r' | awk '{print $2}')
[ -n "$SID" ] || fail "no Mcp-Session-Id at initialize: $HEADERS_OUT"
grep -q '"protocolVersion":"2025-11-25"' <<<"$BODY_OUT" || fail "version: $BODY_OUT"

post "$PING"
[ "$CODE" = 400 ] || fail "no session id: $CODE"
post -H 'Mcp-Session-Id: 0123' "$PING"
[ "$CODE" = 404 ] || fail "unknown session id: $CODE"
post -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 1999-01-01' "$PING"
[ "$CODE" = 400 ] || fail "wrong MCP-Protocol-Version: $CODE"
post -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25' "$PING"
[ "$CODE" = 200 ] || fail "ping: $CODE $BODY_OUT"
grep -q '"result":{}' <<<"$BODY_OUT" || fail "ping: $BODY_OUT"
post -H "Mcp-Session-Id: $SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}'
[ "$CODE" = 202 ] || fail "notification: $CODE"
post -H "Mcp-Session-Id: $SID" '{"jsonrpc":"2.0","id":3,'
[ "$CODE" = 400 ] && grep -q -- '-32700' <<<"$BODY_OUT" || fail "parse error: $CODE $BODY_OUT"
post -H "Mcp-Session-Id: $SID" '{"jsonrpc":"2.0","id":4,"method":"nope"}'
grep -q -- '-32601' <<<"$BODY_OUT" || fail "unknown method: $BODY_OUT"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$URL" -H "Mcp-Session-Id: $SID")
[ "$CODE" = 405 ] || fail "GET: $CODE"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL" -H 'Content-Type: text/plain' --data x)
[ "$CODE" = 415 ] || fail "text/plain body: $CODE"

# 2026-07-28 without a session: headers must say what the body says.
META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'
LIST='{"jsonrpc":"2.0","id":10,"method":"tools/list","params":{'$META'}}'
post -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list' "$LIST"
[ "$CODE" = 200 ] && grep -q '"resultType":"complete"' <<<"$BODY_OUT" || fail "stateless tools/list: $CODE $BODY_OUT"
! grep -qi '^mcp-session-id' <<<"$HEADERS_OUT" || fail "a stateless answer minted a session: $HEADERS_OUT"
post -H 'MCP-Protocol-Version: 2025-11-25' -H 'Mcp-Method: tools/list' "$LIST"
[ "$CODE" = 400 ] && grep -q -- '-32020' <<<"$BODY_OUT" || fail "version header mismatch: $CODE $BODY_OUT"
post -H 'MCP-Protocol-Version: 2026-07-28' "$LIST"
[ "$CODE" = 400 ] && grep -q 'Mcp-Method header is required' <<<"$BODY_OUT" || fail "no Mcp-Method: $CODE $BODY_OUT"
READ='{"jsonrpc":"2.0","id":11,"method":"resources/read","params":{"uri":"flowctl://components",'$META'}}'
post -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: resources/read' -H 'Mcp-Name: flowctl://x' "$READ"
[ "$CODE" = 400 ] && grep -q -- '-32020' <<<"$BODY_OUT" || fail "Mcp-Name mismatch: $CODE $BODY_OUT"
B64=$(printf %s flowctl://components | base64)
post -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: resources/read' -H "Mcp-Name: =?base64?$B64?=" "$READ"
[ "$CODE" = 200 ] && grep -q '"ttlMs":0' <<<"$BODY_OUT" || fail "base64 Mcp-Name: $CODE $BODY_OUT"
post -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: nope/nope' \
  '{"jsonrpc":"2.0","id":12,"method":"nope/nope","params":{'$META'}}'
[ "$CODE" = 404 ] && grep -q -- '-32601' <<<"$BODY_OUT" || fail "stateless unknown method: $CODE $BODY_OUT"
post -H 'MCP-Protocol-Version: 2099-01-01' -H 'Mcp-Method: tools/list' \
  '{"jsonrpc":"2.0","id":13,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01"}}}'
[ "$CODE" = 400 ] && grep -q -- '-32022' <<<"$BODY_OUT" && grep -q '"supported":\["2026-07-28"' <<<"$BODY_OUT" ||
  fail "unsupported version: $CODE $BODY_OUT"

# The deep message over HTTP: 400 with -32700 naming the limit; the server
# still answers.
python3 -c 'print("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"a\":" + "[" * 100000 + "]" * 100000 + "}}")' > "$WORK/deep.json"
CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "$URL" -H 'Content-Type: application/json' \
  -H "Mcp-Session-Id: $SID" --data-binary @"$WORK/deep.json")
[ "$CODE" = 400 ] && grep -q -- '-32700' "$WORK/body" && grep -q 'nested deeper than 512 levels' "$WORK/body" ||
  fail "deep message over HTTP: $CODE $(head -c 300 "$WORK/body")"
kill -0 "$HTTP_PID" || fail "mcp --http died on a deep message"
post -H "Mcp-Session-Id: $SID" "$PING"
[ "$CODE" = 200 ] || fail "ping after the deep message: $CODE $BODY_OUT"
kill "$HTTP_PID"
wait "$HTTP_PID" || fail "mcp --http did not exit cleanly on SIGTERM"

# HTTPS: a self-signed certificate made here; a client that trusts it gets
# through (curl, and the 1.x and 2.x SDKs via NODE_EXTRA_CA_CERTS), plaintext
# does not; and the bearer token is checked.
command -v openssl >/dev/null || fail "openssl is needed for the TLS part"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 1 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
echo "tls-token-$$" > "$WORK/mcp-token"
"$FLOWCTL" mcp --http 127.0.0.1:0 --state-dir "$WORK/tls-state" --workers 1 \
  --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --token-file "$WORK/mcp-token" 2> "$WORK/tls.log" &
PIDS+=($!)
TLS_PID=$!
for _ in $(seq 1 100); do
  TLS_URL=$(grep -o 'https://127.0.0.1:[0-9]*/mcp' "$WORK/tls.log" || true)
  [ -n "$TLS_URL" ] && break
  sleep 0.1
done
[ -n "$TLS_URL" ] || fail "mcp --http --tls-cert did not start: $(cat "$WORK/tls.log")"
tls_post() {
  CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' --cacert "$WORK/cert.pem" -X POST "$TLS_URL" \
    -H 'Content-Type: application/json' -H 'MCP-Protocol-Version: 2026-07-28' \
    -H 'Mcp-Method: tools/list' "$@" --data "$LIST")
}
tls_post -H "Authorization: Bearer tls-token-$$"
[ "$CODE" = 200 ] && grep -q '"resultType":"complete"' "$WORK/body" || fail "https: $CODE $(cat "$WORK/body")"
for WRONG in "tls-token-" "tls-token-$$x" "TLS-TOKEN-$$" ""; do
  tls_post -H "Authorization: Bearer $WRONG"
  [ "$CODE" = 401 ] || fail "token '$WRONG' was not refused: $CODE"
done
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST "${TLS_URL/https:/http:}" \
  -H 'Content-Type: application/json' --data "$LIST" || true)
[ "$CODE" != 200 ] || fail "plaintext HTTP was answered by the TLS server"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$TLS_URL" -H 'Content-Type: application/json' \
  --data "$LIST" || true)
[ "$CODE" = 000 ] || fail "an untrusted certificate was accepted: $CODE"
# The SDK clients send no token: serve a second TLS server without one.
kill "$TLS_PID"
wait "$TLS_PID" || fail "mcp --http --tls-cert did not exit cleanly on SIGTERM"
"$FLOWCTL" mcp --http 127.0.0.1:0 --state-dir "$WORK/tls-state" --workers 1 \
  --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" 2> "$WORK/tls2.log" &
PIDS+=($!)
TLS_PID=$!
for _ in $(seq 1 100); do
  TLS_URL=$(grep -o 'https://127.0.0.1:[0-9]*/mcp' "$WORK/tls2.log" || true)
  [ -n "$TLS_URL" ] && break
  sleep 0.1
done
[ -n "$TLS_URL" ] || fail "mcp --http --tls-cert (no token) did not start: $(cat "$WORK/tls2.log")"
NODE_EXTRA_CA_CERTS="$WORK/cert.pem" node "$CACHE/client2.mjs" http "$TLS_URL" pin || fail "2.x over https"
kill "$TLS_PID"
wait "$TLS_PID" || true
expect_exit 2 "$FLOWCTL" mcp --http 127.0.0.1:0 --state-dir "$WORK/x" --tls-cert "$WORK/cert.pem"
expect_out "--tls-key"
expect_exit 2 "$FLOWCTL" mcp --http 127.0.0.1:0 --state-dir "$WORK/x" --tls-cert "$WORK/key.pem" \
  --tls-key "$WORK/cert.pem"
expect_out "TLS certificate"
expect_exit 2 "$FLOWCTL" mcp --state-dir "$WORK/x" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
expect_out "stdio needs neither"

# Beyond loopback: refused without --allow-remote, and without a token.
expect_exit 2 "$FLOWCTL" mcp --http 0.0.0.0:0 --state-dir "$WORK/x"
expect_out "beyond loopback"
expect_exit 2 "$FLOWCTL" mcp --http 0.0.0.0:0 --allow-remote --state-dir "$WORK/x"
expect_out "--token-file"

# Against a daemon (--server): the same client run through a `flowctl serve`
# that wants a bearer token; what it applied is the daemon's.
echo "secret-$$" > "$WORK/token"
"$FLOWCTL" serve --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/daemon" --workers 1 \
  --token-file "$WORK/token" 2> "$WORK/daemon.log" &
PIDS+=($!)
DAEMON_PID=$!
for _ in $(seq 1 100); do
  ADDR=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$WORK/daemon.log" | grep -o '127.0.0.1:[0-9]*' || true)
  [ -n "$ADDR" ] && break
  sleep 0.1
done
[ -n "$ADDR" ] || fail "flowctl serve did not start: $(cat "$WORK/daemon.log")"
node "$CACHE/client.mjs" server "$FLOWCTL" "$ADDR" "$WORK/token" || fail "server"
expect_exit 0 "$FLOWCTL" get pipelines --server "$ADDR" --token-file "$WORK/token"
expect_out "mcp-e2e"
# Without the token the daemon refuses, and the tool says why.
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_components","arguments":{}}}' |
  FLOWCTL_TOKEN= "$FLOWCTL" mcp --server "$ADDR" > "$WORK/notoken.out" 2> /dev/null
grep -q '"isError":true' "$WORK/notoken.out" && grep -qi 'bearer' "$WORK/notoken.out" ||
  fail "no token: $(cat "$WORK/notoken.out")"
kill "$DAEMON_PID"
wait "$DAEMON_PID" || fail "flowctl serve did not exit cleanly on SIGTERM"
# No daemon there: the MCP server still starts, and each call says so.
node "$CACHE/client.mjs" noserver "$FLOWCTL" 127.0.0.1:1 || fail "noserver"
expect_exit 2 "$FLOWCTL" mcp --server 127.0.0.1:1 --state-dir "$WORK/x"
expect_out "belong to the daemon"
expect_exit 0 "$FLOWCTL" mcp --help
expect_out "--read-only"
echo "mcp: ok"
