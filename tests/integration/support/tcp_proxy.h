// A TCP proxy on 127.0.0.1 between the relay and a server, for tests of what the network can do
// to a connection: fall silent without closing (a lost NAT entry, a hung host), break, or lead
// somewhere else (a failover behind a fixed address). One thread of the test process serves
// every connection with poll().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace outbox::testing {

class TcpProxy {
 public:
  // Listens on a free port of 127.0.0.1 and forwards each connection to 127.0.0.1:target_port.
  explicit TcpProxy(int target_port);
  ~TcpProxy();  // stops the thread and closes every socket
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  bool ok() const { return listener_ >= 0; }
  int port() const { return port_; }

  // Connections accepted from now on go to 127.0.0.1:target_port; existing ones stay put.
  void retarget(int target_port) { target_port_ = target_port; }
  // Every existing connection stops forwarding in both directions and stays open: nothing is
  // read or written any more, so both peers hear silence. Later connections forward normally.
  void freeze();
  // Closes every connection, frozen or not.
  void drop_all();

  // Connections accepted so far.
  int accepted() const { return accepted_; }

 private:
  enum class Command : std::uint8_t { kNone, kFreeze, kDropAll, kStop };

  void run();
  // Hands `command` to the proxy thread and waits (bounded) until it was carried out.
  void send(Command command);

  int listener_ = -1;
  int port_ = 0;
  int wakeup_[2] = {-1, -1};  // a pipe: writing to it wakes the thread's poll()
  std::atomic<int> target_port_;
  std::atomic<int> accepted_{0};

  std::mutex mutex_;
  std::condition_variable done_;
  Command pending_ = Command::kNone;
  std::thread thread_;
};

}  // namespace outbox::testing
