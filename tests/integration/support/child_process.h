// A program as a child process with stdout and stderr captured in files, for tests that need
// real signals (SIGTERM, SIGKILL), real exit statuses and what the program logged.
// RelayProcess (relay_process.h) is this for the outbox-relay binary.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace outbox::testing {

class ChildProcess {
 public:
  // Starts `argv[0]` (a path) with arguments `argv[1...]`, stdin from /dev/null, stdout and
  // stderr in files under a fresh directory; `environment` entries ("NAME=value") are added to
  // the test's environment.
  explicit ChildProcess(std::vector<std::string> argv, std::vector<std::string> environment = {});
  ~ChildProcess();  // SIGKILLs the child if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signo);
  // Waits for the exit; nullopt on timeout. The status is the exit code, or 128 + signal.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM, then the exit status within `timeout` (nullopt: it had to be SIGKILLed).
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // SIGKILL and reap.
  void kill_hard();

  std::string out() const;  // stdout so far
  std::string err() const;  // stderr so far
  // How many times `text` occurs in stderr so far.
  std::size_t count_in_log(const std::string& text) const;
  // Waits until stderr contains `text`; false on timeout or when the process exits first.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout);
  // Peak resident set size (VmHWM) in KiB while running; 0 when unknown.
  long peak_rss_kib() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string directory_;
};

}  // namespace outbox::testing
