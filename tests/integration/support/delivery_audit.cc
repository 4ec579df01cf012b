#include "tests/integration/support/delivery_audit.h"

#include <set>
#include <utility>

namespace outbox::testing {

DeliveryAudit audit_delivery(const std::vector<ConsumedRecord>& records, const OutboxWriter& writer,
                             const std::map<std::string, std::string>& payload_of,
                             const std::map<std::string, std::string>& topic_of_type) {
  DeliveryAudit audit;
  auto problem = [&](const std::string& what) {
    if (++audit.problems <= 20) audit.problem_lines.push_back(what);
  };
  const auto& committed = writer.committed();
  std::map<std::string, const WrittenEvent*> committed_by_id;
  std::map<std::string, std::vector<std::string>> commit_order_by_key;
  for (const auto& event : committed) {
    committed_by_id[event.id] = &event;
    commit_order_by_key[event.aggregate_id].push_back(event.id);
  }
  const std::set<std::string> rolled_back(writer.rolled_back().begin(), writer.rolled_back().end());

  // Records come sorted by topic, partition and offset: a key's records in offset order.
  std::map<std::string, const ConsumedRecord*> first_delivery;
  std::map<std::string, std::vector<std::string>> first_delivery_order_by_key;
  std::map<std::string, std::pair<std::string, int>> partition_of_key;
  for (const auto& record : records) {
    const auto where =
        record.topic + "/" + std::to_string(record.partition) + "@" + std::to_string(record.offset);
    const auto id_header = record.headers.find("id");
    if (id_header == record.headers.end()) {
      problem("a record without an id header at " + where);
      continue;
    }
    const std::string& id = id_header->second;
    if (rolled_back.count(id) != 0) {
      problem("rolled-back event " + id + " reached Kafka at " + where);
      continue;
    }
    const auto written = committed_by_id.find(id);
    if (written == committed_by_id.end()) {
      problem("event " + id + " at " + where + " was never written");
      continue;
    }
    const auto [partition, new_key] =
        partition_of_key.emplace(record.key, std::make_pair(record.topic, record.partition));
    if (!new_key && partition->second != std::make_pair(record.topic, record.partition)) {
      problem("key " + record.key + " in two partitions: " + partition->second.first + "/" +
              std::to_string(partition->second.second) + " and " + where);
    }
    const auto [first, is_first] = first_delivery.emplace(id, &record);
    if (!is_first) {
      // A duplicate: an exact copy of the first delivery.
      ++audit.duplicates;
      const ConsumedRecord& original = *first->second;
      if (record.topic != original.topic || record.key != original.key ||
          record.value != original.value || record.headers != original.headers ||
          record.timestamp_ms != original.timestamp_ms) {
        problem("duplicate of " + id + " at " + where + " differs from its first delivery at " +
                std::to_string(original.offset));
      }
      continue;
    }
    const auto& event = *written->second;
    const auto topic = topic_of_type.find(event.aggregate_type);
    const auto payload = payload_of.find(id);
    const auto type_header = record.headers.find("aggregate_type");
    if (topic == topic_of_type.end() || record.topic != topic->second ||
        record.key != event.aggregate_id || payload == payload_of.end() ||
        record.value != payload->second || type_header == record.headers.end() ||
        type_header->second != event.aggregate_type) {
      problem("event " + id + " at " + where + " is not what was committed: key " + record.key +
              " (want " + event.aggregate_id + "), value " + record.value + " (want " +
              (payload == payload_of.end() ? std::string("no row") : payload->second) + ")");
    }
    first_delivery_order_by_key[record.key].push_back(id);
  }

  for (const auto& event : committed) {
    if (first_delivery.count(event.id) == 0 && ++audit.missing <= 10) {
      audit.missing_ids += " " + event.id;
    }
  }
  for (const auto& [key, order] : commit_order_by_key) {
    const auto& delivered = first_delivery_order_by_key[key];
    if (delivered == order) continue;
    std::size_t at = 0;
    while (at < delivered.size() && at < order.size() && delivered[at] == order[at]) ++at;
    problem("key " + key + ": first deliveries leave commit order at position " +
            std::to_string(at) + ": delivered " +
            (at < delivered.size() ? delivered[at] : std::string("nothing")) + ", committed " +
            (at < order.size() ? order[at] : std::string("nothing")) + " (" +
            std::to_string(delivered.size()) + " delivered, " + std::to_string(order.size()) +
            " committed)");
  }
  return audit;
}

std::map<std::string, std::string> outbox_payloads(PgSession& sql, const std::string& table) {
  std::map<std::string, std::string> payload_of;
  for (const auto& line : sql.column("SELECT id::text || ' ' || payload::text FROM " + table)) {
    const auto space = line.find(' ');
    payload_of[line.substr(0, space)] = line.substr(space + 1);
  }
  return payload_of;
}

}  // namespace outbox::testing
