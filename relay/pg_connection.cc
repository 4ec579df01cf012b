#include "relay/pg_connection.h"

#include <cstring>

#include "common/log.h"
#include "config/redact.h"

namespace outbox {

namespace {

// Connection failures worth retrying: the server is not there (yet), or cannot take us now.
bool transient_connect_failure(const std::string& message) {
  for (const char* marker :
       {"could not connect", "Connection refused", "timeout expired", "starting up",
        "shutting down", "in recovery", "too many clients", "server closed the connection",
        "could not translate host name", "No route to host", "Network is unreachable",
        "remaining connection slots"}) {
    if (message.find(marker) != std::string::npos) return true;
  }
  return false;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

Result<PgConnection> PgConnection::connect(const std::string& conninfo, Kind kind,
                                           const std::string& application_name) {
  // Pass the DSN as "dbname" with expand_dbname, so both key=value and URI forms work, and our
  // own keywords after it override the operator's.
  // connect_timeout comes first, so the operator's DSN can override it: an unreachable host must
  // not block the loop (and the systemd watchdog) for the kernel's TCP timeout.
  std::vector<const char*> keys = {"connect_timeout", "dbname", "application_name",
                                   "fallback_application_name"};
  std::vector<const char*> values = {"10", conninfo.c_str(), application_name.c_str(),
                                     "outbox-relay"};
  if (kind == Kind::kReplication) {
    keys.push_back("replication");
    values.push_back("database");
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
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
    const auto code =
        transient_connect_failure(message) ? ErrorCode::kConnectionLost : ErrorCode::kServerRefused;
    return Error{code, "cannot connect to PostgreSQL (" + redact_dsn(conninfo) + "): " + message};
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
  const char* sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  return Error{ErrorCode::kServerRefused,
               trim(PQresultErrorMessage(result.get())) +
                   (sqlstate ? std::string(" (SQLSTATE ") + sqlstate + ")" : std::string())};
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

std::string quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

std::string quote_literal(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + '\'';
}

}  // namespace outbox
