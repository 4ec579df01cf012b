#include "tests/integration/support/relay_config.h"

namespace outbox::testing {

std::string relay_config(const RelayTarget& target, const std::string& sink_extra,
                         const std::string& kafka_extra, const std::string& routing_extra) {
  return "source:\n"
         "  dsn: \"" +
         target.dsn +
         "\"\n"
         "  slot: " +
         target.slot +
         "\n"
         "  status_interval_ms: 200\n"
         "routing:\n"
         "  topic: \"" +
         target.topic_prefix + ".{aggregate_type_lower}.events\"\n" + routing_extra +
         "sink:\n"
         "  kafka:\n"
         "    bootstrap.servers: \"" +
         target.kafka_bootstrap + "\"\n" + kafka_extra + sink_extra +
         "metrics:\n"
         "  listen: \"\"\n"
         "log:\n"
         "  level: debug\n";
}

}  // namespace outbox::testing
