// SIGTERM and SIGINT as a file descriptor for the relay's poll(): the first asks for a graceful
// stop, a second for an immediate one. Blocked in every thread (librdkafka's included, which
// inherit the mask), so they only ever arrive here.
#pragma once

#include "common/result.h"

namespace outbox {

class SignalWatch {
 public:
  // Blocks SIGTERM and SIGINT and opens a signalfd for them. Call before starting any thread.
  static Result<SignalWatch> install();
  ~SignalWatch();
  SignalWatch(SignalWatch&& other) noexcept : fd_(other.fd_), received_(other.received_) {
    other.fd_ = -1;
  }
  SignalWatch& operator=(SignalWatch&&) = delete;
  SignalWatch(const SignalWatch&) = delete;

  int fd() const { return fd_; }
  // Reads pending signals; returns how many arrived since start.
  int poll();
  int received() const { return received_; }

 private:
  explicit SignalWatch(int fd) : fd_(fd) {}
  int fd_;
  int received_ = 0;
};

}  // namespace outbox
