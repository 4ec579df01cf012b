// How a session ends: signals, the stop drain and its deadline, the drain after another end,
// the last status update and the summary line. The loop itself is in relay_session.cc.
#include "relay/relay_session.h"

namespace outbox {

void RelaySession::serve_signals() {
  // Read the signal descriptor only when the wait found it readable: reading it every turn was
  // a system call a turn that found nothing.
  if (signals_signalled_ || signals_.fd() < 0) {
    signals_signalled_ = false;
    signals_.poll();
  }
  report_hangups(signals_, log_);
  if (signals_.received() > 0 && !stopping_) {
    stopping_ = true;
    stop_deadline_ = signals_.stop_deadline();
    systemd_.stopping("stopping: waiting for " + std::to_string(sink_.in_flight()) +
                      " outstanding deliveries");
    log_.info("stopping: no more reading; waiting for outstanding deliveries",
              {{"in_flight", std::to_string(sink_.in_flight())},
               {"timeout_s", std::to_string(kStopTimeout.count())}});
  }
  if (signals_.received() >= 2) {
    log_.warn("second signal: stopping at once; unconfirmed events will be sent again on restart");
    end(SessionEnd::kStopped, "stopped at once by a second signal");
    return;
  }
  if (stopping_ && (sink_.in_flight() == 0 || clock_.now() >= stop_deadline_)) {
    end(SessionEnd::kStopped, sink_.in_flight() == 0
                                  ? "stopped by a signal"
                                  : "stopped by a signal with deliveries still outstanding");
  }
}

void RelaySession::drain_deliveries(Time deadline) {
  while (sink_.in_flight() > 0 && !sink_.fatal_error()) {
    observe();
    report_hangups(signals_, log_);
    if (signals_.poll() >= 2) return;
    deadline = std::min(deadline, signals_.stop_deadline());
    deliveries_served_at_ = PgTimestamp::from_system(clock_.wall_now());
    sink_.poll_deliveries(*this);
    const Time now = clock_.now();
    if (sink_.in_flight() == 0 || now >= deadline) return;
    pollfd fds[2];
    std::size_t count = 0;
    fds[count++] = {signals_.fd(), POLLIN, 0};
    if (sink_.wakeup_fd() >= 0) fds[count++] = {sink_.wakeup_fd(), POLLIN, 0};
    const auto timeout =
        sink_.wakeup_fd() < 0 ? std::chrono::milliseconds(1) : wait_timeout(deadline, now);
    clock_.wait(std::span(fds, count), timeout);
  }
}

SessionResult RelaySession::finish() {
  // Whatever ended the session, deliveries already on their way still move the confirmable
  // position: wait for them (bounded, and within the stop deadline once a signal came) unless
  // the operator asked to stop at once. A halt still confirms everything before the failed event,
  // and a reconnect resumes after what was delivered. A stop has waited in the loop already.
  // A leader that lost its lease stops at once: another relay may be streaming already.
  const bool leadership_lost = result_->end == SessionEnd::kLeadershipLost;
  if (result_->end != SessionEnd::kSinkFatal && result_->end != SessionEnd::kStopped &&
      !leadership_lost && signals_.received() < 2 && sink_.in_flight() > 0) {
    drain_deliveries(clock_.now() +
                     (result_->end == SessionEnd::kConnectionLost
                          ? std::chrono::duration_cast<Time::duration>(kReconnectDrainTimeout)
                          : std::chrono::duration_cast<Time::duration>(kStopTimeout)));
  }
  SessionResult result = *result_;
  result.confirmed = tracker_.confirmable();
  // Tell the server how far we got, if the connection still works: a graceful stop confirms
  // everything delivered.
  if (result.end != SessionEnd::kConnectionLost && !leadership_lost && send_status(true)) {
    const Time deadline =
        std::min(clock_.now() + std::chrono::seconds(5),
                 std::max(signals_.stop_deadline(), clock_.now() + std::chrono::seconds(1)));
    while (stream_->wants_write() && clock_.now() < deadline) {
      pollfd fd{stream_->socket(), POLLOUT, 0};
      clock_.wait(std::span(&fd, 1), std::chrono::milliseconds(100));
      if (!stream_->flush().ok()) break;
    }
  }
  stats_.transactions = reader_.transactions();
  probe_.streaming(false);
  observe();
  log_.info("session ended",
            {{"reason", result.reason},
             {"confirmed", result.confirmed.to_string()},
             {"published", std::to_string(stats_.events_published)},
             {"delivered", std::to_string(stats_.events_delivered)},
             {"failed", std::to_string(stats_.events_failed)},
             {"dead_lettered", std::to_string(stats_.events_dead_lettered)},
             {"skipped", std::to_string(stats_.events_skipped)},
             {"transactions", std::to_string(stats_.transactions)},
             {"backpressure_episodes", std::to_string(stats_.backpressure_episodes)},
             {"in_flight", std::to_string(tracker_.in_flight_events())}});
  return result;
}

}  // namespace outbox
