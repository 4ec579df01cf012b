// The outbox-relay binary as a child process, for tests that need real signals (SIGTERM,
// SIGKILL) and real exit statuses.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace outbox::testing {

// The path of the outbox-relay binary under test (set by CMake).
std::string relay_binary();

class RelayProcess {
 public:
  // Starts `outbox-relay args...` with stdout and stderr captured in files under a fresh
  // directory; `environment` entries ("NAME=value") are added to the test's environment.
  explicit RelayProcess(std::vector<std::string> args, std::vector<std::string> environment = {});
  ~RelayProcess();  // SIGKILLs the child if it still runs
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signo);
  // Waits for the exit; nullopt on timeout. The status is the exit code, or 128 + signal.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  void kill_hard();

  std::string out() const;  // stdout so far
  std::string err() const;  // stderr so far
  // Waits until stderr contains `text`; false on timeout or when the process exits first.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout);
  // Peak resident set size (VmHWM) in KiB while running; 0 when unknown.
  long peak_rss_kib() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string directory_;
};

// Runs `outbox-relay args...` to completion (bounded by `timeout`) and returns its exit status
// and output, for the short sub-commands (check, migrate, status).
struct RelayRun {
  int status;
  std::string out;
  std::string err;
};
RelayRun run_relay_command(std::vector<std::string> args, std::vector<std::string> environment = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Writes `text` to a fresh temporary file and returns its path.
std::string write_temp_file(const std::string& name, const std::string& text);

}  // namespace outbox::testing
