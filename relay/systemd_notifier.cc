#include "relay/systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/log.h"

namespace outbox {
namespace {

const Logger kLog("systemd");

// A STATUS= value is one line: a newline would start another assignment (READY=1, ...).
std::string one_line(std::string_view text) {
  std::string line(text);
  std::replace_if(
      line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return line;
}

}  // namespace

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // > 0: WATCHDOG_USEC is set and WATCHDOG_PID is unset or this process. The interval is read
  // even without NOTIFY_SOCKET; pings then go nowhere, which is harmless.
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
  }
}

std::chrono::microseconds SystemdNotifier::startup_extension() const {
  return std::max<std::chrono::microseconds>(std::chrono::seconds(90), 4 * watchdog_interval_);
}

void SystemdNotifier::ready(std::string_view status) {
  if (!enabled_) return;
  if (ready_) {
    this->status(status);
    return;
  }
  last_status_ = one_line(status);
  notify("READY=1\nSTATUS=" + last_status_);
  ready_ = true;
  kLog.debug("told systemd the relay is ready");
}

void SystemdNotifier::stopping(std::string_view status) {
  if (!enabled_) return;
  std::string state = "STOPPING=1";
  if (!status.empty()) {
    last_status_ = one_line(status);
    state += "\nSTATUS=" + last_status_;
  }
  notify(state);
}

void SystemdNotifier::status(std::string_view text) {
  if (!enabled_) return;
  std::string line = one_line(text);
  if (line == last_status_) return;
  last_status_ = std::move(line);
  notify("STATUS=" + last_status_);
}

void SystemdNotifier::watchdog_ping() {
  if (!enabled_) return;
  if (ready_) {
    notify("WATCHDOG=1");
  } else {
    notify("WATCHDOG=1\nEXTEND_TIMEOUT_USEC=" + std::to_string(startup_extension().count()));
  }
}

void SystemdNotifier::notify(const std::string& state) {
  const int sent = sd_notify(/*unset_environment=*/0, state.c_str());
  if (sent >= 0) return;
  // The relay goes on without systemd's view of it; a watchdog that misses its pings will
  // restart it, so say why once.
  if (!warned_) {
    warned_ = true;
    kLog.warn("cannot notify systemd (NOTIFY_SOCKET); systemctl status may be stale",
              {{"error", std::strerror(-sent)}});
  }
}

}  // namespace outbox
