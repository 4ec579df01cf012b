// Each layer overrides the one before: defaults, file, environment, --set.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "tests/unit/config/temp_dir.h"

namespace outbox {
namespace {

using testing::TempDir;

class Precedence : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string file_ = dir_.write("relay.yaml", R"(
source:
  dsn: host=from-file
  slot: file_slot
  status_interval_ms: 2000
routing:
  topics: { Order: file.orders, Payment: file.payments }
  headers: [id]
sink:
  kafka:
    bootstrap.servers: file:9092
    linger.ms: 10
    client.id: from-file
)");
};

TEST_F(Precedence, TakesScalarsFromTheFileOverDefaults) {
  const auto config = load_config({.file = file_, .environment = {}, .overrides = {}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.slot, "file_slot");
  EXPECT_EQ(config->source.status_interval, std::chrono::milliseconds(2000));
  EXPECT_EQ(config->source.publication, "outbox_pub");  // not in the file: the default
}

TEST_F(Precedence, TakesScalarsFromTheEnvironmentOverTheFile) {
  const auto config = load_config({.file = file_,
                                   .environment = {"OUTBOX_RELAY_SOURCE_SLOT=env_slot",
                                                   "OUTBOX_RELAY_SOURCE_STATUS_INTERVAL_MS=300"},
                                   .overrides = {}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.slot, "env_slot");
  EXPECT_EQ(config->source.status_interval, std::chrono::milliseconds(300));
  EXPECT_EQ(config->source.dsn, "host=from-file");
}

TEST_F(Precedence, TakesScalarsFromSetOverTheEnvironment) {
  const auto config = load_config({.file = file_,
                                   .environment = {"OUTBOX_RELAY_SOURCE_SLOT=env_slot"},
                                   .overrides = {"source.slot=set_slot"}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.slot, "set_slot");
}

TEST_F(Precedence, MergesKafkaPropertiesOneByOneAcrossLayers) {
  const auto config =
      load_config({.file = file_,
                   .environment = {"OUTBOX_RELAY_SINK_KAFKA_BOOTSTRAP_SERVERS=env:9092",
                                   "OUTBOX_RELAY_SINK_KAFKA_LINGER_MS=20",
                                   "OUTBOX_RELAY_SINK_KAFKA_SASL_MECHANISM=PLAIN"},
                   .overrides = {"sink.kafka.linger.ms=30", "sink.kafka.acks=1"}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->sink.kafka,
            (std::map<std::string, std::string>{{"acks", "1"},
                                                {"bootstrap.servers", "env:9092"},
                                                {"client.id", "from-file"},
                                                {"linger.ms", "30"},
                                                {"sasl.mechanism", "PLAIN"}}));
}

TEST_F(Precedence, MergesTopicsByAggregateTypeKeepingItsCase) {
  const auto config = load_config({.file = file_,
                                   .environment = {"OUTBOX_RELAY_ROUTING_TOPICS_Order=env.orders",
                                                   "OUTBOX_RELAY_ROUTING_TOPICS_Invoice=env.inv"},
                                   .overrides = {"routing.topics.Invoice=set.invoices",
                                                 "routing.topics.com.acme.Cart=set.carts"}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->routing.topics,
            (std::map<std::string, std::string>{{"Invoice", "set.invoices"},
                                                {"Order", "env.orders"},
                                                {"Payment", "file.payments"},
                                                {"com.acme.Cart", "set.carts"}}));
}

TEST_F(Precedence, ReplacesTheHeaderListAsAWholeInEachLayer) {
  const auto from_file = load_config({.file = file_, .environment = {}, .overrides = {}});
  ASSERT_TRUE(from_file.ok()) << from_file.error().message();
  EXPECT_EQ(from_file->routing.headers, (std::vector<std::string>{"id"}));

  const auto from_env =
      load_config({.file = file_,
                   .environment = {"OUTBOX_RELAY_ROUTING_HEADERS=id, event_type,tenant_id"},
                   .overrides = {}});
  ASSERT_TRUE(from_env.ok()) << from_env.error().message();
  EXPECT_EQ(from_env->routing.headers, (std::vector<std::string>{"id", "event_type", "tenant_id"}));

  const auto from_set = load_config({.file = file_,
                                     .environment = {"OUTBOX_RELAY_ROUTING_HEADERS=id,event_type"},
                                     .overrides = {"routing.headers=aggregate_type,id"}});
  ASSERT_TRUE(from_set.ok()) << from_set.error().message();
  EXPECT_EQ(from_set->routing.headers, (std::vector<std::string>{"aggregate_type", "id"}));
}

TEST_F(Precedence, LetsTheLastOfRepeatedSetsWin) {
  const auto config = load_config(
      {.file = file_, .environment = {}, .overrides = {"source.slot=first", "source.slot=last"}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.slot, "last");
}

TEST(EnvironmentNames, MapEveryKindOfKeyToItsPath) {
  const auto config = load_config(
      {.file = std::nullopt,
       .environment =
           {"OUTBOX_RELAY_SOURCE_DSN=host=db user=relay", "OUTBOX_RELAY_SOURCE_CREATE_SLOT=false",
            "OUTBOX_RELAY_SOURCE_COLUMNS_AGGREGATE_TYPE=aggregatetype",
            "OUTBOX_RELAY_SOURCE_COLUMNS_CREATED_AT=", "OUTBOX_RELAY_ROUTING_TOPIC={event_type}",
            "OUTBOX_RELAY_SINK_TYPE=stdout", "OUTBOX_RELAY_SINK_ON_PERMANENT_ERROR=skip",
            "OUTBOX_RELAY_SINK_MAX_IN_FLIGHT_EVENTS=42", "OUTBOX_RELAY_METRICS_LISTEN=0.0.0.0:9000",
            "OUTBOX_RELAY_LOG_LEVEL=error", "OUTBOX_RELAY_LOG_FORMAT=json"},
       .overrides = {}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.dsn, "host=db user=relay");  // split at the first '='
  EXPECT_FALSE(config->source.create_slot);
  EXPECT_EQ(config->source.columns.aggregate_type, "aggregatetype");
  EXPECT_EQ(config->source.columns.created_at, "");
  EXPECT_EQ(config->routing.topic, "{event_type}");
  EXPECT_EQ(config->sink.type, SinkType::kStdout);
  EXPECT_EQ(config->sink.on_permanent_error, PermanentErrorPolicy::kSkip);
  EXPECT_EQ(config->sink.max_in_flight_events, 42u);
  EXPECT_EQ(config->metrics.listen, "0.0.0.0:9000");
  EXPECT_EQ(config->log.level, LogLevel::kError);
  EXPECT_EQ(config->log.format, LogFormat::kJson);
}

TEST(EnvironmentNames, IgnoreOtherVariablesAndTheTestHarnessOwn) {
  const auto config = load_config(
      {.file = std::nullopt,
       .environment = {"PATH=/usr/bin", "OUTBOX_RELAYX=1", "OUTBOX_RELAY_TEST_ENV=/tmp/env.sh",
                       "outbox_relay_source_slot=lower_case", "OUTBOX_RELAY_SOURCE_DSN=host=db",
                       "OUTBOX_RELAY_SINK_TYPE=stdout"},
       .overrides = {}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.slot, "outbox_relay");
}

TEST(SetOverrides, SplitAtTheFirstEqualsSign) {
  const auto config =
      load_config({.file = std::nullopt,
                   .environment = {},
                   .overrides = {"source.dsn=host=db password=a=b", "sink.type=stdout",
                                 "sink.kafka.sasl.jaas.config=x=y"}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.dsn, "host=db password=a=b");
  EXPECT_EQ(config->sink.kafka.at("sasl.jaas.config"), "x=y");
}

}  // namespace
}  // namespace outbox
