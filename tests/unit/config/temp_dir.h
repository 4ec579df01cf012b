// A directory of its own for each test, removed when the test ends, for configuration files.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"
#include "config/config.h"

namespace outbox::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `name` in the directory; returns the file's path.
  std::string write(std::string_view name, std::string_view text) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The error message of a load that must fail; "(loaded)" when it did not.
std::string load_error(const ConfigSources& sources);

// The two keys without a usable default, for tests about something else.
inline constexpr std::string_view kRequiredYaml =
    "source:\n"
    "  dsn: host=db.internal dbname=app user=relay\n"
    "sink:\n"
    "  kafka:\n"
    "    bootstrap.servers: kafka-1:9092\n";

}  // namespace outbox::testing
