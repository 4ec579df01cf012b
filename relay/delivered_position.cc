#include "relay/delivered_position.h"

#include <charconv>
#include <vector>

namespace outbox {
namespace {

constexpr std::string_view kVersion = "outbox-relay/1";

bool parse_number(std::string_view text, std::uint64_t& value) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc{} && end == text.data() + text.size();
}

// `text` split at spaces.
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto space = text.find(' ');
    out.push_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return out;
}

// The value of `word` if it is "<name>=<value>".
std::optional<std::string_view> value_of(std::string_view word, std::string_view name) {
  if (word.size() <= name.size() || !word.starts_with(name) || word[name.size()] != '=') {
    return std::nullopt;
  }
  return word.substr(name.size() + 1);
}

}  // namespace

std::string DeliveredPosition::to_string() const {
  return std::string(kVersion) + " commit=" + commit.to_string() +
         " rows=" + (rows ? std::to_string(*rows) : std::string("all")) +
         " system=" + system_identifier + " timeline=" + std::to_string(timeline);
}

std::optional<DeliveredPosition> DeliveredPosition::parse(std::string_view text) {
  const auto parts = words(text);
  if (parts.size() != 5 || parts[0] != kVersion) return std::nullopt;
  DeliveredPosition position;
  const auto commit = value_of(parts[1], "commit");
  const auto rows = value_of(parts[2], "rows");
  const auto system = value_of(parts[3], "system");
  const auto timeline = value_of(parts[4], "timeline");
  if (!commit || !rows || !system || !timeline) return std::nullopt;
  const auto lsn = Lsn::parse(*commit);
  if (!lsn || !lsn->is_valid()) return std::nullopt;
  position.commit = *lsn;
  if (*rows != "all") {
    std::uint64_t count = 0;
    if (!parse_number(*rows, count)) return std::nullopt;
    position.rows = count;
  }
  std::uint64_t system_number = 0;
  if (!parse_number(*system, system_number)) return std::nullopt;
  position.system_identifier = std::string(*system);
  std::uint64_t timeline_number = 0;
  if (!parse_number(*timeline, timeline_number) || timeline_number == 0 ||
      timeline_number > UINT32_MAX) {
    return std::nullopt;
  }
  position.timeline = static_cast<std::uint32_t>(timeline_number);
  return position;
}

}  // namespace outbox
