#include "convert.h"

#include <chrono>

#include "google/rpc/status.pb.h"

namespace flowctl::control {

void ToProto(const Diagnostic& d, v1::ErrorDetail* out) {
  out->set_severity(d.severity == Diagnostic::Severity::kError ? "error" : "warning");
  out->set_message(d.message);
  out->set_file(d.mark.file);
  out->set_line(d.mark.line);
  out->set_column(d.mark.column);
  out->set_node_id(d.node_id);
  out->set_hint(d.hint);
}

void ToProto(const RunSnapshot& s, int version, v1::PipelineStatus* out) {
  out->set_name(s.pipeline);
  out->set_version(version);
  out->set_state(s.state);
  out->set_elapsed_s(s.elapsed_s);
  out->set_error(s.error);
  out->set_time_ms(UnixMs());
  for (const auto& n : s.nodes) {
    auto* m = out->add_nodes();
    m->set_id(n.id);
    m->set_type(n.type);
    m->set_kind(n.kind);
    m->set_in(n.in);
    m->set_out(n.out);
    m->set_dropped(n.dropped);
    m->set_errors(n.errors);
    m->set_dead_lettered(n.dead_lettered);
    m->set_retries(n.retries);
    m->set_p50_us(n.p50_us);
    m->set_p90_us(n.p90_us);
    m->set_p99_us(n.p99_us);
    m->set_queue_depth(n.queue_depth);
    m->set_queue_capacity(n.queue_capacity);
    m->set_busy_ms(n.busy_ms);
    m->set_concurrency(n.concurrency);
    for (const auto& [k, v] : n.counters) (*m->mutable_counters())[k] = v;
  }
}

void ToProto(const engine::PipelineInfo& info, v1::PipelineSummary* out) {
  out->set_name(info.name);
  out->set_version(info.version);
  out->set_state(info.state);
  out->set_desired_state(info.desired_state);
  out->set_uptime_s(info.snapshot.elapsed_s);
  uint64_t in = 0, written = 0, errors = 0, dlq = 0;
  for (const auto& n : info.snapshot.nodes) {
    if (n.kind == "source") in += n.out;
    if (n.kind == "sink") written += n.out;
    errors += n.errors;
    dlq += n.dead_lettered;
  }
  out->set_events_in(in);
  out->set_events_out(written);
  out->set_errors(errors);
  out->set_dead_lettered(dlq);
}

namespace {

grpc::Status Envelope(grpc::StatusCode code, const std::string& message,
                      const v1::ErrorDetails& details) {
  google::rpc::Status envelope;
  envelope.set_code(static_cast<int>(code));
  envelope.set_message(message);
  envelope.add_details()->PackFrom(details);
  return grpc::Status(code, message, envelope.SerializeAsString());
}

}  // namespace

grpc::Status FieldError(const std::string& field, const std::string& message) {
  v1::ErrorDetails details;
  details.set_code("INVALID_ARGUMENT");
  auto* e = details.add_errors();
  e->set_severity("error");
  e->set_field(field);
  e->set_message(message);
  return Envelope(grpc::StatusCode::INVALID_ARGUMENT, message, details);
}

grpc::Status ToGrpc(const Status& st, const std::vector<Diagnostic>& diags,
                    const std::vector<std::string>& suggestions) {
  if (st.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  std::string kind = StatusCodeName(st.code());
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case StatusCode::kUnimplemented:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    case StatusCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    case StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case StatusCode::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    // Held, not failed: ABORTED tells a client to look (the message starts
    // with the approval's id) and try again once it is decided.
    case StatusCode::kPendingApproval:
      code = grpc::StatusCode::ABORTED;
      break;
    default:
      break;
  }
  v1::ErrorDetails details;
  details.set_code(kind);
  std::string message = st.message();
  int errors = 0;
  for (const auto& d : diags) {
    ToProto(d, details.add_errors());
    if (d.severity == Diagnostic::Severity::kError) {
      // The first error in the message itself: one line a human can act on.
      if (errors++ == 0) message += ": " + d.ToString();
    }
  }
  if (errors > 1) message += " (and " + std::to_string(errors - 1) + " more)";
  for (const auto& s : suggestions) details.add_suggestions(s);
  return Envelope(code, message, details);
}

}  // namespace flowctl::control
