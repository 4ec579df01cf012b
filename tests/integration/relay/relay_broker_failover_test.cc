// The relay against a three-node Kafka cluster (replication factor 3, min.insync.replicas 2)
// failing under load: the node leading the topics' first partitions killed, then a second node
// stopped, so that fewer replicas than required are in sync. The relay must ride out the first
// without a restart, hold back during the second (nothing acknowledged, nothing confirmed past
// it), catch up when the nodes return, and lose nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/delivery_audit.h"
#include "tests/integration/support/kafka_cluster.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/wait_until.h"
#include "tests/integration/support/workload.h"

namespace outbox::testing {
namespace {

using namespace std::chrono_literals;

std::string tail(const std::string& text, std::size_t size = 4000) {
  return text.size() <= size ? text : "..." + text.substr(text.size() - size);
}

TEST(RelayBrokerFailover, RidesOutALeaderKilledAndHoldsBackWithoutEnoughInSyncReplicas) {
  KafkaCluster cluster("failover");
  ASSERT_TRUE(cluster.ok());
  RelayFixture fixture("failover");
  const std::vector<std::string> types = {"Order", "Payment", "Shipment"};
  std::vector<std::string> topics;
  std::map<std::string, std::string> topic_of_type;
  for (const auto& type : types) {
    topics.push_back(fixture.topic_of_type(type));
    topic_of_type[type] = topics.back();
  }
  KafkaTopics kafka(cluster.bootstrap());
  ASSERT_TRUE(kafka.create(topics, 3));
  auto relay = fixture.start_relay(
      fixture.config_file(), {"--set", "sink.kafka.bootstrap.servers=" + cluster.bootstrap()});
  ASSERT_TRUE(relay->running()) << relay->err();

  WorkloadOptions options;
  options.seed = 90210;
  options.aggregate_types = types;
  options.keys = 30;
  options.max_rows_per_transaction = 10;
  options.min_pause = 0ms;
  options.max_pause = 10ms;
  options.max_duration = 120s;
  OutboxWriter writer(fixture.database(), options);
  writer.start();
  std::this_thread::sleep_for(2s);

  // What the topics hold; the test's own client may need a moment to find the nodes left.
  auto count = [&] {
    std::optional<std::int64_t> records;
    wait_until([&] { return (records = kafka.count(topics)).has_value(); }, 30s);
    return records;
  };

  // 1. The node leading the first topic's partition 0 dies.
  const auto first = cluster.leader(topics[0], 0);
  ASSERT_TRUE(first.has_value());
  const auto before_kill = count();
  ASSERT_TRUE(before_kill.has_value());
  ASSERT_TRUE(cluster.kill(*first));
  std::cout << "killed node " << *first << ", the leader of " << topics[0] << "/0\n";
  // Whether the relay publishes on: 500 more records than `since` within `timeout`.
  auto publishes_on = [&](std::int64_t since, std::chrono::seconds timeout) {
    return wait_until(
        [&] {
          const auto now = kafka.count(topics);
          return now && *now > since + 500;
        },
        timeout);
  };
  EXPECT_TRUE(publishes_on(*before_kill, 30s))
      << "the relay did not go on publishing after the kill\n"
      << tail(relay->err());

  // 2. A second node stops: one replica left of the two required to acknowledge (and one
  // controller of three, so the cluster's metadata is frozen too). Nothing can be acknowledged:
  // the relay must not confirm past what was committed meanwhile.
  const int second = *first % 3 + 1;
  ASSERT_TRUE(cluster.stop(second));
  std::cout << "stopped node " << second << "\n";
  std::this_thread::sleep_for(2s);
  const std::string lsn_in_outage = fixture.sql().column("SELECT pg_current_wal_lsn()::text").at(0);
  std::this_thread::sleep_for(6s);
  EXPECT_FALSE(fixture.slot_confirmed_at_least(lsn_in_outage))
      << "the slot was confirmed past events committed while nothing could be acknowledged ("
      << fixture.confirmed_lsn() << " >= " << lsn_in_outage << ")";
  ASSERT_TRUE(relay->running()) << tail(relay->err());

  // 3. One node returns: two replicas in sync again, and the relay catches up on its own.
  ASSERT_TRUE(cluster.start(second));
  const auto after_outage = count();
  ASSERT_TRUE(after_outage.has_value());
  EXPECT_TRUE(publishes_on(*after_outage, 60s))
      << "the relay did not go on publishing once two replicas were back\n"
      << tail(relay->err());
  ASSERT_TRUE(cluster.start(*first));
  std::this_thread::sleep_for(2s);
  writer.stop();
  ASSERT_EQ(writer.error(), "");
  const std::string last_commit = writer.wal_lsn_after_last_commit();
  EXPECT_TRUE(wait_until([&] { return fixture.slot_confirmed_at_least(last_commit); }, 90s))
      << "the slot was not confirmed past the last commit " << last_commit << " (confirmed "
      << fixture.confirmed_lsn() << ")\n"
      << tail(relay->err());

  const auto records = kafka.read_all(topics, 60s);
  const DeliveryAudit audit =
      audit_delivery(records, writer, outbox_payloads(fixture.sql()), topic_of_type);
  for (const auto& line : audit.problem_lines) ADD_FAILURE() << line;
  EXPECT_EQ(audit.missing, 0) << "committed events missing from Kafka, e.g." << audit.missing_ids;
  EXPECT_EQ(audit.problems, 0) << audit.problems << " problems (the first 20 reported above)";
  std::cout << writer.committed().size() << " events committed, " << records.size()
            << " records in Kafka, " << audit.duplicates << " duplicates\n";

  // The relay rode it all out in one session, with one producer.
  const std::string log = relay->err();
  EXPECT_EQ(log.find(" relay: session ended "), std::string::npos) << tail(log);
  EXPECT_EQ(log.find("restarting the pipeline"), std::string::npos) << tail(log);
  EXPECT_EQ(relay->stop(), 0) << tail(relay->err());
}

}  // namespace
}  // namespace outbox::testing
