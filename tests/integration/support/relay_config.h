// The YAML configuration relay tests run with: one database, slot and topic prefix of the test's
// own, the broker, no metrics listener, debug logs (tests wait for log lines).
#pragma once

#include <string>

namespace outbox::testing {

struct RelayTarget {
  std::string dsn;
  std::string slot;
  std::string topic_prefix;  // topics are "<prefix>.<aggregate type lower-cased>.events"
  std::string kafka_bootstrap;
};

// `routing_extra` lines go under `routing:`, `sink_extra` lines under `sink:` and `kafka_extra`
// lines under `sink.kafka:`, each indented by the caller.
std::string relay_config(const RelayTarget& target, const std::string& sink_extra = {},
                         const std::string& kafka_extra = {},
                         const std::string& routing_extra = {});

}  // namespace outbox::testing
