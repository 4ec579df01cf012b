// The sub-commands: run (supervise sessions: reconnect, restart the pipeline), check, status,
// migrate. Each returns the process exit status.
#pragma once

#include "config/config.h"

namespace outbox {

// Exit statuses, as documented in docs/operations.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // stopped on an error: see the log's last error line
inline constexpr int kExitUsage = 2;    // bad command line or configuration; nothing started

int run_relay(const Config& config);
int check_relay(const Config& config);
int show_status(const Config& config, bool json);
int run_migrations(const Config& config);

}  // namespace outbox
