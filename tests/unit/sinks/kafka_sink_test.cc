// The Kafka sink against librdkafka's built-in mock cluster: a broker inside the test process,
// whose faults (down, errors on chosen requests) the tests inject through rdkafka_mock.h.
#include "sinks/kafka_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/sinks/recording_handler.h"

namespace outbox {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;
using testing::await_reports;
using testing::RecordingHandler;
using Properties = std::map<std::string, std::string>;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Kafka protocol request types (ApiKey), for fault injection.
constexpr std::int16_t kProduceRequest = 0;
constexpr std::int16_t kInitProducerIdRequest = 22;

struct KafkaDeleter {
  void operator()(rd_kafka_t* kafka) const { rd_kafka_destroy(kafka); }
};

// A one-broker mock cluster. librdkafka hosts it on a client handle of its own, which does
// nothing else.
class MockCluster {
 public:
  MockCluster() {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
    host_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
    if (host_ == nullptr) ADD_FAILURE() << error;
    cluster_ = rd_kafka_mock_cluster_new(host_.get(), 1);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;
  ~MockCluster() { rd_kafka_mock_cluster_destroy(cluster_); }

  rd_kafka_mock_cluster_t* get() { return cluster_; }
  std::string bootstrap_servers() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

  void create_topic(const std::string& name, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  std::unique_ptr<rd_kafka_t, KafkaDeleter> host_;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// Everything written to stderr (the logs) while it lives.
class CapturedStderr {
 public:
  CapturedStderr() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
    std::fflush(stderr);
    ::dup2(::fileno(file_), STDERR_FILENO);
  }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;
  ~CapturedStderr() {
    restore();
    std::fclose(file_);
  }
  std::string text() {
    restore();
    std::string result;
    std::rewind(file_);
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_)) > 0;) {
      result.append(buffer, n);
    }
    return result;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_;
};

class KafkaSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { cluster_.create_topic(kTopic, 1); }

  std::unique_ptr<Sink> make_sink(Properties extra = {}) {
    extra.emplace("bootstrap.servers", cluster_.bootstrap_servers());
    auto sink = make_kafka_sink(extra);
    EXPECT_TRUE(sink.ok()) << sink.error().message();
    if (!sink.ok()) return nullptr;
    return std::move(sink).value();
  }

  // Publishes `count` records numbered from `first`, each with the ticket of its number.
  void publish_numbered(Sink& sink, int first, int count) {
    for (int n = first; n < first + count; ++n) {
      const std::string key = "order-" + std::to_string(n % 3);
      const std::string value = R"({"n":)" + std::to_string(n) + "}";
      const std::string id = "id-" + std::to_string(n);
      const RecordHeader headers[] = {{"id", id}, {"event_type", "OrderCreated"}};
      const auto outcome = sink.publish({kTopic, key, value, headers, kTimestamp + n},
                                        static_cast<DeliveryTicket>(n));
      ASSERT_EQ(outcome.status, PublishStatus::kAccepted) << outcome.error;
    }
  }

  void expect_numbered(const RecordingHandler& handler, int first, int count) {
    ASSERT_EQ(handler.reports.size(), static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      const auto& report = handler.reports[static_cast<std::size_t>(i)];
      const int n = first + i;
      EXPECT_EQ(report.ticket, static_cast<DeliveryTicket>(n)) << "reports out of publish order";
      EXPECT_TRUE(report.delivered) << report.error;
      EXPECT_EQ(report.topic, kTopic);
      EXPECT_EQ(report.key, "order-" + std::to_string(n % 3));
      EXPECT_EQ(report.value, R"({"n":)" + std::to_string(n) + "}");
      EXPECT_EQ(report.headers,
                (Headers{{"id", "id-" + std::to_string(n)}, {"event_type", "OrderCreated"}}));
      // As sent, although librdkafka's own is the broker's LogAppendTime when the broker returns
      // one (the mock broker always does: 1234).
      EXPECT_EQ(report.timestamp_ms, kTimestamp + n);
    }
  }

  static constexpr const char* kTopic = "order.events";
  static constexpr std::int64_t kTimestamp = 1'767'312'000'000;
  MockCluster cluster_;  // declared first: outlives every sink
};

TEST_F(KafkaSinkTest, ReportsDeliveriesThroughTheWakeupFdInPublishOrderWithTheRecordsIntact) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  ASSERT_GE(sink->wakeup_fd(), 0);
  publish_numbered(*sink, 0, 300);
  EXPECT_EQ(sink->in_flight(), 300u) << "nothing is reported before the caller polls";

  RecordingHandler handler;
  ASSERT_TRUE(await_reports(*sink, handler, 300, 30s)) << handler.reports.size() << " of 300";
  expect_numbered(handler, 0, 300);
  EXPECT_EQ(sink->in_flight(), 0u);
  EXPECT_FALSE(sink->fatal_error().has_value());
}

TEST_F(KafkaSinkTest, InFlightCountsAcceptedRecordsUntilTheirReportsAreServed) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  RecordingHandler handler;
  publish_numbered(*sink, 0, 10);
  EXPECT_EQ(sink->in_flight(), 10u);
  ASSERT_TRUE(await_reports(*sink, handler, 4, 30s));
  EXPECT_EQ(sink->in_flight(), 10u - handler.reports.size());
  EXPECT_TRUE(sink->drain(handler, 30s));
  EXPECT_EQ(sink->in_flight(), 0u);
  expect_numbered(handler, 0, 10);
}

TEST_F(KafkaSinkTest, KeysValuesAndHeaderValuesThatAreEmptyStayEmptyNotNull) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  const RecordHeader headers[] = {{"empty", std::string_view()}};
  ASSERT_EQ(sink->publish({kTopic, std::string_view(), std::string_view(), headers, 0}, 1).status,
            PublishStatus::kAccepted);
  RecordingHandler handler;
  ASSERT_TRUE(sink->drain(handler, 30s));
  ASSERT_EQ(handler.reports.size(), 1u);
  EXPECT_TRUE(handler.reports[0].delivered) << handler.reports[0].error;
  EXPECT_EQ(handler.reports[0].key, "");
  EXPECT_EQ(handler.reports[0].value, "");
  EXPECT_EQ(handler.reports[0].headers, (Headers{{"empty", ""}}));

  // Read back from the mock broker: a zero-length key and value, not null ones.
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", cluster_.bootstrap_servers().c_str(),
                              error, sizeof error),
            RD_KAFKA_CONF_OK);
  ASSERT_EQ(rd_kafka_conf_set(conf, "group.id", "reader", error, sizeof error), RD_KAFKA_CONF_OK);
  std::unique_ptr<rd_kafka_t, KafkaDeleter> consumer(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  ASSERT_NE(consumer, nullptr) << error;
  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>
      assignment(rd_kafka_topic_partition_list_new(1), &rd_kafka_topic_partition_list_destroy);
  rd_kafka_topic_partition_list_add(assignment.get(), kTopic, 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  ASSERT_EQ(rd_kafka_assign(consumer.get(), assignment.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  bool read = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!read && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 200);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      read = true;
      EXPECT_NE(message->key, nullptr) << "empty key sent as a null key";
      EXPECT_EQ(message->key_len, 0u);
      EXPECT_NE(message->payload, nullptr) << "empty value sent as a null value (a tombstone)";
      EXPECT_EQ(message->len, 0u);
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      rd_kafka_timestamp_type_t type;
      const std::int64_t timestamp = rd_kafka_message_timestamp(message, &type);
      EXPECT_EQ(type, RD_KAFKA_TIMESTAMP_CREATE_TIME);
      EXPECT_GT(timestamp, now - 60'000) << "a zero timestamp becomes the time of publish()";
      EXPECT_LE(timestamp, now);
      EXPECT_EQ(timestamp, handler.reports[0].timestamp_ms) << "the report says what was sent";
    }
    rd_kafka_message_destroy(message);
  }
  EXPECT_TRUE(read) << "the record never came back from the mock broker";
}

TEST_F(KafkaSinkTest, RejectsARecordLargerThanMessageMaxBytesNamingItsSize) {
  auto sink = make_sink({{"message.max.bytes", "10000"}});
  ASSERT_NE(sink, nullptr);
  const std::string large(20'000, 'x');
  const auto outcome = sink->publish({kTopic, "key", large, {}, 0}, 1);
  EXPECT_EQ(outcome.status, PublishStatus::kRejected);
  EXPECT_THAT(outcome.error, HasSubstr("\"order.events\""));
  EXPECT_THAT(outcome.error, HasSubstr("20003 bytes"));
  EXPECT_THAT(outcome.error, HasSubstr("message.max.bytes=10000"));
  EXPECT_EQ(sink->in_flight(), 0u);

  // The sink goes on: a record that fits is delivered.
  ASSERT_EQ(sink->publish({kTopic, "key", std::string(5'000, 'y'), {}, 0}, 2).status,
            PublishStatus::kAccepted);
  RecordingHandler handler;
  EXPECT_TRUE(sink->drain(handler, 30s));
  ASSERT_EQ(handler.reports.size(), 1u);
  EXPECT_TRUE(handler.reports[0].delivered);
}

TEST_F(KafkaSinkTest, TicketsMayRepeatAndEachRecordIsReportedOnceAsSent) {
  // The relay gives every event of a transaction the transaction's ticket.
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  for (int n = 0; n < 3; ++n) {
    ASSERT_EQ(sink->publish({kTopic, "k", std::to_string(n), {}, kTimestamp + n}, 77).status,
              PublishStatus::kAccepted);
  }
  EXPECT_EQ(sink->in_flight(), 3u);
  RecordingHandler handler;
  ASSERT_TRUE(sink->drain(handler, 30s));
  ASSERT_EQ(handler.reports.size(), 3u);
  for (int n = 0; n < 3; ++n) {
    const auto& report = handler.reports[static_cast<std::size_t>(n)];
    EXPECT_EQ(report.ticket, 77u);
    EXPECT_TRUE(report.delivered) << report.error;
    EXPECT_EQ(report.value, std::to_string(n));
    EXPECT_EQ(report.timestamp_ms, kTimestamp + n);
  }
}

TEST_F(KafkaSinkTest, RejectsAnInvalidTopicName) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->publish({"", "k", "v", {}, 0}, 1).status, PublishStatus::kRejected);
  EXPECT_EQ(sink->publish({std::string_view("a\0b", 3), "k", "v", {}, 0}, 2).status,
            PublishStatus::kRejected);
  const auto outcome = sink->publish({std::string(600, 't'), "k", "v", {}, 0}, 3);
  EXPECT_EQ(outcome.status, PublishStatus::kRejected);
  EXPECT_THAT(outcome.error, HasSubstr("Invalid argument"));
  EXPECT_EQ(sink->in_flight(), 0u);
}

TEST_F(KafkaSinkTest, AnInvalidPropertyIsAnErrorNamingIt) {
  auto sink =
      make_kafka_sink({{"bootstrap.servers", cluster_.bootstrap_servers()}, {"linger.ms", "soon"}});
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_THAT(sink.error().message(), HasSubstr("\"linger.ms\""));
}

TEST_F(KafkaSinkTest, ARefusedCombinationIsAnErrorQuotingLibrdkafka) {
  auto sink = make_kafka_sink({{"bootstrap.servers", cluster_.bootstrap_servers()},
                               {"enable.idempotence", "true"},
                               {"max.in.flight.requests.per.connection", "10"}});
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_THAT(sink.error().message(), HasSubstr("`max.in.flight` must be set <= 5"));
}

TEST_F(KafkaSinkTest, OverridingAcksWorksButWarns) {
  CapturedStderr captured;
  auto sink = make_sink({{"acks", "1"}, {"enable.idempotence", "false"}});
  ASSERT_NE(sink, nullptr);
  publish_numbered(*sink, 0, 5);
  RecordingHandler handler;
  EXPECT_TRUE(sink->drain(handler, 30s));
  expect_numbered(handler, 0, 5);
  sink.reset();
  const std::string logs = captured.text();
  EXPECT_THAT(logs, HasSubstr("warn kafka: acks=1 overrides the relay's default acks=all"));
  EXPECT_THAT(logs, HasSubstr("warn kafka: enable.idempotence=false overrides"));
}

TEST_F(KafkaSinkTest, QueueFullWhenLibrdkafkasQueueIsFullThenAcceptsAgainOnceServed) {
  auto sink = make_sink({{"queue.buffering.max.messages", "5"}});
  ASSERT_NE(sink, nullptr);
  rd_kafka_mock_broker_set_down(cluster_.get(), 1);
  publish_numbered(*sink, 0, 5);
  const auto outcome = sink->publish({kTopic, "k", "v", {}, 0}, 99);
  EXPECT_EQ(outcome.status, PublishStatus::kQueueFull);
  EXPECT_THAT(outcome.error, HasSubstr("queue.buffering.max.messages"));
  EXPECT_EQ(sink->in_flight(), 5u);

  RecordingHandler handler;
  EXPECT_FALSE(sink->drain(handler, 200ms)) << "delivered while the broker is down";
  rd_kafka_mock_broker_set_up(cluster_.get(), 1);
  ASSERT_TRUE(sink->drain(handler, 30s));
  expect_numbered(handler, 0, 5);

  publish_numbered(*sink, 5, 5);
  RecordingHandler more;
  ASSERT_TRUE(sink->drain(more, 30s));
  expect_numbered(more, 5, 5);
}

TEST_F(KafkaSinkTest, ARecordLargerThanTheWholeQueueIsRejectedNotQueueFull) {
  auto sink = make_sink({{"queue.buffering.max.kbytes", "1"}});
  ASSERT_NE(sink, nullptr);
  const std::string large(4096, 'x');
  const auto outcome = sink->publish({kTopic, "k", large, {}, 0}, 1);
  EXPECT_EQ(outcome.status, PublishStatus::kRejected)
      << "waiting frees no room: nothing else is queued";
  EXPECT_THAT(outcome.error, HasSubstr("queue.buffering.max.kbytes"));
  EXPECT_EQ(sink->in_flight(), 0u);
  // A record that fits still goes through.
  publish_numbered(*sink, 0, 1);
  RecordingHandler handler;
  ASSERT_TRUE(sink->drain(handler, 30s));
  expect_numbered(handler, 0, 1);
}

TEST_F(KafkaSinkTest, DrainGivesUpAtItsTimeoutWhileTheBrokerIsDownAndNothingIsLost) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  rd_kafka_mock_broker_set_down(cluster_.get(), 1);
  publish_numbered(*sink, 0, 20);

  RecordingHandler handler;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sink->drain(handler, 500ms));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 500ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_TRUE(handler.reports.empty()) << "message.timeout.ms=0: records wait, they do not fail";
  EXPECT_EQ(sink->in_flight(), 20u);

  rd_kafka_mock_broker_set_up(cluster_.get(), 1);
  ASSERT_TRUE(sink->drain(handler, 30s));
  expect_numbered(handler, 0, 20);
}

TEST_F(KafkaSinkTest, RetriedProduceRequestsStillReportInPublishOrder) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  RecordingHandler handler;
  // Connect and acquire the producer id first, so the errors hit produce requests carrying data.
  publish_numbered(*sink, 0, 1);
  ASSERT_TRUE(sink->drain(handler, 30s));

  ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(
                cluster_.get(), 1, kProduceRequest, 4, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 0,
                RD_KAFKA_RESP_ERR__TRANSPORT, 0,  // the broker disconnects
                RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, 0,
                RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  publish_numbered(*sink, 1, 200);
  ASSERT_TRUE(await_reports(*sink, handler, 201, 60s)) << handler.reports.size() << " of 201";
  expect_numbered(handler, 0, 201);
  EXPECT_EQ(sink->in_flight(), 0u);
  std::size_t errors_left = 99;
  ASSERT_EQ(rd_kafka_mock_broker_error_stack_cnt(cluster_.get(), 1, kProduceRequest, &errors_left),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(errors_left, 0u) << "the injected errors were never hit";
  EXPECT_FALSE(sink->fatal_error().has_value());
}

TEST_F(KafkaSinkTest, ARecordTheBrokerRefusesAsTooLargeIsReportedAsTheRecordsOwnFailure) {
  rd_kafka_mock_push_request_errors(cluster_.get(), kProduceRequest, 1,
                                    RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  publish_numbered(*sink, 0, 1);
  RecordingHandler handler;
  ASSERT_TRUE(await_reports(*sink, handler, 1, 30s));
  EXPECT_FALSE(handler.reports[0].delivered);
  EXPECT_EQ(handler.reports[0].failure, DeliveryFailure::kRecord) << handler.reports[0].error;
}

TEST_F(KafkaSinkTest, APermanentProduceErrorIsReportedAsNotDeliveredWithTheRecordAsSent) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  RecordingHandler handler;
  publish_numbered(*sink, 0, 1);
  ASSERT_TRUE(sink->drain(handler, 30s));

  rd_kafka_mock_push_request_errors(cluster_.get(), kProduceRequest, 1,
                                    RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  publish_numbered(*sink, 1, 1);
  ASSERT_TRUE(await_reports(*sink, handler, 2, 30s));
  const auto& failed = handler.reports[1];
  EXPECT_EQ(failed.ticket, 1u);
  EXPECT_FALSE(failed.delivered);
  EXPECT_THAT(failed.error, HasSubstr("Broker: Message size too large"));
  // The failed record comes back as it was sent, for a dead-letter topic.
  EXPECT_EQ(failed.topic, kTopic);
  EXPECT_EQ(failed.key, "order-1");
  EXPECT_EQ(failed.value, R"({"n":1})");
  EXPECT_EQ(failed.headers, (Headers{{"id", "id-1"}, {"event_type", "OrderCreated"}}));
  EXPECT_EQ(failed.timestamp_ms, kTimestamp + 1);
  EXPECT_EQ(sink->in_flight(), 0u);

  // Not fatal: the next record goes through.
  publish_numbered(*sink, 2, 1);
  ASSERT_TRUE(await_reports(*sink, handler, 3, 30s));
  EXPECT_TRUE(handler.reports[2].delivered) << handler.reports[2].error;
  EXPECT_FALSE(sink->fatal_error().has_value());
}

TEST_F(KafkaSinkTest, AfterATopicAuthorizationFailurePublishingToThatTopicIsRejected) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  RecordingHandler handler;
  publish_numbered(*sink, 0, 1);
  ASSERT_TRUE(sink->drain(handler, 30s));

  rd_kafka_mock_push_request_errors(cluster_.get(), kProduceRequest, 1,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  publish_numbered(*sink, 1, 1);
  ASSERT_TRUE(await_reports(*sink, handler, 2, 30s));
  EXPECT_FALSE(handler.reports[1].delivered);
  EXPECT_THAT(handler.reports[1].error, HasSubstr("Topic authorization failed"));

  // librdkafka marks the topic failed until its next metadata refresh: publish() says so at once.
  const auto outcome = sink->publish({kTopic, "k", "v", {}, 0}, 3);
  EXPECT_EQ(outcome.status, PublishStatus::kRejected);
  EXPECT_THAT(outcome.error, HasSubstr("Topic authorization failed"));

  // Other topics are not affected, and the producer is not failed.
  cluster_.create_topic("payment.events", 1);
  ASSERT_EQ(sink->publish({"payment.events", "k", "v", {}, 0}, 4).status, PublishStatus::kAccepted);
  ASSERT_TRUE(await_reports(*sink, handler, 3, 30s));
  EXPECT_EQ(handler.reports[2].ticket, 4u);
  EXPECT_TRUE(handler.reports[2].delivered) << handler.reports[2].error;
  EXPECT_FALSE(sink->fatal_error().has_value());
}

TEST_F(KafkaSinkTest, AFatalProducerErrorMakesPublishReturnFatalWithTheReason) {
  // An idempotent producer that is refused a producer id cannot go on.
  rd_kafka_mock_push_request_errors(cluster_.get(), kInitProducerIdRequest, 1,
                                    RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
  CapturedStderr captured;
  // The broker is down until a record is queued, so the record is accepted before the refusal.
  rd_kafka_mock_broker_set_down(cluster_.get(), 1);
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  publish_numbered(*sink, 0, 1);
  rd_kafka_mock_broker_set_up(cluster_.get(), 1);

  RecordingHandler handler;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!sink->fatal_error() && std::chrono::steady_clock::now() < deadline) {
    pollfd wakeup{sink->wakeup_fd(), POLLIN, 0};
    ::poll(&wakeup, 1, 100);
    sink->poll_deliveries(handler);
  }
  ASSERT_TRUE(sink->fatal_error().has_value()) << "no fatal error within 30 s";
  EXPECT_THAT(*sink->fatal_error(), HasSubstr("Cluster authorization failed"))
      << *sink->fatal_error();

  const auto outcome = sink->publish({kTopic, "k", "v", {}, 0}, 2);
  EXPECT_EQ(outcome.status, PublishStatus::kFatal);
  EXPECT_EQ(outcome.error, *sink->fatal_error());

  // The record accepted before is reported failed, never delivered.
  EXPECT_TRUE(sink->drain(handler, 10s));
  ASSERT_EQ(handler.reports.size(), 1u);
  EXPECT_FALSE(handler.reports[0].delivered);
  EXPECT_THAT(handler.reports[0].error, HasSubstr("Purged in queue"));
  EXPECT_THAT(handler.reports[0].error, HasSubstr("Cluster authorization failed"))
      << "a purged record's report says why: " << handler.reports[0].error;
  EXPECT_EQ(handler.reports[0].failure, DeliveryFailure::kAbandoned)
      << "a purged record is not the event's own failure";
  sink.reset();
  const std::string logs = captured.text();
  EXPECT_THAT(logs, HasSubstr("error kafka: the Kafka producer failed fatally"));
}

TEST_F(KafkaSinkTest, ProbeSucceedsAgainstALiveCluster) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  const auto probed = sink->probe(10s);
  EXPECT_TRUE(probed.ok()) << probed.error().message();
}

// A TCP port on which nothing listens: bound once, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(KafkaSinkProbe, FailsWithinItsTimeoutNamingTheServersWhenNoBrokerAnswers) {
  const std::string servers = "127.0.0.1:" + std::to_string(closed_port());
  CapturedStderr captured;  // librdkafka logs the refused connections
  auto sink = make_kafka_sink({{"bootstrap.servers", servers}});
  ASSERT_TRUE(sink.ok()) << sink.error().message();

  const auto start = std::chrono::steady_clock::now();
  const auto probed = (*sink)->probe(1s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(probed.ok());
  EXPECT_EQ(probed.error().code(), ErrorCode::kConnectionLost);
  EXPECT_THAT(probed.error().message(), HasSubstr(servers));
  EXPECT_LT(elapsed, 3s);

  // Destroying a producer that never reached a broker, with a record queued, is quick too.
  ASSERT_EQ((*sink)->publish({"t", "k", "v", {}, 0}, 1).status, PublishStatus::kAccepted);
  const auto destroy_start = std::chrono::steady_clock::now();
  sink = Error(ErrorCode::kConnectionLost, "dropped");
  EXPECT_LT(std::chrono::steady_clock::now() - destroy_start, 5s);
}

TEST_F(KafkaSinkTest, DestroyingWithRecordsInFlightIsQuick) {
  auto sink = make_sink();
  ASSERT_NE(sink, nullptr);
  RecordingHandler handler;
  publish_numbered(*sink, 0, 1);
  ASSERT_TRUE(sink->drain(handler, 30s));
  rd_kafka_mock_broker_set_down(cluster_.get(), 1);
  publish_numbered(*sink, 1, 100);
  const auto start = std::chrono::steady_clock::now();
  sink.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(KafkaSinkMockProperty, WorksWithLibrdkafkasTestMockNumBrokers) {
  auto sink = make_kafka_sink({{"test.mock.num.brokers", "1"}});
  ASSERT_TRUE(sink.ok()) << sink.error().message();
  const RecordHeader headers[] = {{"id", "1"}};
  ASSERT_EQ((*sink)->publish({"mocked", "k", "v", headers, 42}, 7).status,
            PublishStatus::kAccepted);
  RecordingHandler handler;
  ASSERT_TRUE(await_reports(**sink, handler, 1, 30s));
  EXPECT_EQ(handler.reports[0].ticket, 7u);
  EXPECT_TRUE(handler.reports[0].delivered) << handler.reports[0].error;
  EXPECT_EQ(handler.reports[0].headers, (Headers{{"id", "1"}}));
  EXPECT_EQ(handler.reports[0].timestamp_ms, 42);
  EXPECT_TRUE((*sink)->probe(10s).ok());
}

}  // namespace
}  // namespace outbox
