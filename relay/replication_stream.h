// The logical replication connection once streaming: CopyData frames in, standby status updates
// out, never blocking (the relay's loop polls the socket).
#pragma once

#include <cstdint>
#include <string>

#include "common/lsn.h"
#include "common/result.h"
#include "decoder/replication_message.h"
#include "relay/pg_connection.h"

namespace outbox {

// Which server's history a replication connection reads: IDENTIFY_SYSTEM's system identifier
// (set at initdb; a restore from a base backup keeps it) and timeline (a promoted standby starts
// a new one). Positions compare only within one history.
struct ServerIdentity {
  std::string system_identifier;
  std::uint32_t timeline = 0;
  bool operator==(const ServerIdentity&) const = default;
  std::string to_string() const;
};

// IDENTIFY_SYSTEM on a replication connection (before START_REPLICATION).
Result<ServerIdentity> identify_system(PgConnection& replication);

class ReplicationStream {
 public:
  // START_REPLICATION SLOT <slot> LOGICAL <start> (proto_version '1', publication_names '<pub>',
  // messages 'true') on a replication connection, then non-blocking mode.
  static Result<ReplicationStream> start(PgConnection connection, const std::string& slot,
                                         const std::string& publication, Lsn start);

  int socket() const { return PQsocket(connection_.raw()); }

  enum class ReadStatus { kFrame, kNeedInput, kEnded };

  // The next complete frame already received, if any: kFrame with `frame` owning its bytes,
  // kNeedInput when the socket must be read first, kEnded when the server ended the stream.
  // A lost connection is kConnectionLost.
  Result<ReadStatus> next_frame(PgBuffer& frame, std::size_t& length);

  // Reads what the socket has into libpq's buffer (call when poll says readable).
  Result<void> consume_input();

  // Queues a standby status update and sends what it can.
  Result<void> send_status(const StandbyStatusUpdate& update);

  // True while queued output waits for the socket to become writable.
  bool wants_write() const { return wants_write_; }
  // Sends queued output (call when poll says writable).
  Result<void> flush();

 private:
  explicit ReplicationStream(PgConnection connection) : connection_(std::move(connection)) {}
  Error lost(const std::string& what) const;

  PgConnection connection_;
  bool wants_write_ = false;
};

}  // namespace outbox
