#include "common/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace outbox {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return Error{ErrorCode::kMalformedMessage, std::to_string(n) + " is odd"};
  return n / 2;
}

TEST(Result, CarriesAValueOrAnError) {
  auto even = half(8);
  ASSERT_TRUE(even.ok());
  EXPECT_EQ(*even, 4);

  auto odd = half(7);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code(), ErrorCode::kMalformedMessage);
  EXPECT_EQ(odd.error().message(), "7 is odd");
}

TEST(Result, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> owned{std::make_unique<int>(5)};
  ASSERT_TRUE(owned.ok());
  std::unique_ptr<int> taken = std::move(owned).value();
  EXPECT_EQ(*taken, 5);
}

TEST(Result, VoidResultReportsSuccessOrError) {
  Result<void> fine;
  EXPECT_TRUE(fine.ok());
  Result<void> failed{Error{ErrorCode::kConnectionLost, "server closed the connection"}};
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ErrorCode::kConnectionLost);
}

TEST(ResultDeathTest, ReadingTheValueOfAFailedResultTerminates) {
  auto odd = half(3);
  EXPECT_DEATH((void)odd.value(), "value\\(\\) of a failed Result");
}

TEST(Error, EveryCodeHasADescription) {
  for (auto code :
       {ErrorCode::kMalformedMessage, ErrorCode::kUnknownMessage, ErrorCode::kInvalidOutboxRow,
        ErrorCode::kInvalidConfig, ErrorCode::kConnectionLost, ErrorCode::kServerRefused,
        ErrorCode::kProducerFatal, ErrorCode::kUndeliverableEvent, ErrorCode::kSlotLost,
        ErrorCode::kSystemFailure}) {
    EXPECT_FALSE(describe(code).empty());
    EXPECT_NE(describe(code), "unknown error");
  }
}

}  // namespace
}  // namespace outbox
