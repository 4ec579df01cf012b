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
#include <optional>
#include <string>

#include "common/result.h"
#include "sinks/sink.h"

namespace outbox {

// Exactly-once delivery: a transactional producer, and where the position it commits with each
// transaction lives. The position is the metadata of the offset that the consumer group named
// `transactional_id` commits, inside the transaction (send_offsets_to_transaction), for partition
// 0 of `position_topic`; no record is ever written there. The broker accepts offsets only for a
// topic that exists: init_transactions() creates it (one partition) when it is missing.
struct KafkaTransactionSettings {
  std::string transactional_id;
  std::string position_topic;
};

// `properties` are librdkafka properties, applied verbatim (bootstrap.servers at least); an
// invalid one is a kInvalidConfig error naming it. Overriding a default the delivery guarantee
// rests on (enable.idempotence, acks, message.timeout.ms) logs a warning. With `transactions`
// the sink is transactional (see Sink::init_transactions).
Result<std::unique_ptr<Sink>> make_kafka_sink(
    const std::map<std::string, std::string>& properties,
    const std::optional<KafkaTransactionSettings>& transactions = std::nullopt);

// The version of the librdkafka the process runs with ("2.8.0"), for --version and the logs.
std::string kafka_client_version();

}  // namespace outbox
