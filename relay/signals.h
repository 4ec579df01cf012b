// SIGTERM, SIGINT and SIGHUP as a file descriptor for the relay's poll(). SIGTERM and SIGINT ask
// for a stop: the first a graceful one, bounded by one overall deadline (kStopTimeout from the
// first signal, whatever the relay is doing then), a second an immediate one. SIGHUP is counted
// apart, for the relay to say what it does about it. Blocked in every thread (librdkafka's
// included, which inherit the mask), so they only ever arrive here.
#pragma once

#include <chrono>

#include "common/result.h"

namespace outbox {

// How long a graceful stop may take in all: draining deliveries, the last status update. Under
// systemd's TimeoutStopSec (45 s in the shipped unit) and Kubernetes' default grace period (30 s).
inline constexpr std::chrono::seconds kStopTimeout{20};

class SignalWatch {
 public:
  using Clock = std::chrono::steady_clock;

  // Blocks SIGTERM, SIGINT and SIGHUP and opens a signalfd for them. Call before starting any
  // thread.
  static Result<SignalWatch> install();
  ~SignalWatch();
  SignalWatch(SignalWatch&& other) noexcept
      : fd_(other.fd_),
        received_(other.received_),
        hangups_(other.hangups_),
        stop_deadline_(other.stop_deadline_) {
    other.fd_ = -1;
  }
  SignalWatch& operator=(SignalWatch&&) = delete;
  SignalWatch(const SignalWatch&) = delete;

  int fd() const { return fd_; }
  // Reads pending signals; returns how many stop signals (SIGTERM, SIGINT) arrived since start.
  int poll();
  int received() const { return received_; }
  // SIGHUPs read since the last call (the relay logs each batch once).
  int take_hangups() {
    const int taken = hangups_;
    hangups_ = 0;
    return taken;
  }
  // When a graceful stop must be over: kStopTimeout after the first stop signal; max() before.
  Clock::time_point stop_deadline() const { return stop_deadline_; }

 private:
  explicit SignalWatch(int fd) : fd_(fd) {}
  int fd_;
  int received_ = 0;
  int hangups_ = 0;
  Clock::time_point stop_deadline_ = Clock::time_point::max();
};

}  // namespace outbox
