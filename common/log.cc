#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>

namespace outbox {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kText};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// RFC 3339 UTC with milliseconds.
void append_time(std::string& out) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  out += text;
}

// JSON's backslash escapes for backslashes and control characters (newlines, carriage returns,
// ESC, ...), and for double quotes when `escape_quotes` is set: what is written stays on one line
// and can be read back unambiguously.
void append_escaped(std::string& out, std::string_view text, bool escape_quotes) {
  for (char c : text) {
    switch (c) {
      case '"':
        out += escape_quotes ? "\\\"" : "\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
void set_log_format(LogFormat format) { g_format = format; }
LogLevel log_level() { return g_level; }

bool parse_log_level(std::string_view text, LogLevel& level) {
  if (text == "trace")
    level = LogLevel::kTrace;
  else if (text == "debug")
    level = LogLevel::kDebug;
  else if (text == "info")
    level = LogLevel::kInfo;
  else if (text == "warn" || text == "warning")
    level = LogLevel::kWarn;
  else if (text == "error")
    level = LogLevel::kError;
  else
    return false;
  return true;
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  append_escaped(out, text, /*escape_quotes=*/true);
  out += '"';
}

void Logger::log(LogLevel level, std::string_view message,
                 std::initializer_list<LogField> fields) const {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(128 + message.size());
  if (g_format.load() == LogFormat::kJson) {
    line += "{\"time\":\"";
    append_time(line);
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"logger\":";
    append_json_string(line, name_);
    line += ",\"message\":";
    append_json_string(line, message);
    for (const auto& [key, value] : fields) {
      line += ',';
      append_json_string(line, key);
      line += ':';
      append_json_string(line, value);
    }
    line += "}\n";
  } else {
    append_time(line);
    line += ' ';
    line += level_name(level);
    line += ' ';
    line += name_;
    line += ": ";
    // Escaped like the fields, so a multi-line server error cannot split the line or forge
    // another; quotes stay as written, since the message is not quoted.
    append_escaped(line, message, /*escape_quotes=*/false);
    for (const auto& [key, value] : fields) {
      line += ' ';
      line += key;
      line += '=';
      if (needs_quotes(value)) {
        append_json_string(line, value);
      } else {
        line += value;
      }
    }
    line += '\n';
  }
  // One write per line, so lines from librdkafka's threads never interleave mid-line.
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written <= 0) break;
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

bool RateLimit::allow(long& suppressed) {
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= interval_) {
    window_start_ = now;
    used_ = 0;
  }
  if (used_ < burst_) {
    ++used_;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace outbox
