// The examples' dead-letter producer against librdkafka's mock cluster: a broker inside the test
// process whose responses the tests delay or refuse through rdkafka_mock.h.
#include "examples/common/dead_letter_producer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace examples {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;

constexpr const char* kTopic = "order.events.DLQ";
constexpr std::int16_t kInitProducerIdRequest = 22;  // Kafka protocol ApiKey

// A one-broker mock cluster, hosted by a client handle of its own that does nothing else.
class DeadLetterProducerTest : public ::testing::Test {
 protected:
  DeadLetterProducerTest()
      : host_(make_client(RD_KAFKA_PRODUCER, {{"log_level", "0"}})),
        cluster_(rd_kafka_mock_cluster_new(host_.get(), 1)),
        bootstrap_(rd_kafka_mock_cluster_bootstraps(cluster_)) {
    EXPECT_EQ(rd_kafka_mock_topic_create(cluster_, kTopic, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ~DeadLetterProducerTest() override { rd_kafka_mock_cluster_destroy(cluster_); }

  static Record failed_record() {
    Record record;
    record.topic = "order.events";
    record.partition = 0;
    record.offset = 41;
    record.key = "order-7";
    record.value = R"({"orderId":7})";
    record.headers = {{"id", "event-7"}, {"event_type", "OrderCreated"}};
    return record;
  }

  // The record at `offset` of the dead-letter topic (its key, value and headers), nullopt when
  // none came within 10 s. Copied out: a consumer is not destroyed while a message of it lives.
  std::optional<Record> read_at(long long offset) {
    KafkaPtr consumer = make_client(
        RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap_}, {"group.id", "dead-letter-test"}});
    rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(partitions, kTopic, 0)->offset = offset;
    EXPECT_EQ(rd_kafka_assign(consumer.get(), partitions), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(partitions);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      MessagePtr message(rd_kafka_consumer_poll(consumer.get(), 100));
      if (!message || message->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      Record record;
      record.key.assign(static_cast<const char*>(message->key), message->key_len);
      record.value.assign(static_cast<const char*>(message->payload), message->len);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(message.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == 0; ++i) {
          record.headers[name] = std::string(static_cast<const char*>(value), size);
        }
      }
      return record;
    }
    return std::nullopt;
  }

  // How many records the dead-letter topic holds.
  long long end_offset() {
    KafkaPtr client = make_client(
        RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap_}, {"group.id", "dead-letter-test"}});
    int64_t low = -1;
    int64_t high = -1;
    EXPECT_EQ(rd_kafka_query_watermark_offsets(client.get(), kTopic, 0, &low, &high, 10000),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    return high;
  }

  KafkaPtr host_;
  rd_kafka_mock_cluster_t* cluster_;
  std::string bootstrap_;
};

TEST_F(DeadLetterProducerTest, PublishesTheRecordWithWhyAndWhereItCameFrom) {
  DeadLetterProducer producer("payment-service", {{"bootstrap.servers", bootstrap_}});
  ASSERT_TRUE(producer.publish(kTopic, failed_record(), "no such order", 4, 10s));

  const auto dead = read_at(0);
  ASSERT_TRUE(dead.has_value()) << "nothing on " << kTopic;
  EXPECT_EQ(dead->key, "order-7");
  EXPECT_EQ(dead->value, R"({"orderId":7})");
  EXPECT_EQ(dead->headers, (std::map<std::string, std::string>{
                               {"id", "event-7"},
                               {"event_type", "OrderCreated"},
                               {"error", "no such order"},
                               {"dlq.original_topic", "order.events"},
                               {"dlq.original_partition", "0"},
                               {"dlq.original_offset", "41"},
                               {"dlq.attempts", "4"},
                           }));
}

TEST_F(DeadLetterProducerTest, AReportArrivingAfterItsPublishGaveUpIsOnlyLogged) {
  DeadLetterProducer producer("payment-service", {{"bootstrap.servers", bootstrap_}});
  // Every response 2 s late: the publish waits 200 ms, gives up, and its frame is gone.
  ASSERT_EQ(rd_kafka_mock_broker_set_rtt(cluster_, 1, 2000), RD_KAFKA_RESP_ERR_NO_ERROR);
  testing::internal::CaptureStderr();
  const auto started = std::chrono::steady_clock::now();
  const bool late = producer.publish(kTopic, failed_record(), "first", 4, 200ms);
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(rd_kafka_mock_broker_set_rtt(cluster_, 1, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  // Serves the late report (with the stack variable it once wrote into, ASan stops here).
  producer.flush(30s);
  const std::string logs = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(late);
  EXPECT_LT(waited, 1500ms);
  EXPECT_THAT(logs, HasSubstr("dead-letter publish failed: not acknowledged within 200 ms"));
  EXPECT_THAT(logs, HasSubstr("late report for dead-letter record 1: delivered"));

  // The producer goes on: the next record waits for its own report.
  ASSERT_TRUE(producer.publish(kTopic, failed_record(), "second", 4, 10s));
  const auto second = read_at(1);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->header("error"), "second");
}

TEST_F(DeadLetterProducerTest, AFatallyFailedProducerPublishesNothingMore) {
  // An idempotent producer refused a producer id cannot go on (rd_kafka_fatal_error).
  rd_kafka_mock_push_request_errors(cluster_, kInitProducerIdRequest, 1,
                                    RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
  DeadLetterProducer producer("payment-service", {{"bootstrap.servers", bootstrap_}});
  testing::internal::CaptureStderr();
  const bool first = producer.publish(kTopic, failed_record(), "first", 4, 10s);
  const bool second = producer.publish(kTopic, failed_record(), "second", 4, 10s);
  producer.flush(10s);
  const std::string logs = testing::internal::GetCapturedStderr();

  EXPECT_FALSE(first);
  EXPECT_FALSE(second);
  ASSERT_TRUE(producer.fatal_error().has_value()) << logs;
  EXPECT_THAT(*producer.fatal_error(), HasSubstr("Cluster authorization failed"))
      << *producer.fatal_error();
  EXPECT_THAT(logs, HasSubstr("dead-letter publish impossible: the producer failed fatally: "));
  EXPECT_EQ(end_offset(), 0) << "a fatally failed producer published";
}

}  // namespace
}  // namespace examples
