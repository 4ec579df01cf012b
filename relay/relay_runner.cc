#include "relay/relay_runner.h"

#include <poll.h>

#include <cstdio>
#include <iostream>

#include "common/log.h"
#include "config/redact.h"
#include "relay/backoff.h"
#include "relay/bootstrap.h"
#include "relay/metrics_server.h"
#include "relay/migrations.h"
#include "relay/pg_replication_stream.h"
#include "relay/relay_session.h"
#include "relay/server_identity.h"
#include "relay/signals.h"
#include "relay/systemd_notifier.h"
#include "sinks/kafka_sink.h"
#include "sinks/stdout_sink.h"

namespace outbox {
namespace {

const Logger kLog("relay");

Result<std::unique_ptr<Sink>> make_sink(const Config& config) {
  if (config.sink.type == SinkType::kStdout) return make_stdout_sink(stdout);
  return make_kafka_sink(config.sink.kafka);
}

// Sleeps for `delay` unless a signal arrives first; true when one did. Waiting to reconnect is
// the loop being alive: the probe hears a heartbeat every second, the watchdog its pings.
bool sleep_or_signal(Signals& signals, RelayProbe& probe, SystemdNotifier& systemd,
                     std::chrono::milliseconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (true) {
    probe.heartbeat();
    if (systemd.watchdog_interval().count() > 0) systemd.watchdog_ping();
    report_hangups(signals, kLog);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd fd{signals.fd(), POLLIN, 0};
    ::poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (signals.poll() > 0) return true;
  }
  return signals.poll() > 0;
}

// Whether the slot exists; an error when the server cannot say.
Result<bool> slot_exists(PgConnection& connection, const std::string& slot) {
  auto found = connection.query_value(
      "SELECT 'exists' FROM pg_replication_slots WHERE slot_name = $1", {slot});
  if (!found.ok()) return std::move(found).error();
  return found->has_value();
}

// A session that streamed at least this long resets the reconnect backoff.
constexpr auto kHealthySession = std::chrono::seconds(30);

}  // namespace

int run_relay(const Config& config, const SinkFactory& sink_factory) {
  kLog.info("outbox-relay starting",
            {{"version", OUTBOX_RELAY_VERSION}, {"librdkafka", kafka_client_version()}});
  auto signals = SignalWatch::install();
  if (!signals.ok()) {
    kLog.error("cannot install signal handling", {{"error", signals.error().message()}});
    return kExitFailure;
  }
  SystemdNotifier systemd;
  SystemLoopClock clock;
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

  const SinkFactory create_sink = sink_factory ? sink_factory : SinkFactory(make_sink);
  auto sink = create_sink(config);
  if (!sink.ok()) {
    kLog.error("cannot create the sink", {{"error", sink.error().message()}});
    return kExitUsage;
  }
  // /readyz asks the sink whether Kafka answers; the check must never outlive the sink. Every
  // way out of this function (declared after `sink`, so it runs first) waits for a check in
  // progress and removes it before the sink is destroyed.
  auto watch_sink = [&] {
    if (!metrics) return;
    if (!sink.ok()) {
      metrics->set_kafka_check(nullptr);
      return;
    }
    Sink* current = sink->get();
    metrics->set_kafka_check([current] { return current->probe(std::chrono::seconds(2)); });
  };
  struct UnwatchSink {
    MetricsServer* metrics;
    ~UnwatchSink() {
      if (metrics) metrics->set_kafka_check(nullptr);
    }
  } unwatch_sink{metrics.get()};
  watch_sink();
  Backoff backoff(std::chrono::milliseconds(500), std::chrono::seconds(30));
  Lsn resume;
  std::uint32_t generation = 0;
  std::uint64_t pipeline_restarts = 0;
  // The history the last session streamed from; nullopt until one did.
  std::optional<ServerIdentity> streamed_from;

  // A transient failure: log what failed and when we try again; false when a signal came.
  auto retry_later = [&](const char* what, const std::string& why) {
    const auto delay = backoff.next();
    kLog.warn(std::string(what) + "; retrying", {{"error", why},
                                                 {"attempt", std::to_string(backoff.attempts())},
                                                 {"delay_ms", std::to_string(delay.count())}});
    const std::string status =
        std::string(what) + "; retrying in " + std::to_string(delay.count()) + " ms";
    // Up and retrying on its own: systemd's start job is over (a start that waited for
    // PostgreSQL would block `systemctl start` and then fail at TimeoutStartSec).
    if (!systemd.is_ready()) {
      systemd.ready(status);
    } else {
      systemd.status(status);
    }
    if (sleep_or_signal(*signals, probe, systemd, delay)) {
      systemd.stopping();
      return false;
    }
    return true;
  };
  // A new producer in place of the old one: after a fatal error, or when records of a lost
  // session are still in flight (the next session sends them again from the confirmed position;
  // they must not sit in the sink twice).
  auto replace_sink = [&]() -> bool {
    ++pipeline_restarts;
    probe.pipeline_restart();
    if (metrics) metrics->set_kafka_check(nullptr);
    sink->reset();
    sink = create_sink(config);
    watch_sink();
    if (!sink.ok()) {
      kLog.error("cannot create a new sink", {{"error", sink.error().message()}});
      return false;
    }
    return true;
  };

  // A step before streaming failed: an error that a retry cannot cure ends the process (1); a
  // transient one is retried after the backoff (nullopt), unless a signal comes meanwhile (0).
  auto step_failed = [&](const Error& error, const char* fatal,
                         const char* transient) -> std::optional<int> {
    if (error.code() != ErrorCode::kConnectionLost) {
      kLog.error(fatal, {{"error", error.message()}});
      return kExitFailure;
    }
    if (retry_later(transient, error.message())) return std::nullopt;
    kLog.info("stopped before streaming");
    return kExitOk;
  };

  while (signals->poll() == 0) {
    systemd.status("connecting to PostgreSQL");
    auto connection = PgConnection::connect(config.source.dsn, PgConnection::Kind::kNormal);
    if (!connection.ok()) {
      if (auto status = step_failed(connection.error(), "cannot connect to PostgreSQL",
                                    "PostgreSQL unreachable")) {
        return *status;
      }
      continue;
    }
    auto existed = slot_exists(*connection, config.source.slot);
    if (!existed.ok()) {
      if (auto status = step_failed(existed.error(), "cannot look up the replication slot",
                                    "PostgreSQL connection lost")) {
        return *status;
      }
      continue;
    }
    if (!*existed && streamed_from) {
      // Dropped, or a failover to a server without it: nothing kept the WAL after `resume` for
      // the relay meanwhile.
      const std::initializer_list<LogField> fields{{"slot", config.source.slot},
                                                   {"confirmed", resume.to_string()}};
      if (config.source.on_slot_lost == SlotLostPolicy::kStop) {
        kLog.error(
            "the replication slot the relay streamed from is gone; events committed "
            "after the confirmed position may have been missed. Stopping for an "
            "operator (source.on_slot_lost: stop): check what is missing, then start the "
            "relay again (it creates the slot), or set source.on_slot_lost: recreate",
            fields);
        systemd.stopping("stopped: slot " + config.source.slot + " is gone");
        return kExitNeedsOperator;
      }
      kLog.error(
          "the replication slot the relay streamed from is gone; recreating it "
          "(source.on_slot_lost: recreate): events committed after the confirmed "
          "position and before the new slot may have been missed",
          fields);
    }
    const BootstrapReport report = bootstrap(*connection, config, BootstrapMode::kPrepare);
    if (!report.ok()) {
      for (const auto& line : report.lines) {
        if (!line.ok) kLog.error(line.what + ": " + line.detail);
      }
      if (report.failure_code != ErrorCode::kConnectionLost) return kExitFailure;
      if (!retry_later("not ready to stream", report.lines.back().detail)) break;
      continue;
    }

    auto replication = PgConnection::connect(config.source.dsn, PgConnection::Kind::kReplication);
    if (!replication.ok()) {
      if (auto status =
              step_failed(replication.error(),
                          "cannot open a replication connection (is it allowed in pg_hba.conf?)",
                          "replication connection failed")) {
        return *status;
      }
      continue;
    }
    auto identity = identify_system(*replication);
    if (!identity.ok()) {
      if (auto status = step_failed(identity.error(), "cannot identify the server",
                                    "replication connection failed")) {
        return *status;
      }
      continue;
    }
    // A remembered position means something only on the slot it was confirmed to, on the same
    // server history. A new slot, or another server (a failover, a restore), starts where that
    // slot stands: starting at the remembered position would skip everything between the two.
    Lsn start = std::max(report.slot_confirmed_lsn, resume);
    if (streamed_from && (report.slot_created || *identity != *streamed_from)) {
      start = report.slot_confirmed_lsn;
      probe.slot_recreated();
      kLog.error(
          "the slot is new or on another server: starting at the slot's own position; events "
          "may have been missed between the relay's last confirmed position and the slot's "
          "creation",
          {{"slot", config.source.slot},
           {"slot_position", report.slot_confirmed_lsn.to_string()},
           {"last_confirmed", resume.to_string()},
           {"server", identity->to_string()},
           {"previous_server", streamed_from->to_string()}});
    }
    auto stream = PgReplicationStream::start(std::move(replication).value(), config.source.slot,
                                             config.source.publication, start);
    if (!stream.ok()) {
      if (auto status =
              step_failed(stream.error(), "cannot start streaming", "cannot start streaming")) {
        return *status;
      }
      continue;
    }
    kLog.info("connected to PostgreSQL", {{"slot", config.source.slot},
                                          {"start", start.to_string()},
                                          {"server", identity->to_string()}});
    streamed_from = *identity;
    resume = start;

    const auto session_start = std::chrono::steady_clock::now();
    RelaySession session(config, std::move(stream).value(), start, ++generation,
                         SessionServices{**sink, *signals, probe, systemd, clock});
    const SessionResult result = session.run();
    resume = std::max(resume, result.confirmed);

    switch (result.end) {
      case SessionEnd::kStopped:
        kLog.info("stopped", {{"confirmed", result.confirmed.to_string()},
                              {"pipeline_restarts", std::to_string(pipeline_restarts)}});
        return kExitOk;
      case SessionEnd::kHalted:
        kLog.error("halted: an operator must fix the cause before the relay is started again",
                   {{"reason", result.reason}, {"confirmed", result.confirmed.to_string()}});
        systemd.stopping("halted: " + result.reason);
        return kExitNeedsOperator;
      case SessionEnd::kProtocolError:
        kLog.error(
            "stopping: the replication stream cannot be processed; nothing past the "
            "problem was confirmed. An operator must fix the cause before the relay is started "
            "again",
            {{"reason", result.reason}, {"confirmed", result.confirmed.to_string()}});
        systemd.stopping("stopped: " + result.reason);
        return kExitNeedsOperator;
      case SessionEnd::kConnectionLost:
        probe.reconnect(ReconnectTarget::kPostgres);
        if (std::chrono::steady_clock::now() - session_start >= kHealthySession) backoff.reset();
        if (signals->received() > 0) return kExitOk;
        if ((*sink)->in_flight() > 0) {
          kLog.warn(
              "records of the lost session are still in flight; replacing the producer so "
              "that none is queued twice (the next session sends them again from the "
              "confirmed position)",
              {{"in_flight", std::to_string((*sink)->in_flight())}});
          if (!replace_sink()) return kExitFailure;
        }
        if (!retry_later("PostgreSQL connection lost", result.reason)) return kExitOk;
        break;
      case SessionEnd::kSinkFatal: {
        kLog.error(
            "the producer failed fatally; restarting the pipeline from the last "
            "confirmed position",
            {{"reason", result.reason},
             {"resume", resume.to_string()},
             {"pipeline_restarts", std::to_string(pipeline_restarts + 1)}});
        if (!replace_sink()) return kExitFailure;
        if (signals->received() > 0) return kExitOk;
        if (!retry_later("pipeline restart", result.reason)) return kExitOk;
        break;
      }
      case SessionEnd::kFailed:
        kLog.error("stopping on an error no retry cures",
                   {{"reason", result.reason}, {"confirmed", result.confirmed.to_string()}});
        systemd.stopping("failed: " + result.reason);
        return kExitFailure;
    }
  }
  systemd.stopping();
  kLog.info("stopped before streaming");
  return kExitOk;
}

int check_relay(const Config& config) {
  std::cout << "configuration:\n" << describe_config(config) << "\n";
  bool ok = true;
  auto print = [&](bool passed, const std::string& what, const std::string& detail) {
    std::cout << (passed ? "ok    " : "FAIL  ") << what << ": " << detail << "\n";
    ok = ok && passed;
  };

  auto connection = PgConnection::connect(config.source.dsn, PgConnection::Kind::kNormal);
  if (!connection.ok()) {
    print(false, "PostgreSQL connection", connection.error().message());
  } else {
    print(true, "PostgreSQL connection", redact_dsn(config.source.dsn));
    const BootstrapReport report = bootstrap(*connection, config, BootstrapMode::kCheckOnly);
    for (const auto& line : report.lines) print(line.ok, line.what, line.detail);
    auto replication = PgConnection::connect(config.source.dsn, PgConnection::Kind::kReplication);
    if (!replication.ok()) {
      // The server refuses a role without REPLICATION the same way as a pg_hba.conf rule does:
      // point at the cause it names.
      const std::string& why = replication.error().message();
      print(false, "replication connection",
            why + (why.find("superuser or replication role") != std::string::npos
                       ? " (the role lacks the REPLICATION attribute: see role privileges)"
                       : " (pg_hba.conf must allow a 'replication' connection for this role)"));
    } else {
      PgResult identify(PQexec(replication->raw(), "IDENTIFY_SYSTEM"));
      if (PQresultStatus(identify.get()) == PGRES_TUPLES_OK && PQntuples(identify.get()) == 1) {
        print(true, "replication connection",
              std::string("allowed; server at ") + PQgetvalue(identify.get(), 0, 2));
      } else {
        print(false, "replication connection", replication->last_error());
      }
    }
  }

  auto sink = make_sink(config);
  if (!sink.ok()) {
    print(false, "sink", sink.error().message());
  } else {
    auto probe = (*sink)->probe(std::chrono::seconds(10));
    print(probe.ok(), config.sink.type == SinkType::kKafka ? "Kafka" : "sink",
          probe.ok() ? "metadata round trip succeeded" : probe.error().message());
  }
  std::cout << (ok ? "the relay can run\n" : "the relay cannot run: fix the FAIL lines above\n");
  return ok ? kExitOk : kExitFailure;
}

int show_status(const Config& config, bool json) {
  auto connection = PgConnection::connect(config.source.dsn, PgConnection::Kind::kNormal);
  if (!connection.ok()) {
    std::cerr << "outbox-relay status: " << connection.error().message() << "\n";
    return kExitFailure;
  }
  auto rows = connection->exec(
      "SELECT s.slot_name, s.active::text, coalesce(s.active_pid::text, ''), "
      "coalesce(s.confirmed_flush_lsn::text, ''), pg_current_wal_lsn()::text, "
      "coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint::text, ''), "
      "coalesce(s.wal_status, ''), coalesce(a.application_name, '') "
      "FROM pg_replication_slots s LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid "
      "WHERE s.slot_name = $1",
      {config.source.slot});
  if (!rows.ok()) {
    std::cerr << "outbox-relay status: " << rows.error().message() << "\n";
    return kExitFailure;
  }
  PGresult* r = rows->get();
  if (PQntuples(r) == 0) {
    if (json) {
      std::string out = "{\"slot\":";
      append_json_string(out, config.source.slot);
      std::cout << out << ",\"exists\":false}\n";
    } else {
      std::cout << "slot " << config.source.slot << " does not exist (run creates it)\n";
    }
    return kExitFailure;
  }
  auto field = [&](int column) { return std::string(PQgetvalue(r, 0, column)); };
  const bool active = field(1) == "true";
  if (json) {
    std::string out = "{\"slot\":";
    append_json_string(out, field(0));
    out += ",\"exists\":true,\"connected\":" + std::string(active ? "true" : "false");
    out += ",\"active_pid\":" + (field(2).empty() ? std::string("null") : field(2));
    out += ",\"application_name\":";
    append_json_string(out, field(7));
    out += ",\"confirmed_lsn\":";
    append_json_string(out, field(3));
    out += ",\"server_lsn\":";
    append_json_string(out, field(4));
    out += ",\"lag_bytes\":" + (field(5).empty() ? std::string("null") : field(5));
    out += ",\"wal_status\":";
    append_json_string(out, field(6));
    std::cout << out << "}\n";
  } else {
    std::cout << "slot:          " << field(0) << "\n"
              << "connected:     "
              << (active ? "yes (PID " + field(2) + ", " + field(7) + ")" : std::string("no"))
              << "\n"
              << "confirmed LSN: " << field(3) << "\n"
              << "server LSN:    " << field(4) << "\n"
              << "lag:           " << field(5) << " bytes\n"
              << "WAL status:    " << field(6) << "\n";
  }
  return kExitOk;
}

int run_migrations(const Config& config) {
  auto connection = PgConnection::connect(config.source.dsn, PgConnection::Kind::kNormal);
  if (!connection.ok()) {
    kLog.error("cannot connect to PostgreSQL", {{"error", connection.error().message()}});
    return kExitFailure;
  }
  auto applied = apply_migrations(*connection, config);
  if (!applied.ok()) {
    kLog.error("migration failed", {{"error", applied.error().message()}});
    return kExitFailure;
  }
  if (applied->empty()) {
    std::cout << "migrations: up to date (" << embedded_migrations().size() << " applied before)\n";
  }
  for (const auto& name : *applied) std::cout << "migrations: applied " << name << "\n";
  // The slot too, when the relay may create it: rows committed from now on are kept for the
  // relay even if it first starts later. Without a slot the server keeps nothing, and rows
  // written between migrate and the first run would never be published.
  if (config.source.create_slot) {
    const BootstrapReport report = bootstrap(*connection, config, BootstrapMode::kPrepare);
    for (const auto& line : report.lines) {
      if (line.what == "replication slot" || !line.ok) {
        std::cout << (line.ok ? "ok    " : "WARN  ") << line.what << ": " << line.detail << "\n";
      }
    }
    if (!report.ok()) {
      std::cout << "migrations applied, but the relay cannot stream yet (see WARN above); rows "
                   "committed before its slot exists will not be published\n";
    }
  }
  return kExitOk;
}

}  // namespace outbox
