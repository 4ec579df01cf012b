// What the three reference services share: logging to stderr, a stop flag set by SIGTERM and
// SIGINT, a small libpq wrapper, and a Kafka consumer loop with retries, a dead-letter topic and
// manual offset commits. They reach the relay only through PostgreSQL and Kafka.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace examples {

// "<service>: <text>" on stderr, one line at a time.
void log(const std::string& service, const std::string& text);

// SIGTERM and SIGINT set the stop flag; every loop checks it.
void install_stop_handlers();
bool stopping();
// Sleeps in short slices; false when stopped before the time was up.
bool sleep_unless_stopped(std::chrono::milliseconds duration);

class DbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One PostgreSQL connection. Queries take text parameters ($1, $2, ...; nullopt is NULL) and
// return every row as text; a server error throws DbError.
class Db {
 public:
  explicit Db(const std::string& dsn);
  using Row = std::vector<std::string>;
  std::vector<Row> query(const std::string& sql,
                         const std::vector<std::optional<std::string>>& params = {});
  void exec(const std::string& sql) { query(sql); }
  // Runs `work` between BEGIN and COMMIT; rolls back and rethrows when it throws.
  template <typename Work>
  auto transaction(Work&& work) {
    exec("BEGIN");
    try {
      auto result = work();
      exec("COMMIT");
      return result;
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

 private:
  void rollback_quietly();
  struct Finish {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };
  std::unique_ptr<PGconn, Finish> conn_;
};

struct Record {
  std::string topic;
  int partition = 0;
  long long offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// What a handler did with a record, for the log.
enum class Outcome { processed, duplicate, skipped };

// A handler throws to report a failure; the loop retries it.
using Handler = std::function<Outcome(const Record&)>;

struct ConsumerOptions {
  std::string service;  // for the log
  std::string bootstrap;
  std::string group;
  std::string topic;
  std::string dlq_topic;
  int retries = 3;  // after the first attempt
  std::chrono::milliseconds backoff{1000};
};

// Consumes `topic` until stopped: each record goes to `handle`; a failure is retried `retries`
// times `backoff` apart, then the record goes to `dlq_topic` with an `error` header. The offset
// is committed after a record was processed, skipped or dead-lettered. Returns the exit status:
// 0 after SIGTERM/SIGINT, 1 when Kafka fails in a way that must not be skipped.
int run_consumer(const ConsumerOptions& options, const Handler& handle);

}  // namespace examples
