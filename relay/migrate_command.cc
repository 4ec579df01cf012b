#include <iostream>

#include "common/log.h"
#include "relay/bootstrap.h"
#include "relay/commands.h"
#include "relay/migrations.h"
#include "relay/pg_connection.h"

namespace outbox {
namespace {

const Logger kLog("relay");

}  // namespace

int migrate_command(const Config& config) {
  auto connection = PgConnection::connect(config.source.dsn, PgConnection::Kind::kNormal);
  if (!connection.ok()) {
    kLog.error("cannot connect to PostgreSQL", {{"error", connection.error().message()}});
    return kExitFailure;
  }
  auto applied = apply_migrations(*connection, config);
  if (!applied.ok()) {
    kLog.error("migration failed", {{"error", applied.error().message()}});
    return kExitFailure;
  }
  if (applied->empty()) {
    std::cout << "migrations: up to date (" << embedded_migrations().size() << " applied before)\n";
  }
  for (const auto& name : *applied) std::cout << "migrations: applied " << name << "\n";
  // The slot too, when the relay may create it: rows committed from now on are kept for the
  // relay even if it first starts later. Without a slot the server keeps nothing, and rows
  // written between migrate and the first run would never be published.
  if (config.source.create_slot) {
    const BootstrapReport report = bootstrap(*connection, config, BootstrapMode::kPrepare);
    for (const auto& line : report.lines) {
      if (line.what == "replication slot" || !line.ok) {
        std::cout << (line.ok ? "ok    " : "WARN  ") << line.what << ": " << line.detail << "\n";
      }
    }
    if (!report.ok()) {
      std::cout << "migrations applied, but the relay cannot stream yet (see WARN above); rows "
                   "committed before its slot exists will not be published\n";
    }
  }
  return kExitOk;
}

}  // namespace outbox
