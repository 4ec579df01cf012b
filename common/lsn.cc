#include "common/lsn.h"

#include <cstdio>
#include <ostream>

namespace outbox {

std::string Lsn::to_string() const {
  char text[sizeof "FFFFFFFF/FFFFFFFF"];
  std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(value_ >> 32),
                static_cast<unsigned>(value_ & 0xFFFFFFFFu));
  return text;
}

namespace {

// One half of an LSN: 1 to 8 hexadecimal digits.
std::optional<std::uint32_t> parse_half(std::string_view digits) {
  if (digits.empty() || digits.size() > 8) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : digits) {
    std::uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = (value << 4) | digit;
  }
  return value;
}

}  // namespace

std::optional<Lsn> Lsn::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto high = parse_half(text.substr(0, slash));
  const auto low = parse_half(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return Lsn{(std::uint64_t{*high} << 32) | *low};
}

std::ostream& operator<<(std::ostream& out, Lsn lsn) { return out << lsn.to_string(); }

}  // namespace outbox
