#include "tests/integration/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <string>
#include <vector>

namespace outbox::testing {
namespace {

using namespace std::chrono_literals;

// One proxied connection: bytes read from one side wait in a buffer until the other side
// takes them, and nothing more is read from a side while its buffer is not empty.
struct Connection {
  int client = -1;
  int server = -1;
  std::string to_server;
  std::string to_client;
  bool frozen = false;

  void close_both() {
    if (client >= 0) ::close(client);
    if (server >= 0) ::close(server);
    client = server = -1;
  }
};

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

// A connection to 127.0.0.1:port, or -1. SO_SNDTIMEO bounds connect() on Linux.
int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval limit{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  const sockaddr_in address = loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void no_delay(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// Reads what `from` has into `buffer`; false when `from` closed or failed.
bool read_into(int from, std::string& buffer) {
  char bytes[65536];
  const ssize_t n = ::recv(from, bytes, sizeof bytes, MSG_DONTWAIT);
  if (n > 0) buffer.append(bytes, static_cast<std::size_t>(n));
  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
}

// Writes what `to` takes of `buffer`; false when `to` failed.
bool write_from(std::string& buffer, int to) {
  const ssize_t n = ::send(to, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n > 0) buffer.erase(0, static_cast<std::size_t>(n));
  return n >= 0 || errno == EAGAIN || errno == EINTR;
}

short events_for(const std::string& incoming, const std::string& outgoing) {
  return static_cast<short>((incoming.empty() ? POLLIN : 0) | (outgoing.empty() ? 0 : POLLOUT));
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  if (::pipe2(wakeup_, O_CLOEXEC | O_NONBLOCK) != 0) return;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "the proxy cannot listen on 127.0.0.1: " << std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return;
  }
  listener_ = fd;
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  if (thread_.joinable()) {
    send(Command::kStop);
    thread_.join();
  }
  for (const int fd : {listener_, wakeup_[0], wakeup_[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

void TcpProxy::freeze() { send(Command::kFreeze); }
void TcpProxy::drop_all() { send(Command::kDropAll); }

void TcpProxy::send(Command command) {
  std::unique_lock lock(mutex_);
  const bool idle = done_.wait_for(lock, 5s, [&] { return pending_ == Command::kNone; });
  pending_ = command;
  const char byte = 1;
  if (!idle || ::write(wakeup_[1], &byte, 1) != 1 ||
      !done_.wait_for(lock, 5s, [&] { return pending_ == Command::kNone; })) {
    ADD_FAILURE() << "the proxy thread did not carry out a command within 5 s";
  }
}

void TcpProxy::run() {
  std::list<Connection> connections;
  std::vector<pollfd> fds;
  std::vector<Connection*> owners;  // fds[i + 2] belongs to owners[i]
  while (true) {
    fds.assign({{wakeup_[0], POLLIN, 0}, {listener_, POLLIN, 0}});
    owners.clear();
    for (auto& connection : connections) {
      if (connection.frozen) continue;  // never polled, never read, never written
      fds.push_back({connection.client, events_for(connection.to_server, connection.to_client), 0});
      fds.push_back({connection.server, events_for(connection.to_client, connection.to_server), 0});
      owners.push_back(&connection);
      owners.push_back(&connection);
    }
    // Commands wake the poll through the pipe; the timeout only bounds a lost wake-up.
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) {
      ADD_FAILURE() << "the proxy's poll failed: " << std::strerror(errno);
      break;
    }

    for (std::size_t i = 2; i < fds.size(); ++i) {
      Connection& connection = *owners[i - 2];
      const short revents = fds[i].revents;
      if (revents == 0 || connection.client < 0) continue;
      const bool is_client = fds[i].fd == connection.client;
      std::string& incoming = is_client ? connection.to_server : connection.to_client;
      std::string& outgoing = is_client ? connection.to_client : connection.to_server;
      bool alive = (revents & POLLNVAL) == 0;
      if (alive && (revents & (POLLIN | POLLHUP | POLLERR))) alive = read_into(fds[i].fd, incoming);
      if (alive && (revents & POLLOUT)) alive = write_from(outgoing, fds[i].fd);
      // Either side gone ends the whole connection: the tests need no half-closed streams.
      if (!alive) connection.close_both();
    }
    connections.remove_if([](const Connection& connection) { return connection.client < 0; });

    if (fds[0].revents & POLLIN) {
      char drained[64];
      while (::read(wakeup_[0], drained, sizeof drained) > 0) {
      }
      std::lock_guard lock(mutex_);
      const Command command = pending_;
      if (command == Command::kFreeze) {
        for (auto& connection : connections) connection.frozen = true;
      } else if (command == Command::kDropAll || command == Command::kStop) {
        for (auto& connection : connections) connection.close_both();
        connections.clear();
      }
      pending_ = Command::kNone;
      done_.notify_all();
      if (command == Command::kStop) return;
    }

    if (fds[1].revents & POLLIN) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++accepted_;
      const int server = connect_to(target_port_);
      if (server < 0) {
        ::close(client);  // the target refused: so does the proxy
        continue;
      }
      no_delay(client);
      no_delay(server);
      connections.push_back({client, server, {}, {}, false});
    }
  }
  for (auto& connection : connections) connection.close_both();
}

}  // namespace outbox::testing
