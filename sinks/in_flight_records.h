// The Kafka sink's records in flight: one entry per record, whose address is the record's
// librdkafka opaque. An entry keeps the ticket and the timestamp sent, because librdkafka
// reports -1 for a failed record and the broker's LogAppendTime (if any) for a delivered one,
// and a report carries the record as sent. Tickets need not be unique (the relay gives every
// event of a transaction the same one).
//
// Entries come from blocks kept for the sink's life and are reused through a free list, so
// publishing and reporting allocate nothing once the blocks cover the most records ever in
// flight at once (the relay's in-flight limits bound that; an entry is 24 bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sinks/sink.h"

namespace outbox {

struct InFlightRecord {
  DeliveryTicket ticket = 0;
  std::int64_t timestamp_ms = 0;
  InFlightRecord* next_free = nullptr;  // while on the free list
};

class InFlightRecords {
 public:
  InFlightRecords() = default;
  InFlightRecords(const InFlightRecords&) = delete;
  InFlightRecords& operator=(const InFlightRecords&) = delete;

  // An entry whose address stays valid until remove().
  InFlightRecord& add(DeliveryTicket ticket, std::int64_t timestamp_ms) {
    if (free_ == nullptr) grow();
    InFlightRecord* entry = free_;
    free_ = entry->next_free;
    *entry = InFlightRecord{.ticket = ticket, .timestamp_ms = timestamp_ms};
    ++size_;
    return *entry;
  }

  // `entry` came from add() and was not removed since.
  void remove(InFlightRecord& entry) {
    entry.next_free = free_;
    free_ = &entry;
    --size_;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  static constexpr std::size_t kBlockEntries = 1024;

  void grow() {
    auto block = std::make_unique<InFlightRecord[]>(kBlockEntries);
    for (std::size_t i = 0; i < kBlockEntries; ++i) {
      block[i].next_free = i + 1 < kBlockEntries ? &block[i + 1] : free_;
    }
    free_ = &block[0];
    blocks_.push_back(std::move(block));
  }

  std::vector<std::unique_ptr<InFlightRecord[]>> blocks_;
  InFlightRecord* free_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace outbox
