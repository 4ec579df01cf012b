#include "sinks/in_flight_records.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace outbox {
namespace {

TEST(InFlightRecords, KeepsEachEntryAtItsAddressUntilRemoved) {
  InFlightRecords records;
  std::vector<InFlightRecord*> entries;
  // More than one block's worth, so that entries of several blocks are in use at once.
  for (int i = 0; i < 3000; ++i) entries.push_back(&records.add(i, 1000 + i));
  ASSERT_EQ(records.size(), 3000u);
  EXPECT_EQ(std::set<InFlightRecord*>(entries.begin(), entries.end()).size(), entries.size());

  // Remove every other one; the rest still hold what they were given.
  for (int i = 0; i < 3000; i += 2) records.remove(*entries[i]);
  EXPECT_EQ(records.size(), 1500u);
  for (int i = 1; i < 3000; i += 2) {
    EXPECT_EQ(entries[i]->ticket, static_cast<DeliveryTicket>(i));
    EXPECT_EQ(entries[i]->timestamp_ms, 1000 + i);
  }
}

TEST(InFlightRecords, ReusesRemovedEntriesBeforeGrowing) {
  InFlightRecords records;
  std::set<InFlightRecord*> first_round;
  std::vector<InFlightRecord*> entries;
  for (int i = 0; i < 2000; ++i) entries.push_back(&records.add(i, 0));
  first_round.insert(entries.begin(), entries.end());
  for (InFlightRecord* entry : entries) records.remove(*entry);
  EXPECT_TRUE(records.empty());

  // As many again: every one is an address already handed out, and its fields are the new ones.
  for (int i = 0; i < 2000; ++i) {
    InFlightRecord& entry = records.add(7, 42);
    EXPECT_TRUE(first_round.contains(&entry));
    EXPECT_EQ(entry.ticket, 7u);
    EXPECT_EQ(entry.timestamp_ms, 42);
  }
  EXPECT_EQ(records.size(), 2000u);
}

}  // namespace
}  // namespace outbox
