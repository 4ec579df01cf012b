// The relay's configuration: one value, built from defaults, then a YAML file, then the
// environment (OUTBOX_RELAY_<KEY_PATH>), then the command line (--set key.path=value), each
// overriding the one before. See docs/configuration.md for every key.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/result.h"

namespace outbox {

enum class SinkType { kKafka, kStdout };
enum class PermanentErrorPolicy { kHalt, kDlq, kSkip };
// What the relay does when the slot it streamed from is gone on reconnect.
enum class SlotLostPolicy { kStop, kRecreate };

struct SourceConfig {
  std::string dsn;  // libpq conninfo (key=value or URI); required
  std::string table = "public.outbox_events";
  std::string publication = "outbox_pub";
  std::string slot = "outbox_relay";
  bool create_publication = true;
  bool create_slot = true;
  std::chrono::milliseconds status_interval{1000};  // source.status_interval_ms
  // How long the replication connection may stay silent before it is taken for dead and
  // replaced (source.liveness_timeout_ms). Halfway through, the relay asks the server for a
  // reply. Zero turns the check off.
  std::chrono::milliseconds liveness_timeout{30000};
  // A slot that the relay streamed from and that is gone when it reconnects (dropped, or a
  // failover to a server without it): events committed meanwhile may be lost. kStop waits for an
  // operator; kRecreate creates it again and streams on from its new position
  // (source.on_slot_lost).
  SlotLostPolicy on_slot_lost = SlotLostPolicy::kStop;
  // Leadership among relays sharing the slot (source.leader_lease_ms; relay/leader_lease.h): a
  // relay streams only while it holds a PostgreSQL advisory lock keyed by the slot, on a session
  // the server ends after this long without a ping from it, so a hung leader loses the lock and
  // a standby takes over. Zero turns leadership off: every relay tries to stream, and the slot
  // lets one.
  std::chrono::milliseconds leader_lease{5000};
  // The outbox table's columns (source.columns.<role>): defaults fit the table `outbox-relay
  // migrate` creates (migrations/001_create_outbox_events.sql); a Debezium-style table sets
  // aggregate_type: aggregatetype, aggregate_id: aggregateid, event_type: type, created_at: ""
  // (none).
  struct Columns {
    std::string id = "id";
    std::string aggregate_type = "aggregate_type";
    std::string aggregate_id = "aggregate_id";
    std::string event_type = "event_type";
    std::string payload = "payload";
    std::string created_at = "created_at";
  } columns;
};

struct RoutingConfig {
  // Placeholders: {aggregate_type}, {aggregate_type_lower}, {event_type}.
  std::string topic = "{aggregate_type_lower}.events";
  std::map<std::string, std::string> topics;  // aggregate_type -> topic, before the template
  std::string key = "aggregate_id";           // the column whose text is the record key
  std::vector<std::string> headers = {"id", "event_type", "aggregate_type", "created_at"};
};

struct SinkConfig {
  SinkType type = SinkType::kKafka;
  // librdkafka properties, verbatim (sink.kafka.<property>).
  std::map<std::string, std::string> kafka;
  PermanentErrorPolicy on_permanent_error = PermanentErrorPolicy::kHalt;
  std::string dlq_topic = "outbox.DLQ";
  std::size_t max_in_flight_events = 100000;
  // Key, value and headers of the events in flight, summed.
  std::size_t max_in_flight_bytes = 8 * 1024 * 1024;
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9464";  // host:port; empty turns the listener off
};

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
};

struct Config {
  SourceConfig source;
  RoutingConfig routing;
  SinkConfig sink;
  MetricsConfig metrics;
  LogConfig log;
};

// Where the configuration comes from. Environment variables are passed in (not read from the
// process) so tests stay hermetic.
struct ConfigSources {
  std::optional<std::string> file;       // --config FILE
  std::vector<std::string> environment;  // "NAME=value" entries, e.g. from environ
  std::vector<std::string> overrides;    // --set entries, "key.path=value"
};

// Builds and validates the configuration. Every problem is reported at once, one per line, each
// naming where it came from and the key path (e.g. "relay.yaml:7: sink.max_in_flight_events:
// expected a positive integer, got \"lots\""); nothing is half-applied. Never throws.
Result<Config> load_config(const ConfigSources& sources);

// The configuration as YAML, every key, with secrets (passwords in the DSN, Kafka properties such
// as sasl.password or ssl.key.password; see config/redact.h) replaced by "<redacted>", for logs
// and `check`. The text loads back into the same configuration when nothing was redacted.
std::string describe_config(const Config& config);

}  // namespace outbox
