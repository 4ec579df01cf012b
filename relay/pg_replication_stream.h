// The replication stream over a libpq replication connection once START_REPLICATION succeeded.
#pragma once

#include <memory>
#include <string>

#include "common/lsn.h"
#include "relay/pg_connection.h"
#include "relay/replication_stream.h"

namespace outbox {

class PgReplicationStream final : public ReplicationStream {
 public:
  // START_REPLICATION SLOT <slot> LOGICAL <start> (proto_version '1', publication_names '<pub>',
  // messages 'true') on a replication connection, then non-blocking mode. Another connection on
  // the slot (55006, another relay?) and a server shutting down or starting are kConnectionLost.
  static Result<std::unique_ptr<PgReplicationStream>> start(PgConnection connection,
                                                            const std::string& slot,
                                                            const std::string& publication,
                                                            Lsn start);

  int socket() const override;
  Result<ReadStatus> next_frame(ReplicationFrame& frame) override;
  Result<void> consume_input() override;
  Result<void> send_status(const StandbyStatusUpdate& update) override;
  bool wants_write() const override { return wants_write_; }
  Result<void> flush() override;

 private:
  explicit PgReplicationStream(PgConnection connection) : connection_(std::move(connection)) {}
  Error lost(const std::string& what) const;

  PgConnection connection_;
  bool wants_write_ = false;
};

}  // namespace outbox
