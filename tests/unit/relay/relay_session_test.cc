// The session's rules, driven with a scripted stream and sink in simulated time: failure
// policies, a fatal sink, stale delivery reports, back-pressure, status updates, liveness, the
// stop drain and keepalives. Each case runs in well under a millisecond of real time.
#include "relay/relay_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/unit/relay/session_harness.h"

namespace outbox::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

const Lsn kFirst{0x2000};
const Lsn kSecond{0x3000};
const Lsn kThird{0x4000};

const ScriptedSink::Held* find_record(const ScriptedSink& sink, std::string_view topic) {
  for (const auto& held : sink.published) {
    if (held.topic == topic) return &held;
  }
  return nullptr;
}

std::string header_of(const ScriptedSink::Held& held, std::string_view name) {
  for (const auto& [key, value] : held.headers) {
    if (key == name) return value;
  }
  return "<none>";
}

Lsn highest_flush(const ScriptedStream& stream) {
  Lsn highest;
  for (const auto& update : stream.updates) highest = std::max(highest, update.flushed_lsn);
  return highest;
}

// --- on_permanent_error, for each way an event can fail ---------------------------------------

enum class Failure { kUnroutable, kRejectedAtPublish, kDeliveryFailed, kRecordRefused };

struct PolicyCase {
  const char* name;
  PermanentErrorPolicy policy;
  Failure failure;
  SessionEnd end;
  Lsn confirmed;
  bool dead_letter;
  bool dead_letter_keeps_value;

  friend void PrintTo(const PolicyCase& c, std::ostream* os) { *os << c.name; }
};

class FailurePolicies : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(FailurePolicies, ApplyOnPermanentErrorToTheFailedEventOnly) {
  const PolicyCase& c = GetParam();
  SessionHarness h(session_config(c.policy));
  h.stream.push_transaction(kFirst, {"e1"});
  if (c.failure == Failure::kUnroutable) {
    h.stream.push_transaction(kSecond, {"e2"}, std::nullopt);  // NULL key
  } else {
    h.stream.push_transaction(kSecond, {"e2"});
  }
  h.stream.push_transaction(kThird, {"e3"});
  if (c.failure == Failure::kRejectedAtPublish) {
    h.sink.refuse(PublishStatus::kRejected, "Broker: Message size too large", "e2");
  }
  h.clock.at(milliseconds(50), [&] {
    h.sink.deliver(1);
    if (c.failure == Failure::kDeliveryFailed) {
      h.sink.fail_next(1, DeliveryFailure::kOther, "Broker: Unknown topic or partition");
    } else if (c.failure == Failure::kRecordRefused) {
      h.sink.fail_next(1, DeliveryFailure::kRecord, "Broker: Invalid timestamp");
    }
    h.sink.deliver_all();
  });
  h.clock.at(milliseconds(100), [&] { h.sink.deliver_all(); });  // the dead letter, if any
  h.stop_at(milliseconds(200));

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, c.end) << result.reason;
  EXPECT_EQ(result.confirmed, c.confirmed);
  EXPECT_EQ(highest_flush(h.stream), c.confirmed);
  EXPECT_EQ(h.stats.events_failed, 1u);
  EXPECT_EQ(h.probe.failures.size(), 1u);
  if (c.end == SessionEnd::kHalted) {
    EXPECT_THAT(result.reason, HasSubstr("event e2"));
  }
  const auto* letter = find_record(h.sink, "outbox.DLQ");
  ASSERT_EQ(letter != nullptr, c.dead_letter);
  if (letter != nullptr) {
    EXPECT_EQ(header_of(*letter, "id"), "e2");
    EXPECT_EQ(header_of(*letter, "outbox.table"), "public.outbox_events");
    EXPECT_NE(header_of(*letter, "outbox.error"), "<none>");
    EXPECT_EQ(letter->value.empty(), !c.dead_letter_keeps_value);
    EXPECT_EQ(h.stats.events_dead_lettered, 1u);
  }
  EXPECT_EQ(h.stats.events_skipped, c.policy == PermanentErrorPolicy::kSkip ? 1u : 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Session, FailurePolicies,
    ::testing::Values(
        PolicyCase{"HaltUnroutable", PermanentErrorPolicy::kHalt, Failure::kUnroutable,
                   SessionEnd::kHalted, kFirst, false, false},
        PolicyCase{"HaltRejected", PermanentErrorPolicy::kHalt, Failure::kRejectedAtPublish,
                   SessionEnd::kHalted, kFirst, false, false},
        PolicyCase{"HaltDeliveryFailed", PermanentErrorPolicy::kHalt, Failure::kDeliveryFailed,
                   SessionEnd::kHalted, kFirst, false, false},
        PolicyCase{"SkipUnroutable", PermanentErrorPolicy::kSkip, Failure::kUnroutable,
                   SessionEnd::kStopped, kThird, false, false},
        PolicyCase{"SkipRejected", PermanentErrorPolicy::kSkip, Failure::kRejectedAtPublish,
                   SessionEnd::kStopped, kThird, false, false},
        PolicyCase{"SkipDeliveryFailed", PermanentErrorPolicy::kSkip, Failure::kDeliveryFailed,
                   SessionEnd::kStopped, kThird, false, false},
        PolicyCase{"DlqUnroutable", PermanentErrorPolicy::kDlq, Failure::kUnroutable,
                   SessionEnd::kStopped, kThird, true, true},
        PolicyCase{"DlqRejected", PermanentErrorPolicy::kDlq, Failure::kRejectedAtPublish,
                   SessionEnd::kStopped, kThird, true, false},
        PolicyCase{"DlqDeliveryFailed", PermanentErrorPolicy::kDlq, Failure::kDeliveryFailed,
                   SessionEnd::kStopped, kThird, true, true},
        PolicyCase{"DlqRecordRefused", PermanentErrorPolicy::kDlq, Failure::kRecordRefused,
                   SessionEnd::kStopped, kThird, true, false}),
    [](const ::testing::TestParamInfo<PolicyCase>& param) {
      return std::string(param.param.name);
    });

TEST(Session, ADeadLetterTheTopicRefusesHaltsWithoutConfirmingPastIt) {
  SessionHarness h(session_config(PermanentErrorPolicy::kDlq));
  h.stream.push_transaction(kFirst, {"e1"}, std::nullopt);
  h.stream.push_transaction(kSecond, {"e2"});
  h.clock.at(milliseconds(50), [&] {
    h.sink.fail_next(1, DeliveryFailure::kOther, "Broker: Topic authorization failed");
    h.sink.deliver_all();
  });
  h.stop_at(milliseconds(500));

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kHalted);
  EXPECT_THAT(result.reason, HasSubstr("dead-letter topic outbox.DLQ refused"));
  EXPECT_EQ(result.confirmed, kStart);
}

TEST(Session, AHaltStillConfirmsWhatItsDrainDeliveredHoweverSilentTheServerWas) {
  Config config = session_config(PermanentErrorPolicy::kHalt);
  config.source.liveness_timeout = milliseconds(4000);
  SessionHarness h(config);
  h.stream.push_transaction(kFirst, {"e1"});
  h.stream.push_transaction(kSecond, {"e2"}, std::nullopt);  // unroutable: halts at once
  // The drain after the halt outlasts the liveness timeout; nothing comes from the server.
  h.clock.at(milliseconds(9000), [&] { h.sink.deliver_all(); });

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kHalted);
  EXPECT_EQ(result.confirmed, kFirst);
  ASSERT_FALSE(h.stream.updates.empty());
  EXPECT_EQ(h.stream.updates.back().flushed_lsn, kFirst);
}

// --- a fatal sink ------------------------------------------------------------------------------

class FatalSink : public ::testing::TestWithParam<PermanentErrorPolicy> {};

TEST_P(FatalSink, AbandonedDeliveriesRestartThePipelineWithoutAnyPolicy) {
  SessionHarness h(session_config(GetParam()));
  h.stream.push_transaction(kFirst, {"e1"});
  h.stream.push_transaction(kSecond, {"e2", "e3"});
  h.clock.at(milliseconds(50), [&] {
    h.sink.deliver(1);
    h.sink.go_fatal("Fatal idempotent producer error: out of order sequence");
  });
  h.stop_at(milliseconds(500));

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kSinkFatal);
  EXPECT_THAT(result.reason, HasSubstr("out of order sequence"));
  EXPECT_EQ(result.confirmed, kFirst);
  EXPECT_TRUE(h.probe.failures.empty());
  EXPECT_EQ(h.stats.events_skipped, 0u);
  EXPECT_EQ(find_record(h.sink, "outbox.DLQ"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Session, FatalSink,
                         ::testing::Values(PermanentErrorPolicy::kHalt, PermanentErrorPolicy::kSkip,
                                           PermanentErrorPolicy::kDlq));

TEST(Session, AFatalPublishEndsTheSessionForANewSink) {
  SessionHarness h(session_config());
  h.sink.refuse(PublishStatus::kFatal, "Local: Fatal error");
  h.stream.push_transaction(kFirst, {"e1"});

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kSinkFatal);
  EXPECT_EQ(result.confirmed, kStart);
}

// --- delivery reports of an earlier session ------------------------------------------------------

TEST(Session, IgnoresDeliveryReportsOfAnEarlierSession) {
  SessionHarness h(session_config(), /*session_generation=*/2);
  h.stream.push_transaction(kFirst, {"e1"});
  h.stream.push_transaction(kSecond, {"e2"});
  // The earlier session's record for the same transaction sequence number as e1's.
  h.clock.at(milliseconds(10), [&] {
    h.sink.inject_report(SessionTicket{.transaction = 0, .generation = 1}.encode());
  });
  h.clock.at(milliseconds(50), [&] { h.sink.deliver(1); });
  h.stop_at(milliseconds(100));
  h.clock.at(milliseconds(150), [&] { h.sink.deliver_all(); });

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kStopped);
  EXPECT_EQ(result.confirmed, kSecond);
  EXPECT_EQ(h.stats.events_delivered, 2u);
  // Had the stale report counted as e1's, e1's own report would have ended the process.
}

// --- back-pressure
// ---------------------------------------------------------------------------------

TEST(Session, BackPressureStopsReadingAtTheLimitAndResumesATenthBelowIt) {
  Config config = session_config();
  config.sink.max_in_flight_events = 100;
  SessionHarness h(config);
  h.stream.push_transaction(kFirst, {});
  std::vector<std::string> ids;
  for (int i = 0; i < 250; ++i) ids.push_back("e" + std::to_string(i));
  // One transaction of 250 events (Begin, then inserts, then Commit).
  h.stream.push(xlog_frame(kSecond, begin_message(kSecond, 900)));
  for (const auto& id : ids) h.stream.push(xlog_frame(kSecond, outbox_insert_message(id)));
  h.stream.push(xlog_frame(kSecond, commit_message(kSecond, Lsn(kSecond.value() + 8))));
  std::vector<std::size_t> published_at;
  auto note = [&] { published_at.push_back(h.sink.published.size()); };
  h.clock.at(milliseconds(40), note);
  h.clock.at(milliseconds(50), [&] { h.sink.deliver(9); });
  h.clock.at(milliseconds(90), note);
  h.clock.at(milliseconds(100), [&] { h.sink.deliver(1); });
  h.clock.at(milliseconds(140), note);
  for (int t = 200; t <= 1000; t += 100) {
    h.clock.at(milliseconds(t), [&] { h.sink.deliver_all(); });
  }
  h.stop_at(milliseconds(1100));

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kStopped);
  // 100 in flight: reading stopped. 91 after 9 deliveries: still stopped (hysteresis). 90:
  // reading resumes, up to the limit again.
  EXPECT_EQ(published_at, (std::vector<std::size_t>{100, 100, 110}));
  EXPECT_EQ(result.confirmed, Lsn(kSecond.value() + 8));
  EXPECT_EQ(h.sink.published.size(), 250u);
  EXPECT_GE(h.stats.backpressure_episodes, 2u);
  EXPECT_GT(h.probe.backpressure_time.count(), 0.0);
}

std::size_t held_bytes(const ScriptedSink::Held& held) {
  std::size_t bytes = held.key.size() + held.value.size();
  for (const auto& [name, value] : held.headers) bytes += name.size() + value.size();
  return bytes;
}

TEST(Session, BackPressureAlsoStopsReadingAtTheByteLimit) {
  // Every event of the test has the same size; a first session measures it.
  std::size_t event_bytes = 0;
  {
    SessionHarness probe(session_config());
    probe.stream.push_transaction(kFirst, {"e00"});
    probe.stop_at(milliseconds(10));
    probe.clock.at(milliseconds(5), [&] { probe.sink.deliver_all(); });
    probe.run();
    ASSERT_EQ(probe.sink.published.size(), 1u);
    event_bytes = held_bytes(probe.sink.published[0]);
  }
  Config config = session_config();
  config.sink.max_in_flight_bytes = 10 * event_bytes;
  SessionHarness h(config);
  std::vector<std::string> ids;
  for (int i = 10; i < 40; ++i) ids.push_back("e" + std::to_string(i));
  h.stream.push(xlog_frame(kSecond, begin_message(kSecond, 900)));
  h.stream.push(xlog_frame(kSecond, outbox_relation_message()));
  for (const auto& id : ids) h.stream.push(xlog_frame(kSecond, outbox_insert_message(id)));
  h.stream.push(xlog_frame(kSecond, commit_message(kSecond, Lsn(kSecond.value() + 8))));
  std::vector<std::size_t> published_at;
  auto note = [&] { published_at.push_back(h.sink.published.size()); };
  h.clock.at(milliseconds(40), note);
  h.clock.at(milliseconds(50), [&] { h.sink.deliver(1); });
  h.clock.at(milliseconds(90), note);
  for (int t = 100; t <= 500; t += 50) {
    h.clock.at(milliseconds(t), [&] { h.sink.deliver_all(); });
  }
  h.stop_at(milliseconds(600));

  const SessionResult result = h.run();

  // Ten events' bytes in flight: reading stopped. Nine after one delivery: a tenth of the limit
  // below it, so reading resumes, up to the limit again.
  EXPECT_EQ(published_at, (std::vector<std::size_t>{10, 11}));
  EXPECT_EQ(h.sink.published.size(), 30u);
  EXPECT_EQ(result.confirmed, Lsn(kSecond.value() + 8));
}

TEST(Session, AnEventLargerThanTheByteLimitStillGoesAlone) {
  Config config = session_config();
  config.sink.max_in_flight_bytes = 1;
  SessionHarness h(config);
  h.stream.push_transaction(kFirst, {"e1", "e2", "e3"});
  std::vector<std::size_t> published_at;
  h.clock.at(milliseconds(40), [&] { published_at.push_back(h.sink.published.size()); });
  for (int t = 50; t <= 300; t += 50) h.clock.at(milliseconds(t), [&] { h.sink.deliver_all(); });
  h.stop_at(milliseconds(400));

  const SessionResult result = h.run();

  EXPECT_EQ(published_at, (std::vector<std::size_t>{1}));
  EXPECT_EQ(h.sink.published.size(), 3u);
  EXPECT_EQ(result.confirmed, kFirst);
}

TEST(Session, AQueueFullRecordWaitsAndIsPublishedOnceThereIsRoom) {
  SessionHarness h(session_config());
  h.sink.refuse(PublishStatus::kQueueFull, "Local: Queue full", "e2", /*times=*/3);
  h.stream.push_transaction(kFirst, {"e1", "e2", "e3"});
  h.clock.at(milliseconds(200), [&] { h.sink.deliver_all(); });
  h.stop_at(milliseconds(300));
  h.clock.at(milliseconds(310), [&] { h.sink.deliver_all(); });

  const SessionResult result = h.run();

  ASSERT_EQ(h.sink.published.size(), 3u);
  EXPECT_EQ(h.sink.published[1].id, "e2");
  EXPECT_EQ(h.sink.published[2].id, "e3");
  EXPECT_EQ(result.confirmed, kFirst);
}

// --- status updates ------------------------------------------------------------------------------

TEST(Session, StatusUpdatesGoOutEveryIntervalAndNotBetweenWhenNothingMoves) {
  SessionHarness h(session_config());
  h.stop_at(milliseconds(3500));

  h.run();

  ASSERT_GE(h.stream.updates.size(), 4u);
  // Three from the interval, one when the session ends.
  EXPECT_EQ(h.stream.update_times,
            (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000), milliseconds(3000),
                                       milliseconds(3500)}));
  for (const auto& update : h.stream.updates) {
    EXPECT_EQ(update.flushed_lsn, kStart);
    EXPECT_FALSE(update.reply_requested);
  }
}

TEST(Session, AStatusUpdateConfirmsADeliveredTransactionSoonAfterItsLastAck) {
  SessionHarness h(session_config());
  h.stream.push_transaction(kFirst, {"e1"});
  h.stream.push_transaction(kSecond, {"e2"});
  h.clock.at(milliseconds(50), [&] { h.sink.deliver(1); });
  h.stop_at(milliseconds(300));
  h.clock.at(milliseconds(400), [&] { h.sink.deliver_all(); });

  const SessionResult result = h.run();

  // e1's ack at 50 ms is confirmed at once; e2's is outstanding until the stop drain.
  const auto first = std::find_if(h.stream.updates.begin(), h.stream.updates.end(),
                                  [](const auto& update) { return update.flushed_lsn == kFirst; });
  ASSERT_NE(first, h.stream.updates.end());
  const auto at = h.stream.update_times[first - h.stream.updates.begin()];
  EXPECT_GE(at, milliseconds(50));
  EXPECT_LE(at, milliseconds(60));
  EXPECT_EQ(first->applied_lsn, kFirst);
  EXPECT_GE(first->written_lsn, kSecond);  // received further than confirmed
  EXPECT_EQ(result.confirmed, kSecond);
  EXPECT_EQ(h.stream.updates.back().flushed_lsn, kSecond);
}

TEST(Session, AnswersAKeepaliveThatAsksForAReplyAtOnce) {
  SessionHarness h(session_config());
  h.clock.at(milliseconds(300), [&] { h.stream.push(keepalive_frame(kStart, true)); });
  h.stop_at(milliseconds(600));

  h.run();

  ASSERT_GE(h.stream.update_times.size(), 1u);
  EXPECT_EQ(h.stream.update_times.front(), milliseconds(300));
}

TEST(Session, AsksForAReplyAtHalfTheLivenessTimeoutAndTakesSilenceForALostConnection) {
  Config config = session_config();
  config.source.liveness_timeout = milliseconds(4000);
  config.source.status_interval = milliseconds(10000);
  SessionHarness h(config);

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kConnectionLost);
  EXPECT_THAT(result.reason, HasSubstr("liveness_timeout_ms = 4000"));
  ASSERT_EQ(h.stream.updates.size(), 1u);
  EXPECT_TRUE(h.stream.updates[0].reply_requested);
  EXPECT_EQ(h.stream.update_times[0], milliseconds(2000));
  EXPECT_EQ(h.clock.elapsed(), milliseconds(4000));
}

TEST(Session, AReplyFromTheServerKeepsTheConnectionAlive) {
  Config config = session_config();
  config.source.liveness_timeout = milliseconds(4000);
  SessionHarness h(config);
  for (int t = 2100; t < 12000; t += 2100) {
    h.clock.at(milliseconds(t), [&] { h.stream.push(keepalive_frame(kStart, false)); });
  }
  h.stop_at(milliseconds(12000));

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kStopped) << result.reason;
}

TEST(Session, SilenceUnderBackPressureIsNotTakenForALostConnection) {
  Config config = session_config();
  config.source.liveness_timeout = milliseconds(4000);
  config.sink.max_in_flight_events = 2;
  SessionHarness h(config);
  h.stream.push_transaction(kFirst, {"e1", "e2", "e3"});
  h.clock.at(milliseconds(10000), [&] { h.sink.deliver_all(); });
  h.clock.at(milliseconds(10100), [&] { h.sink.deliver_all(); });
  h.stop_at(milliseconds(10200));

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kStopped) << result.reason;
  EXPECT_EQ(result.confirmed, kFirst);
}

// --- stopping ------------------------------------------------------------------------------------

TEST(Session, AStopWaitsForOutstandingDeliveriesAndConfirmsThem) {
  SessionHarness h(session_config());
  h.stream.push_transaction(kFirst, {"e1"});
  h.stop_at(milliseconds(100));
  h.clock.at(milliseconds(150), [&] { h.stream.push_transaction(kSecond, {"e2"}); });
  h.clock.at(milliseconds(5000), [&] { h.sink.deliver_all(); });

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kStopped);
  EXPECT_EQ(result.reason, "stopped by a signal");
  EXPECT_EQ(result.confirmed, kFirst);
  EXPECT_EQ(h.stream.updates.back().flushed_lsn, kFirst);
  EXPECT_EQ(h.clock.elapsed(), milliseconds(5000));
  EXPECT_EQ(h.sink.published.size(), 1u);  // nothing read after the signal
}

TEST(Session, AStopEndsAtItsDeadlineWithDeliveriesStillOutstanding) {
  SessionHarness h(session_config());
  h.stream.push_transaction(kFirst, {"e1"});
  h.stop_at(milliseconds(100));

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kStopped);
  EXPECT_THAT(result.reason, HasSubstr("still outstanding"));
  EXPECT_EQ(result.confirmed, kStart);
  EXPECT_EQ(h.clock.elapsed(), milliseconds(100) + kStopTimeout);
}

TEST(Session, ASecondSignalStopsAtOnce) {
  SessionHarness h(session_config());
  h.stream.push_transaction(kFirst, {"e1"});
  h.stop_at(milliseconds(100));
  h.stop_at(milliseconds(200));

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kStopped);
  EXPECT_THAT(result.reason, HasSubstr("at once"));
  EXPECT_EQ(h.clock.elapsed(), milliseconds(200));
}

TEST(Session, ALostConnectionWaitsBoundedlyForDeliveriesBeforeReconnecting) {
  SessionHarness h(session_config());
  h.stream.push_transaction(kFirst, {"e1"});
  h.stream.push_transaction(kSecond, {"e2"});
  h.clock.at(milliseconds(100), [&] { h.stream.lose_connection(); });
  h.clock.at(milliseconds(2000), [&] { h.sink.deliver(1); });

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kConnectionLost);
  EXPECT_EQ(result.confirmed, kFirst);
  EXPECT_EQ(h.clock.elapsed(), milliseconds(100) + kReconnectDrainTimeout);
}

// --- waking up -----------------------------------------------------------------------------------

using std::chrono::microseconds;

// Pushes a transaction of one event `id`, ending at `end`, at `after` from the start.
void transaction_at(SessionHarness& h, microseconds after, Lsn end, std::string_view id) {
  auto frames = h.stream.transaction_frames(end, {id});
  h.clock.at(after, [&h, frames = std::move(frames)]() mutable {
    for (auto& frame : frames) h.stream.push(std::move(frame));
  });
}

TEST(Session, ReadsATrickleOfSmallTransactionsTogetherAfterAMillisecond) {
  SessionHarness h(session_config());
  transaction_at(h, microseconds(0), kFirst, "e1");
  transaction_at(h, microseconds(200), kSecond, "e2");
  transaction_at(h, microseconds(400), kThird, "e3");
  h.stop_at(milliseconds(20));
  h.clock.at(milliseconds(10), [&] { h.sink.deliver_all(); });

  const SessionResult result = h.run();

  // e1 wakes the loop at once; e2 and e3, arriving within the next millisecond, are read in one
  // turn when it is over instead of waking the loop once each.
  EXPECT_THAT(h.sink.published_at,
              ::testing::ElementsAre(microseconds(0), microseconds(1000), microseconds(1000)));
  EXPECT_EQ(result.confirmed, kThird);
}

TEST(Session, ReadsTheRestOfAnOpenTransactionAtOnce) {
  SessionHarness h(session_config());
  auto frames = h.stream.transaction_frames(kFirst, {"e1", "e2"});
  ASSERT_EQ(frames.size(), 5u);  // Begin, Relation, two Inserts, Commit
  for (std::size_t i = 0; i < 3; ++i) h.stream.push(std::move(frames[i]));
  h.clock.at(microseconds(200), [&] {
    h.stream.push(std::move(frames[3]));
    h.stream.push(std::move(frames[4]));
  });
  h.stop_at(milliseconds(20));
  h.clock.at(milliseconds(10), [&] { h.sink.deliver_all(); });

  const SessionResult result = h.run();

  EXPECT_THAT(h.sink.published_at, ::testing::ElementsAre(microseconds(0), microseconds(200)));
  EXPECT_EQ(result.confirmed, kFirst);
}

TEST(Session, ABacklogIsReadOnWithoutAGap) {
  SessionHarness h(session_config());
  // 40 transactions, 120 frames and more: not a trickle.
  for (int i = 0; i < 40; ++i) {
    h.stream.push_transaction(Lsn(0x2000 + 0x100 * i), {"b" + std::to_string(i)});
  }
  transaction_at(h, microseconds(200), Lsn(0x9000), "late");
  h.stop_at(milliseconds(20));
  h.clock.at(milliseconds(10), [&] { h.sink.deliver_all(); });

  const SessionResult result = h.run();

  ASSERT_EQ(h.sink.published_at.size(), 41u);
  EXPECT_EQ(h.sink.published_at.back(), microseconds(200));
  EXPECT_EQ(result.confirmed, Lsn(0x9000));
}

TEST(Session, ASignalEndsTheGapAtOnce) {
  SessionHarness h(session_config());
  transaction_at(h, microseconds(0), kFirst, "e1");
  h.clock.at(microseconds(0), [&] { h.sink.deliver_all(); });
  h.clock.at(microseconds(300), [&] {
    h.signals.stop(h.clock.now());
    h.signals.stop(h.clock.now());
  });

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kStopped);
  EXPECT_EQ(h.clock.elapsed_us(), microseconds(300));
}

TEST(Session, ServesTheSinkOnlyWhenItSignalsReports) {
  SessionHarness h(session_config());
  h.stream.push_transaction(kFirst, {"e1"});
  // Keepalives wake the loop twenty times; the sink has something to report once.
  for (int i = 1; i <= 20; ++i) {
    h.clock.at(milliseconds(10 * i), [&] { h.stream.push(keepalive_frame(kFirst, false)); });
  }
  h.clock.at(milliseconds(105), [&] { h.sink.deliver_all(); });
  h.stop_at(milliseconds(300));

  const SessionResult result = h.run();

  EXPECT_EQ(result.confirmed, kFirst);
  // Once at the start (nothing is known yet), once for the report.
  EXPECT_EQ(h.sink.polls, 2);
}

// --- keepalives
// ------------------------------------------------------------------------------------

TEST(Session, AKeepaliveBetweenTransactionsWithNothingPendingIsConfirmed) {
  SessionHarness h(session_config());
  h.stream.push_transaction(kFirst, {"e1"});
  h.clock.at(milliseconds(50), [&] { h.sink.deliver_all(); });
  h.clock.at(milliseconds(100), [&] { h.stream.push(keepalive_frame(Lsn(0x9000), false)); });
  h.stop_at(milliseconds(300));

  const SessionResult result = h.run();

  EXPECT_EQ(result.confirmed, Lsn(0x9000));
  EXPECT_EQ(highest_flush(h.stream), Lsn(0x9000));
}

TEST(Session, AKeepaliveInsideATransactionOrBehindAPendingEventIsNotConfirmed) {
  SessionHarness h(session_config());
  h.stream.push_transaction(kFirst, {"e1"});  // never delivered
  h.stream.push(xlog_frame(kSecond, begin_message(kSecond, 901)));
  h.stream.push(keepalive_frame(Lsn(0x9000), false));
  h.stop_at(milliseconds(300));
  h.stop_at(milliseconds(400));

  const SessionResult result = h.run();

  EXPECT_EQ(result.confirmed, kStart);
  EXPECT_EQ(highest_flush(h.stream), kStart);
}

TEST(Session, AMalformedFrameStopsForAnOperatorNamingThePosition) {
  SessionHarness h(session_config());
  h.stream.push_transaction(kFirst, {"e1"});
  h.stream.push(xlog_frame(kSecond, "Z"));
  h.clock.at(milliseconds(50), [&] { h.sink.deliver_all(); });

  const SessionResult result = h.run();

  EXPECT_EQ(result.end, SessionEnd::kProtocolError);
  EXPECT_THAT(result.reason, HasSubstr(kSecond.to_string()));
  EXPECT_EQ(result.confirmed, kFirst);  // what was delivered before it still is
}

}  // namespace
}  // namespace outbox::testing
