#include "config/override_layer.h"

#include "config/key_paths.h"

namespace outbox::config_internal {

void read_overrides(const std::vector<std::string>& overrides, RawSettings& settings,
                    Problems& problems) {
  const Origin origin = Origin::command_line();
  for (const auto& entry : overrides) {
    const std::string_view text = entry;
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
      problems.add(origin, text, "expected key.path=value");
      continue;
    }
    const std::string_view path = text.substr(0, equals);
    const std::string value(text.substr(equals + 1));

    bool matched = false;
    for (const auto& spec : key_specs()) {
      if (path == spec.path) {
        matched = true;
        switch (spec.kind) {
          case KeyKind::kScalar:
            settings.scalars[std::string(path)] = RawValue{value, origin};
            break;
          case KeyKind::kList:
            settings.headers = RawList{split_list(value), origin};
            break;
          case KeyKind::kPropertyMap:
            problems.add(origin, path,
                         "set one property at a time, e.g. sink.kafka.bootstrap.servers=host:9092");
            break;
          case KeyKind::kTopicMap:
            problems.add(origin, path,
                         "set one aggregate type at a time, e.g. routing.topics.Order=orders.v1");
            break;
        }
        break;
      }
      const std::string prefix = std::string(spec.path) + ".";
      if (path.size() > prefix.size() && path.starts_with(prefix)) {
        const std::string name(path.substr(prefix.size()));
        if (spec.kind == KeyKind::kPropertyMap) {
          settings.kafka[name] = RawValue{value, origin};
          matched = true;
          break;
        }
        if (spec.kind == KeyKind::kTopicMap) {
          settings.topics[name] = RawValue{value, origin};
          matched = true;
          break;
        }
      }
    }
    if (!matched) problems.add(origin, path, unknown_key_problem(path));
  }
}

}  // namespace outbox::config_internal
