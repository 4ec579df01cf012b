#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "tests/support/text_file.h"
#include "tests/unit/config/temp_dir.h"

namespace outbox {
namespace {

using ::testing::HasSubstr;

using testing::kRequiredYaml;
using testing::read_text_file;
using testing::TempDir;

TEST(LoadConfig, FillsEveryKeyWithItsDefaultWhenOnlyTheRequiredKeysAreSet) {
  const auto config = load_config(
      {.file = std::nullopt,
       .environment = {},
       .overrides = {"source.dsn=host=db", "sink.kafka.bootstrap.servers=kafka-1:9092"}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.dsn, "host=db");
  EXPECT_EQ(config->source.table, "public.outbox_events");
  EXPECT_EQ(config->source.publication, "outbox_pub");
  EXPECT_EQ(config->source.slot, "outbox_relay");
  EXPECT_TRUE(config->source.create_publication);
  EXPECT_TRUE(config->source.create_slot);
  EXPECT_EQ(config->source.status_interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(config->source.liveness_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(config->source.on_slot_lost, SlotLostPolicy::kStop);
  EXPECT_EQ(config->source.columns.id, "id");
  EXPECT_EQ(config->source.columns.aggregate_type, "aggregate_type");
  EXPECT_EQ(config->source.columns.aggregate_id, "aggregate_id");
  EXPECT_EQ(config->source.columns.event_type, "event_type");
  EXPECT_EQ(config->source.columns.payload, "payload");
  EXPECT_EQ(config->source.columns.created_at, "created_at");
  EXPECT_EQ(config->routing.topic, "{aggregate_type_lower}.events");
  EXPECT_TRUE(config->routing.topics.empty());
  EXPECT_EQ(config->routing.key, "aggregate_id");
  EXPECT_EQ(config->routing.headers,
            (std::vector<std::string>{"id", "event_type", "aggregate_type", "created_at"}));
  EXPECT_EQ(config->sink.type, SinkType::kKafka);
  EXPECT_EQ(config->sink.kafka,
            (std::map<std::string, std::string>{{"bootstrap.servers", "kafka-1:9092"}}));
  EXPECT_EQ(config->sink.on_permanent_error, PermanentErrorPolicy::kHalt);
  EXPECT_EQ(config->sink.dlq_topic, "outbox.DLQ");
  EXPECT_EQ(config->sink.max_in_flight_events, 100000u);
  EXPECT_EQ(config->metrics.listen, "127.0.0.1:9464");
  EXPECT_EQ(config->log.level, LogLevel::kInfo);
  EXPECT_EQ(config->log.format, LogFormat::kText);
}

TEST(LoadConfig, ReadsEveryKeyOfAFullFile) {
  TempDir dir;
  const auto file = dir.write("relay.yaml", R"(
source:
  dsn: "host=pg port=6432 dbname=shop user=relay"
  table: sales.outbox
  publication: shop_pub
  slot: shop_slot_1
  create_publication: false
  create_slot: False
  status_interval_ms: 250
  columns:
    id: event_id
    aggregate_type: agg_type
    aggregate_id: agg_id
    event_type: kind
    payload: body
    created_at: ""
routing:
  topic: "shop.{aggregate_type}.{event_type}"
  topics: { Order: orders.v1, Payment: payments-v2 }
  key: agg_id
  headers: [event_id, kind]
sink:
  type: stdout
  kafka:
    bootstrap.servers: "k1:9092,k2:9092"
    linger.ms: 5
    enable.idempotence: true
    compression.type: zstd
  on_permanent_error: dlq
  dlq_topic: shop.dead-letters
  max_in_flight_events: 5000
metrics:
  listen: "[::1]:9100"
log:
  level: debug
  format: json
)");
  const auto config = load_config({.file = file, .environment = {}, .overrides = {}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.dsn, "host=pg port=6432 dbname=shop user=relay");
  EXPECT_EQ(config->source.table, "sales.outbox");
  EXPECT_EQ(config->source.publication, "shop_pub");
  EXPECT_EQ(config->source.slot, "shop_slot_1");
  EXPECT_FALSE(config->source.create_publication);
  EXPECT_FALSE(config->source.create_slot);
  EXPECT_EQ(config->source.status_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(config->source.columns.id, "event_id");
  EXPECT_EQ(config->source.columns.aggregate_type, "agg_type");
  EXPECT_EQ(config->source.columns.aggregate_id, "agg_id");
  EXPECT_EQ(config->source.columns.event_type, "kind");
  EXPECT_EQ(config->source.columns.payload, "body");
  EXPECT_EQ(config->source.columns.created_at, "");
  EXPECT_EQ(config->routing.topic, "shop.{aggregate_type}.{event_type}");
  EXPECT_EQ(config->routing.topics, (std::map<std::string, std::string>{
                                        {"Order", "orders.v1"}, {"Payment", "payments-v2"}}));
  EXPECT_EQ(config->routing.key, "agg_id");
  EXPECT_EQ(config->routing.headers, (std::vector<std::string>{"event_id", "kind"}));
  EXPECT_EQ(config->sink.type, SinkType::kStdout);
  // YAML numbers and booleans reach librdkafka as the text that was written.
  EXPECT_EQ(config->sink.kafka,
            (std::map<std::string, std::string>{{"bootstrap.servers", "k1:9092,k2:9092"},
                                                {"compression.type", "zstd"},
                                                {"enable.idempotence", "true"},
                                                {"linger.ms", "5"}}));
  EXPECT_EQ(config->sink.on_permanent_error, PermanentErrorPolicy::kDlq);
  EXPECT_EQ(config->sink.dlq_topic, "shop.dead-letters");
  EXPECT_EQ(config->sink.max_in_flight_events, 5000u);
  EXPECT_EQ(config->metrics.listen, "[::1]:9100");
  EXPECT_EQ(config->log.level, LogLevel::kDebug);
  EXPECT_EQ(config->log.format, LogFormat::kJson);
}

TEST(LoadConfig, ReadsADebeziumStyleOutboxTable) {
  TempDir dir;
  const auto file = dir.write("debezium.yaml", R"(
source:
  dsn: host=db
  table: outboxevent
  columns:
    aggregate_type: aggregatetype
    aggregate_id: aggregateid
    event_type: type
    created_at: ""
routing:
  key: aggregateid
  headers: [id, type]
sink:
  type: stdout
)");
  const auto config = load_config({.file = file, .environment = {}, .overrides = {}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.table, "public.outboxevent");
  EXPECT_EQ(config->source.columns.id, "id");
  EXPECT_EQ(config->source.columns.aggregate_type, "aggregatetype");
  EXPECT_EQ(config->source.columns.aggregate_id, "aggregateid");
  EXPECT_EQ(config->source.columns.event_type, "type");
  EXPECT_EQ(config->source.columns.payload, "payload");
  EXPECT_EQ(config->source.columns.created_at, "");
  EXPECT_EQ(config->routing.key, "aggregateid");
  EXPECT_EQ(config->routing.headers, (std::vector<std::string>{"id", "type"}));
}

TEST(LoadConfig, TakesQuotesInPlainScalarsCommentsAndBlockScalarsAsText) {
  TempDir dir;
  const auto file = dir.write("relay.yaml",
                              "# don't mind this quote\n"
                              "source:\n"
                              "  dsn: >\n"
                              "    host=db password='it''s'\n"
                              "    user=\"relay\"\n"
                              "  columns:\n"
                              "    id: it's  # plain, and so is this: \"\n"
                              "    aggregate_type: 'it''s'\n"
                              "    aggregate_id: \"a\\\"b\"\n"
                              "    event_type: 'say \"hi\"'\n"
                              "    payload: |\n"
                              "      say \"hi\n"
                              "sink:\n"
                              "  kafka:\n"
                              "    bootstrap.servers: \"k:9092\"   # it's closed\n");
  const auto config = load_config({.file = file, .environment = {}, .overrides = {}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.dsn, "host=db password='it''s' user=\"relay\"\n");
  EXPECT_EQ(config->source.columns.id, "it's");
  EXPECT_EQ(config->source.columns.aggregate_type, "it's");
  EXPECT_EQ(config->source.columns.aggregate_id, "a\"b");
  EXPECT_EQ(config->source.columns.event_type, "say \"hi\"");
  EXPECT_EQ(config->source.columns.payload, "say \"hi\n");
  EXPECT_EQ(config->sink.kafka.at("bootstrap.servers"), "k:9092");
}

TEST(LoadConfig, SkipsTheServiceLinksKubernetesInjectsForAServiceNamedOutboxRelay) {
  const auto config = load_config(
      {.file = std::nullopt,
       .environment =
           {"OUTBOX_RELAY_SERVICE_HOST=10.96.0.12", "OUTBOX_RELAY_SERVICE_PORT=9464",
            "OUTBOX_RELAY_SERVICE_PORT_METRICS=9464", "OUTBOX_RELAY_PORT=tcp://10.96.0.12:9464",
            "OUTBOX_RELAY_PORT_9464_TCP=tcp://10.96.0.12:9464",
            "OUTBOX_RELAY_PORT_9464_TCP_PROTO=tcp", "OUTBOX_RELAY_PORT_9464_TCP_PORT=9464",
            "OUTBOX_RELAY_PORT_9464_TCP_ADDR=10.96.0.12", "OUTBOX_RELAY_SOURCE_SLOT=from_env"},
       .overrides = {"source.dsn=host=db", "sink.type=stdout"}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.slot, "from_env");
  EXPECT_EQ(config->metrics.listen, "127.0.0.1:9464");
}

TEST(LoadConfig, PutsAnUnqualifiedTableInThePublicSchema) {
  const auto config =
      load_config({.file = std::nullopt,
                   .environment = {},
                   .overrides = {"source.dsn=host=db", "sink.type=stdout", "source.table=events"}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.table, "public.events");
}

TEST(LoadConfig, NeedsNoBootstrapServersForTheStdoutSink) {
  const auto config = load_config(
      {.file = std::nullopt, .environment = {}, .overrides = {"source.dsn=x", "sink.type=stdout"}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_TRUE(config->sink.kafka.empty());
}

TEST(LoadConfig, TreatsAnEmptyFileAndEmptySectionsAsDefaults) {
  TempDir dir;
  const auto empty = dir.write("empty.yaml", "");
  const auto sections = dir.write("sections.yaml", "source:\nrouting:\n  topics:\nsink:\nlog:\n");
  for (const auto& file : {empty, sections}) {
    const auto config =
        load_config({.file = file,
                     .environment = {},
                     .overrides = {"source.dsn=host=db", "sink.kafka.bootstrap.servers=k:9092"}});
    ASSERT_TRUE(config.ok()) << file << ": " << config.error().message();
    EXPECT_EQ(config->source.slot, "outbox_relay") << file;
    EXPECT_EQ(config->routing.headers.size(), 4u) << file;
  }
}

TEST(LoadConfig, ReadsAnEmptyHeaderListAsNoHeaders) {
  TempDir dir;
  const auto file =
      dir.write("relay.yaml", std::string(kRequiredYaml) + "routing:\n  headers: []\n");
  const auto from_file = load_config({.file = file, .environment = {}, .overrides = {}});
  ASSERT_TRUE(from_file.ok()) << from_file.error().message();
  EXPECT_TRUE(from_file->routing.headers.empty());

  const auto from_set =
      load_config({.file = file, .environment = {}, .overrides = {"routing.headers="}});
  ASSERT_TRUE(from_set.ok()) << from_set.error().message();
  EXPECT_TRUE(from_set->routing.headers.empty());
}

TEST(LoadConfig, AcceptsTheLoggersOwnSpellingWarning) {
  const auto config = load_config(
      {.file = std::nullopt,
       .environment = {},
       .overrides = {"source.dsn=x", "sink.type=stdout", "log.level=warning", "metrics.listen="}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->log.level, LogLevel::kWarn);
  EXPECT_EQ(config->metrics.listen, "");
}

TEST(LoadConfig, LoadsTheExampleFileWhichTheDocumentationShowsVerbatim) {
  const std::string example = OUTBOX_RELAY_SOURCE_DIR "/config/outbox-relay.example.yaml";
  const auto config = load_config({.file = example, .environment = {}, .overrides = {}});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source.dsn, "host=127.0.0.1 port=5432 dbname=app user=relay");
  EXPECT_EQ(config->sink.kafka.at("bootstrap.servers"), "127.0.0.1:9092");

  const std::string docs = read_text_file(OUTBOX_RELAY_SOURCE_DIR "/docs/configuration.md");
  EXPECT_THAT(docs, HasSubstr("```yaml\n" + read_text_file(example) + "```"))
      << "docs/configuration.md must embed config/outbox-relay.example.yaml unchanged";
}

}  // namespace
}  // namespace outbox
