// A DSN libpq cannot parse is refused before any connection is tried, with libpq's reason but
// without the piece of the DSN it quotes, which may be part of a password.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "relay/pg_connection.h"

namespace outbox {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MalformedDsn, IsRefusedWithLibpqsReasonButNotThePieceItQuotes) {
  for (const std::string dsn :
       {"host=127.0.0.1 password=hunter2 secret-tail",
        "host=127.0.0.1 password='hunter2 secret-tail", "host=127.0.0.1 passwrd=secret-tail",
        "postgresql://u:hunter2@h/db?secret-tail"}) {
    const auto connected = PgConnection::connect(dsn, PgConnection::Kind::kNormal);
    ASSERT_FALSE(connected.ok()) << dsn;
    const std::string& message = connected.error().message();
    EXPECT_EQ(connected.error().code(), ErrorCode::kInvalidConfig) << message;
    const auto checked = PgConnection::check_conninfo(dsn);
    ASSERT_FALSE(checked.ok()) << dsn;
    EXPECT_EQ(checked.error().message(), message);
    EXPECT_THAT(message, HasSubstr("source.dsn is not a valid libpq connection string"));
    EXPECT_THAT(message, Not(HasSubstr("secret-tail"))) << dsn << " leaked: " << message;
    EXPECT_THAT(message, Not(HasSubstr("hunter2"))) << dsn << " leaked: " << message;
  }
}

TEST(MalformedDsn, ABareDatabaseNameIsNoConnectionStringAndIsNotRefusedAsOne) {
  // libpq takes a DSN without "=" for a database name; connecting to a closed port fails later,
  // for that reason, not as a malformed string.
  const auto connected =
      PgConnection::connect("no_such_database_here", PgConnection::Kind::kNormal);
  if (connected.ok()) GTEST_SKIP() << "a local server accepted the connection";
  EXPECT_THAT(connected.error().message(), Not(HasSubstr("not a valid libpq connection string")));
}

}  // namespace
}  // namespace outbox
