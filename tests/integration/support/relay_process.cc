#include "tests/integration/support/relay_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/support/services.h"

extern char** environ;

namespace outbox::testing {
namespace {

std::string make_directory() {
  static std::atomic<int> counter{0};
  const auto path =
      std::filesystem::temp_directory_path() /
      ("outbox-relay-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::create_directories(path);
  return path.string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string relay_binary() { return OUTBOX_RELAY_BINARY; }

RelayProcess::RelayProcess(std::vector<std::string> args, std::vector<std::string> environment)
    : directory_(make_directory()) {
  std::vector<std::string> argv_storage = {relay_binary()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) env_storage.emplace_back(*entry);
  env_storage.insert(env_storage.end(), environment.begin(), environment.end());
  std::vector<char*> argv, envp;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const std::string out_path = directory_ + "/stdout";
  const std::string err_path = directory_ + "/stderr";

  pid_ = ::fork();
  if (pid_ == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // The test may block signals; the relay must start with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
}

RelayProcess::~RelayProcess() {
  if (running()) kill_hard();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

bool RelayProcess::running() {
  if (status_ || pid_ <= 0) return false;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

void RelayProcess::signal(int signo) {
  if (running()) ::kill(pid_, signo);
}

std::optional<int> RelayProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

void RelayProcess::kill_hard() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  status_ = 128 + SIGKILL;
}

std::string RelayProcess::out() const { return read_file(directory_ + "/stdout"); }
std::string RelayProcess::err() const { return read_file(directory_ + "/stderr"); }

bool RelayProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (err().find(text) != std::string::npos) return true;
    if (!running()) return err().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

long RelayProcess::peak_rss_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

RelayRun run_relay_command(std::vector<std::string> args, std::vector<std::string> environment,
                           std::chrono::milliseconds timeout) {
  RelayProcess process(std::move(args), std::move(environment));
  auto status = process.wait(timeout);
  if (!status) {
    process.kill_hard();
    return {-1, process.out(), process.err() + "\n[test: killed after the timeout]"};
  }
  return {*status, process.out(), process.err()};
}

std::string write_temp_file(const std::string& name, const std::string& text) {
  static std::atomic<int> counter{0};
  const auto path = std::filesystem::temp_directory_path() /
                    (std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace outbox::testing
