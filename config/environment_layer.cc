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

bool is_upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// A port name as kubelet writes it into a variable name: Kubernetes requires an IANA service name
// (1 to 15 lower-case letters, digits and '-', with a letter, no '-' at either end or next to
// another), which kubelet upper-cases with '-' turned into '_'.
bool is_port_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name.front() == '_' || name.back() == '_') return false;
  bool letter = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '_') {
      if (name[i - 1] == '_') return false;
    } else if (!is_upper_or_digit(name[i])) {
      return false;
    }
    letter = letter || (name[i] >= 'A' && name[i] <= 'Z');
  }
  return letter;
}

// A port number as kubelet prints it: 1 to 65535, no leading zero.
bool is_port_number(std::string_view digits) {
  if (digits.empty() || digits.size() > 5 || digits.front() == '0') return false;
  int number = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    number = number * 10 + (c - '0');
  }
  return number <= 65535;
}

}  // namespace

// kubelet's format (pkg/kubelet/envvars, documented under "Discovering services"): for a Service
// "outbox-relay" with its ports, {SVC}_SERVICE_HOST, {SVC}_SERVICE_PORT (the first port),
// {SVC}_SERVICE_PORT_{NAME} (each named port), {SVC}_PORT (the first port, Docker-link style), and
// for every port {SVC}_PORT_{port}_{PROTOCOL} with _PROTO, _PORT and _ADDR variants.
bool is_kubernetes_service_link(std::string_view name) {
  if (!name.starts_with(kEnvironmentPrefix)) return false;
  std::string_view rest = name.substr(kEnvironmentPrefix.size());
  if (rest == "SERVICE_HOST" || rest == "SERVICE_PORT" || rest == "PORT") return true;
  constexpr std::string_view kNamedPort = "SERVICE_PORT_";
  if (rest.starts_with(kNamedPort)) return is_port_name(rest.substr(kNamedPort.size()));
  constexpr std::string_view kPort = "PORT_";
  if (!rest.starts_with(kPort)) return false;
  rest.remove_prefix(kPort.size());
  const std::size_t underscore = rest.find('_');
  if (underscore == std::string_view::npos || !is_port_number(rest.substr(0, underscore))) {
    return false;
  }
  rest.remove_prefix(underscore + 1);
  for (std::string_view protocol : {"TCP", "UDP", "SCTP"}) {
    if (!rest.starts_with(protocol)) continue;
    const std::string_view variant = rest.substr(protocol.size());
    return variant.empty() || variant == "_PROTO" || variant == "_PORT" || variant == "_ADDR";
  }
  return false;
}

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
    // Checked after the keys, so a key would win over a service link of the same name.
    if (!matched && !is_kubernetes_service_link(name)) {
      const std::string path = guess_path(name);
      problems.add(origin, path, unknown_key_problem(path));
    }
  }
}

}  // namespace outbox::config_internal
