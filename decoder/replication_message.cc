#include "decoder/replication_message.h"

#include <cstdio>
#include <string>

#include "decoder/byte_reader.h"

namespace outbox {

Result<ReplicationMessage> decode_replication_message(std::string_view copy_data) {
  ByteReader in(copy_data);
  const char tag = static_cast<char>(in.u8("frame type"));
  if (!in.ok()) {
    return Error{ErrorCode::kMalformedMessage, "replication frame: empty (expected a type byte)"};
  }
  if (tag == 'w') {
    XLogData frame;
    frame.wal_start = Lsn{in.u64("WAL start")};
    frame.wal_end = Lsn{in.u64("WAL end")};
    frame.send_time = PgTimestamp{in.i64("send time")};
    frame.data = in.rest();
    if (!in.ok()) {
      return Error{ErrorCode::kMalformedMessage,
                   "replication XLogData frame: " + in.describe_failure()};
    }
    return ReplicationMessage{frame};
  }
  if (tag == 'k') {
    PrimaryKeepalive frame;
    frame.wal_end = Lsn{in.u64("WAL end")};
    frame.send_time = PgTimestamp{in.i64("send time")};
    const std::uint8_t reply = in.u8("reply-requested flag");
    if (reply > 1 && in.ok()) in.reject("reply-requested flag", "0 or 1");
    frame.reply_requested = reply == 1;
    if (in.ok() && !in.at_end()) {
      return Error{ErrorCode::kMalformedMessage,
                   "replication keepalive frame: " + std::to_string(in.remaining()) +
                       " unexpected bytes after the last field, at byte " +
                       std::to_string(in.offset())};
    }
    if (!in.ok()) {
      return Error{ErrorCode::kMalformedMessage,
                   "replication keepalive frame: " + in.describe_failure()};
    }
    return ReplicationMessage{frame};
  }
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(tag));
  return Error{ErrorCode::kUnknownMessage,
               std::string("replication frame: unknown type byte ") + hex +
                   " at byte 0 (expected 'w' XLogData or 'k' keepalive)"};
}

namespace {
void store_be64(char* out, std::uint64_t value) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
}
}  // namespace

std::array<char, kStandbyStatusUpdateSize> encode_standby_status_update(
    const StandbyStatusUpdate& update) {
  std::array<char, kStandbyStatusUpdateSize> frame{};
  frame[0] = 'r';
  store_be64(&frame[1], update.written_lsn.value());
  store_be64(&frame[9], update.flushed_lsn.value());
  store_be64(&frame[17], update.applied_lsn.value());
  store_be64(&frame[25], static_cast<std::uint64_t>(update.client_time.micros_since_2000()));
  frame[33] = update.reply_requested ? 1 : 0;
  return frame;
}

}  // namespace outbox
