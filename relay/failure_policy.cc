#include "relay/failure_policy.h"

namespace outbox {

Result<FailureOutcome> FailurePolicy::apply(const DeadLetterSource& failure,
                                            DeliveryTicket dead_letter_ticket,
                                            std::int64_t now_ms) {
  const std::string id = failure.event_id.empty() ? "?" : std::string(failure.event_id);
  const std::string topic = failure.record && !failure.record->topic.empty()
                                ? std::string(failure.record->topic)
                                : std::string("-");
  long suppressed = 0;
  switch (config_.sink.on_permanent_error) {
    case PermanentErrorPolicy::kHalt:
      log_.error(
          "an event cannot be published; halting (on_permanent_error: halt). Nothing past "
          "it is confirmed: fix the cause and restart, or choose dlq or skip",
          {{"event_id", id}, {"topic", topic}, {"error", failure.why}});
      return Error{ErrorCode::kUndeliverableEvent, "event " + id + ": " + failure.why};
    case PermanentErrorPolicy::kSkip:
      if (log_limit_.allow(suppressed)) {
        log_.warn("skipping an event that cannot be published (on_permanent_error: skip)",
                  {{"event_id", id},
                   {"topic", topic},
                   {"error", failure.why},
                   {"suppressed", std::to_string(suppressed)}});
      }
      return FailureOutcome::kSkipped;
    case PermanentErrorPolicy::kDlq:
      if (log_limit_.allow(suppressed)) {
        log_.warn("dead-lettering an event that cannot be published",
                  {{"event_id", std::string(failure.event_id)},
                   {"dlq_topic", config_.sink.dlq_topic},
                   {"error", failure.why},
                   {"suppressed", std::to_string(suppressed)}});
      }
      dead_letters_.push(make_dead_letter(failure, config_.sink.dlq_topic, config_.source.table,
                                          now_ms, dead_letter_ticket));
      return FailureOutcome::kDeadLettered;
  }
  // Not reached (the switch names every policy); an unknown one halts rather than lose the event.
  return Error{ErrorCode::kUndeliverableEvent, "event " + id + ": " + failure.why};
}

}  // namespace outbox
