// The ids of the events a load run writes, as UUIDs that carry their own index, so the reader
// can tell which event a record is without a lookup table:
//
//   <run tag, 8 hex>-0000-4000-8000-<event index, 12 hex>    events of the run (warm-up included)
//   <run tag, 8 hex>-0000-4000-9000-<probe index, 12 hex>    probes written until the contender
//   answers
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace outbox::bench {

enum class EventKind { kEvent, kProbe };

inline std::string event_id(std::uint32_t run_tag, EventKind kind, std::uint64_t index) {
  char id[37];
  std::snprintf(id, sizeof id, "%08x-0000-4000-%s-%012llx", run_tag,
                kind == EventKind::kEvent ? "8000" : "9000",
                static_cast<unsigned long long>(index));
  return id;
}

struct ParsedId {
  EventKind kind;
  std::uint64_t index;
};

// The kind and index of an id this run wrote; nullopt for anything else (another run's record).
inline std::optional<ParsedId> parse_event_id(std::string_view id, std::uint32_t run_tag) {
  if (id.size() != 36) return std::nullopt;
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", run_tag);
  if (id.substr(0, 8) != tag || id.substr(8, 11) != "-0000-4000-") return std::nullopt;
  const std::string_view kind = id.substr(19, 4);
  if (kind != "8000" && kind != "9000") return std::nullopt;
  std::uint64_t index = 0;
  for (const char c : id.substr(24)) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    index = index * 16 + static_cast<std::uint64_t>(digit);
  }
  return ParsedId{kind == "8000" ? EventKind::kEvent : EventKind::kProbe, index};
}

}  // namespace outbox::bench
