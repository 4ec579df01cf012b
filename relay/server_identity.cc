#include "relay/server_identity.h"

#include <cstdlib>

namespace outbox {

std::string ServerIdentity::to_string() const {
  return "system " + system_identifier + ", timeline " + std::to_string(timeline);
}

Result<ServerIdentity> identify_system(PgConnection& replication) {
  PgResult result(PQexec(replication.raw(), "IDENTIFY_SYSTEM"));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) != 1 ||
      PQnfields(result.get()) < 2) {
    const std::string message = replication.last_error();
    const bool lost = !replication.alive() || is_transient_connection_failure(message);
    return Error{lost ? ErrorCode::kConnectionLost : ErrorCode::kServerRefused,
                 "IDENTIFY_SYSTEM failed: " + message};
  }
  ServerIdentity identity;
  identity.system_identifier = PQgetvalue(result.get(), 0, 0);
  identity.timeline =
      static_cast<std::uint32_t>(std::strtoul(PQgetvalue(result.get(), 0, 1), nullptr, 10));
  return identity;
}

}  // namespace outbox
