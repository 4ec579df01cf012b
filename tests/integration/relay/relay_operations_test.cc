// What an operator and systemd see of a running relay: READY=1 once it streams (or once it is
// retrying on its own), STOPPING=1 and watchdog pings throughout a bounded stop, a second signal
// that stops at once, SIGHUP that does not kill it, exit status 3 for a stop that needs an
// operator, and events the broker or the producer refuse as such (too large, too old, larger
// than the producer's whole queue) following on_permanent_error instead of stalling the relay.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/http.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/notify_socket.h"
#include "tests/integration/support/record_headers.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/wait_until.h"
#include "tests/integration/support/workload.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One outbox row of type Order in its own transaction; `payload` is an SQL expression.
void insert_row(RelayFixture& fixture, long n, const std::string& payload) {
  fixture.sql().exec(
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload) VALUES "
      "('" +
      event_id(n) + "', 'Order', 'order-" + std::to_string(n) + "', 'Happened', " + payload + ")");
}

std::string small_payload(long n) { return "'{\"n\": " + std::to_string(n) + "}'"; }

// A JSON payload of about `bytes` bytes.
std::string payload_of_size(int bytes) {
  return "jsonb_build_object('blob', repeat('x', " + std::to_string(bytes) + "))";
}

// SIGTERM, then exit 0 within a bound.
void stop_cleanly(RelayProcess& relay) {
  relay.signal(SIGTERM);
  const auto status = relay.wait(30s);
  ASSERT_TRUE(status.has_value()) << "no exit within 30 s of SIGTERM\n" << relay.err();
  EXPECT_EQ(*status, 0) << relay.err();
}

// The value of the unlabelled sample `name` on the relay's /metrics; nullopt when absent.
std::optional<double> metric(int port, const std::string& name) {
  std::istringstream lines(http_get(port, "/metrics").body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::strtod(line.c_str() + name.size() + 1, nullptr);
  }
  return std::nullopt;
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------------------------------------
// systemd notifications.

TEST(RelayOperations, SendsReadyToSystemdOnceStreaming) {
  RelayFixture fixture("ready");
  NotifySocket systemd;
  auto relay = start_streaming_relay(fixture.config_file(), {}, {systemd.environment()});

  const auto ready = systemd.wait_for("READY=1", 15s);
  ASSERT_TRUE(ready.has_value()) << "no READY=1 within 15 s of streaming\n"
                                 << systemd.transcript() << relay->err();
  EXPECT_TRUE(ready->value("STATUS").has_value()) << "READY=1 comes with a STATUS= line\n"
                                                  << systemd.transcript();
  EXPECT_TRUE(relay->running()) << relay->err();

  const auto sent = Clock::now();
  relay->signal(SIGTERM);
  const auto stopping = systemd.wait_for("STOPPING=1", 10s);
  ASSERT_TRUE(stopping.has_value()) << "no STOPPING=1 within 10 s of SIGTERM\n"
                                    << systemd.transcript();
  EXPECT_GE(stopping->arrived, sent) << "STOPPING=1 before the signal\n" << systemd.transcript();
  EXPECT_GT(stopping->arrived, ready->arrived) << systemd.transcript();
  const auto status = relay->wait(30s);
  ASSERT_TRUE(status.has_value()) << "no exit within 30 s of SIGTERM\n" << relay->err();
  EXPECT_EQ(*status, 0) << relay->err();
}

TEST(RelayOperations, SendsReadyWhileRetryingAnUnreachablePostgres) {
  RelayFixture fixture("readyretry");
  NotifySocket systemd;
  const std::string dsn = "host=127.0.0.1 port=" + std::to_string(free_tcp_port()) +
                          " dbname=" + fixture.database() + " connect_timeout=2";
  RelayProcess relay({"run", "--config", fixture.config_file(), "--set", "source.dsn=" + dsn},
                     {systemd.environment()});

  const auto ready = systemd.wait_for("READY=1", 20s);
  ASSERT_TRUE(ready.has_value()) << "no READY=1 within 20 s while retrying\n"
                                 << systemd.transcript() << relay.err();
  const auto status_line = ready->value("STATUS");
  ASSERT_TRUE(status_line.has_value()) << systemd.transcript();
  EXPECT_THAT(*status_line, HasSubstr("retry")) << "the status does not say it retries\n"
                                                << systemd.transcript();
  EXPECT_THAT(relay.err(), HasSubstr("PostgreSQL unreachable"));
  EXPECT_TRUE(relay.running()) << relay.err();

  relay.signal(SIGTERM);
  EXPECT_TRUE(systemd.wait_for("STOPPING=1", 10s).has_value()) << systemd.transcript();
  const auto status = relay.wait(10s);
  ASSERT_TRUE(status.has_value()) << "no exit within 10 s of SIGTERM\n" << relay.err();
  EXPECT_EQ(*status, 0) << relay.err();
}

// ---------------------------------------------------------------------------------------------
// Stopping while deliveries can never complete: a Kafka bootstrap address nobody listens on.

constexpr int kStuckEvents = 5;
constexpr auto kStopDeadline = 20s;
// The relay's own stop deadline plus room for a loaded machine running sanitized builds.
constexpr auto kStopBound = 26s;
// systemd kills a service whose pings are further apart than WATCHDOG_USEC (1 s here); the test
// allows a quarter of a second more for its own listener thread's scheduling.
constexpr auto kWatchdog = 1s;
constexpr auto kLongestPingGap = kWatchdog + 250ms;

// A relay streaming with NOTIFY_SOCKET and a 1 s watchdog, whose kStuckEvents events are in
// flight to a Kafka that is not there (message.timeout.ms=0: they never fail either).
std::unique_ptr<RelayProcess> start_with_deliveries_stuck(RelayFixture& fixture,
                                                          const NotifySocket& systemd) {
  const int metrics_port = free_tcp_port();
  auto relay = start_streaming_relay(
      fixture.config_file(),
      {"--set", "sink.kafka.bootstrap.servers=127.0.0.1:" + std::to_string(free_tcp_port()),
       "--set", "metrics.listen=127.0.0.1:" + std::to_string(metrics_port)},
      {systemd.environment(),
       "WATCHDOG_USEC=" + std::to_string(std::chrono::microseconds(kWatchdog).count())});
  for (long n = 1; n <= kStuckEvents; ++n) insert_row(fixture, n, small_payload(n));
  EXPECT_TRUE(wait_until(
      [&] { return metric(metrics_port, "outbox_relay_inflight_events") == kStuckEvents; }, 30s))
      << "the events never got in flight: outbox_relay_inflight_events="
      << metric(metrics_port, "outbox_relay_inflight_events").value_or(-1) << "\n"
      << relay->err();
  return relay;
}

TEST(RelayOperations, PingsTheWatchdogWhileStoppingWithKafkaDown) {
  RelayFixture fixture("watchdogstop");
  NotifySocket systemd;
  auto relay = start_with_deliveries_stuck(fixture, systemd);
  ASSERT_TRUE(relay->running()) << relay->err();

  const auto sent = Clock::now();
  relay->signal(SIGTERM);
  const auto status = relay->wait(kStopBound);
  const auto exited = Clock::now();
  ASSERT_TRUE(status.has_value()) << "still running " << kStopBound.count()
                                  << " s after SIGTERM: the stop is not bounded by "
                                  << kStopDeadline.count() << " s\n"
                                  << relay->err();
  EXPECT_EQ(*status, 0) << "deliveries outstanding at the stop deadline are no failure\n"
                        << relay->err();
  EXPECT_TRUE(systemd.wait_for("STOPPING=1", 0ms).has_value()) << systemd.transcript();

  std::vector<Clock::time_point> pings;
  for (const auto& message : systemd.with("WATCHDOG=1")) {
    if (message.arrived >= sent && message.arrived <= exited) pings.push_back(message.arrived);
  }
  ASSERT_GE(pings.size(), 5u) << "the watchdog fell silent during the stop\n"
                              << systemd.transcript();
  auto previous = sent;
  auto longest = Clock::duration::zero();
  for (const auto ping : pings) {
    longest = std::max(longest, ping - previous);
    previous = ping;
  }
  EXPECT_LE(longest, kLongestPingGap)
      << "systemd's watchdog would have killed the relay while it was stopping\n"
      << systemd.transcript();
}

TEST(RelayOperations, ASecondSignalStopsAtOnceDuringTheDrain) {
  RelayFixture fixture("secondsignal");
  NotifySocket systemd;
  auto relay = start_with_deliveries_stuck(fixture, systemd);
  ASSERT_TRUE(relay->running()) << relay->err();

  relay->signal(SIGTERM);
  // Well inside the drain, which cannot end by itself: deliveries never complete.
  ASSERT_FALSE(relay->wait(1s).has_value()) << "the first signal did not wait for deliveries\n"
                                            << relay->err();
  relay->signal(SIGTERM);
  const auto status = relay->wait(3s);
  ASSERT_TRUE(status.has_value()) << "still running 3 s after the second SIGTERM\n" << relay->err();
  EXPECT_EQ(*status, 0) << relay->err();
}

// ---------------------------------------------------------------------------------------------
// SIGHUP and exit statuses.

TEST(RelayOperations, SighupKeepsTheRelayRunning) {
  RelayFixture fixture("sighup");
  auto relay = start_streaming_relay(fixture.config_file());
  relay->signal(SIGHUP);
  const auto died = relay->wait(2s);
  ASSERT_FALSE(died.has_value()) << "SIGHUP ended the relay with status " << *died << "\n"
                                 << relay->err();
  EXPECT_TRUE(relay->wait_for_log("SIGHUP", 5s)) << "nothing logged about SIGHUP\n" << relay->err();

  insert_row(fixture, 1, small_payload(1));
  const auto records = read_topics({fixture.topic("order")}, 1, 30s);
  ASSERT_EQ(records.size(), 1u) << relay->err();
  EXPECT_EQ(header(records.front(), "id"), event_id(1));
  stop_cleanly(*relay);
}

TEST(RelayOperations, HaltExitsWithTheOperatorStatus) {
  RelayFixture fixture("haltstatus");
  fixture.sql().exec("ALTER TABLE outbox_events ALTER COLUMN aggregate_id DROP NOT NULL");
  auto relay = start_streaming_relay(fixture.config_file());
  fixture.sql().exec(
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload) VALUES "
      "('" +
      event_id(1) + "', 'Order', NULL, 'Happened', '{}')");
  const auto status = relay->wait(30s);
  ASSERT_TRUE(status.has_value()) << "the relay did not halt within 30 s\n" << relay->err();
  EXPECT_EQ(*status, 3) << "a halt under on_permanent_error: halt needs an operator\n"
                        << relay->err();
  EXPECT_THAT(relay->err(), HasSubstr("halting"));
}

TEST(RelayOperations, AStreamThatCannotBeProcessedExitsWithTheOperatorStatus) {
  RelayFixture fixture("protocolstatus");
  auto relay = start_streaming_relay(fixture.config_file());
  // The next Relation message lacks a column the configuration names: the relay cannot map the
  // table's rows any more and must stop without confirming past them.
  fixture.sql().exec("ALTER TABLE outbox_events RENAME COLUMN event_type TO kind");
  fixture.sql().exec(
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, kind, payload) VALUES ('" +
      event_id(1) + "', 'Order', 'order-1', 'Happened', '{}')");
  const auto status = relay->wait(30s);
  ASSERT_TRUE(status.has_value()) << "the relay did not stop within 30 s\n" << relay->err();
  EXPECT_EQ(*status, 3) << "an unprocessable stream needs an operator\n" << relay->err();
  EXPECT_THAT(relay->err(), HasSubstr("event_type"));
}

// ---------------------------------------------------------------------------------------------
// Records the broker or the producer refuse.

std::vector<std::string> dead_letters_to(const std::string& dlq) {
  return {"--set", "sink.on_permanent_error=dlq", "--set", "sink.dlq_topic=" + dlq};
}

TEST(RelayOperations, DeadLettersARecordTheBrokerRefusesAsTooLarge) {
  RelayFixture fixture("brokertoolarge");
  const std::string dlq = unique_name("dlq");
  // The broker's limit applies to the dead-letter topic as much as to the event's.
  KafkaTopics topics;
  ASSERT_TRUE(topics.create({fixture.topic("order"), dlq}, 1, {{"max.message.bytes", "2048"}}));
  auto relay = start_streaming_relay(fixture.config_file(), dead_letters_to(dlq));

  insert_row(fixture, 1, payload_of_size(10000));
  const auto letters = read_topics({dlq}, 1, 30s);
  ASSERT_EQ(letters.size(), 1u) << relay->err();
  const auto& letter = letters.front();
  EXPECT_EQ(header(letter, "id"), event_id(1));
  EXPECT_EQ(letter.value, "") << "the broker refused the value; the dead letter leaves it out";
  EXPECT_NE(header(letter, "outbox.error"), "<missing>");
  EXPECT_NE(header(letter, "outbox.error"), "");

  // Inserted once the large one is dealt with, so the two never share a produce request.
  insert_row(fixture, 2, small_payload(2));
  const auto events = read_topics({fixture.topic("order")}, 1, 30s);
  ASSERT_EQ(events.size(), 1u) << relay->err();
  EXPECT_EQ(header(events.front(), "id"), event_id(2));
  EXPECT_TRUE(relay->running()) << relay->err();
  stop_cleanly(*relay);
}

TEST(RelayOperations, DeadLettersARecordTheBrokerRefusesForItsTimestamp) {
  RelayFixture fixture("brokeroldtime");
  const std::string dlq = unique_name("dlq");
  KafkaTopics topics;
  ASSERT_TRUE(
      topics.create({fixture.topic("order")}, 1, {{"message.timestamp.before.max.ms", "1000"}}));
  // The dead-letter topic refuses old records too, with room for a dead letter written now to
  // reach the broker on a loaded machine, but not for one carrying the event's time.
  ASSERT_TRUE(topics.create({dlq}, 1, {{"message.timestamp.before.max.ms", "5000"}}));
  // migrate with create_slot: true makes the slot, so the server keeps the row for the relay.
  const auto migrated = run_relay_command({"migrate", "--config", fixture.config_file()});
  ASSERT_EQ(migrated.status, 0) << migrated.out << migrated.err;
  insert_row(fixture, 1, small_payload(1));
  // The record's timestamp is its commit time: let it age past both topics' limits before the
  // relay can publish it. A fixed, deliberate wait, not a wait for a condition.
  std::this_thread::sleep_for(6000ms);
  auto relay = start_streaming_relay(fixture.config_file(), dead_letters_to(dlq));

  const auto letters = read_topics({dlq}, 1, 30s);
  ASSERT_EQ(letters.size(), 1u) << relay->err();
  const auto& letter = letters.front();
  EXPECT_EQ(header(letter, "id"), event_id(1));
  EXPECT_LE(std::llabs(letter.timestamp_ms - unix_ms_now()), 60000)
      << "a dead letter carries the current time, got " << letter.timestamp_ms;
  const std::string original = header(letter, "outbox.original_timestamp");
  ASSERT_NE(original, "<missing>");
  EXPECT_LE(std::strtoll(original.c_str(), nullptr, 10), letter.timestamp_ms - 5000)
      << "the original timestamp is the commit time, at least 6 s before the dead letter";
  EXPECT_EQ(letter.value, "") << "the broker refused the record itself";
  EXPECT_NE(header(letter, "outbox.error"), "<missing>");
  EXPECT_TRUE(relay->running()) << relay->err();
  stop_cleanly(*relay);
}

TEST(RelayOperations, AnEventLargerThanTheProducersQueueIsAPermanentFailure) {
  RelayFixture fixture("queuetoosmall");
  auto relay = start_streaming_relay(fixture.config_file(),
                                     {"--set", "sink.kafka.queue.buffering.max.kbytes=1", "--set",
                                      "sink.on_permanent_error=skip"});
  insert_row(fixture, 1, payload_of_size(4000));
  insert_row(fixture, 2, small_payload(2));

  const auto events = read_topics({fixture.topic("order")}, 1, 30s);
  ASSERT_EQ(events.size(), 1u) << "the event after the oversized one never arrived\n"
                               << relay->err();
  EXPECT_EQ(header(events.front(), "id"), event_id(2));
  const auto log = relay->err();
  EXPECT_THAT(log, HasSubstr("skipping an event that cannot be published"));
  EXPECT_THAT(log, HasSubstr(event_id(1)));
  EXPECT_THAT(log, HasSubstr("queue.buffering.max"));
  EXPECT_TRUE(relay->running()) << log;
  stop_cleanly(*relay);
}

}  // namespace
}  // namespace outbox::testing
