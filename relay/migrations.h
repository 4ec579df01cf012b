// `outbox-relay migrate`: the SQL in migrations/, embedded at build time, applied in name order,
// once each, recorded in outbox_relay_migrations.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "relay/pg_connection.h"

namespace outbox {

struct Migration {
  std::string name;  // the file name without .sql, e.g. "001_create_outbox_events"
  std::string sql;
};

const std::vector<Migration>& embedded_migrations();

// The migration's SQL with {{table}}, {{table_name}}, {{publication}} and
// {{publication_literal}} replaced from the configuration.
std::string render_migration(const Migration& migration, const Config& config);

// Applies every migration not yet recorded, each in its own transaction, under an advisory lock
// so two concurrent runs do not race. Returns the names applied (empty when up to date).
Result<std::vector<std::string>> apply_migrations(PgConnection& connection, const Config& config);

}  // namespace outbox
