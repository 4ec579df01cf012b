// Where records go. A sink takes records with a delivery ticket and reports, later and on the
// relay's thread, whether each was delivered. It knows nothing of PostgreSQL.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace outbox {

struct RecordHeader {
  std::string_view name;
  std::string_view value;
};

// A record to publish. Views: the sink copies what it keeps before publish() returns.
struct OutgoingRecord {
  std::string_view topic;
  std::string_view key;
  std::string_view value;
  std::span<const RecordHeader> headers;
  std::int64_t timestamp_ms = 0;  // Unix milliseconds; 0 lets the sink pick the current time
};

// What a record's key, value and headers (names and values) add up to, in bytes.
inline std::size_t record_bytes(const OutgoingRecord& record) {
  std::size_t bytes = record.key.size() + record.value.size();
  for (const RecordHeader& header : record.headers)
    bytes += header.name.size() + header.value.size();
  return bytes;
}

// Chosen by the relay; handed back with the record's delivery report.
using DeliveryTicket = std::uint64_t;

enum class PublishStatus {
  kAccepted,   // queued; a delivery report will follow
  kQueueFull,  // not queued: serve delivery reports, then try again (back-pressure)
  kRejected,   // not queued, and never will be: this record is invalid (too large, bad topic)
  kFatal,      // not queued: the sink can deliver nothing more (see Sink::fatal_error)
};

struct PublishOutcome {
  PublishStatus status;
  std::string error;  // why, unless accepted
};

// Why a record was not delivered: what the relay may do about it depends on it.
enum class DeliveryFailure {
  kNone,       // delivered
  kRecord,     // the backend refused this record itself (too large, invalid timestamp, corrupt):
               // a dead letter must not repeat its value or timestamp
  kAbandoned,  // the sink gave the record up without a verdict (a fatal producer error purged
               // it): never the event's own failure; the pipeline must restart and send it again
  kOther,      // any other permanent failure (unknown topic, authorization, message timeout)
};

struct DeliveryReport {
  DeliveryTicket ticket;
  bool delivered;     // acknowledged as configured (acks=all: by every in-sync replica)
  std::string error;  // why not, when !delivered
  // The record as it was sent, so a failed one can be dead-lettered. Valid during the call only.
  const OutgoingRecord& record;
  DeliveryFailure failure = DeliveryFailure::kNone;
};

// How a step of a Kafka transaction (exactly-once delivery) ended.
enum class TransactionStatus {
  kDone,
  kRetry,        // not finished within the timeout, or a retriable error: call the same step again
  kAbort,        // the transaction failed: abort it, then send its events again
  kFatal,        // the producer can do nothing more (fenced by a newer instance, unauthorized)
  kUnsupported,  // the sink is not transactional
};

struct TransactionOutcome {
  TransactionStatus status = TransactionStatus::kDone;
  std::string error;  // why, unless done
  bool done() const { return status == TransactionStatus::kDone; }
};

class DeliveryHandler {
 public:
  virtual ~DeliveryHandler() = default;
  virtual void on_delivery(const DeliveryReport& report) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;

  virtual PublishOutcome publish(const OutgoingRecord& record, DeliveryTicket ticket) = 0;

  // A file descriptor that becomes readable when delivery reports are waiting, for the relay's
  // poll(); -1 when reports are ready as soon as publish() returns (call poll_deliveries()).
  virtual int wakeup_fd() const = 0;

  // Serves every waiting delivery report, without blocking.
  virtual void poll_deliveries(DeliveryHandler& handler) = 0;

  // Serves reports until nothing is in flight or `timeout` passes; true when nothing is left.
  virtual bool drain(DeliveryHandler& handler, std::chrono::milliseconds timeout) = 0;

  // Records accepted and not yet reported.
  virtual std::size_t in_flight() const = 0;

  // Why the sink can deliver nothing more (a fenced idempotent producer, say); nullopt while
  // healthy. Once set, the relay replaces the sink.
  virtual std::optional<std::string> fatal_error() const = 0;

  // A round trip to the backend (a Kafka metadata request), for `check` and readiness. Safe to
  // call from another thread than the one that publishes.
  virtual Result<void> probe(std::chrono::milliseconds timeout) = 0;

  // Connections to the backend that failed or dropped since the sink was made (each one is
  // retried by the sink on its own), for metrics.
  virtual std::uint64_t connection_failures() const { return 0; }

  // Transactions, for a sink made transactional (sinks/kafka_sink.h); the others answer
  // kUnsupported. Records published between begin and commit become visible together, with
  // `position`, or not at all. Each call serves no delivery reports: drain() first.
  //
  // Takes the transactional id over: fences every older producer with it and ends the
  // transaction it left open. Once per sink, before anything else.
  virtual TransactionOutcome init_transactions(std::chrono::milliseconds timeout) {
    (void)timeout;
    return {TransactionStatus::kUnsupported, "not a transactional sink"};
  }
  // The position the last committed transaction carried; nullopt when none did yet.
  virtual Result<std::optional<std::string>> committed_position(std::chrono::milliseconds timeout) {
    (void)timeout;
    return Error(ErrorCode::kInvalidConfig, "not a transactional sink");
  }
  virtual TransactionOutcome begin_transaction() {
    return {TransactionStatus::kUnsupported, "not a transactional sink"};
  }
  virtual TransactionOutcome commit_transaction(std::string_view position,
                                                std::chrono::milliseconds timeout) {
    (void)position;
    (void)timeout;
    return {TransactionStatus::kUnsupported, "not a transactional sink"};
  }
  virtual TransactionOutcome abort_transaction(std::chrono::milliseconds timeout) {
    (void)timeout;
    return {TransactionStatus::kUnsupported, "not a transactional sink"};
  }
};

}  // namespace outbox
