#include "tests/integration/support/process_memory.h"

#include <cstdlib>
#include <fstream>
#include <string>

namespace outbox::testing {
namespace {

// The value of a "<field>:   <n> kB" line of /proc/<pid>/status.
long status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  const std::string prefix = field + ":";
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(prefix, 0) == 0) return std::strtol(line.c_str() + prefix.size(), nullptr, 10);
  }
  return 0;
}

}  // namespace

long resident_kib(pid_t pid) { return status_kib(pid, "VmRSS"); }
long peak_resident_kib(pid_t pid) { return status_kib(pid, "VmHWM"); }

}  // namespace outbox::testing
