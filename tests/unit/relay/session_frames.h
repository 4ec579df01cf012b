// Replication frames for session tests: XLogData carrying pgoutput messages about an outbox
// table, and primary keepalives, as a walsender sends them (protocol version 1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/lsn.h"
#include "tests/unit/decoder/wire_writer.h"

namespace outbox::testing {

inline constexpr std::uint32_t kOutboxRelationId = 16384;
// 2026-01-01T00:00:00Z in PostgreSQL's microseconds since 2000-01-01.
inline constexpr std::int64_t kCommitMicros = 820'454'400'000'000;

inline std::string xlog_frame(Lsn at, const std::string& message) {
  return WireWriter()
      .tag('w')
      .u64(at.value())
      .u64(at.value())
      .u64(kCommitMicros)
      .raw(message)
      .bytes();
}

inline std::string keepalive_frame(Lsn wal_end, bool reply_requested) {
  return WireWriter()
      .tag('k')
      .u64(wal_end.value())
      .u64(kCommitMicros)
      .u8(reply_requested ? 1 : 0)
      .bytes();
}

inline std::string begin_message(Lsn final_lsn, std::uint32_t xid) {
  return WireWriter().tag('B').u64(final_lsn.value()).u64(kCommitMicros).u32(xid).bytes();
}

inline std::string commit_message(Lsn commit_lsn, Lsn end_lsn) {
  return WireWriter()
      .tag('C')
      .u8(0)
      .u64(commit_lsn.value())
      .u64(end_lsn.value())
      .u64(kCommitMicros)
      .bytes();
}

// public.outbox_events with the default columns, all text.
inline std::string outbox_relation_message() {
  WireWriter writer;
  writer.tag('R').u32(kOutboxRelationId).cstring("public").cstring("outbox_events").u8('d');
  const char* columns[] = {"id", "aggregate_type", "aggregate_id", "event_type", "payload"};
  writer.u16(5);
  for (const char* column : columns) {
    writer.u8(column == columns[0] ? 1 : 0).cstring(column).u32(25).u32(0xFFFFFFFF);
  }
  return writer.bytes();
}

// An outbox row; a null aggregate id (the record key) makes it unroutable.
inline std::string outbox_insert_message(std::string_view id,
                                         std::optional<std::string_view> aggregate_id = "a-1",
                                         std::string_view aggregate_type = "Order") {
  return WireWriter()
      .tag('I')
      .u32(kOutboxRelationId)
      .tag('N')
      .tuple({{'t', id},
              {'t', aggregate_type},
              aggregate_id ? std::pair<char, std::string_view>{'t', *aggregate_id}
                           : std::pair<char, std::string_view>{'n', {}},
              {'t', "OrderCreated"},
              {'t', R"({"n":1})"}})
      .bytes();
}

}  // namespace outbox::testing
