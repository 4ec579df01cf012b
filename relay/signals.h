// SIGTERM, SIGINT and SIGHUP as a file descriptor for the relay's poll(). SIGTERM and SIGINT ask
// for a stop: the first a graceful one, bounded by one overall deadline (kStopTimeout from the
// first signal, whatever the relay is doing then), a second an immediate one. SIGHUP is counted
// apart, for the relay to say what it does about it. Blocked in every thread (librdkafka's
// included, which inherit the mask), so they only ever arrive here.
#pragma once

#include <chrono>

#include "common/log.h"
#include "common/result.h"

namespace outbox {

// How long a graceful stop may take in all: draining deliveries, the last status update. Under
// systemd's TimeoutStopSec (45 s in the shipped unit) and Kubernetes' default grace period (30 s).
inline constexpr std::chrono::seconds kStopTimeout{20};

// What the relay's loops ask of the signals: the session and the runner take this interface, so a
// unit test can stop a session on cue without sending the process a signal.
class Signals {
 public:
  using Clock = std::chrono::steady_clock;

  virtual ~Signals() = default;
  // A descriptor readable when a signal is waiting, for poll(); -1 for none.
  virtual int fd() const = 0;
  // Reads pending signals; returns how many stop signals (SIGTERM, SIGINT) arrived since start.
  virtual int poll() = 0;
  virtual int received() const = 0;
  // SIGHUPs read since the last call (the relay logs each batch once).
  virtual int take_hangups() = 0;
  // When a graceful stop must be over: kStopTimeout after the first stop signal; max() before.
  virtual Clock::time_point stop_deadline() const = 0;
};

class SignalWatch final : public Signals {
 public:
  // Blocks SIGTERM, SIGINT and SIGHUP and opens a signalfd for them. Call before starting any
  // thread.
  static Result<SignalWatch> install();
  ~SignalWatch() override;
  SignalWatch(SignalWatch&& other) noexcept
      : fd_(other.fd_),
        received_(other.received_),
        hangups_(other.hangups_),
        stop_deadline_(other.stop_deadline_) {
    other.fd_ = -1;
  }
  SignalWatch& operator=(SignalWatch&&) = delete;
  SignalWatch(const SignalWatch&) = delete;

  int fd() const override { return fd_; }
  int poll() override;
  int received() const override { return received_; }
  int take_hangups() override {
    const int taken = hangups_;
    hangups_ = 0;
    return taken;
  }
  Clock::time_point stop_deadline() const override { return stop_deadline_; }

 private:
  explicit SignalWatch(int fd) : fd_(fd) {}
  int fd_;
  int received_ = 0;
  int hangups_ = 0;
  Clock::time_point stop_deadline_ = Clock::time_point::max();
};

// Logs each batch of SIGHUPs once: the relay keeps running, and says that a changed
// configuration needs a restart.
void report_hangups(Signals& signals, const Logger& log);

}  // namespace outbox
