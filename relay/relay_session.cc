#include "relay/relay_session.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "relay/error_disposition.h"

namespace outbox {
namespace {

// Frames handled before the loop looks at deliveries, signals and deadlines again.
constexpr int kFramesPerBatch = 1024;

// A turn that read fewer frames than this and emptied the stream between transactions was busy
// with a trickle: the loop lets kTrickleGap pass before it wakes for frames or delivery reports
// again, so that what arrives meanwhile is read in one turn. A walsender sends every message of a
// transaction separately, so single-row transactions at 2,000 a second would otherwise wake the
// loop 6,000 times a second, and each wake-up costs more than the work it brings. A turn ending
// inside a transaction does not wait: the rest of it is on its way. A turn that read more than
// kTrickleBelowFrames is a backlog, which needs no help to come in batches.
constexpr int kTrickleBelowFrames = 64;
constexpr auto kTrickleGap = std::chrono::milliseconds(1);

}  // namespace

RelaySession::RelaySession(const Config& config, std::unique_ptr<ReplicationStream> stream,
                           Lsn start, std::uint32_t generation, const SessionServices& services)
    : config_(config),
      stream_(std::move(stream)),
      sink_(services.sink),
      signals_(services.signals),
      probe_(services.probe),
      systemd_(services.systemd),
      clock_(services.clock),
      lease_(services.lease),
      generation_(SessionTicket::generation_of(generation)),
      tracker_(start),
      reader_(config, tracker_),
      schedule_(config.source.status_interval, config.source.liveness_timeout, start,
                services.clock.now()),
      in_flight_limit_(config.sink.max_in_flight_events),
      in_flight_bytes_limit_(config.sink.max_in_flight_bytes),
      policy_(config, dead_letters_, log_),
      sink_failures_seen_(services.sink.connection_failures()) {}

DeliveryTicket RelaySession::ticket_of(LsnTracker::Ticket transaction, bool dead_letter) const {
  return SessionTicket{
      .transaction = transaction, .generation = generation_, .dead_letter = dead_letter}
      .encode();
}

std::int64_t RelaySession::now_unix_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.wall_now().time_since_epoch())
      .count();
}

bool RelaySession::paused() {
  // What counts: this session's events not yet done, every record in the sink (one left by an
  // earlier session too), and the transactions the tracker keeps (delivered ones behind an
  // undelivered one hold an entry each).
  const std::size_t committed_entries = tracker_.entries() - (tracker_.transaction_open() ? 1 : 0);
  const bool over = in_flight_limit_.over(
      std::max({tracker_.in_flight_events(), sink_.in_flight(), committed_entries}));
  // Both gates see every turn, so that each keeps its hysteresis.
  const bool over_bytes = in_flight_bytes_limit_.over(in_flight_bytes_);
  return stalled_.has_value() || !dead_letters_.empty() || over || over_bytes;
}

void RelaySession::end(SessionEnd end, std::string reason) {
  if (!result_) result_ = SessionResult{end, std::move(reason), tracker_.confirmable()};
}

void RelaySession::end(const Error& error) {
  switch (disposition_of(error.code())) {
    case Disposition::kRetry:
      return end(SessionEnd::kConnectionLost, error.message());
    case Disposition::kReplaceSink:
      return end(SessionEnd::kSinkFatal, error.message());
    case Disposition::kStopForOperator:
      return end(error.code() == ErrorCode::kUndeliverableEvent ? SessionEnd::kHalted
                                                                : SessionEnd::kProtocolError,
                 error.message());
    case Disposition::kFail:
      return end(SessionEnd::kFailed, error.message());
  }
}

SessionResult RelaySession::run() {
  log_.info("streaming", {{"slot", config_.source.slot},
                          {"from", tracker_.confirmable().to_string()},
                          {"publication", config_.source.publication}});
  last_observed_ = clock_.now();
  probe_.streaming(true);
  // The relay is up and streaming: systemd's start job is done (later calls update the status).
  systemd_.ready("streaming from " + tracker_.confirmable().to_string());
  while (true) {
    // First in the turn: a leader resumed after a stop longer than its lease must not read,
    // publish or confirm anything more.
    if (!renew_lease()) return finish();
    observe();
    serve_signals();
    if (result_) return finish();
    if (reading() && !pump_frames()) return finish();
    serve_sink();
    if (result_) return finish();
    track_backpressure();
    if (!send_status(false)) return finish();
    wait();
  }
}

bool RelaySession::renew_lease() {
  if (lease_ == nullptr) return true;
  if (auto renewed = lease_->renew(clock_.now()); !renewed.ok()) {
    end(SessionEnd::kLeadershipLost, renewed.error().message());
    return false;
  }
  return true;
}

bool RelaySession::lease_held() {
  if (lease_ == nullptr) return true;
  if (lease_->held_at(clock_.now())) return true;
  end(SessionEnd::kLeadershipLost,
      "leadership of slot " + config_.source.slot + " lost: the lease (source.leader_lease_ms " +
          std::to_string(lease_->lease().count()) + ") ran out during a turn of the loop");
  return false;
}

bool RelaySession::pump_frames() {
  // The server is heard from once a batch, not once a frame: liveness counts in seconds, and a
  // clock reading per frame is work on the hot path.
  bool heard = false;
  Time heard_at{};
  read_again_at_ = Time{};
  for (int handled = 0; handled < kFramesPerBatch; ++handled) {
    // Paused with frames perhaps still buffered: frames_buffered_ stays set, so that the loop
    // reads again as soon as it may, without waiting for the socket (which the buffered frames
    // have already left).
    if (paused() || result_) return !result_.has_value();
    if (!lease_held()) return false;
    ReplicationFrame frame;
    auto status = stream_->next_frame(frame);
    if (!status.ok()) {
      end(status.error());
      return false;
    }
    if (*status == ReplicationStream::ReadStatus::kNeedInput) {
      frames_buffered_ = false;
      if (heard && handled < kTrickleBelowFrames && !tracker_.transaction_open()) {
        read_again_at_ = heard_at + kTrickleGap;
      }
      return true;
    }
    if (*status == ReplicationStream::ReadStatus::kEnded) {
      end(SessionEnd::kConnectionLost, "the server ended the replication stream");
      return false;
    }
    frames_buffered_ = true;
    if (!heard) {
      heard_at = clock_.now();
      schedule_.heard(heard_at);
      heard = true;
    }
    if (!handle_frame(std::move(frame))) return false;
  }
  return true;
}

bool RelaySession::handle_frame(ReplicationFrame frame) {
  auto content = reader_.read(frame.bytes());
  if (!content.ok()) {
    end(content.error());
    return false;
  }
  if (content->reply_requested) schedule_.reply_requested();
  switch (content->kind) {
    case FrameContent::Kind::kNothing:
      return true;
    case FrameContent::Kind::kUnroutable:
      fail_event(ticket_of(content->transaction, false), FailureReason::kUnroutable,
                 DeadLetterSource{.record = &content->event.record,
                                  .event_id = content->event.event_id,
                                  .why = content->why,
                                  .keep_value = true});
      break;
    case FrameContent::Kind::kEvent:
      publish_event(content->event, ticket_of(content->transaction, false), frame);
      break;
  }
  return !result_.has_value();
}

void RelaySession::track_backpressure() {
  const bool now_paused = paused();
  if (now_paused == backpressure_) return;
  backpressure_ = now_paused;
  if (now_paused) ++stats_.backpressure_episodes;
  if (!now_paused) schedule_.resume_reading(clock_.now());
  log_.info(now_paused ? "back-pressure on: not reading PostgreSQL until deliveries catch up"
                       : "back-pressure off",
            {{"in_flight", std::to_string(tracker_.in_flight_events())}});
}

bool RelaySession::send_status(bool force) {
  if (!lease_held()) return false;
  const Time now = clock_.now();
  const bool read_now = reading();
  // Once the session is ending, the last update must go out whatever the silence was.
  if (auto alive = schedule_.check_liveness(now, read_now); !alive.ok() && !result_) {
    end(alive.error());
    return false;
  }
  const Lsn confirmable = tracker_.confirmable();
  const auto due = schedule_.due(now, confirmable, read_now, force);
  if (!due.send) return true;
  const StandbyStatusUpdate update{.written_lsn = std::max(reader_.received(), confirmable),
                                   .flushed_lsn = confirmable,
                                   .applied_lsn = confirmable,
                                   .client_time = PgTimestamp::from_system(clock_.wall_now()),
                                   .reply_requested = due.ask_reply};
  if (auto sent = stream_->send_status(update); !sent.ok()) {
    end(sent.error());
    return false;
  }
  if (confirmable > schedule_.last_confirmed()) {
    log_.debug("confirmed", {{"lsn", confirmable.to_string()}});
  }
  schedule_.sent(now, confirmable, due.ask_reply);
  if (due.ask_reply) {
    log_.debug("asked the server for a reply: nothing heard for half of liveness_timeout_ms");
  }
  if (!stopping_) systemd_.status("streaming, confirmed " + confirmable.to_string());
  return true;
}

void RelaySession::wait() {
  pollfd fds[4];
  std::size_t count = 0;
  const bool read_now = reading();
  fds[count++] = {
      stream_->socket(),
      static_cast<short>((read_now ? POLLIN : 0) | (stream_->wants_write() ? POLLOUT : 0)), 0};
  if (sink_.wakeup_fd() >= 0) fds[count++] = {sink_.wakeup_fd(), POLLIN, 0};
  // The lease session's answers, and the server ending it, wake the loop (renewed next turn).
  if (lease_ != nullptr) fds[count++] = {lease_->socket(), POLLIN, 0};
  fds[count++] = {signals_.fd(), POLLIN, 0};
  Time deadline = schedule_.next_deadline(read_now);
  if (stopping_) deadline = std::min(deadline, stop_deadline_);
  if (lease_ != nullptr) deadline = std::min(deadline, lease_->next_deadline());
  const Time now = clock_.now();
  auto timeout = wait_timeout(deadline, now);
  // Work left without waiting for anything: frames already received to read, deliveries to serve
  // without a descriptor, a stop with nothing left to wait for, or records waiting for room.
  const bool reports_waiting = sink_.wakeup_fd() < 0 && sink_.in_flight() > 0;
  const bool stop_done = stopping_ && sink_.in_flight() == 0;
  if ((read_now && frames_buffered_) || reports_waiting || stop_done) {
    timeout = std::chrono::milliseconds(0);
  } else if (stalled_ || !dead_letters_.empty()) {
    timeout = std::min(timeout, std::chrono::milliseconds(10));
  } else if (read_now && now < read_again_at_ && timeout.count() > 0) {
    // A trickle (see kTrickleGap): only a signal ends the gap early; the socket and the sink are
    // looked at without waiting once it is over.
    pollfd signal_fd{signals_.fd(), POLLIN, 0};
    const auto gap = std::min(timeout, wait_timeout(read_again_at_, now));
    if (clock_.wait(std::span(&signal_fd, 1), gap) != 0) {
      signals_signalled_ = true;
      return;
    }
    timeout = std::chrono::milliseconds(0);
  }
  sink_signalled_ = true;  // unless the wait says otherwise
  signals_signalled_ = true;
  if (clock_.wait(std::span(fds, count), timeout) < 0) {
    if (errno != EINTR)
      end(SessionEnd::kConnectionLost, std::string("poll: ") + std::strerror(errno));
    return;
  }
  if (sink_.wakeup_fd() >= 0) sink_signalled_ = (fds[1].revents & POLLIN) != 0;
  signals_signalled_ = (fds[count - 1].revents & POLLIN) != 0;
  if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
    if (auto consumed = stream_->consume_input(); !consumed.ok()) {
      end(consumed.error());
      return;
    }
  }
  if (fds[0].revents & POLLOUT) {
    if (auto flushed = stream_->flush(); !flushed.ok()) end(flushed.error());
  }
}

void RelaySession::observe() {
  const Time now = clock_.now();
  probe_.heartbeat();
  // The loop turns at least once a second (the wait's longest timeout), so the watchdog hears
  // from every turn that is due.
  if (systemd_.watchdog_interval().count() > 0 && now >= next_watchdog_ping_) {
    systemd_.watchdog_ping();
    next_watchdog_ping_ = now + systemd_.watchdog_interval();
  }
  if (backpressure_) probe_.backpressure(now - last_observed_);
  last_observed_ = now;
  probe_.in_flight(tracker_.in_flight_events());
  probe_.positions(reader_.received(), schedule_.last_confirmed(), reader_.server_end());
  if (const auto oldest = tracker_.oldest_pending_commit_time()) {
    probe_.lag(
        std::chrono::microseconds(PgTimestamp::from_system(clock_.wall_now()).micros_since_2000() -
                                  oldest->micros_since_2000()));
  } else {
    probe_.lag(std::chrono::seconds(0));
  }
  for (const auto failures = sink_.connection_failures(); sink_failures_seen_ < failures;
       ++sink_failures_seen_) {
    probe_.reconnect(ReconnectTarget::kKafka);
  }
}

}  // namespace outbox
