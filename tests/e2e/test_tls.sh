#!/usr/bin/env bash
# TLS on the control plane: with --tls-cert/--tls-key a client that trusts
# the certificate gets through (Python grpcio), a plaintext client does not.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
command -v openssl >/dev/null || fail "openssl is needed for this test"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
"$FLOWCTL" serve --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/state" \
  --tls-cert cert.pem --tls-key key.pem 2> serve.log &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do
  ADDR=$(grep -o 'listening on 127.0.0.1:[0-9]*' serve.log | grep -o '127.0.0.1:[0-9]*' || true)
  [ -n "$ADDR" ] && break; sleep 0.05
done
[ -n "$ADDR" ] || fail "server did not start: $(cat serve.log)"
/usr/bin/python3 - "$ADDR" cert.pem <<'P' || fail "TLS check failed"
import sys, grpc
addr, cert = sys.argv[1], open(sys.argv[2], "rb").read()
check = "/grpc.health.v1.Health/Check"
# Trusting the certificate: SERVING (HealthCheckResponse{status: 1} = 08 01).
ch = grpc.secure_channel(addr, grpc.ssl_channel_credentials(root_certificates=cert))
resp = ch.unary_unary(check)(b"", timeout=10)
assert resp == b"\x08\x01", resp
# Plaintext against the TLS port fails.
try:
    grpc.insecure_channel(addr).unary_unary(check)(b"", timeout=3)
    raise SystemExit("plaintext call succeeded against a TLS server")
except grpc.RpcError as e:
    assert e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED), e.code()
print("tls: ok")
P

# The CLI and `flowctl mcp --server` reach the TLS daemon with --tls-ca (or
# $FLOWCTL_TLS_CA); without it they fail with a hint, not a hang.
cat > p.yaml <<'Y'
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: tls-e2e}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 5}}
  sinks:
    - {id: out, type: null, inputs: [gen]}
Y
expect_exit 0 "$FLOWCTL" apply p.yaml --server "$ADDR" --tls-ca cert.pem
expect_exit 0 "$FLOWCTL" get pipelines --server "$ADDR" --tls-ca cert.pem -o json
expect_out "tls-e2e"
expect_exit 0 env FLOWCTL_TLS_CA=cert.pem "$FLOWCTL" get pipelines --server "https://$ADDR"
expect_out "tls-e2e"
expect_exit 0 "$FLOWCTL" status tls-e2e --server "$ADDR" --tls-ca cert.pem
expect_exit 3 "$FLOWCTL" get pipelines --server "$ADDR"
expect_out "--tls-ca FILE"
expect_exit 3 "$FLOWCTL" get pipelines --server "$ADDR" --tls-ca missing.pem
expect_out "cannot read the CA file missing.pem"
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_pipeline_status","arguments":{"name":"tls-e2e"}}}' |
  "$FLOWCTL" mcp --server "$ADDR" --tls-ca cert.pem > mcp.out 2> mcp.err
grep -q 'tls-e2e' mcp.out && ! grep -q '"isError":true' mcp.out || fail "mcp --server over TLS: $(cat mcp.out mcp.err)"
echo "tls cli: ok"
