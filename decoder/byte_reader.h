// Bounds-checked reading of PostgreSQL's big-endian wire fields from one message.
//
// Every read is checked in every build type. The first failure is sticky: it records the byte
// offset and the field that could not be read, and every later read returns a zero value
// without touching memory, so a decoder reads a whole message and checks ok() once (and before
// trusting a count read from the wire to size a loop).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace outbox {

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  bool ok() const { return failed_field_ == nullptr; }
  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }
  bool at_end() const { return offset_ == bytes_.size(); }

  std::uint8_t u8(const char* field) {
    if (!take(1, field)) return 0;
    return static_cast<std::uint8_t>(bytes_[offset_ - 1]);
  }
  std::uint16_t u16(const char* field) {
    if (!take(2, field)) return 0;
    return static_cast<std::uint16_t>(load_be(2));
  }
  std::uint32_t u32(const char* field) {
    if (!take(4, field)) return 0;
    return static_cast<std::uint32_t>(load_be(4));
  }
  std::int32_t i32(const char* field) { return static_cast<std::int32_t>(u32(field)); }
  std::uint64_t u64(const char* field) {
    if (!take(8, field)) return 0;
    return load_be(8);
  }
  std::int64_t i64(const char* field) { return static_cast<std::int64_t>(u64(field)); }

  // A NUL-terminated string; the view excludes the NUL.
  std::string_view cstring(const char* field) {
    if (!ok()) return {};
    const char* begin = bytes_.data() + offset_;
    const void* nul = std::memchr(begin, '\0', remaining());
    if (nul == nullptr) {
      fail(field, "a NUL-terminated string", remaining() + 1);
      return {};
    }
    const auto length = static_cast<std::size_t>(static_cast<const char*>(nul) - begin);
    offset_ += length + 1;
    return {begin, length};
  }

  // `count` raw bytes.
  std::string_view bytes(std::size_t count, const char* field) {
    if (!take(count, field)) return {};
    return bytes_.substr(offset_ - count, count);
  }

  // Everything not read yet.
  std::string_view rest() {
    if (!ok()) return {};
    const auto tail = bytes_.substr(offset_);
    offset_ = bytes_.size();
    return tail;
  }

  // Marks the message malformed at the current offset for a reason other than length (a bad
  // enum value, an impossible count); `what` says what was expected.
  void reject(const char* field, const char* what) { fail(field, what, 0); }

  // "truncated at byte 12: expected relation id (4 bytes), 2 left" or
  // "malformed at byte 12: expected column kind, one of 'n', 'u', 't', 'b'".
  std::string describe_failure() const;

 private:
  bool take(std::size_t count, const char* field) {
    if (!ok()) return false;
    if (count > remaining()) {
      fail(field, nullptr, count);
      return false;
    }
    offset_ += count;
    return true;
  }

  std::uint64_t load_be(std::size_t width) const {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes_.data() + offset_ - width);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) value = (value << 8) | p[i];
    return value;
  }

  void fail(const char* field, const char* what, std::size_t needed) {
    if (!ok()) return;
    failed_field_ = field;
    failed_what_ = what;
    failed_needed_ = needed;
  }

  std::string_view bytes_;
  std::size_t offset_ = 0;
  const char* failed_field_ = nullptr;
  const char* failed_what_ = nullptr;
  std::size_t failed_needed_ = 0;
};

}  // namespace outbox
