// What the network between the relay and PostgreSQL can do, through a proxy of the test's
// (support/tcp_proxy.h) in front of the server: a replication connection that falls silent
// without closing, and a failover that puts another server behind the same address, with or
// without the relay's slot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/support/http.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/private_relay.h"
#include "tests/integration/support/private_services.h"
#include "tests/integration/support/record_headers.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/tcp_proxy.h"
#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

// The events numbered in `rows` that are not on `topic` after waiting up to `timeout` for them
// (duplicates may arrive first, so the count of records alone proves nothing). Every read gets
// a few seconds, so a last read near the deadline still sees the whole topic.
std::vector<long> missing_from(const std::string& topic, const std::vector<long>& rows,
                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const auto ids =
        ids_of(read_topics({topic}, rows.size(), std::max<std::chrono::milliseconds>(left, 5s)));
    std::vector<long> missing;
    for (long row : rows) {
      if (ids.count(event_id(row)) == 0) missing.push_back(row);
    }
    if (missing.empty() || std::chrono::steady_clock::now() >= deadline) return missing;
  }
}

std::string numbers(const std::vector<long>& rows) {
  std::string text;
  for (long row : rows) text += (text.empty() ? "" : ", ") + std::to_string(row);
  return text.empty() ? "none" : text;
}

std::string insert_sql(long row) {
  return "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload) "
         "VALUES ('" +
         event_id(row) + "', 'Order', 'order-" + std::to_string(row) +
         "', 'Placed', '{\"row\": " + std::to_string(row) + "}')";
}

// A conninfo for `database` on 127.0.0.1:port, as the fixture's user.
std::string conninfo_at(int port, const std::string& database, const std::string& extra = {}) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=" + services().pg_user +
         " dbname=" + database + " connect_timeout=10" + (extra.empty() ? "" : " " + extra);
}

std::vector<std::string> concat(std::vector<std::string> first,
                                const std::vector<std::string>& second) {
  first.insert(first.end(), second.begin(), second.end());
  return first;
}

// SIGTERM stops the relay with status 0 within 30 s.
void expect_clean_stop(RelayProcess& relay) {
  relay.signal(SIGTERM);
  const auto status = relay.wait(30s);
  ASSERT_TRUE(status.has_value()) << "the relay did not stop within 30 s";
  EXPECT_EQ(*status, 0) << relay.err();
}

TEST(RelayLiveness, ReconnectsWhenTheReplicationConnectionFallsSilent) {
  RelayFixture fixture("silent");
  TcpProxy proxy(std::stoi(services().pg_port));
  ASSERT_TRUE(proxy.ok());
  // The walsender of the frozen connection hears no replies either and ends itself after
  // wal_sender_timeout, which frees the slot for the relay's next connection; the server's
  // default (60 s) would outlast the bound below.
  const std::string dsn =
      conninfo_at(proxy.port(), fixture.database(), "options='-c wal_sender_timeout=5s'");
  auto relay =
      fixture.start_relay(fixture.config_file(),
                          {"--set", "source.dsn=" + dsn, "--set", "source.liveness_timeout_ms=3000",
                           "--set", "source.status_interval_ms=500"});
  ASSERT_TRUE(relay->running()) << relay->err();

  std::vector<long> rows;
  auto insert_rows = [&](long first, long last) {
    for (long row = first; row <= last; ++row) {
      fixture.sql().exec(insert_sql(row));
      rows.push_back(row);
    }
  };
  insert_rows(1, 5);
  ASSERT_EQ(numbers(missing_from(fixture.topic("order"), rows, 60s)), "none")
      << "events did not flow before the freeze\n"
      << relay->err();

  proxy.freeze();
  const int accepted_before = proxy.accepted();
  // Straight into PostgreSQL, not through the proxy.
  insert_rows(6, 10);
  EXPECT_EQ(numbers(missing_from(fixture.topic("order"), rows, 30s)), "none")
      << "rows written after the connection fell silent did not reach Kafka within 30 s\n"
      << relay->err();
  EXPECT_GT(proxy.accepted(), accepted_before) << "the relay never opened a new connection";
  const std::string log = relay->err();
  ASSERT_THAT(log, HasSubstr("PostgreSQL connection lost"));
  const auto lost = log.find("PostgreSQL connection lost");
  EXPECT_THAT(log.substr(lost, log.find('\n', lost) - lost), HasSubstr("liveness_timeout_ms"))
      << "the reason does not name liveness_timeout_ms\n"
      << log;

  expect_clean_stop(*relay);
}

TEST(RelayLiveness, AnIdleButLiveServerKeepsItsConnection) {
  RelayFixture fixture("idle_live");
  TcpProxy proxy(std::stoi(services().pg_port));
  ASSERT_TRUE(proxy.ok());
  // A quiet outbox and a quiet database: the server only speaks when asked, halfway through the
  // liveness timeout. Three whole timeouts pass without a reconnect.
  auto relay = fixture.start_relay(
      fixture.config_file(),
      {"--set", "source.dsn=" + conninfo_at(proxy.port(), fixture.database()), "--set",
       "source.liveness_timeout_ms=2000", "--set", "source.status_interval_ms=500"});
  ASSERT_TRUE(relay->running()) << relay->err();
  const int accepted = proxy.accepted();
  const auto died = relay->wait(6s);
  ASSERT_FALSE(died.has_value()) << relay->err();
  EXPECT_THAT(relay->err(), Not(HasSubstr("PostgreSQL connection lost")));
  EXPECT_EQ(proxy.accepted(), accepted) << "the relay reconnected to a live server";

  fixture.sql().exec(insert_sql(1));
  EXPECT_EQ(numbers(missing_from(fixture.topic("order"), {1}, 30s)), "none") << relay->err();
  expect_clean_stop(*relay);
}

// Two servers behind one address. A is the shared fixture's PostgreSQL (a database of its own,
// the outbox migrated, the slot created by the relay); B is a private PostgreSQL with a database
// of the same name and the outbox migrated, with or without the relay's slot. A has written
// several MB more WAL than B, so every position the relay remembers from A lies past all of B's.
class Failover {
 public:
  enum class SlotOnB { kAbsent, kCreatedByMigrate };

  Failover(const std::string& name, SlotOnB slot_on_b) : a_(name), b_servers_(name) {
    if (!b_servers_.ok()) return;
    PgClient b_admin(b_servers_.conninfo());
    b_admin.exec("CREATE DATABASE " + a_.database());
    const auto migrated =
        run_relay_command({"migrate", "--config", a_.config_file(), "--set",
                           "source.dsn=" + b_servers_.conninfo(a_.database()), "--set",
                           std::string("source.create_slot=") +
                               (slot_on_b == SlotOnB::kCreatedByMigrate ? "true" : "false")});
    EXPECT_EQ(migrated.status, 0) << migrated.out << migrated.err;
    b_ = std::make_unique<PgClient>(b_servers_.conninfo(a_.database()));
    EXPECT_EQ(slot_exists_on_b(), slot_on_b == SlotOnB::kCreatedByMigrate);

    a_.sql().exec(
        "CREATE TABLE filler AS SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, 8000) "
        "g; DROP TABLE filler");
    const auto a_lsn = a_.sql().column("SELECT pg_current_wal_lsn()::text").front();
    ahead_of_b_ =
        b_->value("SELECT pg_wal_lsn_diff('" + a_lsn + "', pg_current_wal_lsn())::bigint::text");
    proxy_ = std::make_unique<TcpProxy>(std::stoi(services().pg_port));
    ok_ = proxy_->ok() && !ahead_of_b_.empty() && std::stoll(ahead_of_b_) > (4 << 20);
    EXPECT_TRUE(ok_) << "A is " << ahead_of_b_ << " bytes of WAL ahead of B";
  }

  bool ok() const { return ok_; }
  RelayFixture& a() { return a_; }
  PgClient& b() { return *b_; }

  // Starts the relay on A through the proxy and sees three events of A reach Kafka.
  std::unique_ptr<RelayProcess> start_relay_on_a(const std::vector<std::string>& extra_args = {}) {
    auto relay = a_.start_relay(
        a_.config_file(),
        concat({"--set", "source.dsn=" + conninfo_at(proxy_->port(), a_.database())}, extra_args));
    for (long row = 1; row <= 3; ++row) {
      a_.sql().exec(insert_sql(row));
      rows_.push_back(row);
    }
    EXPECT_EQ(numbers(missing_from(a_.topic("order"), rows_, 60s)), "none")
        << "events of A did not flow\n"
        << relay->err();
    return relay;
  }

  // The failover: new connections lead to B, and the ones to A break.
  void switch_to_b() {
    proxy_->retarget(b_servers_.pg_port().empty() ? 0 : std::stoi(b_servers_.pg_port()));
    proxy_->drop_all();
  }

  void insert_on_b(long row) {
    b_->exec(insert_sql(row));
    rows_.push_back(row);
  }
  // Every row inserted so far, on A or B.
  const std::vector<long>& rows() const { return rows_; }

  bool slot_exists_on_b() {
    return b_->value("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + a_.slot() +
                     "'") == "1";
  }

 private:
  RelayFixture a_;
  PrivateServices b_servers_;
  std::unique_ptr<PgClient> b_;
  std::unique_ptr<TcpProxy> proxy_;
  std::string ahead_of_b_;
  std::vector<long> rows_;
  bool ok_ = false;
};

TEST(RelayLiveness, AFailoverToAnotherServerWithoutTheSlotStopsForAnOperator) {
  Failover failover("failstop", Failover::SlotOnB::kAbsent);
  ASSERT_TRUE(failover.ok());
  auto relay = failover.start_relay_on_a();
  ASSERT_TRUE(relay->running()) << relay->err();

  failover.switch_to_b();
  const auto status = relay->wait(30s);
  ASSERT_TRUE(status.has_value()) << "the relay did not stop within 30 s of the failover\n"
                                  << relay->err();
  EXPECT_EQ(*status, 3) << relay->err();
  const std::string log = relay->err();
  EXPECT_THAT(log, AnyOf(HasSubstr("events may have been missed"), HasSubstr("gone")));
  EXPECT_FALSE(failover.slot_exists_on_b()) << "the relay created a slot on B";
}

TEST(RelayLiveness, AFailoverToAnotherServerWithOnSlotLostRecreateStreamsFromTheNewSlot) {
  Failover failover("failrecreate", Failover::SlotOnB::kAbsent);
  ASSERT_TRUE(failover.ok());
  const int metrics_port = free_tcp_port();
  auto relay =
      failover.start_relay_on_a({"--set", "source.on_slot_lost=recreate", "--set",
                                 "metrics.listen=127.0.0.1:" + std::to_string(metrics_port)});
  ASSERT_TRUE(relay->running()) << relay->err();

  failover.switch_to_b();
  ASSERT_TRUE(wait_until([&] { return failover.slot_exists_on_b(); }, 30s))
      << "the relay did not create its slot on B within 30 s\n"
      << relay->err();
  for (long row = 101; row <= 103; ++row) failover.insert_on_b(row);
  EXPECT_EQ(numbers(missing_from(failover.a().topic("order"), failover.rows(), 30s)), "none")
      << "rows of B did not reach Kafka\n"
      << relay->err();

  std::string metrics;
  EXPECT_TRUE(wait_until(
      [&] {
        metrics = http_get(metrics_port, "/metrics").body;
        return metrics.find("\noutbox_relay_slot_recreated_total 1\n") != std::string::npos;
      },
      10s))
      << metrics;

  expect_clean_stop(*relay);
}

TEST(RelayLiveness, AReplacedServerWithTheSlotStreamsFromThatSlotsPosition) {
  Failover failover("replaced", Failover::SlotOnB::kCreatedByMigrate);
  ASSERT_TRUE(failover.ok());
  auto relay = failover.start_relay_on_a();
  ASSERT_TRUE(relay->running()) << relay->err();

  // B's slot exists: these rows are kept for it though nobody streams from it yet.
  for (long row = 101; row <= 102; ++row) failover.insert_on_b(row);
  failover.switch_to_b();
  for (long row = 103; row <= 104; ++row) failover.insert_on_b(row);
  EXPECT_EQ(numbers(missing_from(failover.a().topic("order"), failover.rows(), 30s)), "none")
      << "rows of B did not reach Kafka\n"
      << relay->err();
  EXPECT_THAT(relay->err(), HasSubstr("events may have been missed"))
      << "no error about the changed server\n"
      << relay->err();

  expect_clean_stop(*relay);
}

}  // namespace
}  // namespace outbox::testing
