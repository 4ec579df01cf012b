#include "decoder/replication_message.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/decoder/wire_writer.h"

namespace outbox {
namespace {

using testing::WireWriter;

TEST(ReplicationMessage, DecodesXLogDataWithItsPayloadAsAView) {
  const auto bytes =
      WireWriter().tag('w').u64(0x10).u64(0x20).u64(12345).raw("B...payload").bytes();
  const auto result = decode_replication_message(bytes);
  ASSERT_TRUE(result.ok()) << result.error().message();
  const auto& frame = std::get<XLogData>(*result);
  EXPECT_EQ(frame.wal_start, Lsn{0x10});
  EXPECT_EQ(frame.wal_end, Lsn{0x20});
  EXPECT_EQ(frame.send_time, PgTimestamp{12345});
  EXPECT_EQ(frame.data, "B...payload");
  EXPECT_EQ(frame.data.data(), bytes.data() + 25);
}

TEST(ReplicationMessage, DecodesKeepalive) {
  for (std::uint8_t reply : {0, 1}) {
    const auto bytes = WireWriter().tag('k').u64(0xABCDEF).u64(99).u8(reply).bytes();
    const auto result = decode_replication_message(bytes);
    ASSERT_TRUE(result.ok()) << result.error().message();
    const auto& frame = std::get<PrimaryKeepalive>(*result);
    EXPECT_EQ(frame.wal_end, Lsn{0xABCDEF});
    EXPECT_EQ(frame.send_time, PgTimestamp{99});
    EXPECT_EQ(frame.reply_requested, reply == 1);
  }
}

TEST(ReplicationMessage, RejectsMalformedFrames) {
  auto error_of = [](const std::string& bytes) {
    const auto result = decode_replication_message(bytes);
    EXPECT_FALSE(result.ok());
    return result.ok() ? std::string() : result.error().message();
  };
  EXPECT_EQ(error_of(""), "replication frame: empty (expected a type byte)");
  EXPECT_EQ(error_of("x"),
            "replication frame: unknown type byte 0x78 at byte 0 (expected 'w' XLogData or 'k' "
            "keepalive)");
  EXPECT_EQ(error_of(WireWriter().tag('k').u64(1).u64(2).u8(2).bytes()),
            "replication keepalive frame: malformed at byte 18: expected reply-requested flag 0 "
            "or 1");
  EXPECT_EQ(error_of(WireWriter().tag('k').u64(1).u64(2).u8(0).u8(0).bytes()),
            "replication keepalive frame: 1 unexpected bytes after the last field, at byte 18");
  EXPECT_EQ(error_of(WireWriter().tag('w').u64(1).u32(0).bytes()),
            "replication XLogData frame: truncated at byte 9: expected WAL end (8 bytes), 4 left");
}

TEST(ReplicationMessage, EveryTruncationIsAnError) {
  const std::vector<std::string> frames = {
      WireWriter().tag('w').u64(1).u64(2).u64(3).bytes(),
      WireWriter().tag('k').u64(1).u64(2).u8(1).bytes(),
  };
  for (const auto& frame : frames) {
    for (std::size_t length = 0; length < frame.size(); ++length) {
      const std::vector<char> cut(frame.begin(),
                                  frame.begin() + static_cast<std::ptrdiff_t>(length));
      EXPECT_FALSE(decode_replication_message(std::string_view(cut.data(), cut.size())).ok())
          << frame[0] << " cut to " << length;
    }
  }
}

TEST(StandbyStatusUpdate, EncodesThe34BytesFieldByField) {
  const auto frame = encode_standby_status_update({.written_lsn = Lsn{0x0102030405060708},
                                                   .flushed_lsn = Lsn{0x1112131415161718},
                                                   .applied_lsn = Lsn{0x2122232425262728},
                                                   .client_time = PgTimestamp{-2},
                                                   .reply_requested = true});
  const std::string expected = WireWriter()
                                   .tag('r')
                                   .u64(0x0102030405060708)
                                   .u64(0x1112131415161718)
                                   .u64(0x2122232425262728)
                                   .u64(0xFFFFFFFFFFFFFFFE)
                                   .u8(1)
                                   .bytes();
  ASSERT_EQ(expected.size(), kStandbyStatusUpdateSize);
  EXPECT_EQ(std::string(frame.data(), frame.size()), expected);
}

TEST(PgTimestamp, ConvertsBetweenPostgresAndUnixEpochs) {
  // 2000-01-01 00:00:00 UTC is PostgreSQL's zero and Unix second 946684800.
  EXPECT_EQ(PgTimestamp{0}.unix_micros(), 946'684'800'000'000);
  EXPECT_EQ(PgTimestamp{1'500}.unix_millis(), 946'684'800'001);
  const auto now = std::chrono::system_clock::now();
  const auto pg = PgTimestamp::from_system(now);
  EXPECT_EQ(pg.unix_micros(),
            std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
  EXPECT_EQ(PgTimestamp{-946'684'800'000'001}.unix_millis(), -1);  // floors before 1970
}

}  // namespace
}  // namespace outbox
