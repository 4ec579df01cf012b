// The consumers' dead-letter topic: a record that failed every attempt is published there, with
// why and where it came from, and acknowledged by the broker before the consumer commits past it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "examples/common/kafka_client.h"
#include "examples/common/service.h"

namespace examples {

class DeadLetterProducer {
 public:
  // An idempotent acks=all producer with `settings` (librdkafka properties, bootstrap.servers at
  // least); `service` names it in the log. Throws when librdkafka refuses a setting.
  DeadLetterProducer(std::string service, std::map<std::string, std::string> settings);
  DeadLetterProducer(const DeadLetterProducer&) = delete;  // librdkafka holds its address
  DeadLetterProducer& operator=(const DeadLetterProducer&) = delete;

  // Publishes `record` to `topic` with its key, value and headers plus `error`,
  // `dlq.original_topic`, `dlq.original_partition`, `dlq.original_offset` and `dlq.attempts`,
  // and waits up to `timeout` for the acknowledgement. False, with the reason logged, when it
  // is refused, fails, is not acknowledged in time, or the producer has failed fatally.
  bool publish(const std::string& topic, const Record& record, const std::string& error,
               int attempts, std::chrono::milliseconds timeout);

  // rd_kafka_fatal_error's reason once the producer has failed fatally (an idempotent producer
  // refused its producer id, fenced, ...): it can publish nothing more.
  std::optional<std::string> fatal_error() const;

  // Waits up to `timeout` for reports still due (of a publish that gave up waiting); before exit.
  void flush(std::chrono::milliseconds timeout);

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);

  std::string service_;
  // Each record's librdkafka opaque is its number, not an address: a report that comes after its
  // publish gave up finds a number nobody waits for, and only logs it.
  std::uint64_t published_ = 0;
  std::uint64_t awaited_ = 0;  // the number publish() waits for; 0 when none
  rd_kafka_resp_err_t awaited_result_ = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  KafkaPtr producer_;  // last: destroyed first, while what its reports write still exists
};

}  // namespace examples
