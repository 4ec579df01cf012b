#include "decoder/outbox_row.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decoder/pgoutput_decoder.h"
#include "decoder/relation_cache.h"
#include "tests/unit/decoder/wire_writer.h"

namespace outbox {
namespace {

using ::testing::HasSubstr;

using testing::WireWriter;

// A Relation message for `columns`, each a (name, type id) pair.
std::string relation_bytes(std::uint32_t id, std::initializer_list<const char*> columns) {
  WireWriter writer;
  writer.tag('R')
      .u32(id)
      .cstring("public")
      .cstring("outbox_events")
      .u8('d')
      .u16(static_cast<std::uint16_t>(columns.size()));
  for (const char* name : columns) writer.u8(0).cstring(name).u32(25).u32(0xFFFFFFFF);
  return writer.bytes();
}

class OutboxRowTest : public ::testing::Test {
 protected:
  const CachedRelation& describe(std::uint32_t id, std::initializer_list<const char*> columns) {
    bytes_.push_back(relation_bytes(id, columns));
    const auto result = decoder_.decode(bytes_.back());
    EXPECT_TRUE(result.ok());
    return cache_.update(std::get<Relation>(*result));
  }

  Tuple insert(std::initializer_list<std::pair<char, std::string_view>> columns) {
    bytes_.push_back(WireWriter().tag('I').u32(1).tag('N').tuple(columns).bytes());
    const auto result = decoder_.decode(bytes_.back());
    EXPECT_TRUE(result.ok());
    return std::get<Insert>(*result).new_tuple;
  }

  PgoutputDecoder decoder_;
  RelationCache cache_;
  std::vector<std::string> bytes_;
};

TEST_F(OutboxRowTest, ReadsTheDefaultTableWhateverTheColumnOrder) {
  const auto& relation = describe(1, {"payload", "created_at", "event_type", "id", "published",
                                      "aggregate_id", "published_at", "aggregate_type"});
  const auto layout = OutboxLayout::from_relation(relation, OutboxColumnNames{});
  ASSERT_TRUE(layout.ok()) << layout.error().message();
  EXPECT_EQ(layout->table(), "public.outbox_events");

  const auto row = read_outbox_row(*layout, insert({{'t', R"({"orderId": 1})"},
                                                    {'t', "2026-01-02 03:04:05.123456"},
                                                    {'t', "OrderCreated"},
                                                    {'t', "11111111-1111-1111-1111-111111111111"},
                                                    {'t', "f"},
                                                    {'t', "order-1"},
                                                    {'n', ""},
                                                    {'t', "Order"}}));
  ASSERT_TRUE(row.ok()) << row.error().message();
  EXPECT_EQ(row->id, "11111111-1111-1111-1111-111111111111");
  EXPECT_EQ(row->aggregate_type, "Order");
  EXPECT_EQ(row->aggregate_id, "order-1");
  EXPECT_EQ(row->event_type, "OrderCreated");
  EXPECT_EQ(row->payload, R"({"orderId": 1})");
  EXPECT_EQ(row->created_at, std::optional<std::string_view>("2026-01-02 03:04:05.123456"));
  EXPECT_EQ(row->column("published"), std::optional<std::string_view>("f"));
  EXPECT_EQ(row->column("published_at"), std::nullopt);  // NULL
  EXPECT_EQ(row->column("no_such_column"), std::nullopt);
  EXPECT_EQ(row->column(*layout->index_of("aggregate_id")),
            std::optional<std::string_view>("order-1"));
}

TEST_F(OutboxRowTest, ReadsADebeziumStyleTableWithConfiguredNames) {
  const auto& relation = describe(2, {"id", "aggregatetype", "aggregateid", "type", "payload"});
  const OutboxColumnNames debezium{"id", "aggregatetype", "aggregateid", "type", "payload", ""};
  const auto layout = OutboxLayout::from_relation(relation, debezium);
  ASSERT_TRUE(layout.ok()) << layout.error().message();
  const auto row = read_outbox_row(
      *layout,
      insert(
          {{'t', "e-1"}, {'t', "Payment"}, {'t', "p-9"}, {'t', "PaymentApproved"}, {'t', "{}"}}));
  ASSERT_TRUE(row.ok()) << row.error().message();
  EXPECT_EQ(row->aggregate_type, "Payment");
  EXPECT_EQ(row->aggregate_id, "p-9");
  EXPECT_EQ(row->event_type, "PaymentApproved");
  EXPECT_EQ(row->created_at, std::nullopt);
}

TEST_F(OutboxRowTest, AMissingRequiredColumnIsAnErrorNamingItAndTheTable) {
  const auto& relation = describe(3, {"id", "aggregatetype", "aggregate_id", "payload"});
  const auto layout = OutboxLayout::from_relation(relation, OutboxColumnNames{});
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.error().code(), ErrorCode::kInvalidOutboxRow);
  EXPECT_EQ(layout.error().message(),
            "outbox table public.outbox_events has no column \"aggregate_type\", \"event_type\" "
            "(its columns: id, aggregatetype, aggregate_id, payload)");
}

TEST_F(OutboxRowTest, ANullOrUnsentRequiredValueIsAnErrorNamingTheColumn) {
  const auto& relation =
      describe(4, {"id", "aggregate_type", "aggregate_id", "event_type", "payload"});
  const auto layout = OutboxLayout::from_relation(relation, OutboxColumnNames{});
  ASSERT_TRUE(layout.ok());
  const auto null_key = read_outbox_row(
      *layout, insert({{'t', "1"}, {'t', "Order"}, {'n', ""}, {'t', "OrderCreated"}, {'t', "{}"}}));
  ASSERT_FALSE(null_key.ok());
  EXPECT_EQ(null_key.error().message(),
            "outbox row of public.outbox_events: column \"aggregate_id\" is NULL");
  const auto toast = read_outbox_row(
      *layout, insert({{'t', "1"}, {'t', "Order"}, {'t', "o"}, {'t', "OrderCreated"}, {'u', ""}}));
  ASSERT_FALSE(toast.ok());
  EXPECT_THAT(toast.error().message(), HasSubstr("column \"payload\" is an unchanged TOAST value"));
  const auto binary = read_outbox_row(
      *layout,
      insert({{'b', "1"}, {'t', "Order"}, {'t', "o"}, {'t', "OrderCreated"}, {'t', "{}"}}));
  ASSERT_FALSE(binary.ok());
  EXPECT_THAT(binary.error().message(), HasSubstr("column \"id\" is in binary format"));
}

TEST_F(OutboxRowTest, ATupleThatDoesNotMatchTheRelationIsAnError) {
  const auto& relation =
      describe(5, {"id", "aggregate_type", "aggregate_id", "event_type", "payload"});
  const auto layout = OutboxLayout::from_relation(relation, OutboxColumnNames{});
  ASSERT_TRUE(layout.ok());
  const auto row = read_outbox_row(*layout, insert({{'t', "1"}, {'t', "Order"}}));
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().message(),
            "outbox row of public.outbox_events has 2 columns, but the table's last Relation "
            "message has 5");
}

TEST_F(OutboxRowTest, ANewRelationMessageAfterAddColumnReplacesTheCachedOne) {
  describe(6, {"id", "aggregate_type", "aggregate_id", "event_type", "payload"});
  ASSERT_EQ(cache_.find(6)->columns.size(), 5u);
  // ALTER TABLE outbox_events ADD COLUMN trace_id text: the server describes the table again.
  const auto& altered =
      describe(6, {"id", "aggregate_type", "aggregate_id", "event_type", "payload", "trace_id"});
  EXPECT_EQ(cache_.size(), 1u);
  EXPECT_EQ(cache_.find(6), &altered);
  const auto layout = OutboxLayout::from_relation(altered, OutboxColumnNames{});
  ASSERT_TRUE(layout.ok());
  const auto row = read_outbox_row(
      *layout,
      insert({{'t', "1"}, {'t', "Order"}, {'t', "o"}, {'t', "E"}, {'t', "{}"}, {'t', "abc"}}));
  ASSERT_TRUE(row.ok()) << row.error().message();
  EXPECT_EQ(row->column("trace_id"), std::optional<std::string_view>("abc"));
  EXPECT_EQ(cache_.find(99), nullptr);
}

}  // namespace
}  // namespace outbox
