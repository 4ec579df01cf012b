// The outbox row view: an Insert into the outbox table, read as an event.
//
// Column positions are resolved once per Relation message (OutboxLayout), so reading a row is a
// handful of array lookups: no allocation, no name comparison, and the order of the table's
// columns does not matter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "decoder/pgoutput_message.h"
#include "decoder/relation_cache.h"

namespace outbox {

// The outbox table's column names. The defaults are those of the table `outbox-relay migrate`
// creates (migrations/001_create_outbox_events.sql); a table laid out for Debezium's outbox router
// is {"id", "aggregatetype", "aggregateid", "type", "payload", ""}.
struct OutboxColumnNames {
  std::string id = "id";
  std::string aggregate_type = "aggregate_type";
  std::string aggregate_id = "aggregate_id";
  std::string event_type = "event_type";
  std::string payload = "payload";
  // Optional: an empty name, or a table without the column, means events have no created_at.
  std::string created_at = "created_at";
};

// Where the event's fields sit in the tuples of one version of the outbox relation.
class OutboxLayout {
 public:
  // Fails, naming the column and the table, when a required column is missing.
  static Result<OutboxLayout> from_relation(const CachedRelation& relation,
                                            const OutboxColumnNames& names);

  std::uint32_t relation_id() const { return relation_id_; }
  const std::string& table() const { return table_; }
  std::size_t column_count() const { return column_names_.size(); }

  // The position of any column, for headers beyond the standard fields; nullopt when the table
  // has no such column.
  std::optional<std::size_t> index_of(std::string_view column) const;
  const std::string& column_name(std::size_t index) const { return column_names_[index]; }

  // Positions of the event's fields.
  std::size_t id_index() const { return id_; }
  std::size_t aggregate_type_index() const { return aggregate_type_; }
  std::size_t aggregate_id_index() const { return aggregate_id_; }
  std::size_t event_type_index() const { return event_type_; }
  std::size_t payload_index() const { return payload_; }
  std::optional<std::size_t> created_at_index() const { return created_at_; }

 private:
  std::uint32_t relation_id_ = 0;
  std::string table_;
  std::vector<std::string> column_names_;
  std::size_t id_ = 0;
  std::size_t aggregate_type_ = 0;
  std::size_t aggregate_id_ = 0;
  std::size_t event_type_ = 0;
  std::size_t payload_ = 0;
  std::optional<std::size_t> created_at_;
};

// One event's fields: views into the Insert's tuple (valid as long as the tuple is).
struct OutboxRow {
  std::string_view id;
  std::string_view aggregate_type;
  std::string_view aggregate_id;
  std::string_view event_type;
  std::string_view payload;
  std::optional<std::string_view> created_at;  // absent when the table has none, or it is NULL

  // The text of the column at `index` (from OutboxLayout::index_of); nullopt when it is NULL.
  std::optional<std::string_view> column(std::size_t index) const;
  // The same by name; nullopt also when the table has no such column.
  std::optional<std::string_view> column(std::string_view name) const;

  Tuple tuple;
  const OutboxLayout* layout = nullptr;
};

// Reads an Insert's new tuple as an event. A NULL, unchanged-TOAST or binary value in a required
// column, or a tuple that does not match the layout, is an error naming the column: an event is
// never published with substituted data.
Result<OutboxRow> read_outbox_row(const OutboxLayout& layout, Tuple new_tuple);

}  // namespace outbox
