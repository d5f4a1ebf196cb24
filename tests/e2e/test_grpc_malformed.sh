#!/usr/bin/env bash
# Bytes that are not a valid request message get INVALID_ARGUMENT naming the
# method (gRPC's callback API alone answers UNIMPLEMENTED with no message, as
# if the method did not exist); a valid request still works.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
"$FLOWCTL" serve --listen 127.0.0.1:0 --http-listen off --state-dir "$WORK/state" 2> serve.log &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do
  ADDR=$(grep -o 'listening on 127.0.0.1:[0-9]*' serve.log | grep -o '127.0.0.1:[0-9]*' || true)
  [ -n "$ADDR" ] && break; sleep 0.05
done
[ -n "$ADDR" ] || fail "server did not start: $(cat serve.log)"
/usr/bin/python3 - "$ADDR" <<'P' || fail "malformed requests are not answered INVALID_ARGUMENT"
import sys, grpc
ch = grpc.insecure_channel(sys.argv[1])
garbage = b"\xff\xff\xff\x07garbage"
for m in ["/flowctl.v1.PipelineService/Apply", "/flowctl.v1.PipelineService/List",
          "/ai.obsrvr.flowctl.AIAgentService/GeneratePipeline"]:
    try:
        ch.unary_unary(m)(garbage, timeout=10)
        raise SystemExit(m + ": garbage accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, (m, e.code(), e.details())
        assert "not a valid protobuf message for " + m in e.details(), e.details()
try:
    list(ch.unary_stream("/flowctl.v1.PipelineService/Watch")(garbage, timeout=10))
    raise SystemExit("Watch: garbage accepted")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, (e.code(), e.details())
# An unknown method stays UNIMPLEMENTED; an empty (valid) List works.
try:
    ch.unary_unary("/flowctl.v1.PipelineService/Nope")(b"", timeout=10)
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.UNIMPLEMENTED, e.code()
assert ch.unary_unary("/flowctl.v1.PipelineService/List")(b"", timeout=10) == b""
print("grpc malformed: ok")
P
