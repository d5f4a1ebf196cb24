// Status and Result<T>: errors as values across room boundaries.
//
// Contract: a default-constructed Status is OK. Status and Result are plain
// values, cheap to move, not thread-safe to mutate concurrently (like any
// value type). Result<T> holds either a T or a non-OK Status; calling value()
// on an error Result is a programming error (asserts in debug).
#ifndef FLOWCTL_BASE_STATUS_H_
#define FLOWCTL_BASE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace flowctl {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnavailable,
  kInternal,
  kUnimplemented,
  kCancelled,
  kDeadlineExceeded,
  kResourceExhausted,
  kDataLoss,
  kPermissionDenied,  // the caller may not do this (governance)
  kPendingApproval,   // held by the governance gate until approved
};

const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status Invalid(std::string m) {
    return Status(StatusCode::kInvalidArgument, std::move(m));
  }
  static Status NotFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
  static Status Internal(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }
  static Status Unavailable(std::string m) {
    return Status(StatusCode::kUnavailable, std::move(m));
  }
  static Status Unimplemented(std::string m) {
    return Status(StatusCode::kUnimplemented, std::move(m));
  }
  static Status Cancelled(std::string m) { return Status(StatusCode::kCancelled, std::move(m)); }
  static Status IoError(std::string m) { return Status(StatusCode::kUnavailable, std::move(m)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok());
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

#define FLOWCTL_RETURN_IF_ERROR(expr) \
  do {                                \
    ::flowctl::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)

}  // namespace flowctl

#endif  // FLOWCTL_BASE_STATUS_H_
