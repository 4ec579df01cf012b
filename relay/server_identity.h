// Which server's history a replication connection reads: IDENTIFY_SYSTEM's system identifier
// (set at initdb; a restore from a base backup keeps it) and timeline (a promoted standby starts
// a new one). Positions compare only within one history.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "relay/pg_connection.h"

namespace outbox {

struct ServerIdentity {
  std::string system_identifier;
  std::uint32_t timeline = 0;
  bool operator==(const ServerIdentity&) const = default;
  std::string to_string() const;
};

// IDENTIFY_SYSTEM on a replication connection (before START_REPLICATION).
Result<ServerIdentity> identify_system(PgConnection& replication);

}  // namespace outbox
