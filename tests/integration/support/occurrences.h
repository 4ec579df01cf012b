// Counting what a log says, for tests that expect a line a given number of times.
#pragma once

#include <cstddef>
#include <string>

namespace outbox::testing {

// How many times `part` occurs in `text`, not overlapping; 0 for an empty `part`.
inline std::size_t occurrences(const std::string& text, const std::string& part) {
  if (part.empty()) return 0;
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

}  // namespace outbox::testing
