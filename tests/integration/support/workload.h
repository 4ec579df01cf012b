// Load for the crash and memory tests: an outbox writer on a thread of its own that remembers
// what it committed and in which order, and Kafka helpers that count and read whole topics by
// their high watermarks instead of waiting for a number of records.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/kafka_reader.h"

struct rd_kafka_s;

namespace outbox::testing {

struct WorkloadOptions {
  std::uint32_t seed = 1;
  // Aggregate ids are "<type lower-cased>-<n>", n < keys; key n always has type n % types, so a
  // key lives in one topic.
  int keys = 50;
  std::vector<std::string> aggregate_types = {"Order", "Payment", "Shipment"};
  int max_rows_per_transaction = 20;
  // Shares of transactions that roll back, and that write only a table outside the outbox.
  double rollback_share = 0.1;
  double no_event_share = 0.05;
  // Pause between two transactions, drawn uniformly.
  std::chrono::milliseconds min_pause{0};
  std::chrono::milliseconds max_pause{10};
  // The writer stops on its own after this long even if nobody calls stop().
  std::chrono::seconds max_duration{120};
};

struct WrittenEvent {
  long seq = 0;  // commit order, over all keys
  std::string id;
  std::string aggregate_type;
  std::string aggregate_id;
};

// Writes outbox rows in transactions of 1..max_rows_per_transaction rows, deterministically
// pseudo-random, over its own connection to `database`, until stop().
class OutboxWriter {
 public:
  OutboxWriter(std::string database, WorkloadOptions options);
  ~OutboxWriter();  // stops and joins
  OutboxWriter(const OutboxWriter&) = delete;
  OutboxWriter& operator=(const OutboxWriter&) = delete;

  void start();
  void stop();

  // Valid after stop(): the committed events in commit order, the ids of rolled-back rows,
  // the server's WAL position read right after the last COMMIT (pg_lsn text, at or past the
  // commit's end), and what went wrong (empty when nothing did).
  const std::vector<WrittenEvent>& committed() const { return committed_; }
  const std::vector<std::string>& rolled_back() const { return rolled_back_; }
  const std::string& wal_lsn_after_last_commit() const { return wal_lsn_after_last_commit_; }
  const std::string& error() const { return error_; }
  long transactions_committed() const { return transactions_committed_; }
  long transactions_rolled_back() const { return transactions_rolled_back_; }
  long transactions_without_events() const { return transactions_without_events_; }

 private:
  void run();

  std::string database_;
  WorkloadOptions options_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::vector<WrittenEvent> committed_;
  std::vector<std::string> rolled_back_;
  std::string wal_lsn_after_last_commit_;
  std::string error_;
  long transactions_committed_ = 0;
  long transactions_rolled_back_ = 0;
  long transactions_without_events_ = 0;
};

// A Kafka client for counting and reading whole topics.
class KafkaTopics {
 public:
  explicit KafkaTopics(const std::string& bootstrap = {});
  ~KafkaTopics();
  KafkaTopics(const KafkaTopics&) = delete;
  KafkaTopics& operator=(const KafkaTopics&) = delete;

  // Creates the topics with `partitions` partitions each (the broker's default replication
  // factor) and the topic
  // `configs`; false, with a test failure, when the broker says no.
  bool create(const std::vector<std::string>& topics, int partitions,
              const std::map<std::string, std::string>& configs = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Replaces the topic's configuration with `configs` (AlterConfigs: what is not named returns
  // to the broker's default); false, with a test failure, when the broker says no.
  bool set_configs(const std::string& topic, const std::map<std::string, std::string>& configs,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Records the topics hold: the sum over their partitions of high minus low watermark
  // (offsets are dense: the relay's idempotent producer writes no control records). Topics that
  // do not exist yet count 0; nullopt when the broker does not answer.
  std::optional<std::int64_t> count(const std::vector<std::string>& topics);

  // Every record the topics hold at the call (up to the high watermarks read first), in offset
  // order per partition; a test failure when `timeout` passes first.
  std::vector<ConsumedRecord> read_all(
      const std::vector<std::string>& topics,
      std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  struct Partition {
    std::string topic;
    int partition;
    std::int64_t low;
    std::int64_t high;
  };
  std::optional<std::vector<Partition>> partitions(const std::vector<std::string>& topics);

  std::string bootstrap_;
  rd_kafka_s* client_ = nullptr;
};

}  // namespace outbox::testing
