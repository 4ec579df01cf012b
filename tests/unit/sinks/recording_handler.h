// A DeliveryHandler that keeps owned copies of every report, and a helper that serves reports
// the way the relay does: wait on the sink's wakeup fd, then poll_deliveries().
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sinks/sink.h"

namespace outbox::testing {

struct RecordedReport {
  DeliveryTicket ticket;
  bool delivered;
  std::string error;
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::int64_t timestamp_ms;
  DeliveryFailure failure = DeliveryFailure::kNone;
};

class RecordingHandler : public DeliveryHandler {
 public:
  void on_delivery(const DeliveryReport& report) override {
    RecordedReport copy{report.ticket,
                        report.delivered,
                        report.error,
                        std::string(report.record.topic),
                        std::string(report.record.key),
                        std::string(report.record.value),
                        {},
                        report.record.timestamp_ms,
                        report.failure};
    for (const RecordHeader& header : report.record.headers) {
      copy.headers.emplace_back(header.name, header.value);
    }
    reports.push_back(std::move(copy));
  }

  std::vector<RecordedReport> reports;
};

// Until `handler` holds `count` reports or `timeout` passes, waits for the wakeup fd (when the
// sink has one) and serves what is waiting. Reports only ever come from a readable fd, so a sink
// that forgets to signal fails here.
inline bool await_reports(Sink& sink, RecordingHandler& handler, std::size_t count,
                          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (handler.reports.size() < count) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (sink.wakeup_fd() >= 0) {
      pollfd wakeup{sink.wakeup_fd(), POLLIN, 0};
      if (::poll(&wakeup, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
    }
    sink.poll_deliveries(handler);
  }
  return true;
}

}  // namespace outbox::testing
