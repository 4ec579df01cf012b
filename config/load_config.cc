// load_config: the layers in order (file, environment, --set) into raw settings, then one pass
// that parses the winning value of each key, then the checks on the whole. Parsing only the
// winners means an overridden value is never held against the operator, and every problem can
// name the layer its value came from.
#include <exception>
#include <set>

#include "config/config.h"
#include "config/environment_layer.h"
#include "config/key_paths.h"
#include "config/override_layer.h"
#include "config/raw_settings.h"
#include "config/validate_config.h"
#include "config/yaml_file_layer.h"

namespace outbox {
namespace {

using namespace config_internal;

Result<Config> build(const ConfigSources& sources) {
  RawSettings settings;
  Problems problems;

  bool file_usable = true;
  if (sources.file) file_usable = read_yaml_file(*sources.file, settings, problems);
  read_environment(sources.environment, settings, problems);
  read_overrides(sources.overrides, settings, problems);

  Config config;
  std::set<std::string, std::less<>> unparsed;
  for (const auto& spec : key_specs()) {
    if (spec.kind != KeyKind::kScalar) continue;
    const auto it = settings.scalars.find(spec.path);
    if (it == settings.scalars.end()) continue;
    if (auto problem = spec.parse(it->second.text, config); !problem.empty()) {
      problems.add(it->second.origin, spec.path, problem);
      unparsed.emplace(spec.path);
    }
  }
  for (const auto& [property, value] : settings.kafka) config.sink.kafka[property] = value.text;
  for (const auto& [aggregate_type, topic] : settings.topics) {
    config.routing.topics[aggregate_type] = topic.text;
  }
  if (settings.headers) config.routing.headers = settings.headers->items;

  // Without the file, "source.dsn is required" and the like would be noise, not news.
  if (file_usable) validate_config(config, settings, unparsed, problems);

  if (!problems.empty()) return Error{ErrorCode::kInvalidConfig, problems.joined()};
  return config;
}

}  // namespace

Result<Config> load_config(const ConfigSources& sources) {
  // No exception leaves the configuration: yaml-cpp's are caught where they arise, and this
  // catches what is left (allocation failure).
  try {
    return build(sources);
  } catch (const std::exception& error) {
    return Error{ErrorCode::kInvalidConfig,
                 std::string("cannot load the configuration: ") + error.what()};
  }
}

}  // namespace outbox
