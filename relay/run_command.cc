// `run`: supervises sessions. Each turn opens the stream (relay/stream_opener.h) and runs a
// session (relay/relay_session.h) until it ends; what happens next depends on how it ended:
// reconnect after the backoff, a new sink, or an exit for systemd and the operator.
#include <poll.h>

#include "common/log.h"
#include "relay/allocator.h"
#include "relay/backoff.h"
#include "relay/bootstrap.h"
#include "relay/commands.h"
#include "relay/error_disposition.h"
#include "relay/leader_lease.h"
#include "relay/loop_clock.h"
#include "relay/metrics_server.h"
#include "relay/relay_session.h"
#include "relay/signals.h"
#include "relay/stream_opener.h"
#include "relay/systemd_notifier.h"
#include "sinks/kafka_sink.h"

namespace outbox {
namespace {

const Logger kLog("relay");

// A session that streamed at least this long resets the reconnect backoff.
constexpr auto kHealthySession = std::chrono::seconds(30);

// The runner's state between sessions, and what it does between them.
class Supervisor {
 public:
  Supervisor(const Config& config, Signals& signals, RelayProbe& probe, SystemdNotifier& systemd,
             SupervisedSink& sink)
      : config_(config), signals_(signals), probe_(probe), systemd_(systemd), sink_(sink) {}

  int run();

 private:
  // An exit status, or nullopt to go on with the next session.
  std::optional<int> after_step_failure(const StepFailure& failure);
  std::optional<int> after_session(const SessionResult& result, LoopClock::SteadyTime started);
  // Logs what failed and waits for `backoff`; false when a signal came meanwhile.
  bool retry_later(const std::string& what, const std::string& why, Backoff& backoff);
  bool retry_later(const std::string& what, const std::string& why) {
    return retry_later(what, why, backoff_);
  }
  // Sleeps for `delay` unless a signal arrives first; true when one did. Waiting to reconnect is
  // the loop being alive: the probe hears a heartbeat every second, the watchdog its pings.
  bool sleep_or_signal(std::chrono::milliseconds delay);
  bool replace_sink();
  int stop_for_operator(const std::string& systemd_status);

  enum class Election { kLeading, kFailed, kStop };
  // Until this relay leads the slot: connects the lease session and, while another relay leads,
  // waits for the lock as a standby (relay/leader_lease.h). kFailed with `failure` set when the
  // lease session failed, kStop when a signal came. kLeading at once when leadership is off.
  Election elect(std::optional<StepFailure>& failure);
  // Gives leadership up (closes the lease session), after a session or a failed start.
  void resign();

  const Config& config_;
  Signals& signals_;
  RelayProbe& probe_;
  SystemdNotifier& systemd_;
  SupervisedSink& sink_;
  SystemLoopClock clock_;
  Backoff backoff_{std::chrono::milliseconds(500), std::chrono::seconds(30)};
  // Between leaderships lost one soon after another (see kLeadershipLost).
  Backoff leadership_backoff_{std::chrono::milliseconds(500), std::chrono::seconds(30)};
  bool lost_leadership_recently_ = false;
  StreamHistory history_;
  std::unique_ptr<LeaderLease> lease_;
  std::uint32_t generation_ = 0;
  std::uint64_t pipeline_restarts_ = 0;
};

int Supervisor::run() {
  while (signals_.poll() == 0) {
    std::optional<StepFailure> election_failure;
    switch (elect(election_failure)) {
      case Election::kLeading:
        break;
      case Election::kFailed:
        resign();
        if (const auto status = after_step_failure(*election_failure)) return *status;
        continue;
      case Election::kStop:
        systemd_.stopping();
        kLog.info("stopped before streaming");
        return kExitOk;
    }
    systemd_.status("connecting to PostgreSQL");
    auto opening = open_stream(config_, history_, probe_, lease_ != nullptr);
    if (const auto* failure = std::get_if<StepFailure>(&opening)) {
      resign();
      if (const auto status = after_step_failure(*failure)) return *status;
      continue;
    }
    auto& opened = std::get<OpenedStream>(opening);
    // Opening may have taken a while (connect timeouts, a previous leader's walsender ending):
    // the session starts with a whole lease ahead of it.
    if (lease_) {
      if (auto renewed = lease_->renew_now(); !renewed.ok()) {
        kLog.warn("lost leadership before streaming; waiting for it again",
                  {{"slot", config_.source.slot}, {"error", renewed.error().message()}});
        resign();
        continue;
      }
    }
    history_.streamed_from = opened.server;
    history_.resume = opened.start;

    const auto started = clock_.now();
    RelaySession session(config_, std::move(opened.stream), opened.start, ++generation_,
                         SessionServices{*sink_, signals_, probe_, systemd_, clock_, lease_.get()});
    const SessionResult result = session.run();
    history_.resume = std::max(history_.resume, result.confirmed);
    // Leadership is held for one session: after any other end a standby may take over while this
    // relay reconnects or backs off, and this one waits for the lock again.
    resign();
    if (const auto status = after_session(result, started)) return *status;
  }
  systemd_.stopping();
  kLog.info("stopped before streaming");
  return kExitOk;
}

Supervisor::Election Supervisor::elect(std::optional<StepFailure>& failure) {
  if (config_.source.leader_lease.count() == 0) return Election::kLeading;
  const std::string& slot = config_.source.slot;
  auto retry = [&](const Error& error) {
    probe_.role(RelayRole::kUnelected);
    failure.emplace(
        StepFailure{"the leadership session failed", "PostgreSQL connection lost", error});
    return Election::kFailed;
  };
  if (!lease_) {
    auto connected = LeaderLease::connect(config_.source.dsn, slot, config_.source.leader_lease);
    if (!connected.ok()) {
      // The same words as for the stream's own connection: the first connection of a start.
      failure.emplace(
          StepFailure{"cannot connect to PostgreSQL", "PostgreSQL unreachable", connected.error()});
      return Election::kFailed;
    }
    lease_ = std::move(connected).value();
  }
  auto acquired = lease_->try_acquire();
  if (!acquired.ok()) return retry(acquired.error());
  if (!*acquired) {
    // A warm standby has checked the server as a start would (read-only: a leader streams), so
    // that a takeover does not find a missing privilege or table for the first time.
    const BootstrapReport report =
        bootstrap(lease_->connection(), config_, BootstrapMode::kCheckOnly);
    if (!report.ok()) {
      for (const auto& line : report.lines) {
        if (!line.ok) kLog.error(line.what + ": " + line.detail);
      }
      probe_.role(RelayRole::kUnelected);
      failure.emplace(StepFailure{"", "not ready to be a standby",
                                  Error{report.failure_code, report.lines.back().detail}});
      return Election::kFailed;
    }
    const auto waiting_since = clock_.now();
    const std::string holder = lease_->holder();
    kLog.info("standby: another relay leads this slot; waiting for leadership",
              {{"slot", slot}, {"leader", holder.empty() ? std::string("unknown") : holder}});
    probe_.role(RelayRole::kStandby);
    const std::string status = "standby: waiting for leadership of slot " + slot;
    // Up and waiting on its own: systemd's start job is over.
    if (!systemd_.is_ready()) {
      systemd_.ready(status);
    } else {
      systemd_.status(status);
    }
    if (auto sent = lease_->start_waiting(); !sent.ok()) return retry(sent.error());
    auto counted_until = clock_.now();
    while (true) {
      const auto now = clock_.now();
      probe_.standby_waited(now - counted_until);
      counted_until = now;
      probe_.heartbeat();
      if (systemd_.watchdog_interval().count() > 0) systemd_.watchdog_ping();
      report_hangups(signals_, kLog);
      pollfd fds[2] = {{lease_->socket(), POLLIN, 0}, {signals_.fd(), POLLIN, 0}};
      clock_.wait(std::span(fds, 2), std::chrono::milliseconds(1000));
      if (signals_.poll() > 0) {
        probe_.role(RelayRole::kUnelected);
        resign();
        return Election::kStop;
      }
      auto got = lease_->poll_waiting();
      if (!got.ok()) return retry(got.error());
      if (*got) break;
    }
    probe_.standby_waited(clock_.now() - counted_until);
    if (auto renewed = lease_->renew_now(); !renewed.ok()) return retry(renewed.error());
    kLog.info("leading: this relay now holds leadership of the slot",
              {{"slot", slot},
               {"waited_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                clock_.now() - waiting_since)
                                                .count())}});
  } else {
    kLog.info("leading: this relay holds leadership of the slot",
              {{"slot", slot}, {"lease_ms", std::to_string(config_.source.leader_lease.count())}});
  }
  if (auto announced = lease_->announce_leadership(clock_.wall_now()); !announced.ok()) {
    return retry(announced.error());
  }
  probe_.role(RelayRole::kLeader);
  return Election::kLeading;
}

void Supervisor::resign() {
  if (!lease_) return;
  lease_.reset();
  probe_.role(RelayRole::kUnelected);
}

std::optional<int> Supervisor::after_step_failure(const StepFailure& failure) {
  const Error& error = failure.error;
  switch (disposition_of(error.code())) {
    case Disposition::kRetry:
      if (retry_later(failure.transient, error.message())) return std::nullopt;
      kLog.info("stopped before streaming");
      return kExitOk;
    case Disposition::kStopForOperator:
      if (!failure.fatal.empty()) kLog.error(failure.fatal, {{"error", error.message()}});
      return stop_for_operator("stopped: " + error.message());
    case Disposition::kReplaceSink:
    case Disposition::kFail:
      break;
  }
  if (!failure.fatal.empty()) kLog.error(failure.fatal, {{"error", error.message()}});
  return kExitFailure;
}

std::optional<int> Supervisor::after_session(const SessionResult& result,
                                             LoopClock::SteadyTime started) {
  const std::initializer_list<LogField> fields{{"reason", result.reason},
                                               {"confirmed", result.confirmed.to_string()}};
  switch (result.end) {
    case SessionEnd::kStopped:
      kLog.info("stopped", {{"confirmed", result.confirmed.to_string()},
                            {"pipeline_restarts", std::to_string(pipeline_restarts_)}});
      return kExitOk;
    case SessionEnd::kHalted:
      kLog.error("halted: an operator must fix the cause before the relay is started again",
                 fields);
      return stop_for_operator("halted: " + result.reason);
    case SessionEnd::kProtocolError:
      kLog.error(
          "stopping: the replication stream cannot be processed; nothing past the "
          "problem was confirmed. An operator must fix the cause before the relay is started "
          "again",
          fields);
      return stop_for_operator("stopped: " + result.reason);
    case SessionEnd::kFailed:
      kLog.error("stopping on an error no retry cures", fields);
      systemd_.stopping("failed: " + result.reason);
      return kExitFailure;
    case SessionEnd::kConnectionLost:
      probe_.reconnect(ReconnectTarget::kPostgres);
      if (clock_.now() - started >= kHealthySession) backoff_.reset();
      if (signals_.received() > 0) return kExitOk;
      if (sink_->in_flight() > 0) {
        kLog.warn(
            "records of the lost session are still in flight; replacing the producer so "
            "that none is queued twice (the next session sends them again from the "
            "confirmed position)",
            {{"in_flight", std::to_string(sink_->in_flight())}});
        if (!replace_sink()) return kExitFailure;
      }
      if (!retry_later("PostgreSQL connection lost", result.reason)) return kExitOk;
      return std::nullopt;
    case SessionEnd::kLeadershipLost:
      kLog.warn(
          "lost leadership: stopped streaming at once, confirming nothing more; becoming a "
          "standby",
          {{"reason", result.reason}, {"confirmed", result.confirmed.to_string()}});
      // Both connections are made again, whoever leads next.
      probe_.reconnect(ReconnectTarget::kPostgres);
      if (signals_.received() > 0) return kExitOk;
      // Records of the lost session still queued would go out after a new leader's: purge them.
      if (sink_->in_flight() > 0 && !replace_sink()) return kExitFailure;
      // A loss after a healthy session (one stall, one cut session) seeks leadership again at
      // once. A leader that keeps losing it (a loop stalled longer than the lease again and
      // again, a lock session cut each time) waits longer each time, holding no lock, so that a
      // standby in better shape leads meanwhile.
      if (clock_.now() - started >= kHealthySession) {
        leadership_backoff_.reset();
        lost_leadership_recently_ = false;
      }
      if (!lost_leadership_recently_) {
        lost_leadership_recently_ = true;
        return std::nullopt;
      }
      if (!retry_later("leadership lost again within " + std::to_string(kHealthySession.count()) +
                           " s of leading",
                       result.reason, leadership_backoff_)) {
        return kExitOk;
      }
      return std::nullopt;
    case SessionEnd::kSinkFatal:
      kLog.error(
          "the producer failed fatally; restarting the pipeline from the last "
          "confirmed position",
          {{"reason", result.reason},
           {"resume", history_.resume.to_string()},
           {"pipeline_restarts", std::to_string(pipeline_restarts_ + 1)}});
      if (!replace_sink()) return kExitFailure;
      if (signals_.received() > 0) return kExitOk;
      if (!retry_later("pipeline restart", result.reason)) return kExitOk;
      return std::nullopt;
  }
  return kExitFailure;
}

int Supervisor::stop_for_operator(const std::string& systemd_status) {
  systemd_.stopping(systemd_status);
  return kExitNeedsOperator;
}

bool Supervisor::replace_sink() {
  ++pipeline_restarts_;
  probe_.pipeline_restart();
  if (auto replaced = sink_.replace(); !replaced.ok()) {
    kLog.error("cannot create a new sink", {{"error", replaced.error().message()}});
    return false;
  }
  return true;
}

bool Supervisor::retry_later(const std::string& what, const std::string& why, Backoff& backoff) {
  const auto delay = backoff.next();
  kLog.warn(what + "; retrying", {{"error", why},
                                  {"attempt", std::to_string(backoff.attempts())},
                                  {"delay_ms", std::to_string(delay.count())}});
  const std::string status = what + "; retrying in " + std::to_string(delay.count()) + " ms";
  // Up and retrying on its own: systemd's start job is over (a start that waited for
  // PostgreSQL would block `systemctl start` and then fail at TimeoutStartSec).
  if (!systemd_.is_ready()) {
    systemd_.ready(status);
  } else {
    systemd_.status(status);
  }
  if (sleep_or_signal(delay)) {
    systemd_.stopping();
    return false;
  }
  return true;
}

bool Supervisor::sleep_or_signal(std::chrono::milliseconds delay) {
  const auto until = clock_.now() + delay;
  while (true) {
    probe_.heartbeat();
    if (systemd_.watchdog_interval().count() > 0) systemd_.watchdog_ping();
    report_hangups(signals_, kLog);
    const auto now = clock_.now();
    if (now >= until) break;
    pollfd fd{signals_.fd(), POLLIN, 0};
    clock_.wait(std::span(&fd, 1), wait_timeout(until, now));
    if (signals_.poll() > 0) return true;
  }
  return signals_.poll() > 0;
}

}  // namespace

int run_command(const Config& config, const SinkFactory& make_sink) {
  kLog.info("outbox-relay starting", {{"version", OUTBOX_RELAY_VERSION},
                                      {"librdkafka", kafka_client_version()},
                                      {"allocator", allocator_name()}});
  auto signals = SignalWatch::install();
  if (!signals.ok()) {
    kLog.error("cannot install signal handling", {{"error", signals.error().message()}});
    return kExitFailure;
  }
  SystemdNotifier systemd;
  NullProbe null_probe;
  std::unique_ptr<MetricsServer> metrics;
  if (!config.metrics.listen.empty()) {
    auto started = MetricsServer::start(config.metrics.listen, OUTBOX_RELAY_VERSION);
    if (!started.ok()) {
      kLog.error("cannot serve metrics", {{"error", started.error().message()}});
      return kExitUsage;
    }
    metrics = std::move(started).value();
    kLog.info("serving /metrics, /healthz and /readyz",
              {{"listen", config.metrics.listen}, {"port", std::to_string(metrics->port())}});
  }
  RelayProbe& probe = metrics ? static_cast<RelayProbe&>(*metrics) : null_probe;
  // Declared after the metrics server: destroyed first, removing /readyz's check of it.
  SupervisedSink sink(config, make_sink, metrics.get());
  if (auto made = sink.replace(); !made.ok()) {
    kLog.error("cannot create the sink", {{"error", made.error().message()}});
    return kExitUsage;
  }
  return Supervisor(config, *signals, probe, systemd, sink).run();
}

}  // namespace outbox
