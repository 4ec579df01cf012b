#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "tests/unit/config/temp_dir.h"

namespace outbox {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using testing::TempDir;

TEST(DescribeConfig, ShowsEveryKeyOfTheDefaults) {
  Config config;
  config.source.dsn = "host=db dbname=app user=relay";
  config.sink.kafka["bootstrap.servers"] = "kafka-1:9092";
  EXPECT_EQ(describe_config(config),
            "source:\n"
            "  dsn: host=db dbname=app user=relay\n"
            "  table: public.outbox_events\n"
            "  publication: outbox_pub\n"
            "  slot: outbox_relay\n"
            "  create_publication: true\n"
            "  create_slot: true\n"
            "  status_interval_ms: 1000\n"
            "  liveness_timeout_ms: 30000\n"
            "  on_slot_lost: stop\n"
            "  leader_lease_ms: 5000\n"
            "  columns:\n"
            "    id: id\n"
            "    aggregate_type: aggregate_type\n"
            "    aggregate_id: aggregate_id\n"
            "    event_type: event_type\n"
            "    payload: payload\n"
            "    created_at: created_at\n"
            "routing:\n"
            "  topic: \"{aggregate_type_lower}.events\"\n"
            "  topics: {}\n"
            "  key: aggregate_id\n"
            "  headers: [id, event_type, aggregate_type, created_at]\n"
            "sink:\n"
            "  type: kafka\n"
            "  kafka:\n"
            "    bootstrap.servers: kafka-1:9092\n"
            "  on_permanent_error: halt\n"
            "  dlq_topic: outbox.DLQ\n"
            "  max_in_flight_events: 100000\n"
            "  max_in_flight_bytes: 8388608\n"
            "metrics:\n"
            "  listen: 127.0.0.1:9464\n"
            "log:\n"
            "  level: info\n"
            "  format: text\n");
}

TEST(DescribeConfig, RedactsThePasswordOfAKeywordValueDsn) {
  Config config;
  config.source.dsn = "host=db password='s3cr et' user=relay sslpassword=k3y";
  const std::string text = describe_config(config);
  EXPECT_THAT(text,
              HasSubstr("dsn: host=db password=<redacted> user=relay sslpassword=<redacted>\n"));
  EXPECT_THAT(text, Not(HasSubstr("s3cr")));
  EXPECT_THAT(text, Not(HasSubstr("k3y")));
}

TEST(DescribeConfig, RedactsThePasswordOfAUriDsn) {
  Config config;
  config.source.dsn = "postgresql://relay:secret@db:5432/app?sslmode=require";
  const std::string text = describe_config(config);
  EXPECT_THAT(text, HasSubstr("dsn: postgresql://relay:<redacted>@db:5432/app?sslmode=require\n"));
  EXPECT_THAT(text, Not(HasSubstr("secret")));
}

TEST(DescribeConfig, RedactsSecretKafkaPropertiesAndKeepsTheRest) {
  Config config;
  config.source.dsn = "host=db";
  config.sink.kafka = {{"bootstrap.servers", "k:9092"},
                       {"sasl.username", "relay"},
                       {"sasl.password", "hunter2"},
                       {"ssl.key.password", "pem-pass"},
                       {"sasl.oauthbearer.config", "principal=relay secret=abc"},
                       {"sasl.oauthbearer.client.secret", "client-secret"},
                       {"ssl.key.pem", "-----BEGIN PRIVATE KEY-----"}};
  const std::string text = describe_config(config);
  EXPECT_THAT(text, HasSubstr("  kafka:\n"
                              "    bootstrap.servers: k:9092\n"
                              "    sasl.oauthbearer.client.secret: <redacted>\n"
                              "    sasl.oauthbearer.config: <redacted>\n"
                              "    sasl.password: <redacted>\n"
                              "    sasl.username: relay\n"
                              "    ssl.key.password: <redacted>\n"
                              "    ssl.key.pem: <redacted>\n"));
  for (const char* secret : {"hunter2", "pem-pass", "abc", "client-secret", "PRIVATE"}) {
    EXPECT_THAT(text, Not(HasSubstr(secret))) << secret << " leaked:\n" << text;
  }
}

TEST(DescribeConfig, ProducesAFileThatLoadsBackToTheSameConfiguration) {
  TempDir dir;
  const auto original =
      load_config({.file = std::nullopt,
                   .environment = {},
                   .overrides = {"source.dsn=host=db dbname=app", "source.table=sales.outbox",
                                 "source.create_slot=false", "source.status_interval_ms=250",
                                 "source.columns.created_at=", "routing.topic={aggregate_type}",
                                 "routing.topics.Order=orders.v1", "routing.topics.Cart: x=carts",
                                 "routing.headers=id,type", "sink.type=stdout",
                                 "sink.kafka.bootstrap.servers=k:9092", "sink.kafka.linger.ms=5",
                                 "sink.on_permanent_error=dlq", "sink.dlq_topic=dead",
                                 "sink.max_in_flight_events=7",
                                 "metrics.listen=", "log.level=trace", "log.format=json"}});
  ASSERT_TRUE(original.ok()) << original.error().message();
  const std::string text = describe_config(*original);
  const auto reloaded =
      load_config({.file = dir.write("described.yaml", text), .environment = {}, .overrides = {}});
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message() << "\n" << text;
  EXPECT_EQ(describe_config(*reloaded), text);
  EXPECT_EQ(reloaded->routing.topics.at("Cart: x"), "carts");
  EXPECT_EQ(reloaded->source.columns.created_at, "");
  EXPECT_EQ(reloaded->metrics.listen, "");
}

}  // namespace
}  // namespace outbox
