#include "decoder/pgoutput_decoder.h"

#include <cstdio>

#include "decoder/byte_reader.h"

namespace outbox {

std::string_view message_type_name(char tag) {
  switch (static_cast<MessageType>(tag)) {
    case MessageType::Begin:
      return "Begin";
    case MessageType::Message:
      return "Message";
    case MessageType::Commit:
      return "Commit";
    case MessageType::Origin:
      return "Origin";
    case MessageType::Relation:
      return "Relation";
    case MessageType::Type:
      return "Type";
    case MessageType::Insert:
      return "Insert";
    case MessageType::Update:
      return "Update";
    case MessageType::Delete:
      return "Delete";
    case MessageType::Truncate:
      return "Truncate";
    case MessageType::StreamStart:
      return "Stream Start";
    case MessageType::StreamStop:
      return "Stream Stop";
    case MessageType::StreamCommit:
      return "Stream Commit";
    case MessageType::StreamAbort:
      return "Stream Abort";
    case MessageType::BeginPrepare:
      return "Begin Prepare";
    case MessageType::Prepare:
      return "Prepare";
    case MessageType::CommitPrepared:
      return "Commit Prepared";
    case MessageType::RollbackPrepared:
      return "Rollback Prepared";
    case MessageType::StreamPrepare:
      return "Stream Prepare";
  }
  return "unknown";
}

namespace {

// The smallest protocol version that allows a message type.
int minimum_protocol_version(MessageType type) {
  switch (type) {
    case MessageType::StreamStart:
    case MessageType::StreamStop:
    case MessageType::StreamCommit:
    case MessageType::StreamAbort:
      return 2;
    case MessageType::BeginPrepare:
    case MessageType::Prepare:
    case MessageType::CommitPrepared:
    case MessageType::RollbackPrepared:
    case MessageType::StreamPrepare:
      return 3;
    default:
      return 1;
  }
}

Lsn lsn(ByteReader& in, const char* field) { return Lsn{in.u64(field)}; }
PgTimestamp timestamp(ByteReader& in, const char* field) { return PgTimestamp{in.i64(field)}; }

// TupleData: Int16 column count, then per column a kind byte and, for 't' and 'b', an Int32
// length and that many bytes.
Tuple read_tuple(ByteReader& in, std::vector<TupleColumn>& columns) {
  const std::uint16_t count = in.u16("tuple column count");
  columns.clear();
  // Each column takes at least its kind byte: a count beyond what is left cannot be real, and
  // must not size an allocation.
  if (!in.ok() || count > in.remaining()) {
    in.reject("tuple column count", "no larger than the bytes left in the message");
    return {};
  }
  columns.resize(count);
  for (std::uint16_t i = 0; i < count && in.ok(); ++i) {
    const char kind = static_cast<char>(in.u8("tuple column kind"));
    switch (static_cast<TupleColumnKind>(kind)) {
      case TupleColumnKind::Null:
      case TupleColumnKind::UnchangedToast:
        columns[i] = {static_cast<TupleColumnKind>(kind), {}};
        break;
      case TupleColumnKind::Text:
      case TupleColumnKind::Binary: {
        const std::uint32_t length = in.u32("tuple column length");
        columns[i] = {static_cast<TupleColumnKind>(kind), in.bytes(length, "tuple column value")};
        break;
      }
      default:
        if (in.ok()) in.reject("tuple column kind", "to be one of 'n', 'u', 't', 'b'");
    }
  }
  return in.ok() ? Tuple{columns} : Tuple{};
}

// Int32 xid, present only inside a stream block.
StreamXid stream_xid(ByteReader& in, bool in_stream_block) {
  if (!in_stream_block) return std::nullopt;
  return in.u32("xid");
}

}  // namespace

Result<PgoutputMessage> PgoutputDecoder::decode(std::string_view bytes) {
  ByteReader in(bytes);
  const char tag = static_cast<char>(in.u8("message type"));
  if (!in.ok()) {
    return Error{ErrorCode::kMalformedMessage, "pgoutput message: empty (expected a type byte)"};
  }
  const auto type = static_cast<MessageType>(tag);
  const std::string_view name = message_type_name(tag);
  if (name == "unknown") {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(tag));
    return Error{ErrorCode::kUnknownMessage,
                 std::string("pgoutput message: unknown type byte ") + hex + " at byte 0"};
  }
  auto fail = [&](const std::string& why) {
    return Error{ErrorCode::kMalformedMessage,
                 "pgoutput " + std::string(name) + " message: " + why};
  };
  if (options_.protocol_version < minimum_protocol_version(type)) {
    return fail("not allowed by protocol version " + std::to_string(options_.protocol_version) +
                " (needs " + std::to_string(minimum_protocol_version(type)) + ")");
  }

  PgoutputMessage message;
  bool enters_stream_block = false;
  bool leaves_stream_block = false;
  switch (type) {
    case MessageType::Begin: {
      Begin m;
      m.final_lsn = lsn(in, "final LSN");
      m.commit_time = timestamp(in, "commit timestamp");
      m.xid = in.u32("xid");
      message = m;
      break;
    }
    case MessageType::Message: {
      LogicalMessage m;
      m.xid = stream_xid(in, in_stream_block_);
      m.flags = in.u8("flags");
      m.lsn = lsn(in, "message LSN");
      m.prefix = in.cstring("prefix");
      const std::uint32_t length = in.u32("content length");
      m.content = in.bytes(length, "content");
      message = m;
      break;
    }
    case MessageType::Commit: {
      Commit m;
      m.flags = in.u8("flags");
      m.commit_lsn = lsn(in, "commit LSN");
      m.end_lsn = lsn(in, "end LSN");
      m.commit_time = timestamp(in, "commit timestamp");
      message = m;
      break;
    }
    case MessageType::Origin: {
      Origin m;
      m.origin_commit_lsn = lsn(in, "origin commit LSN");
      m.name = in.cstring("origin name");
      message = m;
      break;
    }
    case MessageType::Relation: {
      Relation m;
      m.xid = stream_xid(in, in_stream_block_);
      m.relation_id = in.u32("relation id");
      m.namespace_name = in.cstring("namespace");
      m.relation_name = in.cstring("relation name");
      m.replica_identity = static_cast<char>(in.u8("replica identity"));
      const std::uint16_t count = in.u16("column count");
      relation_columns_.clear();
      // A column takes at least 10 bytes (flags, empty name, type id, modifier).
      if (in.ok() && std::size_t{count} * 10 > in.remaining()) {
        in.reject("column count", "to fit in the bytes left in the message");
      }
      if (in.ok()) relation_columns_.resize(count);
      for (std::uint16_t i = 0; i < count && in.ok(); ++i) {
        RelationColumn& column = relation_columns_[i];
        column.flags = in.u8("column flags");
        column.name = in.cstring("column name");
        column.type_id = in.u32("column type id");
        column.type_modifier = in.i32("column type modifier");
      }
      m.columns = relation_columns_;
      message = m;
      break;
    }
    case MessageType::Type: {
      Type m;
      m.xid = stream_xid(in, in_stream_block_);
      m.type_id = in.u32("type id");
      m.namespace_name = in.cstring("namespace");
      m.type_name = in.cstring("type name");
      message = m;
      break;
    }
    case MessageType::Insert: {
      Insert m;
      m.xid = stream_xid(in, in_stream_block_);
      m.relation_id = in.u32("relation id");
      if (in.u8("new tuple marker") != 'N' && in.ok()) {
        in.reject("new tuple marker", "'N'");
      }
      m.new_tuple = read_tuple(in, new_columns_);
      message = m;
      break;
    }
    case MessageType::Update: {
      Update m;
      m.xid = stream_xid(in, in_stream_block_);
      m.relation_id = in.u32("relation id");
      char marker = static_cast<char>(in.u8("tuple marker"));
      m.old_kind = OldTupleKind::None;
      if (marker == 'K' || marker == 'O') {
        m.old_kind = static_cast<OldTupleKind>(marker);
        m.old_tuple = read_tuple(in, old_columns_);
        marker = static_cast<char>(in.u8("new tuple marker"));
      }
      if (marker != 'N' && in.ok()) in.reject("tuple marker", "'K', 'O' or 'N'");
      m.new_tuple = read_tuple(in, new_columns_);
      message = m;
      break;
    }
    case MessageType::Delete: {
      Delete m;
      m.xid = stream_xid(in, in_stream_block_);
      m.relation_id = in.u32("relation id");
      const char marker = static_cast<char>(in.u8("old tuple marker"));
      m.old_kind = static_cast<OldTupleKind>(marker);
      if (marker != 'K' && marker != 'O' && in.ok()) in.reject("old tuple marker", "'K' or 'O'");
      m.old_tuple = read_tuple(in, old_columns_);
      message = m;
      break;
    }
    case MessageType::Truncate: {
      Truncate m;
      m.xid = stream_xid(in, in_stream_block_);
      const std::uint32_t count = in.u32("relation count");
      m.options = in.u8("options");
      if (in.ok() && std::size_t{count} * 4 != in.remaining()) {
        in.reject("relation ids", "to fill the rest of the message, 4 bytes each");
      }
      m.relation_ids = RelationIdList{in.bytes(std::size_t{count} * 4, "relation ids")};
      message = m;
      break;
    }
    case MessageType::StreamStart: {
      StreamStart m;
      m.xid = in.u32("xid");
      const std::uint8_t first = in.u8("first segment flag");
      if (first > 1 && in.ok()) in.reject("first segment flag", "0 or 1");
      m.first_segment = first == 1;
      if (in_stream_block_ && in.ok()) {
        return fail("arrived inside a stream block (a Stream Stop was missing)");
      }
      enters_stream_block = true;
      message = m;
      break;
    }
    case MessageType::StreamStop: {
      if (!in_stream_block_) return fail("arrived outside a stream block");
      leaves_stream_block = true;
      message = StreamStop{};
      break;
    }
    case MessageType::StreamCommit: {
      StreamCommit m;
      m.xid = in.u32("xid");
      m.flags = in.u8("flags");
      m.commit_lsn = lsn(in, "commit LSN");
      m.end_lsn = lsn(in, "end LSN");
      m.commit_time = timestamp(in, "commit timestamp");
      message = m;
      break;
    }
    case MessageType::StreamAbort: {
      StreamAbort m;
      m.xid = in.u32("xid");
      m.subxid = in.u32("subtransaction xid");
      if (options_.parallel_streaming && options_.protocol_version >= 4) {
        m.abort_lsn = lsn(in, "abort LSN");
        m.abort_time = timestamp(in, "abort timestamp");
      }
      message = m;
      break;
    }
    case MessageType::BeginPrepare: {
      BeginPrepare m;
      m.prepare_lsn = lsn(in, "prepare LSN");
      m.end_lsn = lsn(in, "end LSN");
      m.prepare_time = timestamp(in, "prepare timestamp");
      m.xid = in.u32("xid");
      m.gid = in.cstring("gid");
      message = m;
      break;
    }
    case MessageType::Prepare:
    case MessageType::StreamPrepare: {
      PreparedTransaction m;
      m.flags = in.u8("flags");
      m.prepare_lsn = lsn(in, "prepare LSN");
      m.end_lsn = lsn(in, "end LSN");
      m.prepare_time = timestamp(in, "prepare timestamp");
      m.xid = in.u32("xid");
      m.gid = in.cstring("gid");
      if (type == MessageType::Prepare) {
        message = Prepare{m};
      } else {
        message = StreamPrepare{m};
      }
      break;
    }
    case MessageType::CommitPrepared: {
      CommitPrepared m;
      m.flags = in.u8("flags");
      m.commit_lsn = lsn(in, "commit LSN");
      m.end_lsn = lsn(in, "end LSN");
      m.commit_time = timestamp(in, "commit timestamp");
      m.xid = in.u32("xid");
      m.gid = in.cstring("gid");
      message = m;
      break;
    }
    case MessageType::RollbackPrepared: {
      RollbackPrepared m;
      m.flags = in.u8("flags");
      m.prepare_end_lsn = lsn(in, "prepare end LSN");
      m.rollback_end_lsn = lsn(in, "rollback end LSN");
      m.prepare_time = timestamp(in, "prepare timestamp");
      m.rollback_time = timestamp(in, "rollback timestamp");
      m.xid = in.u32("xid");
      m.gid = in.cstring("gid");
      message = m;
      break;
    }
  }

  if (!in.ok()) return fail(in.describe_failure());
  if (!in.at_end()) {
    return fail(std::to_string(in.remaining()) +
                " unexpected bytes after the last field, at byte " + std::to_string(in.offset()));
  }
  if (enters_stream_block) in_stream_block_ = true;
  if (leaves_stream_block) in_stream_block_ = false;
  return message;
}

}  // namespace outbox
