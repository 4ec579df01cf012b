// Percentiles of a load run's commit-to-Kafka latencies, and the RESULT line every contender's
// run ends with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace outbox::bench {

struct LatencySummary {
  std::size_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};

// Nearest-rank percentiles of `latencies_ms` (sorted in place).
LatencySummary summarize(std::vector<double>& latencies_ms);

struct RunResult {
  std::string contender;
  double target_rate = 0;    // events/s asked for
  double achieved_rate = 0;  // events/s written in the measured phase
  std::uint64_t events = 0;  // written in the measured phase
  std::uint64_t missing = 0;
  std::uint64_t duplicates = 0;
  LatencySummary latency;
  double cpu_us_per_event = 0;
  double peak_rss_mib = 0;
  double broker_cpu_us_per_event = 0;
};

// "RESULT contender=relay rate=5000 ... peak_rss_mib=14.9": one line, key=value, the same keys for
// every contender, for scripts that collect runs.
std::string result_line(const RunResult& result);

}  // namespace outbox::bench
