// The sub-commands: run (supervise sessions: reconnect, restart the pipeline), check, status,
// migrate. Each returns the process exit status.
#pragma once

#include <functional>
#include <memory>

#include "config/config.h"
#include "sinks/sink.h"

namespace outbox {

// Exit statuses, as documented in docs/operations.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // stopped on an error: see the log's last error line
inline constexpr int kExitUsage = 2;    // bad command line or configuration; nothing started
// Stopped for an operator: an event that cannot be published under on_permanent_error: halt, a
// replication stream that cannot be processed, or a lost slot under on_slot_lost: stop. A restart
// would fail the same way after sending the unconfirmed window again, so nothing should restart
// the relay on its own (the systemd unit does not).
inline constexpr int kExitNeedsOperator = 3;

// Makes the sink (the Kafka or stdout one from the configuration by default; tests pass their own).
using SinkFactory = std::function<Result<std::unique_ptr<Sink>>(const Config&)>;

int run_relay(const Config& config, const SinkFactory& make_sink = {});
int check_relay(const Config& config);
int show_status(const Config& config, bool json);
int run_migrations(const Config& config);

}  // namespace outbox
