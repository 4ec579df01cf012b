#include "tests/integration/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "tests/integration/support/occurrences.h"
#include "tests/integration/support/process_memory.h"
#include "tests/integration/support/wait_until.h"
#include "tests/support/text_file.h"

extern char** environ;

namespace outbox::testing {
namespace {

std::string make_directory() {
  static std::atomic<int> counter{0};
  const auto path =
      std::filesystem::temp_directory_path() /
      ("outbox-relay-child-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::create_directories(path);
  return path.string();
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, std::vector<std::string> environment)
    : directory_(make_directory()) {
  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) env_storage.emplace_back(*entry);
  env_storage.insert(env_storage.end(), environment.begin(), environment.end());
  std::vector<char*> args, envp;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
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
    // The test may block signals; the child must start with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) kill_hard();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

bool ChildProcess::running() {
  if (status_ || pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

void ChildProcess::signal(int signo) {
  if (running()) ::kill(pid_, signo);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (!wait_until([&] { return !running(); }, timeout, std::chrono::milliseconds(20))) {
    return std::nullopt;
  }
  return status_;
}

std::optional<int> ChildProcess::stop(std::chrono::milliseconds timeout) {
  signal(SIGTERM);
  auto status = wait(timeout);
  if (!status) kill_hard();
  return status;
}

void ChildProcess::kill_hard() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  status_ = 128 + SIGKILL;
}

std::string ChildProcess::out() const { return read_text_file(directory_ + "/stdout"); }
std::string ChildProcess::err() const { return read_text_file(directory_ + "/stderr"); }

std::size_t ChildProcess::count_in_log(const std::string& text) const {
  return occurrences(err(), text);
}

bool ChildProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
  bool exited = false;
  const bool logged = wait_until(
      [&] {
        if (err().find(text) != std::string::npos) return true;
        exited = !running();
        return exited;
      },
      timeout, std::chrono::milliseconds(50));
  // An exit ends the wait; what the process wrote before it still counts.
  return logged && (!exited || err().find(text) != std::string::npos);
}

long ChildProcess::peak_rss_kib() const { return peak_resident_kib(pid_); }

}  // namespace outbox::testing
