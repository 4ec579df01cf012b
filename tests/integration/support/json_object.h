// A strict little JSON reader for tests that check what the relay prints (`status --json`):
// the whole text must be one valid JSON object (RFC 8259), and its top-level members come back
// by name, with their kind and text.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace outbox::testing {

struct JsonMember {
  enum class Kind { kString, kNumber, kBool, kNull, kObject, kArray };
  Kind kind = Kind::kNull;
  // A string's decoded value; a number's, boolean's or null's text as written; the raw text of an
  // object or array.
  std::string text;
};

// The top-level members of `text`, or nullopt when it is not exactly one JSON object (blanks
// around it allowed), with the reason in `error`.
std::optional<std::map<std::string, JsonMember>> parse_json_object(const std::string& text,
                                                                   std::string* error = nullptr);

}  // namespace outbox::testing
