// The process's exit statuses, as docs/operations.md documents them.
#pragma once

namespace outbox {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // stopped on an error: see the log's last error line
inline constexpr int kExitUsage = 2;    // bad command line or configuration; nothing started
// Stopped for an operator: an event that cannot be published under on_permanent_error: halt, a
// replication stream that cannot be processed, or a lost slot under on_slot_lost: stop. A restart
// would fail the same way after sending the unconfirmed window again, so nothing should restart
// the relay on its own (the systemd unit does not).
inline constexpr int kExitNeedsOperator = 3;

}  // namespace outbox
