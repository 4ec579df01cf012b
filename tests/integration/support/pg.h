// A small libpq client for tests: run SQL on the fixture's PostgreSQL, fail the test loudly
// when the server says no.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

namespace outbox::testing {

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

class PgSession {
 public:
  // Connects to `database` on the fixture's server (its default database when empty).
  explicit PgSession(const std::string& database = {});

  // Runs one or more statements; any error fails the current test with the server's message.
  void exec(const std::string& sql);

  // Runs a query and returns the first column of every row as text (NULL as "<null>").
  std::vector<std::string> column(const std::string& sql);

  // Runs a query asking for binary results: the first column of every row, raw bytes.
  std::vector<std::string> binary_column(const std::string& sql);

  PGconn* raw() const { return conn_.get(); }

 private:
  std::unique_ptr<PGconn, PgConnDeleter> conn_;
};

// A database of its own for one test, dropped (with its replication slots) when the test ends.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& prefix);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

}  // namespace outbox::testing
