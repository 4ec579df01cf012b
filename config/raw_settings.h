// What each layer (file, environment, --set) said, before any of it is parsed into a Config: the
// text of every value and where it came from, so that a problem found later, after the layers are
// merged, still names the origin of the value that won.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outbox::config_internal {

// Where a value came from, as the text that leads a problem line: "relay.yaml:7: ",
// "environment OUTBOX_RELAY_SOURCE_SLOT: ", "--set ". Empty for a default.
class Origin {
 public:
  Origin() = default;
  // `line` is 1-based; 0 when the YAML parser gave no position.
  static Origin file(std::string_view path, int line);
  static Origin environment(std::string_view variable);
  static Origin command_line();

  const std::string& lead() const { return lead_; }

 private:
  explicit Origin(std::string lead) : lead_(std::move(lead)) {}
  std::string lead_;
};

struct RawValue {
  std::string text;
  Origin origin;
};

struct RawList {
  std::vector<std::string> items;
  Origin origin;
};

// The merged layers. A later layer overwrites a key's entry; map entries (sink.kafka.<property>,
// routing.topics.<aggregate type>) merge one by one; routing.headers is replaced as a whole.
struct RawSettings {
  std::map<std::string, RawValue, std::less<>> scalars;  // by key path: "source.slot"
  std::map<std::string, RawValue, std::less<>> kafka;    // librdkafka property -> value
  std::map<std::string, RawValue, std::less<>> topics;   // aggregate type -> topic
  std::optional<RawList> headers;
};

// Every problem found, one line each, in the order found.
class Problems {
 public:
  // "<origin lead><path>: <problem>"
  void add(const Origin& origin, std::string_view path, std::string_view problem);
  // A line that names no key (an unreadable file, a YAML syntax error).
  void add_line(std::string line) { lines_.push_back(std::move(line)); }

  bool empty() const { return lines_.empty(); }
  std::size_t size() const { return lines_.size(); }
  // The lines joined by "\n".
  std::string joined() const;

 private:
  std::vector<std::string> lines_;
};

// `text` as a double-quoted string with quotes, backslashes and control characters escaped, for
// echoing a bad value in a problem line.
std::string quoted(std::string_view text);

}  // namespace outbox::config_internal
