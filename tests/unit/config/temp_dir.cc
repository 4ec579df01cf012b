#include "tests/unit/config/temp_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

namespace outbox::testing {

TempDir::TempDir() {
  // ctest runs each test in its own process, possibly in parallel: the pid, the test's name and
  // a random number keep directories apart.
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string base = "outbox-config-test-" + std::to_string(::getpid());
  if (test != nullptr) base += std::string("-") + test->test_suite_name() + "-" + test->name();
  std::random_device random;
  for (int attempt = 0;; ++attempt) {
    path_ = std::filesystem::temp_directory_path() / (base + "-" + std::to_string(random()));
    if (std::filesystem::create_directory(path_)) break;
    if (attempt == 100) throw std::runtime_error("cannot create a temporary directory");
  }
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(std::string_view name, std::string_view text) const {
  const auto file = path_ / name;
  std::ofstream out(file, std::ios::binary);
  out << text;
  out.close();
  if (!out) ADD_FAILURE() << "cannot write " << file;
  return file.string();
}

std::string load_error(const ConfigSources& sources) {
  const auto config = load_config(sources);
  if (config.ok()) return "(loaded)";
  EXPECT_EQ(config.error().code(), ErrorCode::kInvalidConfig);
  return config.error().message();
}

}  // namespace outbox::testing
