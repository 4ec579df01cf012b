#include "tests/integration/support/private_services.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "tests/integration/support/services.h"

namespace outbox::testing {

int run_shell(const std::string& command, std::string* output, int timeout_seconds) {
  const std::string bounded =
      "timeout " + std::to_string(timeout_seconds) + " bash -c '" + command + "' 2>&1";
  FILE* pipe = ::popen(bounded.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer;
  std::string text;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    text.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  if (output != nullptr) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

PrivateServices::PrivateServices(const std::string& name) {
  state_ =
      (std::filesystem::path(OUTBOX_RELAY_BUILD_DIR) / "private-env" / unique_name(name)).string();
  std::string env;
  if (!local_env("up", &env)) return;
  auto value = [&](const std::string& key) {
    const auto at = env.find("export " + key + "=");
    if (at == std::string::npos) return std::string();
    const auto start = at + 8 + key.size();
    return env.substr(start, env.find('\n', start) - start);
  };
  pg_port_ = value("PGPORT");
  kafka_bootstrap_ = value("KAFKA_BOOTSTRAP");
  ok_ = !pg_port_.empty() && !kafka_bootstrap_.empty();
  EXPECT_TRUE(ok_) << env;
}

PrivateServices::~PrivateServices() {
  local_env("destroy");
  std::error_code ignored;
  std::filesystem::remove_all(state_, ignored);
}

std::string PrivateServices::conninfo(const std::string& database) const {
  return "host=127.0.0.1 port=" + pg_port_ + " user=postgres dbname=" + database +
         " connect_timeout=10";
}

bool PrivateServices::local_env(const std::string& command, std::string* output) {
  std::string text;
  const int status = run_shell(
      std::string(OUTBOX_RELAY_SOURCE_DIR) + "/scripts/local-env --state " + state_ + " " + command,
      &text);
  if (output != nullptr) *output = text;
  EXPECT_EQ(status, 0) << "scripts/local-env " << command << ":\n" << text;
  return status == 0;
}

bool PrivateServices::stop_postgres() { return local_env("pg-stop"); }
bool PrivateServices::start_postgres() { return local_env("pg-start"); }
bool PrivateServices::stop_kafka() { return local_env("kafka-stop"); }
bool PrivateServices::start_kafka() { return local_env("kafka-start"); }

}  // namespace outbox::testing
