// The outbox-relay binary as a child process (ChildProcess), and its short sub-commands run to
// completion.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/child_process.h"

namespace outbox::testing {

// The path of the outbox-relay binary under test (set by CMake).
std::string relay_binary();

class RelayProcess : public ChildProcess {
 public:
  // Starts `outbox-relay args...`; `environment` entries ("NAME=value") are added to the test's
  // environment.
  explicit RelayProcess(std::vector<std::string> args, std::vector<std::string> environment = {});
};

// Starts `outbox-relay run --config <config_path> extra_args...` with `environment` added, and
// waits until it streams (a test failure when it does not within a minute).
std::unique_ptr<RelayProcess> start_streaming_relay(const std::string& config_path,
                                                    std::vector<std::string> extra_args = {},
                                                    std::vector<std::string> environment = {});

// Runs `outbox-relay args...` to completion (bounded by `timeout`) and returns its exit status
// and output, for the short sub-commands (check, migrate, status).
struct RelayRun {
  int status;
  std::string out;
  std::string err;
};
RelayRun run_relay_command(std::vector<std::string> args, std::vector<std::string> environment = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace outbox::testing
