// Stopping the relay while another thread of it is still busy: the teardown must wait for it,
// not free what it uses.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "tests/integration/support/http.h"
#include "tests/integration/support/relay_fixture.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

// A "broker" on 127.0.0.1 that takes TCP connections and never says a word: it listens and
// never calls accept(), so the kernel completes each handshake and the client's requests sit
// unread. A metadata request to it waits for its whole timeout.
class SilentBroker {
 public:
  SilentBroker() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentBroker() {
    if (fd_ >= 0) ::close(fd_);
  }
  SilentBroker(const SilentBroker&) = delete;
  SilentBroker& operator=(const SilentBroker&) = delete;

  int port() const { return port_; }  // 0 when it could not listen

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(RelayTeardown, ExitsCleanlyWhileAReadinessProbeIsInsideTheProducer) {
  SilentBroker broker;
  ASSERT_NE(broker.port(), 0) << "cannot listen on 127.0.0.1";
  RelayFixture fixture("teardown");
  // Whether the teardown trips over the probe depends on timing: a few runs give it more chances.
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int metrics_port = free_tcp_port();
    auto relay = fixture.start_relay(
        fixture.config_file(),
        {"--set", "sink.kafka.bootstrap.servers=127.0.0.1:" + std::to_string(broker.port()),
         "--set", "metrics.listen=127.0.0.1:" + std::to_string(metrics_port)});
    ASSERT_TRUE(relay->running()) << relay->err();

    // /readyz asks the producer for metadata, which the silent broker makes last its whole 2 s.
    HttpResponse readiness;
    std::thread probe([&] { readiness = http_get(metrics_port, "/readyz", 10s); });
    // SIGTERM well inside the 2 s the probe takes. A fixed delay on purpose: nothing outside the
    // relay shows the probe inside the producer, and the race with it is what this test is about.
    std::this_thread::sleep_for(300ms);
    relay->signal(SIGTERM);
    const auto status = relay->wait(30s);
    probe.join();

    ASSERT_TRUE(status.has_value()) << "the relay did not stop within 30 s\n" << relay->err();
    const std::string log = relay->err();
    EXPECT_EQ(*status, 0) << log;
    for (const char* sanitizer : {"AddressSanitizer", "runtime error", "heap-use-after-free"}) {
      EXPECT_THAT(log, Not(HasSubstr(sanitizer))) << sanitizer << "\n" << log;
    }
    // The round proves something only when the probe reached the producer.
    EXPECT_THAT(readiness.body, Not(HasSubstr("not streaming")));
    std::printf("[ info ] round %d: exit %d; /readyz answered %d %s\n", round, *status,
                readiness.status, readiness.body.c_str());
  }
}

}  // namespace
}  // namespace outbox::testing
