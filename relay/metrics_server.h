// The operator's window: /metrics (Prometheus text format), /healthz (the loop is alive) and
// /readyz (streaming, and Kafka answers), on one listener (metrics.listen, 127.0.0.1:9464 by
// default). The only place that knows prometheus-cpp and civetweb.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/result.h"
#include "relay/relay_probe.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus
class CivetServer;

namespace outbox {

class MetricsServer final : public RelayProbe {
 public:
  // Where the server reads the time (heartbeat age, Kafka check interval); tests pass their own.
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // Listens on `listen` ("host:port"). Fails (kInvalidConfig) when the address cannot be bound.
  // Without a clock, std::chrono::steady_clock.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& listen,
                                                      const std::string& version, Clock clock = {});
  ~MetricsServer() override;

  // The port actually bound (for tests that listen on port 0).
  int port() const;

  // How /readyz learns whether Kafka answers; called from the HTTP thread, at most every few
  // seconds. Replace it (or clear it with nullptr) before the sink it uses goes away.
  void set_kafka_check(std::function<Result<void>()> check);

  void event_published(std::string_view topic) override;
  void event_failed(FailureReason reason) override;
  void event_dead_lettered() override;
  void event_skipped() override;
  void commit_to_ack(std::chrono::duration<double> latency) override;
  void positions(Lsn received, Lsn confirmed, Lsn server) override;
  void lag(std::chrono::duration<double> oldest_unconfirmed_commit_age) override;
  void in_flight(std::size_t events) override;
  void backpressure(std::chrono::duration<double> more) override;
  void reconnect(ReconnectTarget target) override;
  void pipeline_restart() override;
  void slot_recreated() override;
  void streaming(bool on) override;
  void role(RelayRole role) override;
  void standby_waited(std::chrono::duration<double> more) override;
  void heartbeat() override;

 private:
  explicit MetricsServer(Clock clock);
  struct Metrics;

  std::int64_t now_ms() const;
  // The handlers' answers: status code and body.
  std::pair<int, std::string> health() const;
  std::pair<int, std::string> readiness();
  std::string metrics_text() const;

  Clock clock_;
  std::string listen_;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<CivetServer> server_;
  struct Handlers;
  std::unique_ptr<Handlers> handlers_;

  std::atomic<std::int64_t> last_heartbeat_ms_{0};
  std::atomic<bool> streaming_{false};
  std::atomic<bool> standby_{false};

  std::mutex kafka_mutex_;
  std::function<Result<void>()> kafka_check_;
  std::int64_t kafka_checked_ms_ = 0;
  std::string kafka_problem_;  // empty when the last check passed
};

}  // namespace outbox
