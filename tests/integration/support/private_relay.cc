#include "tests/integration/support/private_relay.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/integration/support/relay_config.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/temp_file.h"

namespace outbox::testing {

PgClient::PgClient(std::string conninfo) : conninfo_(std::move(conninfo)) { reconnect(); }

bool PgClient::ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

bool PgClient::reconnect() {
  conn_.reset(PQconnectdb(conninfo_.c_str()));
  return ok();
}

std::optional<std::vector<std::vector<std::string>>> PgClient::try_rows(const std::string& sql,
                                                                        std::string* error) {
  if (!ok()) {
    if (error != nullptr) *error = "not connected: " + std::string(PQerrorMessage(conn_.get()));
    return std::nullopt;
  }
  PgResultPtr result(PQexec(conn_.get(), sql.c_str()));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    if (error != nullptr) *error = PQerrorMessage(conn_.get());
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> rows;
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    auto& values = rows.emplace_back();
    for (int column = 0; column < PQnfields(result.get()); ++column) {
      values.emplace_back(PQgetisnull(result.get(), row, column)
                              ? "<null>"
                              : PQgetvalue(result.get(), row, column));
    }
  }
  return rows;
}

std::vector<std::vector<std::string>> PgClient::rows(const std::string& sql) {
  std::string error;
  auto rows = try_rows(sql, &error);
  if (!rows) {
    ADD_FAILURE() << "SQL failed: " << sql << "\n" << error;
    return {};
  }
  return std::move(*rows);
}

std::string PgClient::value(const std::string& sql) {
  const auto result = rows(sql);
  return result.empty() || result.front().empty() ? std::string() : result.front().front();
}

PrivateRelay::PrivateRelay(const PrivateServices& services, const std::string& name)
    : services_(services), slot_(unique_name("slot")), prefix_(unique_name(name)) {
  const auto migrated = run_relay_command({"migrate", "--config", config_file()});
  EXPECT_EQ(migrated.status, 0) << migrated.out << migrated.err;
  sql_ = std::make_unique<PgClient>(services_.conninfo());
  EXPECT_TRUE(sql_->ok()) << "cannot connect to the private PostgreSQL";
}

std::string PrivateRelay::config(const std::string& sink_extra,
                                 const std::string& kafka_extra) const {
  return relay_config({services_.conninfo(), slot_, prefix_, services_.kafka_bootstrap()},
                      sink_extra, kafka_extra);
}

std::string PrivateRelay::config_file(const std::string& sink_extra,
                                      const std::string& kafka_extra) const {
  return write_temp_file(prefix_ + ".yaml", config(sink_extra, kafka_extra));
}

std::unique_ptr<RelayProcess> PrivateRelay::start_relay(const std::string& config_path) {
  return start_streaming_relay(config_path);
}

}  // namespace outbox::testing
