#include "config/environment_layer.h"

#include "config/key_paths.h"

namespace outbox::config_internal {
namespace {

// OUTBOX_RELAY_SINK_KAFKA_BOOTSTRAP_SERVERS -> bootstrap.servers. Environment names cannot hold
// dots, and librdkafka's property names use dots where the variable has underscores.
std::string kafka_property(std::string_view suffix) {
  std::string property(suffix);
  for (char& c : property) {
    if (c == '_') c = '.';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return property;
}

// The deepest section whose variable prefix `name` starts with, for the "unknown" problem.
std::string guess_path(std::string_view name) {
  std::string best;
  std::size_t best_length = 0;
  for (const auto& spec : key_specs()) {
    std::string_view path = spec.path;
    // Every section on the way down to this key.
    for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
      const std::string prefix = environment_name(path.substr(0, dot)) + "_";
      if (name.starts_with(prefix) && prefix.size() > best_length) {
        best_length = prefix.size();
        best = std::string(path.substr(0, dot));
      }
    }
  }
  // The rest of the name, as the key path it would most likely be meant as.
  std::string rest(name.substr(best_length == 0 ? kEnvironmentPrefix.size() : best_length));
  for (char& c : rest) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return best.empty() ? rest : best + "." + rest;
}

}  // namespace

void read_environment(const std::vector<std::string>& environment, RawSettings& settings,
                      Problems& problems) {
  for (const auto& entry : environment) {
    const std::string_view text = entry;
    if (!text.starts_with(kEnvironmentPrefix)) continue;
    const auto equals = text.find('=');
    const std::string_view name = text.substr(0, equals);
    if (name == kTestHarnessVariable) continue;
    const Origin origin = Origin::environment(name);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view{} : text.substr(equals + 1);

    // Names hold underscores of their own (STATUS_INTERVAL_MS), so a name is matched against
    // every known key's variable rather than split; map keys match by their prefix.
    bool matched = false;
    for (const auto& spec : key_specs()) {
      const std::string variable = environment_name(spec.path);
      if (name == variable) {
        matched = true;
        switch (spec.kind) {
          case KeyKind::kScalar:
            settings.scalars[std::string(spec.path)] = RawValue{std::string(value), origin};
            break;
          case KeyKind::kList:
            settings.headers = RawList{split_list(value), origin};
            break;
          case KeyKind::kPropertyMap:
            problems.add(origin, spec.path,
                         "set one property per variable, e.g. " + variable +
                             "_BOOTSTRAP_SERVERS for bootstrap.servers");
            break;
          case KeyKind::kTopicMap:
            problems.add(
                origin, spec.path,
                "set one aggregate type per variable, e.g. " + variable + "_Order=orders.v1");
            break;
        }
        break;
      }
      const std::string prefix = variable + "_";
      if (name.size() > prefix.size() && name.starts_with(prefix)) {
        if (spec.kind == KeyKind::kPropertyMap) {
          settings.kafka[kafka_property(name.substr(prefix.size()))] =
              RawValue{std::string(value), origin};
          matched = true;
          break;
        }
        if (spec.kind == KeyKind::kTopicMap) {
          // The aggregate type as written: it is matched against column text, case and all.
          settings.topics[std::string(name.substr(prefix.size()))] =
              RawValue{std::string(value), origin};
          matched = true;
          break;
        }
      }
    }
    if (!matched) {
      const std::string path = guess_path(name);
      problems.add(origin, path, unknown_key_problem(path));
    }
  }
}

}  // namespace outbox::config_internal
