#include "relay/error_disposition.h"

namespace outbox {

Disposition disposition_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kConnectionLost:
      return Disposition::kRetry;
    case ErrorCode::kProducerFatal:
      return Disposition::kReplaceSink;
    case ErrorCode::kMalformedMessage:
    case ErrorCode::kUnknownMessage:
    case ErrorCode::kInvalidOutboxRow:
    case ErrorCode::kUndeliverableEvent:
    case ErrorCode::kSlotLost:
      return Disposition::kStopForOperator;
    case ErrorCode::kInvalidConfig:
    case ErrorCode::kServerRefused:
    case ErrorCode::kSystemFailure:
      return Disposition::kFail;
  }
  return Disposition::kFail;
}

}  // namespace outbox
