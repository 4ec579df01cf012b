// Proves the fixture's servers are the real thing: a Kafka broker that takes an idempotent,
// acks=all producer from the librdkafka the relay links, and a PostgreSQL whose logical
// replication slots decode committed rows with pgoutput.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/integration/support/kafka_client.h"
#include "tests/integration/support/pg.h"
#include "tests/integration/support/services.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

// What the producer's callbacks saw; they run on librdkafka's threads (log) or in poll (reports).
struct ProducerObservations {
  std::mutex mutex;
  std::vector<std::string> log_lines;
  int delivered = 0;
  std::vector<std::string> delivery_errors;
};

TEST(Smoke, KafkaBrokerTakesAnIdempotentAcksAllProducerAndReturnsItsRecords) {
  const std::string topic = unique_name("smoke");
  constexpr int kRecords = 100;
  ProducerObservations seen;

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_property(conf, "bootstrap.servers", services().kafka_bootstrap);
  set_property(conf, "enable.idempotence", "true");
  set_property(conf, "acks", "all");
  set_property(conf, "debug", "eos");  // so the log shows the producer id the broker granted
  rd_kafka_conf_set_opaque(conf, &seen);
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t* kafka, int, const char*, const char* line) {
    auto* observations = static_cast<ProducerObservations*>(rd_kafka_opaque(kafka));
    std::lock_guard lock(observations->mutex);
    observations->log_lines.emplace_back(line);
  });
  rd_kafka_conf_set_dr_msg_cb(
      conf, [](rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
        auto* observations = static_cast<ProducerObservations*>(opaque);
        std::lock_guard lock(observations->mutex);
        if (message->err) {
          observations->delivery_errors.emplace_back(rd_kafka_err2str(message->err));
        } else {
          ++observations->delivered;
        }
      });
  char error[512];
  KafkaPtr producer(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
  ASSERT_NE(producer, nullptr) << error;

  for (int i = 0; i < kRecords; ++i) {
    const std::string key = "order-" + std::to_string(i % 7);
    const std::string value = R"({"n":)" + std::to_string(i) + "}";
    ASSERT_EQ(rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                                RD_KAFKA_V_KEY(key.data(), key.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(producer.get(), 60'000), RD_KAFKA_RESP_ERR_NO_ERROR)
      << "records still in flight after 60 s";
  {
    std::lock_guard lock(seen.mutex);
    EXPECT_EQ(seen.delivered, kRecords);
    EXPECT_TRUE(seen.delivery_errors.empty()) << seen.delivery_errors.front();
    bool granted_producer_id = false;
    for (const auto& line : seen.log_lines) {
      if (line.find("Acquired PID") != std::string::npos) granted_producer_id = true;
    }
    EXPECT_TRUE(granted_producer_id) << "the broker never granted an idempotent producer id";
  }
  char fatal[512];
  EXPECT_EQ(rd_kafka_fatal_error(producer.get(), fatal, sizeof fatal), RD_KAFKA_RESP_ERR_NO_ERROR)
      << fatal;

  // Read the topic back from the beginning with a consumer group.
  rd_kafka_conf_t* consumer_conf = rd_kafka_conf_new();
  set_property(consumer_conf, "bootstrap.servers", services().kafka_bootstrap);
  set_property(consumer_conf, "group.id", topic + "_group");
  set_property(consumer_conf, "auto.offset.reset", "earliest");
  KafkaPtr consumer(rd_kafka_new(RD_KAFKA_CONSUMER, consumer_conf, error, sizeof error));
  ASSERT_NE(consumer, nullptr) << error;
  rd_kafka_poll_set_consumer(consumer.get());
  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>
      subscription(rd_kafka_topic_partition_list_new(1), &rd_kafka_topic_partition_list_destroy);
  rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer.get(), subscription.get()), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::vector<std::string> values;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (values.size() < kRecords && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 500);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      values.emplace_back(static_cast<const char*>(message->payload), message->len);
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ADD_FAILURE() << "consumer error: " << rd_kafka_message_errstr(message);
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer.get());

  ASSERT_EQ(values.size(), static_cast<std::size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) {
    EXPECT_EQ(values[static_cast<std::size_t>(i)], R"({"n":)" + std::to_string(i) + "}");
  }
}

TEST(Smoke, PostgresRunsWithLogicalWalLevel) {
  PgSession session;
  EXPECT_EQ(session.column("SHOW wal_level"), std::vector<std::string>{"logical"});
}

TEST(Smoke, PostgresLogicalSlotDecodesACommittedInsertWithPgoutput) {
  ScratchDatabase database("smoke");
  PgSession session(database.name());
  session.exec(
      "CREATE TABLE events (id int PRIMARY KEY, body text NOT NULL);"
      "CREATE PUBLICATION smoke_pub FOR TABLE events;");
  session.exec("SELECT pg_create_logical_replication_slot('" + database.name() + "', 'pgoutput')");
  session.exec("INSERT INTO events VALUES (42, 'hello from the smoke test')");
  session.exec("BEGIN; INSERT INTO events VALUES (43, 'rolled back'); ROLLBACK;");

  const auto messages = session.binary_column(
      "SELECT data FROM pg_logical_slot_get_binary_changes('" + database.name() +
      "', NULL, NULL, 'proto_version', '1', 'publication_names', 'smoke_pub')");

  // pgoutput sends Begin, Relation, Insert, Commit for the committed transaction; the rolled-back
  // one never reaches the slot's consumer.
  std::string tags;
  bool saw_committed_row = false;
  for (const auto& message : messages) {
    ASSERT_FALSE(message.empty());
    tags += message[0];
    if (message[0] == 'I' && message.find("hello from the smoke test") != std::string::npos) {
      saw_committed_row = true;
    }
    EXPECT_THAT(message, Not(HasSubstr("rolled back")));
  }
  EXPECT_EQ(tags, "BRIC");
  EXPECT_TRUE(saw_committed_row);
}

}  // namespace
}  // namespace outbox::testing
