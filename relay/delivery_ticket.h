// The ticket the session hands the sink with each record, and gets back with its delivery
// report: which of the tracker's transactions the record belongs to, which session sent it (a
// sink can outlive its session, and a report of an earlier one must not touch this one's tracker),
// and whether it is a dead letter (whose delivery completes the event it stands for).
//
// Packed into the sink's 64-bit DeliveryTicket:
//
//   bit 63       dead letter
//   bits 40-62   session generation (23 bits, wrapping)
//   bits 0-39    the tracker's transaction sequence (40 bits: a trillion transactions a session)
#pragma once

#include <cstdint>

#include "relay/lsn_tracker.h"
#include "sinks/sink.h"

namespace outbox {

struct SessionTicket {
  static constexpr int kTransactionBits = 40;
  static constexpr int kGenerationBits = 23;

  LsnTracker::Ticket transaction = 0;
  std::uint32_t generation = 0;  // as given by generation_of()
  bool dead_letter = false;

  // A session number as the ticket carries it (the low 23 bits).
  static constexpr std::uint32_t generation_of(std::uint32_t session) {
    return session & ((std::uint32_t{1} << kGenerationBits) - 1);
  }

  constexpr DeliveryTicket encode() const {
    return (dead_letter ? kDeadLetterBit : 0) |
           (std::uint64_t{generation_of(generation)} << kTransactionBits) |
           (transaction & kTransactionMask);
  }

  static constexpr SessionTicket decode(DeliveryTicket ticket) {
    return SessionTicket{
        .transaction = ticket & kTransactionMask,
        .generation = generation_of(static_cast<std::uint32_t>(ticket >> kTransactionBits)),
        .dead_letter = (ticket & kDeadLetterBit) != 0};
  }

  bool operator==(const SessionTicket&) const = default;

 private:
  static constexpr std::uint64_t kDeadLetterBit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kTransactionMask = (std::uint64_t{1} << kTransactionBits) - 1;
};

}  // namespace outbox
