// Tells systemd how the relay is doing (sd_notify): READY=1 once streaming, STATUS= lines for
// `systemctl status`, STOPPING=1 on a graceful stop, and WATCHDOG=1 pings when the unit sets
// WatchdogSec=. Every call is a no-op when the process was not started by systemd with a
// notification socket (NOTIFY_SOCKET unset), so the relay runs the same from a shell.
//
// One instance per process, used from the loop's thread only.
//
//   SystemdNotifier systemd;
//   systemd.status("connecting to PostgreSQL");
//   systemd.ready("streaming from 0/16B3A000");                // after START_REPLICATION succeeds
//   if (systemd.watchdog_interval() > 0us) { ...ping at that interval: systemd.watchdog_ping(); }
//   systemd.status("streaming, confirmed 0/16B3A000");         // on each standby status update
//   systemd.stopping("draining 12 in-flight events");         // on SIGTERM
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace outbox {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once, now.
  SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // Whether systemd is listening (NOTIFY_SOCKET was set).
  bool enabled() const { return enabled_; }

  // READY=1 with a STATUS= line. Later calls only update the status.
  void ready(std::string_view status);
  // STOPPING=1, with a STATUS= line when `status` is not empty.
  void stopping(std::string_view status = {});
  // STATUS=<text>; sent only when the text differs from the last one sent.
  void status(std::string_view text);
  // WATCHDOG=1. Before ready(), also EXTEND_TIMEOUT_USEC=<startup_extension()>: a relay waiting
  // for PostgreSQL (or for a slot another relay holds) keeps its start job alive while it is
  // alive, and one that hangs before streaming still fails its start soon after its last ping.
  void watchdog_ping();

  // How often to call watchdog_ping(): half of the unit's WatchdogSec=, or zero when the
  // watchdog is off (or WATCHDOG_PID names another process).
  std::chrono::microseconds watchdog_interval() const { return watchdog_interval_; }

  bool is_ready() const { return ready_; }

  // How far each ping before ready() pushes the start timeout: 90 s, or four ping intervals when
  // that is longer, so one late ping does not fail the start.
  std::chrono::microseconds startup_extension() const;

 private:
  void notify(const std::string& state);

  bool enabled_ = false;
  bool ready_ = false;
  bool warned_ = false;
  std::chrono::microseconds watchdog_interval_{0};
  std::string last_status_;
};

}  // namespace outbox
