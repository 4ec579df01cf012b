// Before streaming: is the server set up for logical replication of the outbox, and if not,
// can we set it up (publication, slot) ourselves? Every failure says what is wrong and what the
// operator should run or change.
#pragma once

#include <string>
#include <vector>

#include "common/lsn.h"
#include "common/result.h"
#include "config/config.h"
#include "relay/pg_connection.h"

namespace outbox {

// One check's outcome, for `outbox-relay check`.
struct CheckLine {
  bool ok;
  std::string what;    // "wal_level", "role privileges", ...
  std::string detail;  // what was found, or what is wrong and what to do
};

struct BootstrapReport {
  std::vector<CheckLine> lines;
  bool ok() const;
  // Set when the slot exists (or was created): where streaming resumes.
  Lsn slot_confirmed_lsn;
  // True when this bootstrap created the slot: nothing before its position will ever be sent.
  bool slot_created = false;
  // The first failure's code: kConnectionLost for what may pass by itself (slot in use by another
  // relay, server restarting), kServerRefused for what needs the operator.
  ErrorCode failure_code = ErrorCode::kServerRefused;
};

enum class BootstrapMode {
  kCheckOnly,  // `check`: read-only; a missing publication or slot that `run` would create is ok
  kPrepare,    // `run`: create the publication and slot when allowed and missing
};

// Checks, in order: wal_level (nothing else is checked when it is not 'logical'); the role's
// REPLICATION attribute (a superuser passes too); that the outbox table exists and has every
// column the relay reads (names only, not types); the publication, when the table passed (it
// must publish inserts and send the outbox table's rows under the table's own name, partitioned
// or not); the slot (a logical pgoutput slot of this database, wal_status not 'lost', not
// two-phase, not active); a missing one needs source.create_slot and a free slot under
// max_replication_slots. kPrepare mode creates what is missing, but only when every check before
// it passed: a slot pins WAL from its creation on, so a relay that keeps failing must not leave
// one behind.
BootstrapReport bootstrap(PgConnection& connection, const Config& config, BootstrapMode mode);

// "schema.table" split into its parts (the configuration has already normalised it).
struct QualifiedName {
  std::string schema;
  std::string name;
};
QualifiedName split_table_name(const std::string& table);

}  // namespace outbox
