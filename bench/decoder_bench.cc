// The decoder's hot path on realistic input: replication frames carrying pgoutput Inserts into
// the default 8-column outbox table (migrations/001_create_outbox_events.sql) with ~300-byte
// JSON payloads, decoded and read as events.
//
// Build: Release (scripts/bench, or the `release` preset: build/release); results in
// docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "decoder/outbox_row.h"
#include "decoder/pgoutput_decoder.h"
#include "decoder/relation_cache.h"
#include "decoder/replication_message.h"
#include "tests/unit/decoder/wire_writer.h"

namespace outbox {
namespace {

using testing::WireWriter;

constexpr std::uint32_t kOutboxRelationId = 16390;

std::string outbox_relation_message() {
  WireWriter w;
  w.tag('R').u32(kOutboxRelationId).cstring("public").cstring("outbox_events").u8('d').u16(8);
  const std::pair<const char*, std::uint32_t> columns[] = {
      {"id", 2950},      {"aggregate_type", 1043}, {"aggregate_id", 1043}, {"event_type", 1043},
      {"payload", 3802}, {"created_at", 1114},     {"published", 16},      {"published_at", 1114}};
  for (const auto& [name, type] : columns) {
    w.u8(std::string_view(name) == "id" ? 1 : 0).cstring(name).u32(type).u32(0xFFFFFFFF);
  }
  return w.bytes();
}

// A JSON payload of about 300 bytes, as an order service would write it.
std::string payload(int n) {
  char text[512];
  std::snprintf(text, sizeof text,
                R"({"orderId": %d, "customerId": "cust-%05d", "currency": "EUR", "total": %d.95, )"
                R"("items": [{"sku": "SKU-%04d", "quantity": 2, "price": 19.99}, {"sku": )"
                R"("SKU-%04d", "quantity": 1, "price": 45.50}], "shipping": {"method": )"
                R"("standard", "country": "DE", "postcode": "10115"}, "placedAt": )"
                R"("2026-11-25T10:15:30.123456+00:00"})",
                n, n % 100000, 100 + n % 900, n % 10000, (n * 7) % 10000);
  return text;
}

// XLogData frames, each carrying one outbox Insert.
std::vector<std::string> outbox_insert_frames(int count) {
  std::vector<std::string> frames;
  for (int n = 0; n < count; ++n) {
    char id[40];
    std::snprintf(id, sizeof id, "%08x-1111-4111-8111-%012x", n, n * 31);
    const std::string aggregate_id = "order-" + std::to_string(n % 5000);
    const std::string insert = WireWriter()
                                   .tag('I')
                                   .u32(kOutboxRelationId)
                                   .tag('N')
                                   .tuple({{'t', id},
                                           {'t', n % 3 == 0 ? "Payment" : "Order"},
                                           {'t', aggregate_id},
                                           {'t', "OrderCreated"},
                                           {'t', payload(n)},
                                           {'t', "2026-11-25 10:15:30.123456"},
                                           {'t', "f"},
                                           {'n', ""}})
                                   .bytes();
    frames.push_back(WireWriter()
                         .tag('w')
                         .u64(0x1'0000'0000ull + static_cast<std::uint64_t>(n) * 512)
                         .u64(0x2'0000'0000ull)
                         .u64(817'000'000'000'000)
                         .raw(insert)
                         .bytes());
  }
  return frames;
}

// Frame -> XLogData -> pgoutput Insert -> outbox event fields: what the relay does per event.
void BM_OutboxInsert(benchmark::State& state) {
  PgoutputDecoder decoder;
  RelationCache relations;
  const std::string relation_bytes = outbox_relation_message();
  const auto relation = decoder.decode(relation_bytes);
  const auto layout =
      OutboxLayout::from_relation(relations.update(std::get<Relation>(*relation)), {});
  if (!layout.ok()) {
    state.SkipWithError(layout.error().message().c_str());
    return;
  }
  const auto frames = outbox_insert_frames(1024);
  std::size_t bytes = 0, next = 0;
  for (auto _ : state) {
    const std::string& frame = frames[next];
    next = (next + 1) % frames.size();
    const auto replication = decode_replication_message(frame);
    const auto& xlog = std::get<XLogData>(*replication);
    const auto message = decoder.decode(xlog.data);
    const auto& insert = std::get<Insert>(*message);
    const auto row = read_outbox_row(*layout, insert.new_tuple);
    if (!row.ok()) {
      state.SkipWithError(row.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(row->payload.data());
    benchmark::DoNotOptimize(row->aggregate_id.data());
    bytes += frame.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_OutboxInsert);

// Raw pgoutput decode of the transaction envelope.
void BM_DecodeBeginCommit(benchmark::State& state) {
  PgoutputDecoder decoder;
  const std::string begin =
      WireWriter().tag('B').u64(0x16B374D848).u64(817'000'000'000'000).u32(734).bytes();
  const std::string commit = WireWriter()
                                 .tag('C')
                                 .u8(0)
                                 .u64(0x16B374D848)
                                 .u64(0x16B374D900)
                                 .u64(817'000'000'000'000)
                                 .bytes();
  for (auto _ : state) {
    auto b = decoder.decode(begin);
    auto c = decoder.decode(commit);
    benchmark::DoNotOptimize(b);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2);
}
BENCHMARK(BM_DecodeBeginCommit);

// pgoutput Insert decode alone (no framing, no row view).
void BM_DecodeInsertMessage(benchmark::State& state) {
  PgoutputDecoder decoder;
  const auto frames = outbox_insert_frames(1024);
  std::vector<std::string_view> inserts;
  for (const auto& frame : frames) inserts.push_back(std::string_view(frame).substr(25));
  std::size_t next = 0;
  for (auto _ : state) {
    auto message = decoder.decode(inserts[next]);
    next = (next + 1) % inserts.size();
    benchmark::DoNotOptimize(message);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DecodeInsertMessage);

// A keepalive that asks for a reply: decode it and encode the standby status update.
void BM_KeepaliveReply(benchmark::State& state) {
  const std::string keepalive =
      WireWriter().tag('k').u64(0x16B374D848).u64(817'000'000'000'000).u8(1).bytes();
  for (auto _ : state) {
    const auto frame = decode_replication_message(keepalive);
    const auto& ping = std::get<PrimaryKeepalive>(*frame);
    auto reply = encode_standby_status_update({.written_lsn = ping.wal_end,
                                               .flushed_lsn = ping.wal_end,
                                               .applied_lsn = ping.wal_end,
                                               .client_time = ping.send_time,
                                               .reply_requested = false});
    benchmark::DoNotOptimize(reply);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_KeepaliveReply);

}  // namespace
}  // namespace outbox

BENCHMARK_MAIN();
