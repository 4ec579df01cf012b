#include "relay/pg_replication_stream.h"

namespace outbox {

Result<std::unique_ptr<PgReplicationStream>> PgReplicationStream::start(
    PgConnection connection, const std::string& slot, const std::string& publication, Lsn start) {
  // Without `streaming` the server sends only committed transactions, whole: a rolled-back
  // transaction can never reach Kafka.
  const std::string command = "START_REPLICATION SLOT " + quote_identifier(slot) + " LOGICAL " +
                              start.to_string() + " (proto_version '1', publication_names " +
                              quote_literal(quote_identifier(publication)) + ", messages 'true')";
  PgResult result(PQexec(connection.raw(), command.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COPY_BOTH) {
    const std::string message = connection.last_error();
    if (!connection.alive()) {
      return Error{ErrorCode::kConnectionLost, "START_REPLICATION: connection lost: " + message};
    }
    const char* sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    // 55006 object_in_use: another connection streams from the slot (another relay?). A server
    // shutting down or not accepting connections yet passes too.
    const bool retry = sqlstate != nullptr &&
                       (std::string_view(sqlstate) == "55006" || is_transient_sqlstate(sqlstate));
    return Error{retry ? ErrorCode::kConnectionLost : ErrorCode::kServerRefused,
                 "START_REPLICATION failed: " + message};
  }
  if (PQsetnonblocking(connection.raw(), 1) != 0) {
    return Error{ErrorCode::kConnectionLost,
                 "cannot make the replication connection non-blocking: " + connection.last_error()};
  }
  return std::unique_ptr<PgReplicationStream>(new PgReplicationStream(std::move(connection)));
}

Error PgReplicationStream::lost(const std::string& what) const {
  return Error{ErrorCode::kConnectionLost,
               "replication connection: " + what + ": " + connection_.last_error()};
}

int PgReplicationStream::socket() const { return PQsocket(connection_.raw()); }

Result<ReplicationStream::ReadStatus> PgReplicationStream::next_frame(ReplicationFrame& frame) {
  char* buffer = nullptr;
  const int received = PQgetCopyData(connection_.raw(), &buffer, /*async=*/1);
  if (received > 0) {
    frame = ReplicationFrame(buffer, static_cast<std::size_t>(received), &PQfreemem);
    return ReadStatus::kFrame;
  }
  if (received == 0) return ReadStatus::kNeedInput;
  if (received == -1) {
    // The server ended COPY: collect the final result to learn why.
    PgResult result(PQgetResult(connection_.raw()));
    if (PQresultStatus(result.get()) == PGRES_COMMAND_OK) return ReadStatus::kEnded;
    return lost("the server ended the stream");
  }
  return lost("reading");
}

Result<void> PgReplicationStream::consume_input() {
  if (PQconsumeInput(connection_.raw()) == 0) return lost("reading");
  return {};
}

Result<void> PgReplicationStream::send_status(const StandbyStatusUpdate& update) {
  const auto frame = encode_standby_status_update(update);
  if (PQputCopyData(connection_.raw(), frame.data(), static_cast<int>(frame.size())) != 1) {
    return lost("sending a status update");
  }
  return flush();
}

Result<void> PgReplicationStream::flush() {
  const int status = PQflush(connection_.raw());
  if (status < 0) return lost("sending");
  wants_write_ = status == 1;
  return {};
}

}  // namespace outbox
