// The Kafka sink's transactions against the real broker: records of a committed transaction are
// seen by a read_committed consumer together with the position committed in it, an aborted
// transaction's by none, and a newer sink with the same transactional id fences an older one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "sinks/kafka_sink.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/services.h"
#include "tests/unit/sinks/recording_handler.h"

namespace outbox::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class KafkaTransactionsTest : public ::testing::Test {
 protected:
  KafkaTransactionsTest()
      : topic_(unique_name("txn")),
        settings_{.transactional_id = unique_name("txn-id"),
                  .position_topic = unique_name("txn-positions")} {}

  std::unique_ptr<Sink> make_sink() {
    auto made = make_kafka_sink({{"bootstrap.servers", services().kafka_bootstrap}}, settings_);
    EXPECT_TRUE(made.ok()) << made.error().message();
    return made.ok() ? std::move(made).value() : nullptr;
  }

  // Publishes `count` records numbered from `first` and waits for every delivery report.
  void publish(Sink& sink, int first, int count) {
    for (int n = first; n < first + count; ++n) {
      const std::string value = "event-" + std::to_string(n);
      const OutgoingRecord record{
          .topic = topic_, .key = "k", .value = value, .headers = {}, .timestamp_ms = 0};
      ASSERT_EQ(sink.publish(record, static_cast<DeliveryTicket>(n)).status,
                PublishStatus::kAccepted);
    }
    RecordingHandler handler;
    ASSERT_TRUE(sink.drain(handler, 30s));
    ASSERT_EQ(handler.reports.size(), static_cast<std::size_t>(count));
    for (const auto& report : handler.reports) EXPECT_TRUE(report.delivered) << report.error;
  }

  std::vector<std::string> values(Isolation isolation, std::size_t expected) {
    std::vector<std::string> out;
    for (const auto& record : read_topics({topic_}, expected, 20s, {}, isolation)) {
      out.push_back(record.value);
    }
    return out;
  }

  const std::string topic_;
  const KafkaTransactionSettings settings_;
};

TEST_F(KafkaTransactionsTest, ACommittedTransactionIsSeenWithItsPositionAndAnAbortedOneIsNot) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->init_transactions(60s).done());
  auto nothing_yet = sink->committed_position(30s);
  ASSERT_TRUE(nothing_yet.ok()) << nothing_yet.error().message();
  EXPECT_EQ(*nothing_yet, std::nullopt);

  ASSERT_TRUE(sink->begin_transaction().done());
  publish(*sink, 0, 3);
  const auto committed = sink->commit_transaction("position one", 30s);
  ASSERT_TRUE(committed.done()) << committed.error;

  ASSERT_TRUE(sink->begin_transaction().done());
  publish(*sink, 3, 2);
  const auto aborted = sink->abort_transaction(30s);
  ASSERT_TRUE(aborted.done()) << aborted.error;

  ASSERT_TRUE(sink->begin_transaction().done());
  publish(*sink, 5, 1);
  ASSERT_TRUE(sink->commit_transaction("position two", 30s).done());

  EXPECT_THAT(values(Isolation::kReadCommitted, 4),
              ::testing::ElementsAre("event-0", "event-1", "event-2", "event-5"));
  // The aborted records are in the log; only an uncommitted reader returns them.
  EXPECT_THAT(
      values(Isolation::kReadUncommitted, 6),
      ::testing::ElementsAre("event-0", "event-1", "event-2", "event-3", "event-4", "event-5"));
  // A new sink (a restarted relay) reads the last committed position.
  sink.reset();
  auto restarted = make_sink();
  ASSERT_TRUE(restarted->init_transactions(60s).done());
  auto position = restarted->committed_position(30s);
  ASSERT_TRUE(position.ok()) << position.error().message();
  EXPECT_EQ(*position, std::optional<std::string>("position two"));
}

TEST_F(KafkaTransactionsTest, ANewerSinkWithTheSameIdFencesTheOlderOneAndEndsItsTransaction) {
  auto older = make_sink();
  ASSERT_TRUE(older->init_transactions(60s).done());
  ASSERT_TRUE(older->begin_transaction().done());
  publish(*older, 0, 2);

  // Takes the id over: the older one's open transaction is aborted, its records never seen.
  auto newer = make_sink();
  ASSERT_TRUE(newer->init_transactions(60s).done());
  const auto fenced = older->commit_transaction("zombie", 30s);
  EXPECT_EQ(fenced.status, TransactionStatus::kFatal) << fenced.error;
  EXPECT_THAT(fenced.error, HasSubstr("FENCED"));

  ASSERT_TRUE(newer->begin_transaction().done());
  publish(*newer, 2, 1);
  ASSERT_TRUE(newer->commit_transaction("leader", 30s).done());
  EXPECT_THAT(values(Isolation::kReadCommitted, 1), ::testing::ElementsAre("event-2"));
  auto position = newer->committed_position(30s);
  ASSERT_TRUE(position.ok());
  EXPECT_EQ(*position, std::optional<std::string>("leader"));
}

TEST_F(KafkaTransactionsTest, ASinkThatIsNotTransactionalSaysSo) {
  auto made = make_kafka_sink({{"bootstrap.servers", services().kafka_bootstrap}});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ((*made)->begin_transaction().status, TransactionStatus::kUnsupported);
  EXPECT_EQ((*made)->init_transactions(1s).status, TransactionStatus::kUnsupported);
}

}  // namespace
}  // namespace outbox::testing
