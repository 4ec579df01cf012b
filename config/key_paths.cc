#include "config/key_paths.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <utility>

#include "config/raw_settings.h"

namespace outbox::config_internal {
namespace {

// A status interval beyond a day is a typo, and a bound keeps deadline arithmetic in
// std::chrono far from overflow.
constexpr std::uint64_t kMaxStatusIntervalMs = 86'400'000;
// Each event in flight holds its record in librdkafka's queue; ten million is already far beyond
// any sensible memory budget.
constexpr std::uint64_t kMaxInFlightEvents = 10'000'000;
constexpr std::uint64_t kMaxInFlightBytes = 16ULL * 1024 * 1024 * 1024;

std::string parse_text(std::string_view text, std::string& field) {
  field = std::string(text);
  return {};
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

// Only true and false (any case): YAML 1.1's yes/no/on/off are easy to write by accident, and
// the environment and --set should accept exactly what the file does.
std::string parse_bool(std::string_view text, bool& field) {
  const std::string word = lower(text);
  if (word == "true") {
    field = true;
  } else if (word == "false") {
    field = false;
  } else {
    return "expected true or false, got " + quoted(text);
  }
  return {};
}

// Digits only, no sign, greater than zero.
bool read_positive(std::string_view text, std::uint64_t& value) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc{} && end == text.data() + text.size() && value > 0;
}

// A positive number of milliseconds up to a day; with `zero_is_off`, 0 too (a check turned off).
std::string parse_milliseconds(std::string_view text, std::chrono::milliseconds& field,
                               bool zero_is_off = false) {
  if (zero_is_off && text == "0") {
    field = std::chrono::milliseconds(0);
    return {};
  }
  std::uint64_t value = 0;
  if (!read_positive(text, value)) {
    return std::string(zero_is_off ? "expected 0 (off) or a" : "expected a") +
           " positive integer (milliseconds), got " + quoted(text);
  }
  if (value > kMaxStatusIntervalMs) {
    return "expected at most " + std::to_string(kMaxStatusIntervalMs) + " (one day), got " +
           quoted(text);
  }
  field = std::chrono::milliseconds(static_cast<std::int64_t>(value));
  return {};
}

std::string parse_in_flight(std::string_view text, std::size_t& field,
                            std::uint64_t most = kMaxInFlightEvents) {
  std::uint64_t value = 0;
  if (!read_positive(text, value)) return "expected a positive integer, got " + quoted(text);
  if (value > most) {
    return "expected at most " + std::to_string(most) + ", got " + quoted(text);
  }
  field = static_cast<std::size_t>(value);
  return {};
}

template <typename Enum>
using EnumNames = std::span<const std::pair<std::string_view, Enum>>;

template <typename Enum>
std::string parse_enum(std::string_view text, EnumNames<Enum> names, Enum& field) {
  for (const auto& [name, value] : names) {
    if (text == name) {
      field = value;
      return {};
    }
  }
  std::string problem = "expected one of ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    problem += (i == 0 ? "" : ", ") + std::string(names[i].first);
  }
  return problem + ", got " + quoted(text);
}

template <typename Enum>
std::string print_enum(EnumNames<Enum> names, Enum value) {
  for (const auto& [name, candidate] : names) {
    if (candidate == value) return std::string(name);
  }
  return "?";
}

constexpr std::array<std::pair<std::string_view, SinkType>, 2> kSinkTypes{{
    {"kafka", SinkType::kKafka},
    {"stdout", SinkType::kStdout},
}};
constexpr std::array<std::pair<std::string_view, PermanentErrorPolicy>, 3> kPolicies{{
    {"halt", PermanentErrorPolicy::kHalt},
    {"dlq", PermanentErrorPolicy::kDlq},
    {"skip", PermanentErrorPolicy::kSkip},
}};
constexpr std::array<std::pair<std::string_view, SlotLostPolicy>, 2> kSlotLostPolicies{{
    {"stop", SlotLostPolicy::kStop},
    {"recreate", SlotLostPolicy::kRecreate},
}};
constexpr std::array<std::pair<std::string_view, LogLevel>, 5> kLogLevels{{
    {"trace", LogLevel::kTrace},
    {"debug", LogLevel::kDebug},
    {"info", LogLevel::kInfo},
    {"warn", LogLevel::kWarn},
    {"error", LogLevel::kError},
}};
constexpr std::array<std::pair<std::string_view, LogFormat>, 2> kLogFormats{{
    {"text", LogFormat::kText},
    {"json", LogFormat::kJson},
}};

std::string parse_log_level_key(std::string_view text, LogLevel& field) {
  // The logger's own parser also takes "warning"; keep the two in step.
  if (parse_log_level(text, field)) return {};
  return parse_enum<LogLevel>(text, kLogLevels, field);
}

std::string print_bool(bool value) { return value ? "true" : "false"; }

using C = Config;
using T = std::string_view;

const std::array<KeySpec, 29> kKeys{{
    {"source.dsn", KeyKind::kScalar, [](T t, C& c) { return parse_text(t, c.source.dsn); },
     [](const C& c) { return c.source.dsn; }},
    {"source.table", KeyKind::kScalar, [](T t, C& c) { return parse_text(t, c.source.table); },
     [](const C& c) { return c.source.table; }},
    {"source.publication", KeyKind::kScalar,
     [](T t, C& c) { return parse_text(t, c.source.publication); },
     [](const C& c) { return c.source.publication; }},
    {"source.slot", KeyKind::kScalar, [](T t, C& c) { return parse_text(t, c.source.slot); },
     [](const C& c) { return c.source.slot; }},
    {"source.create_publication", KeyKind::kScalar,
     [](T t, C& c) { return parse_bool(t, c.source.create_publication); },
     [](const C& c) { return print_bool(c.source.create_publication); }},
    {"source.create_slot", KeyKind::kScalar,
     [](T t, C& c) { return parse_bool(t, c.source.create_slot); },
     [](const C& c) { return print_bool(c.source.create_slot); }},
    {"source.status_interval_ms", KeyKind::kScalar,
     [](T t, C& c) { return parse_milliseconds(t, c.source.status_interval); },
     [](const C& c) { return std::to_string(c.source.status_interval.count()); }},
    {"source.liveness_timeout_ms", KeyKind::kScalar,
     [](T t, C& c) {
       return parse_milliseconds(t, c.source.liveness_timeout, /*zero_is_off=*/true);
     },
     [](const C& c) { return std::to_string(c.source.liveness_timeout.count()); }},
    {"source.on_slot_lost", KeyKind::kScalar,
     [](T t, C& c) {
       return parse_enum<SlotLostPolicy>(t, kSlotLostPolicies, c.source.on_slot_lost);
     },
     [](const C& c) {
       return print_enum<SlotLostPolicy>(kSlotLostPolicies, c.source.on_slot_lost);
     }},
    {"source.leader_lease_ms", KeyKind::kScalar,
     [](T t, C& c) { return parse_milliseconds(t, c.source.leader_lease, /*zero_is_off=*/true); },
     [](const C& c) { return std::to_string(c.source.leader_lease.count()); }},
    {"source.columns.id", KeyKind::kScalar,
     [](T t, C& c) { return parse_text(t, c.source.columns.id); },
     [](const C& c) { return c.source.columns.id; }},
    {"source.columns.aggregate_type", KeyKind::kScalar,
     [](T t, C& c) { return parse_text(t, c.source.columns.aggregate_type); },
     [](const C& c) { return c.source.columns.aggregate_type; }},
    {"source.columns.aggregate_id", KeyKind::kScalar,
     [](T t, C& c) { return parse_text(t, c.source.columns.aggregate_id); },
     [](const C& c) { return c.source.columns.aggregate_id; }},
    {"source.columns.event_type", KeyKind::kScalar,
     [](T t, C& c) { return parse_text(t, c.source.columns.event_type); },
     [](const C& c) { return c.source.columns.event_type; }},
    {"source.columns.payload", KeyKind::kScalar,
     [](T t, C& c) { return parse_text(t, c.source.columns.payload); },
     [](const C& c) { return c.source.columns.payload; }},
    {"source.columns.created_at", KeyKind::kScalar,
     [](T t, C& c) { return parse_text(t, c.source.columns.created_at); },
     [](const C& c) { return c.source.columns.created_at; }},
    {"routing.topic", KeyKind::kScalar, [](T t, C& c) { return parse_text(t, c.routing.topic); },
     [](const C& c) { return c.routing.topic; }},
    {"routing.topics", KeyKind::kTopicMap, nullptr, nullptr},
    {"routing.key", KeyKind::kScalar, [](T t, C& c) { return parse_text(t, c.routing.key); },
     [](const C& c) { return c.routing.key; }},
    {"routing.headers", KeyKind::kList, nullptr, nullptr},
    {"sink.type", KeyKind::kScalar,
     [](T t, C& c) { return parse_enum<SinkType>(t, kSinkTypes, c.sink.type); },
     [](const C& c) { return print_enum<SinkType>(kSinkTypes, c.sink.type); }},
    {"sink.kafka", KeyKind::kPropertyMap, nullptr, nullptr},
    {"sink.on_permanent_error", KeyKind::kScalar,
     [](T t, C& c) {
       return parse_enum<PermanentErrorPolicy>(t, kPolicies, c.sink.on_permanent_error);
     },
     [](const C& c) {
       return print_enum<PermanentErrorPolicy>(kPolicies, c.sink.on_permanent_error);
     }},
    {"sink.dlq_topic", KeyKind::kScalar, [](T t, C& c) { return parse_text(t, c.sink.dlq_topic); },
     [](const C& c) { return c.sink.dlq_topic; }},
    {"sink.max_in_flight_events", KeyKind::kScalar,
     [](T t, C& c) { return parse_in_flight(t, c.sink.max_in_flight_events); },
     [](const C& c) { return std::to_string(c.sink.max_in_flight_events); }},
    {"sink.max_in_flight_bytes", KeyKind::kScalar,
     [](T t, C& c) { return parse_in_flight(t, c.sink.max_in_flight_bytes, kMaxInFlightBytes); },
     [](const C& c) { return std::to_string(c.sink.max_in_flight_bytes); }},
    {"metrics.listen", KeyKind::kScalar, [](T t, C& c) { return parse_text(t, c.metrics.listen); },
     [](const C& c) { return c.metrics.listen; }},
    {"log.level", KeyKind::kScalar, [](T t, C& c) { return parse_log_level_key(t, c.log.level); },
     [](const C& c) { return print_enum<LogLevel>(kLogLevels, c.log.level); }},
    {"log.format", KeyKind::kScalar,
     [](T t, C& c) { return parse_enum<LogFormat>(t, kLogFormats, c.log.format); },
     [](const C& c) { return print_enum<LogFormat>(kLogFormats, c.log.format); }},
}};

bool starts_with_section(std::string_view path, std::string_view section) {
  return section.empty() ||
         (path.size() > section.size() && path.starts_with(section) && path[section.size()] == '.');
}

}  // namespace

std::span<const KeySpec> key_specs() { return kKeys; }

const KeySpec* find_key(std::string_view path) {
  for (const auto& spec : kKeys) {
    if (spec.path == path) return &spec;
  }
  return nullptr;
}

bool is_section(std::string_view path) {
  if (path.empty()) return true;
  return std::any_of(kKeys.begin(), kKeys.end(),
                     [&](const KeySpec& spec) { return starts_with_section(spec.path, path); });
}

std::vector<std::string_view> known_children(std::string_view section) {
  std::vector<std::string_view> children;
  for (const auto& spec : kKeys) {
    if (!starts_with_section(spec.path, section)) continue;
    std::string_view rest = spec.path.substr(section.empty() ? 0 : section.size() + 1);
    rest = rest.substr(0, rest.find('.'));
    if (std::find(children.begin(), children.end(), rest) == children.end()) {
      children.push_back(rest);
    }
  }
  return children;
}

std::string unknown_key_problem(std::string_view path) {
  std::string problem;
  std::string_view section = path;
  if (!path.empty() && is_section(path)) {
    problem = "is a section, not a key (known: ";
  } else {
    problem = "unknown key (known: ";
    do {
      const auto dot = section.rfind('.');
      section = dot == std::string_view::npos ? std::string_view{} : section.substr(0, dot);
    } while (!is_section(section));
  }
  const auto children = known_children(section);
  for (std::size_t i = 0; i < children.size(); ++i) {
    problem += (i == 0 ? "" : ", ") + std::string(children[i]);
  }
  return problem + ")";
}

std::string environment_name(std::string_view path) {
  std::string name(kEnvironmentPrefix);
  for (char c : path) {
    name += c == '.' ? '_' : (c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return name;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  const auto trim = [](std::string_view item) {
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    return std::string(item);
  };
  if (text.find_first_not_of(" \t") == std::string_view::npos) return items;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    items.push_back(trim(text.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

}  // namespace outbox::config_internal
