#include "common/error.h"

namespace outbox {

std::string_view describe(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformedMessage:
      return "a message from the server does not follow the protocol";
    case ErrorCode::kUnknownMessage:
      return "a message from the server has an unknown type";
    case ErrorCode::kInvalidOutboxRow:
      return "an outbox row cannot be turned into an event";
    case ErrorCode::kInvalidConfig:
      return "the configuration is invalid";
    case ErrorCode::kConnectionLost:
      return "a server could not be reached or the connection was lost";
    case ErrorCode::kServerRefused:
      return "a server refused the request";
    case ErrorCode::kProducerFatal:
      return "the Kafka producer failed fatally";
    case ErrorCode::kUndeliverableEvent:
      return "an event cannot be published";
    case ErrorCode::kSlotLost:
      return "the replication slot is gone";
    case ErrorCode::kSystemFailure:
      return "a system call failed";
  }
  return "unknown error";
}

}  // namespace outbox
