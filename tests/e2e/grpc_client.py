#!/usr/bin/python3
"""A gRPC client for the flowctl control plane that nobody here wrote stubs for.

Usage: grpc_client.py HOST:PORT STUBDIR

STUBDIR holds reflection_v1alpha_pb2.py and reflection_v1alpha_pb2_grpc.py,
generated at test time from grpc-proto's grpc/reflection/v1alpha/reflection.proto.
Everything else (the flowctl services, grpc.health.v1) is discovered through
server reflection: the file descriptors are fetched, loaded into a
DescriptorPool and the messages are built with message_factory. Methods are
called by their full names with channel.unary_unary / unary_stream.

Standard library, grpc and google.protobuf only. Runs with the system
interpreter (/usr/bin/python3), which is the one with Debian's python3-grpcio.
"""
import os
import sys
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

TIMEOUT = 10.0  # seconds, for every unary call and the reflection stream

FLOWCTL_SERVICES = [
    "flowctl.v1.PipelineService",
    "flowctl.v1.ComponentService",
    "ai.obsrvr.flowctl.AIAgentService",
]
HEALTH_SERVICE = "grpc.health.v1.Health"


class Failure(Exception):
    pass


class ReflectionNotFound(Failure):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def step(n, text):
    print(f"step {n}: {text}", flush=True)


class Reflection:
    """grpc.reflection.v1alpha.ServerReflection over the generated stubs."""

    def __init__(self, channel, pb2, pb2_grpc):
        self.pb2 = pb2
        self.stub = pb2_grpc.ServerReflectionStub(channel)

    def ask(self, **kwargs):
        req = self.pb2.ServerReflectionRequest(**kwargs)
        responses = list(self.stub.ServerReflectionInfo(iter([req]), timeout=TIMEOUT))
        check(len(responses) == 1, f"reflection {kwargs}: {len(responses)} responses, want 1")
        resp = responses[0]
        if resp.HasField("error_response"):
            err = ReflectionNotFound if resp.error_response.error_code == \
                grpc.StatusCode.NOT_FOUND.value[0] else Failure
            raise err(f"reflection {kwargs}: error {resp.error_response.error_code} "
                          f"{resp.error_response.error_message!r}")
        return resp

    def services(self):
        resp = self.ask(list_services="")
        return [s.name for s in resp.list_services_response.service]

    def files(self, **kwargs):
        resp = self.ask(**kwargs)
        check(resp.HasField("file_descriptor_response"),
              f"reflection {kwargs}: no file_descriptor_response")
        out = []
        for raw in resp.file_descriptor_response.file_descriptor_proto:
            fdp = descriptor_pb2.FileDescriptorProto()
            fdp.ParseFromString(raw)
            out.append(fdp)
        check(out, f"reflection {kwargs}: empty file_descriptor_response")
        return out


class Schema:
    """File descriptors from reflection, loaded into a fresh pool in dependency order."""

    def __init__(self, refl):
        self.refl = refl
        self.protos = {}  # file name -> FileDescriptorProto
        self.pool = descriptor_pool.DescriptorPool()
        self.added = set()
        self.factory = None
        if not hasattr(message_factory, "GetMessageClass"):  # protobuf < 4.22 (Debian 3.21)
            self.factory = message_factory.MessageFactory(self.pool)

    def load_symbol(self, symbol):
        for fdp in self.refl.files(file_containing_symbol=symbol):
            self.protos.setdefault(fdp.name, fdp)
        self._fetch_missing_deps()
        for name in list(self.protos):
            self._add(name, [])

    def _fetch_missing_deps(self):
        while True:
            missing = {d for p in self.protos.values() for d in p.dependency} - set(self.protos)
            if not missing:
                return
            for name in sorted(missing):
                for fdp in self.refl.files(file_by_filename=name):
                    self.protos.setdefault(fdp.name, fdp)
                check(name in self.protos, f"reflection did not return {name}")

    def _add(self, name, stack):
        if name in self.added:
            return
        check(name not in stack, f"dependency cycle: {' -> '.join(stack + [name])}")
        fdp = self.protos[name]
        for dep in fdp.dependency:
            self._add(dep, stack + [name])
        self.pool.Add(fdp)
        self.added.add(name)

    def message(self, full_name):
        desc = self.pool.FindMessageTypeByName(full_name)
        if self.factory is None:
            return message_factory.GetMessageClass(desc)
        return self.factory.GetPrototype(desc)

    def method(self, channel, service, method):
        """A callable for SERVICE/METHOD plus its request class, from the pool."""
        sdesc = self.pool.FindServiceByName(service)
        mdesc = sdesc.FindMethodByName(method)
        check(mdesc is not None, f"{service} has no method {method}")
        req_cls = self.message(mdesc.input_type.full_name)
        resp_cls = self.message(mdesc.output_type.full_name)
        path = f"/{service}/{method}"
        kw = dict(request_serializer=req_cls.SerializeToString,
                  response_deserializer=resp_cls.FromString)
        if mdesc.server_streaming:
            call = channel.unary_stream(path, **kw)
        else:
            call = channel.unary_unary(path, **kw)
        return call, req_cls


GOOD_YAML = """\
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: py-watch}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, rate: 500, shape: counter}}
  processors:
    - {id: evens, type: filter, inputs: [gen], config: {condition: "id % 2 == 0"}}
  sinks:
    - {id: discard, type: "null", inputs: [evens]}
"""

# The unknown type is on line BAD_LINE (1-based).
BAD_YAML = """\
apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: py-bad}
spec:
  sources:
    - id: gen
      type: generator
      config: {count: 10}
  processors:
    - id: mystery
      type: no-such-processor
      inputs: [gen]
  sinks:
    - {id: discard, type: "null", inputs: [mystery]}
"""
BAD_TYPE = "no-such-processor"
BAD_LINE = next(i for i, l in enumerate(BAD_YAML.splitlines(), 1) if BAD_TYPE in l)


def node(status, node_id):
    for n in status.nodes:
        if n.id == node_id:
            return n
    raise Failure(f"node {node_id!r} not in status: {[n.id for n in status.nodes]}")


def run(addr, stubdir):
    sys.path.insert(0, stubdir)
    import reflection_v1alpha_pb2 as rpb2
    import reflection_v1alpha_pb2_grpc as rpb2_grpc

    channel = grpc.insecure_channel(addr)
    try:
        grpc.channel_ready_future(channel).result(timeout=TIMEOUT)
    except grpc.FutureTimeoutError:
        raise Failure(f"channel to {addr} not ready within {TIMEOUT}s")
    refl = Reflection(channel, rpb2, rpb2_grpc)

    # 1. Reflection: the services.
    services = refl.services()
    for want in FLOWCTL_SERVICES + [HEALTH_SERVICE]:
        check(want in services, f"reflection does not list {want}: {services}")
    step(1, f"reflection lists {len(services)} services: {', '.join(sorted(services))}")

    # 2. File descriptors for every flowctl service, into one pool.
    schema = Schema(refl)
    for svc in FLOWCTL_SERVICES:
        schema.load_symbol(svc)
        sdesc = schema.pool.FindServiceByName(svc)
        check(sdesc.methods, f"{svc} has no methods in its descriptor")
    apply, ApplyRequest = schema.method(channel, "flowctl.v1.PipelineService", "Apply")
    plist, ListPipelinesRequest = schema.method(channel, "flowctl.v1.PipelineService", "List")
    stop, StopRequest = schema.method(channel, "flowctl.v1.PipelineService", "Stop")
    watch, WatchRequest = schema.method(channel, "flowctl.v1.PipelineService", "Watch")
    metrics, GetMetricsRequest = schema.method(channel, "flowctl.v1.PipelineService", "GetMetrics")
    clist, ListComponentsRequest = schema.method(channel, "flowctl.v1.ComponentService", "List")
    ErrorDetails = schema.message("flowctl.v1.ErrorDetails")
    check(schema.pool.FindServiceByName("flowctl.v1.PipelineService")
          .FindMethodByName("Watch").server_streaming, "Watch is not server-streaming")
    step(2, f"loaded {len(schema.added)} file descriptors: {', '.join(sorted(schema.added))}")

    # 3. Health, with its descriptor from reflection too. gRPC C++'s default
    # health service is not built from a registered .proto, so its reflection
    # answers NOT_FOUND; then fall back to grpc-proto's health.proto, compiled
    # by the test script into STUBDIR/health_v1.pb, and say so.
    try:
        schema.load_symbol(HEALTH_SERVICE)
        health_from = "reflection"
    except ReflectionNotFound as e:
        fallback = os.path.join(stubdir, "health_v1.pb")
        check(os.path.exists(fallback), f"{e}; and no fallback descriptor set {fallback}")
        fds = descriptor_pb2.FileDescriptorSet()
        with open(fallback, "rb") as fh:
            fds.ParseFromString(fh.read())
        for fdp in fds.file:
            schema.protos.setdefault(fdp.name, fdp)
            schema._add(fdp.name, [])
        health_from = "grpc-proto health.proto (server reflection: NOT_FOUND)"
        print(f"note: server reflection cannot describe {HEALTH_SERVICE} ({e}); "
              f"using grpc-proto's health.proto", flush=True)
    hcheck, HealthCheckRequest = schema.method(channel, HEALTH_SERVICE, "Check")
    resp = hcheck(HealthCheckRequest(service=""), timeout=TIMEOUT)
    serving = resp.DESCRIPTOR.fields_by_name["status"].enum_type.values_by_name["SERVING"].number
    check(resp.status == serving, f"health status {resp.status}, want SERVING ({serving})")
    step(3, f"health Check: SERVING (descriptor from {health_from})")

    # 4. Component catalog.
    comps = clist(ListComponentsRequest(), timeout=TIMEOUT).components
    types = {c.type for c in comps}
    for want in ("filter", "file"):
        check(want in types, f"ComponentService/List lacks {want!r}: {sorted(types)}")
    step(4, f"ComponentService/List: {len(comps)} components, filter and file present")

    # 5. Apply.
    resp = apply(ApplyRequest(yaml=GOOD_YAML, filename="py-watch.yaml",
                              reason="python e2e"), timeout=TIMEOUT)
    check(resp.name == "py-watch", f"Apply name {resp.name!r}")
    check(resp.version == 1, f"Apply version {resp.version}, want 1")
    check(resp.state == "running", f"Apply state {resp.state!r}, want running")
    step(5, f"Apply py-watch: version {resp.version}, state {resp.state}")

    # 6. Watch: three statuses, the source's out grows, then cancel.
    stream = watch(WatchRequest(name="py-watch", interval_ms=200), timeout=TIMEOUT)
    outs = []
    try:
        for status in stream:
            check(status.name == "py-watch", f"Watch status for {status.name!r}")
            check(status.state == "running", f"Watch state {status.state!r}")
            outs.append(node(status, "gen").out)
            if len(outs) == 3:
                break
    finally:
        stream.cancel()
    check(len(outs) == 3, f"Watch ended after {len(outs)} statuses")
    check(outs[0] < outs[1] < outs[2], f"source out does not grow across statuses: {outs}")
    step(6, f"Watch: source out {outs[0]} -> {outs[1]} -> {outs[2]}, cancelled")

    # 7. GetMetrics.
    status = metrics(GetMetricsRequest(name="py-watch"), timeout=TIMEOUT)
    f = node(status, "evens")
    check(f.out > 0, f"filter out {f.out}, want > 0")
    check(f.dropped > 0, f"filter dropped {f.dropped}, want > 0")
    step(7, f"GetMetrics: filter in {getattr(f, 'in')} out {f.out} dropped {f.dropped}")

    # 8. A bad Apply: INVALID_ARGUMENT with ErrorDetails in the trailers.
    try:
        apply(ApplyRequest(yaml=BAD_YAML, filename="bad.yaml"), timeout=TIMEOUT)
        raise Failure("bad Apply succeeded")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.INVALID_ARGUMENT,
              f"bad Apply: {e.code()}, want INVALID_ARGUMENT: {e.details()}")
        check(BAD_TYPE in (e.details() or ""),
              f"bad Apply message does not mention {BAD_TYPE!r}: {e.details()!r}")
        raw = dict((k, v) for k, v in (e.trailing_metadata() or ())).get("grpc-status-details-bin")
        check(raw is not None, f"no grpc-status-details-bin in trailers: {e.trailing_metadata()}")
        # The standard envelope: google.rpc.Status, ErrorDetails inside an Any.
        envelope = schema.message("google.rpc.Status").FromString(raw)
        check(len(envelope.details) == 1 and
              envelope.details[0].type_url.endswith("/flowctl.v1.ErrorDetails"),
              f"google.rpc.Status without ErrorDetails: {envelope}")
        details = ErrorDetails.FromString(envelope.details[0].value)
        check(details.errors, f"ErrorDetails has no errors: {details}")
        first = details.errors[0]
        check(first.line == BAD_LINE,
              f"first error on line {first.line}, want {BAD_LINE}: {first}")
        step(8, f"bad Apply: INVALID_ARGUMENT, code {details.code}, "
                f"first error line {first.line}: {first.message}")

    # 9. Stop, then List shows it stopped.
    resp = stop(StopRequest(name="py-watch", reason="python e2e done"), timeout=TIMEOUT)
    check(resp.name == "py-watch", f"Stop name {resp.name!r}")
    deadline = time.monotonic() + TIMEOUT
    while True:
        pipes = {p.name: p for p in plist(ListPipelinesRequest(), timeout=TIMEOUT).pipelines}
        check("py-watch" in pipes, f"List lacks py-watch: {sorted(pipes)}")
        if pipes["py-watch"].state == "stopped" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    p = pipes["py-watch"]
    check(p.state == "stopped", f"List state {p.state!r} after Stop, want stopped")
    step(9, f"Stop: List shows py-watch {p.state} (desired {p.desired_state}), "
            f"events_in {p.events_in}")
    channel.close()


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        run(sys.argv[1], sys.argv[2])
    except Failure as e:
        print(f"grpc_client: FAIL: {e}", file=sys.stderr)
        return 1
    except grpc.RpcError as e:
        print(f"grpc_client: FAIL: unexpected RPC error {e.code()}: {e.details()}", file=sys.stderr)
        return 1
    print("grpc_client: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
