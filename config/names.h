// The naming rules of PostgreSQL and Kafka that configuration values must follow. Checked when
// the configuration is loaded, so a bad name stops the relay before it connects anywhere; the
// relay may use is_valid_kafka_topic on topics it builds from templates at run time.
#pragma once

#include <string_view>

namespace outbox {

// PostgreSQL's rule for replication slot names (ReplicationSlotValidateName in
// src/backend/replication/slot.c): lower-case letters, digits and underscores, 1 to 63 characters
// (NAMEDATALEN - 1).
bool is_valid_slot_name(std::string_view name);

// A plain SQL identifier: a letter or underscore, then letters, digits, underscores or '$', 1 to
// 63 characters. Quoted identifiers with other characters are not supported.
bool is_valid_identifier(std::string_view name);

// Kafka's rule for topic names (org.apache.kafka.common.internals.Topic.validate): letters,
// digits, '.', '_' and '-', 1 to 249 characters, and neither "." nor "..".
bool is_valid_kafka_topic(std::string_view name);
bool is_kafka_topic_char(char c);

inline constexpr std::size_t kMaxPostgresNameLength = 63;
inline constexpr std::size_t kMaxKafkaTopicLength = 249;

}  // namespace outbox
