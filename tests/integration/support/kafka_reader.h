// Reads what the real broker holds, for assertions: every record of some topics, from the start.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace outbox::testing {

struct ConsumedRecord {
  std::string topic;
  int partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
  std::int64_t timestamp_ms = 0;
};

// How a reader treats records of Kafka transactions: read_uncommitted (librdkafka's default is
// read_committed) also returns those of aborted and open transactions.
enum class Isolation { kReadCommitted, kReadUncommitted };

// Reads `topics` from the beginning until at least `expected` records arrived (then a short
// grace period to catch extras) or `timeout` passes. Records come in partition order per topic.
std::vector<ConsumedRecord> read_topics(
    const std::vector<std::string>& topics, std::size_t expected,
    std::chrono::milliseconds timeout = std::chrono::seconds(60), const std::string& bootstrap = {},
    Isolation isolation = Isolation::kReadCommitted);

// Topic names the broker knows.
std::vector<std::string> list_topics(const std::string& bootstrap = {});

}  // namespace outbox::testing
