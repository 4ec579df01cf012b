#include "relay/lsn_tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace outbox {
namespace {

Lsn L(std::uint64_t value) { return Lsn{value}; }

// A transaction with `events` events, committed at `end`; returns its events' tickets.
std::vector<LsnTracker::Ticket> transaction(LsnTracker& tracker, int events, std::uint64_t end) {
  EXPECT_TRUE(tracker.begin_transaction().ok());
  std::vector<LsnTracker::Ticket> tickets;
  for (int i = 0; i < events; ++i) tickets.push_back(*tracker.add_event());
  EXPECT_TRUE(tracker.commit_transaction(L(end)).ok());
  return tickets;
}

TEST(LsnTracker, StartsAtTheGivenPosition) {
  LsnTracker tracker(L(100));
  EXPECT_EQ(tracker.confirmable(), L(100));
  EXPECT_EQ(tracker.in_flight_events(), 0u);
}

TEST(LsnTracker, ConfirmsATransactionOnlyWhenAllItsEventsAreDelivered) {
  LsnTracker tracker(L(100));
  const auto tickets = transaction(tracker, 3, 200);
  EXPECT_EQ(tracker.confirmable(), L(100));
  EXPECT_EQ(tracker.in_flight_events(), 3u);
  tracker.event_done(tickets[0]);
  tracker.event_done(tickets[1]);
  EXPECT_EQ(tracker.confirmable(), L(100));
  tracker.event_done(tickets[2]);
  EXPECT_EQ(tracker.confirmable(), L(200));
  EXPECT_EQ(tracker.in_flight_events(), 0u);
}

TEST(LsnTracker, OutOfOrderDeliveriesConfirmInCommitOrderOnly) {
  LsnTracker tracker(L(100));
  const auto first = transaction(tracker, 1, 200);
  const auto second = transaction(tracker, 1, 300);
  const auto third = transaction(tracker, 1, 400);
  tracker.event_done(third[0]);
  tracker.event_done(second[0]);
  EXPECT_EQ(tracker.confirmable(), L(100)) << "the first transaction is still undelivered";
  tracker.event_done(first[0]);
  EXPECT_EQ(tracker.confirmable(), L(400));
}

TEST(LsnTracker, ConfirmsNothingPastAFailedDelivery) {
  LsnTracker tracker(L(100));
  const auto first = transaction(tracker, 2, 200);
  const auto second = transaction(tracker, 1, 300);
  tracker.event_done(first[0]);
  // first[1] failed: the relay never marks it done (halt), so nothing after it is confirmable,
  // however much else is delivered and however far the server moves.
  tracker.event_done(second[0]);
  tracker.server_position(L(5000));
  transaction(tracker, 0, 600);
  tracker.server_position(L(7000));
  EXPECT_EQ(tracker.confirmable(), L(100));
  EXPECT_EQ(tracker.in_flight_events(), 1u);
}

TEST(LsnTracker, AnEmptyTransactionIsConfirmableWhenEverythingBeforeItIs) {
  LsnTracker tracker(L(100));
  transaction(tracker, 0, 150);
  EXPECT_EQ(tracker.confirmable(), L(150));
  const auto busy = transaction(tracker, 1, 200);
  transaction(tracker, 0, 250);
  EXPECT_EQ(tracker.confirmable(), L(150));
  tracker.event_done(busy[0]);
  EXPECT_EQ(tracker.confirmable(), L(250));
}

TEST(LsnTracker, AKeepaliveWhileEventsAreInFlightConfirmsNothing) {
  LsnTracker tracker(L(100));
  const auto tickets = transaction(tracker, 1, 200);
  tracker.server_position(L(900));
  EXPECT_EQ(tracker.confirmable(), L(100));
  tracker.event_done(tickets[0]);
  EXPECT_EQ(tracker.confirmable(), L(200));
  tracker.server_position(L(900));
  EXPECT_EQ(tracker.confirmable(), L(900)) << "idle: the server's position is confirmable";
}

TEST(LsnTracker, AKeepaliveInsideAnOpenTransactionConfirmsNothing) {
  LsnTracker tracker(L(100));
  ASSERT_TRUE(tracker.begin_transaction().ok());
  // The server may report a position past the commit of the transaction it is still sending.
  tracker.server_position(L(900));
  EXPECT_EQ(tracker.confirmable(), L(100));
  ASSERT_TRUE(tracker.commit_transaction(L(800)).ok());
  EXPECT_EQ(tracker.confirmable(), L(800));
}

TEST(LsnTracker, NeverMovesBackwards) {
  LsnTracker tracker(L(500));
  transaction(tracker, 0, 300);  // a commit before the start position (resent after a restart)
  tracker.server_position(L(400));
  EXPECT_EQ(tracker.confirmable(), L(500));
}

TEST(LsnTracker, RejectsAMalformedTransactionSequence) {
  LsnTracker tracker(L(100));
  EXPECT_FALSE(tracker.add_event().ok());
  EXPECT_FALSE(tracker.commit_transaction(L(200)).ok());
  ASSERT_TRUE(tracker.begin_transaction().ok());
  EXPECT_FALSE(tracker.begin_transaction().ok());
}

TEST(LsnTrackerDeathTest, ADeliveryForATicketWithNothingPendingIsABug) {
  LsnTracker tracker(L(100));
  const auto tickets = transaction(tracker, 1, 200);
  tracker.event_done(tickets[0]);
  EXPECT_DEATH(tracker.event_done(tickets[0]), "nothing pending");
}

TEST(LsnTracker, ManyInterleavedTransactionsConfirmExactlyTheDeliveredPrefix) {
  // 1000 transactions of 0..3 events, delivered in a scrambled order; after every delivery the
  // confirmable position is the end of the longest fully delivered prefix.
  LsnTracker tracker(L(1));
  struct Txn {
    std::uint64_t end;
    std::vector<LsnTracker::Ticket> tickets;
  };
  std::vector<Txn> txns;
  std::vector<std::pair<std::size_t, LsnTracker::Ticket>> deliveries;
  for (std::size_t i = 0; i < 1000; ++i) {
    txns.push_back({10 * (i + 1), transaction(tracker, static_cast<int>(i % 4), 10 * (i + 1))});
    for (auto ticket : txns.back().tickets) deliveries.emplace_back(i, ticket);
  }
  std::uint64_t seed = 42;
  for (std::size_t i = deliveries.size() - 1; i > 0; --i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    std::swap(deliveries[i], deliveries[(seed >> 33) % (i + 1)]);
  }
  std::vector<std::size_t> remaining(txns.size());
  for (std::size_t i = 0; i < txns.size(); ++i) remaining[i] = txns[i].tickets.size();
  for (const auto& [txn, ticket] : deliveries) {
    tracker.event_done(ticket);
    --remaining[txn];
    std::uint64_t expected = 1;
    for (std::size_t i = 0; i < txns.size() && remaining[i] == 0; ++i) expected = txns[i].end;
    ASSERT_EQ(tracker.confirmable(), L(expected));
  }
  EXPECT_EQ(tracker.confirmable(), L(10000));
}

}  // namespace
}  // namespace outbox

namespace outbox {
namespace {

TEST(LsnTracker, AMillionEmptyTransactionsBehindAPendingEventKeepOneEntry) {
  LsnTracker tracker(L(100));
  const auto pending = transaction(tracker, 1, 200);
  for (std::uint64_t i = 0; i < 1'000'000; ++i) {
    transaction(tracker, 0, 300 + i);
    ASSERT_LE(tracker.entries(), 1u) << "after " << i + 1 << " empty transactions";
  }
  EXPECT_EQ(tracker.confirmable(), L(100)) << "the pending event still holds the position";
  tracker.event_done(pending[0]);
  EXPECT_EQ(tracker.confirmable(), L(300 + 999'999)) << "its end is now the last empty one's";
  EXPECT_EQ(tracker.entries(), 0u);
}

TEST(LsnTracker, EmptyTransactionsBetweenPendingOnesConfirmOnlyWithTheEventsBeforeThem) {
  LsnTracker tracker(L(100));
  const auto first = transaction(tracker, 1, 200);
  transaction(tracker, 0, 250);
  const auto second = transaction(tracker, 1, 300);
  transaction(tracker, 0, 350);
  EXPECT_EQ(tracker.entries(), 2u);
  tracker.event_done(second[0]);
  EXPECT_EQ(tracker.confirmable(), L(100));
  tracker.event_done(first[0]);
  EXPECT_EQ(tracker.confirmable(), L(350));
}

TEST(LsnTracker, TicketsStayValidWhenAnEmptyTransactionMerges) {
  LsnTracker tracker(L(100));
  const auto first = transaction(tracker, 1, 200);
  transaction(tracker, 0, 250);
  const auto second = transaction(tracker, 2, 300);
  EXPECT_NE(first[0], second[0]);
  tracker.event_done(first[0]);
  EXPECT_EQ(tracker.confirmable(), L(250));
  tracker.event_done(second[0]);
  tracker.event_done(second[1]);
  EXPECT_EQ(tracker.confirmable(), L(300));
}

}  // namespace
}  // namespace outbox
