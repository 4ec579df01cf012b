// The frames of the streaming replication protocol inside CopyData (see "Streaming Replication
// Protocol" in PostgreSQL's documentation): XLogData and primary keepalive from the server, the
// standby status update from us.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <variant>

#include "common/lsn.h"
#include "common/result.h"
#include "decoder/pg_time.h"

namespace outbox {

// 'w': a piece of WAL; for logical replication, one pgoutput message.
struct XLogData {
  Lsn wal_start;  // where this message's WAL starts
  Lsn wal_end;    // the server's current end of WAL
  PgTimestamp send_time;
  std::string_view data;  // the pgoutput message, a view into the frame
};

// 'k': the server's heartbeat.
struct PrimaryKeepalive {
  Lsn wal_end;  // the server's current end of WAL
  PgTimestamp send_time;
  bool reply_requested;  // answer with a status update now, or risk wal_sender_timeout
};

using ReplicationMessage = std::variant<XLogData, PrimaryKeepalive>;

// Decodes one CopyData payload from the server. Errors name the frame type, the byte offset and
// what was expected.
Result<ReplicationMessage> decode_replication_message(std::string_view copy_data);

// 'r': what we tell the server. PostgreSQL keeps WAL from flushed_lsn on, and a logical slot's
// confirmed_flush_lsn follows it: it must never pass an event Kafka has not acknowledged.
struct StandbyStatusUpdate {
  Lsn written_lsn;
  Lsn flushed_lsn;
  Lsn applied_lsn;
  PgTimestamp client_time;
  bool reply_requested = false;
};

inline constexpr std::size_t kStandbyStatusUpdateSize = 34;

// The 34-byte CopyData payload: 'r', three Int64 LSNs, Int64 time, Byte1 reply flag.
std::array<char, kStandbyStatusUpdateSize> encode_standby_status_update(
    const StandbyStatusUpdate& update);

}  // namespace outbox
