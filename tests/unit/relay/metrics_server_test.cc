#include "relay/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "tests/integration/support/http.h"

namespace outbox {
namespace {

using namespace std::chrono_literals;
using testing::http_get;

// A clock the test moves by hand; read from the server's HTTP threads too.
class ManualClock {
 public:
  MetricsServer::Clock function() {
    return [this] {
      return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ticks_));
    };
  }
  void advance(std::chrono::steady_clock::duration by) { ticks_ += by.count(); }

 private:
  // Far from zero, like a real steady_clock.
  std::atomic<std::chrono::steady_clock::rep> ticks_{
      std::chrono::steady_clock::duration(std::chrono::hours(1000)).count()};
};

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = MetricsServer::start("127.0.0.1:0", "1.2.3-test", clock_.function());
    ASSERT_TRUE(started.ok()) << started.error().message();
    server_ = std::move(started).value();
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }

  testing::HttpResponse get(const std::string& path) { return http_get(port_, path); }

  // A Kafka check that counts its calls and answers what `kafka_answers_` says.
  void install_kafka_check() {
    server_->set_kafka_check([this]() -> Result<void> {
      ++kafka_checks_;
      if (kafka_answers_) return {};
      return Error{ErrorCode::kConnectionLost, "broker 127.0.0.1:1 refused the connection"};
    });
  }

  ManualClock clock_;
  std::unique_ptr<MetricsServer> server_;
  int port_ = 0;
  std::atomic<int> kafka_checks_{0};
  std::atomic<bool> kafka_answers_{true};
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Each of `lines` is a whole line of `body`.
void expect_lines(const std::string& body, std::initializer_list<const char*> lines) {
  for (const char* line : lines) {
    EXPECT_TRUE(contains("\n" + body, "\n" + std::string(line) + "\n"))
        << "missing: " << line << "\n"
        << body;
  }
}

TEST_F(MetricsServerTest, ServesPrometheusTextWithTheBuildVersion) {
  const auto response = get("/metrics");
  EXPECT_EQ(response.status, 200);
  expect_lines(response.body,
               {"# TYPE outbox_relay_events_failed_total counter",
                "outbox_relay_build_info{version=\"1.2.3-test\"} 1", "outbox_relay_streaming 0"});
}

TEST_F(MetricsServerTest, CountsWhatTheProbeIsToldByTopicReasonAndTarget) {
  server_->event_published("order.events");
  server_->event_published("order.events");
  server_->event_published("payment.events");
  server_->event_failed(FailureReason::kUnroutable);
  for (int i = 0; i < 3; ++i) server_->event_failed(FailureReason::kRejected);
  server_->event_failed(FailureReason::kDeliveryFailed);
  server_->event_failed(FailureReason::kDeliveryFailed);
  server_->event_dead_lettered();
  server_->event_skipped();
  server_->reconnect(ReconnectTarget::kPostgres);
  server_->reconnect(ReconnectTarget::kKafka);
  server_->reconnect(ReconnectTarget::kKafka);
  server_->pipeline_restart();
  server_->slot_recreated();
  expect_lines(get("/metrics").body,
               {
                   "outbox_relay_events_published_total{topic=\"order.events\"} 2",
                   "outbox_relay_events_published_total{topic=\"payment.events\"} 1",
                   "outbox_relay_events_failed_total{reason=\"unroutable\"} 1",
                   "outbox_relay_events_failed_total{reason=\"rejected\"} 3",
                   "outbox_relay_events_failed_total{reason=\"delivery_failed\"} 2",
                   "outbox_relay_events_failed_total{reason=\"dead_letter_failed\"} 0",
                   "outbox_relay_events_dead_lettered_total 1",
                   "outbox_relay_events_skipped_total 1",
                   "outbox_relay_reconnects_total{target=\"postgres\"} 1",
                   "outbox_relay_reconnects_total{target=\"kafka\"} 2",
                   "outbox_relay_pipeline_restarts_total 1",
                   "outbox_relay_slot_recreated_total 1",
               });
}

TEST_F(MetricsServerTest, ShowsPositionsLagInFlightEventsAndBackpressure) {
  server_->positions(Lsn{1000}, Lsn{800}, Lsn{1500});
  server_->lag(2.5s);
  server_->in_flight(17);
  server_->backpressure(1.5s);
  server_->commit_to_ack(20ms);
  server_->commit_to_ack(-5ms);  // a clock step back counts as 0, not as negative time
  expect_lines(get("/metrics").body,
               {
                   "outbox_relay_received_lsn 1000",
                   "outbox_relay_confirmed_lsn 800",
                   "outbox_relay_server_lsn 1500",
                   "outbox_relay_replication_lag_bytes 700",
                   "outbox_relay_replication_lag_seconds 2.5",
                   "outbox_relay_inflight_events 17",
                   "outbox_relay_backpressure_seconds_total 1.5",
                   "outbox_relay_commit_to_ack_seconds_count 2",
                   "outbox_relay_commit_to_ack_seconds_bucket{le=\"0.005\"} 1",
                   "outbox_relay_commit_to_ack_seconds_bucket{le=\"0.025\"} 2",
               });
}

TEST_F(MetricsServerTest, IsHealthyWhileTheLoopBeats) {
  const auto response = get("/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
  clock_.advance(60s);
  EXPECT_EQ(get("/healthz").status, 200) << "60 s of silence is still healthy";
}

TEST_F(MetricsServerTest, IsUnhealthyAfterAMinuteWithoutAHeartbeatAndHealthyAgainAfterOne) {
  clock_.advance(61s);
  const auto stale = get("/healthz");
  EXPECT_EQ(stale.status, 503);
  EXPECT_EQ(stale.body, "the relay's loop has not run for 61 s\n");
  server_->heartbeat();
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(MetricsServerTest, IsNotReadyUntilStreaming) {
  install_kafka_check();
  const auto response = get("/readyz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "not streaming from PostgreSQL\n");
  EXPECT_EQ(kafka_checks_, 0) << "Kafka is not asked while not streaming";
  server_->streaming(true);
  EXPECT_EQ(get("/readyz").status, 200);
  expect_lines(get("/metrics").body, {"outbox_relay_streaming 1"});
  server_->streaming(false);
  EXPECT_EQ(get("/readyz").status, 503);
}

TEST_F(MetricsServerTest, IsReadyAsAStandbyWhileKafkaAnswersAndCountsLeadershipChanges) {
  install_kafka_check();
  expect_lines(get("/metrics").body, {"outbox_relay_leader 0", "outbox_relay_standby 0",
                                      "outbox_relay_leadership_changes_total 0"});
  server_->role(RelayRole::kStandby);
  server_->standby_waited(std::chrono::milliseconds(1500));
  server_->standby_waited(std::chrono::milliseconds(500));
  expect_lines(get("/metrics").body, {"outbox_relay_standby_seconds_total 2"});
  auto response = get("/readyz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok: standby, waiting for leadership\n");
  expect_lines(get("/metrics").body, {"outbox_relay_leader 0", "outbox_relay_standby 1"});
  kafka_answers_ = false;
  install_kafka_check();  // asked again at once
  EXPECT_EQ(get("/readyz").status, 503) << "a standby whose Kafka is unreachable is not ready";

  server_->role(RelayRole::kLeader);
  server_->role(RelayRole::kLeader);  // the same role again is no change
  expect_lines(get("/metrics").body, {"outbox_relay_leader 1", "outbox_relay_standby 0",
                                      "outbox_relay_leadership_changes_total 1"});
  server_->role(RelayRole::kUnelected);
  EXPECT_EQ(get("/readyz").status, 503) << "neither streaming nor a standby";
  server_->role(RelayRole::kLeader);
  expect_lines(get("/metrics").body,
               {"outbox_relay_leader 1", "outbox_relay_leadership_changes_total 2"});
}

TEST_F(MetricsServerTest, IsNotReadyWithoutAKafkaCheck) {
  server_->streaming(true);
  const auto response = get("/readyz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "no Kafka producer\n");
  install_kafka_check();
  EXPECT_EQ(get("/readyz").status, 200);
  server_->set_kafka_check(nullptr);
  EXPECT_EQ(get("/readyz").body, "no Kafka producer\n");
}

TEST_F(MetricsServerTest, IsReadyWhenStreamingAndKafkaAnswers) {
  server_->streaming(true);
  install_kafka_check();
  const auto response = get("/readyz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
  EXPECT_EQ(kafka_checks_, 1);
}

TEST_F(MetricsServerTest, IsNotReadyWhenKafkaDoesNotAnswerAndSaysWhy) {
  server_->streaming(true);
  kafka_answers_ = false;
  install_kafka_check();
  const auto response = get("/readyz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "Kafka unreachable: broker 127.0.0.1:1 refused the connection\n");
}

TEST_F(MetricsServerTest, AsksKafkaAtMostEveryFiveSeconds) {
  server_->streaming(true);
  kafka_answers_ = false;
  install_kafka_check();
  EXPECT_EQ(get("/readyz").status, 503);
  kafka_answers_ = true;
  clock_.advance(4999ms);
  EXPECT_EQ(get("/readyz").status, 503) << "the last answer holds for 5 s";
  EXPECT_EQ(kafka_checks_, 1);
  clock_.advance(1ms);
  EXPECT_EQ(get("/readyz").status, 200);
  EXPECT_EQ(kafka_checks_, 2);
}

TEST_F(MetricsServerTest, AsksANewKafkaCheckAtOnce) {
  server_->streaming(true);
  kafka_answers_ = false;
  install_kafka_check();
  EXPECT_EQ(get("/readyz").status, 503);
  kafka_answers_ = true;
  install_kafka_check();  // a new producer: its answer, not the old one's
  EXPECT_EQ(get("/readyz").status, 200);
  EXPECT_EQ(kafka_checks_, 2);
}

TEST_F(MetricsServerTest, AnswersNotFoundForOtherPaths) {
  EXPECT_EQ(get("/nothing-here").status, 404);
}

TEST(MetricsServerStart, RefusesAnAddressAlreadyInUseAndSaysWhich) {
  const int blocker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(blocker, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(blocker, 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(blocker, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string listen = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  const auto started = MetricsServer::start(listen, "1.2.3-test");
  ::close(blocker);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_TRUE(contains(started.error().message(), "metrics.listen: cannot listen on " + listen))
      << started.error().message();
}

// civetweb's listener looks at its stop flag only between polls that time out every 2 s; a stop
// that waited for the poll would hold up every exit of the relay, a second signal's too.
TEST(MetricsServerStop, ReturnsWithoutWaitingForTheListenersPoll) {
  for (const std::string listen : {"127.0.0.1:0", "0.0.0.0:0"}) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto started = MetricsServer::start(listen, "1.2.3-test");
      ASSERT_TRUE(started.ok()) << listen << ": " << started.error().message();
      auto server = std::move(started).value();
      // Served once: the listener is in its poll loop.
      ASSERT_EQ(testing::http_get(server->port(), "/healthz").status, 200) << listen;
      const auto stop_began = std::chrono::steady_clock::now();
      server.reset();
      const auto took = std::chrono::steady_clock::now() - stop_began;
      EXPECT_LT(took, std::chrono::milliseconds(500))
          << listen << ": the stop took "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    }
  }
}

}  // namespace
}  // namespace outbox
