// Logging: one line per event on stderr, as text or JSON, from named loggers.
//
//   static const Logger log("relay");
//   log.info("streaming from " + lsn.to_string(), {{"slot", slot}});
//
// A message is plain text, not a format string: build it before the call. Fields are key/value
// pairs rendered after the message (text) or as JSON members. In text, the message has
// backslashes and control characters (newlines included) escaped as in JSON, and a field value
// that holds blanks, quotes, '=' or control characters is a JSON string, so every event is one
// line whatever a server error says. Secrets never go into a message or a field:
// redact them before (see config/redact.h).
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace outbox {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

// Process-wide settings; set once at start-up, before threads log.
void set_log_level(LogLevel level);
void set_log_format(LogFormat format);
LogLevel log_level();

// "trace", "debug", "info", "warn", "error" (also "warning"); false if none matches.
bool parse_log_level(std::string_view text, LogLevel& level);

using LogField = std::pair<std::string_view, std::string>;

class Logger {
 public:
  explicit Logger(std::string_view name) : name_(name) {}

  bool enabled(LogLevel level) const { return level >= log_level(); }
  void log(LogLevel level, std::string_view message,
           std::initializer_list<LogField> fields = {}) const;

  void trace(std::string_view m, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::kTrace, m, f);
  }
  void debug(std::string_view m, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::kDebug, m, f);
  }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::kInfo, m, f);
  }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::kWarn, m, f);
  }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::kError, m, f);
  }

 private:
  std::string_view name_;
};

// For per-event problems: lets the first `burst` through, then one per `interval`, and says how
// many were suppressed in between.
class RateLimit {
 public:
  RateLimit(int burst, std::chrono::steady_clock::duration interval)
      : burst_(burst), interval_(interval) {}
  // True when this occurrence may be logged; `suppressed` is set to how many were dropped since
  // the last one that was.
  bool allow(long& suppressed);

 private:
  int burst_;
  std::chrono::steady_clock::duration interval_;
  int used_ = 0;
  long suppressed_ = 0;
  std::chrono::steady_clock::time_point window_start_{};
};

// JSON string escaping, shared by the JSON log format and the stdout sink.
void append_json_string(std::string& out, std::string_view text);

}  // namespace outbox
