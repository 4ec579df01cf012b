// The known key paths, in the order of the documentation: the one table the YAML reader, the
// environment and --set resolve names against, "unknown key" messages list, and describe_config
// walks, so a key added here is accepted and shown everywhere at once.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace outbox::config_internal {

enum class KeyKind {
  kScalar,       // one value, parsed by its type
  kPropertyMap,  // sink.kafka: librdkafka property -> text, passed through verbatim
  kTopicMap,     // routing.topics: aggregate type -> topic
  kList,         // routing.headers: a list of names (comma-separated outside YAML)
};

struct KeySpec {
  std::string_view path;
  KeyKind kind;
  // Scalars only. Parses `text` into the key's field of `config`; returns what is wrong with it
  // (e.g. "expected true or false, got \"maybe\""), or an empty string when all is well.
  std::string (*parse)(std::string_view text, Config& config);
  // Scalars only. The field's value as text, the way it would be written in the file.
  std::string (*print)(const Config& config);
};

std::span<const KeySpec> key_specs();

// The spec whose path is exactly `path`; nullptr if none.
const KeySpec* find_key(std::string_view path);

// True when `path` is a section: a prefix of known keys ("source", "source.columns").
bool is_section(std::string_view path);

// The names directly under a section ("" for the top level), in documentation order.
std::vector<std::string_view> known_children(std::string_view section);

// The problem text for an unknown `path`: "unknown key (known: dsn, table, ...)", listing the
// keys of the deepest known section that `path` is under; for a section given where a key is
// expected, "is a section, not a key (known: ...)" with the section's own keys.
std::string unknown_key_problem(std::string_view path);

// The environment variable for a key path: OUTBOX_RELAY_ + path upper-cased, '.' -> '_'.
std::string environment_name(std::string_view path);

inline constexpr std::string_view kEnvironmentPrefix = "OUTBOX_RELAY_";

// Splits a comma-separated list ("id, event_type") into trimmed items; "" is the empty list.
std::vector<std::string> split_list(std::string_view text);

}  // namespace outbox::config_internal
