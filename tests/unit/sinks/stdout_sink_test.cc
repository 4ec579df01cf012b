#include "sinks/stdout_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/unit/sinks/recording_handler.h"

namespace outbox {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;
using testing::RecordingHandler;

// A FILE* writing to memory; text() is what was flushed so far.
class MemoryFile {
 public:
  MemoryFile() : file_(open_memstream(&data_, &size_)) {}
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  ~MemoryFile() {
    std::fclose(file_);
    std::free(data_);
  }
  std::FILE* get() { return file_; }
  std::string text() const { return data_ != nullptr ? std::string(data_, size_) : std::string(); }
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    const std::string all = text();
    std::size_t start = 0;
    for (std::size_t end; (end = all.find('\n', start)) != std::string::npos; start = end + 1) {
      result.push_back(all.substr(start, end - start));
    }
    EXPECT_EQ(start, all.size()) << "the last line has no newline";
    return result;
  }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

TEST(StdoutSink, WritesOneJsonLinePerRecord) {
  MemoryFile out;
  auto sink = make_stdout_sink(out.get());
  const RecordHeader headers[] = {{"id", "0b5c6a3e-1"}, {"event_type", "OrderCreated"}};
  const OutgoingRecord record{"order.events", "order-42", R"({"total": 10})", headers,
                              1'767'312'000'123};
  ASSERT_EQ(sink->publish(record, 7).status, PublishStatus::kAccepted);
  ASSERT_EQ(sink->publish({"t", "", "", {}, 1}, 8).status, PublishStatus::kAccepted);

  EXPECT_EQ(out.lines(),
            (std::vector<std::string>{
                R"({"topic":"order.events","key":"order-42","value":"{\"total\": 10}",)"
                R"("headers":{"id":"0b5c6a3e-1","event_type":"OrderCreated"},)"
                R"("timestamp":1767312000123})",
                R"({"topic":"t","key":"","value":"","headers":{},"timestamp":1})",
            }));
}

TEST(StdoutSink, EscapesQuotesNewlinesAndControlCharactersSoEveryLineParsesBack) {
  MemoryFile out;
  auto sink = make_stdout_sink(out.get());
  const std::string value = "{\"note\": \"line one\nline two\ttab \\ back\"}\r\x01\x1f end";
  const std::string key = "k\"ey\n";
  const RecordHeader headers[] = {{"na\"me", "va\nl\x02ue"}};
  ASSERT_EQ(sink->publish({"topic", key, value, headers, 5}, 1).status, PublishStatus::kAccepted);

  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            R"({"topic":"topic","key":"k\"ey\n",)"
            R"("value":"{\"note\": \"line one\nline two\ttab \\ back\"}\r\u0001\u001f end",)"
            R"("headers":{"na\"me":"va\nl\u0002ue"},"timestamp":5})");

  simdjson::dom::parser parser;
  simdjson::dom::element line;
  ASSERT_EQ(parser.parse(lines[0]).get(line), simdjson::SUCCESS) << lines[0];
  std::string_view parsed;
  ASSERT_EQ(line["value"].get(parsed), simdjson::SUCCESS);
  EXPECT_EQ(parsed, value);
  ASSERT_EQ(line["key"].get(parsed), simdjson::SUCCESS);
  EXPECT_EQ(parsed, key);
  ASSERT_EQ(line["headers"]["na\"me"].get(parsed), simdjson::SUCCESS);
  EXPECT_EQ(parsed, "va\nl\x02ue");
}

TEST(StdoutSink, AZeroTimestampBecomesTheCurrentTime) {
  MemoryFile out;
  auto sink = make_stdout_sink(out.get());
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ASSERT_EQ(sink->publish({"t", "k", "v", {}, 0}, 1).status, PublishStatus::kAccepted);
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();

  simdjson::dom::parser parser;
  simdjson::dom::element line;
  ASSERT_EQ(parser.parse(out.lines().at(0)).get(line), simdjson::SUCCESS);
  std::int64_t timestamp = 0;
  ASSERT_EQ(line["timestamp"].get(timestamp), simdjson::SUCCESS);
  EXPECT_GE(timestamp, before);
  EXPECT_LE(timestamp, after);

  RecordingHandler handler;
  sink->poll_deliveries(handler);
  ASSERT_EQ(handler.reports.size(), 1u);
  EXPECT_EQ(handler.reports[0].timestamp_ms, timestamp) << "the report carries the time written";
}

TEST(StdoutSink, ReportsEveryPublishedRecordOnTheNextPollWithoutAWakeupFd) {
  MemoryFile out;
  auto sink = make_stdout_sink(out.get());
  EXPECT_EQ(sink->wakeup_fd(), -1);
  const RecordHeader headers[] = {{"id", "1"}};
  for (DeliveryTicket ticket = 10; ticket < 13; ++ticket) {
    ASSERT_EQ(sink->publish({"t", "k" + std::to_string(ticket), "v", headers, 99}, ticket).status,
              PublishStatus::kAccepted);
  }
  EXPECT_EQ(sink->in_flight(), 3u);

  RecordingHandler handler;
  sink->poll_deliveries(handler);
  EXPECT_EQ(sink->in_flight(), 0u);
  ASSERT_EQ(handler.reports.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& report = handler.reports[i];
    EXPECT_EQ(report.ticket, 10 + i);
    EXPECT_TRUE(report.delivered);
    EXPECT_EQ(report.error, "");
    EXPECT_EQ(report.topic, "t");
    EXPECT_EQ(report.key, "k" + std::to_string(10 + i));
    EXPECT_EQ(report.value, "v");
    EXPECT_EQ(report.headers, (std::vector<std::pair<std::string, std::string>>{{"id", "1"}}));
    EXPECT_EQ(report.timestamp_ms, 99);
  }

  sink->poll_deliveries(handler);
  EXPECT_EQ(handler.reports.size(), 3u) << "each record is reported once";
  EXPECT_TRUE(sink->drain(handler, 0ms));
  EXPECT_TRUE(sink->probe(0ms).ok());
  EXPECT_FALSE(sink->fatal_error().has_value());
}

TEST(StdoutSink, ReportsAFailedWriteAsNotDeliveredWithTheReason) {
  std::FILE* full = std::fopen("/dev/full", "w");
  ASSERT_NE(full, nullptr);
  auto sink = make_stdout_sink(full);
  ASSERT_EQ(sink->publish({"t", "k", "v", {}, 1}, 1).status, PublishStatus::kAccepted);
  ASSERT_EQ(sink->publish({"t", "k", "v", {}, 1}, 2).status, PublishStatus::kAccepted);

  RecordingHandler handler;
  EXPECT_TRUE(sink->drain(handler, 1s));
  ASSERT_EQ(handler.reports.size(), 2u);
  for (const auto& report : handler.reports) {
    EXPECT_FALSE(report.delivered);
    EXPECT_THAT(report.error, HasSubstr("No space left on device"));
  }
  sink.reset();
  std::fclose(full);
}

// A handler that publishes from on_delivery, as the relay does for a dead-letter topic.
class RepublishingHandler : public RecordingHandler {
 public:
  explicit RepublishingHandler(Sink& sink) : sink_(sink) {}
  void on_delivery(const DeliveryReport& report) override {
    RecordingHandler::on_delivery(report);
    if (report.ticket == 1) {
      EXPECT_EQ(sink_.publish({"dlq", report.record.key, report.record.value, {}, 1}, 2).status,
                PublishStatus::kAccepted);
    }
  }

 private:
  Sink& sink_;
};

TEST(StdoutSink, AHandlerMayPublishFromOnDeliveryAndHearsOfItOnTheNextPoll) {
  MemoryFile out;
  auto sink = make_stdout_sink(out.get());
  ASSERT_EQ(sink->publish({"t", "k", "v", {}, 1}, 1).status, PublishStatus::kAccepted);
  RepublishingHandler handler(*sink);
  sink->poll_deliveries(handler);
  ASSERT_EQ(handler.reports.size(), 1u);
  EXPECT_EQ(sink->in_flight(), 1u);
  EXPECT_TRUE(sink->drain(handler, 0ms));
  ASSERT_EQ(handler.reports.size(), 2u);
  EXPECT_EQ(handler.reports[1].topic, "dlq");
  EXPECT_EQ(out.lines().size(), 2u);
}

}  // namespace
}  // namespace outbox
