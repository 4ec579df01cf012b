#include "relay/dead_letter_queue.h"

#include "relay/record_headers.h"

namespace outbox {

DeadLetter make_dead_letter(const DeadLetterSource& source, std::string_view dlq_topic,
                            std::string_view table, std::int64_t now_ms, DeliveryTicket ticket) {
  DeadLetter letter;
  letter.topic = dlq_topic;
  letter.ticket = ticket;
  letter.timestamp_ms = now_ms;
  const OutgoingRecord& record = *source.record;
  letter.key.assign(record.key);
  if (source.keep_value) letter.value.assign(record.value);
  for (const auto& header : record.headers) {
    letter.headers.emplace_back(std::string(header.name), std::string(header.value));
  }
  if (!record.topic.empty()) {
    letter.headers.emplace_back("outbox.original_topic", std::string(record.topic));
  }
  if (!source.event_id.empty() && header_value(record, "id").empty()) {
    letter.headers.emplace_back("id", std::string(source.event_id));
  }
  letter.headers.emplace_back("outbox.error", source.why);
  letter.headers.emplace_back("outbox.original_timestamp", std::to_string(record.timestamp_ms));
  letter.headers.emplace_back("outbox.table", std::string(table));
  return letter;
}

Error dead_letter_refused(std::string_view topic, std::string_view error, RelayProbe& probe,
                          const Logger& log) {
  probe.event_failed(FailureReason::kDeadLetterFailed);
  log.error("the dead-letter topic refused an event; halting without confirming past it",
            {{"topic", std::string(topic)}, {"error", std::string(error)}});
  return Error{ErrorCode::kUndeliverableEvent, "dead-letter topic " + std::string(topic) +
                                                   " refused an event: " + std::string(error)};
}

Result<void> DeadLetterQueue::publish(Sink& sink, RelayProbe& probe, const Logger& log) {
  while (!letters_.empty()) {
    const DeadLetter& letter = letters_.front();
    std::vector<RecordHeader> headers;
    headers.reserve(letter.headers.size());
    for (const auto& [name, value] : letter.headers) headers.push_back({name, value});
    const OutgoingRecord record{letter.topic, letter.key, letter.value, headers,
                                letter.timestamp_ms};
    const auto outcome = sink.publish(record, letter.ticket);
    switch (outcome.status) {
      case PublishStatus::kAccepted:
        letters_.pop_front();
        break;
      case PublishStatus::kQueueFull:
        return {};
      case PublishStatus::kFatal:
        return Error{ErrorCode::kProducerFatal, outcome.error};
      case PublishStatus::kRejected:
        return dead_letter_refused(letter.topic, outcome.error, probe, log);
    }
  }
  return {};
}

}  // namespace outbox
