#include "relay/pg_connection.h"

#include <cstring>
#include <initializer_list>

#include "common/log.h"
#include "config/redact.h"

namespace outbox {

namespace {

bool contains_any(std::string_view text, std::initializer_list<std::string_view> markers) {
  for (const auto marker : markers) {
    if (text.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

// How the walsender prints column text in the stream (pgoutput calls each type's output
// function in the walsender session): the same whatever the server's, database's or role's
// defaults, so a `timestamp` header always reads 2024-03-05 13:14:15.123456. SQL commands are
// accepted on a replication=database connection (simple query protocol only).
constexpr const char* kPinOutputFormat =
    "SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; "
    "SET bytea_output = 'hex'";

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

bool is_transient_sqlstate(std::string_view sqlstate) {
  return sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03" || sqlstate == "53300";
}

bool is_transient_connection_failure(std::string_view message) {
  return contains_any(
      message,
      {// libpq 15: the connection broke (a reset, a timeout from keepalives or
       // tcp_user_timeout, the server process gone).
       "server closed the connection unexpectedly", "could not receive data from server",
       "could not send data to server", "SSL connection has been closed unexpectedly",
       "SSL SYSCALL error", "no connection to the server",
       // libpq 15: the server cannot be reached (yet).
       "Connection refused", "Connection timed out", "timeout expired", "No route to host",
       "Network is unreachable", "could not translate host name", "could not connect to server",
       // PostgreSQL 15, 57P03: the server is starting, shutting down or recovering; not
       // "the database system is not accepting connections" (a standby without hot standby,
       // which the operator must fix).
       "the database system is starting up", "the database system is not yet accepting connections",
       "the database system is shutting down", "the database system is in recovery mode",
       // PostgreSQL 15, 57P01 and 57P02: the server ended the session (pg_terminate_backend,
       // a shutdown, a crash of another backend, a restart).
       "terminating connection due to administrator command",
       "terminating connection due to immediate shutdown command",
       "terminating connection because of crash of another server process",
       "terminating connection due to unexpected postmaster exit",
       // PostgreSQL 15, 53300: no connection slot free now.
       "sorry, too many clients already", "remaining connection slots are reserved",
       "too many connections for role", "too many connections for database"});
}

namespace {

// libpq reads a DSN as a connection string when it is a URI or holds an "=", else as a database
// name (the same test as libpq's own).
bool is_connection_string(std::string_view conninfo) {
  return conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://") ||
         conninfo.find('=') != std::string_view::npos;
}

// libpq's parse errors quote the piece of the DSN they stumbled on, which may be part of a
// password (`password=a b` gives: missing "=" after "b"). Keep the sentence, drop the quotes'
// contents.
std::string without_quoted_text(std::string_view message) {
  std::string out;
  bool quoted = false;
  for (char c : message) {
    if (c == '"') {
      out += quoted ? "\"" : "\"...";
      quoted = !quoted;
    } else if (!quoted) {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<void> PgConnection::check_conninfo(const std::string& conninfo) {
  if (!is_connection_string(conninfo)) return {};
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (options == nullptr) {
    const std::string why = parse_error != nullptr ? trim(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return Error{ErrorCode::kInvalidConfig,
                 "source.dsn is not a valid libpq connection string: " + without_quoted_text(why) +
                     " (the quoted part is left out: it may be a secret)"};
  }
  PQconninfoFree(options);
  return {};
}

Result<PgConnection> PgConnection::connect(const std::string& conninfo, Kind kind,
                                           const std::string& application_name) {
  if (auto parsed = check_conninfo(conninfo); !parsed.ok()) return std::move(parsed).error();
  // Pass the DSN as "dbname" with expand_dbname, so both key=value and URI forms work, and our
  // own keywords after it override the operator's.
  // connect_timeout comes first, so the operator's DSN can override it: an unreachable host must
  // not block the loop (and the systemd watchdog) for the kernel's TCP timeout. The TCP defaults
  // come first for the same reason: without them a peer that vanished (a cut network, a
  // failed-over host) is noticed only after the kernel's two-hour keepalive or its
  // retransmission timeout of a quarter of an hour, while the relay waits on a dead socket.
  std::vector<const char*> keys;
  std::vector<const char*> values;
  auto add = [&](const char* key, const char* value) {
    keys.push_back(key);
    values.push_back(value);
  };
  add("connect_timeout", "10");
  for (const auto& tcp : kTcpDefaults) add(tcp.keyword, tcp.value);
  add("dbname", conninfo.c_str());
  add("application_name", application_name.c_str());
  add("fallback_application_name", "outbox-relay");
  if (kind == Kind::kReplication) add("replication", "database");
  add(nullptr, nullptr);
  PGconn* raw = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  PgConnection connection(raw);
  if (raw == nullptr) {
    return Error{ErrorCode::kConnectionLost, "PostgreSQL: out of memory creating a connection"};
  }
  // Server notices ("relation already exists, skipping") go to the debug log, not stderr.
  PQsetNoticeProcessor(
      raw,
      [](void*, const char* message) {
        static const Logger log("postgres");
        log.debug(trim(message));
      },
      nullptr);
  if (PQstatus(raw) != CONNECTION_OK) {
    const std::string message = trim(PQerrorMessage(raw));
    const auto code = is_transient_connection_failure(message) ? ErrorCode::kConnectionLost
                                                               : ErrorCode::kServerRefused;
    return Error{code, "cannot connect to PostgreSQL (" + redact_dsn(conninfo) + "): " + message};
  }
  if (kind == Kind::kReplication) {
    PgResult pinned(PQexec(raw, kPinOutputFormat));
    if (PQresultStatus(pinned.get()) != PGRES_COMMAND_OK) {
      const std::string message = connection.last_error();
      return Error{connection.alive() && !is_transient_connection_failure(message)
                       ? ErrorCode::kServerRefused
                       : ErrorCode::kConnectionLost,
                   "cannot set the replication connection's output format: " + message};
    }
  }
  return connection;
}

std::string PgConnection::last_error() const { return trim(PQerrorMessage(conn_.get())); }

Result<PgResult> PgConnection::exec(const std::string& sql,
                                    const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param.c_str());
  PgResult result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
  const auto status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  if (!alive()) {
    return Error{ErrorCode::kConnectionLost, "PostgreSQL connection lost: " + last_error()};
  }
  // A server error carries an SQLSTATE; libpq's own (the connection broke) has none, only text.
  // No result at all (out of memory) reads as libpq's last error.
  const char* sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  const std::string message =
      result ? trim(PQresultErrorMessage(result.get())) : std::string(last_error());
  const bool transient = sqlstate != nullptr ? is_transient_sqlstate(sqlstate)
                                             : is_transient_connection_failure(message);
  return Error{transient ? ErrorCode::kConnectionLost : ErrorCode::kServerRefused,
               message + (sqlstate ? std::string(" (SQLSTATE ") + sqlstate + ")" : std::string())};
}

Result<std::optional<std::string>> PgConnection::query_value(
    const std::string& sql, const std::vector<std::string>& params) {
  auto result = exec(sql, params);
  if (!result.ok()) return std::move(result).error();
  PGresult* rows = result->get();
  if (PQntuples(rows) == 0 || PQnfields(rows) == 0 || PQgetisnull(rows, 0, 0)) {
    return std::optional<std::string>{};
  }
  return std::optional<std::string>{PQgetvalue(rows, 0, 0)};
}

namespace {

// `text` between two `mark`s, each `mark` inside it doubled (SQL's quoting rule for both
// identifiers and literals).
std::string quote_with(std::string_view text, char mark) {
  std::string quoted(1, mark);
  for (char c : text) {
    if (c == mark) quoted += mark;
    quoted += c;
  }
  return quoted + mark;
}

}  // namespace

std::string quote_identifier(std::string_view name) { return quote_with(name, '"'); }

std::string quote_literal(std::string_view text) { return quote_with(text, '\''); }

}  // namespace outbox
