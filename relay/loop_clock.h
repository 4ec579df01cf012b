// The relay loop's view of time: the steady clock its deadlines use, the wall clock its
// timestamps use (status updates, dead letters, lag), and the wait on descriptors between turns.
// One interface for all three, so a unit test can run the loop in simulated time: its clock
// advances when the loop waits, and a test of a 20-second stop deadline takes microseconds.
#pragma once

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <span>

namespace outbox {

class LoopClock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~LoopClock() = default;

  virtual SteadyTime now() const = 0;
  virtual WallTime wall_now() const = 0;
  // poll(2) on `fds` for at most `timeout` (negative descriptors are ignored). Returns what
  // poll returns: the number of ready descriptors, 0 on timeout, -1 with errno set.
  virtual int wait(std::span<pollfd> fds, std::chrono::milliseconds timeout) = 0;
};

// The real clocks and poll(2).
class SystemLoopClock final : public LoopClock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
  int wait(std::span<pollfd> fds, std::chrono::milliseconds timeout) override {
    return ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
  }
};

// The timeout of a wait that must end by `deadline`: rounded up, so it does not end just before
// the deadline, and at most a second, so the loop turns (and the watchdog hears from it) at
// least that often.
inline std::chrono::milliseconds wait_timeout(LoopClock::SteadyTime deadline,
                                              LoopClock::SteadyTime now) {
  return std::chrono::milliseconds(std::clamp<std::int64_t>(
      std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count(), 0, 1000));
}

}  // namespace outbox
