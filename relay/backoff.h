// Capped exponential backoff with full jitter, for reconnecting: the n-th wait is uniform in
// [initial, min(cap, initial * 2^n)], so a fleet of relays does not reconnect in lockstep.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace outbox {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap)
      : initial_(initial), cap_(cap), random_(std::random_device{}()) {}

  std::chrono::milliseconds next() {
    const auto ceiling = std::min(cap_, initial_ * (std::int64_t{1} << std::min(attempt_, 20)));
    ++attempt_;
    std::uniform_int_distribution<std::int64_t> pick(initial_.count(), ceiling.count());
    return std::chrono::milliseconds(pick(random_));
  }
  int attempts() const { return attempt_; }
  void reset() { attempt_ = 0; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds cap_;
  int attempt_ = 0;
  std::mt19937_64 random_;
};

}  // namespace outbox
