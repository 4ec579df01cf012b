// The producer configuration the relay runs with: the operator's librdkafka properties, applied
// verbatim, plus the defaults the delivery guarantee rests on, applied unless the operator set
// them. Internal to sinks/: it names librdkafka's conf type but does not include rdkafka.h.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct rd_kafka_conf_s;

namespace outbox::kafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_s* conf) const;
};
// librdkafka takes ownership of a conf only when rd_kafka_new() succeeds: release() it then.
using ConfPtr = std::unique_ptr<rd_kafka_conf_s, ConfDeleter>;

struct ProducerDefault {
  std::string_view name;
  std::string_view alias;  // librdkafka's other name for the same property, or empty
  std::string_view value;
  // What the operator gives up by setting something else; empty when nothing (a tuning default).
  std::string_view consequence;
};

// The defaults the relay applies unless the operator sets the property (under either name).
std::span<const ProducerDefault> producer_defaults();

struct ProducerConf {
  ConfPtr conf;
  // As configured ("bootstrap.servers" or its alias), for messages; empty with the mock cluster.
  std::string bootstrap_servers;
  std::int64_t message_max_bytes = 0;
  // One per guarantee-bearing default the operator overrode, naming it and the consequence.
  std::vector<std::string> warnings;
};

// Builds the conf: every property verbatim through rd_kafka_conf_set (an invalid name or value is
// an error quoting librdkafka), then the defaults. Properties that would break the relay's
// contract with its sink (transactional.id, delivery.report.only.error=true) are errors too.
// Callbacks and opaque are left to the caller. A non-empty `transactional_id` makes the producer
// transactional (exactly-once delivery).
Result<ProducerConf> make_producer_conf(const std::map<std::string, std::string>& properties,
                                        const std::string& transactional_id = {});

}  // namespace outbox::kafka
