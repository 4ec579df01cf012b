// Which PostgreSQL failures the relay retries in-process and which end it: the texts are those
// libpq 15 and PostgreSQL 15 really print (captured with psql against the test server, or read
// from the libpq and postgres binaries of the Debian 12 packages).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "relay/pg_connection.h"

namespace outbox {
namespace {

struct Case {
  std::string message;
  bool transient;
};

// libpq prefixes a failed connection attempt with the server it tried.
const std::string kAt = "connection to server at \"127.0.0.1\", port 5432 failed: ";

TEST(TransientConnectionFailure, RetriesWhatPassesByItselfAndStopsOnWhatNeedsTheOperator) {
  const std::vector<Case> cases = {
      // The server cannot take connections now (57P03).
      {kAt + "FATAL:  the database system is starting up", true},
      {kAt + "FATAL:  the database system is not yet accepting connections\n"
             "DETAIL:  Consistent recovery state has not been yet reached.",
       true},
      {kAt + "FATAL:  the database system is in recovery mode", true},
      {kAt + "FATAL:  the database system is shutting down", true},
      // No slot free now (53300).
      {kAt + "FATAL:  sorry, too many clients already", true},
      {kAt + "FATAL:  remaining connection slots are reserved for non-replication superuser "
             "connections",
       true},
      {kAt + "FATAL:  too many connections for role \"relay\"", true},
      // Unreachable.
      {kAt + "Connection refused\n\tIs the server running on that host and accepting TCP/IP "
             "connections?",
       true},
      {"connection to server at \"db.internal\" (10.1.2.3), port 5432 failed: timeout expired",
       true},
      {kAt + "No route to host\n\tIs the server running on that host and accepting TCP/IP "
             "connections?",
       true},
      {"could not translate host name \"db.internal\" to address: Temporary failure in name "
       "resolution",
       true},
      // The session ended under us (57P01, 57P02) or the connection broke.
      {"FATAL:  terminating connection due to administrator command\n"
       "server closed the connection unexpectedly\n"
       "\tThis probably means the server terminated abnormally\n"
       "\tbefore or while processing the request.",
       true},
      {"FATAL:  terminating connection due to administrator command", true},
      {"FATAL:  terminating connection due to immediate shutdown command", true},
      {"FATAL:  terminating connection because of crash of another server process\n"
       "DETAIL:  The postmaster has commanded this server process to roll back the current "
       "transaction and exit, because another server process exited abnormally and possibly "
       "corrupted shared memory.",
       true},
      {"server closed the connection unexpectedly\n"
       "\tThis probably means the server terminated abnormally\n"
       "\tbefore or while processing the request.",
       true},
      {"could not receive data from server: Connection reset by peer", true},
      {"could not receive data from server: Connection timed out", true},
      {"could not send data to server: Broken pipe", true},
      {"SSL connection has been closed unexpectedly", true},
      {"SSL SYSCALL error: EOF detected", true},
      {"no connection to the server", true},
      // What needs the operator.
      {kAt + "FATAL:  password authentication failed for user \"relay\"", false},
      {kAt + "FATAL:  no pg_hba.conf entry for replication connection from host \"127.0.0.1\", "
             "user \"relay\", no encryption",
       false},
      {kAt + "FATAL:  database \"nosuchdb\" does not exist", false},
      {kAt + "FATAL:  role \"nosuchrole\" does not exist", false},
      {kAt + "FATAL:  must be superuser or replication role to start walsender", false},
      {kAt + "FATAL:  the database system is not accepting connections\n"
             "DETAIL:  Hot standby mode is disabled.",
       false},
      {"invalid connection option \"keepalive\"", false},
      {kAt + "server does not support SSL, but SSL was required", false},
      {"ERROR:  logical decoding cannot be used while in recovery", false},
      {"ERROR:  replication slot \"outbox_relay\" does not exist", false},
      {"ERROR:  relation \"public.outbox_events\" does not exist", false},
      {"", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_transient_connection_failure(c.message), c.transient) << c.message;
  }
}

TEST(TransientConnectionFailure, ReadsTheSqlstatesOfLostOrRefusedSessionsAsTransient) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"08000", true},   // connection_exception
      {"08003", true},   // connection_does_not_exist
      {"08006", true},   // connection_failure
      {"08P01", true},   // protocol_violation
      {"57P01", true},   // admin_shutdown
      {"57P02", true},   // crash_shutdown
      {"57P03", true},   // cannot_connect_now
      {"53300", true},   // too_many_connections
      {"57P04", false},  // database_dropped
      {"57014", false},  // query_canceled
      {"53100", false},  // disk_full
      {"28P01", false},  // invalid_password
      {"42P01", false},  // undefined_table
      {"55006", false},  // object_in_use
      {"", false},
  };
  for (const auto& [sqlstate, transient] : cases) {
    EXPECT_EQ(is_transient_sqlstate(sqlstate), transient) << sqlstate;
  }
}

}  // namespace
}  // namespace outbox
