// The leadership lock's key: every relay on a slot, of any version, must compute the same one,
// so it is pinned here (FNV-1a, 64 bits, of "outbox-relay slot <name>"). The lease itself runs
// against a real server in tests/integration/relay/relay_standby_test.cc.
#include "relay/leader_lease.h"

#include <gtest/gtest.h>

namespace outbox {
namespace {

TEST(LeaderLease, TheLockKeyOfASlotIsFixed) {
  EXPECT_EQ(LeaderLease::key_of("outbox_relay"), 5577708540133295807);
  EXPECT_EQ(LeaderLease::key_of("orders"), 6835422937335529569);
}

TEST(LeaderLease, SlotsGetDifferentKeys) {
  EXPECT_NE(LeaderLease::key_of("orders"), LeaderLease::key_of("orders2"));
  EXPECT_NE(LeaderLease::key_of(""), LeaderLease::key_of("a"));
}

}  // namespace
}  // namespace outbox
