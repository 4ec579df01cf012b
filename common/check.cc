#include "common/check.h"

#include <cstdio>
#include <cstdlib>

namespace outbox {

void check_failed(std::string_view condition, std::string_view message, std::string_view file,
                  int line) {
  // stderr, unbuffered, and nothing that allocates: the process may be short of memory.
  std::fprintf(stderr, "outbox-relay: bug: %.*s (check failed: %.*s at %.*s:%d)\n",
               static_cast<int>(message.size()), message.data(), static_cast<int>(condition.size()),
               condition.data(), static_cast<int>(file.size()), file.data(), line);
  std::abort();
}

}  // namespace outbox
