// The session's publishing side: handing records to the sink, the record stalled on a full
// queue, delivery reports, and failed events through on_permanent_error and the dead-letter
// queue. The loop itself is in relay_session.cc.
#include "relay/record_headers.h"
#include "relay/relay_session.h"

namespace outbox {

void RelaySession::publish_event(const MappedEvent& event, DeliveryTicket ticket,
                                 ReplicationFrame& frame) {
  const auto outcome = sink_.publish(event.record, ticket);
  switch (outcome.status) {
    case PublishStatus::kAccepted:
      ++stats_.events_published;
      in_flight_bytes_ += record_bytes(event.record);
      return;
    case PublishStatus::kQueueFull:
      stalled_ = StalledRecord{std::move(frame), event, ticket};
      return;
    case PublishStatus::kRejected:
      fail_event(ticket, FailureReason::kRejected,
                 DeadLetterSource{.record = &event.record,
                                  .event_id = event.event_id,
                                  .why = outcome.error,
                                  .keep_value = false});
      return;
    case PublishStatus::kFatal:
      end(Error{ErrorCode::kProducerFatal, outcome.error});
      return;
  }
}

void RelaySession::retry_stalled() {
  if (!stalled_ || result_) return;
  StalledRecord stalled = std::move(*stalled_);
  stalled_.reset();
  publish_event(stalled.event, stalled.ticket, stalled.frame);
}

void RelaySession::serve_sink() {
  // Retrying a stalled record and dead letters publish: not once the lease may have run out.
  if (!lease_held()) return;
  // The sink's descriptor says when reports are waiting; polling the sink without it is a system
  // call per turn for nothing.
  if (sink_signalled_ || sink_.wakeup_fd() < 0) {
    sink_signalled_ = false;
    deliveries_served_at_ = PgTimestamp::from_system(clock_.wall_now());
    sink_.poll_deliveries(*this);
  }
  retry_stalled();
  publish_dead_letters();
  if (const auto fatal = sink_.fatal_error()) end(SessionEnd::kSinkFatal, *fatal);
}

void RelaySession::on_delivery(const DeliveryReport& report) {
  const SessionTicket ticket = SessionTicket::decode(report.ticket);
  if (ticket.generation != generation_) return;  // an earlier session's record
  if (!ticket.dead_letter) {
    // A report carries the record as sent, so the sizes match what publish_event() added; with
    // nothing of the session in flight the count is zero whatever a sink reported.
    in_flight_bytes_ -= std::min(in_flight_bytes_, record_bytes(report.record));
    if (tracker_.in_flight_events() <= 1) in_flight_bytes_ = 0;
  }
  if (!report.delivered && report.failure == DeliveryFailure::kAbandoned) {
    // Purged by a fatal producer error: Kafka never judged the record. No policy applies; the
    // event stays pending, so nothing past it is confirmed, and the restarted pipeline sends it.
    if (!result_) {
      log_.error(
          "the sink abandoned deliveries after a fatal producer error; restarting the pipeline "
          "without confirming past them",
          {{"error", report.error}});
    }
    end(SessionEnd::kSinkFatal, sink_.fatal_error().value_or(report.error));
    return;
  }
  if (report.delivered) {
    if (ticket.dead_letter) {
      ++stats_.events_dead_lettered;
      probe_.event_dead_lettered();
    } else {
      ++stats_.events_delivered;
      probe_.event_published(report.record.topic);
      // One clock reading per batch of reports (taken before serving them): reading the clock
      // per event showed in profiles, and a batch is served within microseconds.
      const auto committed = tracker_.commit_time(ticket.transaction);
      probe_.commit_to_ack(std::chrono::microseconds(deliveries_served_at_.micros_since_2000() -
                                                     committed.micros_since_2000()));
    }
    tracker_.event_done(ticket.transaction);
    return;
  }
  if (ticket.dead_letter) {
    ++stats_.events_failed;
    end(dead_letter_refused(report.record.topic, report.error, probe_, log_));
    return;
  }
  fail_event(report.ticket, FailureReason::kDeliveryFailed,
             DeadLetterSource{.record = &report.record,
                              .event_id = header_value(report.record, "id"),
                              .why = "delivery failed: " + report.error,
                              .keep_value = report.failure != DeliveryFailure::kRecord});
}

void RelaySession::fail_event(DeliveryTicket ticket, FailureReason reason,
                              const DeadLetterSource& failure) {
  ++stats_.events_failed;
  probe_.event_failed(reason);
  SessionTicket letter = SessionTicket::decode(ticket);
  letter.dead_letter = true;
  const auto outcome = policy_.apply(failure, letter.encode(), now_unix_ms());
  if (!outcome.ok()) {
    end(outcome.error());
    return;
  }
  if (*outcome == FailureOutcome::kSkipped) {
    ++stats_.events_skipped;
    probe_.event_skipped();
    tracker_.event_done(letter.transaction);
    return;
  }
  publish_dead_letters();
}

void RelaySession::publish_dead_letters() {
  if (result_ || dead_letters_.empty()) return;
  if (auto published = dead_letters_.publish(sink_, probe_, log_); !published.ok()) {
    end(published.error());
  }
}

}  // namespace outbox
