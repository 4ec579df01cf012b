#include "relay/migrations.h"

#include "relay/bootstrap.h"

namespace outbox {
namespace {

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

}  // namespace

std::string render_migration(const Migration& migration, const Config& config) {
  const auto table = split_table_name(config.source.table);
  std::string sql = migration.sql;
  replace_all(sql, "{{table}}",
              quote_identifier(table.schema) + "." + quote_identifier(table.name));
  replace_all(sql, "{{table_name}}", quote_identifier(table.name));
  replace_all(sql, "{{publication_literal}}", quote_literal(config.source.publication));
  replace_all(sql, "{{publication}}", quote_identifier(config.source.publication));
  return sql;
}

Result<std::vector<std::string>> apply_migrations(PgConnection& connection, const Config& config) {
  const auto table = split_table_name(config.source.table);
  const std::string ledger = quote_identifier(table.schema) + ".outbox_relay_migrations";
  auto prepared = connection.exec("CREATE TABLE IF NOT EXISTS " + ledger +
                                  " (name text PRIMARY KEY, applied_at timestamptz NOT NULL "
                                  "DEFAULT now())");
  if (!prepared.ok()) return std::move(prepared).error();

  std::vector<std::string> applied;
  for (const Migration& migration : embedded_migrations()) {
    auto begun = connection.exec("BEGIN");
    if (!begun.ok()) return std::move(begun).error();
    auto transaction = [&]() -> Result<bool> {
      auto locked =
          connection.exec("SELECT pg_advisory_xact_lock(hashtext('outbox-relay migrate'))");
      if (!locked.ok()) return std::move(locked).error();
      auto done = connection.query_value("SELECT 'yes' FROM " + ledger + " WHERE name = $1",
                                         {migration.name});
      if (!done.ok()) return std::move(done).error();
      if (done->has_value()) return false;
      // Simple query protocol: a migration may hold several statements.
      PgResult result(PQexec(connection.raw(), render_migration(migration, config).c_str()));
      if (PQresultStatus(result.get()) != PGRES_COMMAND_OK &&
          PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
        return Error{ErrorCode::kServerRefused,
                     "migration " + migration.name + " failed: " + connection.last_error()};
      }
      auto recorded =
          connection.exec("INSERT INTO " + ledger + " (name) VALUES ($1)", {migration.name});
      if (!recorded.ok()) return std::move(recorded).error();
      return true;
    }();
    if (!transaction.ok()) {
      (void)connection.exec("ROLLBACK");
      return std::move(transaction).error();
    }
    auto committed = connection.exec("COMMIT");
    if (!committed.ok()) return std::move(committed).error();
    if (*transaction) applied.push_back(migration.name);
  }
  return applied;
}

}  // namespace outbox
