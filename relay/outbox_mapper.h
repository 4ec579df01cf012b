// Outbox rows to Kafka records: topic routing, key, headers, timestamp.
//
// The outbox relation's layout (column positions, header and key columns) is resolved once per
// Relation message; mapping a row is then lookups into the tuple and a cached topic name. The
// record's views point into the tuple and into this mapper, valid until the next map().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "decoder/outbox_row.h"
#include "decoder/relation_cache.h"
#include "sinks/sink.h"

namespace outbox {

struct MappedEvent {
  OutgoingRecord record;
  std::string_view event_id;  // the id column, for logs and dead letters
};

class OutboxMapper {
 public:
  explicit OutboxMapper(const Config& config);

  // A Relation message arrived (and is in `relations`). When it is the outbox table, its layout
  // is (re)resolved; a table that lacks a configured column is an error naming it.
  Result<void> on_relation(const CachedRelation& relation);

  bool is_outbox(std::uint32_t relation_id) const {
    return layout_.has_value() && layout_->relation_id() == relation_id;
  }

  // The record for an outbox Insert. Errors (kInvalidOutboxRow) name what makes the row
  // unroutable: a NULL required column, a NULL key, a topic name Kafka would refuse.
  Result<MappedEvent> map(Tuple new_tuple, std::int64_t commit_time_ms);

  // For a row map() refused: what it does carry (id, key, payload, the header columns that are
  // not NULL, the topic it would route to, empty when unknown), so that logs name the event and
  // a dead letter keeps it. Views as map()'s.
  MappedEvent salvage(Tuple new_tuple, std::int64_t commit_time_ms);

 private:
  const std::string& topic_for(std::string_view aggregate_type, std::string_view event_type);

  OutboxColumnNames names_;
  std::string table_namespace_;
  std::string table_name_;
  std::string topic_template_;
  bool template_uses_event_type_;
  std::unordered_map<std::string, std::string> topic_overrides_;
  std::string key_column_;
  std::vector<std::string> header_columns_;

  std::optional<OutboxLayout> layout_;
  std::size_t key_index_ = 0;
  std::vector<std::pair<std::string_view, std::size_t>> header_indexes_;  // name, position

  // Topic names by aggregate type (and event type, when the template uses it).
  std::unordered_map<std::string, std::string> topic_cache_;
  std::string cache_key_;
  std::vector<RecordHeader> headers_;  // the current record's headers
};

}  // namespace outbox
