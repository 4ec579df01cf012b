// What the relay tells its observers. Business code bumps these plain calls; only the metrics
// server (relay/metrics_server.h) knows Prometheus. The session and the runner call them on the
// relay's thread; implementations must be safe to read from another (the HTTP server's).
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "common/lsn.h"

namespace outbox {

enum class FailureReason { kUnroutable, kRejected, kDeliveryFailed, kDeadLetterFailed };
enum class ReconnectTarget { kPostgres, kKafka };
// Where the relay stands among relays sharing its slot (relay/leader_lease.h).
enum class RelayRole {
  kUnelected,  // starting, between sessions, or leadership off
  kStandby,    // waiting for the leadership lock
  kLeader,     // holding it
};

class RelayProbe {
 public:
  virtual ~RelayProbe() = default;

  virtual void event_published(std::string_view topic) = 0;  // acknowledged by Kafka
  virtual void event_failed(FailureReason reason) = 0;
  virtual void event_dead_lettered() = 0;
  virtual void event_skipped() = 0;
  virtual void commit_to_ack(std::chrono::duration<double> latency) = 0;

  // The positions: received from the server, confirmed to it, and the server's WAL end.
  virtual void positions(Lsn received, Lsn confirmed, Lsn server) = 0;
  // Age of the oldest commit not yet confirmed; zero when nothing waits.
  virtual void lag(std::chrono::duration<double> oldest_unconfirmed_commit_age) = 0;
  virtual void in_flight(std::size_t events) = 0;
  virtual void backpressure(std::chrono::duration<double> more) = 0;

  virtual void reconnect(ReconnectTarget target) = 0;
  virtual void pipeline_restart() = 0;
  // The relay started from a slot whose history is not the one it streamed from (new, or on
  // another server): events committed before it may be missing.
  virtual void slot_recreated() = 0;
  virtual void streaming(bool on) = 0;
  // The role changed; each move to kLeader counts as a leadership change.
  virtual void role(RelayRole) {}
  // More time spent as a standby, waiting for leadership.
  virtual void standby_waited(std::chrono::duration<double>) {}
  // The loop (or the runner, while it waits to reconnect) is alive.
  virtual void heartbeat() = 0;
};

// For when nobody listens (metrics.listen empty).
class NullProbe final : public RelayProbe {
 public:
  void event_published(std::string_view) override {}
  void event_failed(FailureReason) override {}
  void event_dead_lettered() override {}
  void event_skipped() override {}
  void commit_to_ack(std::chrono::duration<double>) override {}
  void positions(Lsn, Lsn, Lsn) override {}
  void lag(std::chrono::duration<double>) override {}
  void in_flight(std::size_t) override {}
  void backpressure(std::chrono::duration<double>) override {}
  void reconnect(ReconnectTarget) override {}
  void pipeline_restart() override {}
  void slot_recreated() override {}
  void streaming(bool) override {}
  void heartbeat() override {}
};

}  // namespace outbox
