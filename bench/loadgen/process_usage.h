// CPU time and peak memory of a process, read from /proc (Linux), for the contender and the
// broker of a load run.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>

namespace outbox::bench {

struct ProcessUsage {
  std::chrono::microseconds cpu{0};  // user + system, all threads
  long peak_rss_kib = 0;             // VmHWM: the most resident memory since the process started
};

// nullopt when the process is gone or /proc cannot be read.
std::optional<ProcessUsage> read_process_usage(pid_t pid);

}  // namespace outbox::bench
