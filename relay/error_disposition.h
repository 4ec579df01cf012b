// What the relay does about an error, decided in one place by the error's code: the runner, the
// session and every step before streaming ask disposition_of() instead of working it out.
#pragma once

#include "common/error.h"

namespace outbox {

enum class Disposition {
  // Transient (a server down or restarting, a dropped connection): reconnect after the backoff
  // and resume from the confirmed position.
  kRetry,
  // The producer can deliver nothing more: a new one, then resume from the confirmed position.
  kReplaceSink,
  // Retrying would fail the same way after sending the unconfirmed window again (a malformed
  // stream, an unusable outbox table, an event that cannot be published under halt): stop and
  // wait for an operator (exit status 3; systemd does not restart).
  kStopForOperator,
  // Nothing the relay can change by waiting: a refused login, an invalid configuration, a failed
  // system call. Exit status 1.
  kFail,
};

Disposition disposition_of(ErrorCode code);

}  // namespace outbox
