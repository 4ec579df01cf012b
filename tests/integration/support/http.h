// Just enough HTTP for tests: GET a path on 127.0.0.1, and a port nobody listens on.
#pragma once

#include <chrono>
#include <string>

namespace outbox::testing {

struct HttpResponse {
  int status = 0;  // 0 when there was no answer
  std::string body;
};

HttpResponse http_get(int port, const std::string& path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

// A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, read back, closed).
int free_tcp_port();

}  // namespace outbox::testing
