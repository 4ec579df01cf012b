// Files the relay reads (configurations), written where each test run has names of its own.
#pragma once

#include <string>

namespace outbox::testing {

// Writes `text` to a fresh temporary file whose name ends in `name` and returns its path.
std::string write_temp_file(const std::string& name, const std::string& text);

}  // namespace outbox::testing
