// Where the test run's PostgreSQL and Kafka broker are, and names no other test uses.
#pragma once

#include <string>

namespace outbox::testing {

struct Services {
  std::string pg_host;
  std::string pg_port;
  std::string pg_user;
  std::string pg_database;
  std::string kafka_bootstrap;
  // The broker's SASL_PLAINTEXT listener and the SCRAM-SHA-512 user it knows.
  std::string kafka_sasl_bootstrap;
  std::string kafka_scram_user;
  std::string kafka_scram_password;

  // A libpq conninfo string for `database` (the fixture's default database when empty).
  std::string pg_conninfo(const std::string& database = {}) const;
};

// The fixture's servers, read once from the file OUTBOX_RELAY_TEST_ENV names (the export lines
// scripts/local-env prints). Aborts the test program with a clear message when it is missing:
// an integration test must never pass without its servers.
const Services& services();

// "<prefix>_<pid>_<counter>": unique within a test run, valid as an SQL identifier and a topic
// name, so tests never share a database, slot, publication or topic.
std::string unique_name(const std::string& prefix);

}  // namespace outbox::testing
