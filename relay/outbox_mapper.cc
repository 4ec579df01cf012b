#include "relay/outbox_mapper.h"

#include "config/names.h"
#include "relay/bootstrap.h"
#include "relay/topic_template.h"

namespace outbox {

OutboxMapper::OutboxMapper(const Config& config)
    : names_{config.source.columns.id,           config.source.columns.aggregate_type,
             config.source.columns.aggregate_id, config.source.columns.event_type,
             config.source.columns.payload,      config.source.columns.created_at},
      topic_template_(config.routing.topic),
      template_uses_event_type_(topic_template_uses_event_type(config.routing.topic)),
      topic_overrides_(config.routing.topics.begin(), config.routing.topics.end()),
      key_column_(config.routing.key),
      header_columns_(config.routing.headers) {
  const auto table = split_table_name(config.source.table);
  table_namespace_ = table.schema;
  table_name_ = table.name;
}

Result<void> OutboxMapper::on_relation(const CachedRelation& relation) {
  if (relation.namespace_name != table_namespace_ || relation.relation_name != table_name_) {
    return {};
  }
  auto layout = OutboxLayout::from_relation(relation, names_);
  if (!layout.ok()) return std::move(layout).error();
  const auto key = layout->index_of(key_column_);
  if (!key) {
    return Error{ErrorCode::kInvalidOutboxRow, "outbox table " + relation.qualified_name() +
                                                   " has no column \"" + key_column_ +
                                                   "\" (routing.key)"};
  }
  std::vector<std::pair<std::string_view, std::size_t>> headers;
  for (const auto& column : header_columns_) {
    const auto index = layout->index_of(column);
    if (!index) {
      if (column == names_.created_at) continue;  // optional: no column, no header
      return Error{ErrorCode::kInvalidOutboxRow, "outbox table " + relation.qualified_name() +
                                                     " has no column \"" + column +
                                                     "\" (routing.headers)"};
    }
    headers.emplace_back(column, *index);
  }
  layout_ = std::move(layout).value();
  key_index_ = *key;
  header_indexes_ = std::move(headers);
  headers_.reserve(header_indexes_.size());
  return {};
}

const std::string& OutboxMapper::topic_for(std::string_view aggregate_type,
                                           std::string_view event_type) {
  cache_key_.assign(aggregate_type);
  if (template_uses_event_type_) {
    cache_key_ += '\0';
    cache_key_.append(event_type);
  }
  auto cached = topic_cache_.find(cache_key_);
  if (cached != topic_cache_.end()) return cached->second;
  // Bounded: a runaway set of aggregate types must not grow memory without limit.
  if (topic_cache_.size() >= 10000) topic_cache_.clear();
  auto over = topic_overrides_.find(std::string(aggregate_type));
  std::string topic = over != topic_overrides_.end()
                          ? over->second
                          : expand_topic_template(topic_template_, aggregate_type, event_type);
  return topic_cache_.emplace(cache_key_, std::move(topic)).first->second;
}

Result<MappedEvent> OutboxMapper::map(Tuple new_tuple, std::int64_t commit_time_ms) {
  if (!layout_) {
    return Error{ErrorCode::kMalformedMessage,
                 "an outbox Insert arrived before the Relation message describing the table"};
  }
  auto row = read_outbox_row(*layout_, new_tuple);
  if (!row.ok()) return std::move(row).error();
  const auto key = row->column(key_index_);
  if (!key) {
    return Error{ErrorCode::kInvalidOutboxRow, "outbox row " + std::string(row->id) +
                                                   ": key column \"" + key_column_ + "\" is NULL"};
  }
  const std::string& topic = topic_for(row->aggregate_type, row->event_type);
  if (!is_valid_kafka_topic(topic)) {
    return Error{ErrorCode::kInvalidOutboxRow,
                 "outbox row " + std::string(row->id) + " (aggregate type \"" +
                     std::string(row->aggregate_type) + "\") routes to topic \"" + topic +
                     "\", which is not a valid Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -, "
                     "not . or ..)"};
  }
  headers_.clear();
  for (const auto& [name, index] : header_indexes_) {
    if (const auto value = row->column(index)) headers_.push_back({name, *value});
  }
  MappedEvent event;
  event.event_id = row->id;
  event.record.topic = topic;
  event.record.key = *key;
  event.record.value = row->payload;
  event.record.headers = headers_;
  event.record.timestamp_ms = commit_time_ms;
  return event;
}

MappedEvent OutboxMapper::salvage(Tuple new_tuple, std::int64_t commit_time_ms) {
  MappedEvent event;
  event.record.timestamp_ms = commit_time_ms;
  if (!layout_ || new_tuple.size() != layout_->column_count()) return event;
  OutboxRow row;
  row.tuple = new_tuple;
  row.layout = &*layout_;
  event.event_id = row.column(layout_->id_index()).value_or(std::string_view());
  event.record.key = row.column(key_index_).value_or(std::string_view());
  event.record.value = row.column(layout_->payload_index()).value_or(std::string_view());
  const auto aggregate_type = row.column(layout_->aggregate_type_index());
  const auto event_type = row.column(layout_->event_type_index());
  if (aggregate_type && (event_type || !template_uses_event_type_)) {
    event.record.topic = topic_for(*aggregate_type, event_type.value_or(std::string_view()));
  }
  headers_.clear();
  for (const auto& [name, index] : header_indexes_) {
    if (const auto value = row.column(index)) headers_.push_back({name, *value});
  }
  event.record.headers = headers_;
  return event;
}

}  // namespace outbox
