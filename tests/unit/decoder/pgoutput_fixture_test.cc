// Golden bytes: replication streams captured from a real PostgreSQL 15 (see
// tests/fixtures/pgoutput/README.md for the exact workloads), decoded and checked field by field
// against what the workload wrote. LSNs, xids, relation ids and times differ per capture, so they
// are checked by the relations the protocol guarantees between them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "decoder/outbox_row.h"
#include "tests/unit/decoder/fixture_stream.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The captures were made on 2026-11-25; any time the server sent must be within days of it.
constexpr std::int64_t kCaptureDayUnixSeconds = 1'795'564'800;  // 2026-11-25 00:00:00 UTC

void expect_plausible_time(PgTimestamp time, const char* what) {
  const std::int64_t seconds = time.unix_micros() / 1'000'000;
  EXPECT_GT(seconds, kCaptureDayUnixSeconds - 7 * 86400) << what;
  EXPECT_LT(seconds, kCaptureDayUnixSeconds + 7 * 86400) << what;
}

template <typename T>
const T& get(const DecodedFrame* frame) {
  return std::get<T>(*frame->message);
}

std::string text(const OwnedColumn& column) {
  EXPECT_EQ(column.kind, TupleColumnKind::Text);
  return column.value;
}

// Every Begin is followed, before the next Begin, by a Commit with the same LSN and time; the
// XLogData frames carry the position of the change (start and end are the same for logical
// decoding), and the Commit's end lies past its commit record.
void expect_well_formed_transactions(const FixtureStream& stream) {
  const Begin* open = nullptr;
  for (const auto& frame : stream.frames) {
    if (frame.frame_type != 'w') continue;
    EXPECT_EQ(frame.xlog->wal_start, frame.xlog->wal_end);
    expect_plausible_time(frame.xlog->send_time, "XLogData send time");
    if (const auto* begin = std::get_if<Begin>(&*frame.message)) {
      EXPECT_EQ(open, nullptr) << "Begin inside a transaction";
      open = begin;
      expect_plausible_time(begin->commit_time, "Begin commit time");
    } else if (const auto* commit = std::get_if<Commit>(&*frame.message)) {
      ASSERT_NE(open, nullptr) << "Commit without Begin";
      EXPECT_EQ(commit->flags, 0);
      EXPECT_EQ(commit->commit_lsn, open->final_lsn);
      EXPECT_EQ(commit->commit_time, open->commit_time);
      EXPECT_GT(commit->end_lsn, commit->commit_lsn);
      // The walsender stamps a Commit's frame with the transaction's end, not its commit record.
      EXPECT_EQ(frame.xlog->wal_start, commit->end_lsn);
      open = nullptr;
    }
  }
  EXPECT_EQ(open, nullptr) << "the stream ends inside a transaction";
}

TEST(PgoutputFixture, EveryFrameOfEveryCaptureDecodes) {
  for (const auto& [name, version] :
       {std::pair{"basic_v1", 1}, std::pair{"streaming_v2", 2}, std::pair{"two_phase_v3", 3}}) {
    const auto stream = replay_fixture(name, {version, false});
    EXPECT_TRUE(stream.errors.empty()) << name << ": " << stream.errors.front();
    EXPECT_GT(stream.frames.size(), 10u) << name;
    // Each capture ends with the end marker and a keepalive the walsender sent once idle.
    ASSERT_FALSE(stream.frames.empty());
    EXPECT_EQ(stream.frames.back().frame_type, 'k') << name;
    EXPECT_FALSE(stream.frames.back().keepalive->reply_requested);
  }
}

TEST(PgoutputFixture, BasicCaptureHasTheMessageSequenceOfItsWorkload) {
  const auto stream = replay_fixture("basic_v1", {1, false});
  ASSERT_TRUE(stream.errors.empty());
  // Per transaction of the workload (README.md): outbox insert; three outbox inserts; insert and
  // delete; TOASTed insert; update of note (unchanged TOAST); key change; full_table insert,
  // update, delete; Type + Relation + insert of typed_table; outbox insert with transactional
  // message; non-transactional message; truncate of two tables; origin; NULL note; end marker.
  // The rolled-back transaction is absent.
  EXPECT_EQ(stream.summary(),
            "BRIC"
            "BIIIC"
            "BIDC"
            "BRIC"
            "BUC"
            "BUC"
            "BRIC"
            "BUC"
            "BDC"
            "BYRIC"
            "BIMC"
            "M"
            "BRRTC"
            "BORIC"
            "BIC"
            "M");
  expect_well_formed_transactions(stream);
}

TEST(PgoutputFixture, BasicCaptureDescribesTheDefaultOutboxTable) {
  const auto stream = replay_fixture("basic_v1", {1, false});
  const auto relations = stream.all<Relation>();
  ASSERT_FALSE(relations.empty());
  const auto& relation = get<Relation>(relations.front());
  EXPECT_FALSE(relation.xid.has_value());
  EXPECT_EQ(relation.namespace_name, "public");
  EXPECT_EQ(relation.relation_name, "outbox_events");
  EXPECT_EQ(relation.replica_identity, 'd');
  const auto& columns = relations.front()->relation_columns;
  // name, type OID (uuid 2950, varchar 1043, jsonb 3802, timestamp 1114, bool 16), typmod
  // (varchar(255) is 255 + 4), key flag.
  const std::vector<std::tuple<std::string, std::uint32_t, std::int32_t, bool>> expected = {
      {"id", 2950, -1, true},
      {"aggregate_type", 1043, 259, false},
      {"aggregate_id", 1043, 259, false},
      {"event_type", 1043, 259, false},
      {"payload", 3802, -1, false},
      {"created_at", 1114, -1, false},
      {"published", 16, -1, false},
      {"published_at", 1114, -1, false}};
  ASSERT_EQ(columns.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(columns[i].name, std::get<0>(expected[i]));
    EXPECT_EQ(columns[i].type_id, std::get<1>(expected[i])) << columns[i].name;
    EXPECT_EQ(columns[i].type_modifier, std::get<2>(expected[i])) << columns[i].name;
    EXPECT_EQ(columns[i].is_key, std::get<3>(expected[i])) << columns[i].name;
  }
}

TEST(PgoutputFixture, BasicCaptureOutboxRowsReadAsTheEventsTheWorkloadWrote) {
  const auto stream = replay_fixture("basic_v1", {1, false});
  const auto relations = stream.all<Relation>();
  ASSERT_FALSE(relations.empty());
  const auto outbox_id = get<Relation>(relations.front()).relation_id;
  const auto layout = OutboxLayout::from_relation(*stream.relations.find(outbox_id), {});
  ASSERT_TRUE(layout.ok()) << layout.error().message();

  struct Event {
    std::string id, aggregate_type, aggregate_id, event_type, payload, created_at;
  };
  std::vector<Event> events;
  for (const auto* frame : stream.all<Insert>()) {
    if (get<Insert>(frame).relation_id != outbox_id) continue;
    std::vector<TupleColumn> columns;
    for (const auto& column : frame->new_tuple) columns.push_back({column.kind, column.value});
    const auto row = read_outbox_row(*layout, columns);
    ASSERT_TRUE(row.ok()) << row.error().message();
    EXPECT_EQ(row->column("published"), std::optional<std::string_view>("f"));
    EXPECT_EQ(row->column("published_at"), std::nullopt);
    events.push_back({std::string(row->id), std::string(row->aggregate_type),
                      std::string(row->aggregate_id), std::string(row->event_type),
                      std::string(row->payload), std::string(row->created_at.value_or("-"))});
  }
  // jsonb comes back normalised: keys ordered by length, then bytewise.
  const std::vector<std::vector<std::string>> expected = {
      {"11111111-1111-1111-1111-111111111111", "Order", "order-1", "OrderCreated",
       R"({"amount": 100, "orderId": 1})", "2026-01-02 03:04:05.123456"},
      {"22222222-2222-2222-2222-222222222222", "Order", "order-2", "OrderCreated",
       R"({"amount": 250, "orderId": 2})", "2026-01-02 03:04:06"},
      {"33333333-3333-3333-3333-333333333333", "Payment", "payment-1", "PaymentApproved",
       R"({"amount": 250, "orderId": 2, "paymentId": 1})", "2026-01-02 03:04:07"},
      {"44444444-4444-4444-4444-444444444444", "Order", "order-2", "OrderCancelled",
       R"({"reason": "customer request", "orderId": 2})", "2026-01-02 03:04:08"},
      {"66666666-6666-6666-6666-666666666666", "Order", "order-6", "OrderCreated",
       R"({"orderId": 6})", "2026-01-02 03:04:10"},
      {"77777777-7777-7777-7777-777777777777", "Order", "order-7", "OrderCreated",
       R"({"orderId": 7})", "2026-01-02 03:04:11"},
  };
  ASSERT_EQ(events.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(events[i].id, expected[i][0]);
    EXPECT_EQ(events[i].aggregate_type, expected[i][1]);
    EXPECT_EQ(events[i].aggregate_id, expected[i][2]);
    EXPECT_EQ(events[i].event_type, expected[i][3]);
    EXPECT_EQ(events[i].payload, expected[i][4]);
    EXPECT_EQ(events[i].created_at, expected[i][5]);
  }
  // The rolled-back transaction's row is nowhere in the stream's bytes.
  for (const auto& record : fixture_records("basic_v1")) {
    EXPECT_THAT(record, Not(HasSubstr("rolled-back")));
    EXPECT_THAT(record, Not(HasSubstr("55555555-5555")));
  }
}

TEST(PgoutputFixture, BasicCaptureDeleteOfAnInsertedOutboxRowCarriesItsKey) {
  const auto stream = replay_fixture("basic_v1", {1, false});
  const auto deletes = stream.all<Delete>();
  ASSERT_EQ(deletes.size(), 2u);  // the outbox row, and the full_table row
  const auto& outbox_delete = get<Delete>(deletes[0]);
  EXPECT_EQ(outbox_delete.old_kind, OldTupleKind::Key);
  // Replica identity default: only the key column is sent, the others are NULL.
  ASSERT_EQ(deletes[0]->old_tuple.size(), 8u);
  EXPECT_EQ(text(deletes[0]->old_tuple[0]), "66666666-6666-6666-6666-666666666666");
  for (std::size_t i = 1; i < 8; ++i)
    EXPECT_EQ(deletes[0]->old_tuple[i].kind, TupleColumnKind::Null);

  const auto& full_delete = get<Delete>(deletes[1]);
  EXPECT_EQ(full_delete.old_kind, OldTupleKind::Old);
  ASSERT_EQ(deletes[1]->old_tuple.size(), 2u);
  EXPECT_EQ(text(deletes[1]->old_tuple[0]), "1");
  EXPECT_EQ(text(deletes[1]->old_tuple[1]), "full after");
}

TEST(PgoutputFixture, BasicCaptureUpdatesCarryToastKeyAndFullOldTuples) {
  const auto stream = replay_fixture("basic_v1", {1, false});
  // The TOASTed insert: 700 md5 hex digests, 22400 bytes, sent in full.
  const auto inserts = stream.all<Insert>();
  const DecodedFrame* toasted = nullptr;
  for (const auto* frame : inserts) {
    if (frame->new_tuple.size() == 3 && frame->new_tuple[1].value == "toasted") toasted = frame;
  }
  ASSERT_NE(toasted, nullptr);
  EXPECT_EQ(text(toasted->new_tuple[0]), "1");
  EXPECT_EQ(text(toasted->new_tuple[2]).size(), 22400u);
  EXPECT_EQ(toasted->new_tuple[2].value.substr(0, 32),
            "c4ca4238a0b923820dcc509a6f75849b");  // md5('1')

  const auto updates = stream.all<Update>();
  ASSERT_EQ(updates.size(), 3u);
  // UPDATE other_table SET note = ...: the TOASTed column did not change and is not sent.
  const auto& note = get<Update>(updates[0]);
  EXPECT_EQ(note.old_kind, OldTupleKind::None);
  ASSERT_EQ(updates[0]->new_tuple.size(), 3u);
  EXPECT_EQ(text(updates[0]->new_tuple[0]), "1");
  EXPECT_EQ(text(updates[0]->new_tuple[1]), "note changed");
  EXPECT_EQ(updates[0]->new_tuple[2].kind, TupleColumnKind::UnchangedToast);
  EXPECT_EQ(updates[0]->new_tuple[2].value, "");

  // UPDATE other_table SET id = 2: the old key comes first.
  const auto& key_change = get<Update>(updates[1]);
  EXPECT_EQ(key_change.old_kind, OldTupleKind::Key);
  ASSERT_EQ(updates[1]->old_tuple.size(), 3u);
  EXPECT_EQ(text(updates[1]->old_tuple[0]), "1");
  EXPECT_EQ(updates[1]->old_tuple[1].kind, TupleColumnKind::Null);
  EXPECT_EQ(text(updates[1]->new_tuple[0]), "2");

  // REPLICA IDENTITY FULL: the whole old row.
  const auto& full = get<Update>(updates[2]);
  EXPECT_EQ(full.old_kind, OldTupleKind::Old);
  ASSERT_EQ(updates[2]->old_tuple.size(), 2u);
  EXPECT_EQ(text(updates[2]->old_tuple[1]), "full before");
  EXPECT_EQ(text(updates[2]->new_tuple[1]), "full after");
}

TEST(PgoutputFixture, BasicCaptureTypeMessageDescribesTheEnumColumn) {
  const auto stream = replay_fixture("basic_v1", {1, false});
  const auto types = stream.all<Type>();
  ASSERT_EQ(types.size(), 1u);
  const auto& type = get<Type>(types[0]);
  EXPECT_EQ(type.namespace_name, "public");
  EXPECT_EQ(type.type_name, "mood");
  const CachedRelation* typed = nullptr;
  for (const auto* frame : stream.all<Relation>()) {
    if (get<Relation>(frame).relation_name == "typed_table") {
      typed = stream.relations.find(get<Relation>(frame).relation_id);
    }
  }
  ASSERT_NE(typed, nullptr);
  ASSERT_EQ(typed->columns.size(), 2u);
  EXPECT_EQ(typed->columns[1].name, "m");
  EXPECT_EQ(typed->columns[1].type_id, type.type_id);
  bool saw_happy = false;
  for (const auto* frame : stream.all<Insert>()) {
    if (get<Insert>(frame).relation_id == typed->relation_id)
      saw_happy = text(frame->new_tuple[1]) == "happy";
  }
  EXPECT_TRUE(saw_happy);
}

TEST(PgoutputFixture, BasicCaptureLogicalMessagesTruncateAndOrigin) {
  const auto stream = replay_fixture("basic_v1", {1, false});
  const auto messages = stream.all<LogicalMessage>();
  ASSERT_EQ(messages.size(), 3u);
  const auto& transactional = get<LogicalMessage>(messages[0]);
  EXPECT_TRUE(transactional.transactional());
  EXPECT_EQ(transactional.prefix, "fixture-tx");
  EXPECT_EQ(transactional.content, "transactional content");
  EXPECT_EQ(transactional.lsn, messages[0]->xlog->wal_start);
  const auto& plain = get<LogicalMessage>(messages[1]);
  EXPECT_FALSE(plain.transactional());
  EXPECT_EQ(plain.prefix, "fixture-nontx");
  EXPECT_EQ(plain.content, "non-transactional content");
  EXPECT_EQ(get<LogicalMessage>(messages[2]).prefix, "fixture-end");
  EXPECT_EQ(get<LogicalMessage>(messages[2]).content, "end");

  const auto truncates = stream.all<Truncate>();
  ASSERT_EQ(truncates.size(), 1u);
  const auto& truncate = get<Truncate>(truncates[0]);
  EXPECT_TRUE(truncate.cascade());
  EXPECT_TRUE(truncate.restart_identity());
  ASSERT_EQ(truncate.relation_ids.size(), 2u);
  std::set<std::string> truncated;
  for (std::size_t i = 0; i < truncate.relation_ids.size(); ++i) {
    const auto* relation = stream.relations.find(truncate.relation_ids[i]);
    ASSERT_NE(relation, nullptr);
    truncated.insert(relation->relation_name);
  }
  EXPECT_EQ(truncated, (std::set<std::string>{"other_table", "full_table"}));

  const auto origins = stream.all<Origin>();
  ASSERT_EQ(origins.size(), 1u);
  const auto& origin = get<Origin>(origins[0]);
  EXPECT_EQ(origin.name, "fixture_origin");
  EXPECT_EQ(origin.origin_commit_lsn, Lsn::parse("0/AABBCCDD"));
}

TEST(PgoutputFixture, StreamingCaptureCarriesXidsInsideStreamBlocks) {
  const auto stream = replay_fixture("streaming_v2", {2, false});
  ASSERT_TRUE(stream.errors.empty()) << stream.errors.front();
  // A plain transaction; a streamed one of 2001 changes, committed; one with a savepoint rolled
  // back (Stream Abort of the subtransaction), committed; one rolled back (Stream Abort of all).
  EXPECT_EQ(stream.summary(),
            "BRIC"
            "SRI*314E"
            "SI*314E"
            "SI*314E"
            "SI*314E"
            "SI*314E"
            "SI*314E"
            "SI*116RIE"
            "c"
            "SRI*303E"
            "SI*303E"
            "SI*303E"
            "A"
            "SRI*10E"
            "c"
            "SRI*314E"
            "SI*314E"
            "SI*314E"
            "A"
            "M");

  std::optional<std::uint32_t> block_xid;
  std::map<std::uint32_t, int> changes_by_xid;
  int stream_starts = 0;
  for (const auto& frame : stream.frames) {
    if (frame.frame_type != 'w') continue;
    std::visit(
        [&](const auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, StreamStart>) {
            block_xid = m.xid;
            ++stream_starts;
          } else if constexpr (std::is_same_v<T, StreamStop>) {
            block_xid.reset();
          } else if constexpr (std::is_same_v<T, Insert> || std::is_same_v<T, Relation>) {
            // Present exactly inside stream blocks; a change made in a subtransaction (after a
            // SAVEPOINT) carries the subtransaction's xid, the block its top-level one.
            EXPECT_EQ(m.xid.has_value(), block_xid.has_value());
            if (m.xid) ++changes_by_xid[*m.xid];
          }
        },
        *frame.message);
  }
  EXPECT_EQ(stream_starts, 14);

  const auto commits = stream.all<StreamCommit>();
  ASSERT_EQ(commits.size(), 2u);
  const auto& big = get<StreamCommit>(commits[0]);
  EXPECT_EQ(changes_by_xid[big.xid], 2001 + 2);  // 2000 outbox rows, 1 other_table row, 2 Relations
  EXPECT_EQ(big.flags, 0);
  EXPECT_GT(big.end_lsn, big.commit_lsn);
  expect_plausible_time(big.commit_time, "Stream Commit time");

  const auto aborts = stream.all<StreamAbort>();
  ASSERT_EQ(aborts.size(), 2u);
  const auto& savepoint = get<StreamAbort>(aborts[0]);
  EXPECT_NE(savepoint.subxid, savepoint.xid) << "the savepoint is a subtransaction";
  EXPECT_FALSE(savepoint.abort_lsn.has_value());
  EXPECT_EQ(get<StreamCommit>(commits[1]).xid, savepoint.xid);
  const auto& whole = get<StreamAbort>(aborts[1]);
  EXPECT_EQ(whole.subxid, whole.xid) << "the whole transaction aborted";

  // The streamed rows of the committed transaction are all there, in insertion order.
  int n = 0;
  for (const auto* frame : stream.all<Insert>()) {
    if (get<Insert>(frame).xid != big.xid || frame->new_tuple.size() != 8) continue;
    ++n;
    EXPECT_EQ(text(frame->new_tuple[2]), "stream-" + std::to_string(n));
  }
  EXPECT_EQ(n, 2000);
}

TEST(PgoutputFixture, TwoPhaseCaptureCarriesPrepareCommitAndRollback) {
  const auto stream = replay_fixture("two_phase_v3", {3, false});
  ASSERT_TRUE(stream.errors.empty()) << stream.errors.front();
  EXPECT_EQ(stream.summary(),
            "bRIPK"
            "bIPr"
            "SRI*314E"
            "SI*314E"
            "SI*314E"
            "SI*314E"
            "SI*314E"
            "SI*314E"
            "SI*116E"
            "pK"
            "M");

  const auto begins = stream.all<BeginPrepare>();
  const auto prepares = stream.all<Prepare>();
  ASSERT_EQ(begins.size(), 2u);
  ASSERT_EQ(prepares.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& begin = get<BeginPrepare>(begins[i]);
    const auto& prepare = get<Prepare>(prepares[i]);
    EXPECT_EQ(begin.gid, "fixture-gid-" + std::to_string(i + 1));
    EXPECT_EQ(prepare.gid, begin.gid);
    EXPECT_EQ(prepare.xid, begin.xid);
    EXPECT_EQ(prepare.prepare_lsn, begin.prepare_lsn);
    EXPECT_EQ(prepare.end_lsn, begin.end_lsn);
    EXPECT_EQ(prepare.prepare_time, begin.prepare_time);
    EXPECT_GT(prepare.end_lsn, prepare.prepare_lsn);
    expect_plausible_time(prepare.prepare_time, "prepare time");
  }

  const auto commits = stream.all<CommitPrepared>();
  ASSERT_EQ(commits.size(), 2u);
  const auto& first_commit = get<CommitPrepared>(commits[0]);
  EXPECT_EQ(first_commit.gid, "fixture-gid-1");
  EXPECT_EQ(first_commit.xid, get<Prepare>(prepares[0]).xid);
  EXPECT_GE(first_commit.commit_lsn, get<Prepare>(prepares[0]).end_lsn);
  EXPECT_GT(first_commit.end_lsn, first_commit.commit_lsn);

  const auto rollbacks = stream.all<RollbackPrepared>();
  ASSERT_EQ(rollbacks.size(), 1u);
  const auto& rollback = get<RollbackPrepared>(rollbacks[0]);
  EXPECT_EQ(rollback.gid, "fixture-gid-2");
  EXPECT_EQ(rollback.xid, get<Prepare>(prepares[1]).xid);
  EXPECT_EQ(rollback.prepare_end_lsn, get<Prepare>(prepares[1]).end_lsn);
  EXPECT_GT(rollback.rollback_end_lsn, rollback.prepare_end_lsn);
  EXPECT_EQ(rollback.prepare_time, get<Prepare>(prepares[1]).prepare_time);
  EXPECT_GE(rollback.rollback_time, rollback.prepare_time);

  const auto stream_prepares = stream.all<StreamPrepare>();
  ASSERT_EQ(stream_prepares.size(), 1u);
  const auto& streamed = get<StreamPrepare>(stream_prepares[0]);
  EXPECT_EQ(streamed.gid, "fixture-gid-3");
  EXPECT_EQ(get<CommitPrepared>(commits[1]).gid, "fixture-gid-3");
  EXPECT_EQ(get<CommitPrepared>(commits[1]).xid, streamed.xid);
}

// Every message of every capture, cut at every byte offset, is an error and never a crash.
TEST(PgoutputFixture, EveryTruncationOfEveryCapturedMessageIsAnError) {
  for (const auto& [name, version] :
       {std::pair{"basic_v1", 1}, std::pair{"streaming_v2", 2}, std::pair{"two_phase_v3", 3}}) {
    std::set<std::string> seen_shapes;
    PgoutputDecoder stream_decoder({version, false});
    for (const auto& record : fixture_records(name)) {
      const auto frame = decode_replication_message(record);
      ASSERT_TRUE(frame.ok());
      const auto* xlog = std::get_if<XLogData>(&*frame);
      if (xlog == nullptr) continue;
      const bool in_block = stream_decoder.in_stream_block();
      ASSERT_TRUE(stream_decoder.decode(xlog->data).ok());
      // One message per type and block state is enough; the 2000-row runs add nothing.
      if (!seen_shapes.insert(std::string(1, xlog->data[0]) + (in_block ? "+" : "-")).second &&
          xlog->data[0] != 'R') {
        continue;
      }
      for (std::size_t length = 0; length < record.size(); ++length) {
        const std::vector<char> cut(record.begin(),
                                    record.begin() + static_cast<std::ptrdiff_t>(length));
        const auto cut_frame = decode_replication_message(std::string_view(cut.data(), cut.size()));
        if (!cut_frame.ok()) continue;  // cut inside the XLogData header
        PgoutputDecoder decoder({version, false});
        if (in_block) {
          ASSERT_TRUE(decoder.decode(std::string_view("S\0\0\0\1\1", 6)).ok());
        }
        EXPECT_FALSE(decoder.decode(std::get<XLogData>(*cut_frame).data).ok())
            << name << ": '" << xlog->data[0] << "' cut to " << length << " bytes decoded";
      }
    }
  }
}

}  // namespace
}  // namespace outbox::testing
