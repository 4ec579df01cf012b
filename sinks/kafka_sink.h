// The Kafka sink: an idempotent, acks=all librdkafka producer whose delivery reports are served
// only on the caller's thread, when it calls poll_deliveries() or drain(); wakeup_fd() becomes
// readable when reports are waiting. See docs/sinks.md for the defaults it forces and how
// librdkafka's errors map to PublishStatus.
//
// Records: the key and value are sent as given, an empty one as zero bytes (never as a null key
// or a null "tombstone" value); header values likewise. A zero timestamp lets librdkafka use the
// current time. Delivery reports for records of one partition arrive in publish order.
//
// Not thread-safe: one thread publishes, polls and drains. The DeliveryHandler may publish from
// on_delivery (to a dead-letter topic, say) but must not poll or drain from there.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/result.h"
#include "sinks/sink.h"

namespace outbox {

// `properties` are librdkafka properties, applied verbatim (bootstrap.servers at least); an
// invalid one is a kInvalidConfig error naming it. Overriding a default the delivery guarantee
// rests on (enable.idempotence, acks, message.timeout.ms) logs a warning.
Result<std::unique_ptr<Sink>> make_kafka_sink(const std::map<std::string, std::string>& properties);

// The version of the librdkafka the process runs with ("2.8.0"), for --version and the logs.
std::string kafka_client_version();

}  // namespace outbox
