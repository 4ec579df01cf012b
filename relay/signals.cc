#include "relay/signals.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace outbox {

Result<SignalWatch> SignalWatch::install() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  // The default action of SIGHUP ends the process without a drain, and systemd takes that for
  // a clean exit: it stays down.
  sigaddset(&mask, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
    return Error{ErrorCode::kSystemFailure, std::string("sigprocmask: ") + std::strerror(errno)};
  }
  const int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    return Error{ErrorCode::kSystemFailure, std::string("signalfd: ") + std::strerror(errno)};
  }
  // A closed pipe (a consumer of our stdout going away) must be an error, not death.
  signal(SIGPIPE, SIG_IGN);
  return SignalWatch(fd);
}

SignalWatch::~SignalWatch() {
  if (fd_ >= 0) ::close(fd_);
}

int SignalWatch::poll() {
  signalfd_siginfo info;
  while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGHUP) {
      ++hangups_;
      continue;
    }
    if (received_++ == 0) stop_deadline_ = Clock::now() + kStopTimeout;
  }
  return received_;
}

void report_hangups(Signals& signals, const Logger& log) {
  if (const int hangups = signals.take_hangups(); hangups > 0) {
    log.warn(
        "SIGHUP received: the configuration is not reloaded; restart the relay to apply "
        "changes (it goes on as before)",
        {{"signals", std::to_string(hangups)}});
  }
}

}  // namespace outbox
