#include "relay/delivered_position.h"

#include <gtest/gtest.h>

namespace outbox {
namespace {

DeliveredPosition whole(Lsn commit) {
  return DeliveredPosition{.commit = commit,
                           .rows = std::nullopt,
                           .system_identifier = "7301234567890123456",
                           .timeline = 1};
}

TEST(DeliveredPosition, ReadsBackWhatItWrites) {
  const DeliveredPosition all = whole(Lsn(0x16B374D848));
  EXPECT_EQ(all.to_string(),
            "outbox-relay/1 commit=16/B374D848 rows=all system=7301234567890123456 timeline=1");
  EXPECT_EQ(DeliveredPosition::parse(all.to_string()), all);

  DeliveredPosition part = whole(Lsn(0x1000));
  part.rows = 40000;
  part.timeline = 3;
  EXPECT_EQ(part.to_string(),
            "outbox-relay/1 commit=0/1000 rows=40000 system=7301234567890123456 timeline=3");
  EXPECT_EQ(DeliveredPosition::parse(part.to_string()), part);
}

TEST(DeliveredPosition, RejectsAnythingItDoesNotWrite) {
  for (const char* text : {
           "",
           "outbox-relay/2 commit=0/1000 rows=all system=1 timeline=1",
           "outbox-relay/1 commit=0/0 rows=all system=1 timeline=1",
           "outbox-relay/1 commit=zz rows=all system=1 timeline=1",
           "outbox-relay/1 commit=0/1000 rows=some system=1 timeline=1",
           "outbox-relay/1 commit=0/1000 rows=-1 system=1 timeline=1",
           "outbox-relay/1 commit=0/1000 rows=all system=x timeline=1",
           "outbox-relay/1 commit=0/1000 rows=all system=1 timeline=0",
           "outbox-relay/1 commit=0/1000 rows=all system=1 timeline=4294967296",
           "outbox-relay/1 commit=0/1000 rows=all system=1",
           "outbox-relay/1 commit=0/1000 rows=all system=1 timeline=1 extra=1",
           "outbox-relay/1 rows=all commit=0/1000 system=1 timeline=1",
       }) {
    EXPECT_EQ(DeliveredPosition::parse(text), std::nullopt) << text;
  }
}

TEST(DeliveredFilter, SkipsEarlierTransactionsAndAWholeLastOne) {
  const DeliveredFilter filter(whole(Lsn(0x2000)));
  EXPECT_TRUE(filter.delivered(Lsn(0x1000), 0));
  EXPECT_TRUE(filter.delivered(Lsn(0x1FFF), 99));
  EXPECT_TRUE(filter.delivered(Lsn(0x2000), 0));
  EXPECT_TRUE(filter.delivered(Lsn(0x2000), 1'000'000));
  EXPECT_FALSE(filter.delivered(Lsn(0x2001), 0));
}

TEST(DeliveredFilter, SkipsOnlyTheDeliveredRowsOfAPartOfATransaction) {
  DeliveredPosition part = whole(Lsn(0x2000));
  part.rows = 3;
  const DeliveredFilter filter(part);
  EXPECT_TRUE(filter.delivered(Lsn(0x1000), 7));
  EXPECT_TRUE(filter.delivered(Lsn(0x2000), 0));
  EXPECT_TRUE(filter.delivered(Lsn(0x2000), 2));
  EXPECT_FALSE(filter.delivered(Lsn(0x2000), 3));
  EXPECT_FALSE(filter.delivered(Lsn(0x3000), 0));
}

TEST(DeliveredFilter, WithoutAPositionNothingIsDelivered) {
  const DeliveredFilter filter(std::nullopt);
  EXPECT_FALSE(filter.delivered(Lsn(1), 0));
}

}  // namespace
}  // namespace outbox
