// What Kafka holds against what an OutboxWriter committed, for the tests that crash, stop or
// replace relays under load: every committed row delivered, no rolled-back or unknown one,
// duplicates only as exact copies of the first delivery, each key in one partition, and each
// key's first deliveries in commit order.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/pg.h"
#include "tests/integration/support/workload.h"

namespace outbox::testing {

struct DeliveryAudit {
  long missing = 0;     // committed events with no record
  long duplicates = 0;  // records after an event's first
  // Everything else that is wrong, one line each (at most the first 20; `problems` counts all).
  std::vector<std::string> problem_lines;
  long problems = 0;
  std::string missing_ids;  // the first ten

  bool clean() const { return missing == 0 && problems == 0; }
};

// `records`: the topics read whole (sorted by topic, partition, offset); `payload_of`: each
// committed id's payload as the database prints it; `topic_of_type`: the topic each aggregate
// type routes to.
DeliveryAudit audit_delivery(const std::vector<ConsumedRecord>& records, const OutboxWriter& writer,
                             const std::map<std::string, std::string>& payload_of,
                             const std::map<std::string, std::string>& topic_of_type);

// Every outbox row of the table as id → payload text, over `sql`.
std::map<std::string, std::string> outbox_payloads(PgSession& sql,
                                                   const std::string& table = "outbox_events");

}  // namespace outbox::testing
