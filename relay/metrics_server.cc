#include "relay/metrics_server.h"

#include <CivetServer.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>

#include "relay/listener_knock.h"

namespace outbox {
namespace {

// Transparent lookup: a topic's counter is found from the record's string_view without a copy.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

constexpr auto kHealthyWithin = std::chrono::seconds(60);
constexpr auto kKafkaCheckEvery = std::chrono::seconds(5);

void respond(mg_connection* connection, int status, const std::string& content_type,
             const std::string& body) {
  const char* reason = status == 200 ? "OK" : status == 503 ? "Service Unavailable" : "Error";
  mg_printf(connection,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: "
            "no-store\r\nConnection: close\r\n\r\n",
            status, reason, content_type.c_str(), body.size());
  mg_write(connection, body.data(), body.size());
}

}  // namespace

struct MetricsServer::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : published(prometheus::BuildCounter()
                      .Name("outbox_relay_events_published_total")
                      .Help("Events acknowledged by Kafka, by topic.")
                      .Register(registry)),
        failed_family(prometheus::BuildCounter()
                          .Name("outbox_relay_events_failed_total")
                          .Help("Events that could not be published or delivered, by reason.")
                          .Register(registry)),
        failed_unroutable(failed_family.Add({{"reason", "unroutable"}})),
        failed_rejected(failed_family.Add({{"reason", "rejected"}})),
        failed_delivery(failed_family.Add({{"reason", "delivery_failed"}})),
        failed_dead_letter(failed_family.Add({{"reason", "dead_letter_failed"}})),
        dead_lettered(counter(registry, "outbox_relay_events_dead_lettered_total",
                              "Events written to the dead-letter topic.")),
        skipped(counter(registry, "outbox_relay_events_skipped_total",
                        "Events skipped by on_permanent_error: skip.")),
        received_lsn(gauge(registry, "outbox_relay_received_lsn",
                           "Last WAL position received from PostgreSQL, in bytes.")),
        confirmed_lsn(gauge(registry, "outbox_relay_confirmed_lsn",
                            "Last WAL position confirmed to PostgreSQL, in bytes.")),
        server_lsn(gauge(registry, "outbox_relay_server_lsn",
                         "The server's WAL end as last reported, in bytes.")),
        lag_bytes(gauge(registry, "outbox_relay_replication_lag_bytes",
                        "Server WAL position minus the confirmed position, in bytes.")),
        lag_seconds(gauge(registry, "outbox_relay_replication_lag_seconds",
                          "Age of the oldest commit not yet confirmed; 0 when idle.")),
        commit_to_ack(prometheus::BuildHistogram()
                          .Name("outbox_relay_commit_to_ack_seconds")
                          .Help("From the transaction's commit to Kafka's acknowledgement.")
                          .Register(registry)
                          .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05,
                                                                           0.1, 0.25, 0.5, 1, 2.5,
                                                                           5, 10, 30, 60})),
        in_flight(gauge(registry, "outbox_relay_inflight_events",
                        "Events handed to Kafka and not yet acknowledged.")),
        backpressure(counter(registry, "outbox_relay_backpressure_seconds_total",
                             "Time spent not reading PostgreSQL because too many events were "
                             "in flight.")),
        reconnects_family(prometheus::BuildCounter()
                              .Name("outbox_relay_reconnects_total")
                              .Help("Reconnections, by target.")
                              .Register(registry)),
        reconnects_postgres(reconnects_family.Add({{"target", "postgres"}})),
        reconnects_kafka(reconnects_family.Add({{"target", "kafka"}})),
        pipeline_restarts(counter(registry, "outbox_relay_pipeline_restarts_total",
                                  "Pipeline restarts after a fatal producer error.")),
        slot_recreated(counter(registry, "outbox_relay_slot_recreated_total",
                               "Starts from a slot that was new or on another server (a "
                               "failover, a restore, a dropped slot): events committed "
                               "before it may be missing.")),
        streaming(gauge(registry, "outbox_relay_streaming",
                        "1 while a replication session streams, else 0.")),
        leader(gauge(registry, "outbox_relay_leader",
                     "1 while this relay holds the slot's leadership lock, else 0.")),
        standby(gauge(registry, "outbox_relay_standby",
                      "1 while this relay waits for the slot's leadership lock, else 0.")),
        leadership_changes(counter(registry, "outbox_relay_leadership_changes_total",
                                   "Times this relay became the slot's leader.")),
        standby_seconds(counter(registry, "outbox_relay_standby_seconds_total",
                                "Time spent as a standby, waiting for the slot's leadership.")),
        build_info(prometheus::BuildGauge()
                       .Name("outbox_relay_build_info")
                       .Help("The relay's version, as a label; always 1.")
                       .Register(registry)) {}

  static prometheus::Gauge& gauge(prometheus::Registry& registry, const char* name,
                                  const char* help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
  }
  static prometheus::Counter& counter(prometheus::Registry& registry, const char* name,
                                      const char* help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
  }

  prometheus::Family<prometheus::Counter>& published;
  prometheus::Family<prometheus::Counter>& failed_family;
  prometheus::Counter& failed_unroutable;
  prometheus::Counter& failed_rejected;
  prometheus::Counter& failed_delivery;
  prometheus::Counter& failed_dead_letter;
  prometheus::Counter& dead_lettered;
  prometheus::Counter& skipped;
  prometheus::Gauge& received_lsn;
  prometheus::Gauge& confirmed_lsn;
  prometheus::Gauge& server_lsn;
  prometheus::Gauge& lag_bytes;
  prometheus::Gauge& lag_seconds;
  prometheus::Histogram& commit_to_ack;
  prometheus::Gauge& in_flight;
  prometheus::Counter& backpressure;
  prometheus::Family<prometheus::Counter>& reconnects_family;
  prometheus::Counter& reconnects_postgres;
  prometheus::Counter& reconnects_kafka;
  prometheus::Counter& pipeline_restarts;
  prometheus::Counter& slot_recreated;
  prometheus::Gauge& streaming;
  prometheus::Gauge& leader;
  prometheus::Gauge& standby;
  prometheus::Counter& leadership_changes;
  prometheus::Counter& standby_seconds;
  prometheus::Family<prometheus::Gauge>& build_info;
  // Written by the relay's thread only (Family::Add itself is thread-safe).
  std::unordered_map<std::string, prometheus::Counter*, StringHash, std::equal_to<>> by_topic;
};

struct MetricsServer::Handlers {
  struct Endpoint : CivetHandler {
    explicit Endpoint(std::function<void(mg_connection*)> serve) : serve_(std::move(serve)) {}
    bool handleGet(CivetServer*, mg_connection* connection) override {
      serve_(connection);
      return true;
    }
    std::function<void(mg_connection*)> serve_;
  };
  Endpoint metrics, healthz, readyz;
};

MetricsServer::MetricsServer(Clock clock)
    : clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })),
      registry_(std::make_shared<prometheus::Registry>()),
      metrics_(std::make_unique<Metrics>(*registry_)) {
  last_heartbeat_ms_ = now_ms();
}

std::int64_t MetricsServer::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch()).count();
}

MetricsServer::~MetricsServer() {
  if (!server_) return;
  const ListenerKnock knock(listen_, port());
  server_->close();
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& listen,
                                                            const std::string& version,
                                                            Clock clock) {
  std::unique_ptr<MetricsServer> server(new MetricsServer(std::move(clock)));
  server->listen_ = listen;
  server->metrics_->build_info.Add({{"version", version}}).Set(1);
  server->handlers_ = std::make_unique<Handlers>(Handlers{
      Handlers::Endpoint([raw = server.get()](mg_connection* connection) {
        respond(connection, 200, "text/plain; version=0.0.4; charset=utf-8", raw->metrics_text());
      }),
      Handlers::Endpoint([raw = server.get()](mg_connection* connection) {
        const auto [status, body] = raw->health();
        respond(connection, status, "text/plain; charset=utf-8", body);
      }),
      Handlers::Endpoint([raw = server.get()](mg_connection* connection) {
        const auto [status, body] = raw->readiness();
        respond(connection, status, "text/plain; charset=utf-8", body);
      })});
  // civetweb writes IPv6 addresses in brackets too, as metrics.listen does.
  const std::vector<std::string> options = {"listening_ports",   listen, "num_threads", "2",
                                            "enable_keep_alive", "no"};
  try {
    server->server_ = std::make_unique<CivetServer>(options);
  } catch (const std::exception& error) {
    return Error{ErrorCode::kInvalidConfig, "metrics.listen: cannot listen on " + listen + ": " +
                                                error.what() + " (is the port in use?)"};
  }
  server->server_->addHandler("/metrics", server->handlers_->metrics);
  server->server_->addHandler("/healthz", server->handlers_->healthz);
  server->server_->addHandler("/readyz", server->handlers_->readyz);
  return server;
}

int MetricsServer::port() const {
  const auto ports = server_ ? server_->getListeningPorts() : std::vector<int>{};
  return ports.empty() ? 0 : ports.front();
}

void MetricsServer::set_kafka_check(std::function<Result<void>()> check) {
  std::lock_guard lock(kafka_mutex_);
  kafka_check_ = std::move(check);
  kafka_checked_ms_ = 0;
}

std::pair<int, std::string> MetricsServer::health() const {
  const auto silent_ms = now_ms() - last_heartbeat_ms_.load();
  if (silent_ms > std::chrono::duration_cast<std::chrono::milliseconds>(kHealthyWithin).count()) {
    return {503, "the relay's loop has not run for " + std::to_string(silent_ms / 1000) + " s\n"};
  }
  return {200, "ok\n"};
}

std::pair<int, std::string> MetricsServer::readiness() {
  // A healthy standby is ready: a sidecar must not be taken out of service for waiting.
  if (!streaming_ && !standby_) return {503, "not streaming from PostgreSQL\n"};
  std::lock_guard lock(kafka_mutex_);
  if (!kafka_check_) return {503, "no Kafka producer\n"};
  const auto now = now_ms();
  if (kafka_checked_ms_ == 0 ||
      now - kafka_checked_ms_ >=
          std::chrono::duration_cast<std::chrono::milliseconds>(kKafkaCheckEvery).count()) {
    const auto checked = kafka_check_();
    kafka_problem_ = checked.ok() ? std::string() : checked.error().message();
    kafka_checked_ms_ = now_ms();
  }
  if (!kafka_problem_.empty()) return {503, "Kafka unreachable: " + kafka_problem_ + "\n"};
  return {200, streaming_ ? "ok\n" : "ok: standby, waiting for leadership\n"};
}

std::string MetricsServer::metrics_text() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

void MetricsServer::event_published(std::string_view topic) {
  auto found = metrics_->by_topic.find(topic);
  if (found == metrics_->by_topic.end()) {
    auto& counter = metrics_->published.Add({{"topic", std::string(topic)}});
    found = metrics_->by_topic.emplace(std::string(topic), &counter).first;
  }
  found->second->Increment();
}

void MetricsServer::event_failed(FailureReason reason) {
  switch (reason) {
    case FailureReason::kUnroutable:
      metrics_->failed_unroutable.Increment();
      break;
    case FailureReason::kRejected:
      metrics_->failed_rejected.Increment();
      break;
    case FailureReason::kDeliveryFailed:
      metrics_->failed_delivery.Increment();
      break;
    case FailureReason::kDeadLetterFailed:
      metrics_->failed_dead_letter.Increment();
      break;
  }
}

void MetricsServer::event_dead_lettered() { metrics_->dead_lettered.Increment(); }
void MetricsServer::event_skipped() { metrics_->skipped.Increment(); }

void MetricsServer::commit_to_ack(std::chrono::duration<double> latency) {
  metrics_->commit_to_ack.Observe(std::max(0.0, latency.count()));
}

void MetricsServer::positions(Lsn received, Lsn confirmed, Lsn server) {
  metrics_->received_lsn.Set(static_cast<double>(received.value()));
  metrics_->confirmed_lsn.Set(static_cast<double>(confirmed.value()));
  metrics_->server_lsn.Set(static_cast<double>(server.value()));
  metrics_->lag_bytes.Set(static_cast<double>(bytes_between(confirmed, server)));
}

void MetricsServer::lag(std::chrono::duration<double> age) {
  metrics_->lag_seconds.Set(std::max(0.0, age.count()));
}

void MetricsServer::in_flight(std::size_t events) {
  metrics_->in_flight.Set(static_cast<double>(events));
}

void MetricsServer::backpressure(std::chrono::duration<double> more) {
  if (more.count() > 0) metrics_->backpressure.Increment(more.count());
}

void MetricsServer::reconnect(ReconnectTarget target) {
  (target == ReconnectTarget::kPostgres ? metrics_->reconnects_postgres
                                        : metrics_->reconnects_kafka)
      .Increment();
}

void MetricsServer::pipeline_restart() { metrics_->pipeline_restarts.Increment(); }
void MetricsServer::slot_recreated() { metrics_->slot_recreated.Increment(); }

void MetricsServer::role(RelayRole role) {
  standby_ = role == RelayRole::kStandby;
  metrics_->standby.Set(role == RelayRole::kStandby ? 1 : 0);
  if (role == RelayRole::kLeader && metrics_->leader.Value() == 0)
    metrics_->leadership_changes.Increment();
  metrics_->leader.Set(role == RelayRole::kLeader ? 1 : 0);
}

void MetricsServer::standby_waited(std::chrono::duration<double> more) {
  if (more.count() > 0) metrics_->standby_seconds.Increment(more.count());
}

void MetricsServer::streaming(bool on) {
  streaming_ = on;
  metrics_->streaming.Set(on ? 1 : 0);
}

void MetricsServer::heartbeat() { last_heartbeat_ms_ = now_ms(); }

}  // namespace outbox
