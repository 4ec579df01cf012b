// Errors as values. The streaming path never throws: functions that can fail return Result<T>,
// and an Error carries a code and a message for the operator (what exactly went wrong, and where).
//
// A code is chosen by what the caller must do about the failure, not by where it happened: two
// failures that call for the same response share a code. relay/error_disposition.h is the one
// place that turns a code into that response (retry, new producer, stop for an operator, fail).
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace outbox {

enum class ErrorCode {
  // Bytes from the server do not follow the replication or pgoutput protocol.
  kMalformedMessage,
  // A message type byte the decoder does not know.
  kUnknownMessage,
  // An outbox row cannot become an event: a required column is missing or NULL.
  kInvalidOutboxRow,
  // The configuration is unusable; nothing was started.
  kInvalidConfig,
  // A server could not be reached or dropped the connection; worth retrying.
  kConnectionLost,
  // A server refused what we asked, and asking again will not help.
  kServerRefused,
  // The Kafka producer failed in a way only a new producer can recover from.
  kProducerFatal,
  // An event cannot be published and on_permanent_error is halt: an operator decides.
  kUndeliverableEvent,
  // The replication slot the relay streamed from is gone (source.on_slot_lost: stop): events
  // may have been missed, and an operator decides.
  kSlotLost,
  // A call to the operating system failed (signal mask, signalfd, eventfd): nothing to retry.
  kSystemFailure,
};

// One sentence per code, for logs and metrics labels.
std::string_view describe(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_;
  std::string message_;
};

}  // namespace outbox
