// Back-pressure's gate, with hysteresis: over once `limit` events are in flight, under again
// only once a tenth of the limit has drained, so the loop does not flap between reading and not
// reading (and log it) at every delivery.
#pragma once

#include <cstddef>

namespace outbox {

class InFlightLimit {
 public:
  explicit InFlightLimit(std::size_t limit) : limit_(limit) {}

  // Updates the gate with the count now; true while over the limit.
  bool over(std::size_t in_flight) {
    if (in_flight >= limit_) {
      over_ = true;
    } else if (over_ && in_flight <= limit_ - limit_ / 10) {
      over_ = false;
    }
    return over_;
  }

 private:
  std::size_t limit_;
  bool over_ = false;
};

}  // namespace outbox
