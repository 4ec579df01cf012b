#include "relay/relay_session.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace outbox {
namespace {

// Frames handled before the loop looks at deliveries, signals and deadlines again.
constexpr int kFramesPerBatch = 1024;
// The least time between two status updates sent because the confirmed position moved.
constexpr auto kMinStatusGap = std::chrono::milliseconds(10);

std::string_view header_value(const OutgoingRecord& record, std::string_view name) {
  for (const auto& header : record.headers) {
    if (header.name == name) return header.value;
  }
  return {};
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void report_hangups(SignalWatch& signals, const Logger& log) {
  if (const int hangups = signals.take_hangups(); hangups > 0) {
    log.warn(
        "SIGHUP received: the configuration is not reloaded; restart the relay to apply "
        "changes (it goes on as before)",
        {{"signals", std::to_string(hangups)}});
  }
}

RelaySession::RelaySession(const Config& config, Sink& sink, ReplicationStream stream, Lsn start,
                           std::uint32_t generation, SignalWatch& signals, RelayProbe& probe,
                           SystemdNotifier& systemd)
    : config_(config),
      sink_(sink),
      stream_(std::move(stream)),
      signals_(signals),
      probe_(probe),
      systemd_(systemd),
      generation_(SessionTicket::generation_of(generation)),
      decoder_(PgoutputOptions{.protocol_version = 1}),
      mapper_(config),
      tracker_(start),
      received_lsn_(start),
      server_lsn_(start),
      last_sent_flush_(start),
      sink_failures_seen_(sink.connection_failures()) {}

DeliveryTicket RelaySession::ticket_of(LsnTracker::Ticket tracker_ticket, bool dead_letter) const {
  return SessionTicket{
      .transaction = tracker_ticket, .generation = generation_, .dead_letter = dead_letter}
      .encode();
}

bool RelaySession::paused() {
  // Hysteresis: stop reading at the limit, read again only once a tenth of it has drained, so
  // back-pressure does not flap (and log) at every delivery. What counts: this session's events
  // not yet done, every record in the sink (one left by an earlier session too), and the
  // transactions the tracker keeps (delivered ones behind an undelivered one hold an entry each).
  const std::size_t committed_entries = tracker_.entries() - (tracker_.transaction_open() ? 1 : 0);
  const std::size_t in_flight =
      std::max({tracker_.in_flight_events(), sink_.in_flight(), committed_entries});
  const std::size_t limit = config_.sink.max_in_flight_events;
  if (in_flight >= limit) {
    over_limit_ = true;
  } else if (over_limit_ && in_flight <= limit - limit / 10) {
    over_limit_ = false;
  }
  return stalled_.has_value() || !dead_letters_.empty() || over_limit_;
}

void RelaySession::end(SessionEnd end, std::string reason) {
  if (!result_) result_ = SessionResult{end, std::move(reason), tracker_.confirmable()};
}

SessionResult RelaySession::run() {
  log_.info("streaming", {{"slot", config_.source.slot},
                          {"from", tracker_.confirmable().to_string()},
                          {"publication", config_.source.publication}});
  last_status_sent_ = Clock::now();
  last_observed_ = last_status_sent_;
  last_heard_ = last_status_sent_;
  probe_.streaming(true);
  // The relay is up and streaming: systemd's start job is done (later calls update the status).
  systemd_.ready("streaming from " + tracker_.confirmable().to_string());
  while (true) {
    observe();
    report_hangups(signals_, log_);
    if (signals_.poll() > 0 && !stopping_) {
      stopping_ = true;
      stop_deadline_ = signals_.stop_deadline();
      systemd_.stopping("stopping: waiting for " + std::to_string(sink_.in_flight()) +
                        " outstanding deliveries");
      log_.info("stopping: no more reading; waiting for outstanding deliveries",
                {{"in_flight", std::to_string(sink_.in_flight())},
                 {"timeout_s", std::to_string(kStopTimeout.count())}});
    }
    if (signals_.received() >= 2) {
      log_.warn(
          "second signal: stopping at once; unconfirmed events will be sent again on restart");
      end(SessionEnd::kStopped, "stopped at once by a second signal");
      return finish();
    }
    if (stopping_ && !result_ && (sink_.in_flight() == 0 || Clock::now() >= stop_deadline_)) {
      end(SessionEnd::kStopped, sink_.in_flight() == 0
                                    ? "stopped by a signal"
                                    : "stopped by a signal with deliveries still outstanding");
    }
    if (result_) return finish();

    bool more_frames = false;
    if (!stopping_ && !paused()) {
      if (!pump_frames(more_frames)) return finish();
    }

    deliveries_served_at_ = PgTimestamp::from_system(std::chrono::system_clock::now());
    sink_.poll_deliveries(*this);
    retry_stalled();
    publish_dead_letters();
    if (const auto fatal = sink_.fatal_error()) {
      end(SessionEnd::kSinkFatal, *fatal);
      return finish();
    }
    if (result_) continue;

    const bool now_paused = paused();
    if (now_paused != backpressure_) {
      backpressure_ = now_paused;
      if (now_paused) ++stats_.backpressure_episodes;
      // Silence while not reading says nothing about the server: count afresh from here.
      if (!now_paused) last_heard_ = Clock::now();
      log_.info(now_paused ? "back-pressure on: not reading PostgreSQL until deliveries catch up"
                           : "back-pressure off",
                {{"in_flight", std::to_string(tracker_.in_flight_events())}});
    }
    if (!send_status(false)) return finish();

    // Wait for the socket, deliveries, a signal or the next status deadline.
    pollfd fds[3];
    nfds_t count = 0;
    const bool read_now = reading();
    fds[count++] = {
        stream_.socket(),
        static_cast<short>((read_now ? POLLIN : 0) | (stream_.wants_write() ? POLLOUT : 0)), 0};
    if (sink_.wakeup_fd() >= 0) fds[count++] = {sink_.wakeup_fd(), POLLIN, 0};
    fds[count++] = {signals_.fd(), POLLIN, 0};
    auto deadline = last_status_sent_ + config_.source.status_interval;
    if (stopping_) deadline = std::min(deadline, stop_deadline_);
    if (read_now && config_.source.liveness_timeout.count() > 0) {
      deadline =
          std::min(deadline, last_heard_ + (reply_asked_ ? config_.source.liveness_timeout
                                                         : config_.source.liveness_timeout / 2));
    }
    int timeout_ms = static_cast<int>(std::clamp<std::int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count() + 1,
        0, 1000));
    // Work left without waiting for anything: frames already buffered, deliveries to serve
    // without a descriptor, or records waiting for room.
    const bool reports_waiting = sink_.wakeup_fd() < 0 && sink_.in_flight() > 0;
    if (more_frames || reports_waiting) {
      timeout_ms = 0;
    } else if (stalled_ || !dead_letters_.empty()) {
      timeout_ms = std::min(timeout_ms, 10);
    }
    if (::poll(fds, count, timeout_ms) < 0 && errno != EINTR) {
      end(SessionEnd::kConnectionLost, std::string("poll: ") + std::strerror(errno));
      continue;
    }
    if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
      if (auto consumed = stream_.consume_input(); !consumed.ok()) {
        end(SessionEnd::kConnectionLost, consumed.error().message());
        continue;
      }
    }
    if (fds[0].revents & POLLOUT) {
      if (auto flushed = stream_.flush(); !flushed.ok()) {
        end(SessionEnd::kConnectionLost, flushed.error().message());
      }
    }
  }
}

bool RelaySession::pump_frames(bool& more) {
  for (int handled = 0; handled < kFramesPerBatch; ++handled) {
    if (paused() || result_) return !result_.has_value();
    PgBuffer frame;
    std::size_t length = 0;
    auto status = stream_.next_frame(frame, length);
    if (!status.ok()) {
      end(SessionEnd::kConnectionLost, status.error().message());
      return false;
    }
    if (*status == ReplicationStream::ReadStatus::kNeedInput) return true;
    if (*status == ReplicationStream::ReadStatus::kEnded) {
      end(SessionEnd::kConnectionLost, "the server ended the replication stream");
      return false;
    }
    if (!handle_frame(std::move(frame), length)) return false;
  }
  more = true;
  return true;
}

bool RelaySession::handle_frame(PgBuffer frame, std::size_t length) {
  last_heard_ = Clock::now();
  reply_asked_ = false;
  const std::string_view bytes(frame.get(), length);
  const auto message = decode_replication_message(bytes);
  if (!message.ok()) {
    end(SessionEnd::kProtocolError,
        message.error().message() + " (after " + received_lsn_.to_string() + ")");
    return false;
  }
  if (const auto* keepalive = std::get_if<PrimaryKeepalive>(&*message)) {
    server_lsn_ = std::max(server_lsn_, keepalive->wal_end);
    tracker_.server_position(keepalive->wal_end);
    if (keepalive->reply_requested) reply_due_ = true;
    return true;
  }
  const auto& xlog = std::get<XLogData>(*message);
  received_lsn_ = std::max(received_lsn_, xlog.wal_end);
  server_lsn_ = std::max(server_lsn_, xlog.wal_end);
  const auto decoded = decoder_.decode(xlog.data);
  if (!decoded.ok()) {
    end(SessionEnd::kProtocolError,
        decoded.error().message() + " (at " + xlog.wal_start.to_string() + ")");
    return false;
  }
  return handle_message(*decoded, frame);
}

bool RelaySession::handle_message(const PgoutputMessage& message, PgBuffer& frame) {
  if (const auto* begin = std::get_if<Begin>(&message)) {
    if (auto started = tracker_.begin_transaction(begin->commit_time); !started.ok()) {
      end(SessionEnd::kProtocolError, started.error().message());
      return false;
    }
    commit_time_ms_ = begin->commit_time.unix_millis();
  } else if (const auto* commit = std::get_if<Commit>(&message)) {
    if (auto committed = tracker_.commit_transaction(commit->end_lsn); !committed.ok()) {
      end(SessionEnd::kProtocolError, committed.error().message());
      return false;
    }
    ++stats_.transactions;
  } else if (const auto* relation = std::get_if<Relation>(&message)) {
    const auto& cached = relations_.update(*relation);
    if (auto known = mapper_.on_relation(cached); !known.ok()) {
      end(SessionEnd::kProtocolError, known.error().message());
      return false;
    }
  } else if (const auto* insert = std::get_if<Insert>(&message)) {
    return handle_insert(*insert, frame);
  }
  // Update, Delete, Truncate, Type, Origin and logical messages are not events.
  return true;
}

bool RelaySession::handle_insert(const Insert& insert, PgBuffer& frame) {
  if (!mapper_.is_outbox(insert.relation_id)) return true;
  auto event = mapper_.map(insert.new_tuple, commit_time_ms_);
  if (!event.ok() && event.error().code() == ErrorCode::kMalformedMessage) {
    end(SessionEnd::kProtocolError, event.error().message());
    return false;
  }
  auto ticket = tracker_.add_event();
  if (!ticket.ok()) {
    end(SessionEnd::kProtocolError, ticket.error().message());
    return false;
  }
  if (!event.ok()) {
    // The row cannot become a record (a NULL required column, an invalid topic name). The policy
    // gets what the row does carry: logs name the event, and a dead letter keeps it.
    const MappedEvent partial = mapper_.salvage(insert.new_tuple, commit_time_ms_);
    permanent_failure(ticket_of(*ticket, false), FailureReason::kUnroutable,
                      event.error().message(), &partial.record, partial.event_id,
                      /*keep_value=*/true);
    return !result_.has_value();
  }
  publish_event(std::move(event).value(), ticket_of(*ticket, false), frame);
  return !result_.has_value();
}

void RelaySession::publish_event(MappedEvent event, DeliveryTicket ticket, PgBuffer& frame) {
  const auto outcome = sink_.publish(event.record, ticket);
  switch (outcome.status) {
    case PublishStatus::kAccepted:
      ++stats_.events_published;
      return;
    case PublishStatus::kQueueFull:
      stalled_ = StalledRecord{std::move(frame), event, ticket};
      return;
    case PublishStatus::kRejected:
      permanent_failure(ticket, FailureReason::kRejected, outcome.error, &event.record,
                        event.event_id, /*keep_value=*/false);
      return;
    case PublishStatus::kFatal:
      end(SessionEnd::kSinkFatal, outcome.error);
      return;
  }
}

void RelaySession::retry_stalled() {
  if (!stalled_ || result_) return;
  StalledRecord stalled = std::move(*stalled_);
  stalled_.reset();
  publish_event(stalled.event, stalled.ticket, stalled.frame);
}

void RelaySession::on_delivery(const DeliveryReport& report) {
  const SessionTicket ticket = SessionTicket::decode(report.ticket);
  if (ticket.generation != generation_) return;  // an earlier session's record
  const bool dead_letter = ticket.dead_letter;
  if (!report.delivered && report.failure == DeliveryFailure::kAbandoned) {
    // Purged by a fatal producer error: Kafka never judged the record. No policy applies; the
    // event stays pending, so nothing past it is confirmed, and the restarted pipeline sends it.
    sink_failed(report.error);
    return;
  }
  const LsnTracker::Ticket tracker_ticket = ticket.transaction;
  if (report.delivered) {
    if (dead_letter) {
      ++stats_.events_dead_lettered;
      probe_.event_dead_lettered();
    } else {
      ++stats_.events_delivered;
      probe_.event_published(report.record.topic);
      // One clock reading per batch of reports (taken before serving them): reading the clock
      // per event showed in profiles, and a batch is served within microseconds.
      const auto committed = tracker_.commit_time(tracker_ticket);
      probe_.commit_to_ack(std::chrono::microseconds(deliveries_served_at_.micros_since_2000() -
                                                     committed.micros_since_2000()));
    }
    tracker_.event_done(tracker_ticket);
    return;
  }
  if (dead_letter) {
    ++stats_.events_failed;
    probe_.event_failed(FailureReason::kDeadLetterFailed);
    log_.error("the dead-letter topic refused an event; halting without confirming past it",
               {{"topic", std::string(report.record.topic)}, {"error", report.error}});
    end(SessionEnd::kHalted, "dead-letter topic " + std::string(report.record.topic) +
                                 " refused an event: " + report.error);
    return;
  }
  permanent_failure(report.ticket, FailureReason::kDeliveryFailed,
                    "delivery failed: " + report.error, &report.record,
                    header_value(report.record, "id"),
                    /*keep_value=*/report.failure != DeliveryFailure::kRecord);
}

void RelaySession::sink_failed(const std::string& why) {
  if (result_) return;
  log_.error(
      "the sink abandoned deliveries after a fatal producer error; restarting the pipeline "
      "without confirming past them",
      {{"error", why}});
  end(SessionEnd::kSinkFatal, sink_.fatal_error().value_or(why));
}

void RelaySession::permanent_failure(DeliveryTicket ticket, FailureReason reason,
                                     const std::string& why, const OutgoingRecord* record,
                                     std::string_view event_id, bool keep_value) {
  ++stats_.events_failed;
  probe_.event_failed(reason);
  const std::string id = event_id.empty() ? std::string("?") : std::string(event_id);
  const std::string topic =
      record && !record->topic.empty() ? std::string(record->topic) : std::string("-");
  switch (config_.sink.on_permanent_error) {
    case PermanentErrorPolicy::kHalt:
      log_.error(
          "an event cannot be published; halting (on_permanent_error: halt). Nothing past "
          "it is confirmed: fix the cause and restart, or choose dlq or skip",
          {{"event_id", id}, {"topic", topic}, {"error", why}});
      end(SessionEnd::kHalted, "event " + id + ": " + why);
      return;
    case PermanentErrorPolicy::kSkip: {
      long suppressed = 0;
      if (failure_log_limit_.allow(suppressed)) {
        log_.warn("skipping an event that cannot be published (on_permanent_error: skip)",
                  {{"event_id", id},
                   {"topic", topic},
                   {"error", why},
                   {"suppressed", std::to_string(suppressed)}});
      }
      ++stats_.events_skipped;
      probe_.event_skipped();
      tracker_.event_done(SessionTicket::decode(ticket).transaction);
      return;
    }
    case PermanentErrorPolicy::kDlq:
      dead_letter(ticket, why, record, event_id, keep_value);
      return;
  }
}

void RelaySession::dead_letter(DeliveryTicket ticket, const std::string& why,
                               const OutgoingRecord* record, std::string_view event_id,
                               bool keep_value) {
  long suppressed = 0;
  if (failure_log_limit_.allow(suppressed)) {
    log_.warn("dead-lettering an event that cannot be published",
              {{"event_id", std::string(event_id)},
               {"dlq_topic", config_.sink.dlq_topic},
               {"error", why},
               {"suppressed", std::to_string(suppressed)}});
  }
  PendingDeadLetter letter;
  letter.topic = config_.sink.dlq_topic;
  SessionTicket letter_ticket = SessionTicket::decode(ticket);
  letter_ticket.dead_letter = true;
  letter.ticket = letter_ticket.encode();
  // Now, not the event's time: the broker may have refused the record for its timestamp, and
  // would refuse a dead letter carrying it too. The original goes into a header.
  letter.timestamp_ms = now_unix_ms();
  if (record != nullptr) {
    letter.key.assign(record->key);
    if (keep_value) letter.value.assign(record->value);
    for (const auto& header : record->headers) {
      letter.headers.emplace_back(std::string(header.name), std::string(header.value));
    }
    if (!record->topic.empty()) {
      letter.headers.emplace_back("outbox.original_topic", std::string(record->topic));
    }
  }
  if (!event_id.empty() && (!record || header_value(*record, "id").empty())) {
    letter.headers.emplace_back("id", std::string(event_id));
  }
  letter.headers.emplace_back("outbox.error", why);
  letter.headers.emplace_back("outbox.original_timestamp",
                              std::to_string(record ? record->timestamp_ms : commit_time_ms_));
  letter.headers.emplace_back("outbox.table", config_.source.table);
  dead_letters_.push_back(std::move(letter));
  publish_dead_letters();
}

void RelaySession::publish_dead_letters() {
  while (!dead_letters_.empty() && !result_) {
    const PendingDeadLetter& letter = dead_letters_.front();
    std::vector<RecordHeader> headers;
    for (const auto& [name, value] : letter.headers) headers.push_back({name, value});
    OutgoingRecord record{letter.topic, letter.key, letter.value, headers, letter.timestamp_ms};
    const auto outcome = sink_.publish(record, letter.ticket);
    if (outcome.status == PublishStatus::kQueueFull) return;
    if (outcome.status == PublishStatus::kFatal) {
      end(SessionEnd::kSinkFatal, outcome.error);
      return;
    }
    if (outcome.status == PublishStatus::kRejected) {
      probe_.event_failed(FailureReason::kDeadLetterFailed);
      log_.error("the dead-letter topic refused an event; halting without confirming past it",
                 {{"topic", letter.topic}, {"error", outcome.error}});
      end(SessionEnd::kHalted,
          "dead-letter topic " + letter.topic + " refused an event: " + outcome.error);
      return;
    }
    dead_letters_.pop_front();
  }
}

bool RelaySession::check_liveness(Clock::time_point now) {
  const auto timeout = config_.source.liveness_timeout;
  if (timeout.count() <= 0 || result_ || !reading()) return true;
  if (now - last_heard_ < timeout) return true;
  end(SessionEnd::kConnectionLost,
      "nothing from the server for " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard_).count()) +
          " ms, not even the reply to a status update that asked for one "
          "(source.liveness_timeout_ms = " +
          std::to_string(timeout.count()) + "): taking the connection for dead");
  return false;
}

bool RelaySession::send_status(bool force) {
  const auto now = Clock::now();
  if (!check_liveness(now)) return false;
  // Halfway to the liveness timeout with nothing heard: ask the server to answer (a walsender
  // replies to such an update with a keepalive at once).
  const bool ask_reply = config_.source.liveness_timeout.count() > 0 && !reply_asked_ &&
                         reading() && now - last_heard_ >= config_.source.liveness_timeout / 2;
  const Lsn confirmable = tracker_.confirmable();
  const bool moved = confirmable > last_sent_flush_ && now - last_status_sent_ >= kMinStatusGap;
  const bool due = now - last_status_sent_ >= config_.source.status_interval;
  if (!force && !reply_due_ && !moved && !due && !ask_reply) return true;
  const StandbyStatusUpdate update{
      .written_lsn = std::max(received_lsn_, confirmable),
      .flushed_lsn = confirmable,
      .applied_lsn = confirmable,
      .client_time = PgTimestamp::from_system(std::chrono::system_clock::now()),
      .reply_requested = ask_reply};
  if (auto sent = stream_.send_status(update); !sent.ok()) {
    end(SessionEnd::kConnectionLost, sent.error().message());
    return false;
  }
  if (confirmable > last_sent_flush_) {
    log_.debug("confirmed", {{"lsn", confirmable.to_string()}});
  }
  last_sent_flush_ = confirmable;
  last_status_sent_ = now;
  if (ask_reply) {
    reply_asked_ = true;
    log_.debug("asked the server for a reply: nothing heard for half of liveness_timeout_ms");
  }
  if (!stopping_) systemd_.status("streaming, confirmed " + confirmable.to_string());
  reply_due_ = false;
  return true;
}

void RelaySession::observe() {
  const auto now = Clock::now();
  probe_.heartbeat();
  // The loop turns at least once a second (poll's timeout), so the watchdog hears from every
  // turn that is due.
  if (systemd_.watchdog_interval().count() > 0 && now >= next_watchdog_ping_) {
    systemd_.watchdog_ping();
    next_watchdog_ping_ = now + systemd_.watchdog_interval();
  }
  if (backpressure_) probe_.backpressure(now - last_observed_);
  last_observed_ = now;
  probe_.in_flight(tracker_.in_flight_events());
  probe_.positions(received_lsn_, last_sent_flush_, server_lsn_);
  if (const auto oldest = tracker_.oldest_pending_commit_time()) {
    probe_.lag(std::chrono::microseconds(
        PgTimestamp::from_system(std::chrono::system_clock::now()).micros_since_2000() -
        oldest->micros_since_2000()));
  } else {
    probe_.lag(std::chrono::seconds(0));
  }
  for (const auto failures = sink_.connection_failures(); sink_failures_seen_ < failures;
       ++sink_failures_seen_) {
    probe_.reconnect(ReconnectTarget::kKafka);
  }
}

void RelaySession::drain_deliveries(Clock::time_point deadline) {
  while (sink_.in_flight() > 0 && !sink_.fatal_error()) {
    observe();
    report_hangups(signals_, log_);
    if (signals_.poll() >= 2) return;
    deadline = std::min(deadline, signals_.stop_deadline());
    deliveries_served_at_ = PgTimestamp::from_system(std::chrono::system_clock::now());
    sink_.poll_deliveries(*this);
    const auto now = Clock::now();
    if (sink_.in_flight() == 0 || now >= deadline) return;
    pollfd fds[2];
    nfds_t count = 0;
    fds[count++] = {signals_.fd(), POLLIN, 0};
    if (sink_.wakeup_fd() >= 0) fds[count++] = {sink_.wakeup_fd(), POLLIN, 0};
    // At most a second, so the watchdog and the probe hear from the loop.
    const int timeout_ms =
        sink_.wakeup_fd() < 0
            ? 1
            : static_cast<int>(std::clamp<std::int64_t>(
                  std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count(), 0, 1000));
    ::poll(fds, count, timeout_ms);
  }
}

SessionResult RelaySession::finish() {
  // Whatever ended the session, deliveries already on their way still move the confirmable
  // position: wait for them (bounded, and within the stop deadline once a signal came) unless
  // the operator asked to stop at once. A halt still confirms everything before the failed event,
  // and a reconnect resumes after what was delivered. A stop has waited in the loop already.
  if (result_->end != SessionEnd::kSinkFatal && result_->end != SessionEnd::kStopped &&
      signals_.received() < 2 && sink_.in_flight() > 0) {
    drain_deliveries(Clock::now() +
                     (result_->end == SessionEnd::kConnectionLost
                          ? std::chrono::duration_cast<Clock::duration>(kReconnectDrainTimeout)
                          : std::chrono::duration_cast<Clock::duration>(kStopTimeout)));
  }
  SessionResult result = *result_;
  result.confirmed = tracker_.confirmable();
  // Tell the server how far we got, if the connection still works: a graceful stop confirms
  // everything delivered.
  if (result.end != SessionEnd::kConnectionLost) {
    if (send_status(true)) {
      const auto deadline =
          std::min(Clock::now() + std::chrono::seconds(5),
                   std::max(signals_.stop_deadline(), Clock::now() + std::chrono::seconds(1)));
      while (stream_.wants_write() && Clock::now() < deadline) {
        pollfd fd{stream_.socket(), POLLOUT, 0};
        ::poll(&fd, 1, 100);
        if (!stream_.flush().ok()) break;
      }
    }
  }
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
