// on_permanent_error: what happens to an event that cannot be published (a row that cannot be
// routed, a record the sink rejects) or that Kafka did not deliver.
//
//   halt  the session ends (kUndeliverableEvent); nothing past the event is confirmed
//   skip  the event is done, logged (rate-limited) and counted, and never published
//   dlq   a dead letter goes to sink.dlq_topic; its delivery completes the event
//
// The caller counts the failure and, for a skipped event, marks it done in the tracker.
#pragma once

#include <chrono>
#include <string>

#include "common/log.h"
#include "common/result.h"
#include "config/config.h"
#include "relay/dead_letter_queue.h"

namespace outbox {

enum class FailureOutcome {
  kSkipped,       // done: the caller marks it so
  kDeadLettered,  // a dead letter is queued; its delivery report completes the event
};

class FailurePolicy {
 public:
  FailurePolicy(const Config& config, DeadLetterQueue& dead_letters, const Logger& log)
      : config_(config), dead_letters_(dead_letters), log_(log) {}

  // `dead_letter_ticket` is what the dead letter's delivery report will carry; `now_ms` stamps it.
  Result<FailureOutcome> apply(const DeadLetterSource& failure, DeliveryTicket dead_letter_ticket,
                               std::int64_t now_ms);

 private:
  const Config& config_;
  DeadLetterQueue& dead_letters_;
  const Logger& log_;
  RateLimit log_limit_{5, std::chrono::seconds(10)};
};

}  // namespace outbox
