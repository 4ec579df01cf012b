#include "decoder/pgoutput_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "tests/unit/decoder/wire_writer.h"

namespace outbox {
namespace {

using ::testing::HasSubstr;

using testing::WireWriter;

constexpr std::uint64_t kLsnA = 0x1'6B37'4D48;
constexpr std::uint64_t kLsnB = 0x1'6B37'4E00;
constexpr std::int64_t kTime = 817'000'000'123'456;  // 2025-11-22 in PostgreSQL microseconds

// Decoded views point into the bytes, so tests keep every buffer they decode alive to the end.
std::string_view retain(std::string bytes) {
  static std::deque<std::string> retained;
  return retained.emplace_back(std::move(bytes));
}

template <typename T>
T as(const Result<PgoutputMessage>& result) {
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message());
  if (!result.ok()) std::abort();
  const T* message = std::get_if<T>(&*result);
  EXPECT_NE(message, nullptr) << "decoded into another message type (index " << result->index()
                              << ")";
  if (message == nullptr) std::abort();
  return *message;
}

std::string error_of(const Result<PgoutputMessage>& result) {
  EXPECT_FALSE(result.ok());
  return result.ok() ? std::string() : result.error().message();
}

TEST(PgoutputDecoder, DecodesBegin) {
  const auto bytes = WireWriter().tag('B').u64(kLsnA).u64(kTime).u32(734).bytes();
  PgoutputDecoder decoder;
  const auto& begin = as<Begin>(decoder.decode(bytes));
  EXPECT_EQ(begin.final_lsn, Lsn{kLsnA});
  EXPECT_EQ(begin.commit_time, PgTimestamp{kTime});
  EXPECT_EQ(begin.xid, 734u);
}

TEST(PgoutputDecoder, DecodesCommit) {
  const auto bytes = WireWriter().tag('C').u8(0).u64(kLsnA).u64(kLsnB).u64(kTime).bytes();
  PgoutputDecoder decoder;
  const auto& commit = as<Commit>(decoder.decode(bytes));
  EXPECT_EQ(commit.flags, 0);
  EXPECT_EQ(commit.commit_lsn, Lsn{kLsnA});
  EXPECT_EQ(commit.end_lsn, Lsn{kLsnB});
  EXPECT_EQ(commit.commit_time, PgTimestamp{kTime});
}

TEST(PgoutputDecoder, DecodesOrigin) {
  const auto bytes = WireWriter().tag('O').u64(kLsnA).cstring("upstream").bytes();
  PgoutputDecoder decoder;
  const auto& origin = as<Origin>(decoder.decode(bytes));
  EXPECT_EQ(origin.origin_commit_lsn, Lsn{kLsnA});
  EXPECT_EQ(origin.name, "upstream");
}

std::string outbox_relation_bytes() {
  return WireWriter()
      .tag('R')
      .u32(16390)
      .cstring("public")
      .cstring("outbox_events")
      .u8('d')
      .u16(3)
      .u8(1)
      .cstring("id")
      .u32(2950)
      .u32(0xFFFFFFFF)
      .u8(0)
      .cstring("aggregate_type")
      .u32(1043)
      .u32(259)
      .u8(0)
      .cstring("payload")
      .u32(3802)
      .u32(0xFFFFFFFF)
      .bytes();
}

TEST(PgoutputDecoder, DecodesRelationWithItsColumns) {
  const auto bytes = outbox_relation_bytes();
  PgoutputDecoder decoder;
  const auto& relation = as<Relation>(decoder.decode(bytes));
  EXPECT_FALSE(relation.xid.has_value());
  EXPECT_EQ(relation.relation_id, 16390u);
  EXPECT_EQ(relation.namespace_name, "public");
  EXPECT_EQ(relation.relation_name, "outbox_events");
  EXPECT_EQ(relation.replica_identity, 'd');
  ASSERT_EQ(relation.columns.size(), 3u);
  EXPECT_TRUE(relation.columns[0].is_key());
  EXPECT_EQ(relation.columns[0].name, "id");
  EXPECT_EQ(relation.columns[0].type_id, 2950u);
  EXPECT_EQ(relation.columns[0].type_modifier, -1);
  EXPECT_FALSE(relation.columns[1].is_key());
  EXPECT_EQ(relation.columns[1].name, "aggregate_type");
  EXPECT_EQ(relation.columns[1].type_id, 1043u);
  EXPECT_EQ(relation.columns[1].type_modifier, 259);
  EXPECT_EQ(relation.columns[2].name, "payload");
  EXPECT_EQ(relation.columns[2].type_id, 3802u);
}

TEST(PgoutputDecoder, DecodesType) {
  const auto bytes = WireWriter().tag('Y').u32(16401).cstring("public").cstring("mood").bytes();
  PgoutputDecoder decoder;
  const auto& type = as<Type>(decoder.decode(bytes));
  EXPECT_EQ(type.type_id, 16401u);
  EXPECT_EQ(type.namespace_name, "public");
  EXPECT_EQ(type.type_name, "mood");
}

TEST(PgoutputDecoder, DecodesInsertWithEveryColumnKind) {
  const auto bytes = WireWriter()
                         .tag('I')
                         .u32(16390)
                         .tag('N')
                         .tuple({{'t', "42"},
                                 {'n', ""},
                                 {'u', ""},
                                 {'b', std::string_view("\x00\x01", 2)},
                                 {'t', ""}})
                         .bytes();
  PgoutputDecoder decoder;
  const auto& insert = as<Insert>(decoder.decode(bytes));
  EXPECT_FALSE(insert.xid.has_value());
  EXPECT_EQ(insert.relation_id, 16390u);
  ASSERT_EQ(insert.new_tuple.size(), 5u);
  EXPECT_EQ(insert.new_tuple[0].kind, TupleColumnKind::Text);
  EXPECT_EQ(insert.new_tuple[0].value, "42");
  EXPECT_EQ(insert.new_tuple[1].kind, TupleColumnKind::Null);
  EXPECT_EQ(insert.new_tuple[2].kind, TupleColumnKind::UnchangedToast);
  EXPECT_EQ(insert.new_tuple[3].kind, TupleColumnKind::Binary);
  EXPECT_EQ(insert.new_tuple[3].value, std::string_view("\x00\x01", 2));
  EXPECT_EQ(insert.new_tuple[4].kind, TupleColumnKind::Text);
  EXPECT_EQ(insert.new_tuple[4].value, "");
}

TEST(PgoutputDecoder, ValuesAreViewsIntoTheReceivedBytes) {
  const auto bytes = WireWriter().tag('I').u32(1).tag('N').tuple({{'t', "payload"}}).bytes();
  PgoutputDecoder decoder;
  const auto& insert = as<Insert>(decoder.decode(bytes));
  const char* value = insert.new_tuple[0].value.data();
  EXPECT_GE(value, bytes.data());
  EXPECT_LT(value, bytes.data() + bytes.size());
}

TEST(PgoutputDecoder, DecodesUpdateWithoutOldTuple) {
  const auto bytes = WireWriter().tag('U').u32(7).tag('N').tuple({{'t', "new"}}).bytes();
  PgoutputDecoder decoder;
  const auto& update = as<Update>(decoder.decode(bytes));
  EXPECT_EQ(update.relation_id, 7u);
  EXPECT_EQ(update.old_kind, OldTupleKind::None);
  EXPECT_TRUE(update.old_tuple.empty());
  ASSERT_EQ(update.new_tuple.size(), 1u);
  EXPECT_EQ(update.new_tuple[0].value, "new");
}

TEST(PgoutputDecoder, DecodesUpdateWithKeyOrOldTuple) {
  for (char marker : {'K', 'O'}) {
    const auto bytes = WireWriter()
                           .tag('U')
                           .u32(7)
                           .tag(marker)
                           .tuple({{'t', "old-1"}, {'n', ""}})
                           .tag('N')
                           .tuple({{'t', "new-1"}, {'t', "x"}})
                           .bytes();
    PgoutputDecoder decoder;
    const auto& update = as<Update>(decoder.decode(bytes));
    EXPECT_EQ(update.old_kind, static_cast<OldTupleKind>(marker));
    ASSERT_EQ(update.old_tuple.size(), 2u);
    EXPECT_EQ(update.old_tuple[0].value, "old-1");
    EXPECT_EQ(update.old_tuple[1].kind, TupleColumnKind::Null);
    ASSERT_EQ(update.new_tuple.size(), 2u);
    EXPECT_EQ(update.new_tuple[0].value, "new-1");
    EXPECT_EQ(update.new_tuple[1].value, "x");
  }
}

TEST(PgoutputDecoder, DecodesDelete) {
  const auto bytes = WireWriter().tag('D').u32(9).tag('K').tuple({{'t', "5"}}).bytes();
  PgoutputDecoder decoder;
  const auto& deleted = as<Delete>(decoder.decode(bytes));
  EXPECT_EQ(deleted.relation_id, 9u);
  EXPECT_EQ(deleted.old_kind, OldTupleKind::Key);
  ASSERT_EQ(deleted.old_tuple.size(), 1u);
  EXPECT_EQ(deleted.old_tuple[0].value, "5");
}

TEST(PgoutputDecoder, DecodesTruncate) {
  const auto bytes = WireWriter().tag('T').u32(3).u8(3).u32(100).u32(200).u32(0xFFFFFFFE).bytes();
  PgoutputDecoder decoder;
  const auto& truncate = as<Truncate>(decoder.decode(bytes));
  EXPECT_TRUE(truncate.cascade());
  EXPECT_TRUE(truncate.restart_identity());
  ASSERT_EQ(truncate.relation_ids.size(), 3u);
  EXPECT_EQ(truncate.relation_ids[0], 100u);
  EXPECT_EQ(truncate.relation_ids[1], 200u);
  EXPECT_EQ(truncate.relation_ids[2], 0xFFFFFFFEu);
}

TEST(PgoutputDecoder, DecodesLogicalMessage) {
  const auto bytes =
      WireWriter().tag('M').u8(1).u64(kLsnA).cstring("audit").u32(5).raw("hello").bytes();
  PgoutputDecoder decoder;
  const auto& message = as<LogicalMessage>(decoder.decode(bytes));
  EXPECT_TRUE(message.transactional());
  EXPECT_EQ(message.lsn, Lsn{kLsnA});
  EXPECT_EQ(message.prefix, "audit");
  EXPECT_EQ(message.content, "hello");
}

TEST(PgoutputDecoder, ReadsTheXidOfChangesInsideAStreamBlock) {
  PgoutputDecoder decoder({.protocol_version = 2});
  const auto& start =
      as<StreamStart>(decoder.decode(retain(WireWriter().tag('S').u32(900).u8(1).bytes())));
  EXPECT_EQ(start.xid, 900u);
  EXPECT_TRUE(start.first_segment);
  EXPECT_TRUE(decoder.in_stream_block());

  const auto& insert = as<Insert>(decoder.decode(
      retain(WireWriter().tag('I').u32(900).u32(16390).tag('N').tuple({{'t', "v"}}).bytes())));
  EXPECT_EQ(insert.xid, std::optional<std::uint32_t>{900});
  EXPECT_EQ(insert.relation_id, 16390u);

  const auto& message = as<LogicalMessage>(decoder.decode(
      retain(WireWriter().tag('M').u32(900).u8(1).u64(kLsnA).cstring("p").u32(0).bytes())));
  EXPECT_EQ(message.xid, std::optional<std::uint32_t>{900});
  EXPECT_EQ(message.content, "");

  as<StreamStop>(decoder.decode(retain(WireWriter().tag('E').bytes())));
  EXPECT_FALSE(decoder.in_stream_block());

  const auto& commit = as<StreamCommit>(decoder.decode(
      retain(WireWriter().tag('c').u32(900).u8(0).u64(kLsnA).u64(kLsnB).u64(kTime).bytes())));
  EXPECT_EQ(commit.xid, 900u);
  EXPECT_EQ(commit.commit_lsn, Lsn{kLsnA});
  EXPECT_EQ(commit.end_lsn, Lsn{kLsnB});
  EXPECT_EQ(commit.commit_time, PgTimestamp{kTime});
}

TEST(PgoutputDecoder, RejectsStreamStopOutsideAndStreamStartInsideAStreamBlock) {
  PgoutputDecoder decoder({.protocol_version = 2});
  EXPECT_THAT(error_of(decoder.decode(retain(WireWriter().tag('E').bytes()))),
              HasSubstr("outside a stream block"));
  ASSERT_TRUE(decoder.decode(retain(WireWriter().tag('S').u32(1).u8(1).bytes())).ok());
  EXPECT_THAT(error_of(decoder.decode(retain(WireWriter().tag('S').u32(1).u8(0).bytes()))),
              HasSubstr("inside a stream block"));
  EXPECT_TRUE(decoder.in_stream_block());
}

TEST(PgoutputDecoder, DecodesStreamAbortWithAndWithoutAbortInfo) {
  PgoutputDecoder v2({.protocol_version = 2});
  const auto& plain =
      as<StreamAbort>(v2.decode(retain(WireWriter().tag('A').u32(900).u32(901).bytes())));
  EXPECT_EQ(plain.xid, 900u);
  EXPECT_EQ(plain.subxid, 901u);
  EXPECT_FALSE(plain.abort_lsn.has_value());

  PgoutputDecoder v4({.protocol_version = 4, .parallel_streaming = true});
  const auto& parallel = as<StreamAbort>(
      v4.decode(retain(WireWriter().tag('A').u32(900).u32(900).u64(kLsnA).u64(kTime).bytes())));
  EXPECT_EQ(parallel.abort_lsn, Lsn{kLsnA});
  EXPECT_EQ(parallel.abort_time, PgTimestamp{kTime});
}

TEST(PgoutputDecoder, DecodesTwoPhaseMessages) {
  PgoutputDecoder decoder({.protocol_version = 3});
  const auto& begin = as<BeginPrepare>(decoder.decode(retain(
      WireWriter().tag('b').u64(kLsnA).u64(kLsnB).u64(kTime).u32(77).cstring("gid-1").bytes())));
  EXPECT_EQ(begin.prepare_lsn, Lsn{kLsnA});
  EXPECT_EQ(begin.end_lsn, Lsn{kLsnB});
  EXPECT_EQ(begin.prepare_time, PgTimestamp{kTime});
  EXPECT_EQ(begin.xid, 77u);
  EXPECT_EQ(begin.gid, "gid-1");

  for (char tag : {'P', 'p'}) {
    const auto bytes = WireWriter()
                           .tag(tag)
                           .u8(0)
                           .u64(kLsnA)
                           .u64(kLsnB)
                           .u64(kTime)
                           .u32(77)
                           .cstring("gid-1")
                           .bytes();
    const auto result = decoder.decode(bytes);
    ASSERT_TRUE(result.ok()) << result.error().message();
    const PreparedTransaction& prepared =
        tag == 'P' ? static_cast<const PreparedTransaction&>(std::get<Prepare>(*result))
                   : static_cast<const PreparedTransaction&>(std::get<StreamPrepare>(*result));
    EXPECT_EQ(prepared.prepare_lsn, Lsn{kLsnA});
    EXPECT_EQ(prepared.end_lsn, Lsn{kLsnB});
    EXPECT_EQ(prepared.prepare_time, PgTimestamp{kTime});
    EXPECT_EQ(prepared.xid, 77u);
    EXPECT_EQ(prepared.gid, "gid-1");
  }

  const auto& commit = as<CommitPrepared>(decoder.decode(retain(WireWriter()
                                                                    .tag('K')
                                                                    .u8(0)
                                                                    .u64(kLsnA)
                                                                    .u64(kLsnB)
                                                                    .u64(kTime)
                                                                    .u32(77)
                                                                    .cstring("gid-1")
                                                                    .bytes())));
  EXPECT_EQ(commit.commit_lsn, Lsn{kLsnA});
  EXPECT_EQ(commit.end_lsn, Lsn{kLsnB});
  EXPECT_EQ(commit.commit_time, PgTimestamp{kTime});
  EXPECT_EQ(commit.xid, 77u);
  EXPECT_EQ(commit.gid, "gid-1");

  const auto& rollback = as<RollbackPrepared>(decoder.decode(retain(WireWriter()
                                                                        .tag('r')
                                                                        .u8(0)
                                                                        .u64(kLsnA)
                                                                        .u64(kLsnB)
                                                                        .u64(kTime)
                                                                        .u64(kTime + 5)
                                                                        .u32(78)
                                                                        .cstring("gid-2")
                                                                        .bytes())));
  EXPECT_EQ(rollback.prepare_end_lsn, Lsn{kLsnA});
  EXPECT_EQ(rollback.rollback_end_lsn, Lsn{kLsnB});
  EXPECT_EQ(rollback.prepare_time, PgTimestamp{kTime});
  EXPECT_EQ(rollback.rollback_time, PgTimestamp{kTime + 5});
  EXPECT_EQ(rollback.xid, 78u);
  EXPECT_EQ(rollback.gid, "gid-2");
}

TEST(PgoutputDecoder, RejectsMessagesTheProtocolVersionDoesNotAllow) {
  PgoutputDecoder v1({.protocol_version = 1});
  EXPECT_THAT(error_of(v1.decode(retain(WireWriter().tag('S').u32(1).u8(1).bytes()))),
              HasSubstr("Stream Start message: not allowed by protocol version 1 (needs 2)"));
  PgoutputDecoder v2({.protocol_version = 2});
  EXPECT_THAT(error_of(v2.decode(retain(
                  WireWriter().tag('K').u8(0).u64(1).u64(2).u64(3).u32(4).cstring("g").bytes()))),
              HasSubstr("Commit Prepared message: not allowed by protocol version 2 (needs 3)"));
}

TEST(PgoutputDecoder, RejectsUnknownTypesWithTheirByte) {
  PgoutputDecoder decoder;
  const auto result = decoder.decode("Z\x01\x02");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kUnknownMessage);
  EXPECT_EQ(result.error().message(), "pgoutput message: unknown type byte 0x5a at byte 0");
  EXPECT_FALSE(decoder.decode("").ok());
}

TEST(PgoutputDecoder, NamesTheMessageTheOffsetAndTheFieldOfATruncation) {
  PgoutputDecoder decoder;
  const auto bytes =
      WireWriter().tag('I').u32(16390).tag('N').u16(2).tag('t').u32(10).raw("abc").bytes();
  EXPECT_EQ(error_of(decoder.decode(bytes)),
            "pgoutput Insert message: truncated at byte 13: expected tuple column value (10 "
            "bytes), 3 left");
}

TEST(PgoutputDecoder, RejectsTrailingBytes) {
  PgoutputDecoder decoder;
  const auto bytes = WireWriter().tag('B').u64(kLsnA).u64(kTime).u32(1).u8(0).bytes();
  EXPECT_EQ(error_of(decoder.decode(bytes)),
            "pgoutput Begin message: 1 unexpected bytes after the last field, at byte 21");
}

TEST(PgoutputDecoder, RejectsBadMarkersAndColumnKinds) {
  PgoutputDecoder decoder;
  EXPECT_THAT(
      error_of(decoder.decode(retain(WireWriter().tag('I').u32(1).tag('X').tuple({}).bytes()))),
      HasSubstr("expected new tuple marker 'N'"));
  EXPECT_THAT(error_of(decoder.decode(
                  retain(WireWriter().tag('I').u32(1).tag('N').u16(1).tag('x').bytes()))),
              HasSubstr("expected tuple column kind to be one of 'n', 'u', 't', 'b'"));
  EXPECT_THAT(
      error_of(decoder.decode(retain(WireWriter().tag('D').u32(1).tag('N').tuple({}).bytes()))),
      HasSubstr("old tuple marker 'K' or 'O'"));
}

TEST(PgoutputDecoder, RejectsCountsLargerThanTheMessageWithoutAllocating) {
  PgoutputDecoder decoder;
  EXPECT_THAT(
      error_of(decoder.decode(retain(WireWriter().tag('I').u32(1).tag('N').u16(0xFFFF).bytes()))),
      HasSubstr("tuple column count"));
  EXPECT_THAT(
      error_of(decoder.decode(retain(
          WireWriter().tag('R').u32(1).cstring("s").cstring("t").u8('d').u16(5000).bytes()))),
      HasSubstr("column count"));
  EXPECT_THAT(
      error_of(decoder.decode(retain(WireWriter().tag('T').u32(0x40000000).u8(0).u32(1).bytes()))),
      HasSubstr("relation ids"));
}

// Every message type, as complete bytes, with the decoder state it needs.
struct Sample {
  const char* name;
  std::string bytes;
  PgoutputOptions options;
  bool in_stream_block = false;
};

std::vector<Sample> every_message_type() {
  const PgoutputOptions v1{1, false}, v2{2, false}, v3{3, false}, v4{4, true};
  return {
      {"Begin", WireWriter().tag('B').u64(kLsnA).u64(kTime).u32(734).bytes(), v1},
      {"Commit", WireWriter().tag('C').u8(0).u64(kLsnA).u64(kLsnB).u64(kTime).bytes(), v1},
      {"Origin", WireWriter().tag('O').u64(kLsnA).cstring("upstream").bytes(), v1},
      {"Relation", outbox_relation_bytes(), v1},
      {"Type", WireWriter().tag('Y').u32(16401).cstring("public").cstring("mood").bytes(), v1},
      {"Insert",
       WireWriter().tag('I').u32(1).tag('N').tuple({{'t', "a"}, {'n', ""}, {'b', "b"}}).bytes(),
       v1},
      {"Update",
       WireWriter()
           .tag('U')
           .u32(1)
           .tag('O')
           .tuple({{'t', "a"}, {'u', ""}})
           .tag('N')
           .tuple({{'t', "b"}, {'u', ""}})
           .bytes(),
       v1},
      {"Delete", WireWriter().tag('D').u32(1).tag('K').tuple({{'t', "a"}}).bytes(), v1},
      {"Truncate", WireWriter().tag('T').u32(2).u8(1).u32(100).u32(200).bytes(), v1},
      {"Message", WireWriter().tag('M').u8(1).u64(kLsnA).cstring("p").u32(3).raw("abc").bytes(),
       v1},
      {"Streamed Insert", WireWriter().tag('I').u32(9).u32(1).tag('N').tuple({{'t', "a"}}).bytes(),
       v2, true},
      {"Stream Start", WireWriter().tag('S').u32(9).u8(1).bytes(), v2},
      {"Stream Commit", WireWriter().tag('c').u32(9).u8(0).u64(kLsnA).u64(kLsnB).u64(kTime).bytes(),
       v2},
      {"Stream Abort", WireWriter().tag('A').u32(9).u32(10).bytes(), v2},
      {"Stream Abort (parallel)",
       WireWriter().tag('A').u32(9).u32(10).u64(kLsnA).u64(kTime).bytes(), v4},
      {"Begin Prepare",
       WireWriter().tag('b').u64(kLsnA).u64(kLsnB).u64(kTime).u32(7).cstring("g").bytes(), v3},
      {"Prepare",
       WireWriter().tag('P').u8(0).u64(kLsnA).u64(kLsnB).u64(kTime).u32(7).cstring("g").bytes(),
       v3},
      {"Stream Prepare",
       WireWriter().tag('p').u8(0).u64(kLsnA).u64(kLsnB).u64(kTime).u32(7).cstring("g").bytes(),
       v3},
      {"Commit Prepared",
       WireWriter().tag('K').u8(0).u64(kLsnA).u64(kLsnB).u64(kTime).u32(7).cstring("g").bytes(),
       v3},
      {"Rollback Prepared",
       WireWriter()
           .tag('r')
           .u8(0)
           .u64(kLsnA)
           .u64(kLsnB)
           .u64(kTime)
           .u64(kTime)
           .u32(7)
           .cstring("g")
           .bytes(),
       v3},
  };
}

PgoutputDecoder decoder_for(const Sample& sample) {
  PgoutputDecoder decoder(sample.options);
  if (sample.in_stream_block) {
    const auto start = decoder.decode(retain(WireWriter().tag('S').u32(9).u8(1).bytes()));
    EXPECT_TRUE(start.ok());
  }
  return decoder;
}

TEST(PgoutputDecoder, DecodesEverySample) {
  for (const auto& sample : every_message_type()) {
    auto decoder = decoder_for(sample);
    const auto result = decoder.decode(sample.bytes);
    EXPECT_TRUE(result.ok()) << sample.name << ": " << result.error().message();
  }
}

// Cut at every byte offset, every message must fail cleanly (ASan/UBSan watch the reads): no
// prefix of a message is itself a valid message, so a short read can never pass for data.
TEST(PgoutputDecoder, EveryTruncationOfEveryMessageTypeIsAnError) {
  for (const auto& sample : every_message_type()) {
    for (std::size_t length = 0; length < sample.bytes.size(); ++length) {
      auto decoder = decoder_for(sample);
      // A heap copy of exactly `length` bytes, so ASan catches any read past the end.
      const std::vector<char> cut(sample.bytes.begin(),
                                  sample.bytes.begin() + static_cast<std::ptrdiff_t>(length));
      const auto result = decoder.decode(std::string_view(cut.data(), cut.size()));
      ASSERT_FALSE(result.ok()) << sample.name << " cut to " << length << " bytes decoded";
      if (length > 0) {
        EXPECT_THAT(result.error().message(),
                    HasSubstr(std::string(message_type_name(sample.bytes[0]))));
        EXPECT_EQ(decoder.in_stream_block(), sample.in_stream_block)
            << "a failed decode changed state";
      }
    }
  }
}

}  // namespace
}  // namespace outbox
