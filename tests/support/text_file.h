// A whole file as text, for tests that read what a process wrote or a file of the source tree.
// Header-only, so unit and integration tests use it without a library of their own.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace outbox::testing {

// The file's bytes; "" when it cannot be read (a process that has not written yet).
inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace outbox::testing
