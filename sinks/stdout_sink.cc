#include "sinks/stdout_sink.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/log.h"

namespace outbox {
namespace {

// A record kept until its delivery report is served.
struct PendingReport {
  DeliveryTicket ticket;
  bool delivered;
  std::string error;
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::int64_t timestamp_ms;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class StdoutSink final : public Sink {
 public:
  explicit StdoutSink(std::FILE* out) : out_(out) {}

  PublishOutcome publish(const OutgoingRecord& record, DeliveryTicket ticket) override {
    const std::int64_t timestamp_ms = record.timestamp_ms != 0 ? record.timestamp_ms : now_ms();
    line_.clear();
    line_ += "{\"topic\":";
    append_json_string(line_, record.topic);
    line_ += ",\"key\":";
    append_json_string(line_, record.key);
    line_ += ",\"value\":";
    append_json_string(line_, record.value);
    line_ += ",\"headers\":{";
    for (std::size_t i = 0; i < record.headers.size(); ++i) {
      if (i > 0) line_ += ',';
      append_json_string(line_, record.headers[i].name);
      line_ += ':';
      append_json_string(line_, record.headers[i].value);
    }
    line_ += "},\"timestamp\":";
    line_ += std::to_string(timestamp_ms);
    line_ += "}\n";

    PendingReport report{ticket,
                         true,
                         {},
                         std::string(record.topic),
                         std::string(record.key),
                         std::string(record.value),
                         {},
                         timestamp_ms};
    report.headers.reserve(record.headers.size());
    for (const RecordHeader& header : record.headers) {
      report.headers.emplace_back(header.name, header.value);
    }
    errno = 0;
    if (std::fwrite(line_.data(), 1, line_.size(), out_) != line_.size() ||
        std::fflush(out_) != 0) {
      report.delivered = false;
      report.error = std::string("cannot write the record: ") +
                     (errno != 0 ? std::strerror(errno) : "write error");
      std::clearerr(out_);
    }
    pending_.push_back(std::move(report));
    return {PublishStatus::kAccepted, {}};
  }

  int wakeup_fd() const override { return -1; }

  void poll_deliveries(DeliveryHandler& handler) override {
    // Taken out first, so the handler may publish (those are reported on the next poll).
    std::vector<PendingReport> ready;
    ready.swap(pending_);
    std::vector<RecordHeader> headers;
    for (PendingReport& pending : ready) {
      headers.clear();
      for (const auto& [name, value] : pending.headers) headers.push_back({name, value});
      const OutgoingRecord record{pending.topic, pending.key, pending.value, headers,
                                  pending.timestamp_ms};
      handler.on_delivery(
          DeliveryReport{pending.ticket, pending.delivered, std::move(pending.error), record,
                         pending.delivered ? DeliveryFailure::kNone : DeliveryFailure::kOther});
    }
  }

  bool drain(DeliveryHandler& handler, std::chrono::milliseconds) override {
    while (!pending_.empty()) poll_deliveries(handler);
    return true;
  }

  std::size_t in_flight() const override { return pending_.size(); }
  std::optional<std::string> fatal_error() const override { return std::nullopt; }
  Result<void> probe(std::chrono::milliseconds) override { return {}; }

 private:
  std::FILE* out_;
  std::string line_;
  std::vector<PendingReport> pending_;
};

}  // namespace

std::unique_ptr<Sink> make_stdout_sink(std::FILE* out) { return std::make_unique<StdoutSink>(out); }

}  // namespace outbox
