// The relay publishing to a broker listener that requires a SASL/SCRAM-SHA-512 login, with the
// password given only through the environment (the way a deployment passes a secret).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <regex>
#include <set>

#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

// The SCRAM settings, without the password, which the relay gets from its environment.
std::string scram_properties() {
  return "    security.protocol: SASL_PLAINTEXT\n"
         "    sasl.mechanisms: SCRAM-SHA-512\n"
         "    sasl.username: \"" +
         services().kafka_scram_user + "\"\n";
}

// `outbox-relay run` against the SASL listener, logging in with `password`.
std::unique_ptr<RelayProcess> start_scram_relay(RelayFixture& fixture,
                                                const std::string& password) {
  return std::make_unique<RelayProcess>(
      std::vector<std::string>{"run", "--config", fixture.config_file({}, scram_properties()),
                               "--set",
                               "sink.kafka.bootstrap.servers=" + services().kafka_sasl_bootstrap},
      std::vector<std::string>{"OUTBOX_RELAY_SINK_KAFKA_SASL_PASSWORD=" + password});
}

// Inserts events 1..count, each in its own transaction; returns the WAL position after the last
// commit: a slot confirmed at or past it has confirmed them all.
std::string insert_events(RelayFixture& fixture, long count) {
  for (long n = 1; n <= count; ++n) {
    fixture.insert_event(event_id(n), "Order", "order-" + std::to_string(n), "Created",
                         "{\"n\": " + std::to_string(n) + "}");
  }
  const auto lsn = fixture.sql().column("SELECT pg_current_wal_lsn()::text");
  return lsn.empty() ? std::string("0/0") : lsn.front();
}

bool confirmed_at_least(RelayFixture& fixture, const std::string& lsn) {
  const auto confirmed =
      fixture.sql().column("SELECT coalesce(confirmed_flush_lsn >= '" + lsn +
                           "'::pg_lsn, false)::text FROM pg_replication_slots WHERE slot_name = '" +
                           fixture.slot() + "'");
  return !confirmed.empty() && confirmed.front() == "true";
}

TEST(RelaySasl, PublishesThroughASaslScramSha512Listener) {
  RelayFixture fixture("sasl");
  const std::string& password = services().kafka_scram_password;
  auto relay = start_scram_relay(fixture, password);
  ASSERT_TRUE(relay->wait_for_log("streaming", 60s)) << relay->err();
  const std::string after_last_commit = insert_events(fixture, 3);

  // Read back through the PLAINTEXT listener: what arrived came through the relay's login.
  const auto records = read_topics({fixture.topic("order")}, 3, 60s);
  std::set<std::string> ids;
  for (const auto& record : records) {
    const auto id = record.headers.find("id");
    if (id != record.headers.end()) ids.insert(id->second);
  }
  ASSERT_EQ(ids, (std::set<std::string>{event_id(1), event_id(2), event_id(3)})) << relay->err();
  EXPECT_TRUE(wait_until([&] { return confirmed_at_least(fixture, after_last_commit); }, 30s))
      << "the slot was not confirmed past " << after_last_commit << "\n"
      << relay->err();

  relay->signal(SIGTERM);
  const auto status = relay->wait(60s);
  ASSERT_TRUE(status.has_value()) << relay->err();
  EXPECT_EQ(*status, 0) << relay->err();
  EXPECT_THAT(relay->err(), Not(HasSubstr(password))) << "the password is in the log";
  EXPECT_THAT(relay->out(), Not(HasSubstr(password))) << "the password is on stdout";
}

TEST(RelaySasl, AWrongScramPasswordIsNamedAndNothingIsConfirmed) {
  RelayFixture fixture("saslwrong");
  const std::string wrong = services().kafka_scram_password + "-wrong";
  auto relay = start_scram_relay(fixture, wrong);
  ASSERT_TRUE(relay->wait_for_log("streaming", 60s)) << relay->err();
  const std::string after_last_commit = insert_events(fixture, 2);

  EXPECT_TRUE(relay->wait_for_log("Authentication failed", 60s)) << relay->err();
  // Bounded: a relay that confirms undelivered events does so within a few status intervals.
  EXPECT_FALSE(wait_until([&] { return confirmed_at_least(fixture, after_last_commit); }, 3s))
      << "the slot was confirmed past events no broker took\n"
      << relay->err();

  relay->signal(SIGTERM);
  ASSERT_TRUE(relay->wait(60s).has_value()) << relay->err();
  EXPECT_THAT(relay->err(), Not(HasSubstr(wrong))) << "the password is in the log";
}

// The client that can log in: --version and the first log line name the librdkafka the relay
// runs with, at least 2.6.1 (older ones cannot log in with SCRAM to Kafka 4).
TEST(RelaySasl, NamesALibrdkafkaThatCanLogInWithScram) {
  const auto version = run_relay_command({"--version"});
  ASSERT_EQ(version.status, 0) << version.err;
  const std::regex shape(R"(outbox-relay [0-9.]+ \(librdkafka ([0-9]+)\.([0-9]+)\.([0-9]+)\)\n)");
  std::smatch parts;
  ASSERT_TRUE(std::regex_match(version.out, parts, shape)) << version.out;
  const std::array<int, 3> found{std::stoi(parts[1]), std::stoi(parts[2]), std::stoi(parts[3])};
  EXPECT_GE(found, (std::array<int, 3>{2, 6, 1})) << version.out;

  RelayFixture fixture("client_version");
  RelayProcess relay({"run", "--config", fixture.config_file()});
  const std::string line = "outbox-relay starting version=";
  ASSERT_TRUE(relay.wait_for_log(line, 30s)) << relay.err();
  const std::string client = "librdkafka=" + std::string(parts[1]) + "." + std::string(parts[2]) +
                             "." + std::string(parts[3]);
  EXPECT_THAT(relay.err(), HasSubstr(client));
}

}  // namespace
}  // namespace outbox::testing
