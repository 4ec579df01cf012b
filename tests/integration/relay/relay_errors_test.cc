// Outbox rows that can never become a Kafka record (a NULL key, a topic name Kafka refuses, a
// payload over message.max.bytes) follow sink.on_permanent_error: halt stops with exit 1 and
// confirms nothing from the failed event on, skip goes on without it, dlq writes it to the
// dead-letter topic with error headers and goes on. Every log line names the event and the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/record_headers.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;

// One outbox row in its own transaction; `aggregate_id` and `payload` are SQL expressions.
void insert_row(RelayFixture& fixture, long n, const std::string& aggregate_type,
                const std::string& aggregate_id, const std::string& payload) {
  fixture.sql().exec(
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload) VALUES "
      "('" +
      event_id(n) + "', '" + aggregate_type + "', " + aggregate_id + ", 'Happened', " + payload +
      ")");
}

// Like insert_row, and returns a WAL position inside the transaction, before its commit: once
// the slot is confirmed past it, the transaction was confirmed.
std::string insert_row_returning_lsn(RelayFixture& fixture, long n) {
  fixture.sql().exec("BEGIN");
  insert_row(fixture, n, "Order", "'order-" + std::to_string(n) + "'",
             "'{\"n\": " + std::to_string(n) + "}'");
  const auto lsn = fixture.sql().column("SELECT pg_current_wal_insert_lsn()::text");
  fixture.sql().exec("COMMIT");
  return lsn.empty() ? std::string("0/0") : lsn.front();
}

void allow_null_keys(RelayFixture& fixture) {
  fixture.sql().exec("ALTER TABLE outbox_events ALTER COLUMN aggregate_id DROP NOT NULL");
}

const ConsumedRecord* on_topic(const std::vector<ConsumedRecord>& records,
                               const std::string& topic) {
  for (const auto& record : records) {
    if (record.topic == topic) return &record;
  }
  return nullptr;
}

// Waits (bounded) until no walsender holds the slot, so it can be inspected.
bool wait_slot_released(RelayFixture& fixture) {
  return wait_until(
      [&] {
        const auto active = fixture.sql().column(
            "SELECT active::text FROM pg_replication_slots WHERE slot_name = '" + fixture.slot() +
            "'");
        return !active.empty() && active.front() == "false";
      },
      15s, 50ms);
}

// What the server would send the next session, without consuming it: every pgoutput message
// after the slot's confirmed_flush_lsn. The slot must be released.
std::string pending_changes_sql(const RelayFixture& fixture) {
  return "SELECT row_number() OVER () AS n, lsn, data FROM pg_logical_slot_peek_binary_changes('" +
         fixture.slot() + "', NULL, NULL, 'proto_version', '1', 'publication_names', 'outbox_pub')";
}

// How many of those messages carry `event`'s id: 0 once its transaction is confirmed.
int pending_mentions(RelayFixture& fixture, long event) {
  const auto count = fixture.sql().column("SELECT count(*) FROM (" + pending_changes_sql(fixture) +
                                          ") c WHERE position(convert_to('" + event_id(event) +
                                          "', 'UTF8') in c.data) > 0");
  return count.empty() ? -1 : std::stoi(count.front());
}

// The end LSN of the transaction that carries `event` (its Commit message), "" when no pending
// transaction carries it.
std::string pending_commit_lsn(RelayFixture& fixture, long event) {
  const auto lsn = fixture.sql().column(
      "WITH c AS (" + pending_changes_sql(fixture) +
      "), e AS (SELECT min(n) AS n FROM c WHERE position(convert_to('" + event_id(event) +
      "', 'UTF8') in data) > 0) SELECT coalesce((SELECT c.lsn::text FROM c, e WHERE c.n > e.n "
      "AND get_byte(c.data, 0) = ascii('C') ORDER BY c.n LIMIT 1), '')");
  return lsn.empty() ? std::string() : lsn.front();
}

// True when the slot's confirmed_flush_lsn `op` `lsn` (op: "<", ">", ...).
bool confirmed_compares(RelayFixture& fixture, const std::string& op, const std::string& lsn) {
  const auto result = fixture.sql().column(
      "SELECT (confirmed_flush_lsn " + op + " '" + lsn +
      "'::pg_lsn)::text FROM pg_replication_slots WHERE slot_name = '" + fixture.slot() + "'");
  return !result.empty() && result.front() == "true";
}

// Asserts the guarantee of a halt on `failed`: the transactions before it are confirmed (and so
// never sent again), its own and every later one are not (the next session gets them again).
void expect_confirmed_up_to_but_not_past(RelayFixture& fixture, const std::string& lsn_before,
                                         long before, long failed, long after) {
  ASSERT_TRUE(wait_slot_released(fixture)) << "the slot stayed in use after the relay exited";
  const std::string confirmed = fixture.confirmed_lsn();
  EXPECT_TRUE(confirmed_compares(fixture, ">", lsn_before))
      << "confirmed " << confirmed << " is not past the delivered event's transaction ("
      << lsn_before << ")";
  EXPECT_EQ(pending_mentions(fixture, before), 0) << "a delivered event would be sent again";
  EXPECT_EQ(pending_mentions(fixture, failed), 1)
      << "the failed event's transaction was confirmed (confirmed " << confirmed << ")";
  const std::string failed_commit = pending_commit_lsn(fixture, failed);
  ASSERT_NE(failed_commit, "");
  EXPECT_TRUE(confirmed_compares(fixture, "<", failed_commit))
      << "confirmed " << confirmed << " is past the failed transaction's end " << failed_commit;
  EXPECT_EQ(pending_mentions(fixture, after), 1) << "a later event was confirmed";
}

// The relay, stopped by SIGTERM: exit 0 within a bound.
void stop_cleanly(RelayProcess& relay) {
  relay.signal(SIGTERM);
  const auto status = relay.wait(30s);
  ASSERT_TRUE(status.has_value()) << "no exit within 30 s of SIGTERM\n" << relay.err();
  EXPECT_EQ(*status, 0) << relay.err();
}

// The relay must stop by itself on a halt: its exit status within a bound.
// Halts stop for an operator: exit status 3 (relay/exit_status.h, kExitNeedsOperator).
int wait_for_halt(RelayProcess& relay) {
  const auto status = relay.wait(30s);
  if (!status) {
    ADD_FAILURE() << "the relay did not halt within 30 s\n" << relay.err();
    return -1;
  }
  return *status;
}

// ---------------------------------------------------------------------------------------------
// A NULL key column.

TEST(RelayErrors, HaltsOnANullKeyNamingTheEventAndColumnAndConfirmsNothingFromItOn) {
  RelayFixture fixture("nullhalt");
  allow_null_keys(fixture);
  const auto config = fixture.config_file();
  auto relay = fixture.start_relay(config);
  const std::string before = insert_row_returning_lsn(fixture, 1);
  insert_row(fixture, 2, "Order", "NULL", "'{\"n\": 2}'");
  insert_row(fixture, 3, "Order", "'order-3'", "'{\"n\": 3}'");

  EXPECT_EQ(wait_for_halt(*relay), 3) << relay->err();
  const auto log = relay->err();
  EXPECT_THAT(log, HasSubstr("halting (on_permanent_error: halt)"));
  EXPECT_THAT(log, HasSubstr(event_id(2))) << "the log does not name the event\n" << log;
  EXPECT_THAT(log, HasSubstr("aggregate_id")) << "the log does not name the column\n" << log;
  EXPECT_THAT(log, HasSubstr("NULL"));

  const auto records = read_topics({fixture.topic("order")}, 1, 20s);
  EXPECT_EQ(ids_of(records), std::set<std::string>{event_id(1)})
      << "only the event before the failed one is published";
  expect_confirmed_up_to_but_not_past(fixture, before, 1, 2, 3);

  // The next start gets the failed event again, and halts on it again.
  RelayProcess again({"run", "--config", config});
  EXPECT_EQ(wait_for_halt(again), 3) << again.err();
  EXPECT_THAT(again.err(), HasSubstr("halting"));
  EXPECT_THAT(again.err(), HasSubstr(event_id(2)));
  expect_confirmed_up_to_but_not_past(fixture, before, 1, 2, 3);
}

TEST(RelayErrors, SkipsANullKeyRowWithOnPermanentErrorSkipAndKeepsStreaming) {
  RelayFixture fixture("nullskip");
  allow_null_keys(fixture);
  auto relay = fixture.start_relay(fixture.config_file("  on_permanent_error: skip\n"));
  insert_row(fixture, 1, "Order", "'order-1'", "'{\"n\": 1}'");
  // The skipped row shares its transaction with a good one.
  fixture.sql().exec("BEGIN");
  insert_row(fixture, 2, "Order", "NULL", "'{\"n\": 2}'");
  insert_row(fixture, 3, "Order", "'order-3'", "'{\"n\": 3}'");
  fixture.sql().exec("COMMIT");
  insert_row(fixture, 4, "Order", "'order-4'", "'{\"n\": 4}'");

  const auto records = read_topics({fixture.topic("order")}, 3, 30s);
  EXPECT_EQ(ids_of(records), (std::set<std::string>{event_id(1), event_id(3), event_id(4)}))
      << relay->err();
  EXPECT_TRUE(relay->running()) << relay->err();
  const auto log = relay->err();
  EXPECT_THAT(log, HasSubstr("skipping an event that cannot be published"));
  EXPECT_THAT(log, HasSubstr(event_id(2))) << "the log does not name the event\n" << log;
  EXPECT_THAT(log, HasSubstr("aggregate_id"));

  stop_cleanly(*relay);
  ASSERT_TRUE(wait_slot_released(fixture));
  EXPECT_EQ(pending_mentions(fixture, 2), 0) << "a skipped event is confirmed past";
  EXPECT_EQ(pending_mentions(fixture, 4), 0);
}

TEST(RelayErrors, DeadLettersANullKeyRowWithTheErrorAndItsIdAndKeepsStreaming) {
  RelayFixture fixture("nulldlq");
  allow_null_keys(fixture);
  const std::string dlq = unique_name("dlq");
  auto relay = fixture.start_relay(
      fixture.config_file("  on_permanent_error: dlq\n  dlq_topic: " + dlq + "\n"));
  insert_row(fixture, 1, "Order", "'order-1'", "'{\"n\": 1}'");
  insert_row(fixture, 2, "Order", "NULL", "'{\"n\": 2}'");
  insert_row(fixture, 3, "Order", "'order-3'", "'{\"n\": 3}'");

  const auto records = read_topics({fixture.topic("order"), dlq}, 3, 30s);
  ASSERT_EQ(records.size(), 3u) << relay->err();
  const auto* letter = on_topic(records, dlq);
  ASSERT_NE(letter, nullptr) << relay->err();
  const std::string error = header(*letter, "outbox.error");
  EXPECT_THAT(error, HasSubstr("aggregate_id"));
  EXPECT_THAT(error, HasSubstr("NULL"));
  EXPECT_EQ(header(*letter, "id"), event_id(2)) << "the dead letter does not say which event";
  EXPECT_EQ(header(*letter, "outbox.table"), "public.outbox_events");
  // The event itself survives in the dead letter: with the insert-then-delete clean-up pattern
  // the table no longer has it.
  EXPECT_EQ(letter->value, "{\"n\": 2}") << "the dead letter lost the payload";
  EXPECT_EQ(header(*letter, "event_type"), "Happened");

  std::vector<ConsumedRecord> events;
  for (const auto& record : records) {
    if (record.topic == fixture.topic("order")) events.push_back(record);
  }
  EXPECT_EQ(ids_of(events), (std::set<std::string>{event_id(1), event_id(3)}));
  EXPECT_THAT(relay->err(), HasSubstr("dead-lettering"));
  EXPECT_THAT(relay->err(), HasSubstr(event_id(2)));

  stop_cleanly(*relay);
  ASSERT_TRUE(wait_slot_released(fixture));
  EXPECT_EQ(pending_mentions(fixture, 2), 0) << "a dead-lettered event is confirmed past";
}

// ---------------------------------------------------------------------------------------------
// A payload larger than the producer's message.max.bytes.

const std::string kSmallMessages = "    message.max.bytes: 100000\n";
const std::string kBigPayload = "jsonb_build_object('blob', repeat('x', 200000))";

TEST(RelayErrors, HaltsOnAPayloadOverMessageMaxBytesNamingTheSizeAndTheLimit) {
  RelayFixture fixture("bighalt");
  auto relay = fixture.start_relay(fixture.config_file({}, kSmallMessages));
  const std::string before = insert_row_returning_lsn(fixture, 1);
  insert_row(fixture, 2, "Order", "'order-2'", kBigPayload);
  insert_row(fixture, 3, "Order", "'order-3'", "'{\"n\": 3}'");

  EXPECT_EQ(wait_for_halt(*relay), 3) << relay->err();
  const auto log = relay->err();
  EXPECT_THAT(log, HasSubstr("halting"));
  EXPECT_THAT(log, HasSubstr(event_id(2)));
  EXPECT_THAT(log, HasSubstr("too large"));
  EXPECT_THAT(log, HasSubstr("message.max.bytes=100000"));
  EXPECT_THAT(log, HasSubstr(fixture.topic("order")));

  const auto records = read_topics({fixture.topic("order")}, 1, 20s);
  EXPECT_EQ(ids_of(records), std::set<std::string>{event_id(1)});
  expect_confirmed_up_to_but_not_past(fixture, before, 1, 2, 3);
}

TEST(RelayErrors, DeadLettersAnOversizedPayloadWithoutItsValueAndKeepsStreaming) {
  RelayFixture fixture("bigdlq");
  const std::string dlq = unique_name("dlq");
  auto relay = fixture.start_relay(
      fixture.config_file("  on_permanent_error: dlq\n  dlq_topic: " + dlq + "\n", kSmallMessages));
  insert_row(fixture, 1, "Order", "'order-1'", "'{\"n\": 1}'");
  insert_row(fixture, 2, "Order", "'order-2'", kBigPayload);
  insert_row(fixture, 3, "Order", "'order-3'", "'{\"n\": 3}'");

  const auto records = read_topics({fixture.topic("order"), dlq}, 3, 30s);
  ASSERT_EQ(records.size(), 3u) << relay->err();
  const auto* letter = on_topic(records, dlq);
  ASSERT_NE(letter, nullptr) << relay->err();
  EXPECT_EQ(letter->value, "") << "a value Kafka refused as too large is left out";
  EXPECT_EQ(letter->key, "order-2");
  EXPECT_EQ(header(*letter, "id"), event_id(2));
  const std::string error = header(*letter, "outbox.error");
  EXPECT_THAT(error, HasSubstr("too large"));
  EXPECT_THAT(error, HasSubstr("message.max.bytes=100000"));
  EXPECT_EQ(header(*letter, "outbox.original_topic"), fixture.topic("order"));

  std::vector<ConsumedRecord> events;
  for (const auto& record : records) {
    if (record.topic == fixture.topic("order")) events.push_back(record);
  }
  EXPECT_EQ(ids_of(events), (std::set<std::string>{event_id(1), event_id(3)}));
  EXPECT_TRUE(relay->running()) << relay->err();
  stop_cleanly(*relay);
}

// ---------------------------------------------------------------------------------------------
// An aggregate type that makes a topic name Kafka would refuse.

TEST(RelayErrors, HaltsOnAnAggregateTypeThatRoutesToAnInvalidTopicNamingTheTopic) {
  RelayFixture fixture("badtopic");
  auto relay = fixture.start_relay(fixture.config_file());
  const std::string before = insert_row_returning_lsn(fixture, 1);
  insert_row(fixture, 2, "Bad Type!", "'bad-2'", "'{\"n\": 2}'");
  insert_row(fixture, 3, "Order", "'order-3'", "'{\"n\": 3}'");

  EXPECT_EQ(wait_for_halt(*relay), 3) << relay->err();
  const auto log = relay->err();
  EXPECT_THAT(log, HasSubstr("halting"));
  EXPECT_THAT(log, HasSubstr(event_id(2)));
  EXPECT_THAT(log, HasSubstr(fixture.topic_prefix() + ".bad type!.events"));
  EXPECT_THAT(log, HasSubstr("not a valid Kafka topic name"));

  const auto records = read_topics({fixture.topic("order")}, 1, 20s);
  EXPECT_EQ(ids_of(records), std::set<std::string>{event_id(1)});
  expect_confirmed_up_to_but_not_past(fixture, before, 1, 2, 3);
}

TEST(RelayErrors, SkipsAnAggregateTypeThatRoutesToAnInvalidTopicAndKeepsStreaming) {
  RelayFixture fixture("badtopicskip");
  auto relay = fixture.start_relay(fixture.config_file("  on_permanent_error: skip\n"));
  insert_row(fixture, 1, "Order", "'order-1'", "'{\"n\": 1}'");
  insert_row(fixture, 2, "Bad Type!", "'bad-2'", "'{\"n\": 2}'");
  insert_row(fixture, 3, "Order", "'order-3'", "'{\"n\": 3}'");

  const auto records = read_topics({fixture.topic("order")}, 2, 30s);
  EXPECT_EQ(ids_of(records), (std::set<std::string>{event_id(1), event_id(3)})) << relay->err();
  EXPECT_TRUE(relay->running()) << relay->err();
  const auto log = relay->err();
  EXPECT_THAT(log, HasSubstr("skipping an event that cannot be published"));
  EXPECT_THAT(log, HasSubstr(event_id(2)));
  EXPECT_THAT(log, HasSubstr(fixture.topic_prefix() + ".bad type!.events"));
  stop_cleanly(*relay);
}

}  // namespace
}  // namespace outbox::testing
