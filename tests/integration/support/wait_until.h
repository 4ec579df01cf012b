// Bounded polling: tests wait for a condition, never for a length of time.
#pragma once

#include <chrono>
#include <thread>

namespace outbox::testing {

// Polls `condition` every `interval` until it holds (true) or `timeout` passes (false). The
// condition is checked once more at the deadline, so a slow last step still counts.
template <typename Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace outbox::testing
