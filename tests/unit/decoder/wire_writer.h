// Builds protocol messages byte by byte for tests, in PostgreSQL's big-endian wire format.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace outbox::testing {

class WireWriter {
 public:
  WireWriter& u8(std::uint8_t value) {
    bytes_.push_back(static_cast<char>(value));
    return *this;
  }
  WireWriter& tag(char value) {
    bytes_.push_back(value);
    return *this;
  }
  WireWriter& u16(std::uint16_t value) { return be(value, 2); }
  WireWriter& u32(std::uint32_t value) { return be(value, 4); }
  WireWriter& u64(std::uint64_t value) { return be(value, 8); }
  WireWriter& cstring(std::string_view text) {
    bytes_.append(text);
    bytes_.push_back('\0');
    return *this;
  }
  WireWriter& raw(std::string_view bytes) {
    bytes_.append(bytes);
    return *this;
  }
  // TupleData from (kind, value) pairs; the value is written for 't' and 'b' only.
  WireWriter& tuple(std::initializer_list<std::pair<char, std::string_view>> columns) {
    u16(static_cast<std::uint16_t>(columns.size()));
    for (const auto& [kind, value] : columns) {
      tag(kind);
      if (kind == 't' || kind == 'b') {
        u32(static_cast<std::uint32_t>(value.size()));
        raw(value);
      }
    }
    return *this;
  }

  const std::string& bytes() const { return bytes_; }

 private:
  WireWriter& be(std::uint64_t value, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
      bytes_.push_back(static_cast<char>((value >> shift) & 0xFF));
    }
    return *this;
  }

  std::string bytes_;
};

}  // namespace outbox::testing
