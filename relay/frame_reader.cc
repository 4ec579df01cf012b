#include "relay/frame_reader.h"

#include <algorithm>

namespace outbox {

FrameReader::FrameReader(const Config& config, LsnTracker& tracker)
    : tracker_(tracker),
      decoder_(PgoutputOptions{.protocol_version = 1}),
      mapper_(config),
      received_(tracker.confirmable()),
      server_end_(tracker.confirmable()) {}

Result<FrameContent> FrameReader::read(std::string_view frame) {
  const auto message = decode_replication_message(frame);
  if (!message.ok()) {
    return Error{message.error().code(),
                 message.error().message() + " (after " + received_.to_string() + ")"};
  }
  if (const auto* keepalive = std::get_if<PrimaryKeepalive>(&*message)) {
    server_end_ = std::max(server_end_, keepalive->wal_end);
    tracker_.server_position(keepalive->wal_end);
    FrameContent content;
    content.reply_requested = keepalive->reply_requested;
    return content;
  }
  const auto& xlog = std::get<XLogData>(*message);
  received_ = std::max(received_, xlog.wal_end);
  server_end_ = std::max(server_end_, xlog.wal_end);
  const auto decoded = decoder_.decode(xlog.data);
  if (!decoded.ok()) {
    return Error{decoded.error().code(),
                 decoded.error().message() + " (at " + xlog.wal_start.to_string() + ")"};
  }
  return on_message(*decoded);
}

Result<FrameContent> FrameReader::on_message(const PgoutputMessage& message) {
  if (const auto* begin = std::get_if<Begin>(&message)) {
    if (auto started = tracker_.begin_transaction(begin->commit_time); !started.ok()) {
      return std::move(started).error();
    }
    commit_time_ms_ = begin->commit_time.unix_millis();
  } else if (const auto* commit = std::get_if<Commit>(&message)) {
    if (auto committed = tracker_.commit_transaction(commit->end_lsn); !committed.ok()) {
      return std::move(committed).error();
    }
    ++transactions_;
  } else if (const auto* relation = std::get_if<Relation>(&message)) {
    const auto& cached = relations_.update(*relation);
    if (auto known = mapper_.on_relation(cached); !known.ok()) return std::move(known).error();
  } else if (const auto* insert = std::get_if<Insert>(&message)) {
    return on_insert(*insert);
  }
  // Update, Delete, Truncate, Type, Origin and logical messages are not events.
  return FrameContent{};
}

Result<FrameContent> FrameReader::on_insert(const Insert& insert) {
  if (!mapper_.is_outbox(insert.relation_id)) return FrameContent{};
  auto event = mapper_.map(insert.new_tuple, commit_time_ms_);
  if (!event.ok() && event.error().code() == ErrorCode::kMalformedMessage) {
    return std::move(event).error();
  }
  auto ticket = tracker_.add_event();
  if (!ticket.ok()) return std::move(ticket).error();
  if (!event.ok()) {
    // The row cannot become a record (a NULL required column, an invalid topic name). The policy
    // gets what the row does carry: logs name the event, and a dead letter keeps it.
    return FrameContent{.kind = FrameContent::Kind::kUnroutable,
                        .event = mapper_.salvage(insert.new_tuple, commit_time_ms_),
                        .transaction = *ticket,
                        .why = event.error().message(),
                        .reply_requested = false};
  }
  return FrameContent{.kind = FrameContent::Kind::kEvent,
                      .event = std::move(event).value(),
                      .transaction = *ticket,
                      .why = {},
                      .reply_requested = false};
}

}  // namespace outbox
