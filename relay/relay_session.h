// One streaming session: a replication stream, the sink, the LSN tracker and the loop that
// joins them, on one thread. docs/relay.md walks through one turn of the loop.
//
// The loop waits on the stream's socket, the sink's wake-up descriptor, the signal descriptor
// and the next deadline. It reads PostgreSQL only while fewer than max_in_flight_events are in
// flight: beyond that, TCP back-pressure reaches the walsender and memory stays bounded however
// large a transaction is, while deliveries, status updates and signals are still served.
//
// Everything it talks to comes in as an interface (stream, sink, signals, probe, clock), so a
// unit test drives it with scripted frames and deliveries in simulated time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/log.h"
#include "config/config.h"
#include "relay/dead_letter_queue.h"
#include "relay/delivery_ticket.h"
#include "relay/failure_policy.h"
#include "relay/frame_reader.h"
#include "relay/in_flight_limit.h"
#include "relay/leader_lease.h"
#include "relay/loop_clock.h"
#include "relay/lsn_tracker.h"
#include "relay/relay_probe.h"
#include "relay/replication_stream.h"
#include "relay/signals.h"
#include "relay/status_schedule.h"
#include "relay/systemd_notifier.h"
#include "sinks/sink.h"

namespace outbox {

// How a session ended, which says what the runner does next.
enum class SessionEnd {
  kStopped,         // a signal asked for it; what was delivered is confirmed
  kConnectionLost,  // PostgreSQL went away (or fell silent): reconnect and resume
  kSinkFatal,       // the sink can deliver nothing more: replace it and resume
  kHalted,          // an event could not be published and on_permanent_error is halt
  kProtocolError,   // the stream is malformed or the outbox table unusable: stop
  kFailed,          // an error no retry cures (see Disposition::kFail): exit
  kLeadershipLost,  // the leader lease ran out or its session is gone: stop at once, be a standby
};

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

// What a session uses and does not own; they outlive it.
struct SessionServices {
  Sink& sink;
  Signals& signals;
  RelayProbe& probe;
  SystemdNotifier& systemd;
  LoopClock& clock;
  // The leader lease the session streams under (relay/leader_lease.h), renewed every turn; null
  // when leadership is off.
  LeaderLease* lease = nullptr;
};

// How long a session that lost its PostgreSQL connection waits for the deliveries it started
// before the relay reconnects.
inline constexpr std::chrono::seconds kReconnectDrainTimeout{10};

class RelaySession : private DeliveryHandler {
 public:
  // `start`: the position the stream starts at. `generation` tells this session's delivery
  // reports from a previous session's, which may still arrive from a sink that outlived it.
  RelaySession(const Config& config, std::unique_ptr<ReplicationStream> stream, Lsn start,
               std::uint32_t generation, const SessionServices& services);

  SessionResult run();

  const SessionStats& stats() const { return stats_; }

 private:
  using Time = LoopClock::SteadyTime;

  // A record the sink could not take yet (queue full), kept with the frame its views point into.
  // Its topic and headers point into the frame reader's mapper too: valid because the loop reads
  // no frame while a record is stalled (paused() is true).
  struct StalledRecord {
    ReplicationFrame frame;
    MappedEvent event;
    DeliveryTicket ticket;
  };

  void on_delivery(const DeliveryReport& report) override;

  // The turn's parts, in order. Each returns false (or sets result_) when the session must end.
  // Renews the lease; false (and the session ends) when it is lost.
  bool renew_lease();
  // Whether the lease still holds, without I/O (LeaderLease::held_at); false, and the session
  // ends, once it may have run out.
  bool lease_held();
  void serve_signals();
  bool pump_frames();
  bool handle_frame(ReplicationFrame frame);
  void serve_sink();
  void track_backpressure();
  bool send_status(bool force);
  void wait();

  void publish_event(const MappedEvent& event, DeliveryTicket ticket, ReplicationFrame& frame);
  void retry_stalled();
  // Counts the failure and applies on_permanent_error (relay/failure_policy.h).
  void fail_event(DeliveryTicket ticket, FailureReason reason, const DeadLetterSource& failure);
  void publish_dead_letters();

  // Whether the loop must not read now: a stalled record or dead letter waits, or too much is
  // in flight (see InFlightLimit).
  bool paused();
  bool reading() { return !stopping_ && !paused(); }
  // Reports the loop's state to the probe and pings the watchdog (once per turn).
  void observe();
  // Serves delivery reports until nothing is in flight, the sink fails or `deadline` passes,
  // serving signals (a second one ends the wait) and the watchdog meanwhile.
  void drain_deliveries(Time deadline);
  void end(SessionEnd end, std::string reason);
  // Ends the session as the error's code says (relay/error_disposition.h).
  void end(const Error& error);
  SessionResult finish();

  DeliveryTicket ticket_of(LsnTracker::Ticket transaction, bool dead_letter) const;
  std::int64_t now_unix_ms() const;

  const Config& config_;
  std::unique_ptr<ReplicationStream> stream_;
  Sink& sink_;
  Signals& signals_;
  RelayProbe& probe_;
  SystemdNotifier& systemd_;
  LoopClock& clock_;
  LeaderLease* lease_;
  std::uint32_t generation_;
  Logger log_{"relay"};

  LsnTracker tracker_;
  FrameReader reader_;
  StatusSchedule schedule_;
  InFlightLimit in_flight_limit_;
  InFlightLimit in_flight_bytes_limit_;
  // record_bytes() of this session's events in flight.
  std::size_t in_flight_bytes_ = 0;
  DeadLetterQueue dead_letters_;
  FailurePolicy policy_;

  // Whether the stream may hold frames already received: the last read found one (not
  // kNeedInput). Such frames do not make the socket readable.
  bool frames_buffered_ = true;
  // Before this time the loop does not wake for frames or reports: it is reading a trickle of
  // small transactions (see kTrickleGap in relay_session.cc).
  Time read_again_at_{};
  // Whether the sink's descriptor said reports are waiting (true until a wait says otherwise).
  bool sink_signalled_ = true;
  // Whether the signal descriptor may be readable (true until a wait says otherwise).
  bool signals_signalled_ = true;
  std::optional<StalledRecord> stalled_;
  bool backpressure_ = false;
  Time last_observed_{};
  Time next_watchdog_ping_{};
  // When the current batch of delivery reports is served (one clock reading per batch).
  PgTimestamp deliveries_served_at_;
  std::uint64_t sink_failures_seen_ = 0;

  bool stopping_ = false;
  Time stop_deadline_{};
  std::optional<SessionResult> result_;

  SessionStats stats_;
};

}  // namespace outbox
