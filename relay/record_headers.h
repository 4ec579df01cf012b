// Reading a record's headers by name.
#pragma once

#include <string_view>

#include "sinks/sink.h"

namespace outbox {

// The value of the first header called `name`; empty when there is none.
inline std::string_view header_value(const OutgoingRecord& record, std::string_view name) {
  for (const auto& header : record.headers) {
    if (header.name == name) return header.value;
  }
  return {};
}

}  // namespace outbox
