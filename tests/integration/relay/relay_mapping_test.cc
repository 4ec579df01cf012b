// What consumers see: a mixed workload through the real relay, PostgreSQL and Kafka.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>
#include <set>

#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/relay_fixture.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

const ConsumedRecord* find_by_id(const std::vector<ConsumedRecord>& records,
                                 const std::string& id) {
  for (const auto& record : records) {
    auto header = record.headers.find("id");
    if (header != record.headers.end() && header->second == id) return &record;
  }
  return nullptr;
}

TEST(RelayMapping, PublishesCommittedOutboxInsertsWithTopicKeyValueHeadersAndOrder) {
  RelayFixture fixture("mapping");
  auto relay = fixture.start_relay(fixture.config_file());
  auto& sql = fixture.sql();
  sql.exec("CREATE TABLE other_table (id int PRIMARY KEY, note text)");

  fixture.insert_event(event_id(1), "Order", "order-1", "OrderCreated", R"({"orderId": 1})");
  sql.exec(
      "BEGIN;"
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload) VALUES"
      " ('" +
      event_id(2) +
      "', 'Order', 'order-2', 'OrderCreated', '{\"orderId\": 2}'),"
      " ('" +
      event_id(3) +
      "', 'Payment', 'payment-1', 'PaymentApproved', '{\"paymentId\": 1}'),"
      " ('" +
      event_id(4) +
      "', 'Order', 'order-2', 'OrderCancelled', '{\"orderId\": 2}');"
      "COMMIT;");
  // Rolled back: must never appear.
  sql.exec(
      "BEGIN;"
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload) VALUES"
      " ('" +
      event_id(5) +
      "', 'Order', 'rolled-back', 'OrderCreated', '{}');"
      "ROLLBACK;");
  // The clean-up pattern: insert then delete in one transaction still publishes the event.
  sql.exec(
      "BEGIN;"
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload) VALUES"
      " ('" +
      event_id(6) +
      "', 'Order', 'order-4', 'OrderCreated', '{\"orderId\": 4}');"
      "DELETE FROM outbox_events WHERE id = '" +
      event_id(6) +
      "';"
      "COMMIT;");
  // Updates, deletes and other tables are not events.
  sql.exec("UPDATE outbox_events SET event_type = 'Changed' WHERE id = '" + event_id(1) + "'");
  sql.exec("DELETE FROM outbox_events WHERE id = '" + event_id(2) + "'");
  sql.exec("INSERT INTO other_table VALUES (1, 'not an event')");
  // A payload of several hundred kilobytes, stored out of line (TOAST), arrives byte-identical.
  sql.exec(
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload) "
      "SELECT '" +
      event_id(7) +
      "', 'Order', 'order-3', 'OrderBulk', "
      "jsonb_build_object('lines', (SELECT jsonb_agg(jsonb_build_object('n', i, 'sku', "
      "md5(i::text))) FROM generate_series(1, 6000) i))");
  // A new column while the relay runs changes nothing for consumers.
  sql.exec("ALTER TABLE outbox_events ADD COLUMN trace_id text");
  sql.exec(
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, "
      "trace_id) VALUES ('" +
      event_id(8) +
      "', 'Order', 'order-1', 'OrderShipped', "
      "'{\"orderId\": 1, \"shipped\": true}', 'trace-8')");

  const auto records = read_topics({fixture.topic("order"), fixture.topic("payment")}, 7);
  ASSERT_EQ(records.size(), 7u) << relay->err();

  const auto big_payload =
      sql.column("SELECT payload::text FROM outbox_events WHERE id = '" + event_id(7) + "'");
  ASSERT_EQ(big_payload.size(), 1u);
  ASSERT_GT(big_payload[0].size(), 300'000u);

  struct Expected {
    long id;
    std::string topic, key, event_type, aggregate_type, value;
  };
  const std::vector<Expected> expected = {
      {1, fixture.topic("order"), "order-1", "OrderCreated", "Order", R"({"orderId": 1})"},
      {2, fixture.topic("order"), "order-2", "OrderCreated", "Order", R"({"orderId": 2})"},
      {3, fixture.topic("payment"), "payment-1", "PaymentApproved", "Payment",
       R"({"paymentId": 1})"},
      {4, fixture.topic("order"), "order-2", "OrderCancelled", "Order", R"({"orderId": 2})"},
      {6, fixture.topic("order"), "order-4", "OrderCreated", "Order", R"({"orderId": 4})"},
      {7, fixture.topic("order"), "order-3", "OrderBulk", "Order", big_payload[0]},
      {8, fixture.topic("order"), "order-1", "OrderShipped", "Order",
       R"({"orderId": 1, "shipped": true})"},
  };
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const auto& want : expected) {
    const auto* record = find_by_id(records, event_id(want.id));
    ASSERT_NE(record, nullptr) << "event " << want.id << " missing";
    EXPECT_EQ(record->topic, want.topic) << want.id;
    EXPECT_EQ(record->key, want.key) << want.id;
    EXPECT_EQ(record->value, want.value) << want.id;
    EXPECT_EQ(record->headers.at("event_type"), want.event_type) << want.id;
    EXPECT_EQ(record->headers.at("aggregate_type"), want.aggregate_type) << want.id;
    ASSERT_EQ(record->headers.count("created_at"), 1u) << want.id;
    EXPECT_EQ(record->headers.size(), 4u) << "only the configured headers";
    // The timestamp is the transaction's commit time.
    EXPECT_LT(std::abs(record->timestamp_ms - now_ms), 5 * 60 * 1000) << want.id;
  }
  for (const auto& record : records) {
    EXPECT_THAT(record.key, Not(HasSubstr("rolled-back")));
    EXPECT_NE(record.headers.at("event_type"), "Changed");
  }
  // Per key, commit order: order-2 created before cancelled; order-1 created before shipped.
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& record : records) by_key[record.key].push_back(record.headers.at("id"));
  EXPECT_EQ(by_key["order-2"], (std::vector<std::string>{event_id(2), event_id(4)}));
  EXPECT_EQ(by_key["order-1"], (std::vector<std::string>{event_id(1), event_id(8)}));

  relay->signal(SIGTERM);
  const auto status = relay->wait(60s);
  ASSERT_TRUE(status.has_value()) << "the relay did not stop within 60 s";
  EXPECT_EQ(*status, 0) << relay->err();
  EXPECT_NE(fixture.confirmed_lsn(), "");
}

TEST(RelayMapping, RowsCommittedAfterMigrateArePublishedWhenTheRelayFirstStartsLater) {
  RelayFixture fixture("aftermigrate");
  // migrate (again: idempotent) with the default create_slot: true creates the slot, so the
  // server keeps what is committed from now on, before any relay ever ran.
  const auto migrated = run_relay_command({"migrate", "--config", fixture.config_file()});
  ASSERT_EQ(migrated.status, 0) << migrated.out << migrated.err;
  EXPECT_THAT(migrated.out, HasSubstr("created " + fixture.slot()));
  fixture.insert_event(event_id(1), "Order", "early-1", "OrderCreated", R"({"early": true})");

  auto relay = fixture.start_relay(fixture.config_file());
  const auto records = read_topics({fixture.topic("order")}, 1);
  ASSERT_EQ(records.size(), 1u) << relay->err();
  EXPECT_EQ(records[0].key, "early-1");
  relay->signal(SIGTERM);
  ASSERT_TRUE(relay->wait(60s).has_value());
}

TEST(RelayMapping, PublishesEveryRowOfAPartitionedOutboxTableUnderTheTablesName) {
  RelayFixture fixture("partitioned");
  auto& sql = fixture.sql();
  // The outbox table, partitioned by creation time into two years; the publication is left to
  // the relay to create.
  sql.exec(
      "DROP PUBLICATION outbox_pub; DROP TABLE outbox_events;"
      "CREATE TABLE outbox_events (id UUID NOT NULL, aggregate_type VARCHAR(255) NOT NULL, "
      "aggregate_id VARCHAR(255) NOT NULL, event_type VARCHAR(255) NOT NULL, payload JSONB NOT "
      "NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (id, "
      "created_at)) PARTITION BY RANGE (created_at);"
      "CREATE TABLE outbox_events_2024 PARTITION OF outbox_events FOR VALUES FROM ('2024-01-01') "
      "TO ('2025-01-01');"
      "CREATE TABLE outbox_events_2025 PARTITION OF outbox_events FOR VALUES FROM ('2025-01-01') "
      "TO ('2026-01-01');");
  auto relay = fixture.start_relay(fixture.config_file());
  std::set<std::string> expected_ids;
  auto insert = [&](const std::string& table, long n, const std::string& created_at) {
    expected_ids.insert(event_id(n));
    sql.exec("INSERT INTO " + table +
             " (id, aggregate_type, aggregate_id, event_type, payload, created_at) VALUES ('" +
             event_id(n) + "', 'Order', 'order-" + std::to_string(n) + "', 'OrderCreated', " +
             "'{\"n\": " + std::to_string(n) + "}', '" + created_at + "')");
  };
  for (long n = 1; n <= 3; ++n) insert("outbox_events", n, "2024-06-0" + std::to_string(n));
  for (long n = 4; n <= 6; ++n) insert("outbox_events", n, "2025-06-0" + std::to_string(n));
  // A row written into a partition directly is the table's too.
  insert("outbox_events_2025", 7, "2025-12-31 23:59:59");
  ASSERT_EQ(sql.column("SELECT count(*) FROM ONLY outbox_events_2024").at(0), "3");
  ASSERT_EQ(sql.column("SELECT count(*) FROM ONLY outbox_events_2025").at(0), "4");

  const auto records = read_topics({fixture.topic("order")}, expected_ids.size());
  std::set<std::string> ids;
  for (const auto& record : records) ids.insert(record.headers.at("id"));
  EXPECT_EQ(ids, expected_ids) << relay->err();
  EXPECT_EQ(records.size(), expected_ids.size()) << relay->err();
  const auto* last = find_by_id(records, event_id(7));
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->key, "order-7");
  EXPECT_EQ(last->value, R"({"n": 7})");
  EXPECT_EQ(last->headers.at("created_at"), "2025-12-31 23:59:59");
  relay->signal(SIGTERM);
  const auto status = relay->wait(60s);
  ASSERT_TRUE(status.has_value()) << relay->err();
  EXPECT_EQ(*status, 0) << relay->err();
}

TEST(RelayMapping, TheCreatedAtHeaderIsIsoWhateverTheDatabasesDateStyleAndTimeZone) {
  RelayFixture fixture("datestyle");
  for (const char* setting : {"DateStyle = 'SQL, DMY'", "TimeZone = 'America/New_York'",
                              "IntervalStyle = 'sql_standard'"}) {
    fixture.sql().exec("ALTER DATABASE " + fixture.database() + " SET " + setting);
  }
  // Sessions opened from now on (the relay's walsender among them) get these defaults.
  ASSERT_EQ(PgSession(fixture.database()).column("SHOW DateStyle").at(0), "SQL, DMY");
  auto relay = fixture.start_relay(fixture.config_file());
  fixture.sql().exec(
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, "
      "created_at) VALUES ('" +
      event_id(1) + "', 'Order', 'order-1', 'OrderCreated', '{}', '2024-03-05 13:14:15.123456')");
  fixture.insert_event(event_id(2), "Order", "order-2", "OrderCreated", "{}");
  const auto records = read_topics({fixture.topic("order")}, 2);
  ASSERT_EQ(records.size(), 2u) << relay->err();
  const auto* fixed = find_by_id(records, event_id(1));
  const auto* now = find_by_id(records, event_id(2));
  ASSERT_TRUE(fixed != nullptr && now != nullptr) << relay->err();
  EXPECT_EQ(fixed->headers.at("created_at"), "2024-03-05 13:14:15.123456");
  const std::regex iso(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?)");
  EXPECT_TRUE(std::regex_match(now->headers.at("created_at"), iso))
      << now->headers.at("created_at");
  relay->signal(SIGTERM);
  ASSERT_TRUE(relay->wait(60s).has_value()) << relay->err();
}

}  // namespace
}  // namespace outbox::testing
