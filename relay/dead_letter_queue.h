// Dead letters: an event that cannot be published or was not delivered, under
// on_permanent_error: dlq, goes to sink.dlq_topic instead. A dead letter owns its bytes (the
// event's views die with its frame, or with the delivery report's call) and waits here until
// the sink has room; its delivery completes the event it stands for.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/result.h"
#include "relay/relay_probe.h"
#include "sinks/sink.h"

namespace outbox {

struct DeadLetter {
  std::string topic, key, value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::int64_t timestamp_ms = 0;
  DeliveryTicket ticket = 0;
};

// What a dead letter is made of: the failed record as far as it is known.
struct DeadLetterSource {
  const OutgoingRecord* record = nullptr;  // what of the record is known; never null
  std::string_view event_id;
  std::string why;
  // Whether the letter may carry the record's value: not when the broker refused the record
  // itself (as too large, say), since it would refuse the letter too.
  bool keep_value = true;
};

// The letter for `source`: the record's key, value (if kept) and headers, plus
// outbox.original_topic, outbox.error, outbox.original_timestamp, outbox.table, and an id header
// when the record had none. Stamped `now_ms`, not the event's time: the broker may have refused
// the record for its timestamp.
DeadLetter make_dead_letter(const DeadLetterSource& source, std::string_view dlq_topic,
                            std::string_view table, std::int64_t now_ms, DeliveryTicket ticket);

// Logs a refusal by the dead-letter topic and counts it; returns the error that halts the
// session (kUndeliverableEvent): nothing is confirmed past an event nobody holds.
Error dead_letter_refused(std::string_view topic, std::string_view error, RelayProbe& probe,
                          const Logger& log);

class DeadLetterQueue {
 public:
  void push(DeadLetter letter) { letters_.push_back(std::move(letter)); }
  bool empty() const { return letters_.empty(); }

  // Hands the sink what it takes, in order; letters wait while it is full. An error when the
  // sink failed (kProducerFatal) or refused a letter (kUndeliverableEvent, already logged).
  Result<void> publish(Sink& sink, RelayProbe& probe, const Logger& log);

 private:
  std::deque<DeadLetter> letters_;
};

}  // namespace outbox
