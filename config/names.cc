#include "config/names.h"

#include <algorithm>

namespace outbox {
namespace {

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool is_valid_slot_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxPostgresNameLength) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_'; });
}

bool is_valid_identifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxPostgresNameLength) return false;
  if (!is_ascii_letter(name.front()) && name.front() != '_') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return is_ascii_letter(c) || is_digit(c) || c == '_' || c == '$';
  });
}

bool is_kafka_topic_char(char c) {
  return is_ascii_letter(c) || is_digit(c) || c == '.' || c == '_' || c == '-';
}

bool is_valid_kafka_topic(std::string_view name) {
  if (name.empty() || name.size() > kMaxKafkaTopicLength) return false;
  if (name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), is_kafka_topic_char);
}

}  // namespace outbox
