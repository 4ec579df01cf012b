#include "decoder/outbox_row.h"

namespace outbox {

Result<OutboxLayout> OutboxLayout::from_relation(const CachedRelation& relation,
                                                 const OutboxColumnNames& names) {
  OutboxLayout layout;
  layout.relation_id_ = relation.relation_id;
  layout.table_ = relation.qualified_name();
  layout.column_names_.reserve(relation.columns.size());
  for (const auto& column : relation.columns) layout.column_names_.push_back(column.name);

  std::string missing;
  auto require = [&](const std::string& name, std::size_t& position) {
    if (auto index = layout.index_of(name)) {
      position = *index;
    } else {
      missing += (missing.empty() ? "\"" : ", \"") + name + "\"";
    }
  };
  require(names.id, layout.id_);
  require(names.aggregate_type, layout.aggregate_type_);
  require(names.aggregate_id, layout.aggregate_id_);
  require(names.event_type, layout.event_type_);
  require(names.payload, layout.payload_);
  if (!missing.empty()) {
    std::string present;
    for (const auto& name : layout.column_names_) present += (present.empty() ? "" : ", ") + name;
    return Error{ErrorCode::kInvalidOutboxRow, "outbox table " + layout.table_ + " has no column " +
                                                   missing + " (its columns: " + present + ")"};
  }
  if (!names.created_at.empty()) layout.created_at_ = layout.index_of(names.created_at);
  return layout;
}

std::optional<std::size_t> OutboxLayout::index_of(std::string_view column) const {
  for (std::size_t i = 0; i < column_names_.size(); ++i) {
    if (column_names_[i] == column) return i;
  }
  return std::nullopt;
}

std::optional<std::string_view> OutboxRow::column(std::size_t index) const {
  if (index >= tuple.size() || tuple[index].kind != TupleColumnKind::Text) return std::nullopt;
  return tuple[index].value;
}

std::optional<std::string_view> OutboxRow::column(std::string_view name) const {
  if (layout == nullptr) return std::nullopt;
  const auto index = layout->index_of(name);
  return index ? column(*index) : std::nullopt;
}

namespace {

const char* kind_problem(TupleColumnKind kind) {
  switch (kind) {
    case TupleColumnKind::Null:
      return "is NULL";
    case TupleColumnKind::UnchangedToast:
      return "is an unchanged TOAST value (not sent)";
    case TupleColumnKind::Binary:
      return "is in binary format (the relay asks for text)";
    case TupleColumnKind::Text:
      break;
  }
  return "has an unknown kind";
}

}  // namespace

Result<OutboxRow> read_outbox_row(const OutboxLayout& layout, Tuple new_tuple) {
  if (new_tuple.size() != layout.column_count()) {
    return Error{ErrorCode::kInvalidOutboxRow,
                 "outbox row of " + layout.table() + " has " + std::to_string(new_tuple.size()) +
                     " columns, but the table's last Relation message has " +
                     std::to_string(layout.column_count())};
  }
  OutboxRow row;
  row.tuple = new_tuple;
  row.layout = &layout;
  const TupleColumn* problem = nullptr;
  std::size_t problem_index = 0;
  auto required = [&](std::size_t index, std::string_view& out) {
    const TupleColumn& column = new_tuple[index];
    if (column.kind == TupleColumnKind::Text) {
      out = column.value;
    } else if (problem == nullptr) {
      problem = &column;
      problem_index = index;
    }
  };
  required(layout.id_index(), row.id);
  required(layout.aggregate_type_index(), row.aggregate_type);
  required(layout.aggregate_id_index(), row.aggregate_id);
  required(layout.event_type_index(), row.event_type);
  required(layout.payload_index(), row.payload);
  if (problem != nullptr) {
    return Error{ErrorCode::kInvalidOutboxRow, "outbox row of " + layout.table() + ": column \"" +
                                                   layout.column_name(problem_index) + "\" " +
                                                   kind_problem(problem->kind)};
  }
  if (auto index = layout.created_at_index()) row.created_at = row.column(*index);
  return row;
}

}  // namespace outbox
