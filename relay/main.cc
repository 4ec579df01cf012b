// outbox-relay: streams committed outbox rows from PostgreSQL to Kafka.
//
//   outbox-relay [run]   --config FILE          stream (the default sub-command)
//   outbox-relay check   --config FILE          validate configuration, servers, privileges;
//                                               exit 0 only if all is well
//   outbox-relay migrate --config FILE          apply the embedded migrations (idempotent)
//   outbox-relay status  --config FILE [--json] slot, confirmed LSN, lag
//   outbox-relay --version                      the relay's and librdkafka's versions
//
// --set key.path=value (repeatable) and OUTBOX_RELAY_<KEY_PATH> override the file. Exit
// statuses: relay/exit_status.h and docs/operations.md.
#include <CLI/CLI.hpp>
#include <iostream>

#include "config/config.h"
#include "relay/commands.h"
#include "relay/pg_connection.h"
#include "sinks/kafka_sink.h"

extern char** environ;

namespace {

std::vector<std::string> environment() {
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    entries.emplace_back(*entry);
  }
  return entries;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace outbox;
  CLI::App app{
      "outbox-relay: streams committed outbox rows from PostgreSQL to Kafka through "
      "logical replication, confirming a position only after Kafka acknowledged every "
      "event before it."};
  app.set_version_flag("--version", std::string("outbox-relay ") + OUTBOX_RELAY_VERSION +
                                        " (librdkafka " + kafka_client_version() + ")");
  std::string config_file;
  std::vector<std::string> overrides;
  app.add_option("-c,--config", config_file, "YAML configuration file");
  app.add_option("--set", overrides, "override a key: --set source.slot=x (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  app.fallthrough();
  app.require_subcommand(0, 1);

  auto* run = app.add_subcommand("run", "stream outbox rows to Kafka (the default)");
  auto* check = app.add_subcommand(
      "check",
      "validate the configuration, reach PostgreSQL and Kafka, check wal_level, "
      "privileges, table, publication and slot; exit 0 only if the relay could run");
  auto* migrate = app.add_subcommand("migrate", "apply the SQL migrations (idempotent)");
  auto* status = app.add_subcommand("status", "show the slot, its confirmed LSN and lag");
  bool json = false;
  status->add_flag("--json", json, "print JSON");
  for (auto* sub : {run, check, migrate, status}) sub->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  ConfigSources sources;
  if (!config_file.empty()) sources.file = config_file;
  sources.environment = environment();
  sources.overrides = overrides;
  auto config = load_config(sources);
  if (!config.ok()) {
    std::cerr << "outbox-relay: invalid configuration:\n" << config.error().message() << "\n";
    return kExitUsage;
  }
  // A DSN libpq cannot parse is a configuration error like any other: refused before anything
  // starts, never retried.
  if (auto dsn = PgConnection::check_conninfo(config->source.dsn); !dsn.ok()) {
    std::cerr << "outbox-relay: invalid configuration:\n" << dsn.error().message() << "\n";
    return kExitUsage;
  }
  set_log_level(config->log.level);
  set_log_format(config->log.format);

  if (check->parsed()) return check_command(*config);
  if (migrate->parsed()) return migrate_command(*config);
  if (status->parsed()) return status_command(*config, json);
  return run_command(*config);
}
