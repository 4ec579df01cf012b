#include "relay/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace outbox {
namespace {

// Only the outbox-relay executable links jemalloc (tests/packaging/package-contents.sh checks
// that its log names it): a test binary, sanitized or not, runs with the C library's malloc.
TEST(AllocatorName, SaysLibcWhenNoJemallocIsLoaded) {
  if (std::getenv("LD_PRELOAD") != nullptr &&
      std::string(std::getenv("LD_PRELOAD")).find("jemalloc") != std::string::npos) {
    GTEST_SKIP() << "jemalloc is preloaded";
  }
  EXPECT_EQ(allocator_name(), "libc");
}

}  // namespace
}  // namespace outbox
