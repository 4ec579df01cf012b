#include "tests/integration/support/workload.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <random>
#include <tuple>

#include "tests/integration/support/kafka_client.h"
#include "tests/integration/support/pg.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};

ConsumedRecord to_record(const rd_kafka_message_t& message) {
  ConsumedRecord record;
  record.topic = rd_kafka_topic_name(message.rkt);
  record.partition = message.partition;
  record.offset = message.offset;
  if (message.key) record.key.assign(static_cast<const char*>(message.key), message.key_len);
  if (message.payload) record.value.assign(static_cast<const char*>(message.payload), message.len);
  rd_kafka_timestamp_type_t type;
  record.timestamp_ms = rd_kafka_message_timestamp(&message, &type);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record.headers[name] = value ? std::string(static_cast<const char*>(value), size) : "";
    }
  }
  return record;
}

}  // namespace

// ---- OutboxWriter ----

OutboxWriter::OutboxWriter(std::string database, WorkloadOptions options)
    : database_(std::move(database)), options_(std::move(options)) {}

OutboxWriter::~OutboxWriter() { stop(); }

void OutboxWriter::start() {
  thread_ = std::thread([this] { run(); });
}

void OutboxWriter::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void OutboxWriter::run() {
  PGconn* conn = PQconnectdb(services().pg_conninfo(database_).c_str());
  const std::unique_ptr<PGconn, PgConnDeleter> owner(conn);
  if (PQstatus(conn) != CONNECTION_OK) {
    error_ = std::string("writer cannot connect: ") + PQerrorMessage(conn);
    return;
  }
  auto exec = [&](const std::string& sql, ExecStatusType want) {
    PgResultPtr result(PQexec(conn, sql.c_str()));
    if (PQresultStatus(result.get()) == want) return result;
    error_ = "writer: " + std::string(PQerrorMessage(conn)) + " in: " + sql.substr(0, 300);
    PQclear(PQexec(conn, "ROLLBACK"));
    return PgResultPtr();
  };
  if (!exec("CREATE TABLE IF NOT EXISTS workload_noise (id bigserial PRIMARY KEY, note text)",
            PGRES_COMMAND_OK)) {
    return;
  }

  std::mt19937 random(options_.seed);
  auto uniform = [&](long low, long high) {
    return std::uniform_int_distribution<long>(low, high)(random);
  };
  auto chance = [&](double share) {
    return std::uniform_real_distribution<>(0, 1)(random) < share;
  };
  const auto deadline = std::chrono::steady_clock::now() + options_.max_duration;
  long seq = 0;
  long transaction = 0;
  while (!stop_ && std::chrono::steady_clock::now() < deadline) {
    ++transaction;
    if (chance(options_.no_event_share)) {
      if (!exec("INSERT INTO workload_noise (note) VALUES ('transaction " +
                    std::to_string(transaction) + "')",
                PGRES_COMMAND_OK)) {
        return;
      }
      ++transactions_without_events_;
    } else {
      const bool roll_back = chance(options_.rollback_share);
      const long rows = uniform(1, options_.max_rows_per_transaction);
      std::vector<WrittenEvent> events;
      std::string sql =
          "BEGIN; INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, "
          "payload) VALUES ";
      for (long row = 0; row < rows; ++row) {
        const long key = uniform(0, options_.keys - 1);
        const std::string& type =
            options_
                .aggregate_types[static_cast<std::size_t>(key) % options_.aggregate_types.size()];
        WrittenEvent event{++seq, event_id(seq), type, lower(type) + "-" + std::to_string(key)};
        std::string note(static_cast<std::size_t>(uniform(0, 120)), 'x');
        for (char& c : note) c = static_cast<char>('a' + uniform(0, 25));
        sql += (row == 0 ? "('" : ", ('") + event.id + "', '" + type + "', '" + event.aggregate_id +
               "', '" + type + "Changed', '{\"seq\": " + std::to_string(seq) +
               ", \"transaction\": " + std::to_string(transaction) + ", \"key\": \"" +
               event.aggregate_id + "\", \"note\": \"" + note + "\"}')";
        events.push_back(std::move(event));
      }
      sql += roll_back ? "; ROLLBACK" : "; COMMIT";
      if (!exec(sql, PGRES_COMMAND_OK)) return;
      if (roll_back) {
        for (const auto& event : events) rolled_back_.push_back(event.id);
        ++transactions_rolled_back_;
      } else {
        committed_.insert(committed_.end(), events.begin(), events.end());
        ++transactions_committed_;
      }
    }
    const auto pause = uniform(options_.min_pause.count(), options_.max_pause.count());
    if (pause > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause));
  }
  auto lsn = exec("SELECT pg_current_wal_lsn()::text", PGRES_TUPLES_OK);
  if (lsn) wal_lsn_after_last_commit_ = PQgetvalue(lsn.get(), 0, 0);
}

// ---- KafkaTopics ----

KafkaTopics::KafkaTopics(const std::string& bootstrap)
    : bootstrap_(bootstrap.empty() ? services().kafka_bootstrap : bootstrap) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_property(conf, "bootstrap.servers", bootstrap_);
  char error[512];
  client_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (client_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    ADD_FAILURE() << "cannot create a Kafka client: " << error;
  }
}

KafkaTopics::~KafkaTopics() {
  if (client_ != nullptr) rd_kafka_destroy(client_);
}

bool KafkaTopics::create(const std::vector<std::string>& topics, int partitions,
                         const std::map<std::string, std::string>& configs,
                         std::chrono::milliseconds timeout) {
  if (client_ == nullptr) return false;
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  char error[512];
  for (const auto& topic : topics) {
    // -1: the broker's default.replication.factor (1 on a single broker, 3 on the test cluster).
    new_topics.push_back(rd_kafka_NewTopic_new(topic.c_str(), partitions, /*replication_factor=*/-1,
                                               error, sizeof error));
    if (new_topics.back() == nullptr) {
      ADD_FAILURE() << "topic " << topic << ": " << error;
      new_topics.pop_back();
      rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
      return false;
    }
    for (const auto& [name, value] : configs) {
      rd_kafka_NewTopic_set_config(new_topics.back(), name.c_str(), value.c_str());
    }
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(client_));
  rd_kafka_CreateTopics(client_, new_topics.data(), new_topics.size(), nullptr, queue.get());
  rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count())));
  if (!event) {
    ADD_FAILURE() << "CreateTopics: no answer within " << timeout.count() << " ms";
    return false;
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "CreateTopics: " << rd_kafka_event_error_string(event.get());
    return false;
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  bool ok = true;
  for (size_t i = 0; i < count; ++i) {
    if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ADD_FAILURE() << "CreateTopics " << rd_kafka_topic_result_name(results[i]) << ": "
                    << rd_kafka_topic_result_error_string(results[i]);
      ok = false;
    }
  }
  // The broker answers before every partition has a leader: wait until they all do.
  const bool ready = wait_until(
      [&] {
        auto known = this->partitions(topics);
        if (!known) return false;
        std::map<std::string, int> per_topic;
        for (const auto& partition : *known) ++per_topic[partition.topic];
        return std::all_of(topics.begin(), topics.end(), [&](const std::string& topic) {
          return per_topic[topic] == partitions;
        });
      },
      timeout, std::chrono::milliseconds(200));
  EXPECT_TRUE(ready) << "the new topics did not get " << partitions << " partitions in time";
  return ok && ready;
}

bool KafkaTopics::set_configs(const std::string& topic,
                              const std::map<std::string, std::string>& configs,
                              std::chrono::milliseconds timeout) {
  if (client_ == nullptr) return false;
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  for (const auto& [name, value] : configs) {
    rd_kafka_ConfigResource_set_config(resource, name.c_str(), value.c_str());
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(client_));
  rd_kafka_AlterConfigs(client_, &resource, 1, nullptr, queue.get());
  rd_kafka_ConfigResource_destroy(resource);
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count())));
  if (!event) {
    ADD_FAILURE() << "AlterConfigs: no answer within " << timeout.count() << " ms";
    return false;
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "AlterConfigs: " << rd_kafka_event_error_string(event.get());
    return false;
  }
  size_t count = 0;
  const rd_kafka_ConfigResource_t** results = rd_kafka_AlterConfigs_result_resources(
      rd_kafka_event_AlterConfigs_result(event.get()), &count);
  bool ok = true;
  for (size_t i = 0; i < count; ++i) {
    if (rd_kafka_ConfigResource_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ADD_FAILURE() << "AlterConfigs " << topic << ": "
                    << rd_kafka_ConfigResource_error_string(results[i]);
      ok = false;
    }
  }
  return ok;
}

std::optional<std::vector<KafkaTopics::Partition>> KafkaTopics::partitions(
    const std::vector<std::string>& topics) {
  if (client_ == nullptr) return std::nullopt;
  const rd_kafka_metadata_t* metadata = nullptr;
  // All topics: asking for one by name could create it.
  if (rd_kafka_metadata(client_, 1, nullptr, &metadata, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  std::vector<Partition> found;
  bool complete = true;
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const auto& topic = metadata->topics[t];
    if (std::find(topics.begin(), topics.end(), topic.topic) == topics.end()) continue;
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) complete = false;
    for (int p = 0; p < topic.partition_cnt; ++p) {
      if (topic.partitions[p].err != RD_KAFKA_RESP_ERR_NO_ERROR || topic.partitions[p].leader < 0) {
        complete = false;
      }
      found.push_back(Partition{topic.topic, topic.partitions[p].id, 0, 0});
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (!complete) return std::nullopt;
  for (auto& partition : found) {
    if (rd_kafka_query_watermark_offsets(client_, partition.topic.c_str(), partition.partition,
                                         &partition.low, &partition.high,
                                         10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return std::nullopt;
    }
  }
  return found;
}

std::optional<std::int64_t> KafkaTopics::count(const std::vector<std::string>& topics) {
  auto known = partitions(topics);
  if (!known) return std::nullopt;
  std::int64_t total = 0;
  for (const auto& partition : *known) total += partition.high - partition.low;
  return total;
}

std::vector<ConsumedRecord> KafkaTopics::read_all(const std::vector<std::string>& topics,
                                                  std::chrono::milliseconds timeout) {
  std::vector<ConsumedRecord> records;
  const auto known = partitions(topics);
  if (!known) {
    ADD_FAILURE() << "cannot read the partitions and watermarks of the topics";
    return records;
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_property(conf, "bootstrap.servers", bootstrap_);
  set_property(conf, "group.id", unique_name("read_all"));
  set_property(conf, "enable.auto.commit", "false");
  set_property(conf, "enable.partition.eof", "false");
  char error[512];
  KafkaPtr consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  if (!consumer) {
    rd_kafka_conf_destroy(conf);
    ADD_FAILURE() << error;
    return records;
  }
  rd_kafka_poll_set_consumer(consumer.get());
  std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter> assignment(
      rd_kafka_topic_partition_list_new(static_cast<int>(known->size())));
  // Next offset still to read, per partition, until it reaches the high watermark.
  std::map<std::pair<std::string, int>, std::int64_t> next;
  std::map<std::pair<std::string, int>, std::int64_t> high;
  std::size_t open = 0;
  for (const auto& partition : *known) {
    rd_kafka_topic_partition_list_add(assignment.get(), partition.topic.c_str(),
                                      partition.partition)
        ->offset = partition.low;
    next[{partition.topic, partition.partition}] = partition.low;
    high[{partition.topic, partition.partition}] = partition.high;
    if (partition.low < partition.high) ++open;
  }
  if (rd_kafka_assign(consumer.get(), assignment.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "cannot assign the partitions";
    return records;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 200);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::pair<std::string, int> where{rd_kafka_topic_name(message->rkt),
                                              message->partition};
      auto& want = next[where];
      if (message->offset >= want && want < high[where]) {
        records.push_back(to_record(*message));
        want = message->offset + 1;
        if (want >= high[where]) --open;
      }
    } else {
      ADD_FAILURE() << "consumer: " << rd_kafka_message_errstr(message);
    }
    rd_kafka_message_destroy(message);
  }
  EXPECT_EQ(open, 0u) << "read_all: " << open << " partitions not read to their end within "
                      << timeout.count() << " ms";
  rd_kafka_consumer_close(consumer.get());
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition, a.offset) < std::tie(b.topic, b.partition, b.offset);
  });
  return records;
}

}  // namespace outbox::testing
