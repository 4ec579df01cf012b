// PostgreSQL's wire timestamps: signed microseconds since 2000-01-01 00:00:00 UTC.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>

namespace outbox {

class PgTimestamp {
 public:
  // Seconds from the Unix epoch (1970-01-01) to PostgreSQL's (2000-01-01).
  static constexpr std::int64_t kUnixToPostgresEpochSeconds = 946'684'800;

  constexpr PgTimestamp() = default;
  constexpr explicit PgTimestamp(std::int64_t micros_since_2000) : micros_(micros_since_2000) {}

  static PgTimestamp from_system(std::chrono::system_clock::time_point time) {
    const auto unix_micros =
        std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    return PgTimestamp{unix_micros - kUnixToPostgresEpochSeconds * 1'000'000};
  }

  constexpr std::int64_t micros_since_2000() const { return micros_; }
  constexpr std::int64_t unix_micros() const {
    return micros_ + kUnixToPostgresEpochSeconds * 1'000'000;
  }
  constexpr std::int64_t unix_millis() const {
    // Floor division, so times before 1970 round down like Kafka's millisecond timestamps would.
    const std::int64_t micros = unix_micros();
    return micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000);
  }

  friend constexpr auto operator<=>(PgTimestamp, PgTimestamp) = default;

 private:
  std::int64_t micros_ = 0;
};

}  // namespace outbox
