// What the headers of consumed records say, for tests that compare what arrived with what was
// written.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "tests/integration/support/kafka_reader.h"

namespace outbox::testing {

// The value of the header `name`; "<missing>" when the record has none.
inline std::string header(const ConsumedRecord& record, const std::string& name) {
  const auto found = record.headers.find(name);
  return found == record.headers.end() ? std::string("<missing>") : found->second;
}

// The "id" headers of `records`; a record without one counts as "<no id header>", so a set
// comparison fails on it instead of passing it over.
inline std::set<std::string> ids_of(const std::vector<ConsumedRecord>& records) {
  std::set<std::string> ids;
  for (const auto& record : records) {
    const auto id = record.headers.find("id");
    ids.insert(id == record.headers.end() ? std::string("<no id header>") : id->second);
  }
  return ids;
}

}  // namespace outbox::testing
