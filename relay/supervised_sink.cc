#include "relay/supervised_sink.h"

#include <cstdio>

#include "sinks/kafka_sink.h"
#include "sinks/stdout_sink.h"

namespace outbox {

Result<std::unique_ptr<Sink>> make_configured_sink(const Config& config) {
  if (config.sink.type == SinkType::kStdout) return make_stdout_sink(stdout);
  return make_kafka_sink(config.sink.kafka);
}

SupervisedSink::SupervisedSink(const Config& config, SinkFactory factory, MetricsServer* metrics)
    : config_(config),
      factory_(factory ? std::move(factory) : SinkFactory(make_configured_sink)),
      metrics_(metrics) {}

SupervisedSink::~SupervisedSink() {
  // Waits for a check in progress, so that none runs on a destroyed sink.
  if (metrics_) metrics_->set_kafka_check(nullptr);
}

Result<void> SupervisedSink::replace() {
  if (metrics_) metrics_->set_kafka_check(nullptr);
  sink_.reset();
  auto made = factory_(config_);
  if (!made.ok()) return std::move(made).error();
  sink_ = std::move(made).value();
  watch();
  return {};
}

void SupervisedSink::watch() {
  if (!metrics_ || !sink_) return;
  Sink* current = sink_.get();
  metrics_->set_kafka_check([current] { return current->probe(std::chrono::seconds(2)); });
}

}  // namespace outbox
