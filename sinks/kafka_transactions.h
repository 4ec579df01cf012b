// The pieces of exactly-once delivery that talk to Kafka beside the producer itself: the
// position topic, the committed position read back with a consumer handle of the position
// group, and what librdkafka's transactional errors mean for the relay. Internal to sinks/.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "sinks/sink.h"

struct rd_kafka_s;
struct rd_kafka_error_s;

namespace outbox::kafka {

// A timeout as librdkafka's calls take it: milliseconds, from 1 up to an hour.
int timeout_ms(std::chrono::milliseconds timeout);

// Consumes `error` (null: done). `step` names the call for the message ("commit_transaction").
TransactionOutcome transaction_outcome(rd_kafka_error_s* error, const char* step);

// Creates `topic` with one partition (the broker's default replication factor) unless it exists.
Result<void> ensure_position_topic(rd_kafka_s* producer, const std::string& topic,
                                   std::chrono::milliseconds timeout);

// The metadata of the offset the group `group` committed for partition 0 of `topic`, read with
// isolation.level=read_committed (so a transaction still being committed is waited for);
// nullopt when the group committed none. `properties` are the sink's (how to reach Kafka).
Result<std::optional<std::string>> read_committed_position(
    const std::map<std::string, std::string>& properties, const std::string& group,
    const std::string& topic, std::chrono::milliseconds timeout);

}  // namespace outbox::kafka
