// The Kafka sink against the real broker of the `services` fixture: what it publishes comes back
// byte for byte, with its headers and timestamps, and in order per key.
#include "sinks/kafka_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/support/kafka_client.h"
#include "tests/integration/support/services.h"
#include "tests/unit/sinks/recording_handler.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Creates `topic` with `partitions` partitions through the admin API, so per-key order is
// tested across several partitions (the broker's auto-created topics have one).
void create_topic(const std::string& topic, int partitions) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_property(conf, "bootstrap.servers", services().kafka_bootstrap);
  KafkaPtr admin(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
  ASSERT_NE(admin, nullptr) << error;
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error, sizeof error);
  ASSERT_NE(new_topic, nullptr) << error;
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin.get());
  rd_kafka_CreateTopics(admin.get(), &new_topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 60'000);
  ASSERT_NE(event, nullptr) << "no CreateTopics result within 60 s";
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
  ASSERT_NE(result, nullptr);
  std::size_t count = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(result, &count);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(rd_kafka_topic_result_error(topics[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_topic_result_error_string(topics[0]);
  rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);
}

struct ConsumedRecord {
  std::int32_t partition;
  bool null_key;
  bool null_value;
  std::string key;
  std::string value;
  Headers headers;
  std::int64_t timestamp_ms;
};

std::vector<ConsumedRecord> consume(const std::string& topic, std::size_t expected) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_property(conf, "bootstrap.servers", services().kafka_bootstrap);
  set_property(conf, "group.id", topic + "_group");
  set_property(conf, "auto.offset.reset", "earliest");
  KafkaPtr consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  EXPECT_NE(consumer, nullptr) << error;
  if (consumer == nullptr) return {};
  rd_kafka_poll_set_consumer(consumer.get());
  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>
      subscription(rd_kafka_topic_partition_list_new(1), &rd_kafka_topic_partition_list_destroy);
  rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  EXPECT_EQ(rd_kafka_subscribe(consumer.get(), subscription.get()), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::vector<ConsumedRecord> records;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (records.size() < expected && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 500);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ConsumedRecord record{
          message->partition,
          message->key == nullptr,
          message->payload == nullptr,
          message->key ? std::string(static_cast<const char*>(message->key), message->key_len)
                       : std::string(),
          message->payload ? std::string(static_cast<const char*>(message->payload), message->len)
                           : std::string(),
          {},
          rd_kafka_message_timestamp(message, nullptr)};
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        std::size_t size;
        for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                                RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          record.headers.emplace_back(
              name, value ? std::string(static_cast<const char*>(value), size) : std::string());
        }
      }
      records.push_back(std::move(record));
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ADD_FAILURE() << "consumer error: " << rd_kafka_message_errstr(message);
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer.get());
  return records;
}

std::string key_of(int n) { return "aggregate-" + std::to_string(n % 17); }
std::string value_of(int n) {
  return R"({"n": )" + std::to_string(n) + R"(, "text": "a \"quoted\"\nline"})";
}
Headers headers_of(int n) {
  return {{"id", "00000000-0000-0000-0000-" + std::to_string(100'000'000'000 + n)},
          {"event_type", n % 2 ? "OrderPaid" : "OrderCreated"},
          {"aggregate_type", "Order"},
          {"created_at", "2026-01-02 03:04:05." + std::to_string(100'000 + n)}};
}

TEST(KafkaSinkIntegration, PublishesAThousandRecordsThatComeBackIntactAndInOrderPerKey) {
  const std::string topic = unique_name("sinks");
  create_topic(topic, 4);
  constexpr int kRecords = 1000;
  const std::int64_t base_timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();

  auto sink = make_kafka_sink({{"bootstrap.servers", services().kafka_bootstrap}});
  ASSERT_TRUE(sink.ok()) << sink.error().message();
  RecordingHandler handler;
  for (int n = 0; n < kRecords; ++n) {
    const std::string key = key_of(n);
    const std::string value = value_of(n);
    const Headers headers = headers_of(n);
    std::vector<RecordHeader> views;
    for (const auto& [name, text] : headers) views.push_back({name, text});
    const auto outcome = (*sink)->publish({topic, key, value, views, base_timestamp + n},
                                          static_cast<DeliveryTicket>(n));
    ASSERT_EQ(outcome.status, PublishStatus::kAccepted) << outcome.error;
    if (n % 100 == 0) (*sink)->poll_deliveries(handler);  // as the relay's loop would
  }
  // One record with an empty key and value: zero bytes on the wire, not null.
  ASSERT_EQ((*sink)->publish({topic, "", "", {}, base_timestamp}, kRecords).status,
            PublishStatus::kAccepted);

  ASSERT_TRUE(await_reports(**sink, handler, kRecords + 1, 60s))
      << handler.reports.size() << " of " << kRecords + 1 << " reports";
  EXPECT_EQ((*sink)->in_flight(), 0u);
  std::map<std::string, DeliveryTicket> last_ticket_of_key;
  for (const auto& report : handler.reports) {
    ASSERT_TRUE(report.delivered) << "ticket " << report.ticket << ": " << report.error;
    if (report.ticket == kRecords) continue;
    const int n = static_cast<int>(report.ticket);
    EXPECT_EQ(report.key, key_of(n));
    EXPECT_EQ(report.value, value_of(n));
    EXPECT_EQ(report.headers, headers_of(n));
    EXPECT_EQ(report.timestamp_ms, base_timestamp + n);
    auto [it, first] = last_ticket_of_key.emplace(report.key, report.ticket);
    if (!first) {
      EXPECT_GT(report.ticket, it->second) << "reports out of order for key " << report.key;
      it->second = report.ticket;
    }
  }

  const auto records = consume(topic, kRecords + 1);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kRecords + 1));
  std::map<std::string, int> last_of_key;
  std::map<std::string, std::int32_t> partition_of_key;
  std::vector<bool> seen(kRecords, false);
  bool saw_empty = false;
  for (const auto& record : records) {
    if (record.key.empty()) {
      saw_empty = true;
      EXPECT_FALSE(record.null_key) << "an empty key went out as a null key";
      EXPECT_FALSE(record.null_value) << "an empty value went out as a tombstone";
      EXPECT_EQ(record.value, "");
      continue;
    }
    // The value names its record: {"n": N, ...}.
    const int n = std::stoi(record.value.substr(6));
    ASSERT_GE(n, 0);
    ASSERT_LT(n, kRecords);
    EXPECT_FALSE(seen[static_cast<std::size_t>(n)]) << "record " << n << " twice";
    seen[static_cast<std::size_t>(n)] = true;
    EXPECT_EQ(record.key, key_of(n));
    EXPECT_EQ(record.value, value_of(n));
    EXPECT_EQ(record.headers, headers_of(n));
    EXPECT_EQ(record.timestamp_ms, base_timestamp + n);
    auto [last, first] = last_of_key.emplace(record.key, n);
    if (!first) {
      EXPECT_GT(n, last->second) << "key " << record.key << " out of order";
      last->second = n;
    }
    auto [partition, new_key] = partition_of_key.emplace(record.key, record.partition);
    EXPECT_EQ(partition->second, record.partition) << "key " << record.key << " in two partitions";
  }
  EXPECT_TRUE(saw_empty);
  std::set<std::int32_t> partitions;
  for (const auto& [key, partition] : partition_of_key) partitions.insert(partition);
  EXPECT_GT(partitions.size(), 1u) << "17 keys all landed in one of 4 partitions";
}

// librdkafka looks up a topic it has not seen before only at its topic scan, once a second from
// the producer's creation; the sink asks for the topic's metadata at its first record instead.
TEST(KafkaSinkIntegration, TheFirstRecordToATopicDoesNotWaitForLibrdkafkasTopicScan) {
  const std::string topic = unique_name("firstrecord");
  create_topic(topic, 3);
  // Without idempotence: a new broker may make the producer retry for its id, which is not what
  // this measures.
  auto sink = make_kafka_sink(
      {{"bootstrap.servers", services().kafka_bootstrap}, {"enable.idempotence", "false"}});
  ASSERT_TRUE(sink.ok()) << sink.error().message();
  ASSERT_TRUE((*sink)->probe(10s).ok());  // connected: what is left is the topic's lookup

  RecordingHandler handler;
  const auto published = std::chrono::steady_clock::now();
  ASSERT_EQ((*sink)->publish({topic, "k", "v", {}, 0}, 1).status, PublishStatus::kAccepted);
  ASSERT_TRUE(await_reports(**sink, handler, 1, 30s));
  const auto took = std::chrono::steady_clock::now() - published;

  EXPECT_TRUE(handler.reports[0].delivered) << handler.reports[0].error;
  EXPECT_LT(took, 500ms) << "delivered after "
                         << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                         << " ms";
}

TEST(KafkaSinkIntegration, ProbeSucceedsAgainstTheBroker) {
  auto sink = make_kafka_sink({{"bootstrap.servers", services().kafka_bootstrap}});
  ASSERT_TRUE(sink.ok()) << sink.error().message();
  const auto probed = (*sink)->probe(10s);
  EXPECT_TRUE(probed.ok()) << probed.error().message();
}

TEST(KafkaSinkIntegration, ProbeFailsWithinItsTimeoutNamingTheServersWhenNothingListens) {
  // A port on which nothing listens: bound once, then closed.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  ::close(fd);
  const std::string servers = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  auto sink = make_kafka_sink({{"bootstrap.servers", servers}});
  ASSERT_TRUE(sink.ok()) << sink.error().message();
  const auto start = std::chrono::steady_clock::now();
  const auto probed = (*sink)->probe(2s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(probed.ok());
  EXPECT_EQ(probed.error().code(), ErrorCode::kConnectionLost);
  EXPECT_THAT(probed.error().message(), HasSubstr(servers));
  EXPECT_LT(elapsed, 4s);
}

}  // namespace
}  // namespace outbox::testing
