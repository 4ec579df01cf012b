#include "config/redact.h"

#include <gtest/gtest.h>

namespace outbox {
namespace {

TEST(RedactDsn, ReplacesPasswordValuesInKeywordValueForm) {
  EXPECT_EQ(redact_dsn("host=db password=secret user=relay"),
            "host=db password=<redacted> user=relay");
  EXPECT_EQ(redact_dsn("password = 'it\\'s quoted' host=db"), "password = <redacted> host=db");
  EXPECT_EQ(redact_dsn("host=db password=a\\ b"), "host=db password=<redacted>");
  EXPECT_EQ(redact_dsn("  sslpassword=x\tdbname=app "), "  sslpassword=<redacted>\tdbname=app ");
}

TEST(RedactDsn, KeepsADsnWithoutPasswordAsWritten) {
  EXPECT_EQ(redact_dsn("host=db port=5432 dbname=app user=relay"),
            "host=db port=5432 dbname=app user=relay");
  EXPECT_EQ(redact_dsn(""), "");
  EXPECT_EQ(redact_dsn("postgresql://relay@db/app"), "postgresql://relay@db/app");
  EXPECT_EQ(redact_dsn("postgres:///app?host=/run/postgresql"),
            "postgres:///app?host=/run/postgresql");
}

TEST(RedactDsn, HidesAWholeKeywordValueDsnThatDoesNotParse) {
  EXPECT_EQ(redact_dsn("host=db password='unterminated"), "<redacted>");
  EXPECT_EQ(redact_dsn("host=db secret"), "<redacted>");
}

TEST(RedactDsn, ReplacesPasswordsInUriForm) {
  EXPECT_EQ(redact_dsn("postgresql://relay:secret@db:5432/app"),
            "postgresql://relay:<redacted>@db:5432/app");
  EXPECT_EQ(redact_dsn("postgres://relay:s%40cret@db1,db2/app?password=x&sslmode=require"),
            "postgres://relay:<redacted>@db1,db2/app?password=<redacted>&sslmode=require");
  // An unencoded '@' or '/' in the password must not leak its tail.
  EXPECT_EQ(redact_dsn("postgresql://relay:p@ss/w@db/app"), "postgresql://relay:<redacted>@db/app");
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
