#include "tests/integration/support/notify_socket.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

bool NotifyMessage::has(const std::string& assignment) const {
  for (const auto& line : lines_of(text)) {
    if (line == assignment) return true;
  }
  return false;
}

std::optional<std::string> NotifyMessage::value(const std::string& name) const {
  for (const auto& line : lines_of(text)) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return std::nullopt;
}

NotifySocket::NotifySocket() {
  // A short path of its own: sun_path holds 108 bytes, and TMPDIR may be long.
  char pattern[] = "/tmp/outbox-relay-notify-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    return;
  }
  directory_ = pattern;
  path_ = directory_ + "/notify";
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ADD_FAILURE() << "cannot bind the notification socket " << path_ << ": "
                  << std::strerror(errno);
    return;
  }
  thread_ = std::thread([this] { listen(); });
}

NotifySocket::~NotifySocket() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  std::error_code ignored;
  if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
}

void NotifySocket::listen() {
  char buffer[4096];
  while (!stop_) {
    pollfd readable{fd_, POLLIN, 0};
    if (::poll(&readable, 1, 50) <= 0) continue;
    const ssize_t length = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (length < 0) continue;
    const auto arrived = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    messages_.push_back({arrived, std::string(buffer, static_cast<std::size_t>(length))});
  }
}

std::vector<NotifyMessage> NotifySocket::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::vector<NotifyMessage> NotifySocket::with(const std::string& assignment) const {
  std::vector<NotifyMessage> found;
  for (auto& message : messages()) {
    if (message.has(assignment)) found.push_back(std::move(message));
  }
  return found;
}

std::optional<NotifyMessage> NotifySocket::wait_for(const std::string& assignment,
                                                    std::chrono::milliseconds timeout) const {
  std::optional<NotifyMessage> first;
  wait_until(
      [&] {
        if (auto found = with(assignment); !found.empty()) first = found.front();
        return first.has_value();
      },
      timeout, std::chrono::milliseconds(20));
  return first;
}

std::string NotifySocket::transcript() const {
  std::string out;
  for (const auto& message : messages()) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(message.arrived - created_).count();
    out += "+" + std::to_string(ms) + " ms: ";
    const auto lines = lines_of(message.text);
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? " | " : "") + lines[i];
    out += "\n";
  }
  return out.empty() ? std::string("(no datagrams)\n") : out;
}

}  // namespace outbox::testing
