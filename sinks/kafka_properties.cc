#include "sinks/kafka_properties.h"

#include <librdkafka/rdkafka.h>

#include <array>
#include <charconv>

namespace outbox::kafka {
namespace {

constexpr std::array kDefaults{
    ProducerDefault{"enable.idempotence", "", "true",
                    "a retried produce request can write a record twice or out of order, so "
                    "consumers may see duplicates that did not come from a relay restart and "
                    "events of one aggregate in the wrong order"},
    ProducerDefault{"acks", "request.required.acks", "all",
                    "a record counts as delivered before every in-sync replica has it, so losing "
                    "a broker can lose events whose WAL position the relay already confirmed to "
                    "PostgreSQL"},
    ProducerDefault{"message.timeout.ms", "delivery.timeout.ms", "0",
                    "during a Kafka outage longer than this, events fail instead of waiting, and "
                    "each failure follows sink.on_permanent_error (halt, dlq or skip)"},
    // Back-pressure comes from the relay's max_in_flight_events; this only keeps librdkafka's
    // own limit out of the way (QUEUE_FULL is still handled).
    ProducerDefault{"queue.buffering.max.messages", "", "1000000", ""},
    // With Nagle's algorithm on (librdkafka's default), a produce request sent while an earlier
    // one is unacknowledged waits for the broker's TCP acknowledgement: with one request per
    // partition, every partition after the first can wait a delayed ACK. Kafka's own clients
    // always set TCP_NODELAY.
    ProducerDefault{"socket.nagle.disable", "", "true", ""},
};

std::string get(rd_kafka_conf_t* conf, const char* name) {
  char value[512];
  std::size_t size = sizeof value;
  if (rd_kafka_conf_get(conf, name, value, &size) != RD_KAFKA_CONF_OK) return {};
  return value;
}

// librdkafka's canonical text for `value` of property `name` ("all" reads back as "-1", "T" as
// "true"), so an override that means the same as the default is not reported as one.
std::string normalized(std::string_view name, std::string_view value) {
  ConfPtr scratch(rd_kafka_conf_new());
  char error[512];
  const std::string name_text(name);
  if (rd_kafka_conf_set(scratch.get(), name_text.c_str(), std::string(value).c_str(), error,
                        sizeof error) != RD_KAFKA_CONF_OK) {
    return std::string(value);
  }
  return get(scratch.get(), name_text.c_str());
}

bool is_true(std::string_view value) {
  return value == "true" || value == "True" || value == "TRUE" || value == "t" || value == "T" ||
         value == "1";
}

}  // namespace

void ConfDeleter::operator()(rd_kafka_conf_s* conf) const { rd_kafka_conf_destroy(conf); }

std::span<const ProducerDefault> producer_defaults() { return kDefaults; }

Result<ProducerConf> make_producer_conf(const std::map<std::string, std::string>& properties,
                                        const std::string& transactional_id) {
  if (auto it = properties.find("transactional.id"); it != properties.end()) {
    return Error(ErrorCode::kInvalidConfig,
                 "Kafka property \"transactional.id\" is the relay's to set: use "
                 "sink.delivery: exactly_once (and sink.transactional_id to choose it); remove it");
  }
  if (auto it = properties.find("delivery.report.only.error");
      it != properties.end() && is_true(it->second)) {
    return Error(ErrorCode::kInvalidConfig,
                 "Kafka property \"delivery.report.only.error\" cannot be true: the relay confirms "
                 "WAL positions to PostgreSQL from successful delivery reports; remove it");
  }

  ProducerConf result;
  result.conf.reset(rd_kafka_conf_new());
  char error[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(result.conf.get(), name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      // The value is left out: it may be a secret (sasl.password, ssl.key.password).
      return Error(ErrorCode::kInvalidConfig,
                   "invalid Kafka property \"" + name + "\": " + std::string(error));
    }
  }

  if (!transactional_id.empty() &&
      rd_kafka_conf_set(result.conf.get(), "transactional.id", transactional_id.c_str(), error,
                        sizeof error) != RD_KAFKA_CONF_OK) {
    return Error(ErrorCode::kInvalidConfig,
                 "invalid transactional.id \"" + transactional_id + "\": " + std::string(error));
  }
  for (const ProducerDefault& forced : kDefaults) {
    // A transactional producer's records wait at most transaction.timeout.ms (librdkafka derives
    // message.timeout.ms from it): a record that cannot be delivered in time aborts the
    // transaction, which is sent again.
    if (!transactional_id.empty() && forced.name == "message.timeout.ms") continue;
    auto set_by_operator = properties.find(std::string(forced.name));
    if (set_by_operator == properties.end() && !forced.alias.empty()) {
      set_by_operator = properties.find(std::string(forced.alias));
    }
    const std::string name(forced.name);
    if (set_by_operator == properties.end()) {
      if (rd_kafka_conf_set(result.conf.get(), name.c_str(), std::string(forced.value).c_str(),
                            error, sizeof error) != RD_KAFKA_CONF_OK) {
        return Error(ErrorCode::kInvalidConfig, "librdkafka refused the relay's default " + name +
                                                    "=" + std::string(forced.value) + ": " + error);
      }
      continue;
    }
    if (forced.consequence.empty()) continue;
    if (get(result.conf.get(), name.c_str()) != normalized(forced.name, forced.value)) {
      result.warnings.push_back(set_by_operator->first + "=" + set_by_operator->second +
                                " overrides the relay's default " + name + "=" +
                                std::string(forced.value) + ": " + std::string(forced.consequence));
    }
  }

  // librdkafka refuses acks other than all with idempotence; when the idempotence is ours, not
  // the operator's, say which property to set instead of quoting librdkafka's rule.
  const bool idempotence_set = properties.contains("enable.idempotence");
  const auto acks = properties.contains("acks") ? properties.find("acks")
                                                : properties.find("request.required.acks");
  if (!idempotence_set && acks != properties.end() &&
      get(result.conf.get(), "request.required.acks") != normalized("acks", "all")) {
    return Error(ErrorCode::kInvalidConfig,
                 "Kafka property " + acks->first + "=" + acks->second +
                     " needs enable.idempotence=false as well: the relay enables idempotence "
                     "unless told otherwise, and an idempotent producer only works with acks=all");
  }

  result.bootstrap_servers = get(result.conf.get(), "metadata.broker.list");
  if (result.bootstrap_servers.empty() && !properties.contains("test.mock.num.brokers")) {
    return Error(ErrorCode::kInvalidConfig,
                 "Kafka property \"bootstrap.servers\" is not set: name at least one broker "
                 "(host:port)");
  }
  const std::string max_bytes = get(result.conf.get(), "message.max.bytes");
  std::from_chars(max_bytes.data(), max_bytes.data() + max_bytes.size(), result.message_max_bytes);
  return result;
}

}  // namespace outbox::kafka
