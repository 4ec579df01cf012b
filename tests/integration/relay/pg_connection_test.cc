// The relay's PostgreSQL connections against the real server: the TCP settings libpq really
// uses, and the output format of the replication connection whatever the database's defaults.
#include "relay/pg_connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/support/pg.h"
#include "tests/integration/support/services.h"

namespace outbox::testing {
namespace {

using Kind = outbox::PgConnection::Kind;

// keepalives, keepalives_idle, keepalives_interval, keepalives_count and tcp_user_timeout as
// libpq says it uses them (PQconninfo), and as the connection's socket has them.
struct TcpSettings {
  std::vector<std::string> libpq;
  std::vector<int> socket;
};

TcpSettings tcp_settings(const outbox::PgConnection& connection) {
  std::map<std::string, std::string> options;
  PQconninfoOption* info = PQconninfo(connection.raw());
  for (PQconninfoOption* option = info; option != nullptr && option->keyword != nullptr; ++option) {
    options[option->keyword] = option->val != nullptr ? option->val : "<unset>";
  }
  PQconninfoFree(info);
  TcpSettings settings;
  for (const char* keyword : {"keepalives", "keepalives_idle", "keepalives_interval",
                              "keepalives_count", "tcp_user_timeout"}) {
    settings.libpq.push_back(options[keyword]);
  }
  for (const auto& [level, name] : {std::pair{SOL_SOCKET, SO_KEEPALIVE},
                                    {IPPROTO_TCP, TCP_KEEPIDLE},
                                    {IPPROTO_TCP, TCP_KEEPINTVL},
                                    {IPPROTO_TCP, TCP_KEEPCNT},
                                    {IPPROTO_TCP, TCP_USER_TIMEOUT}}) {
    int value = -1;
    socklen_t length = sizeof value;
    EXPECT_EQ(::getsockopt(PQsocket(connection.raw()), level, name, &value, &length), 0);
    settings.socket.push_back(value);
  }
  return settings;
}

const char* kind_name(Kind kind) { return kind == Kind::kNormal ? "normal" : "replication"; }

TEST(PgConnection, SetsTcpKeepalivesAndAUserTimeoutOnBothConnectionKinds) {
  for (const Kind kind : {Kind::kNormal, Kind::kReplication}) {
    SCOPED_TRACE(kind_name(kind));
    const auto connection = outbox::PgConnection::connect(services().pg_conninfo(), kind);
    ASSERT_TRUE(connection.ok()) << connection.error().message();
    const auto settings = tcp_settings(*connection);
    EXPECT_EQ(settings.libpq, (std::vector<std::string>{"1", "10", "5", "3", "30000"}));
    // And applied to the socket: a dead peer ends the connection within about 25 s.
    EXPECT_EQ(settings.socket, (std::vector<int>{1, 10, 5, 3, 30000}));
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
      SCOPED_TRACE(dsn + ", " + kind_name(kind));
      const auto connection = outbox::PgConnection::connect(dsn, kind);
      ASSERT_TRUE(connection.ok()) << connection.error().message();
      const auto settings = tcp_settings(*connection);
      EXPECT_EQ(settings.libpq, (std::vector<std::string>{"1", "61", "7", "9", "12345"}));
      EXPECT_EQ(settings.socket, (std::vector<int>{1, 61, 7, 9, 12345}));
    }
  }
  // keepalives=0 turns them off (libpq then sets none of the others on the socket).
  const auto off = outbox::PgConnection::connect(key_value + " keepalives=0", Kind::kNormal);
  ASSERT_TRUE(off.ok()) << off.error().message();
  const auto settings = tcp_settings(*off);
  EXPECT_EQ(settings.libpq.front(), "0");
  EXPECT_EQ(settings.socket.front(), 0);
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
