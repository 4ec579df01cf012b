// Every kind of problem, each reported with its origin and exact key path.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "tests/unit/config/temp_dir.h"

namespace outbox {
namespace {

using testing::kRequiredYaml;
using testing::load_error;
using testing::TempDir;

// --set entries that make everything else valid, for tests that put one bad value in the file.
const std::vector<std::string> kValidSets = {"source.dsn=host=db",
                                             "sink.kafka.bootstrap.servers=kafka-1:9092"};

class ConfigErrors : public ::testing::Test {
 protected:
  // Loads `yaml` as relay.yaml (with the required keys set on the command line).
  std::string file_error(std::string_view yaml) {
    file_ = dir_.write("relay.yaml", yaml);
    return load_error({.file = file_, .environment = {}, .overrides = kValidSets});
  }
  // "<file>:<line>: "
  std::string at(int line) const { return file_ + ":" + std::to_string(line) + ": "; }

  std::string set_error(std::vector<std::string> overrides) {
    overrides.insert(overrides.begin(), kValidSets.begin(), kValidSets.end());
    return load_error({.file = std::nullopt, .environment = {}, .overrides = overrides});
  }
  std::string env_error(std::vector<std::string> environment) {
    return load_error(
        {.file = std::nullopt, .environment = std::move(environment), .overrides = kValidSets});
  }

  TempDir dir_;
  // Known before the file is written, so expectations can be built in any order.
  std::string file_ = (dir_.path() / "relay.yaml").string();
};

TEST_F(ConfigErrors, NameAMissingFileAndWhyItCannotBeRead) {
  const std::string missing = (dir_.path() / "nope.yaml").string();
  EXPECT_EQ(load_error({.file = missing, .environment = {}, .overrides = {}}),
            missing + ": cannot read the configuration file: No such file or directory");
  const std::string directory = dir_.path().string();
  EXPECT_EQ(load_error({.file = directory, .environment = {}, .overrides = {}}),
            directory + ": cannot read the configuration file: Is a directory");
}

TEST_F(ConfigErrors, GiveTheLineAndColumnOfAYamlSyntaxError) {
  EXPECT_EQ(file_error("source:\n  slot: [a, b\nsink:\n  type: kafka\n"),
            file_ + ":3:5: not valid YAML: end of sequence flow not found");
}

// yaml-cpp alone takes a quote left open for a value running to the end of the file, and the
// problem reported would be a key missing from the lines it swallowed.
TEST_F(ConfigErrors, NameTheLineWhereAQuoteThatIsNeverClosedOpens) {
  const std::string never_closed =
      ": not valid YAML: this quoted value is never closed (the file "
      "ends inside it)";
  const struct {
    std::string yaml;
    std::string position;
  } cases[] = {
      {"source:\n  dsn: \"host=x\n  table: t\nsink:\n  type: stdout\n", "2:8"},
      {"source:\n  dsn: 'host=x\n  table: t\n", "2:8"},
      {"source:\n  dsn: \"host=x\n  table: t", "2:8"},  // no line break at the end
      {"source:\n  dsn: \"host=x\n# comment\n\n  \n", "2:8"},
      {"source:\n  dsn: \"ends with \\\"\n  table: t\n", "2:8"},  // \" does not close it
      {"source:\n  table: 'it''s\n  slot: s\n", "2:10"},          // nor does ''
      {"source:\n  dsn:\n    \"host=x\n  slot: s\n", "3:5"},
      {"source:\n  table: it's\n  # don't\n  slot: \"s\n  publication: p\n", "4:9"},
      {"source:\n  dsn: |\n    it's \"x\n  table: 'don''t\n", "4:10"},
      {"source:\n  \"dsn: x\n", "2:3"},
  };
  for (const auto& [yaml, position] : cases) {
    EXPECT_EQ(file_error(yaml), file_ + ":" + position + never_closed) << yaml;
  }
}

TEST_F(ConfigErrors, DoNotAddMissingKeysWhenTheFileCannotBeRead) {
  const std::string missing = (dir_.path() / "nope.yaml").string();
  // No "source.dsn: is required": the file might well have set it.
  EXPECT_EQ(load_error({.file = missing,
                        .environment = {"OUTBOX_RELAY_SOURCE_SLTO=x"},
                        .overrides = {"source.slot=UPPER"}}),
            missing + ": cannot read the configuration file: No such file or directory\n" +
                "environment OUTBOX_RELAY_SOURCE_SLTO: source.slto: unknown key (known: dsn, "
                "table, publication, slot, create_publication, create_slot, status_interval_ms, "
                "liveness_timeout_ms, on_slot_lost, leader_lease_ms, columns)");
}

TEST_F(ConfigErrors, NameAnUnknownKeyByItsFullPathAndListTheKnownOnes) {
  EXPECT_EQ(file_error("source:\n  slto: x\n"),
            at(2) +
                "source.slto: unknown key (known: dsn, table, publication, slot, "
                "create_publication, create_slot, status_interval_ms, liveness_timeout_ms, "
                "on_slot_lost, leader_lease_ms, columns)");
  EXPECT_EQ(file_error("source:\n  columns:\n    aggregatetype: x\n"),
            at(3) +
                "source.columns.aggregatetype: unknown key (known: id, aggregate_type, "
                "aggregate_id, event_type, payload, created_at)");
  EXPECT_EQ(file_error("sinks:\n  type: kafka\n"),
            at(1) + "sinks: unknown key (known: source, routing, sink, metrics, log)");
}

TEST_F(ConfigErrors, RejectAMapOrListWhereASingleValueBelongs) {
  EXPECT_EQ(file_error("source:\n  slot: {name: x}\n"),
            at(2) + "source.slot: expected a single value, got a map");
  EXPECT_EQ(file_error("log:\n  level: [info]\n"),
            at(2) + "log.level: expected a single value, got a list");
}

TEST_F(ConfigErrors, RejectASectionThatIsNotAMap) {
  EXPECT_EQ(file_error("metrics: 127.0.0.1:9464\n"),
            at(1) + "metrics: expected a map (keys: listen), got a single value");
  EXPECT_EQ(file_error("- source\n"),
            at(1) +
                "expected a map of sections (source, routing, sink, metrics, log) at the top "
                "level, got a list");
}

TEST_F(ConfigErrors, RejectNestedKafkaPropertiesAndBadTopicAndHeaderShapes) {
  EXPECT_EQ(file_error("sink:\n  kafka:\n    bootstrap:\n      servers: k:9092\n"),
            at(3) +
                "sink.kafka.bootstrap: expected a single value (librdkafka properties are "
                "written flat, e.g. \"bootstrap.servers: host:9092\"), got a map");
  EXPECT_EQ(file_error("routing:\n  topics: [orders]\n"),
            at(2) +
                "routing.topics: expected a map (each entry maps an aggregate type to a topic, "
                "e.g. \"Order: orders.v1\"), got a list");
  EXPECT_EQ(file_error("routing:\n  headers: id\n"),
            at(2) +
                "routing.headers: expected a list of column names, e.g. [id, event_type], got a "
                "single value");
  EXPECT_EQ(file_error("routing:\n  headers:\n    - id\n    - [a, b]\n"),
            at(4) + "routing.headers: item 2: expected a column name, got a list");
}

TEST_F(ConfigErrors, RejectADuplicateKeyPointingAtTheFirst) {
  EXPECT_EQ(file_error("source:\n  slot: a\n  slot: b\n"),
            at(3) + "source.slot: duplicate key (first on line 2)");
}

TEST_F(ConfigErrors, RequireTrueOrFalseForBooleans) {
  EXPECT_EQ(file_error("source:\n  create_slot: maybe\n"),
            at(2) + "source.create_slot: expected true or false, got \"maybe\"");
  // YAML 1.1's yes is not taken: it is too easy to write by accident.
  EXPECT_EQ(file_error("source:\n  create_publication: yes\n"),
            at(2) + "source.create_publication: expected true or false, got \"yes\"");
}

TEST_F(ConfigErrors, RequireAPositiveNumberOfMillisecondsForTheStatusInterval) {
  for (const std::string bad : {"-5", "abc", "0", "1.5", "", " 10"}) {
    EXPECT_EQ(set_error({"source.status_interval_ms=" + bad}),
              "--set source.status_interval_ms: expected a positive integer (milliseconds), got "
              "\"" +
                  bad + "\"");
  }
  EXPECT_EQ(set_error({"source.status_interval_ms=86400001"}),
            "--set source.status_interval_ms: expected at most 86400000 (one day), got "
            "\"86400001\"");
  EXPECT_EQ(set_error({"source.status_interval_ms=99999999999999999999999"}),
            "--set source.status_interval_ms: expected a positive integer (milliseconds), got "
            "\"99999999999999999999999\"");
}

TEST_F(ConfigErrors, ListTheChoicesOfAnEnumeration) {
  EXPECT_EQ(file_error("sink:\n  type: kafak\n"),
            at(2) + "sink.type: expected one of kafka, stdout, got \"kafak\"");
  EXPECT_EQ(set_error({"sink.on_permanent_error=retry"}),
            "--set sink.on_permanent_error: expected one of halt, dlq, skip, got \"retry\"");
  EXPECT_EQ(set_error({"log.level=verbose"}),
            "--set log.level: expected one of trace, debug, info, warn, error, got \"verbose\"");
  EXPECT_EQ(set_error({"log.format=xml"}),
            "--set log.format: expected one of text, json, got \"xml\"");
}

TEST_F(ConfigErrors, RequireTheDsn) {
  EXPECT_EQ(load_error({.file = std::nullopt,
                        .environment = {},
                        .overrides = {"sink.kafka.bootstrap.servers=k:9092"}}),
            "source.dsn: is required (a libpq connection string, e.g. \"host=127.0.0.1 "
            "dbname=app user=relay\"; the password belongs in PGPASSWORD or a passfile)");
  EXPECT_EQ(
      load_error({.file = std::nullopt,
                  .environment = {"OUTBOX_RELAY_SOURCE_DSN="},
                  .overrides = {"sink.kafka.bootstrap.servers=k:9092"}}),
      "environment OUTBOX_RELAY_SOURCE_DSN: source.dsn: is required (a libpq connection string, "
      "e.g. \"host=127.0.0.1 dbname=app user=relay\"; the password belongs in PGPASSWORD or a "
      "passfile)");
}

TEST_F(ConfigErrors, RequireBootstrapServersOnlyForTheKafkaSink) {
  EXPECT_EQ(load_error({.file = std::nullopt, .environment = {}, .overrides = {"source.dsn=x"}}),
            "sink.kafka.bootstrap.servers: is required when sink.type is kafka (e.g. "
            "127.0.0.1:9092)");
  // A misspelt sink type is one problem, not two.
  EXPECT_EQ(load_error({.file = std::nullopt,
                        .environment = {},
                        .overrides = {"source.dsn=x", "sink.type=kafak"}}),
            "--set sink.type: expected one of kafka, stdout, got \"kafak\"");
}

TEST_F(ConfigErrors, ExplainPostgresqlsRuleForSlotNames) {
  const std::string rule =
      " is not a valid replication slot name: PostgreSQL allows only lower-case letters, digits "
      "and underscores, at most 63 characters";
  EXPECT_EQ(file_error("source:\n  slot: Outbox-Relay\n"),
            at(2) + "source.slot: \"Outbox-Relay\"" + rule);
  const std::string long_name(64, 's');
  EXPECT_EQ(set_error({"source.slot=" + long_name}),
            "--set source.slot: \"" + long_name + "\"" + rule);
  EXPECT_EQ(set_error({"source.slot="}), "--set source.slot: \"\"" + rule);
  EXPECT_EQ(set_error({"source.slot=" + std::string(63, 's')}), "(loaded)");
}

TEST_F(ConfigErrors, RequireThePublicationToBeAnIdentifier) {
  const std::string rule =
      "source.publication: expected a publication name: a letter or underscore followed by "
      "letters, digits or underscores, at most 63 characters, got ";
  EXPECT_EQ(set_error({"source.publication="}), "--set " + rule + "\"\"");
  EXPECT_EQ(set_error({"source.publication=1pub"}), "--set " + rule + "\"1pub\"");
  EXPECT_EQ(set_error({"source.publication=outbox pub"}), "--set " + rule + "\"outbox pub\"");
}

TEST_F(ConfigErrors, RequireTheTableAsNameOrSchemaDotName) {
  const std::string rule =
      "source.table: expected name or schema.name, each a letter or underscore followed by "
      "letters, digits or underscores (at most 63 characters), got ";
  EXPECT_EQ(set_error({"source.table=a.b.c"}), "--set " + rule + "\"a.b.c\"");
  EXPECT_EQ(set_error({"source.table=.events"}), "--set " + rule + "\".events\"");
  EXPECT_EQ(set_error({"source.table=my table"}), "--set " + rule + "\"my table\"");
  EXPECT_EQ(set_error({"source.table="}), "--set " + rule + "\"\"");
}

TEST_F(ConfigErrors, RequireEveryColumnButCreatedAt) {
  EXPECT_EQ(set_error({"source.columns.payload=", "source.columns.created_at="}),
            "--set source.columns.payload: must name a column of the outbox table (only "
            "created_at may be empty)");
  EXPECT_EQ(set_error({"routing.key="}),
            "--set routing.key: must name the column whose text is the record key");
}

TEST_F(ConfigErrors, CheckTheTopicTemplate) {
  EXPECT_EQ(set_error({"routing.topic="}),
            "--set routing.topic: must not be empty (e.g. \"{aggregate_type_lower}.events\")");
  EXPECT_EQ(set_error({"routing.topic={aggregate}.events"}),
            "--set routing.topic: unknown placeholder {aggregate} (known: {aggregate_type}, "
            "{aggregate_type_lower}, {event_type})");
  EXPECT_EQ(set_error({"routing.topic=events.{event_type"}),
            "--set routing.topic: \"{\" at character 8 is never closed");
  EXPECT_EQ(set_error({"routing.topic=events/{event_type}"}),
            "--set routing.topic: \"/\" is not allowed in a Kafka topic name (letters, digits, "
            "'.', '_' and '-')");
  EXPECT_EQ(set_error({"routing.topic=.."}),
            "--set routing.topic: \"..\" is not a valid Kafka topic name (letters, digits, '.', "
            "'_' and '-', 1 to 249 characters, not \".\" or \"..\")");
  EXPECT_EQ(set_error({"routing.topic=all-events"}), "(loaded)");
}

TEST_F(ConfigErrors, CheckTopicNamesGivenPerAggregateType) {
  const std::string rule =
      " is not a valid Kafka topic name (letters, digits, '.', '_' and '-', 1 to 249 characters, "
      "not \".\" or \"..\")";
  EXPECT_EQ(file_error("routing:\n  topics:\n    Order: order events\n    Cart: \".\"\n"),
            at(4) + "routing.topics.Cart: \".\"" + rule + "\n" + at(3) +
                "routing.topics.Order: \"order events\"" + rule);
  const std::string too_long(250, 't');
  EXPECT_EQ(env_error({"OUTBOX_RELAY_ROUTING_TOPICS_Order=" + too_long}),
            "environment OUTBOX_RELAY_ROUTING_TOPICS_Order: routing.topics.Order: \"" + too_long +
                "\"" + rule);
  EXPECT_EQ(set_error({"routing.topics.Order=" + std::string(249, 't')}), "(loaded)");
}

TEST_F(ConfigErrors, RejectEmptyAndDuplicateHeaders) {
  EXPECT_EQ(set_error({"routing.headers=id,,event_type"}),
            "--set routing.headers: item 2 is empty; each header names a column");
  EXPECT_EQ(file_error("routing:\n  headers: [id, event_type, id]\n"),
            at(2) + "routing.headers: \"id\" is listed twice");
}

TEST_F(ConfigErrors, BoundTheEventsInFlight) {
  EXPECT_EQ(set_error({"sink.max_in_flight_events=0"}),
            "--set sink.max_in_flight_events: expected a positive integer, got \"0\"");
  EXPECT_EQ(set_error({"sink.max_in_flight_events=lots"}),
            "--set sink.max_in_flight_events: expected a positive integer, got \"lots\"");
  EXPECT_EQ(set_error({"sink.max_in_flight_events=10000001"}),
            "--set sink.max_in_flight_events: expected at most 10000000, got \"10000001\"");
  EXPECT_EQ(set_error({"sink.max_in_flight_events=10000000"}), "(loaded)");
  EXPECT_EQ(set_error({"sink.max_in_flight_events=1"}), "(loaded)");
}

TEST_F(ConfigErrors, RequireADeadLetterTopicForTheDlqPolicy) {
  EXPECT_EQ(set_error({"sink.on_permanent_error=dlq", "sink.dlq_topic="}),
            "--set sink.dlq_topic: is required when sink.on_permanent_error is dlq");
  EXPECT_EQ(set_error({"sink.on_permanent_error=dlq", "sink.dlq_topic=dead letters"}),
            "--set sink.dlq_topic: \"dead letters\" is not a valid Kafka topic name (letters, "
            "digits, '.', '_' and '-', 1 to 249 characters, not \".\" or \"..\")");
  // Without the dlq policy the topic is never used.
  EXPECT_EQ(set_error({"sink.on_permanent_error=skip", "sink.dlq_topic="}), "(loaded)");
}

TEST_F(ConfigErrors, RequireHostAndPortForTheMetricsListener) {
  const auto expected = [](const std::string& value) {
    return "--set metrics.listen: expected host:port (e.g. 127.0.0.1:9464, [::1]:9464), or \"\" "
           "to turn the metrics listener off, got \"" +
           value + "\"";
  };
  EXPECT_EQ(set_error({"metrics.listen=9464"}), expected("9464"));
  EXPECT_EQ(set_error({"metrics.listen=:9464"}), expected(":9464"));
  EXPECT_EQ(set_error({"metrics.listen=::1:9464"}), expected("::1:9464"));
  EXPECT_EQ(set_error({"metrics.listen=localhost:0"}),
            "--set metrics.listen: port must be a number from 1 to 65535, got \"0\"");
  EXPECT_EQ(set_error({"metrics.listen=localhost:65536"}),
            "--set metrics.listen: port must be a number from 1 to 65535, got \"65536\"");
  EXPECT_EQ(set_error({"metrics.listen=localhost:http"}),
            "--set metrics.listen: port must be a number from 1 to 65535, got \"http\"");
  EXPECT_EQ(set_error({"metrics.listen=localhost:65535"}), "(loaded)");
}

TEST_F(ConfigErrors, NameAnUnknownEnvironmentVariable) {
  EXPECT_EQ(env_error({"OUTBOX_RELAY_SOURCE_SLTO=x"}),
            "environment OUTBOX_RELAY_SOURCE_SLTO: source.slto: unknown key (known: dsn, table, "
            "publication, slot, create_publication, create_slot, status_interval_ms, "
            "liveness_timeout_ms, on_slot_lost, leader_lease_ms, columns)");
  EXPECT_EQ(env_error({"OUTBOX_RELAY_SOURCE_COLUMNS_AGGREGATETYPE=x"}),
            "environment OUTBOX_RELAY_SOURCE_COLUMNS_AGGREGATETYPE: "
            "source.columns.aggregatetype: unknown key (known: id, aggregate_type, aggregate_id, "
            "event_type, payload, created_at)");
  EXPECT_EQ(env_error({"OUTBOX_RELAY_DSN=x"}),
            "environment OUTBOX_RELAY_DSN: dsn: unknown key (known: source, routing, sink, "
            "metrics, log)");
  EXPECT_EQ(env_error({"OUTBOX_RELAY_SOURCE=x"}),
            "environment OUTBOX_RELAY_SOURCE: source: is a section, not a key (known: dsn, table, "
            "publication, slot, create_publication, create_slot, status_interval_ms, "
            "liveness_timeout_ms, on_slot_lost, leader_lease_ms, columns)");
  EXPECT_EQ(env_error({"OUTBOX_RELAY_SINK_KAFKA=x"}),
            "environment OUTBOX_RELAY_SINK_KAFKA: sink.kafka: set one property per variable, e.g. "
            "OUTBOX_RELAY_SINK_KAFKA_BOOTSTRAP_SERVERS for bootstrap.servers");
}

// Kubernetes service links for a Service named outbox-relay are skipped, nothing near them is.
TEST_F(ConfigErrors, NameAnUnknownVariableThatOnlyResemblesAServiceLink) {
  EXPECT_EQ(env_error({"OUTBOX_RELAY_SERVICE_HOST=10.0.0.7", "OUTBOX_RELAY_SERVICE_HOSTS=x",
                       "OUTBOX_RELAY_PORT_9464_TCP_ADDR=10.0.0.7",
                       "OUTBOX_RELAY_PORT_9464_TCP_IP=x", "OUTBOX_RELAY_METRICS_PORT=9464"}),
            "environment OUTBOX_RELAY_SERVICE_HOSTS: service_hosts: unknown key (known: source, "
            "routing, sink, metrics, log)\n"
            "environment OUTBOX_RELAY_PORT_9464_TCP_IP: port_9464_tcp_ip: unknown key (known: "
            "source, routing, sink, metrics, log)\n"
            "environment OUTBOX_RELAY_METRICS_PORT: metrics.port: unknown key (known: listen)");
}

TEST_F(ConfigErrors, TakeZeroOrABoundedPositiveLivenessTimeoutAndANamedSlotLostPolicy) {
  EXPECT_EQ(set_error({"source.liveness_timeout_ms=0"}), "(loaded)");
  EXPECT_EQ(set_error({"source.liveness_timeout_ms=-1"}),
            "--set source.liveness_timeout_ms: expected 0 (off) or a positive integer "
            "(milliseconds), got \"-1\"");
  EXPECT_EQ(set_error({"source.on_slot_lost=recreate"}), "(loaded)");
  EXPECT_EQ(set_error({"source.on_slot_lost=ignore"}),
            "--set source.on_slot_lost: expected one of stop, recreate, got \"ignore\"");
}

TEST_F(ConfigErrors, TakeZeroOrALeaderLeaseOfAtLeastASecond) {
  EXPECT_EQ(set_error({"source.leader_lease_ms=0"}), "(loaded)");
  EXPECT_EQ(set_error({"source.leader_lease_ms=1000"}), "(loaded)");
  EXPECT_EQ(set_error({"source.leader_lease_ms=999"}),
            "--set source.leader_lease_ms: must be 0 (leadership off) or at least 1000, got 999: "
            "the leader renews its lease every third of it");
  EXPECT_EQ(set_error({"source.leader_lease_ms=-5"}),
            "--set source.leader_lease_ms: expected 0 (off) or a positive integer "
            "(milliseconds), got \"-5\"");
}

TEST_F(ConfigErrors, RequireALivenessTimeoutLongerThanTheStatusInterval) {
  const std::string why =
      ": a liveness check shorter than the status interval would cut healthy connections";
  EXPECT_EQ(set_error({"source.liveness_timeout_ms=1000"}),
            "--set source.liveness_timeout_ms: must be 0 (off) or greater than "
            "source.status_interval_ms (1000), got 1000" +
                why);
  EXPECT_EQ(set_error({"source.status_interval_ms=5000", "source.liveness_timeout_ms=4999"}),
            "--set source.liveness_timeout_ms: must be 0 (off) or greater than "
            "source.status_interval_ms (5000), got 4999" +
                why);
  EXPECT_EQ(file_error("source:\n  status_interval_ms: 60000\n"),
            at(2) +
                "source.status_interval_ms: must be less than source.liveness_timeout_ms (30000 "
                "by default; 0 turns that check off), got 60000" +
                why);
  EXPECT_EQ(set_error({"source.liveness_timeout_ms=1001"}), "(loaded)");
  EXPECT_EQ(set_error({"source.status_interval_ms=60000", "source.liveness_timeout_ms=0"}),
            "(loaded)");
  // A value that does not parse is reported once, for what it is.
  EXPECT_EQ(set_error({"source.status_interval_ms=x", "source.liveness_timeout_ms=5"}),
            "--set source.status_interval_ms: expected a positive integer (milliseconds), got "
            "\"x\"");
}

TEST_F(ConfigErrors, NameTheVariableOfABadEnvironmentValue) {
  EXPECT_EQ(env_error({"OUTBOX_RELAY_SOURCE_STATUS_INTERVAL_MS=abc"}),
            "environment OUTBOX_RELAY_SOURCE_STATUS_INTERVAL_MS: source.status_interval_ms: "
            "expected a positive integer (milliseconds), got \"abc\"");
}

TEST_F(ConfigErrors, RejectUnknownAndMalformedSetEntries) {
  EXPECT_EQ(set_error({"source.slto=x"}),
            "--set source.slto: unknown key (known: dsn, table, publication, slot, "
            "create_publication, create_slot, status_interval_ms, liveness_timeout_ms, "
            "on_slot_lost, leader_lease_ms, columns)");
  EXPECT_EQ(set_error({"source.slot"}), "--set source.slot: expected key.path=value");
  EXPECT_EQ(set_error({"sink.kafka=x"}),
            "--set sink.kafka: set one property at a time, e.g. "
            "sink.kafka.bootstrap.servers=host:9092");
  EXPECT_EQ(set_error({"routing.topics=x"}),
            "--set routing.topics: set one aggregate type at a time, e.g. "
            "routing.topics.Order=orders.v1");
}

TEST_F(ConfigErrors, GiveTheLineOfTheFileValueThatFailsValidation) {
  EXPECT_EQ(file_error("# comment\nsource:\n  table: public.outbox\n  slot: Bad\n"),
            at(4) +
                "source.slot: \"Bad\" is not a valid replication slot name: PostgreSQL allows "
                "only lower-case letters, digits and underscores, at most 63 characters");
}

TEST_F(ConfigErrors, HoldNothingAgainstAFileValueThatALaterLayerOverrides) {
  file_ = dir_.write("relay.yaml", std::string(kRequiredYaml) + "log:\n  level: loud\n");
  EXPECT_EQ(load_error({.file = file_, .environment = {}, .overrides = {"log.level=debug"}}),
            "(loaded)");
}

TEST_F(ConfigErrors, ReportEveryProblemAtOnceFileThenEnvironmentThenSet) {
  file_ = dir_.write("relay.yaml",
                     "source:\n"
                     "  slto: x\n"
                     "  create_slot: maybe\n"
                     "sink:\n"
                     "  type: kafak\n"
                     "  max_in_flight_events: 0\n");
  EXPECT_EQ(load_error({.file = file_,
                        .environment = {"OUTBOX_RELAY_BOGUS=1",
                                        "OUTBOX_RELAY_SOURCE_STATUS_INTERVAL_MS=-5"},
                        .overrides = {"routing.topic={nope}", "metrics.listen=localhost"}}),
            at(2) +
                "source.slto: unknown key (known: dsn, table, publication, slot, "
                "create_publication, create_slot, status_interval_ms, liveness_timeout_ms, "
                "on_slot_lost, leader_lease_ms, columns)\n"
                "environment OUTBOX_RELAY_BOGUS: bogus: unknown key (known: source, routing, "
                "sink, metrics, log)\n" +
                at(3) + "source.create_slot: expected true or false, got \"maybe\"\n" +
                "environment OUTBOX_RELAY_SOURCE_STATUS_INTERVAL_MS: source.status_interval_ms: "
                "expected a positive integer (milliseconds), got \"-5\"\n" +
                at(5) + "sink.type: expected one of kafka, stdout, got \"kafak\"\n" + at(6) +
                "sink.max_in_flight_events: expected a positive integer, got \"0\"\n"
                "source.dsn: is required (a libpq connection string, e.g. \"host=127.0.0.1 "
                "dbname=app user=relay\"; the password belongs in PGPASSWORD or a passfile)\n"
                "--set routing.topic: unknown placeholder {nope} (known: {aggregate_type}, "
                "{aggregate_type_lower}, {event_type})\n"
                "--set metrics.listen: expected host:port (e.g. 127.0.0.1:9464, [::1]:9464), or "
                "\"\" to turn the metrics listener off, got \"localhost\"");
}

}  // namespace
}  // namespace outbox
