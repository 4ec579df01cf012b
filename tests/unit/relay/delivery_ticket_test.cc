#include "relay/delivery_ticket.h"

#include <gtest/gtest.h>

namespace outbox {
namespace {

TEST(SessionTicket, DecodesWhatItEncodes) {
  for (const SessionTicket ticket :
       {SessionTicket{.transaction = 0, .generation = 0, .dead_letter = false},
        SessionTicket{.transaction = 1, .generation = 1, .dead_letter = true},
        SessionTicket{.transaction = (LsnTracker::Ticket{1} << 40) - 1,
        .generation = (1u << 23) - 1,
        .dead_letter = true},
        SessionTicket{.transaction = 123456789, .generation = 42, .dead_letter = false}}) {
    EXPECT_EQ(SessionTicket::decode(ticket.encode()), ticket);
  }
}

TEST(SessionTicket, LaysOutTheDeadLetterBitTheGenerationAndTheTransaction) {
  const SessionTicket ticket{.transaction = 5, .generation = 3, .dead_letter = true};
  EXPECT_EQ(ticket.encode(), (DeliveryTicket{1} << 63) | (DeliveryTicket{3} << 40) | 5);
  const SessionTicket live{.transaction = 5, .generation = 3, .dead_letter = false};
  EXPECT_EQ(live.encode(), (DeliveryTicket{3} << 40) | 5);
}

TEST(SessionTicket, TheSameTransactionOfAnotherSessionIsAnotherTicket) {
  const SessionTicket first{.transaction = 7, .generation = 1, .dead_letter = false};
  const SessionTicket second{.transaction = 7, .generation = 2, .dead_letter = false};
  EXPECT_NE(first.encode(), second.encode());
  EXPECT_NE(SessionTicket::decode(first.encode()).generation,
            SessionTicket::decode(second.encode()).generation);
}

TEST(SessionTicket, GenerationsWrapAt23BitsWithoutTouchingTheDeadLetterBit) {
  EXPECT_EQ(SessionTicket::generation_of(1u << 23), 0u);
  EXPECT_EQ(SessionTicket::generation_of((1u << 23) + 5), 5u);
  const SessionTicket wrapped{.transaction = 1, .generation = (1u << 23) + 5, .dead_letter = false};
  EXPECT_FALSE(SessionTicket::decode(wrapped.encode()).dead_letter);
  EXPECT_EQ(SessionTicket::decode(wrapped.encode()).generation, 5u);
}

}  // namespace
}  // namespace outbox
