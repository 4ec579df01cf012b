// OUTBOX_CHECK(condition, message): an invariant the relay relies on, checked in every build type.
//
// A failed check means the process is in a state no code path expects (a delivery report for a
// transaction with nothing pending, the value of a failed Result read). Going on could confirm a
// position whose events were never delivered; stopping loses nothing, since a restart sends the
// unconfirmed window again. So it prints what failed and where, and aborts.
//
//   OUTBOX_CHECK(entry.pending > 0, "delivery for a transaction with nothing pending");
#pragma once

#include <string_view>

namespace outbox {

[[noreturn]] void check_failed(std::string_view condition, std::string_view message,
                               std::string_view file, int line);

}  // namespace outbox

#define OUTBOX_CHECK(condition, message)                                 \
  do {                                                                   \
    if (!(condition)) [[unlikely]] {                                     \
      ::outbox::check_failed(#condition, (message), __FILE__, __LINE__); \
    }                                                                    \
  } while (false)
