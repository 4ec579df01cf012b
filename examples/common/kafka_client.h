// librdkafka clients for the reference services: owning handles and a builder that turns
// librdkafka's refusals into exceptions (the services stop on them at start-up).
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

namespace examples {

struct KafkaDeleter {
  void operator()(rd_kafka_t* kafka) const { rd_kafka_destroy(kafka); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

using DeliveryCallback = void (*)(rd_kafka_t*, const rd_kafka_message_t*, void* opaque);

// A client with `settings` (librdkafka properties); `opaque` is what `on_delivery` receives as
// its last argument. Throws with librdkafka's message when a setting or the client is refused.
KafkaPtr make_client(rd_kafka_type_t type, const std::map<std::string, std::string>& settings,
                     DeliveryCallback on_delivery = nullptr, void* opaque = nullptr);

}  // namespace examples
