#include "config/redact.h"

#include <gtest/gtest.h>

#include <string>

namespace outbox {
namespace {

struct DsnCase {
  std::string dsn;
  std::string redacted;
};

void expect_redacted(const std::vector<DsnCase>& cases) {
  for (const auto& [dsn, redacted] : cases) EXPECT_EQ(redact_dsn(dsn), redacted) << dsn;
}

TEST(RedactDsn, ReplacesPasswordValuesInKeywordValueForm) {
  expect_redacted({
      {"host=db password=secret user=relay", "host=db password=<redacted> user=relay"},
      {"password = 'it\\'s quoted' host=db", "password = <redacted> host=db"},
      {"password='a b\\'c' host=db", "password=<redacted> host=db"},
      {"host=db password=a\\ b", "host=db password=<redacted>"},
      {"password='' host=db", "password=<redacted> host=db"},
      {"password=a'b host=db", "password=<redacted> host=db"},
      {"  sslpassword=x\tdbname=app ", "  sslpassword=<redacted>\tdbname=app "},
      {"host=db\vpassword=x\vuser=relay", "host=db\vpassword=<redacted>\vuser=relay"},
      {"host=db oauth_client_secret=s user=relay",
       "host=db oauth_client_secret=<redacted> user=relay"},
  });
}

// libpq's keywords are case-sensitive and refuses "PASSWORD", but the relay prints the string
// with that refusal, so the value must not be in it.
TEST(RedactDsn, ReplacesPasswordValuesWhateverTheCaseOfTheKeyword) {
  expect_redacted({
      {"host=db PASSWORD=secret", "host=db PASSWORD=<redacted>"},
      {"host=db SslPassword='x y'", "host=db SslPassword=<redacted>"},
      {"postgresql://db/app?PASSWORD=secret", "postgresql://db/app?PASSWORD=<redacted>"},
  });
}

TEST(RedactDsn, KeepsADsnWithoutPasswordAsWritten) {
  for (const char* dsn : {"host=db port=5432 dbname=app user=relay", "",
                          "postgresql://relay@db/app", "postgres:///app?host=/run/postgresql",
                          "postgresql://db/app?user=relay@server&sslmode=require",
                          "postgresql://h1:5432,h2:5433/app?target_session_attrs=read-write",
                          "postgresql://[::1]:5432/app", "postgresql://relay@%2Frun%2Fpg/app",
                          "postgresql://db/app?application_name=a:b/c?d"}) {
    EXPECT_EQ(redact_dsn(dsn), dsn);
  }
}

TEST(RedactDsn, HidesAWholeKeywordValueDsnThatDoesNotParse) {
  expect_redacted({
      {"host=db password='unterminated", "<redacted>"},
      {"host=db secret", "<redacted>"},
      {"password=a b", "<redacted>"},  // libpq refuses "b", and quotes it in its error
      // Not a URI for libpq (a blank before the scheme, or the scheme in capitals), and not
      // key=value either: the password must not show.
      {" postgresql://relay:secret@db/app?password=x", "<redacted>"},
      {"POSTGRESQL://relay:secret@db/app", "<redacted>"},
      {"host=db pass-word=x", "<redacted>"},
  });
}

TEST(RedactDsn, ReplacesThePasswordOfTheUserInformation) {
  expect_redacted({
      {"postgresql://relay:secret@db:5432/app", "postgresql://relay:<redacted>@db:5432/app"},
      {"postgres://relay:secret@db/app", "postgres://relay:<redacted>@db/app"},
      {"postgresql://relay:secret@db", "postgresql://relay:<redacted>@db"},
      {"postgresql://relay:s%40cr%2Ft@db/app", "postgresql://relay:<redacted>@db/app"},
      {"postgresql://re%3Alay:secret@db/app", "postgresql://re%3Alay:<redacted>@db/app"},
      {"postgresql://relay:a:b@db/app", "postgresql://relay:<redacted>@db/app"},
      {"postgresql://relay:secret@h1:5432,h2:5433/app",
       "postgresql://relay:<redacted>@h1:5432,h2:5433/app"},
      {"postgresql://relay:secret@[::1]:5432/app", "postgresql://relay:<redacted>@[::1]:5432/app"},
      {"postgresql://:secret@db/app", "postgresql://:<redacted>@db/app"},
  });
}

TEST(RedactDsn, HidesAllOfAPasswordWithUnencodedDelimiters) {
  expect_redacted({
      {"postgresql://relay:p@ss/w@db/app", "postgresql://relay:<redacted>@db/app"},
      {"postgresql://relay:p/ss@db/app", "postgresql://relay:<redacted>@db/app"},
      {"postgresql://relay:p?ss@db/app", "postgresql://relay:<redacted>@db/app"},
      {"postgresql://relay:p?user=x@db/app", "postgresql://relay:<redacted>@db/app"},
      {"postgresql://relay:p@ss/w@db/app?user=a@b",
       "postgresql://relay:<redacted>@db/app?user=a@b"},
  });
}

TEST(RedactDsn, ReplacesPasswordsInTheQueryString) {
  expect_redacted({
      {"postgres://relay:s%40cret@db1,db2/app?password=x&sslmode=require",
       "postgres://relay:<redacted>@db1,db2/app?password=<redacted>&sslmode=require"},
      // The user@server form of some managed services: the '@' is in a parameter value.
      {"postgresql://db/app?user=relay@server&password=secret",
       "postgresql://db/app?user=relay@server&password=<redacted>"},
      {"postgresql://relay:secret@db/app?user=relay@server&password=secret",
       "postgresql://relay:<redacted>@db/app?user=relay@server&password=<redacted>"},
      {"postgresql:///app?host=/run/pg&password=a/b?c@d:e",
       "postgresql:///app?host=/run/pg&password=<redacted>"},
      {"postgresql://db/app?sslpassword=k3y&sslmode=verify-full",
       "postgresql://db/app?sslpassword=<redacted>&sslmode=verify-full"},
      {"postgresql://db/app?pass%77ord=secret", "postgresql://db/app?pass%77ord=<redacted>"},
      // An unencoded '&' in the password: libpq refuses the piece after it, which is hidden too.
      {"postgresql://db/app?password=a&b&sslmode=require",
       "postgresql://db/app?password=<redacted>&sslmode=require"},
      // No '/' before the '@': libpq takes "db?user=relay" for the user; nothing may leak either
      // way.
      {"postgresql://db?user=relay@server&password=secret",
       "postgresql://db?user=relay@server&password=<redacted>"},
  });
}

TEST(SecretKafkaProperties, AreThoseThatCarryPasswordsKeysAndTokens) {
  for (const char* name :
       {"sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.oauthbearer.config",
        "sasl.oauthbearer.client.secret", "ssl.key.pem"}) {
    EXPECT_TRUE(is_secret_kafka_property(name)) << name;
  }
  for (const char* name : {"bootstrap.servers", "sasl.username", "sasl.mechanism",
                           "ssl.key.location", "security.protocol"}) {
    EXPECT_FALSE(is_secret_kafka_property(name)) << name;
  }
}

}  // namespace
}  // namespace outbox
