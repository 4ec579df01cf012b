// Wakes a server thread that only notices a stop between polls of its listening socket.
//
// civetweb's listener thread polls its sockets with a 2-second timeout and checks its stop flag
// only when that poll returns, so mg_stop() (CivetServer::close) takes up to 2 s, more on a busy
// machine: every graceful stop of the relay, and a second signal that asks to stop at once,
// would wait for it. While a ListenerKnock lives, a thread of its own connects to the listener
// every few milliseconds; each connection ends the poll, and the listener sees the flag at once.
// A connection accepted before the flag is set is handed to a worker, which reads end of file
// and closes it.
#pragma once

#include <string>
#include <thread>

namespace outbox {

class ListenerKnock {
 public:
  // `listen` is the server's "host:port" (IPv6 hosts in brackets). A wildcard host (0.0.0.0,
  // [::]) is reached on its loopback address.
  ListenerKnock(const std::string& listen, int port);

 private:
  std::jthread knocker_;
};

}  // namespace outbox
