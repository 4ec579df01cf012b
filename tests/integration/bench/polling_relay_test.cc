// The benchmark's polling contender (bench/contenders/polling_relay.cc) against the real
// PostgreSQL and Kafka: what it publishes, what it marks, what it does with a failed send, and
// that a stop finishes the row in flight.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/support/child_process.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;

// A topic name Kafka refuses, so every send fails at once.
const char* const kRefusedTopic = "refused topic!";

class PollingRelay : public ::testing::Test {
 protected:
  std::unique_ptr<ChildProcess> start(const std::string& topic,
                                      std::vector<std::string> extra_args = {}) {
    std::vector<std::string> argv{POLLING_RELAY_BINARY,
                                  "--dsn",
                                  fixture_.dsn(),
                                  "--brokers",
                                  services().kafka_bootstrap,
                                  "--table",
                                  "public.outbox_events",
                                  "--topic",
                                  topic,
                                  "--interval-ms",
                                  "100"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    auto relay = std::make_unique<ChildProcess>(argv);
    EXPECT_TRUE(relay->wait_for_log("polling public.outbox_events", 30s)) << relay->err();
    return relay;
  }
  long count(const std::string& where) {
    return std::stol(
        fixture_.sql().column("SELECT count(*) FROM outbox_events WHERE " + where).at(0));
  }
  // n rows in one statement: ids event_id(first..first+n-1), aggregates order-0..order-6,
  // payload {"n": <n>}, created_at in insertion order.
  void insert_rows(long first, long n) {
    fixture_.sql().exec(
        "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, "
        "created_at) SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, "
        "'Order', 'order-' || (n % 7), 'OrderCreated', jsonb_build_object('n', n), "
        "clock_timestamp() FROM generate_series(" +
        std::to_string(first) + ", " + std::to_string(first + n - 1) + ") n");
  }

  RelayFixture fixture_{"polling"};
  const std::string topic_ = fixture_.topic("polling");
};

TEST_F(PollingRelay, PublishesEachUnpublishedRowOnceWithItsIdKeyAndPayloadThenMarksIt) {
  insert_rows(1, 20);
  fixture_.insert_event(event_id(100), "Order", "order-x", "OrderCreated", R"({"n": 100})");
  fixture_.sql().exec("UPDATE outbox_events SET published = true WHERE id = '" + event_id(100) +
                      "'");  // already published: never sent again
  auto relay = start(topic_);
  ASSERT_TRUE(wait_until([&] { return count("published = false") == 0; }, 30s)) << relay->err();
  insert_rows(21, 5);  // written while it runs: a later poll takes them
  ASSERT_TRUE(wait_until([&] { return count("published = false") == 0; }, 30s)) << relay->err();
  // The 25 it sent carry their time; the row published before it ran was never touched.
  EXPECT_EQ(count("published AND published_at IS NOT NULL"), 25);

  const auto records = read_topics({topic_}, 25, 30s);
  ASSERT_EQ(records.size(), 25u);
  std::set<std::string> ids;
  std::map<std::string, long> last_n;  // per key: payloads of one aggregate arrive in order
  for (const auto& record : records) {
    const std::string id = record.headers.at("id");
    EXPECT_TRUE(ids.insert(id).second) << "sent twice: " << id;
    const long n = std::stol(id.substr(24), nullptr, 16);
    EXPECT_EQ(record.key, "order-" + std::to_string(n % 7)) << id;
    EXPECT_EQ(record.value, R"({"n": )" + std::to_string(n) + "}") << id;
    EXPECT_GT(n, last_n[record.key]) << record.key;
    last_n[record.key] = n;
  }
  EXPECT_EQ(ids.count(event_id(100)), 0u);
  EXPECT_EQ(relay->stop(30s), 0) << relay->err();
}

TEST_F(PollingRelay, ReadsAtMostTheBatchSizeAPoll) {
  insert_rows(1, 7);
  auto relay = start(topic_, {"--batch-size", "3"});
  ASSERT_TRUE(wait_until([&] { return count("published = false") == 0; }, 30s)) << relay->err();
  EXPECT_EQ(relay->count_in_log("polled 3 rows: published 3"), 2u) << relay->err();
  EXPECT_EQ(relay->count_in_log("polled 1 rows: published 1"), 1u) << relay->err();
  EXPECT_EQ(relay->stop(30s), 0) << relay->err();
}

TEST_F(PollingRelay, LeavesRowsItCouldNotSendUnpublishedGoesOnAndSendsThemAtALaterPoll) {
  insert_rows(1, 2);
  auto refused = start(kRefusedTopic);
  // Both rows fail in each poll (a failure does not end the batch), and are tried again.
  ASSERT_TRUE(wait_until([&] { return refused->count_in_log("published 0, failed 2") >= 2; }, 30s))
      << refused->err();
  EXPECT_EQ(refused->stop(30s), 0) << refused->err();
  EXPECT_EQ(count("published = false"), 2);
  EXPECT_THAT(refused->err(), HasSubstr("failed to publish event " + event_id(1)));

  auto relay = start(topic_);
  ASSERT_TRUE(wait_until([&] { return count("published = false") == 0; }, 30s)) << relay->err();
  EXPECT_EQ(read_topics({topic_}, 2, 30s).size(), 2u);
  EXPECT_EQ(relay->stop(30s), 0) << relay->err();
}

TEST_F(PollingRelay, StopsTheBatchAtItsFirstFailureWhenAsked) {
  insert_rows(1, 2);
  auto relay = start(kRefusedTopic, {"--stop-batch-on-failure"});
  ASSERT_TRUE(wait_until([&] { return relay->count_in_log("published 0, failed 1") >= 2; }, 30s))
      << relay->err();
  EXPECT_EQ(relay->count_in_log("failed 2"), 0u) << relay->err();
  EXPECT_EQ(relay->count_in_log("failed to publish event " + event_id(2)), 0u) << relay->err();
  EXPECT_EQ(relay->stop(30s), 0) << relay->err();
}

TEST_F(PollingRelay, FinishesTheRowInFlightOnSigtermSoEverySentRowIsMarked) {
  constexpr long kRows = 3000;
  insert_rows(1, kRows);
  auto relay = start(topic_);
  ASSERT_TRUE(wait_until([&] { return count("published") >= 50; }, 30s, 5ms)) << relay->err();
  relay->signal(SIGTERM);
  ASSERT_EQ(relay->wait(30s), 0) << relay->err();
  const long marked = count("published");
  ASSERT_LT(marked, kRows) << "the stop came after the batch; nothing was in flight";
  // read_topics waits a grace period past `marked` records, so a sent but unmarked row shows.
  const auto records = read_topics({topic_}, static_cast<std::size_t>(marked), 30s);
  EXPECT_EQ(static_cast<long>(records.size()), marked) << relay->err();
}

}  // namespace
}  // namespace outbox::testing
