#!/usr/bin/env bash
# flowctl mcp with the official MCP TypeScript SDK client (pinned in
# tests/mcp/package.json): stdio, stdio --read-only and streamable HTTP each
# list tools, create a pipeline with create_pipeline, validate, preview_apply ->
# apply_pipeline with the token, read resources, get prompts and see a bad
# argument come back as isError (tests/mcp/client.mjs); then the same against
# a `flowctl serve` with a token (mcp --server), and with no daemon there. curl checks the HTTP
# rules the SDK does not exercise: Origin/Host, session and version headers.
source "$(dirname "$0")/lib.sh"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

command -v node >/dev/null && command -v npm >/dev/null ||
  fail "node and npm are needed (scripts/install-deps.sh installs them)"

# The SDK, installed once per build dir; reinstalled when the lock changes.
CACHE="$(dirname "$FLOWCTL")/mcp-node"
mkdir -p "$CACHE"
if ! cmp -s "$SRC/tests/mcp/package-lock.json" "$CACHE/package-lock.json" ||
   [ ! -d "$CACHE/node_modules/@modelcontextprotocol/sdk" ]; then
  cp "$SRC/tests/mcp/package.json" "$SRC/tests/mcp/package-lock.json" "$CACHE/"
  (cd "$CACHE" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci of the MCP SDK"
fi
# ESM resolves packages next to the script, so the client runs from the cache.
cp "$SRC/tests/mcp/client.mjs" "$CACHE/client.mjs"
SDK_VERSION=$(node -p 'require(process.argv[1]).version' \
  "$CACHE/node_modules/@modelcontextprotocol/sdk/package.json")
echo "MCP SDK $SDK_VERSION"

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
kill "$HTTP_PID"
wait "$HTTP_PID" || fail "mcp --http did not exit cleanly on SIGTERM"

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
