#include "bench/loadgen/process_usage.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace outbox::bench {

std::optional<ProcessUsage> read_process_usage(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::ifstream stat(base + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime
  // are the 14th and 15th fields of the whole line, the 12th and 13th after ") ".
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  ProcessUsage usage;
  usage.cpu = std::chrono::microseconds((utime + stime) * 1'000'000 / ticks);

  std::ifstream status(base + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) usage.peak_rss_kib = std::stol(line.substr(6));
  }
  return usage;
}

}  // namespace outbox::bench
