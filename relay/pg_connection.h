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
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

class PgConnection {
 public:
  enum class Kind { kNormal, kReplication };

  // Whether libpq can parse `conninfo` (the operator's DSN); kInvalidConfig with libpq's reason,
  // without the piece of the DSN it quotes (it may be part of a password), when not. A DSN
  // without "=" that is not a URI is a database name to libpq, and always parses.
  static Result<void> check_conninfo(const std::string& conninfo);

  // Connects; `conninfo` is the operator's DSN (key=value or URI). A replication connection adds
  // replication=database. Errors: kInvalidConfig for a DSN check_conninfo() refuses,
  // kConnectionLost when worth retrying (server down, starting up, network), kServerRefused when
  // not (authentication, unknown database or role).
  // TCP keepalives and a TCP user timeout are on by default (kTcpDefaults), so a dead peer is
  // noticed within about half a minute; the DSN's own keepalives* or tcp_user_timeout win.
  static Result<PgConnection> connect(const std::string& conninfo, Kind kind,
                                      const std::string& application_name = "outbox-relay");

  // Runs SQL (parameters as text); a server error is kServerRefused with the server's message and
  // SQLSTATE, or kConnectionLost when the connection is gone or the error says it ends or cannot
  // serve us now (is_transient_sqlstate, is_transient_connection_failure).
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

// libpq keywords and values the relay sets on every connection unless the operator's DSN sets
// them: keepalive probes after 10 s idle, every 5 s, 3 lost ones end the connection (about 25 s);
// and sent data unacknowledged for 30 s (tcp_user_timeout, in milliseconds) ends it too (libpq
// applies tcp_user_timeout only while keepalives are on).
struct TcpDefault {
  const char* keyword;
  const char* value;
};
inline constexpr TcpDefault kTcpDefaults[] = {{"keepalives", "1"},
                                              {"keepalives_idle", "10"},
                                              {"keepalives_interval", "5"},
                                              {"keepalives_count", "3"},
                                              {"tcp_user_timeout", "30000"}};

// True for an SQLSTATE that means the session ended or could not start for a reason that passes
// by itself, so reconnecting is the answer: class 08 (connection exception), 57P01 (admin
// shutdown), 57P02 (crash shutdown), 57P03 (cannot connect now: starting up, recovery, shutting
// down), 53300 (too many connections).
bool is_transient_sqlstate(std::string_view sqlstate);

// The same for an error message without an SQLSTATE: libpq's own texts (the connection broke,
// the server is unreachable) and the server's FATAL texts as libpq reports them at connect time.
// What needs the operator (authentication, pg_hba.conf, unknown database or role, a standby
// without hot standby) is not transient.
bool is_transient_connection_failure(std::string_view message);

// Quotes an SQL identifier ("my table" -> "\"my table\"").
std::string quote_identifier(std::string_view name);
// Quotes an SQL string literal.
std::string quote_literal(std::string_view text);

}  // namespace outbox
