// A server-streaming reactor fed from any thread: Push queues a message,
// Close ends the stream. Producers hold a shared State to learn when the
// client went away (the reactor deletes itself in OnDone).
#ifndef FLOWCTL_CONTROL_WRITER_H_
#define FLOWCTL_CONTROL_WRITER_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <mutex>
#include <optional>

namespace flowctl::control {

template <typename T>
class QueueWriter final : public grpc::ServerWriteReactor<T> {
 public:
  struct State {
    std::mutex mu;
    QueueWriter* writer = nullptr;  // null once the RPC is done
    bool cancelled = false;
  };

  QueueWriter() : state_(std::make_shared<State>()) { state_->writer = this; }
  std::shared_ptr<State> state() const { return state_; }

  // Safe from any thread, also after the RPC ended (then a no-op).
  static bool Push(const std::shared_ptr<State>& s, T msg) {
    std::lock_guard<std::mutex> lk(s->mu);
    if (!s->writer || s->cancelled) return false;
    s->writer->PushLocked(std::move(msg));
    return true;
  }
  static void Close(const std::shared_ptr<State>& s, grpc::Status st) {
    std::lock_guard<std::mutex> lk(s->mu);
    if (!s->writer) return;
    s->writer->CloseLocked(std::move(st));
  }
  static bool Alive(const std::shared_ptr<State>& s) {
    std::lock_guard<std::mutex> lk(s->mu);
    return s->writer && !s->cancelled;
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lk(state_->mu);
    queue_.pop_front();
    writing_ = false;
    if (!ok) {
      state_->cancelled = true;
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "stream closed by the client"));
      return;
    }
    Pump();
  }
  void OnCancel() override {
    std::lock_guard<std::mutex> lk(state_->mu);
    state_->cancelled = true;
    FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }
  void OnDone() override {
    {
      std::lock_guard<std::mutex> lk(state_->mu);
      state_->writer = nullptr;
    }
    delete this;
  }

 private:
  void PushLocked(T msg) {
    if (closing_) return;
    queue_.push_back(std::move(msg));
    Pump();
  }
  void CloseLocked(grpc::Status st) {
    closing_ = std::move(st);
    Pump();
  }
  void Pump() {
    if (writing_ || finished_) return;
    if (!queue_.empty()) {
      writing_ = true;
      this->StartWrite(&queue_.front());
    } else if (closing_) {
      FinishOnce(*closing_);
    }
  }
  void FinishOnce(grpc::Status st) {
    if (finished_) return;
    finished_ = true;
    this->Finish(std::move(st));
  }

  std::shared_ptr<State> state_;
  std::deque<T> queue_;
  bool writing_ = false;
  bool finished_ = false;
  std::optional<grpc::Status> closing_;
};

}  // namespace flowctl::control

#endif  // FLOWCTL_CONTROL_WRITER_H_
