// What operators watch: /metrics, /healthz and /readyz of a running relay.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <optional>

#include "tests/integration/support/http.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/private_relay.h"
#include "tests/integration/support/private_services.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/temp_file.h"
#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;

// The value of the sample `series` (name plus labels exactly as exposed); nullopt when absent.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n')
      return std::strtod(text.c_str() + pos + series.size() + 1, nullptr);
    pos += series.size();
  }
  return std::nullopt;
}

TEST(RelayMetrics, CountersAndTheHistogramMoveWithEventsAndLagReturnsToZeroWhenIdle) {
  RelayFixture fixture("metrics");
  const int port = free_tcp_port();
  auto relay = fixture.start_relay(fixture.config_file(),
                                   {"--set", "metrics.listen=127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(wait_until([&] { return http_get(port, "/readyz").status == 200; }, 30s))
      << http_get(port, "/readyz").body << relay->err();
  EXPECT_EQ(http_get(port, "/healthz").status, 200);

  const auto before = http_get(port, "/metrics");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(sample(before.body, "outbox_relay_streaming"), 1.0);
  EXPECT_EQ(sample(before.body, "outbox_relay_build_info{version=\"0.1.0\"}"), 1.0) << before.body;

  constexpr int kEvents = 60;
  for (int i = 0; i < kEvents; ++i) {
    fixture.insert_event(event_id(i), i % 3 == 0 ? "Payment" : "Order",
                         "agg-" + std::to_string(i % 5), "Happened",
                         "{\"n\": " + std::to_string(i) + "}");
  }
  ASSERT_EQ(read_topics({fixture.topic("order"), fixture.topic("payment")}, kEvents).size(),
            static_cast<std::size_t>(kEvents));

  std::string text;
  ASSERT_TRUE(wait_until(
      [&] {
        text = http_get(port, "/metrics").body;
        return sample(text, "outbox_relay_replication_lag_seconds") == 0.0 &&
               sample(text, "outbox_relay_commit_to_ack_seconds_count") == kEvents &&
               sample(text, "outbox_relay_replication_lag_bytes") == 0.0;
      },
      30s))
      << text;
  EXPECT_EQ(
      sample(text, "outbox_relay_events_published_total{topic=\"" + fixture.topic("order") + "\"}"),
      40.0);
  EXPECT_EQ(sample(text, "outbox_relay_events_published_total{topic=\"" + fixture.topic("payment") +
                             "\"}"),
            20.0);
  EXPECT_EQ(sample(text, "outbox_relay_inflight_events"), 0.0);
  EXPECT_GT(sample(text, "outbox_relay_confirmed_lsn").value_or(0), 0.0);
  EXPECT_GE(sample(text, "outbox_relay_received_lsn").value_or(0),
            sample(text, "outbox_relay_confirmed_lsn").value_or(1) - 1e9);
  EXPECT_EQ(sample(text, "outbox_relay_events_failed_total{reason=\"unroutable\"}"), 0.0);
  EXPECT_GT(sample(text, "outbox_relay_commit_to_ack_seconds_sum").value_or(-1), 0.0);
  EXPECT_EQ(sample(text, "outbox_relay_commit_to_ack_seconds_bucket{le=\"+Inf\"}"), kEvents);

  // promtool, Prometheus' own linter, finds nothing to complain about.
  const std::string path = write_temp_file("metrics.txt", text);
  std::string lint;
  const int status = run_shell("promtool check metrics < " + path, &lint, 60);
  EXPECT_EQ(status, 0) << lint;
  EXPECT_EQ(lint, "") << lint;

  relay->signal(SIGTERM);
  const auto exited = relay->wait(60s);
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(*exited, 0) << relay->err();
}

TEST(RelayMetrics, ReadinessFollowsKafkaAndPostgresWhileHealthStaysUp) {
  PrivateServices services("health");
  ASSERT_TRUE(services.ok());
  PrivateRelay setup(services, "health");
  const int port = free_tcp_port();
  RelayProcess relay({"run", "--config", setup.config_file(), "--set",
                      "metrics.listen=127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(relay.wait_for_log("streaming", 60s)) << relay.err();
  ASSERT_TRUE(wait_until([&] { return http_get(port, "/readyz").status == 200; }, 30s))
      << http_get(port, "/readyz").body;

  ASSERT_TRUE(services.stop_kafka());
  EXPECT_TRUE(wait_until([&] { return http_get(port, "/readyz").status == 503; }, 30s));
  EXPECT_THAT(http_get(port, "/readyz").body, HasSubstr("Kafka"));
  EXPECT_EQ(http_get(port, "/healthz").status, 200);
  ASSERT_TRUE(services.start_kafka());
  EXPECT_TRUE(wait_until([&] { return http_get(port, "/readyz").status == 200; }, 60s))
      << http_get(port, "/readyz").body;

  ASSERT_TRUE(services.stop_postgres());
  EXPECT_TRUE(wait_until([&] { return http_get(port, "/readyz").status == 503; }, 30s));
  EXPECT_THAT(http_get(port, "/readyz").body, HasSubstr("not streaming"));
  // Waiting to reconnect is alive, not dead: a restart by the supervisor would not help.
  EXPECT_EQ(http_get(port, "/healthz").status, 200);
  EXPECT_TRUE(relay.running());
  ASSERT_TRUE(services.start_postgres());
  EXPECT_TRUE(wait_until([&] { return http_get(port, "/readyz").status == 200; }, 90s))
      << http_get(port, "/readyz").body << relay.err();
  const auto metrics = http_get(port, "/metrics").body;
  EXPECT_GE(sample(metrics, "outbox_relay_reconnects_total{target=\"postgres\"}").value_or(0), 1.0);
  EXPECT_GE(sample(metrics, "outbox_relay_reconnects_total{target=\"kafka\"}").value_or(0), 1.0);

  relay.signal(SIGTERM);
  const auto exited = relay.wait(60s);
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(*exited, 0) << relay.err();
}

}  // namespace
}  // namespace outbox::testing
