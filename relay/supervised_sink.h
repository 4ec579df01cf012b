// The sink the runner hands each session, and replaces with a new one after a fatal error (or
// when a lost session left records in flight). While a metrics server runs, its /readyz asks
// the current sink whether Kafka answers; that check never outlives the sink it asks.
#pragma once

#include <functional>
#include <memory>

#include "common/result.h"
#include "config/config.h"
#include "relay/metrics_server.h"
#include "sinks/sink.h"

namespace outbox {

// Makes the sink (the Kafka or stdout one from the configuration by default; tests pass their own).
using SinkFactory = std::function<Result<std::unique_ptr<Sink>>(const Config&)>;

// The sink the configuration names.
Result<std::unique_ptr<Sink>> make_configured_sink(const Config& config);

class SupervisedSink {
 public:
  // `metrics` may be null (no listener).
  SupervisedSink(const Config& config, SinkFactory factory, MetricsServer* metrics);
  ~SupervisedSink();
  SupervisedSink(const SupervisedSink&) = delete;
  SupervisedSink& operator=(const SupervisedSink&) = delete;

  // Makes the first sink, or a new one in place of the current one (destroyed first: its
  // undelivered records are purged, and the next session sends them again).
  Result<void> replace();

  Sink& operator*() { return *sink_; }
  Sink* operator->() { return sink_.get(); }

 private:
  void watch();

  const Config& config_;
  SinkFactory factory_;
  MetricsServer* metrics_;
  std::unique_ptr<Sink> sink_;
};

}  // namespace outbox
