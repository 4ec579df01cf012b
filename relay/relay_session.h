// One streaming session: a replication stream, the sink, the LSN tracker and the loop that
// joins them, on one thread.
//
// The loop waits (poll) on the PostgreSQL socket, the sink's wake-up descriptor, the signal
// descriptor and the next deadline. It reads PostgreSQL only while fewer than
// max_in_flight_events are in flight: beyond that, TCP back-pressure reaches the walsender and
// memory stays bounded however large a transaction is, while deliveries, status updates and
// signals are still served.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "config/config.h"
#include "decoder/pgoutput_decoder.h"
#include "decoder/relation_cache.h"
#include "relay/delivery_ticket.h"
#include "relay/lsn_tracker.h"
#include "relay/outbox_mapper.h"
#include "relay/relay_probe.h"
#include "relay/replication_stream.h"
#include "relay/signals.h"
#include "relay/systemd_notifier.h"
#include "sinks/sink.h"

namespace outbox {

enum class SessionEnd {
  kStopped,         // a signal asked for it; what was delivered is confirmed
  kConnectionLost,  // PostgreSQL went away (or fell silent): reconnect and resume
  kSinkFatal,       // the sink can deliver nothing more: replace it and resume
  kHalted,          // an event could not be published and on_permanent_error is halt
  kProtocolError,   // the stream is malformed or the outbox table unusable: stop
};

// Logs each batch of SIGHUPs once: the relay keeps running, and says that a changed
// configuration needs a restart.
void report_hangups(SignalWatch& signals, const Logger& log);

struct SessionResult {
  SessionEnd end;
  std::string reason;
  Lsn confirmed;  // the last position confirmable when the session ended
};

// Counters of one session, for the summary line it logs when it ends.
struct SessionStats {
  std::uint64_t events_published = 0;  // accepted by the sink
  std::uint64_t events_delivered = 0;  // acknowledged
  std::uint64_t events_failed = 0;     // could not be published or delivered
  std::uint64_t events_dead_lettered = 0;
  std::uint64_t events_skipped = 0;
  std::uint64_t transactions = 0;
  std::uint64_t backpressure_episodes = 0;
};

class RelaySession : private DeliveryHandler {
 public:
  // `generation` tells this session's delivery reports from a previous session's, which may
  // still arrive from a sink that outlived its session.
  RelaySession(const Config& config, Sink& sink, ReplicationStream stream, Lsn start,
               std::uint32_t generation, SignalWatch& signals, RelayProbe& probe,
               SystemdNotifier& systemd);

  SessionResult run();

  const SessionStats& stats() const { return stats_; }

 private:
  using Clock = std::chrono::steady_clock;

  // A record the sink could not take yet (queue full), kept with the frame its views point into.
  struct StalledRecord {
    PgBuffer frame;
    MappedEvent event;
    DeliveryTicket ticket;
  };
  // A dead letter waiting for room in the sink; owns its bytes.
  struct PendingDeadLetter {
    std::string topic, key, value;
    std::vector<std::pair<std::string, std::string>> headers;
    std::int64_t timestamp_ms;
    DeliveryTicket ticket;
  };

  void on_delivery(const DeliveryReport& report) override;

  bool paused();
  // Reads and handles frames already received; returns false when the session must end.
  bool pump_frames(bool& more);
  bool handle_frame(PgBuffer frame, std::size_t length);
  bool handle_message(const PgoutputMessage& message, PgBuffer& frame);
  bool handle_insert(const Insert& insert, PgBuffer& frame);
  void publish_event(MappedEvent event, DeliveryTicket ticket, PgBuffer& frame);
  void retry_stalled();
  // Applies on_permanent_error to an event that cannot be published or was not delivered.
  // `keep_value`: whether a dead letter may carry the record's value (not when Kafka refused the
  // record itself, e.g. as too large: it would refuse the dead letter too).
  // Reports the loop's state to the probe (once per iteration).
  void observe();
  void permanent_failure(DeliveryTicket ticket, FailureReason reason, const std::string& why,
                         const OutgoingRecord* record, std::string_view event_id, bool keep_value);
  // A delivery the sink abandoned (a fatal producer error purged it): not the event's failure.
  void sink_failed(const std::string& why);
  void dead_letter(DeliveryTicket ticket, const std::string& why, const OutgoingRecord* record,
                   std::string_view event_id, bool keep_value);
  void publish_dead_letters();
  // Serves delivery reports until nothing is in flight, the sink fails or `deadline` passes,
  // serving signals (a second one ends the wait) and the watchdog meanwhile.
  void drain_deliveries(Clock::time_point deadline);
  bool send_status(bool force);
  // Ends the session when the server has been silent for source.liveness_timeout_ms while the
  // relay was reading; asks for a reply halfway there. False when the session ended.
  bool check_liveness(Clock::time_point now);
  // Whether the loop reads PostgreSQL now (not stopping, not under back-pressure).
  bool reading() { return !stopping_ && !paused(); }
  void end(SessionEnd end, std::string reason);
  SessionResult finish();

  DeliveryTicket ticket_of(LsnTracker::Ticket tracker_ticket, bool dead_letter) const;

  const Config& config_;
  Sink& sink_;
  ReplicationStream stream_;
  SignalWatch& signals_;
  RelayProbe& probe_;
  SystemdNotifier& systemd_;
  Clock::time_point next_watchdog_ping_{};
  std::uint32_t generation_;
  Logger log_{"relay"};

  PgoutputDecoder decoder_;
  RelationCache relations_;
  OutboxMapper mapper_;
  LsnTracker tracker_;

  std::int64_t commit_time_ms_ = 0;
  Lsn received_lsn_;
  Lsn server_lsn_;  // the server's WAL end, as last reported
  Lsn last_sent_flush_;
  Clock::time_point last_observed_{};
  PgTimestamp deliveries_served_at_;  // when the current batch of delivery reports is served
  std::uint64_t sink_failures_seen_ = 0;
  Clock::time_point last_status_sent_{};
  bool reply_due_ = false;
  // Liveness: when the server was last heard from while reading, and whether the relay has
  // asked it for a reply since.
  Clock::time_point last_heard_{};
  bool reply_asked_ = false;

  std::optional<StalledRecord> stalled_;
  std::deque<PendingDeadLetter> dead_letters_;
  bool backpressure_ = false;
  bool over_limit_ = false;

  bool stopping_ = false;
  Clock::time_point stop_deadline_{};
  std::optional<SessionResult> result_;

  SessionStats stats_;
  RateLimit failure_log_limit_{5, std::chrono::seconds(10)};
};

// How long a session that lost its PostgreSQL connection waits for the deliveries it started
// before the relay reconnects.
inline constexpr std::chrono::seconds kReconnectDrainTimeout{10};

}  // namespace outbox
