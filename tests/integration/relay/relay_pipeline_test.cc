// The relay's runner and session in this process, against the real PostgreSQL, with a sink the
// test controls: it holds every record until the test delivers it, and can fail the way a fatal
// idempotent producer does (every queued record reported as purged). What a real broker cannot do
// on cue.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "config/config.h"
#include "relay/commands.h"
#include "sinks/sink.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

using namespace std::chrono_literals;

// What every controlled sink of one test shares: which event ids are held by a live sink right
// now (an id held twice is an event queued twice), and the most any one sink held.
struct SinkLedger {
  std::mutex mutex;
  std::multiset<std::string> held;
  std::size_t most_held_at_once = 0;
  std::size_t most_copies_of_one_event = 0;
  std::vector<std::string> published;  // every id any sink accepted, in order
};

class ControlledSink final : public Sink {
 public:
  explicit ControlledSink(SinkLedger& ledger)
      : ledger_(ledger), wakeup_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~ControlledSink() override {
    std::lock_guard lock(ledger_.mutex);
    for (const Held& record : queued_) ledger_.held.erase(ledger_.held.find(record.id));
    for (const Held& record : reports_) {
      if (!record.id.empty()) ledger_.held.erase(ledger_.held.find(record.id));
    }
    ::close(wakeup_);
  }

  PublishOutcome publish(const OutgoingRecord& record, DeliveryTicket ticket) override {
    std::lock_guard lock(ledger_.mutex);
    if (fatal_) return {PublishStatus::kFatal, *fatal_};
    Held held;
    held.ticket = ticket;
    held.topic = record.topic;
    held.key = record.key;
    for (const auto& header : record.headers) {
      held.headers.emplace_back(header.name, header.value);
      if (header.name == "id") held.id = header.value;
    }
    ledger_.held.insert(held.id);
    ledger_.published.push_back(held.id);
    ledger_.most_copies_of_one_event =
        std::max(ledger_.most_copies_of_one_event, ledger_.held.count(held.id));
    queued_.push_back(std::move(held));
    ledger_.most_held_at_once = std::max(ledger_.most_held_at_once, queued_.size());
    return {PublishStatus::kAccepted, {}};
  }

  int wakeup_fd() const override { return wakeup_; }

  void poll_deliveries(DeliveryHandler& handler) override {
    std::uint64_t count = 0;
    while (::read(wakeup_, &count, sizeof count) > 0) {
    }
    std::deque<Held> ready;
    {
      std::lock_guard lock(ledger_.mutex);
      ready.swap(reports_);
      for (const Held& record : ready) ledger_.held.erase(ledger_.held.find(record.id));
    }
    for (const Held& held : ready) {
      std::vector<RecordHeader> headers;
      for (const auto& [name, value] : held.headers) headers.push_back({name, value});
      const OutgoingRecord record{held.topic, held.key, {}, headers, 0};
      handler.on_delivery(DeliveryReport{held.ticket, held.failure == DeliveryFailure::kNone,
                                         held.error, record, held.failure});
    }
  }

  bool drain(DeliveryHandler& handler, std::chrono::milliseconds) override {
    poll_deliveries(handler);
    return in_flight() == 0;
  }

  std::size_t in_flight() const override {
    std::lock_guard lock(ledger_.mutex);
    return queued_.size() + reports_.size();
  }

  std::optional<std::string> fatal_error() const override {
    std::lock_guard lock(ledger_.mutex);
    return fatal_;
  }

  Result<void> probe(std::chrono::milliseconds) override { return {}; }

  // The test's side (another thread than the relay's).
  std::size_t queued() const {
    std::lock_guard lock(ledger_.mutex);
    return queued_.size();
  }
  void deliver(std::size_t count) {
    std::lock_guard lock(ledger_.mutex);
    for (; count > 0 && !queued_.empty(); --count) {
      reports_.push_back(std::move(queued_.front()));
      queued_.pop_front();
    }
    wake();
  }
  // A fatal idempotent-producer error: librdkafka purges every queued and in-flight record and
  // reports each as failed.
  void go_fatal() {
    std::lock_guard lock(ledger_.mutex);
    fatal_ = "RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER: test-induced fatal error";
    for (Held& record : queued_) {
      record.failure = DeliveryFailure::kAbandoned;
      record.error = "Local: Purged in queue after a fatal producer error";
      reports_.push_back(std::move(record));
    }
    queued_.clear();
    wake();
  }

 private:
  struct Held {
    DeliveryTicket ticket = 0;
    std::string topic, key;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string id;
    DeliveryFailure failure = DeliveryFailure::kNone;
    std::string error;
  };

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wakeup_, &one, sizeof one);
  }

  SinkLedger& ledger_;
  int wakeup_;
  std::deque<Held> queued_;
  std::deque<Held> reports_;
  std::optional<std::string> fatal_;
};

// run_command() on a thread of its own, with sinks the test controls.
class InProcessRelay {
 public:
  InProcessRelay(const RelayFixture& fixture, std::vector<std::string> overrides) {
    overrides.push_back("metrics.listen=");
    auto loaded =
        load_config({.file = fixture.config_file(), .environment = {}, .overrides = overrides});
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.error().message();
      return;
    }
    config_ = std::move(loaded).value();
    thread_ = std::thread([this] {
      exit_status_ = run_command(config_, [this](const Config&) -> Result<std::unique_ptr<Sink>> {
        auto sink = std::make_unique<ControlledSink>(ledger_);
        std::lock_guard lock(sinks_mutex_);
        sinks_.push_back(sink.get());
        return std::unique_ptr<Sink>(std::move(sink));
      });
      done_ = true;
    });
  }
  ~InProcessRelay() { stop(); }

  // The sink the relay made `n`-th (0 first); valid while the relay has not replaced it.
  ControlledSink* sink(std::size_t n) {
    std::lock_guard lock(sinks_mutex_);
    return n < sinks_.size() ? sinks_[n] : nullptr;
  }
  std::size_t sinks_made() {
    std::lock_guard lock(sinks_mutex_);
    return sinks_.size();
  }
  SinkLedger& ledger() { return ledger_; }
  bool done() const { return done_; }

  // SIGTERM to the relay's thread (which blocks it and reads it from its signalfd); the
  // exit status.
  std::optional<int> stop() {
    if (!thread_.joinable()) return exit_status_;
    if (!done_) pthread_kill(thread_.native_handle(), SIGTERM);
    if (!wait_until([&] { return done_.load(); }, 60s)) {
      ADD_FAILURE() << "the relay did not stop within 60 s of SIGTERM";
      thread_.detach();
      return std::nullopt;
    }
    thread_.join();
    return exit_status_;
  }

 private:
  Config config_;
  SinkLedger ledger_;
  std::mutex sinks_mutex_;
  std::vector<ControlledSink*> sinks_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  int exit_status_ = -1;
};

// Until the relay streams from the fixture's slot (rows committed before the relay created it
// would never reach it).
bool wait_streaming(const RelayFixture& fixture, PgSession& admin) {
  return wait_until(
      [&] {
        return admin
                   .column("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" +
                           fixture.slot() + "' AND active")
                   .front() == "1";
      },
      60s);
}

std::size_t count_of(const std::vector<std::string>& ids, const std::string& id) {
  return static_cast<std::size_t>(std::count(ids.begin(), ids.end(), id));
}

class FatalProducer : public ::testing::TestWithParam<const char*> {};

TEST_P(FatalProducer, PurgedRecordsAreSentAgainByARestartedPipelineUnderEveryPolicy) {
  RelayFixture fixture(std::string("fatal_") + GetParam());
  std::vector<std::string> overrides = {std::string("sink.on_permanent_error=") + GetParam()};
  if (std::string(GetParam()) == "dlq") overrides.push_back("sink.dlq_topic=fatal.dlq");
  InProcessRelay relay(fixture, overrides);
  PgSession admin;
  ASSERT_TRUE(wait_streaming(fixture, admin));

  for (int i = 1; i <= 10; ++i) fixture.insert_event(event_id(i), "Order", "o-1", "Placed", "{}");
  ASSERT_TRUE(wait_until([&] { return relay.sink(0)->queued() == 10; }, 30s))
      << "queued: " << relay.sink(0)->queued();
  relay.sink(0)->deliver(3);
  ASSERT_TRUE(wait_until([&] { return relay.sink(0)->queued() == 7; }, 10s));
  relay.sink(0)->go_fatal();

  // A new producer, and every purged event published again through it.
  ASSERT_TRUE(wait_until([&] { return relay.sinks_made() == 2; }, 30s))
      << "the relay did not restart the pipeline; done: " << relay.done();
  ASSERT_TRUE(wait_until([&] { return relay.sink(1)->queued() >= 7; }, 30s))
      << "queued on the new producer: " << relay.sink(1)->queued();
  {
    std::lock_guard lock(relay.ledger().mutex);
    for (int i = 4; i <= 10; ++i) {
      EXPECT_EQ(count_of(relay.ledger().published, event_id(i)), 2u)
          << event_id(i) << " was purged and must be published again";
    }
  }
  relay.sink(1)->deliver(1000);
  EXPECT_EQ(relay.stop(), kExitOk);
}

INSTANTIATE_TEST_SUITE_P(Policies, FatalProducer, ::testing::Values("halt", "skip", "dlq"));

TEST(RelayPipeline, RecordsOfALostSessionAreNeverQueuedTwiceAndTheSinkStaysWithinTheBound) {
  RelayFixture fixture("stale_in_flight");
  constexpr std::size_t kLimit = 20;
  InProcessRelay relay(fixture, {"sink.max_in_flight_events=" + std::to_string(kLimit),
                                 "source.status_interval_ms=200"});
  PgSession admin;
  ASSERT_TRUE(wait_streaming(fixture, admin));
  for (int i = 1; i <= 60; ++i) fixture.insert_event(event_id(i), "Order", "o-1", "Placed", "{}");

  // Kafka takes nothing (the sink never delivers) while PostgreSQL drops the relay three times.
  for (int reconnect = 1; reconnect <= 3; ++reconnect) {
    ASSERT_TRUE(wait_streaming(fixture, admin))
        << "reconnect " << reconnect << ": the relay does not stream";
    ASSERT_TRUE(wait_until(
        [&] {
          std::lock_guard lock(relay.ledger().mutex);
          return relay.ledger().held.size() >= kLimit;
        },
        30s));
    admin.exec(
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE "
        "slot_name = '" +
        fixture.slot() + "' AND active");
    ASSERT_TRUE(
        wait_until([&] { return relay.sinks_made() > static_cast<std::size_t>(reconnect); }, 60s))
        << "reconnect " << reconnect << ": the records of the lost session were kept";
  }
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(relay.ledger().mutex);
        return relay.ledger().held.size() >= kLimit;
      },
      60s));
  {
    std::lock_guard lock(relay.ledger().mutex);
    EXPECT_LE(relay.ledger().most_held_at_once, kLimit);
    EXPECT_EQ(relay.ledger().most_copies_of_one_event, 1u);
    EXPECT_LE(relay.ledger().held.size(), kLimit);
  }
  // Kafka comes back: every event is delivered once more, and the relay stops cleanly.
  const bool all_delivered = wait_until(
      [&] {
        relay.sink(relay.sinks_made() - 1)->deliver(1000);
        std::lock_guard lock(relay.ledger().mutex);
        const std::set<std::string> distinct(relay.ledger().published.begin(),
                                             relay.ledger().published.end());
        return distinct.size() == 60 && relay.ledger().held.empty();
      },
      60s);
  EXPECT_TRUE(all_delivered) << "not every event reached the last producer";
  EXPECT_EQ(relay.stop(), kExitOk);
}

}  // namespace
}  // namespace outbox::testing
