// The sub-commands, one file each: run (relay/run_command.cc), check, status, migrate. Each
// returns the process's exit status (relay/exit_status.h).
#pragma once

#include "config/config.h"
#include "relay/exit_status.h"
#include "relay/supervised_sink.h"

namespace outbox {

// Streams until a signal or an error an operator must see; reconnects after transient failures
// and replaces the sink after fatal ones, resuming from the confirmed position each time.
int run_command(const Config& config, const SinkFactory& make_sink = {});
// Validates the configuration and reaches both servers; 0 only if the relay could run.
int check_command(const Config& config);
// The slot, its confirmed position and lag, as text or JSON.
int status_command(const Config& config, bool json);
// Applies the embedded migrations (idempotent), and creates the slot when the relay may.
int migrate_command(const Config& config);

}  // namespace outbox
