#include "common/lsn.h"

#include <gtest/gtest.h>

#include <sstream>

namespace outbox {
namespace {

TEST(Lsn, PrintsBothHalvesInUpperCaseHexadecimal) {
  EXPECT_EQ(Lsn{0x16B374D848}.to_string(), "16/B374D848");
  EXPECT_EQ(Lsn{}.to_string(), "0/0");
  EXPECT_EQ(Lsn{0xFFFFFFFFFFFFFFFF}.to_string(), "FFFFFFFF/FFFFFFFF");
  std::ostringstream out;
  out << Lsn{0x100000001};
  EXPECT_EQ(out.str(), "1/1");
}

TEST(Lsn, ParsesWhatPostgresPrints) {
  EXPECT_EQ(Lsn::parse("16/B374D848"), Lsn{0x16B374D848});
  EXPECT_EQ(Lsn::parse("0/0"), Lsn{});
  EXPECT_EQ(Lsn::parse("ffffffff/ffffffff"), Lsn{0xFFFFFFFFFFFFFFFF});
  EXPECT_EQ(Lsn::parse("0/1A2b3C"), Lsn{0x1A2B3C});
}

TEST(Lsn, RoundTripsThroughText) {
  for (std::uint64_t value : {0x0ull, 0x1ull, 0x16B374D848ull, 0xDEADBEEF00000000ull, ~0ull}) {
    EXPECT_EQ(Lsn::parse(Lsn{value}.to_string()), Lsn{value}) << value;
  }
}

TEST(Lsn, RejectsTextThatIsNotAnLsn) {
  for (const char* text : {"", "/", "0/", "/0", "12345", "0/123456789", "123456789/0", "0x1/0",
                           "1/2/3", " 1/2", "1/2 ", "g/0", "-1/0", "+1/0"}) {
    EXPECT_FALSE(Lsn::parse(text).has_value()) << '"' << text << '"';
  }
}

TEST(Lsn, OrdersByPositionAndMeasuresDistance) {
  EXPECT_LT(Lsn{1}, Lsn{2});
  EXPECT_LT(Lsn{0xFFFFFFFF}, Lsn{0x100000000});
  EXPECT_EQ(Lsn{7}, Lsn{7});
  EXPECT_EQ(bytes_between(Lsn{100}, Lsn{350}), 250u);
  EXPECT_EQ(bytes_between(Lsn{350}, Lsn{100}), 0u);
  EXPECT_FALSE(Lsn{}.is_valid());
  EXPECT_TRUE(Lsn{1}.is_valid());
}

}  // namespace
}  // namespace outbox
