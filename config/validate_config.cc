#include "config/validate_config.h"

#include <array>

#include "config/names.h"

namespace outbox::config_internal {
namespace {

constexpr std::array<std::string_view, 3> kPlaceholders = {"aggregate_type", "aggregate_type_lower",
                                                           "event_type"};

constexpr std::int64_t kMinLeaderLeaseMs = 1000;

const std::string kTopicRule =
    "letters, digits, '.', '_' and '-', 1 to 249 characters, not \".\" or \"..\"";

// Looks up where each value came from; a default has no origin.
class Origins {
 public:
  explicit Origins(const RawSettings& settings) : settings_(settings) {}

  Origin of(std::string_view path) const {
    const auto it = settings_.scalars.find(path);
    return it == settings_.scalars.end() ? Origin{} : it->second.origin;
  }
  Origin of_kafka(std::string_view property) const {
    const auto it = settings_.kafka.find(property);
    return it == settings_.kafka.end() ? Origin{} : it->second.origin;
  }
  Origin of_topic(std::string_view aggregate_type) const {
    const auto it = settings_.topics.find(aggregate_type);
    return it == settings_.topics.end() ? Origin{} : it->second.origin;
  }
  Origin of_headers() const { return settings_.headers ? settings_.headers->origin : Origin{}; }

 private:
  const RawSettings& settings_;
};

// What is wrong with a topic template; empty when nothing is.
std::string topic_template_problem(std::string_view topic) {
  if (topic.empty()) return "must not be empty (e.g. \"{aggregate_type_lower}.events\")";
  bool has_placeholder = false;
  std::size_t literal_length = 0;
  for (std::size_t i = 0; i < topic.size(); ++i) {
    const char c = topic[i];
    if (c == '{') {
      const auto close = topic.find('}', i + 1);
      if (close == std::string_view::npos) {
        return "\"{\" at character " + std::to_string(i + 1) + " is never closed";
      }
      const std::string_view name = topic.substr(i + 1, close - i - 1);
      bool known = false;
      for (auto placeholder : kPlaceholders) known = known || name == placeholder;
      if (!known) {
        return "unknown placeholder {" + std::string(name) +
               "} (known: {aggregate_type}, {aggregate_type_lower}, {event_type})";
      }
      has_placeholder = true;
      i = close;
    } else if (!is_kafka_topic_char(c)) {
      return quoted(std::string_view(&c, 1)) +
             " is not allowed in a Kafka topic name (letters, digits, '.', '_' and '-')";
    } else {
      ++literal_length;
    }
  }
  if (literal_length > kMaxKafkaTopicLength) {
    return "longer than a Kafka topic name may be (249 characters)";
  }
  if (!has_placeholder && !is_valid_kafka_topic(topic)) {
    return quoted(topic) + " is not a valid Kafka topic name (" + kTopicRule + ")";
  }
  return {};
}

// What is wrong with a host:port listen address; empty when nothing is.
std::string listen_problem(std::string_view listen) {
  const std::string expected =
      "expected host:port (e.g. 127.0.0.1:9464, [::1]:9464), or \"\" "
      "to turn the metrics listener off, got " +
      quoted(listen);
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) return expected;
  const std::string_view host = listen.substr(0, colon);
  const std::string_view port = listen.substr(colon + 1);
  if (host.empty()) return expected;
  // An IPv6 address has colons of its own and must be bracketed.
  if (host.find(':') != std::string_view::npos &&
      !(host.size() > 2 && host.front() == '[' && host.back() == ']')) {
    return expected;
  }
  int number = 0;
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) number = number * 10 + (c - '0');
  }
  if (!digits || number < 1 || number > 65535) {
    return "port must be a number from 1 to 65535, got " + quoted(port);
  }
  return {};
}

void check_source(Config& config, const Origins& origins, Problems& problems) {
  SourceConfig& source = config.source;
  if (source.dsn.empty()) {
    problems.add(origins.of("source.dsn"), "source.dsn",
                 "is required (a libpq connection string, e.g. \"host=127.0.0.1 dbname=app "
                 "user=relay\"; the password belongs in PGPASSWORD or a passfile)");
  }

  // name or schema.name; the schema defaults to public, as PostgreSQL's search_path would
  // usually resolve it, and the relay compares it with the schema pgoutput sends.
  const auto dot = source.table.find('.');
  const bool qualified = dot != std::string::npos;
  const std::string schema = qualified ? source.table.substr(0, dot) : "public";
  const std::string table = qualified ? source.table.substr(dot + 1) : source.table;
  if (is_valid_identifier(schema) && is_valid_identifier(table)) {
    source.table = schema + "." + table;
  } else {
    problems.add(origins.of("source.table"), "source.table",
                 "expected name or schema.name, each a letter or underscore followed by letters, "
                 "digits or underscores (at most 63 characters), got " +
                     quoted(source.table));
  }

  if (!is_valid_identifier(source.publication)) {
    problems.add(origins.of("source.publication"), "source.publication",
                 "expected a publication name: a letter or underscore followed by letters, digits "
                 "or underscores, at most 63 characters, got " +
                     quoted(source.publication));
  }

  if (!is_valid_slot_name(source.slot)) {
    problems.add(origins.of("source.slot"), "source.slot",
                 quoted(source.slot) +
                     " is not a valid replication slot name: PostgreSQL allows only lower-case "
                     "letters, digits and underscores, at most 63 characters");
  }

  const std::array<std::pair<std::string_view, const std::string*>, 5> required_columns{{
      {"source.columns.id", &source.columns.id},
      {"source.columns.aggregate_type", &source.columns.aggregate_type},
      {"source.columns.aggregate_id", &source.columns.aggregate_id},
      {"source.columns.event_type", &source.columns.event_type},
      {"source.columns.payload", &source.columns.payload},
  }};
  for (const auto& [path, column] : required_columns) {
    if (column->empty()) {
      problems.add(origins.of(path), path,
                   "must name a column of the outbox table (only created_at may be empty)");
    }
  }
}

// The liveness check must give the server more than one status interval to be heard from:
// shorter, and a healthy connection that is merely quiet between two status updates would be cut.
// The lease is renewed by a ping every third of it: much shorter, and a loop turn that takes a few
// hundred milliseconds (a large batch, a slow disk) would lose leadership.
void check_leader_lease(const Config& config, const Origins& origins,
                        const std::set<std::string, std::less<>>& unparsed, Problems& problems) {
  constexpr std::string_view kLease = "source.leader_lease_ms";
  if (unparsed.contains(kLease)) return;
  const auto lease = config.source.leader_lease.count();
  if (lease == 0 || lease >= kMinLeaderLeaseMs) return;
  problems.add(origins.of(kLease), kLease,
               "must be 0 (leadership off) or at least " + std::to_string(kMinLeaderLeaseMs) +
                   ", got " + std::to_string(lease) +
                   ": the leader renews its lease every third of it");
}

void check_liveness(const Config& config, const Origins& origins,
                    const std::set<std::string, std::less<>>& unparsed, Problems& problems) {
  constexpr std::string_view kLiveness = "source.liveness_timeout_ms";
  constexpr std::string_view kStatus = "source.status_interval_ms";
  if (unparsed.contains(kLiveness) || unparsed.contains(kStatus)) return;
  const auto liveness = config.source.liveness_timeout.count();
  const auto status = config.source.status_interval.count();
  if (liveness == 0 || liveness > status) return;
  const std::string why =
      ": a liveness check shorter than the status interval would cut healthy connections";
  // The line names the key that was set; when both were, the liveness timeout.
  const Origin liveness_origin = origins.of(kLiveness);
  if (liveness_origin.lead().empty()) {
    problems.add(origins.of(kStatus), kStatus,
                 "must be less than source.liveness_timeout_ms (" + std::to_string(liveness) +
                     " by default; 0 turns that check off), got " + std::to_string(status) + why);
  } else {
    problems.add(liveness_origin, kLiveness,
                 "must be 0 (off) or greater than source.status_interval_ms (" +
                     std::to_string(status) + "), got " + std::to_string(liveness) + why);
  }
}

void check_routing(const Config& config, const Origins& origins, Problems& problems) {
  const RoutingConfig& routing = config.routing;
  if (auto problem = topic_template_problem(routing.topic); !problem.empty()) {
    problems.add(origins.of("routing.topic"), "routing.topic", problem);
  }
  for (const auto& [aggregate_type, topic] : routing.topics) {
    const std::string path = "routing.topics." + aggregate_type;
    if (aggregate_type.empty()) {
      problems.add(origins.of_topic(aggregate_type), path, "the aggregate type must not be empty");
    }
    if (!is_valid_kafka_topic(topic)) {
      problems.add(origins.of_topic(aggregate_type), path,
                   quoted(topic) + " is not a valid Kafka topic name (" + kTopicRule + ")");
    }
  }
  if (routing.key.empty()) {
    problems.add(origins.of("routing.key"), "routing.key",
                 "must name the column whose text is the record key");
  }
  for (std::size_t i = 0; i < routing.headers.size(); ++i) {
    const std::string& header = routing.headers[i];
    if (header.empty()) {
      problems.add(origins.of_headers(), "routing.headers",
                   "item " + std::to_string(i + 1) + " is empty; each header names a column");
      continue;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (routing.headers[j] == header) {
        problems.add(origins.of_headers(), "routing.headers", quoted(header) + " is listed twice");
        break;
      }
    }
  }
}

void check_sink(const Config& config, const Origins& origins,
                const std::set<std::string, std::less<>>& unparsed, Problems& problems) {
  const SinkConfig& sink = config.sink;
  for (const auto& [property, value] : sink.kafka) {
    if (property.empty()) {
      problems.add(origins.of_kafka(property), "sink.kafka.",
                   "a librdkafka property name must not be empty");
    }
  }
  if (sink.type == SinkType::kKafka && !unparsed.contains("sink.type")) {
    const auto servers = sink.kafka.find("bootstrap.servers");
    if (servers == sink.kafka.end() || servers->second.empty()) {
      problems.add(origins.of_kafka("bootstrap.servers"), "sink.kafka.bootstrap.servers",
                   "is required when sink.type is kafka (e.g. 127.0.0.1:9092)");
    }
  }
  if (sink.on_permanent_error == PermanentErrorPolicy::kDlq &&
      !unparsed.contains("sink.on_permanent_error")) {
    if (sink.dlq_topic.empty()) {
      problems.add(origins.of("sink.dlq_topic"), "sink.dlq_topic",
                   "is required when sink.on_permanent_error is dlq");
    } else if (!is_valid_kafka_topic(sink.dlq_topic)) {
      problems.add(
          origins.of("sink.dlq_topic"), "sink.dlq_topic",
          quoted(sink.dlq_topic) + " is not a valid Kafka topic name (" + kTopicRule + ")");
    }
  }
}

}  // namespace

void validate_config(Config& config, const RawSettings& settings,
                     const std::set<std::string, std::less<>>& unparsed, Problems& problems) {
  const Origins origins(settings);
  check_source(config, origins, problems);
  check_liveness(config, origins, unparsed, problems);
  check_leader_lease(config, origins, unparsed, problems);
  check_routing(config, origins, problems);
  check_sink(config, origins, unparsed, problems);
  if (!config.metrics.listen.empty()) {
    if (auto problem = listen_problem(config.metrics.listen); !problem.empty()) {
      problems.add(origins.of("metrics.listen"), "metrics.listen", problem);
    }
  }
}

}  // namespace outbox::config_internal
