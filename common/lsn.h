// A position in PostgreSQL's write-ahead log.
//
// Never a bare integer: LSNs are compared, printed as PostgreSQL prints them ("16/B374D848", two
// hexadecimal halves) and carried through the relay, and a mix-up with a byte count or an event
// count must not compile.
#pragma once

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace outbox {

class Lsn {
 public:
  // 0/0, PostgreSQL's InvalidXLogRecPtr: "no position".
  constexpr Lsn() = default;
  constexpr explicit Lsn(std::uint64_t value) : value_(value) {}

  constexpr std::uint64_t value() const { return value_; }
  constexpr bool is_valid() const { return value_ != 0; }

  friend constexpr auto operator<=>(Lsn, Lsn) = default;

  // "X/X" with upper-case hexadecimal halves, as pg_lsn prints.
  std::string to_string() const;

  // Accepts what pg_lsn accepts: one to eight hexadecimal digits, '/', one to eight hexadecimal
  // digits, nothing else.
  static std::optional<Lsn> parse(std::string_view text);

 private:
  std::uint64_t value_ = 0;
};

// Bytes of WAL from `from` up to `to`; 0 when `to` is not after `from`.
constexpr std::uint64_t bytes_between(Lsn from, Lsn to) {
  return to > from ? to.value() - from.value() : 0;
}

std::ostream& operator<<(std::ostream& out, Lsn lsn);

}  // namespace outbox
