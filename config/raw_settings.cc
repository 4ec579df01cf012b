#include "config/raw_settings.h"

#include "common/log.h"

namespace outbox::config_internal {

Origin Origin::file(std::string_view path, int line) {
  std::string lead(path);
  if (line > 0) lead += ":" + std::to_string(line);
  return Origin(lead + ": ");
}

Origin Origin::environment(std::string_view variable) {
  return Origin("environment " + std::string(variable) + ": ");
}

Origin Origin::command_line() { return Origin("--set "); }

void Problems::add(const Origin& origin, std::string_view path, std::string_view problem) {
  std::string line = origin.lead();
  line += path;
  line += ": ";
  line += problem;
  lines_.push_back(std::move(line));
}

std::string Problems::joined() const {
  std::string text;
  for (const auto& line : lines_) {
    if (!text.empty()) text += '\n';
    text += line;
  }
  return text;
}

std::string quoted(std::string_view text) {
  // The JSON escaping the logger already has is exactly what an operator needs to see stray
  // whitespace or control characters in a value.
  std::string out;
  append_json_string(out, text);
  return out;
}

}  // namespace outbox::config_internal
