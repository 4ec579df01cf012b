// Plays systemd's side of sd_notify for a relay run as a child process: a unix datagram socket in
// a temporary directory, named to the child by NOTIFY_SOCKET, and a thread that records every
// datagram with the time it arrived, so tests can ask when READY=1 came and how often the
// watchdog was pinged while the relay was stopping.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace outbox::testing {

struct NotifyMessage {
  std::chrono::steady_clock::time_point arrived;
  std::string text;  // the datagram: "NAME=value" assignments, one a line

  // True when one of its lines is exactly `assignment` ("READY=1").
  bool has(const std::string& assignment) const;
  // The value of `name` ("STATUS"), nullopt when the datagram does not assign it.
  std::optional<std::string> value(const std::string& name) const;
};

class NotifySocket {
 public:
  NotifySocket();  // binds and starts listening; a test failure when it cannot
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // "NOTIFY_SOCKET=<path>", for RelayProcess's environment.
  std::string environment() const { return "NOTIFY_SOCKET=" + path_; }

  // Every datagram so far, in arrival order.
  std::vector<NotifyMessage> messages() const;
  // The first datagram with the line `assignment`, waiting up to `timeout` for it.
  std::optional<NotifyMessage> wait_for(const std::string& assignment,
                                        std::chrono::milliseconds timeout) const;
  // Every datagram so far with the line `assignment`, in arrival order.
  std::vector<NotifyMessage> with(const std::string& assignment) const;
  // The datagrams, one a line with its arrival in ms since the socket was bound and its
  // assignments separated by " | ", for failure output.
  std::string transcript() const;

 private:
  void listen();

  std::chrono::steady_clock::time_point created_ = std::chrono::steady_clock::now();
  std::string directory_;
  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<NotifyMessage> messages_;
};

}  // namespace outbox::testing
