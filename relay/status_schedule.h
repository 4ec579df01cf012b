// When the session sends PostgreSQL a standby status update, and when it takes the server's
// silence for a dead connection.
//
// An update goes out when the server asked for a reply, when the confirmable position moved (at
// most every kMinStatusGap), every source.status_interval_ms regardless, and once the server has
// been silent for half of source.liveness_timeout_ms while the relay reads (that update asks for
// a reply, which a walsender sends at once). Silence for the whole timeout while reading ends the
// session. Silence while not reading (back-pressure, a stop) says nothing about the server: the
// count starts afresh when reading resumes.
#pragma once

#include <chrono>

#include "common/lsn.h"
#include "common/result.h"

namespace outbox {

class StatusSchedule {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // The least time between two updates sent because the confirmed position moved.
  static constexpr std::chrono::milliseconds kMinStatusGap{10};

  // `liveness_timeout` zero: never take silence for a dead connection.
  StatusSchedule(std::chrono::milliseconds interval, std::chrono::milliseconds liveness_timeout,
                 Lsn start, Time now);

  // A frame arrived from the server.
  void heard(Time now);
  // A keepalive asked for a reply.
  void reply_requested() { reply_due_ = true; }
  // Reading resumed after back-pressure.
  void resume_reading(Time now) { last_heard_ = now; }

  struct Update {
    bool send = false;       // an update is due now
    bool ask_reply = false;  // and it asks the server to answer
  };
  // Whether to send now. `force`: the session ends and reports how far it got.
  Update due(Time now, Lsn confirmable, bool reading, bool force) const;
  // An update confirming `flushed` went out at `now`.
  void sent(Time now, Lsn flushed, bool asked_reply);

  // kConnectionLost once the server has been silent for the whole liveness timeout while the
  // relay was reading.
  Result<void> check_liveness(Time now, bool reading) const;

  // The next time something here falls due, for the loop's wait.
  Time next_deadline(bool reading) const;

  Lsn last_confirmed() const { return last_sent_flush_; }

 private:
  bool liveness_on() const { return liveness_timeout_.count() > 0; }

  std::chrono::milliseconds interval_;
  std::chrono::milliseconds liveness_timeout_;
  Lsn last_sent_flush_;
  Time last_sent_;
  bool reply_due_ = false;
  Time last_heard_;
  bool reply_asked_ = false;
};

}  // namespace outbox
