// A DSN libpq cannot parse is refused before any connection is tried, with libpq's reason but
// without the piece of the DSN it quotes, which may be part of a password.
#include <gtest/gtest.h>

#include <string>

#include "relay/pg_connection.h"

namespace outbox {
namespace {

TEST(MalformedDsn, IsRefusedWithLibpqsReasonButNotThePieceItQuotes) {
  for (const std::string dsn :
       {"host=127.0.0.1 password=hunter2 secret-tail",
        "host=127.0.0.1 password='hunter2 secret-tail", "host=127.0.0.1 passwrd=secret-tail",
        "postgresql://u:hunter2@h/db?secret-tail"}) {
    const auto connected = PgConnection::connect(dsn, PgConnection::Kind::kNormal);
    ASSERT_FALSE(connected.ok()) << dsn;
    const std::string& message = connected.error().message();
    EXPECT_EQ(connected.error().code(), ErrorCode::kServerRefused) << message;
    EXPECT_NE(message.find("source.dsn is not a valid libpq connection string"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("secret-tail"), std::string::npos) << dsn << " leaked: " << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << dsn << " leaked: " << message;
  }
}

TEST(MalformedDsn, ABareDatabaseNameIsNoConnectionStringAndIsNotRefusedAsOne) {
  // libpq takes a DSN without "=" for a database name; connecting to a closed port fails later,
  // for that reason, not as a malformed string.
  const auto connected =
      PgConnection::connect("no_such_database_here", PgConnection::Kind::kNormal);
  if (connected.ok()) GTEST_SKIP() << "a local server accepted the connection";
  EXPECT_EQ(connected.error().message().find("not a valid libpq connection string"),
            std::string::npos)
      << connected.error().message();
}

}  // namespace
}  // namespace outbox
