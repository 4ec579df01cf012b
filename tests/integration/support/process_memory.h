// What the kernel says of a process's memory (/proc/<pid>/status), for the memory bound tests.
#pragma once

#include <sys/types.h>

namespace outbox::testing {

// Resident set size (VmRSS) in KiB; 0 when unknown (the process is gone).
long resident_kib(pid_t pid);
// Peak resident set size (VmHWM) in KiB; 0 when unknown.
long peak_resident_kib(pid_t pid);

}  // namespace outbox::testing
