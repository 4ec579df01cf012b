#include "relay/systemd_notifier.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace outbox {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

// Plays systemd's side: a unix datagram socket in a temporary directory, named by NOTIFY_SOCKET.
// Datagrams on a unix socket are queued by the sender's sendmsg(), so they can be read at once.
class NotifySocket {
 public:
  NotifySocket() {
    char pattern[] = "/tmp/outbox-relay-notify-XXXXXX";
    const char* dir = ::mkdtemp(pattern);
    if (dir == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      throw std::runtime_error("cannot bind the notification socket");
    }
  }
  ~NotifySocket() {
    ::close(fd_);
    std::filesystem::remove_all(dir_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }

  // The next datagram, or nothing when none is waiting.
  std::optional<std::string> next() {
    char buffer[4096];
    const ssize_t length = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (length < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(length));
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
};

class SystemdNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("NOTIFY_SOCKET", socket_.path().c_str(), 1);
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }

  NotifySocket socket_;
};

TEST_F(SystemdNotifierTest, SendsReadyWithItsStatus) {
  SystemdNotifier systemd;
  EXPECT_TRUE(systemd.enabled());
  systemd.ready("streaming from 0/16B3A000");
  EXPECT_EQ(socket_.next(), "READY=1\nSTATUS=streaming from 0/16B3A000");
  EXPECT_TRUE(systemd.is_ready());
  EXPECT_EQ(socket_.next(), std::nullopt);
}

TEST_F(SystemdNotifierTest, ReadyTwiceOnlyUpdatesTheStatus) {
  SystemdNotifier systemd;
  systemd.ready("streaming from 0/1");
  systemd.ready("streaming from 0/2");
  EXPECT_EQ(socket_.next(), "READY=1\nSTATUS=streaming from 0/1");
  EXPECT_EQ(socket_.next(), "STATUS=streaming from 0/2");
}

TEST_F(SystemdNotifierTest, SendsAStatusOnlyWhenItChanges) {
  SystemdNotifier systemd;
  systemd.status("streaming, confirmed 0/16B3A000");
  systemd.status("streaming, confirmed 0/16B3A000");
  systemd.status("streaming, confirmed 0/16B3A0F8");
  EXPECT_EQ(socket_.next(), "STATUS=streaming, confirmed 0/16B3A000");
  EXPECT_EQ(socket_.next(), "STATUS=streaming, confirmed 0/16B3A0F8");
  EXPECT_EQ(socket_.next(), std::nullopt);
}

TEST_F(SystemdNotifierTest, KeepsAStatusOnOneLineSoItCannotAssignAnythingElse) {
  SystemdNotifier systemd;
  systemd.status("connection lost: server closed\nREADY=1\r\n");
  EXPECT_EQ(socket_.next(), "STATUS=connection lost: server closed READY=1  ");
}

TEST_F(SystemdNotifierTest, SendsStopping) {
  SystemdNotifier systemd;
  systemd.stopping();
  EXPECT_EQ(socket_.next(), "STOPPING=1");
  systemd.stopping("stopping: 12 deliveries outstanding");
  EXPECT_EQ(socket_.next(), "STOPPING=1\nSTATUS=stopping: 12 deliveries outstanding");
}

TEST_F(SystemdNotifierTest, PingsTheWatchdogAndExtendsTheStartUntilReady) {
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  SystemdNotifier systemd;
  systemd.watchdog_ping();
  EXPECT_EQ(socket_.next(), "WATCHDOG=1\nEXTEND_TIMEOUT_USEC=90000000");
  systemd.ready("streaming");
  EXPECT_EQ(socket_.next(), "READY=1\nSTATUS=streaming");
  systemd.watchdog_ping();
  EXPECT_EQ(socket_.next(), "WATCHDOG=1");
}

TEST_F(SystemdNotifierTest, ExtendsTheStartByFourPingsWhenThatIsLongerThan90Seconds) {
  ::setenv("WATCHDOG_USEC", "300000000", 1);  // WatchdogSec=5min: a ping every 150 s
  SystemdNotifier systemd;
  EXPECT_EQ(systemd.startup_extension(), seconds(600));
  systemd.watchdog_ping();
  EXPECT_EQ(socket_.next(), "WATCHDOG=1\nEXTEND_TIMEOUT_USEC=600000000");
}

TEST_F(SystemdNotifierTest, PingsAtHalfTheWatchdogTimeout) {
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  EXPECT_EQ(SystemdNotifier().watchdog_interval(), seconds(15));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(SystemdNotifier().watchdog_interval(), seconds(15));
}

TEST_F(SystemdNotifierTest, HasNoWatchdogWhenTheUnitSetsNone) {
  EXPECT_EQ(SystemdNotifier().watchdog_interval(), microseconds(0));
}

TEST_F(SystemdNotifierTest, HasNoWatchdogWhenItIsMeantForAnotherProcess) {
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_EQ(SystemdNotifier().watchdog_interval(), microseconds(0));
}

TEST_F(SystemdNotifierTest, HasNoWatchdogWhenTheTimeoutIsNotANumber) {
  ::setenv("WATCHDOG_USEC", "soon", 1);
  EXPECT_EQ(SystemdNotifier().watchdog_interval(), microseconds(0));
}

TEST_F(SystemdNotifierTest, DoesNothingWithoutANotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  SystemdNotifier systemd;
  EXPECT_FALSE(systemd.enabled());
  systemd.ready("streaming");
  systemd.status("streaming, confirmed 0/1");
  systemd.watchdog_ping();
  systemd.stopping("stopping");
  EXPECT_EQ(socket_.next(), std::nullopt);
  EXPECT_FALSE(systemd.is_ready());
}

TEST_F(SystemdNotifierTest, GoesOnWhenSystemdIsGone) {
  ::setenv("NOTIFY_SOCKET", (socket_.path() + ".missing").c_str(), 1);
  SystemdNotifier systemd;
  systemd.ready("streaming");
  systemd.status("streaming, confirmed 0/1");
  systemd.watchdog_ping();
  EXPECT_TRUE(systemd.is_ready());
}

}  // namespace
}  // namespace outbox
