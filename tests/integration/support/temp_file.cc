#include "tests/integration/support/temp_file.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

namespace outbox::testing {

std::string write_temp_file(const std::string& name, const std::string& text) {
  static std::atomic<int> counter{0};
  const auto path = std::filesystem::temp_directory_path() /
                    (std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace outbox::testing
