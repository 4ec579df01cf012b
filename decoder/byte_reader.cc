#include "decoder/byte_reader.h"

namespace outbox {

std::string ByteReader::describe_failure() const {
  if (ok()) return "no failure";
  std::string text;
  if (failed_what_ == nullptr) {
    text = "truncated at byte " + std::to_string(offset_) + ": expected " + failed_field_ + " (" +
           std::to_string(failed_needed_) + " bytes), " + std::to_string(remaining()) + " left";
  } else if (failed_needed_ > 0) {
    text = "truncated at byte " + std::to_string(offset_) + ": expected " + failed_field_ + " as " +
           failed_what_ + ", " + std::to_string(remaining()) + " bytes left";
  } else {
    text = "malformed at byte " + std::to_string(offset_) + ": expected " + failed_field_ + " " +
           failed_what_;
  }
  return text;
}

}  // namespace outbox
