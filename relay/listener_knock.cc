#include "relay/listener_knock.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace outbox {
namespace {

constexpr auto kKnockEvery = std::chrono::milliseconds(5);

std::string loopback_for(std::string host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

void knock(const addrinfo& address) {
  const int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  // Refused once the listener has closed: the knock has done its work by then.
  (void)::connect(fd, address.ai_addr, address.ai_addrlen);
  ::close(fd);
}

}  // namespace

ListenerKnock::ListenerKnock(const std::string& listen, int port) {
  const auto colon = listen.rfind(':');
  const std::string host = loopback_for(colon == std::string::npos ? "" : listen.substr(0, colon));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  // A host name rather than an address is not resolved here: without a knock the stop is only
  // slower, never wrong.
  if (port <= 0 || ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return;
  }
  knocker_ = std::jthread([found](std::stop_token stop) {
    while (!stop.stop_requested()) {
      knock(*found);
      std::this_thread::sleep_for(kKnockEvery);
    }
    ::freeaddrinfo(found);
  });
}

}  // namespace outbox
