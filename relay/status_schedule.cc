#include "relay/status_schedule.h"

#include <algorithm>
#include <string>

namespace outbox {

StatusSchedule::StatusSchedule(std::chrono::milliseconds interval,
                               std::chrono::milliseconds liveness_timeout, Lsn start, Time now)
    : interval_(interval),
      liveness_timeout_(liveness_timeout),
      last_sent_flush_(start),
      last_sent_(now),
      last_heard_(now) {}

void StatusSchedule::heard(Time now) {
  last_heard_ = now;
  reply_asked_ = false;
}

StatusSchedule::Update StatusSchedule::due(Time now, Lsn confirmable, bool reading,
                                           bool force) const {
  Update update;
  update.ask_reply =
      liveness_on() && !reply_asked_ && reading && now - last_heard_ >= liveness_timeout_ / 2;
  const bool moved = confirmable > last_sent_flush_ && now - last_sent_ >= kMinStatusGap;
  const bool interval_passed = now - last_sent_ >= interval_;
  update.send = force || reply_due_ || moved || interval_passed || update.ask_reply;
  return update;
}

void StatusSchedule::sent(Time now, Lsn flushed, bool asked_reply) {
  last_sent_flush_ = flushed;
  last_sent_ = now;
  if (asked_reply) reply_asked_ = true;
  reply_due_ = false;
}

Result<void> StatusSchedule::check_liveness(Time now, bool reading) const {
  if (!liveness_on() || !reading || now - last_heard_ < liveness_timeout_) return {};
  const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard_);
  return Error{ErrorCode::kConnectionLost,
               "nothing from the server for " + std::to_string(silent.count()) +
                   " ms, not even the reply to a status update that asked for one "
                   "(source.liveness_timeout_ms = " +
                   std::to_string(liveness_timeout_.count()) + "): taking the connection for dead"};
}

StatusSchedule::Time StatusSchedule::next_deadline(bool reading) const {
  Time deadline = last_sent_ + interval_;
  if (reading && liveness_on()) {
    deadline = std::min(deadline,
                        last_heard_ + (reply_asked_ ? liveness_timeout_ : liveness_timeout_ / 2));
  }
  return deadline;
}

}  // namespace outbox
