// describe_config: the effective configuration as YAML, every key, in the documentation's
// order, secrets redacted. Driven by the key table, so a new key cannot be forgotten here.
#include <yaml-cpp/yaml.h>

#include <exception>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/key_paths.h"
#include "config/redact.h"

namespace outbox {
namespace {

using namespace config_internal;

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (true) {
    const auto dot = path.find('.');
    segments.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos) return segments;
    path = path.substr(dot + 1);
  }
}

void emit_map(YAML::Emitter& out, const std::map<std::string, std::string>& map, bool redact) {
  if (map.empty()) out << YAML::Flow;
  out << YAML::BeginMap;
  for (const auto& [name, value] : map) {
    out << YAML::Key << name << YAML::Value
        << (redact && is_secret_kafka_property(name) ? std::string(kRedacted) : value);
  }
  out << YAML::EndMap;
}

std::string describe(const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::vector<std::string_view> open;  // the sections currently open, outermost first
  for (const auto& spec : key_specs()) {
    const auto segments = split_path(spec.path);
    const std::size_t depth = segments.size() - 1;
    std::size_t shared = 0;
    while (shared < open.size() && shared < depth && open[shared] == segments[shared]) ++shared;
    while (open.size() > shared) {
      out << YAML::EndMap;
      open.pop_back();
    }
    while (open.size() < depth) {
      out << YAML::Key << std::string(segments[open.size()]) << YAML::Value << YAML::BeginMap;
      open.push_back(segments[open.size()]);
    }
    out << YAML::Key << std::string(segments.back()) << YAML::Value;
    switch (spec.kind) {
      case KeyKind::kScalar: {
        std::string text = spec.print(config);
        if (spec.path == "source.dsn") text = redact_dsn(text);
        out << text;
        break;
      }
      case KeyKind::kPropertyMap:
        emit_map(out, config.sink.kafka, true);
        break;
      case KeyKind::kTopicMap:
        emit_map(out, config.routing.topics, false);
        break;
      case KeyKind::kList:
        out << YAML::Flow << YAML::BeginSeq;
        for (const auto& header : config.routing.headers) out << header;
        out << YAML::EndSeq;
        break;
    }
  }
  while (!open.empty()) {
    out << YAML::EndMap;
    open.pop_back();
  }
  out << YAML::EndMap;
  if (!out.good()) return "# the configuration could not be shown: " + out.GetLastError() + "\n";
  return std::string(out.c_str()) + "\n";
}

}  // namespace

std::string describe_config(const Config& config) {
  try {
    return describe(config);
  } catch (const std::exception& error) {
    return std::string("# the configuration could not be shown: ") + error.what() + "\n";
  }
}

}  // namespace outbox
