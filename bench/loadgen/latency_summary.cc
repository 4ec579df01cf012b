#include "bench/loadgen/latency_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace outbox::bench {
namespace {

double nearest_rank(const std::vector<double>& sorted, double fraction) {
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

LatencySummary summarize(std::vector<double>& latencies_ms) {
  LatencySummary summary;
  summary.count = latencies_ms.size();
  if (latencies_ms.empty()) return summary;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  summary.p50_ms = nearest_rank(latencies_ms, 0.50);
  summary.p90_ms = nearest_rank(latencies_ms, 0.90);
  summary.p99_ms = nearest_rank(latencies_ms, 0.99);
  summary.p999_ms = nearest_rank(latencies_ms, 0.999);
  summary.max_ms = latencies_ms.back();
  return summary;
}

std::string result_line(const RunResult& r) {
  char line[512];
  std::snprintf(line, sizeof line,
                "RESULT contender=%s rate=%.0f achieved_rate=%.0f events=%llu missing=%llu "
                "duplicates=%llu p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f p999_ms=%.1f max_ms=%.1f "
                "cpu_us_per_event=%.1f peak_rss_mib=%.1f broker_cpu_us_per_event=%.1f",
                r.contender.c_str(), r.target_rate, r.achieved_rate,
                static_cast<unsigned long long>(r.events),
                static_cast<unsigned long long>(r.missing),
                static_cast<unsigned long long>(r.duplicates), r.latency.p50_ms, r.latency.p90_ms,
                r.latency.p99_ms, r.latency.p999_ms, r.latency.max_ms, r.cpu_us_per_event,
                r.peak_rss_mib, r.broker_cpu_us_per_event);
  return line;
}

}  // namespace outbox::bench
