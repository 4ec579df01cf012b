// Capped exponential backoff with jitter, for reconnecting: the n-th wait (n from 0) is uniform in
// [initial, min(cap, initial * 2^n)], so the first is `initial` and a fleet of relays does not
// reconnect in lockstep after it. `initial` must not exceed `cap`.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace outbox {

class Backoff {
 public:
  // Seeded from std::random_device: relays that fail together draw different waits.
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap)
      : Backoff(initial, cap, std::random_device{}()) {}
  // Seeded with `seed`: the same seed draws the same waits (for tests).
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap, std::uint64_t seed)
      : initial_(initial), cap_(cap), random_(seed) {}

  std::chrono::milliseconds next() {
    const auto ceiling = std::min(cap_, initial_ * (std::int64_t{1} << std::min(attempt_, 20)));
    ++attempt_;
    std::uniform_int_distribution<std::int64_t> pick(initial_.count(), ceiling.count());
    return std::chrono::milliseconds(pick(random_));
  }
  // How many waits next() has handed out since construction or the last reset().
  int attempts() const { return attempt_; }
  // After a success: the next wait is `initial` again.
  void reset() { attempt_ = 0; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds cap_;
  int attempt_ = 0;
  std::mt19937_64 random_;
};

}  // namespace outbox
