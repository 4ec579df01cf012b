// Faults under load, through the real relay process and real servers: a Kafka outage, a
// PostgreSQL restart, and a busy database whose outbox is quiet. The first two stop servers, so
// they run on servers of their own (PrivateServices); the third uses the shared ones.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/lsn.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/occurrences.h"
#include "tests/integration/support/private_relay.h"
#include "tests/integration/support/private_services.h"
#include "tests/integration/support/record_headers.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Lsn lsn(const std::string& text) {
  const auto parsed = Lsn::parse(text);
  EXPECT_TRUE(parsed.has_value()) << "not an LSN: \"" << text << "\"";
  return parsed.value_or(Lsn());
}

// Rows are numbered from 1; row n belongs to aggregate n % kAggregates, so every aggregate gets
// a long sequence of events whose order can be checked.
constexpr long kAggregates = 7;
std::string aggregate_of(long row) { return "agg-" + std::to_string(row % kAggregates); }

// One transaction the writer attempted.
struct WrittenTransaction {
  enum class Outcome {
    kCommitted,     // COMMIT succeeded
    kNotCommitted,  // failed before COMMIT was sent: rolled back by the server
    kUnknown,       // the connection broke during COMMIT: look for its rows afterwards
  };
  long first_row = 0;  // rows first_row .. first_row + rows - 1
  int rows = 0;
  std::string xid;  // pg_current_xact_id(), when known
  Outcome outcome = Outcome::kNotCommitted;
};

// Inserts numbered outbox rows in small transactions (1 to 3 rows) on a connection of its own
// until stopped. When the server goes away it reconnects and goes on with new numbers; only
// transactions whose COMMIT succeeded count as committed.
class OutboxWriter {
 public:
  explicit OutboxWriter(std::string conninfo) : client_(std::move(conninfo)) {
    thread_ = std::thread([this] { run(); });
  }
  ~OutboxWriter() { stop(); }
  OutboxWriter(const OutboxWriter&) = delete;
  OutboxWriter& operator=(const OutboxWriter&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Transactions begun so far; transaction i (0-based) began after begun() returned i or less.
  long begun() const { return begun_; }
  long committed() const { return committed_; }
  long failures() const { return failures_; }
  std::vector<WrittenTransaction> transactions() const {
    std::lock_guard lock(mutex_);
    return transactions_;
  }
  std::string last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
  }

 private:
  void run() {
    long next_row = 1;
    while (!stop_) {
      if (!client_.ok() && !client_.reconnect()) {
        std::this_thread::sleep_for(100ms);  // the server is down: try again shortly
        continue;
      }
      WrittenTransaction transaction;
      transaction.first_row = next_row;
      transaction.rows = 1 + static_cast<int>(next_row % 3);
      next_row += transaction.rows;
      std::string sql =
          "BEGIN; INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, "
          "payload) VALUES ";
      for (long row = transaction.first_row; row < next_row; ++row) {
        if (row != transaction.first_row) sql += ", ";
        sql += "('" + event_id(row) + "', 'Order', '" + aggregate_of(row) +
               "', 'Written', '{\"row\": " + std::to_string(row) + "}')";
      }
      sql += "; SELECT pg_current_xact_id()::text";
      ++begun_;
      std::string error;
      if (auto xid = client_.try_rows(sql, &error); xid && xid->size() == 1) {
        transaction.xid = xid->front().front();
        transaction.outcome = client_.try_rows("COMMIT", &error)
                                  ? WrittenTransaction::Outcome::kCommitted
                                  : WrittenTransaction::Outcome::kUnknown;
      } else if (client_.ok()) {
        client_.try_rows("ROLLBACK");
      }
      if (transaction.outcome != WrittenTransaction::Outcome::kCommitted) ++failures_;
      {
        std::lock_guard lock(mutex_);
        transactions_.push_back(transaction);
        if (!error.empty()) last_error_ = error;
      }
      if (transaction.outcome == WrittenTransaction::Outcome::kCommitted) ++committed_;
      // About a hundred transactions a second: load, not a benchmark.
      std::this_thread::sleep_for(10ms);
    }
  }

  PgClient client_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<long> begun_{0};
  std::atomic<long> committed_{0};
  std::atomic<long> failures_{0};
  mutable std::mutex mutex_;
  std::vector<WrittenTransaction> transactions_;
  std::string last_error_;
};

// What must be in Kafka: the rows of committed transactions in commit order, and rows that must
// never appear.
struct Expected {
  std::vector<long> committed_rows;
  std::set<long> absent_rows;
};

// Settles every transaction's outcome; an unknown one is committed exactly when its rows exist.
Expected resolve(PgClient& sql, const std::vector<WrittenTransaction>& transactions) {
  Expected expected;
  for (const auto& transaction : transactions) {
    bool committed = transaction.outcome == WrittenTransaction::Outcome::kCommitted;
    if (!committed) {
      std::string ids;
      for (int i = 0; i < transaction.rows; ++i) {
        ids += (i ? ", '" : "'") + event_id(transaction.first_row + i) + "'";
      }
      const auto found = sql.value("SELECT count(*) FROM outbox_events WHERE id IN (" + ids + ")");
      if (transaction.outcome == WrittenTransaction::Outcome::kNotCommitted) {
        EXPECT_EQ(found, "0") << "rows of a transaction that never committed, from row "
                              << transaction.first_row;
      } else {
        EXPECT_TRUE(found == "0" || found == std::to_string(transaction.rows))
            << "part of a transaction, from row " << transaction.first_row << ": " << found;
      }
      committed = found == std::to_string(transaction.rows);
    }
    for (int i = 0; i < transaction.rows; ++i) {
      if (committed) {
        expected.committed_rows.push_back(transaction.first_row + i);
      } else {
        expected.absent_rows.insert(transaction.first_row + i);
      }
    }
  }
  return expected;
}

// Reads `topic` until every committed row is there (duplicates may come first) or `timeout`.
std::vector<ConsumedRecord> read_until_complete(const std::string& topic, const Expected& expected,
                                                const std::string& bootstrap,
                                                std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<ConsumedRecord> records;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) return records;
    records = read_topics({topic}, expected.committed_rows.size(), left, bootstrap);
    const auto ids = ids_of(records);
    if (std::all_of(expected.committed_rows.begin(), expected.committed_rows.end(),
                    [&](long row) { return ids.count(event_id(row)) == 1; })) {
      return records;
    }
  }
}

// Every committed row arrived; nothing else did; a duplicate is the same record again; per key,
// first deliveries come in commit order.
void expect_delivered_in_commit_order(const std::vector<ConsumedRecord>& records,
                                      const Expected& expected) {
  std::map<std::string, long> row_of_id;
  for (long row : expected.committed_rows) row_of_id[event_id(row)] = row;
  std::map<std::string, const ConsumedRecord*> first_of_id;
  std::map<std::string, std::vector<long>> delivered_by_key;
  std::size_t duplicates = 0;
  for (const auto& record : records) {
    const auto id = record.headers.find("id");
    ASSERT_NE(id, record.headers.end()) << "a record without an id header";
    const auto row = row_of_id.find(id->second);
    if (row == row_of_id.end()) {
      ADD_FAILURE() << "a record that is no committed row: " << id->second
                    << (expected.absent_rows.empty() ? "" : " (or of a rolled-back transaction)");
      continue;
    }
    if (const auto first = first_of_id.find(id->second); first != first_of_id.end()) {
      ++duplicates;
      EXPECT_EQ(record.key, first->second->key) << id->second;
      EXPECT_EQ(record.value, first->second->value) << id->second;
      continue;
    }
    first_of_id[id->second] = &record;
    EXPECT_EQ(record.key, aggregate_of(row->second)) << id->second;
    EXPECT_EQ(record.value, "{\"row\": " + std::to_string(row->second) + "}") << id->second;
    delivered_by_key[record.key].push_back(row->second);
  }
  std::vector<long> missing;
  std::map<std::string, std::vector<long>> committed_by_key;
  for (long row : expected.committed_rows) {
    if (first_of_id.count(event_id(row)) == 0) missing.push_back(row);
    committed_by_key[aggregate_of(row)].push_back(row);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << expected.committed_rows.size()
                               << " committed rows never reached Kafka; the first is row "
                               << (missing.empty() ? 0 : missing.front());
  if (!missing.empty()) return;
  for (const auto& [key, rows] : committed_by_key) {
    EXPECT_EQ(delivered_by_key[key], rows)
        << "first deliveries of " << key << " are not in commit order";
  }
  std::printf("[ info ] %zu committed rows delivered, %zu duplicates\n",
              expected.committed_rows.size(), duplicates);
}

// True once the slot has confirmed `target` or more.
bool slot_reached(PgClient& sql, const std::string& slot, const std::string& target) {
  const auto rows =
      sql.try_rows("SELECT confirmed_flush_lsn >= '" + target +
                   "'::pg_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
  return rows && rows->size() == 1 && rows->front().front() == "t";
}

const std::string kFastReconnect = "    reconnect.backoff.max.ms: 1000\n";

TEST(RelayFaults, AKafkaOutageUnderLoadLosesNothingAndNeverConfirmsPastAnUndeliveredEvent) {
  PrivateServices servers("outage");
  ASSERT_TRUE(servers.ok());
  PrivateRelay setup(servers, "outage");
  auto& sql = setup.sql();
  // A second slot, test_decoding, only to learn each transaction's exact commit end LSN (what
  // pgoutput's Commit carries and the relay confirms) afterwards.
  const std::string commits_slot = setup.slot() + "_commits";
  sql.exec("SELECT pg_create_logical_replication_slot('" + commits_slot + "', 'test_decoding')");
  // Room for several seconds of events in flight: the relay goes on reading (and must not
  // confirm what it reads) well into the outage, then back-pressure stops it.
  auto relay =
      setup.start_relay(setup.config_file("  max_in_flight_events: 1500\n", kFastReconnect));
  ASSERT_TRUE(relay->running()) << relay->err();

  OutboxWriter writer(setup.conninfo());
  const auto arrived = read_topics({setup.topic("order")}, 20, 60s, setup.kafka_bootstrap());
  ASSERT_GE(arrived.size(), 20u) << "nothing reached Kafka before the outage\n" << relay->err();

  ASSERT_TRUE(servers.stop_kafka());
  const auto outage_start = Clock::now();
  // Transactions from this index on began after the broker was gone: none of their events can
  // be acknowledged before it is back.
  const long first_after_stop = writer.begun();

  struct Sample {
    std::string confirmed;
    std::string sent;  // what the walsender has sent the relay
    double since_reply_s;
  };
  std::vector<Sample> samples;
  // At least 20 s, and until the relay reached back-pressure (at most 40 s).
  auto backpressure = [&] { return relay->err().find("back-pressure on") != std::string::npos; };
  while (Clock::now() - outage_start < 20s ||
         (!backpressure() && Clock::now() - outage_start < 40s)) {
    ASSERT_TRUE(relay->running()) << "the relay exited during the outage\n" << relay->err();
    const auto rows = sql.rows(
        "SELECT coalesce(s.confirmed_flush_lsn::text, ''), s.active::text, "
        "coalesce(extract(epoch FROM clock_timestamp() - r.reply_time)::float8::text, '-1'), "
        "coalesce(r.sent_lsn::text, '0/0') "
        "FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid "
        "WHERE s.slot_name = '" +
        setup.slot() + "'");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][1], "true") << "the slot went inactive during the outage";
    EXPECT_NE(rows[0][2], "-1") << "no walsender (or no reply yet) for the slot";
    samples.push_back({rows[0][0], rows[0][3], std::stod(rows[0][2])});
    // The sampling period of the observation, not a wait for something to happen.
    std::this_thread::sleep_for(250ms);
  }
  const long committed_in_outage = writer.committed();
  ASSERT_TRUE(servers.start_kafka());
  writer.stop();
  ASSERT_TRUE(relay->running()) << relay->err();
  const auto transactions = writer.transactions();
  ASSERT_GT(committed_in_outage, first_after_stop + 20) << "the writer stalled during the outage";

  // The relay kept talking to PostgreSQL: status updates (replies) every status interval.
  for (const auto& sample : samples) {
    EXPECT_LT(sample.since_reply_s, 5.0) << "the relay stopped answering the server";
  }
  EXPECT_TRUE(backpressure()) << "the relay never held back reading\n" << relay->err();

  // The law: no confirmed position during the outage reached the commit of the first
  // transaction that began after the broker stopped.
  std::map<std::string, std::string> end_lsn_of_xid;
  for (const auto& row :
       sql.rows("SELECT xid::text, lsn::text FROM pg_logical_slot_peek_changes('" + commits_slot +
                "', NULL, NULL) WHERE data LIKE 'COMMIT%'")) {
    end_lsn_of_xid[row[0]] = row[1];
  }
  sql.exec("SELECT pg_drop_replication_slot('" + commits_slot + "')");
  std::string first_undelivered_end;
  for (std::size_t i = static_cast<std::size_t>(first_after_stop); i < transactions.size(); ++i) {
    if (transactions[i].outcome != WrittenTransaction::Outcome::kCommitted) continue;
    ASSERT_EQ(end_lsn_of_xid.count(transactions[i].xid), 1u) << transactions[i].xid;
    first_undelivered_end = end_lsn_of_xid[transactions[i].xid];
    break;
  }
  ASSERT_FALSE(first_undelivered_end.empty());
  std::printf(
      "[ info ] %zu samples in the outage; last confirmed %s, sent %s; first undelivered "
      "commit ends at %s; %ld transactions began after the stop\n",
      samples.size(), samples.empty() ? "-" : samples.back().confirmed.c_str(),
      samples.empty() ? "-" : samples.back().sent.c_str(), first_undelivered_end.c_str(),
      static_cast<long>(transactions.size()) - first_after_stop);
  // The check means something only when the relay was sent that transaction in the outage.
  EXPECT_TRUE(std::any_of(samples.begin(), samples.end(), [&](const Sample& sample) {
    return lsn(sample.sent) >= lsn(first_undelivered_end);
  })) << "the server never sent the relay a transaction begun in the outage";
  for (const auto& sample : samples) {
    EXPECT_LT(lsn(sample.confirmed), lsn(first_undelivered_end))
        << "confirmed " << sample.confirmed << " during the outage, but the transaction ending at "
        << first_undelivered_end << " was not in Kafka";
  }

  const Expected expected = resolve(sql, transactions);
  ASSERT_EQ(expected.committed_rows.empty(), false);
  const auto records =
      read_until_complete(setup.topic("order"), expected, setup.kafka_bootstrap(), 60s);
  expect_delivered_in_commit_order(records, expected);

  // Once everything is delivered the slot catches up with the server.
  const auto after_last_commit = sql.value("SELECT pg_current_wal_lsn()::text");
  EXPECT_TRUE(wait_until([&] { return slot_reached(sql, setup.slot(), after_last_commit); }, 30s))
      << "the slot did not reach " << after_last_commit << "\n"
      << relay->err();

  relay->signal(SIGTERM);
  const auto status = relay->wait(60s);
  ASSERT_TRUE(status.has_value()) << "the relay did not stop within 60 s";
  EXPECT_EQ(*status, 0) << relay->err();
}

TEST(RelayFaults, APostgresRestartUnderLoadIsSurvivedByReconnectingWithNothingLost) {
  PrivateServices servers("restart");
  ASSERT_TRUE(servers.ok());
  PrivateRelay setup(servers, "restart");
  auto relay = setup.start_relay(setup.config_file({}, kFastReconnect));
  ASSERT_TRUE(relay->running()) << relay->err();

  OutboxWriter writer(setup.conninfo());
  const auto arrived = read_topics({setup.topic("order")}, 20, 60s, setup.kafka_bootstrap());
  ASSERT_GE(arrived.size(), 20u) << "nothing reached Kafka before the restart\n" << relay->err();

  ASSERT_TRUE(servers.stop_postgres());
  const auto down_since = Clock::now();
  EXPECT_TRUE(relay->wait_for_log("PostgreSQL connection lost", 30s)) << relay->err();
  // PostgreSQL stays down for 5 s: the length of the outage is what the relay must survive.
  std::this_thread::sleep_for(5s - std::min<Clock::duration>(5s, Clock::now() - down_since));
  ASSERT_TRUE(relay->running()) << "the relay exited while PostgreSQL was down\n" << relay->err();
  ASSERT_TRUE(servers.start_postgres());

  EXPECT_TRUE(
      wait_until([&] { return occurrences(relay->err(), "connected to PostgreSQL") >= 2; }, 60s))
      << "the relay did not reconnect\n"
      << relay->err();
  const long committed_at_restart = writer.committed();
  EXPECT_TRUE(wait_until([&] { return writer.committed() >= committed_at_restart + 50; }, 30s))
      << "the writer did not get going again: " << writer.last_error();
  writer.stop();
  EXPECT_GE(writer.failures(), 1) << "the restart never interrupted the writer";
  ASSERT_TRUE(relay->running()) << relay->err();

  auto& sql = setup.sql();
  ASSERT_TRUE(sql.reconnect());
  const auto transactions = writer.transactions();
  std::printf("[ info ] %zu transactions, %ld failed; reconnects logged: %zu\n",
              transactions.size(), writer.failures(),
              occurrences(relay->err(), "connected to PostgreSQL"));
  const Expected expected = resolve(sql, transactions);
  std::size_t rows_surely_committed = 0;
  for (const auto& transaction : transactions) {
    if (transaction.outcome == WrittenTransaction::Outcome::kCommitted) {
      rows_surely_committed += static_cast<std::size_t>(transaction.rows);
    }
  }
  std::printf("[ info ] rows of failed transactions found committed after all: %zu\n",
              expected.committed_rows.size() - rows_surely_committed);
  const auto records =
      read_until_complete(setup.topic("order"), expected, setup.kafka_bootstrap(), 60s);
  expect_delivered_in_commit_order(records, expected);

  const auto after_last_commit = sql.value("SELECT pg_current_wal_lsn()::text");
  EXPECT_TRUE(wait_until([&] { return slot_reached(sql, setup.slot(), after_last_commit); }, 30s))
      << "the slot did not reach " << after_last_commit << "\n"
      << relay->err();

  relay->signal(SIGTERM);
  const auto status = relay->wait(60s);
  ASSERT_TRUE(status.has_value()) << "the relay did not stop within 60 s";
  EXPECT_EQ(*status, 0) << relay->err();
}

TEST(RelayFaults, AQuietOutboxOnABusyDatabaseStillAdvancesTheSlot) {
  RelayFixture fixture("quiet");
  auto& sql = fixture.sql();
  sql.exec("CREATE TABLE busy (id bigint PRIMARY KEY, counter bigint NOT NULL, note text)");
  auto relay = fixture.start_relay(fixture.config_file());
  ASSERT_TRUE(relay->running()) << relay->err();
  const auto start = fixture.confirmed_lsn();
  ASSERT_FALSE(start.empty());

  // About five seconds of inserts and updates, none of them in the outbox.
  bool moved_while_busy = false;
  const auto busy_since = Clock::now();
  for (long batch = 0; Clock::now() - busy_since < 5s; ++batch) {
    sql.exec(
        "INSERT INTO busy SELECT g, 0, md5(g::text) FROM generate_series(" +
        std::to_string(batch * 200 + 1) + ", " + std::to_string(batch * 200 + 200) +
        ") g; UPDATE busy SET counter = counter + 1 WHERE id % 5 = " + std::to_string(batch % 5));
    if (!moved_while_busy) moved_while_busy = lsn(fixture.confirmed_lsn()) > lsn(start);
  }
  const auto after_writes = sql.column("SELECT pg_current_wal_lsn()::text").front();
  const auto written =
      sql.column("SELECT pg_wal_lsn_diff('" + after_writes + "', '" + start + "')::bigint::text");
  ASSERT_GT(std::stoll(written.front()), 1 << 20) << "too little WAL to show anything";

  EXPECT_TRUE(moved_while_busy) << "the slot stood still while the database was busy\n"
                                << relay->err();
  EXPECT_TRUE(wait_until([&] { return lsn(fixture.confirmed_lsn()) >= lsn(after_writes); }, 30s))
      << "the slot stayed at " << fixture.confirmed_lsn() << ", behind " << after_writes << "\n"
      << relay->err();

  relay->signal(SIGTERM);
  const auto status = relay->wait(60s);
  ASSERT_TRUE(status.has_value()) << "the relay did not stop within 60 s";
  EXPECT_EQ(*status, 0) << relay->err();
}

}  // namespace
}  // namespace outbox::testing
