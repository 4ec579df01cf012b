#include "examples/common/dead_letter_producer.h"

#include <algorithm>

namespace examples {
namespace {

void* as_opaque(std::uint64_t number) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(number));
}

std::uint64_t from_opaque(void* opaque) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(opaque));
}

}  // namespace

DeadLetterProducer::DeadLetterProducer(std::string service,
                                       std::map<std::string, std::string> settings)
    : service_(std::move(service)) {
  settings["enable.idempotence"] = "true";
  settings["acks"] = "all";
  producer_ = make_client(RD_KAFKA_PRODUCER, settings, &DeadLetterProducer::on_delivery, this);
}

bool DeadLetterProducer::publish(const std::string& topic, const Record& record,
                                 const std::string& error, int attempts,
                                 std::chrono::milliseconds timeout) {
  // A fatally failed producer must not be used on; the consumer stops without committing.
  if (const auto fatal = fatal_error()) {
    log(service_, "dead-letter publish impossible: the producer failed fatally: " + *fatal);
    return false;
  }
  rd_kafka_headers_t* headers = rd_kafka_headers_new(record.headers.size() + 5);
  auto add = [&](const std::string& name, const std::string& value) {
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  };
  for (const auto& [name, value] : record.headers) add(name, value);
  add("error", error);
  add("dlq.original_topic", record.topic);
  add("dlq.original_partition", std::to_string(record.partition));
  add("dlq.original_offset", std::to_string(record.offset));
  add("dlq.attempts", std::to_string(attempts));

  const std::uint64_t number = ++published_;
  awaited_ = number;
  awaited_result_ = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  const rd_kafka_resp_err_t queued = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
      RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(as_opaque(number)), RD_KAFKA_V_END);
  if (queued != RD_KAFKA_RESP_ERR_NO_ERROR) {
    awaited_ = 0;
    rd_kafka_headers_destroy(headers);  // still ours when producev fails
    log(service_, "dead-letter publish failed: " + std::string(rd_kafka_err2str(queued)));
    return false;
  }

  // Reports are served here, on this thread, by rd_kafka_poll.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (awaited_result_ == RD_KAFKA_RESP_ERR__IN_PROGRESS) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0)) break;
    rd_kafka_poll(producer_.get(), static_cast<int>(std::min<long long>(left.count(), 100)));
  }
  const rd_kafka_resp_err_t result = awaited_result_;
  awaited_ = 0;  // from now on this record's report is late
  if (result == RD_KAFKA_RESP_ERR__IN_PROGRESS) {
    log(service_, "dead-letter publish failed: not acknowledged within " +
                      std::to_string(timeout.count()) + " ms");
    return false;
  }
  if (result != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string why = rd_kafka_err2str(result);
    if (const auto fatal = fatal_error()) why += " (the producer failed fatally: " + *fatal + ")";
    log(service_, "dead-letter publish failed: " + why);
    return false;
  }
  return true;
}

std::optional<std::string> DeadLetterProducer::fatal_error() const {
  char reason[512];
  if (rd_kafka_fatal_error(producer_.get(), reason, sizeof reason) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  return std::string(reason);
}

void DeadLetterProducer::flush(std::chrono::milliseconds timeout) {
  if (fatal_error()) return;  // not used on: librdkafka has failed what it still held
  if (rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count())) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    log(service_, std::to_string(rd_kafka_outq_len(producer_.get())) +
                      " dead-letter record(s) still unacknowledged at exit");
  }
}

void DeadLetterProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<DeadLetterProducer*>(opaque);
  const std::uint64_t number = from_opaque(message->_private);
  if (number == self->awaited_) {
    self->awaited_result_ = message->err;
    return;
  }
  log(self->service_, "late report for dead-letter record " + std::to_string(number) + ": " +
                          (message->err == RD_KAFKA_RESP_ERR_NO_ERROR
                               ? std::string("delivered")
                               : std::string(rd_kafka_err2str(message->err))));
}

}  // namespace examples
