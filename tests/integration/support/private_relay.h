// A relay set up against a test's own servers (PrivateServices): the outbox migrated in the
// private PostgreSQL, a configuration pointing at the private PostgreSQL and broker, and a libpq
// client that survives the server going away. RelayFixture's counterpart for tests that stop and
// restart servers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/support/pg.h"
#include "tests/integration/support/private_services.h"
#include "tests/integration/support/relay_process.h"

namespace outbox::testing {

// A libpq connection to any conninfo. Unlike PgSession it expects the server to go away: the
// try_ functions report failures to the caller instead of failing the test, and reconnect()
// starts over.
class PgClient {
 public:
  explicit PgClient(std::string conninfo);  // connects once; see ok()

  bool ok() const;
  // A new connection replacing the old one; false when the server does not take it.
  bool reconnect();

  // Runs one or more statements; the rows (every column as text, NULL as "<null>") of the last
  // one, or nullopt with `error` set when the server refused or the connection broke.
  std::optional<std::vector<std::vector<std::string>>> try_rows(const std::string& sql,
                                                                std::string* error = nullptr);
  // The same, but any failure fails the current test (and returns no rows).
  std::vector<std::vector<std::string>> rows(const std::string& sql);
  // The first column of the first row ("" when there is none); failures fail the test.
  std::string value(const std::string& sql);
  void exec(const std::string& sql) { rows(sql); }

 private:
  std::string conninfo_;
  std::unique_ptr<PGconn, PgConnDeleter> conn_;
};

class PrivateRelay {
 public:
  // Migrates the outbox into the private server's default database; unique slot and topics.
  PrivateRelay(const PrivateServices& services, const std::string& name);

  const std::string& slot() const { return slot_; }
  std::string topic(const std::string& aggregate_type_lower) const {
    return prefix_ + "." + aggregate_type_lower + ".events";
  }
  std::string conninfo() const { return services_.conninfo(); }
  const std::string& kafka_bootstrap() const { return services_.kafka_bootstrap(); }

  // The YAML configuration, as RelayFixture::config: `sink_extra` lines go under `sink:`,
  // `kafka_extra` lines under `sink.kafka:` (both indented by the caller).
  std::string config(const std::string& sink_extra = {}, const std::string& kafka_extra = {}) const;
  std::string config_file(const std::string& sink_extra = {},
                          const std::string& kafka_extra = {}) const;

  // Starts `outbox-relay run --config <file>` and waits until it streams.
  std::unique_ptr<RelayProcess> start_relay(const std::string& config_path);

  // A client of its own on the private server, for the test's SQL.
  PgClient& sql() { return *sql_; }

 private:
  const PrivateServices& services_;
  std::string slot_;
  std::string prefix_;
  std::unique_ptr<PgClient> sql_;
};

}  // namespace outbox::testing
