// polling_relay: the outbox relay the original design sketches, written to behave as that sketch
// does, so the benchmark (bench/contenders/polling) measures what log-based capture gains over it
// instead of claiming it.
//
//   polling_relay --topic T [--table public.outbox_events] [--dsn DSN] [--brokers HOST:PORT]
//                 [--interval-ms 1000] [--batch-size N] [--stop-batch-on-failure]
//
// The sketch is a Spring Boot 3.4 component in Kotlin (Spring Data JPA, spring-kafka): a method
// scheduled with a fixed delay of one second reads `findByPublishedFalse()`, and for each event
// sends it with `KafkaTemplate.send(...)`, blocks on the returned future, then calls a repository
// method that marks that one event published; an exception is caught per event and logged, with
// retries and a dead-letter topic left as a to-do. What that means here, decision by decision:
//
// - Schedule: fixed delay, as the sketch's annotation says (not fixed rate). The first poll runs at
//   start-up (Spring runs a fixed-delay task at once when no initial delay is set); each next poll
//   starts --interval-ms after the previous one finished. Under load a poll period is therefore the
//   interval plus the time to publish the batch, and nothing runs two batches at once.
// - Read: what Hibernate runs for the derived query, every mapped column `WHERE published = false`,
//   plus `ORDER BY created_at`. A derived query without `OrderBy` in its name has no ORDER BY, but
//   the design's own index `idx_outbox_unpublished (published, created_at)` is there for this read,
//   and without the order the heap order (marked rows move, freed space is reused) could publish an
//   aggregate's events out of order: we take the reading that keeps the design correct. No LIMIT
//   unless --batch-size is given: the sketch loads every unpublished row at each poll.
// - Mark: the scheduled method is not @Transactional, so each repository call is a transaction of
//   its own: one `UPDATE ... SET published = true, published_at = now() WHERE id = $1` per row, in
//   autocommit, right after that row's delivery. Both statements are prepared once per connection,
//   as pgjdbc does with statements it runs repeatedly. (JPA would add BEGIN and COMMIT round trips
//   around each call; we spare the contender those.)
// - Send: synchronous, one record at a time: produce, then flush until its delivery report came.
//   Spring Boot 3.4's kafka-clients (3.8) sends at once (linger.ms=0); librdkafka's default
//   linger.ms is 5, but rd_kafka_flush sends without lingering, so each record costs one round
//   trip to the broker, as the sketch's blocking get() does.
// - Failure: like the sketch's per-event catch, a failed send (or a failed mark) is logged, the row
//   stays unpublished, and the batch goes on with the next row; the next poll sends the row again
//   (that is the sketch's only "retry"; a failed mark after a good send thus duplicates the
//   record).
//   --stop-batch-on-failure stops the batch at the first failure instead. A fatal error of the
//   idempotent producer replaces the producer, as spring-kafka's producer factory closes a failed
//   producer and creates a new one. A failed poll is logged and tried again at the next tick, on a
//   reopened connection when it was lost (Spring logs a scheduled task's exception and keeps the
//   schedule; the connection pool hands out a fresh connection).
// - Producer settings: acks=all and enable.idempotence=true, as the design's producer config sets;
//   every other setting is librdkafka's default (message.timeout.ms 300 s where the Java client's
//   delivery.timeout.ms is 120 s: it only matters while Kafka is down).
// - Record: what the benchmark needs, not the sketch's: every row to --topic (the sketch routes to
//   `<aggregate_type lower-cased>.events`), key = aggregate_id (the sketch sends no key), header
//   `id` = the row's id (the sketch sends none), value = the payload's JSON text.
// - Stop: SIGTERM or SIGINT lets the current row finish (its send and its mark), then the process
//   exits 0, so no record is in Kafka whose row is left unmarked by the stop itself.
//
// Connection settings come from --dsn or libpq's environment (PGHOST, PGPORT, ...).
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "examples/common/kafka_client.h"
#include "examples/common/service.h"

namespace {

const char* const kName = "polling_relay";

struct Options {
  std::string dsn;  // empty: libpq's environment
  std::string brokers = "127.0.0.1:9092";
  std::string table = "public.outbox_events";
  std::string topic;
  std::chrono::milliseconds interval{1000};
  std::optional<long> batch_size;
  bool stop_batch_on_failure = false;
};

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// The server's message without its trailing newline.
std::string pg_error(PGconn* conn) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

const char* const kSelectUnpublished = "select_unpublished";
const char* const kMarkPublished = "mark_published";

// Column positions in the SELECT below.
enum Column { kId = 0, kAggregateId = 2, kPayload = 4 };

// The outbox connection with both statements prepared; empty when it cannot be had right now.
class Outbox {
 public:
  explicit Outbox(const Options& options) : options_(options) {}

  // Connects (again) when there is no usable connection; false, logged, when that fails.
  bool ready() {
    if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) return true;
    conn_.reset(PQconnectdb(options_.dsn.c_str()));
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      examples::log(kName, "cannot connect to PostgreSQL: " + pg_error(conn_.get()));
      conn_.reset();
      return false;
    }
    std::string select =
        "SELECT id, aggregate_type, aggregate_id, event_type, payload, created_at, published, "
        "published_at FROM " +
        options_.table + " WHERE published = false ORDER BY created_at";
    if (options_.batch_size) select += " LIMIT " + std::to_string(*options_.batch_size);
    const std::string mark =
        "UPDATE " + options_.table + " SET published = true, published_at = now() WHERE id = $1";
    if (!prepare(kSelectUnpublished, select, 0) || !prepare(kMarkPublished, mark, 1)) {
      conn_.reset();
      return false;
    }
    return true;
  }

  // Every unpublished row (or the first --batch-size), oldest first; null, logged, on failure.
  ResultPtr unpublished() {
    ResultPtr rows(
        PQexecPrepared(conn_.get(), kSelectUnpublished, 0, nullptr, nullptr, nullptr, 0));
    if (PQresultStatus(rows.get()) != PGRES_TUPLES_OK) {
      examples::log(kName, "poll failed: " + pg_error(conn_.get()));
      return nullptr;
    }
    return rows;
  }

  // Marks one row published in a transaction of its own; false, logged, on failure.
  bool mark_published(const char* id) {
    ResultPtr done(PQexecPrepared(conn_.get(), kMarkPublished, 1, &id, nullptr, nullptr, 0));
    if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) {
      examples::log(kName,
                    std::string("marking ") + id + " published failed: " + pg_error(conn_.get()));
      return false;
    }
    return true;
  }

 private:
  bool prepare(const char* name, const std::string& sql, int parameters) {
    ResultPtr prepared(PQprepare(conn_.get(), name, sql.c_str(), parameters, nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      examples::log(kName, "cannot prepare \"" + sql + "\": " + pg_error(conn_.get()));
      return false;
    }
    return true;
  }

  const Options& options_;
  ConnPtr conn_;
};

// One record's delivery report, filled in by the delivery callback.
struct Delivery {
  bool reported = false;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* delivery = static_cast<Delivery*>(message->_private);
  delivery->error = message->err;
  delivery->reported = true;
}

examples::KafkaPtr make_producer(const Options& options) {
  return examples::make_client(
      RD_KAFKA_PRODUCER,
      {{"bootstrap.servers", options.brokers}, {"acks", "all"}, {"enable.idempotence", "true"}},
      on_delivery);
}

// Sends one row and waits for its delivery report (the sketch's blocking send); the error text
// when Kafka refused or failed it.
std::optional<std::string> send(rd_kafka_t* producer, const std::string& topic, PGresult* rows,
                                int row) {
  Delivery delivery;
  const char* id = PQgetvalue(rows, row, kId);
  const rd_kafka_resp_err_t queued = rd_kafka_producev(
      producer, RD_KAFKA_V_TOPIC(topic.c_str()),
      RD_KAFKA_V_KEY(PQgetvalue(rows, row, kAggregateId),
                     static_cast<size_t>(PQgetlength(rows, row, kAggregateId))),
      RD_KAFKA_V_VALUE(PQgetvalue(rows, row, kPayload),
                       static_cast<size_t>(PQgetlength(rows, row, kPayload))),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADER("id", id, static_cast<ssize_t>(PQgetlength(rows, row, kId))),
      RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END);
  if (queued != RD_KAFKA_RESP_ERR_NO_ERROR) return std::string(rd_kafka_err2str(queued));
  // No stop check here: a stop lets the current row finish. librdkafka reports every message
  // within message.timeout.ms, so this ends.
  while (!delivery.reported) rd_kafka_flush(producer, 1000);
  if (delivery.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::string(rd_kafka_err2str(delivery.error));
  }
  return std::nullopt;
}

struct BatchOutcome {
  int polled = 0;
  int published = 0;
  int failed = 0;
};

// One scheduled run: poll, then send and mark row by row.
BatchOutcome run_batch(const Options& options, Outbox& outbox, examples::KafkaPtr& producer) {
  BatchOutcome outcome;
  if (!outbox.ready()) return outcome;
  ResultPtr rows = outbox.unpublished();
  if (!rows) return outcome;
  outcome.polled = PQntuples(rows.get());
  for (int row = 0; row < outcome.polled && !examples::stopping(); ++row) {
    const char* id = PQgetvalue(rows.get(), row, kId);
    const auto send_error = send(producer.get(), options.topic, rows.get(), row);
    if (send_error) {
      examples::log(kName, std::string("failed to publish event ") + id + ": " + *send_error);
      char fatal[512];
      if (rd_kafka_fatal_error(producer.get(), fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        examples::log(kName, std::string("fatal producer error, replacing the producer: ") + fatal);
        producer = make_producer(options);
      }
    } else if (outbox.mark_published(id)) {
      ++outcome.published;
      continue;
    }
    ++outcome.failed;
    if (options.stop_batch_on_failure) break;
  }
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "The original design's polling outbox relay, for benchmarks: polls unpublished rows, sends "
      "each synchronously to Kafka, marks it published."};
  Options options;
  long interval_ms = 1000;
  app.add_option("--dsn", options.dsn, "libpq connection string (default: libpq's environment)");
  app.add_option("--brokers", options.brokers, "Kafka bootstrap servers")->capture_default_str();
  app.add_option("--table", options.table, "the outbox table, as SQL (schema.name)")
      ->capture_default_str();
  app.add_option("--topic", options.topic, "the topic every row goes to")->required();
  app.add_option("--interval-ms", interval_ms, "fixed delay between the end of a poll and the next")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--batch-size", options.batch_size, "at most this many rows a poll (default: all)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--stop-batch-on-failure", options.stop_batch_on_failure,
               "stop a batch at its first failed row instead of going on with the next");
  CLI11_PARSE(app, argc, argv);
  options.interval = std::chrono::milliseconds(interval_ms);

  examples::install_stop_handlers();
  examples::KafkaPtr producer;
  try {
    producer = make_producer(options);
  } catch (const std::exception& error) {
    examples::log(kName, error.what());
    return 1;
  }
  Outbox outbox(options);
  if (!outbox.ready()) return 1;
  examples::log(kName, "polling " + options.table + " every " + std::to_string(interval_ms) +
                           " ms (fixed delay) into " + options.topic);

  long total = 0;
  do {
    const auto started = std::chrono::steady_clock::now();
    const BatchOutcome outcome = run_batch(options, outbox, producer);
    total += outcome.published;
    if (outcome.polled > 0) {
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      examples::log(kName, "polled " + std::to_string(outcome.polled) + " rows: published " +
                               std::to_string(outcome.published) + ", failed " +
                               std::to_string(outcome.failed) + " in " +
                               std::to_string(took.count()) + " ms");
    }
  } while (examples::sleep_unless_stopped(options.interval));
  examples::log(kName, "stopped after publishing " + std::to_string(total) + " rows");
  return EXIT_SUCCESS;
}
