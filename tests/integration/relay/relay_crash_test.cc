// At-least-once across real crashes: the relay is SIGKILLed again and again while a writer keeps
// committing (and rolling back) outbox rows; afterwards Kafka must hold every committed row, no
// rolled-back one, duplicates only as exact copies, and each key's first deliveries in commit
// order.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "tests/integration/support/delivery_audit.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/wait_until.h"
#include "tests/integration/support/workload.h"

namespace outbox::testing {
namespace {

using namespace std::chrono_literals;

// The seed of the writer and of the kill schedule; RELAY_CRASH_TEST_SEED replaces it to
// explore other schedules (not an OUTBOX_RELAY_ name: the relay refuses those it does not know).
constexpr std::uint32_t kDefaultSeed = 20240917;
constexpr int kKills = 8;

std::uint32_t crash_seed() {
  const char* text = std::getenv("RELAY_CRASH_TEST_SEED");
  return text != nullptr && *text != '\0'
             ? static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10))
             : kDefaultSeed;
}

std::string tail(const std::string& text, std::size_t size = 2000) {
  return text.size() <= size ? text : "..." + text.substr(text.size() - size);
}

TEST(RelayCrash, EveryCommittedRowReachesKafkaAcrossRepeatedKill9InCommitOrderPerKey) {
  const auto test_start = std::chrono::steady_clock::now();
  const std::uint32_t seed = crash_seed();
  RecordProperty("seed", std::to_string(seed));
  RelayFixture fixture("crash");
  const std::vector<std::string> types = {"Order", "Payment", "Shipment"};
  std::vector<std::string> topics;
  for (const auto& type : types) topics.push_back(fixture.topic_of_type(type));
  KafkaTopics kafka;
  // Several partitions per topic, so per-key order is not just per-topic order.
  ASSERT_TRUE(kafka.create(topics, 3));
  const std::string config = fixture.config_file();

  // The first start creates the slot: only rows committed after it are the relay's to deliver.
  auto relay = fixture.start_relay(config);
  ASSERT_TRUE(relay->running()) << relay->err();

  WorkloadOptions options;
  options.seed = seed;
  options.aggregate_types = types;
  options.keys = 50;
  options.max_rows_per_transaction = 20;
  options.rollback_share = 0.1;
  options.no_event_share = 0.05;
  options.min_pause = 0ms;
  options.max_pause = 20ms;
  options.max_duration = 60s;
  OutboxWriter writer(fixture.database(), options);
  writer.start();

  std::mt19937 schedule(seed ^ 0x9e3779b9u);
  std::string killed_logs;
  for (int kill = 1; kill <= kKills; ++kill) {
    const auto run_for =
        std::chrono::milliseconds(std::uniform_int_distribution<int>(1000, 4000)(schedule));
    // Not a wait for a condition: the kill lands at a random moment, which is what is tested.
    std::this_thread::sleep_for(run_for);
    ASSERT_TRUE(relay->running()) << "the relay exited on its own before kill " << kill << ":\n"
                                  << tail(relay->err(), 6000);
    relay->kill_hard();
    killed_logs += "--- relay killed (kill " + std::to_string(kill) + ", after " +
                   std::to_string(run_for.count()) + " ms) ---\n" + tail(relay->err()) + "\n";
    relay = fixture.start_relay(config);
    ASSERT_TRUE(relay->running()) << relay->err();
  }
  writer.stop();
  ASSERT_EQ(writer.error(), "");
  const auto& committed = writer.committed();
  const std::string last_commit_lsn = writer.wal_lsn_after_last_commit();
  ASSERT_FALSE(committed.empty());
  ASSERT_NE(last_commit_lsn, "");
  const auto writer_done = std::chrono::steady_clock::now();

  // The last relay runs until it has confirmed past the last commit, which it may only do once
  // Kafka acknowledged everything before it. Not asserted here: the reading below says what is
  // missing if it never gets there.
  const bool caught_up =
      wait_until([&] { return fixture.slot_confirmed_at_least(last_commit_lsn); }, 60s, 200ms);
  const auto caught_up_at = std::chrono::steady_clock::now();

  // Every committed row as the database holds it.
  const auto payload_of = outbox_payloads(fixture.sql());
  ASSERT_EQ(payload_of.size(), committed.size())
      << "the outbox table holds other rows than the writer committed";

  const auto records = kafka.read_all(topics, 60s);
  const auto read_done = std::chrono::steady_clock::now();

  std::map<std::string, std::string> topic_of_type;
  for (std::size_t i = 0; i < types.size(); ++i) topic_of_type[types[i]] = topics[i];
  const DeliveryAudit audit = audit_delivery(records, writer, payload_of, topic_of_type);
  for (const auto& line : audit.problem_lines) ADD_FAILURE() << line;
  EXPECT_EQ(audit.missing, 0) << "committed events missing from Kafka, e.g." << audit.missing_ids;
  EXPECT_EQ(audit.problems, 0) << audit.problems << " problems (the first 20 reported above)";
  const long duplicates = audit.duplicates;

  // A graceful stop keeps the slot at or past the last commit: a restart would resend nothing.
  relay->signal(SIGTERM);
  const auto status = relay->wait(60s);
  ASSERT_TRUE(status.has_value()) << "the relay did not stop within 60 s\n" << tail(relay->err());
  EXPECT_EQ(*status, 0) << tail(relay->err());
  EXPECT_TRUE(caught_up) << "the slot was not confirmed past " << last_commit_lsn
                         << " within 60 s of the writer's end";
  EXPECT_TRUE(fixture.slot_confirmed_at_least(last_commit_lsn))
      << "confirmed_flush_lsn " << fixture.confirmed_lsn() << " is before the last commit ("
      << last_commit_lsn << ")";

  using seconds = std::chrono::duration<double>;
  std::ostringstream summary;
  summary << "seed " << seed << ": " << kKills << " kills, " << writer.transactions_committed()
          << " transactions committed (" << committed.size() << " events), "
          << writer.transactions_rolled_back() << " rolled back (" << writer.rolled_back().size()
          << " events), " << writer.transactions_without_events() << " without events; Kafka holds "
          << records.size() << " records, " << duplicates << " duplicates; writer "
          << seconds(writer_done - test_start).count() << " s, caught up after "
          << seconds(caught_up_at - writer_done).count() << " s, read in "
          << seconds(read_done - caught_up_at).count() << " s";
  std::cout << summary.str() << "\n";
  RecordProperty("committed_events", std::to_string(committed.size()));
  RecordProperty("records", std::to_string(records.size()));
  RecordProperty("duplicates", std::to_string(duplicates));
  if (HasFailure()) {
    std::cout << killed_logs << "--- last relay ---\n" << tail(relay->err(), 6000) << "\n";
  }
}

}  // namespace
}  // namespace outbox::testing
