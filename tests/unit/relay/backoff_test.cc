#include "relay/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace outbox {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kInitial{100};
constexpr milliseconds kCap{3000};

std::vector<milliseconds> draw(Backoff& backoff, int count) {
  std::vector<milliseconds> waits;
  for (int i = 0; i < count; ++i) waits.push_back(backoff.next());
  return waits;
}

TEST(Backoff, TheFirstWaitIsTheInitialDelay) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Backoff backoff(kInitial, kCap, seed);
    EXPECT_EQ(backoff.next(), kInitial) << "seed " << seed;
  }
}

TEST(Backoff, TheNthWaitLiesBetweenTheInitialDelayAndItsDoubledCeiling) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Backoff backoff(kInitial, kCap, seed);
    milliseconds ceiling = kInitial;
    for (int n = 0; n < 10; ++n) {
      const auto wait = backoff.next();
      EXPECT_GE(wait, kInitial) << "seed " << seed << ", wait " << n;
      EXPECT_LE(wait, std::min(ceiling, kCap)) << "seed " << seed << ", wait " << n;
      ceiling *= 2;
    }
  }
}

TEST(Backoff, WaitsGrowPastEachEarlierCeilingUntilTheCap) {
  // Over many seeds, the longest n-th wait exceeds the (n-1)-th ceiling: the range doubles.
  // 100, 200, 400, 800, 1600, then the cap of 3000.
  milliseconds previous_ceiling = kInitial;
  for (int n = 1; n <= 5; ++n) {
    milliseconds longest{0};
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      Backoff backoff(kInitial, kCap, seed);
      longest = std::max(longest, draw(backoff, n + 1).back());
    }
    EXPECT_GT(longest, previous_ceiling) << "wait " << n;
    previous_ceiling *= 2;
  }
}

TEST(Backoff, NeverWaitsLongerThanTheCapHoweverManyAttempts) {
  Backoff backoff(kInitial, kCap, 7);
  milliseconds longest{0};
  for (const auto wait : draw(backoff, 200)) {
    EXPECT_GE(wait, kInitial);
    EXPECT_LE(wait, kCap);
    longest = std::max(longest, wait);
  }
  EXPECT_GT(longest, kCap / 2) << "waits past the cap's attempt are drawn up to the cap";
}

TEST(Backoff, JitterSpreadsTheWaitsOfOneAttempt) {
  // The fourth wait is uniform in [100, 800]: relays seeded differently do not wait alike.
  std::vector<milliseconds> fourth;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    Backoff backoff(kInitial, kCap, seed);
    fourth.push_back(draw(backoff, 4).back());
  }
  const auto [shortest, longest] = std::minmax_element(fourth.begin(), fourth.end());
  EXPECT_LT(*shortest, milliseconds(300));
  EXPECT_GT(*longest, milliseconds(600));
}

TEST(Backoff, TheSameSeedDrawsTheSameWaits) {
  Backoff first(kInitial, kCap, 42);
  Backoff second(kInitial, kCap, 42);
  EXPECT_EQ(draw(first, 20), draw(second, 20));
}

TEST(Backoff, UnseededBackoffsDoNotWaitInLockstep) {
  // Nine draws from ranges 2 to 512 wide: equal by chance about once in 2^45.
  Backoff first(milliseconds(1), milliseconds(1000));
  Backoff second(milliseconds(1), milliseconds(1000));
  EXPECT_NE(draw(first, 10), draw(second, 10));
}

TEST(Backoff, ResetStartsAgainFromTheInitialDelay) {
  Backoff backoff(kInitial, kCap, 3);
  draw(backoff, 8);
  backoff.reset();
  EXPECT_EQ(backoff.next(), kInitial);
  EXPECT_LE(backoff.next(), 2 * kInitial) << "the second wait after a reset is the second range";
}

TEST(Backoff, CountsAttemptsSinceTheLastReset) {
  Backoff backoff(kInitial, kCap, 3);
  EXPECT_EQ(backoff.attempts(), 0);
  draw(backoff, 3);
  EXPECT_EQ(backoff.attempts(), 3);
  backoff.reset();
  EXPECT_EQ(backoff.attempts(), 0);
  backoff.next();
  EXPECT_EQ(backoff.attempts(), 1);
}

}  // namespace
}  // namespace outbox
