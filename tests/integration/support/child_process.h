// Any program as a child process (RelayProcess runs only the relay binary), with stdout and
// stderr captured in files, for tests that start several cooperating processes. Header-only.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace outbox::testing {

class ChildProcess {
 public:
  // Starts `argv[0]` (a path) with arguments `argv[1...]` and the test's environment.
  explicit ChildProcess(std::vector<std::string> argv) {
    static std::atomic<int> counter{0};
    directory_ =
        (std::filesystem::temp_directory_path() /
         ("outbox-relay-child-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)))
            .string();
    std::filesystem::create_directories(directory_);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    const std::string out_path = directory_ + "/stdout";
    const std::string err_path = directory_ + "/stderr";
    pid_ = ::fork();
    if (pid_ == 0) {
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execv(args[0], args.data());
      _exit(127);
    }
  }
  ~ChildProcess() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() {
    if (status_ || pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    return true;
  }
  void signal(int signo) {
    if (running()) ::kill(pid_, signo);
  }
  // The exit status (128 + signal when killed); nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return status_;
  }
  // SIGTERM, then the exit status within `timeout` (nullopt: it had to be SIGKILLed).
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    signal(SIGTERM);
    auto status = wait(timeout);
    if (!status && running()) {
      ::kill(pid_, SIGKILL);
      wait(std::chrono::seconds(5));
    }
    return status;
  }

  std::string out() const { return read(directory_ + "/stdout"); }
  std::string err() const { return read(directory_ + "/stderr"); }
  // How many times `text` occurs in stderr so far.
  std::size_t count_in_log(const std::string& text) const {
    const std::string log = err();
    std::size_t count = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + text.size())) {
      ++count;
    }
    return count;
  }

 private:
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string directory_;
};

}  // namespace outbox::testing
