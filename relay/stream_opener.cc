#include "relay/stream_opener.h"

#include <poll.h>

#include <chrono>

#include "common/log.h"
#include "relay/bootstrap.h"
#include "relay/pg_connection.h"
#include "relay/pg_replication_stream.h"

namespace outbox {
namespace {

const Logger kLog("relay");

// Whether the slot exists; an error when the server cannot say.
Result<bool> slot_exists(PgConnection& connection, const std::string& slot) {
  auto found = connection.query_value(
      "SELECT 'exists' FROM pg_replication_slots WHERE slot_name = $1", {slot});
  if (!found.ok()) return std::move(found).error();
  return found->has_value();
}

// The leader ends a walsender that still holds the slot: a previous leader's, dead or hung, which
// the server would otherwise keep until wal_sender_timeout. Waits until the slot is free.
Result<void> end_previous_walsender(PgConnection& connection, const std::string& slot,
                                    std::chrono::milliseconds within) {
  const std::string active_pid =
      "SELECT active_pid::text FROM pg_replication_slots WHERE slot_name = $1 AND active";
  auto holder = connection.query_value(active_pid, {slot});
  if (!holder.ok()) return std::move(holder).error();
  if (!holder->has_value()) return {};
  kLog.warn("the slot is still held by another walsender (a previous leader's); ending it",
            {{"slot", slot}, {"walsender_pid", **holder}});
  auto ended = connection.query_value("SELECT pg_terminate_backend($1::int)::text", {**holder});
  if (!ended.ok()) return std::move(ended).error();
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (true) {
    auto still = connection.query_value(active_pid, {slot});
    if (!still.ok()) return std::move(still).error();
    if (!still->has_value()) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error{ErrorCode::kConnectionLost,
                   "the slot " + slot + " is still held by walsender pid " + **still +
                       " after ending pid " + **holder +
                       " (ending a backend needs the same role or pg_signal_backend)"};
    }
    ::poll(nullptr, 0, 20);
  }
}

StepFailure failed(const char* fatal, const char* transient, Error error) {
  return StepFailure{fatal, transient, std::move(error)};
}

}  // namespace

std::variant<OpenedStream, StepFailure> open_stream(const Config& config,
                                                    const StreamHistory& history, RelayProbe& probe,
                                                    bool leading) {
  auto connection = PgConnection::connect(config.source.dsn, PgConnection::Kind::kNormal);
  if (!connection.ok()) {
    return failed("cannot connect to PostgreSQL", "PostgreSQL unreachable", connection.error());
  }
  auto existed = slot_exists(*connection, config.source.slot);
  if (!existed.ok()) {
    return failed("cannot look up the replication slot", "PostgreSQL connection lost",
                  existed.error());
  }
  if (!*existed && history.streamed_from) {
    // Dropped, or a failover to a server without it: nothing kept the WAL after the confirmed
    // position for the relay meanwhile.
    const std::initializer_list<LogField> fields{{"slot", config.source.slot},
                                                 {"confirmed", history.resume.to_string()}};
    if (config.source.on_slot_lost == SlotLostPolicy::kStop) {
      kLog.error(
          "the replication slot the relay streamed from is gone; events committed "
          "after the confirmed position may have been missed. Stopping for an "
          "operator (source.on_slot_lost: stop): check what is missing, then start the "
          "relay again (it creates the slot), or set source.on_slot_lost: recreate",
          fields);
      return failed("", "", Error{ErrorCode::kSlotLost, "slot " + config.source.slot + " is gone"});
    }
    kLog.error(
        "the replication slot the relay streamed from is gone; recreating it "
        "(source.on_slot_lost: recreate): events committed after the confirmed "
        "position and before the new slot may have been missed",
        fields);
  }
  const BootstrapReport report = bootstrap(*connection, config, BootstrapMode::kPrepare);
  if (!report.ok()) {
    for (const auto& line : report.lines) {
      if (!line.ok) kLog.error(line.what + ": " + line.detail);
    }
    return failed("", "not ready to stream",
                  Error{report.failure_code, report.lines.back().detail});
  }

  if (leading) {
    if (auto ended =
            end_previous_walsender(*connection, config.source.slot, config.source.leader_lease / 2);
        !ended.ok()) {
      return failed("cannot take the slot over from the previous leader",
                    "the slot is still held by another walsender", ended.error());
    }
  }
  auto replication = PgConnection::connect(config.source.dsn, PgConnection::Kind::kReplication);
  if (!replication.ok()) {
    return failed("cannot open a replication connection (is it allowed in pg_hba.conf?)",
                  "replication connection failed", replication.error());
  }
  auto identity = identify_system(*replication);
  if (!identity.ok()) {
    return failed("cannot identify the server", "replication connection failed", identity.error());
  }
  Lsn start = std::max(report.slot_confirmed_lsn, history.resume);
  if (history.streamed_from && (report.slot_created || *identity != *history.streamed_from)) {
    start = report.slot_confirmed_lsn;
    probe.slot_recreated();
    kLog.error(
        "the slot is new or on another server: starting at the slot's own position; events "
        "may have been missed between the relay's last confirmed position and the slot's "
        "creation",
        {{"slot", config.source.slot},
         {"slot_position", report.slot_confirmed_lsn.to_string()},
         {"last_confirmed", history.resume.to_string()},
         {"server", identity->to_string()},
         {"previous_server", history.streamed_from->to_string()}});
  }
  auto stream = PgReplicationStream::start(std::move(replication).value(), config.source.slot,
                                           config.source.publication, start);
  if (!stream.ok()) {
    return failed("cannot start streaming", "cannot start streaming", stream.error());
  }
  kLog.info("connected to PostgreSQL", {{"slot", config.source.slot},
                                        {"start", start.to_string()},
                                        {"server", identity->to_string()}});
  return OpenedStream{std::move(stream).value(), start, *identity};
}

}  // namespace outbox
