#include "examples/common/service.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <thread>

#include "examples/common/dead_letter_producer.h"
#include "examples/common/kafka_client.h"

namespace examples {
namespace {

std::atomic<bool> stop_requested{false};

void on_stop_signal(int) { stop_requested.store(true); }

Record to_record(const rd_kafka_message_t& message) {
  Record record;
  record.topic = rd_kafka_topic_name(message.rkt);
  record.partition = message.partition;
  record.offset = message.offset;
  if (message.key != nullptr)
    record.key.assign(static_cast<const char*>(message.key), message.key_len);
  if (message.payload != nullptr) {
    record.value.assign(static_cast<const char*>(message.payload), message.len);
  }
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record.headers[name] =
          value == nullptr ? "" : std::string(static_cast<const char*>(value), size);
    }
  }
  return record;
}

std::string where(const Record& record) {
  return record.topic + "[" + std::to_string(record.partition) + "]@" +
         std::to_string(record.offset) + " id " + record.header("id");
}

}  // namespace

void log(const std::string& service, const std::string& text) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &utc);
  std::fprintf(stderr, "%s.%03lld %s: %s\n", stamp, static_cast<long long>(millis), service.c_str(),
               text.c_str());
}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

bool stopping() { return stop_requested.load(); }

bool sleep_unless_stopped(std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (!stopping()) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
  return false;
}

Db::Db(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str())) {
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    throw DbError("cannot connect to PostgreSQL: " + std::string(PQerrorMessage(conn_.get())));
  }
}

std::vector<Db::Row> Db::query(const std::string& sql,
                               const std::vector<std::optional<std::string>>& params) {
  // A dropped connection is reopened once per query; the caller's retry covers the rest.
  if (PQstatus(conn_.get()) != CONNECTION_OK) PQreset(conn_.get());
  std::vector<const char*> values;
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  PGresult* raw = PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  std::unique_ptr<PGresult, decltype(&PQclear)> result(raw, &PQclear);
  const auto status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = PQresultErrorMessage(raw);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw DbError(message);
  }
  std::vector<Row> rows;
  for (int r = 0; r < PQntuples(raw); ++r) {
    Row row;
    for (int c = 0; c < PQnfields(raw); ++c) row.emplace_back(PQgetvalue(raw, r, c));
    rows.push_back(std::move(row));
  }
  return rows;
}

void Db::rollback_quietly() {
  PGresult* result = PQexec(conn_.get(), "ROLLBACK");
  PQclear(result);
}

int run_consumer(const ConsumerOptions& options, const Handler& handle) {
  KafkaPtr consumer =
      make_client(RD_KAFKA_CONSUMER, {
                                         {"bootstrap.servers", options.bootstrap},
                                         {"group.id", options.group},
                                         {"auto.offset.reset", "earliest"},
                                         {"enable.auto.commit", "false"},
                                         {"allow.auto.create.topics", "true"},
                                         // Notice topics created after start.
                                         {"topic.metadata.refresh.interval.ms", "2000"},
                                     });
  DeadLetterProducer dead_letters(options.service, {{"bootstrap.servers", options.bootstrap}});
  rd_kafka_poll_set_consumer(consumer.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, options.topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t subscribed = rd_kafka_subscribe(consumer.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (subscribed != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log(options.service, "subscribe failed: " + std::string(rd_kafka_err2str(subscribed)));
    return 1;
  }
  log(options.service, "consuming " + options.topic + " as group " + options.group);

  int status = 0;
  while (!stopping()) {
    MessagePtr message(rd_kafka_consumer_poll(consumer.get(), 200));
    if (!message) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Transient (a topic not created yet, a broker restarting): librdkafka recovers.
      if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        log(options.service, "kafka: " + std::string(rd_kafka_message_errstr(message.get())));
      }
      continue;
    }
    const Record record = to_record(*message);
    const int attempts = 1 + options.retries;
    bool done = false;
    std::string error;
    for (int attempt = 1; attempt <= attempts && !done; ++attempt) {
      try {
        const Outcome outcome = handle(record);
        done = true;
        if (outcome == Outcome::duplicate) {
          log(options.service, "duplicate " + where(record) + ": already processed, skipped");
        }
      } catch (const std::exception& failure) {
        error = failure.what();
        log(options.service, "attempt " + std::to_string(attempt) + "/" + std::to_string(attempts) +
                                 " failed for " + where(record) + ": " + error);
        if (attempt < attempts && !sleep_unless_stopped(options.backoff)) break;
      }
    }
    if (stopping() && !done) break;  // not committed: delivered again after a restart
    if (!done) {
      if (!dead_letters.publish(options.dlq_topic, record, error, attempts,
                                std::chrono::seconds(10))) {
        status = 1;  // neither processed nor dead-lettered: stop without committing it
        break;
      }
      log(options.service, "dead-lettered " + where(record) + " to " + options.dlq_topic);
    }
    const rd_kafka_resp_err_t committed = rd_kafka_commit_message(consumer.get(), message.get(), 0);
    if (committed != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // The record may come again (after a rebalance); processing it twice is harmless.
      log(options.service, "commit failed: " + std::string(rd_kafka_err2str(committed)));
    }
  }
  log(options.service, status == 0 ? "stopping" : "stopping on an error");
  rd_kafka_consumer_close(consumer.get());
  dead_letters.flush(std::chrono::seconds(5));
  return status;
}

}  // namespace examples
