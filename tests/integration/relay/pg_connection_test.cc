// The relay's PostgreSQL connections against the real server: the TCP settings libpq really
// uses, and the output format of the replication connection whatever the database's defaults.
#include "relay/pg_connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <map>
#include <string>

#include "tests/integration/support/pg.h"
#include "tests/integration/support/services.h"

namespace outbox::testing {
namespace {

using Kind = outbox::PgConnection::Kind;

// What libpq says it uses for each keyword (PQconninfo), for the keywords set on it.
std::map<std::string, std::string> effective_options(const outbox::PgConnection& connection) {
  std::map<std::string, std::string> options;
  PQconninfoOption* info = PQconninfo(connection.raw());
  for (PQconninfoOption* option = info; option != nullptr && option->keyword != nullptr; ++option) {
    if (option->val != nullptr) options[option->keyword] = option->val;
  }
  PQconninfoFree(info);
  return options;
}

int socket_option(const outbox::PgConnection& connection, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  EXPECT_EQ(::getsockopt(PQsocket(connection.raw()), level, name, &value, &length), 0);
  return value;
}

TEST(PgConnection, SetsTcpKeepalivesAndAUserTimeoutOnBothConnectionKinds) {
  for (const Kind kind : {Kind::kNormal, Kind::kReplication}) {
    SCOPED_TRACE(kind == Kind::kNormal ? "normal" : "replication");
    const auto connection = outbox::PgConnection::connect(services().pg_conninfo(), kind);
    ASSERT_TRUE(connection.ok()) << connection.error().message();
    const auto options = effective_options(*connection);
    EXPECT_EQ(options.at("keepalives"), "1");
    EXPECT_EQ(options.at("keepalives_idle"), "10");
    EXPECT_EQ(options.at("keepalives_interval"), "5");
    EXPECT_EQ(options.at("keepalives_count"), "3");
    EXPECT_EQ(options.at("tcp_user_timeout"), "30000");
    // And libpq applied them to the socket: a dead peer ends the connection within about 25 s.
    EXPECT_EQ(socket_option(*connection, SOL_SOCKET, SO_KEEPALIVE), 1);
    EXPECT_EQ(socket_option(*connection, IPPROTO_TCP, TCP_KEEPIDLE), 10);
    EXPECT_EQ(socket_option(*connection, IPPROTO_TCP, TCP_KEEPINTVL), 5);
    EXPECT_EQ(socket_option(*connection, IPPROTO_TCP, TCP_KEEPCNT), 3);
    EXPECT_EQ(socket_option(*connection, IPPROTO_TCP, TCP_USER_TIMEOUT), 30000);
  }
}

TEST(PgConnection, TheOperatorsDsnOverridesEveryTcpDefaultInBothDsnForms) {
  const auto& s = services();
  const std::string key_value = s.pg_conninfo() +
                                " keepalives_idle=61 keepalives_interval=7 keepalives_count=9"
                                " tcp_user_timeout=12345";
  const std::string uri = "postgresql://" + s.pg_user + "@" + s.pg_host + ":" + s.pg_port + "/" +
                          s.pg_database +
                          "?keepalives_idle=61&keepalives_interval=7&keepalives_count=9"
                          "&tcp_user_timeout=12345";
  for (const std::string& dsn : {key_value, uri}) {
    for (const Kind kind : {Kind::kNormal, Kind::kReplication}) {
      SCOPED_TRACE(dsn + (kind == Kind::kNormal ? ", normal" : ", replication"));
      const auto connection = outbox::PgConnection::connect(dsn, kind);
      ASSERT_TRUE(connection.ok()) << connection.error().message();
      const auto options = effective_options(*connection);
      EXPECT_EQ(options.at("keepalives"), "1");
      EXPECT_EQ(options.at("keepalives_idle"), "61");
      EXPECT_EQ(options.at("keepalives_interval"), "7");
      EXPECT_EQ(options.at("keepalives_count"), "9");
      EXPECT_EQ(options.at("tcp_user_timeout"), "12345");
      EXPECT_EQ(socket_option(*connection, IPPROTO_TCP, TCP_KEEPIDLE), 61);
      EXPECT_EQ(socket_option(*connection, IPPROTO_TCP, TCP_USER_TIMEOUT), 12345);
    }
  }
  // keepalives=0 turns them off (libpq then leaves the user timeout alone too).
  const auto off = outbox::PgConnection::connect(key_value + " keepalives=0", Kind::kNormal);
  ASSERT_TRUE(off.ok()) << off.error().message();
  EXPECT_EQ(effective_options(*off).at("keepalives"), "0");
  EXPECT_EQ(socket_option(*off, SOL_SOCKET, SO_KEEPALIVE), 0);
}

std::string show(const outbox::PgConnection& connection, const std::string& setting) {
  // Simple query protocol: a replication connection accepts nothing else.
  PgResultPtr result(PQexec(connection.raw(), ("SHOW " + setting).c_str()));
  EXPECT_EQ(PQresultStatus(result.get()), PGRES_TUPLES_OK) << PQerrorMessage(connection.raw());
  return PQntuples(result.get()) == 1 ? PQgetvalue(result.get(), 0, 0) : "<none>";
}

TEST(PgConnection, TheReplicationConnectionPrintsIsoUtcWhateverTheDatabaseDefaults) {
  ScratchDatabase database("outputformat");
  PgSession admin;
  for (const char* setting : {"DateStyle = 'SQL, DMY'", "IntervalStyle = 'sql_standard'",
                              "TimeZone = 'America/New_York'", "bytea_output = 'escape'"}) {
    admin.exec("ALTER DATABASE " + database.name() + " SET " + setting);
  }
  const std::string dsn = services().pg_conninfo(database.name());
  {
    // The database's defaults do reach a new session: what the replication connection undoes.
    const auto normal = outbox::PgConnection::connect(dsn, Kind::kNormal);
    ASSERT_TRUE(normal.ok()) << normal.error().message();
    EXPECT_EQ(show(*normal, "DateStyle"), "SQL, DMY");
    EXPECT_EQ(show(*normal, "TimeZone"), "America/New_York");
  }
  const auto replication = outbox::PgConnection::connect(dsn, Kind::kReplication);
  ASSERT_TRUE(replication.ok()) << replication.error().message();
  EXPECT_EQ(show(*replication, "DateStyle"), "ISO, MDY");
  EXPECT_EQ(show(*replication, "IntervalStyle"), "postgres");
  EXPECT_EQ(show(*replication, "TimeZone"), "UTC");
  EXPECT_EQ(show(*replication, "bytea_output"), "hex");
}

}  // namespace
}  // namespace outbox::testing
