// Exactly-once delivery's position: how far the relay's events are committed into Kafka, stored
// in Kafka itself, atomically with them (the metadata of a committed consumer-group offset,
// written by the same Kafka transaction as the records; sinks/kafka_transactions.h).
//
// It names the PostgreSQL transaction the last committed Kafka transaction ended in, by its
// commit LSN (Begin's final_lsn), and how many of that transaction's outbox rows were handled:
// all of them, or the first `rows` when a PostgreSQL transaction too large for one Kafka
// transaction spans several. Logical decoding sends a transaction's changes again in the same
// order, so on a restart the relay skips every transaction committed before that one, and the
// first `rows` of it. A position also names the server's history (system identifier and
// timeline): LSNs of another history mean nothing here.
//
// Text form, which is what Kafka keeps: "outbox-relay/1 commit=16/B374D848 rows=all
// system=7301234567890123456 timeline=1" (rows=N for a part).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/lsn.h"

namespace outbox {

struct DeliveredPosition {
  Lsn commit;                         // the transaction's commit LSN (Begin's final_lsn)
  std::optional<std::uint64_t> rows;  // nullopt: all of its outbox rows
  std::string system_identifier;
  std::uint32_t timeline = 0;

  bool operator==(const DeliveredPosition&) const = default;
  std::string to_string() const;
  // nullopt for anything to_string() does not write.
  static std::optional<DeliveredPosition> parse(std::string_view text);
};

// Which rows of the stream a position says are in Kafka already.
class DeliveredFilter {
 public:
  // nullopt: nothing is (no position, or one of another history).
  explicit DeliveredFilter(std::optional<DeliveredPosition> position)
      : position_(std::move(position)) {}

  // Whether the `index`-th (from 0) outbox row of the transaction committed at `commit` is in
  // Kafka already.
  bool delivered(Lsn commit, std::uint64_t index) const {
    if (!position_) return false;
    if (commit != position_->commit) return commit < position_->commit;
    return !position_->rows || index < *position_->rows;
  }

 private:
  std::optional<DeliveredPosition> position_;
};

}  // namespace outbox
