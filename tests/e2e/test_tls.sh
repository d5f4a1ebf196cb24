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
