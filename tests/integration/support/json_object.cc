#include "tests/integration/support/json_object.h"

#include <cctype>
#include <cstdint>

namespace outbox::testing {
namespace {

class Reader {
 public:
  explicit Reader(const std::string& text) : text_(text) {}

  std::optional<std::map<std::string, JsonMember>> top_level(std::string* error) {
    std::map<std::string, JsonMember> members;
    skip_blanks();
    if (!consume('{')) return fail(error, "expected '{' at the start");
    skip_blanks();
    if (!consume('}')) {
      while (true) {
        skip_blanks();
        std::string name;
        if (!string(name)) return fail(error, "expected a member name");
        skip_blanks();
        if (!consume(':')) return fail(error, "expected ':' after \"" + name + "\"");
        skip_blanks();
        JsonMember member;
        if (!value(member)) return fail(error, "bad value for \"" + name + "\"");
        if (!members.emplace(name, member).second) {
          return fail(error, "duplicate member \"" + name + "\"");
        }
        skip_blanks();
        if (consume('}')) break;
        if (!consume(',')) return fail(error, "expected ',' or '}' after \"" + name + "\"");
      }
    }
    skip_blanks();
    if (pos_ != text_.size()) return fail(error, "text after the object");
    return members;
  }

 private:
  std::optional<std::map<std::string, JsonMember>> fail(std::string* error,
                                                        const std::string& why) const {
    if (error != nullptr) *error = why + " (at offset " + std::to_string(pos_) + ")";
    return std::nullopt;
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool consume(char c) {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
  }
  bool literal(const char* word) {
    const std::string w(word);
    if (text_.compare(pos_, w.size(), w) != 0) return false;
    pos_ += w.size();
    return true;
  }
  void skip_blanks() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++pos_;
    }
  }

  bool value(JsonMember& member) {
    const std::size_t start = pos_;
    switch (peek()) {
      case '"':
        member.kind = JsonMember::Kind::kString;
        return string(member.text);
      case '{':
        member.kind = JsonMember::Kind::kObject;
        if (!object()) return false;
        break;
      case '[':
        member.kind = JsonMember::Kind::kArray;
        if (!array()) return false;
        break;
      case 't':
      case 'f':
        member.kind = JsonMember::Kind::kBool;
        if (!literal("true") && !literal("false")) return false;
        break;
      case 'n':
        member.kind = JsonMember::Kind::kNull;
        if (!literal("null")) return false;
        break;
      default:
        member.kind = JsonMember::Kind::kNumber;
        if (!number()) return false;
    }
    member.text = text_.substr(start, pos_ - start);
    return true;
  }

  bool object() {
    consume('{');
    skip_blanks();
    if (consume('}')) return true;
    while (true) {
      skip_blanks();
      std::string name;
      JsonMember member;
      if (!string(name)) return false;
      skip_blanks();
      if (!consume(':')) return false;
      skip_blanks();
      if (!value(member)) return false;
      skip_blanks();
      if (consume('}')) return true;
      if (!consume(',')) return false;
    }
  }

  bool array() {
    consume('[');
    skip_blanks();
    if (consume(']')) return true;
    while (true) {
      skip_blanks();
      JsonMember member;
      if (!value(member)) return false;
      skip_blanks();
      if (consume(']')) return true;
      if (!consume(',')) return false;
    }
  }

  bool digits() {
    const std::size_t start = pos_;
    while (!at_end() && std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
    return pos_ > start;
  }

  bool number() {
    consume('-');
    if (consume('0')) {
      if (std::isdigit(static_cast<unsigned char>(peek()))) return false;  // no leading zeros
    } else if (!digits()) {
      return false;
    }
    if (consume('.') && !digits()) return false;
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (!consume('+')) consume('-');
      if (!digits()) return false;
    }
    return true;
  }

  bool hex4(std::uint32_t& code) {
    code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
      code = code * 16 + static_cast<std::uint32_t>(
                             std::isdigit(static_cast<unsigned char>(c))
                                 ? c - '0'
                                 : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
      ++pos_;
    }
    return true;
  }

  static void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool string(std::string& out) {
    out.clear();
    if (!consume('"')) return false;
    while (!at_end()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;  // control characters are escaped
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) return false;
      const char escaped = text_[pos_++];
      switch (escaped) {
        case '"':
        case '\\':
        case '/':
          out += escaped;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t code = 0;
          if (!hex4(code)) return false;
          if (code >= 0xD800 && code < 0xDC00) {  // a surrogate pair
            std::uint32_t low = 0;
            if (!consume('\\') || !consume('u') || !hex4(low) || low < 0xDC00 || low > 0xDFFF) {
              return false;
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return false;
          }
          append_utf8(out, code);
          break;
        }
        default:
          return false;
      }
    }
    return false;  // unterminated
  }

  const std::string& text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::map<std::string, JsonMember>> parse_json_object(const std::string& text,
                                                                   std::string* error) {
  return Reader(text).top_level(error);
}

}  // namespace outbox::testing
