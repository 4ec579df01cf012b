#include "tests/integration/support/pg.h"

#include <gtest/gtest.h>

#include "tests/integration/support/services.h"

namespace outbox::testing {

PgSession::PgSession(const std::string& database)
    : conn_(PQconnectdb(services().pg_conninfo(database).c_str())) {
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    ADD_FAILURE() << "cannot connect to PostgreSQL: " << PQerrorMessage(conn_.get());
  }
}

void PgSession::exec(const std::string& sql) {
  PgResultPtr result(PQexec(conn_.get(), sql.c_str()));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    ADD_FAILURE() << "SQL failed: " << sql << "\n" << PQerrorMessage(conn_.get());
  }
}

std::vector<std::string> PgSession::column(const std::string& sql) {
  PgResultPtr result(PQexec(conn_.get(), sql.c_str()));
  std::vector<std::string> values;
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << "SQL failed: " << sql << "\n" << PQerrorMessage(conn_.get());
    return values;
  }
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    values.emplace_back(PQgetisnull(result.get(), row, 0) ? "<null>"
                                                          : PQgetvalue(result.get(), row, 0));
  }
  return values;
}

std::vector<std::string> PgSession::binary_column(const std::string& sql) {
  PgResultPtr result(PQexecParams(conn_.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr,
                                  /*resultFormat=*/1));
  std::vector<std::string> values;
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << "SQL failed: " << sql << "\n" << PQerrorMessage(conn_.get());
    return values;
  }
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    values.emplace_back(PQgetvalue(result.get(), row, 0),
                        static_cast<std::size_t>(PQgetlength(result.get(), row, 0)));
  }
  return values;
}

ScratchDatabase::ScratchDatabase(const std::string& prefix) : name_(unique_name(prefix)) {
  PgSession admin;
  admin.exec("CREATE DATABASE " + name_);
}

ScratchDatabase::~ScratchDatabase() {
  PgSession admin;
  // Slots pin a database: drop them (ending any walsender still using one) before the database.
  admin.exec(
      "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '" +
      name_ + "' AND active_pid IS NOT NULL");
  admin.exec(
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" +
      name_ + "' AND NOT active");
  admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

}  // namespace outbox::testing
