// libpq behind RAII, with errors as values. The only place (with the replication stream) that
// includes libpq-fe.h.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace outbox {

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
struct PgFreeDeleter {
  void operator()(char* buffer) const { PQfreemem(buffer); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;
using PgBuffer = std::unique_ptr<char, PgFreeDeleter>;

class PgConnection {
 public:
  enum class Kind { kNormal, kReplication };

  // Connects; `conninfo` is the operator's DSN (key=value or URI). A replication connection adds
  // replication=database. Errors: kConnectionLost when worth retrying (server down, starting up,
  // network), kServerRefused when not (authentication, unknown database or role).
  static Result<PgConnection> connect(const std::string& conninfo, Kind kind,
                                      const std::string& application_name = "outbox-relay");

  // Runs SQL (parameters as text); any server error is kServerRefused (or kConnectionLost when
  // the connection is gone) with the server's message and SQLSTATE.
  Result<PgResult> exec(const std::string& sql, const std::vector<std::string>& params = {});

  // The first column of the first row as text; nullopt for no row or NULL.
  Result<std::optional<std::string>> query_value(const std::string& sql,
                                                 const std::vector<std::string>& params = {});

  PGconn* raw() const { return conn_.get(); }
  bool alive() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  std::string last_error() const;

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  std::unique_ptr<PGconn, PgConnDeleter> conn_;
};

// Quotes an SQL identifier ("my table" -> "\"my table\"").
std::string quote_identifier(std::string_view name);
// Quotes an SQL string literal.
std::string quote_literal(std::string_view text);

}  // namespace outbox
