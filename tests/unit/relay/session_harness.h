// A RelaySession with scripted parts, in simulated time, for unit tests of the session's rules.
//
//   SessionHarness h(config);
//   h.stream.push_transaction(Lsn(0x100), {"e1", "e2"});
//   h.clock.at(std::chrono::milliseconds(50), [&] { h.sink.deliver_all(); });
//   h.clock.at(std::chrono::milliseconds(100), [&] { h.signals.stop(h.clock.now()); });
//   const SessionResult result = h.run();
//
// The clock moves only when the session waits: a wait with nothing ready runs the scripted
// actions in time order until one makes a descriptor it waits on ready, or its timeout ends, as
// a real poll() would. Each scripted part has a real descriptor that is ready when a real one
// would be: the stream's when frames arrived that the session has not taken in, the signals'
// when a signal came, the sink's when reports wait.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "relay/relay_session.h"
#include "tests/unit/relay/session_frames.h"

namespace outbox::testing {

// A descriptor that polls readable between set() and clear() (an eventfd).
class ReadyFlag {
 public:
  ReadyFlag() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ReadyFlag(const ReadyFlag&) = delete;
  ReadyFlag& operator=(const ReadyFlag&) = delete;
  ~ReadyFlag() { ::close(fd_); }
  int fd() const { return fd_; }
  void set() const {
    const std::uint64_t one = 1;
    (void)::write(fd_, &one, sizeof one);
  }
  void clear() const {
    std::uint64_t count = 0;
    while (::read(fd_, &count, sizeof count) > 0) {
    }
  }

 private:
  int fd_;
};

class SimulatedClock final : public LoopClock {
 public:
  SteadyTime now() const override { return now_; }
  WallTime wall_now() const override {
    return WallTime(std::chrono::duration_cast<WallTime::duration>(
        std::chrono::sys_days(std::chrono::year(2026) / 1 / 1).time_since_epoch() +
        (now_ - SteadyTime())));
  }

  int wait(std::span<pollfd> fds, std::chrono::milliseconds timeout) override {
    if (++waits_ > kMaxWaits) throw std::runtime_error("the session did not end in time");
    const SteadyTime until = now_ + timeout;
    while (true) {
      if (const int ready = ::poll(fds.data(), fds.size(), 0); ready != 0) return ready;
      if (actions_.empty() || actions_.begin()->first > until) break;
      now_ = std::max(now_, actions_.begin()->first);
      run_due();
    }
    now_ = std::max(now_, until);
    return 0;
  }

  // Runs `action` once the clock reaches `after` from the start.
  void at(std::chrono::microseconds after, std::function<void()> action) {
    actions_.emplace(SteadyTime() + after, std::move(action));
  }

  std::chrono::milliseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now_ - SteadyTime());
  }
  std::chrono::microseconds elapsed_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(now_ - SteadyTime());
  }
  // How many times the session waited.
  int waits() const { return waits_; }

 private:
  static constexpr int kMaxWaits = 200000;

  void run_due() {
    while (!actions_.empty() && actions_.begin()->first <= now_) {
      auto action = std::move(actions_.begin()->second);
      actions_.erase(actions_.begin());
      action();
    }
  }

  SteadyTime now_{};
  std::multimap<SteadyTime, std::function<void()>> actions_;
  int waits_ = 0;
};

// Frames pushed arrive on the socket (it polls readable) and are taken in by consume_input(),
// as libpq takes them from a real one; next_frame() returns only frames taken in.
class ScriptedStream final : public ReplicationStream {
 public:
  int socket() const override { return arrived_.fd(); }

  Result<ReadStatus> next_frame(ReplicationFrame& frame) override {
    if (lost_) return Error{ErrorCode::kConnectionLost, "replication connection: reading: gone"};
    if (frames_.empty()) return ReadStatus::kNeedInput;
    const std::string& bytes = frames_.front();
    char* copy = static_cast<char*>(std::malloc(bytes.size()));
    std::memcpy(copy, bytes.data(), bytes.size());
    frame = ReplicationFrame(copy, bytes.size(), &std::free);
    frames_.pop_front();
    ++frames_read;
    return ReadStatus::kFrame;
  }
  Result<void> consume_input() override {
    arrived_.clear();
    while (!arriving_.empty()) {
      frames_.push_back(std::move(arriving_.front()));
      arriving_.pop_front();
    }
    return {};
  }
  Result<void> send_status(const StandbyStatusUpdate& update) override {
    if (lost_) return Error{ErrorCode::kConnectionLost, "replication connection: sending: gone"};
    updates.push_back(update);
    update_times.push_back(clock != nullptr ? clock->elapsed() : std::chrono::milliseconds(-1));
    return {};
  }
  bool wants_write() const override { return false; }
  Result<void> flush() override { return {}; }

  void push(std::string frame) {
    arriving_.push_back(std::move(frame));
    arrived_.set();
  }
  // Begin, the outbox Relation (first time only), one Insert per id, Commit ending at `end`.
  void push_transaction(Lsn end, std::initializer_list<std::string_view> ids,
                        std::optional<std::string_view> aggregate_id = "a-1") {
    for (auto& frame : transaction_frames(end, ids, aggregate_id)) push(std::move(frame));
  }
  // The frames push_transaction() pushes, for a test that sends them at different times.
  std::vector<std::string> transaction_frames(
      Lsn end, std::initializer_list<std::string_view> ids,
      std::optional<std::string_view> aggregate_id = "a-1") {
    std::vector<std::string> frames;
    const Lsn begin_at(end.value() - 0x40);
    frames.push_back(xlog_frame(begin_at, begin_message(Lsn(end.value() - 8), ++xid_)));
    if (!relation_sent_) {
      frames.push_back(xlog_frame(begin_at, outbox_relation_message()));
      relation_sent_ = true;
    }
    for (const auto id : ids) {
      frames.push_back(xlog_frame(begin_at, outbox_insert_message(id, aggregate_id)));
    }
    frames.push_back(xlog_frame(end, commit_message(Lsn(end.value() - 8), end)));
    return frames;
  }
  void lose_connection() {
    lost_ = true;
    arrived_.set();  // a broken connection polls readable
  }
  std::size_t pending() const { return frames_.size() + arriving_.size(); }

  // What the session told the server, in order, and when (simulated time).
  std::vector<StandbyStatusUpdate> updates;
  std::vector<std::chrono::milliseconds> update_times;
  const SimulatedClock* clock = nullptr;
  std::size_t frames_read = 0;

 private:
  std::deque<std::string> frames_;    // taken in
  std::deque<std::string> arriving_;  // on the socket
  ReadyFlag arrived_;
  bool relation_sent_ = false;
  bool lost_ = false;
  std::uint32_t xid_ = 700;
};

// A sink that holds every accepted record until the test delivers or fails it.
// The session owns its stream; the test keeps the scripted one, and hands the session this.
class BorrowedStream final : public ReplicationStream {
 public:
  explicit BorrowedStream(ReplicationStream& stream) : stream_(stream) {}
  int socket() const override { return stream_.socket(); }
  Result<ReadStatus> next_frame(ReplicationFrame& frame) override {
    return stream_.next_frame(frame);
  }
  Result<void> consume_input() override { return stream_.consume_input(); }
  Result<void> send_status(const StandbyStatusUpdate& update) override {
    return stream_.send_status(update);
  }
  bool wants_write() const override { return stream_.wants_write(); }
  Result<void> flush() override { return stream_.flush(); }

 private:
  ReplicationStream& stream_;
};

class ScriptedSink final : public Sink {
 public:
  struct Held {
    DeliveryTicket ticket;
    std::string topic, key, value, id;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  ScriptedSink() : wakeup_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~ScriptedSink() override { ::close(wakeup_); }

  PublishOutcome publish(const OutgoingRecord& record, DeliveryTicket ticket) override {
    if (fatal_) return {PublishStatus::kFatal, *fatal_};
    Held held{
        ticket, std::string(record.topic), std::string(record.key), std::string(record.value), {},
        {}};
    for (const auto& header : record.headers) {
      held.headers.emplace_back(header.name, header.value);
      if (header.name == "id") held.id = header.value;
    }
    if (auto scripted = next_outcome(held); scripted.status != PublishStatus::kAccepted) {
      return scripted;
    }
    published.push_back(held);
    published_at.push_back(clock != nullptr ? clock->elapsed_us() : std::chrono::microseconds(-1));
    queued_.push_back(std::move(held));
    return {PublishStatus::kAccepted, {}};
  }
  int wakeup_fd() const override { return wakeup_; }
  void poll_deliveries(DeliveryHandler& handler) override {
    ++polls;
    std::uint64_t count = 0;
    while (::read(wakeup_, &count, sizeof count) > 0) {
    }
    auto ready = std::move(reports_);
    reports_.clear();
    for (const auto& [held, failure, error] : ready) {
      std::vector<RecordHeader> headers;
      for (const auto& [name, value] : held.headers) headers.push_back({name, value});
      const OutgoingRecord record{held.topic, held.key, held.value, headers, 0};
      handler.on_delivery(
          DeliveryReport{held.ticket, failure == DeliveryFailure::kNone, error, record, failure});
    }
  }
  bool drain(DeliveryHandler& handler, std::chrono::milliseconds) override {
    poll_deliveries(handler);
    return in_flight() == 0;
  }
  std::size_t in_flight() const override { return queued_.size() + reports_.size(); }
  std::optional<std::string> fatal_error() const override { return fatal_; }
  Result<void> probe(std::chrono::milliseconds) override { return {}; }

  // Reports the oldest `count` queued records (all by default) as delivered, or failed.
  void deliver(std::size_t count = SIZE_MAX, DeliveryFailure failure = DeliveryFailure::kNone,
               std::string error = {}) {
    for (; count > 0 && !queued_.empty(); --count) {
      reports_.push_back({std::move(queued_.front()), failure, error});
      queued_.pop_front();
    }
    const std::uint64_t one = 1;
    (void)::write(wakeup_, &one, sizeof one);
  }
  void deliver_all() { deliver(); }
  void fail_next(std::size_t count, DeliveryFailure failure, std::string error) {
    deliver(count, failure, std::move(error));
  }
  // Makes the sink fatal: publishing fails, and what it held is reported abandoned.
  void go_fatal(std::string why) {
    fatal_ = why;
    deliver(SIZE_MAX, DeliveryFailure::kAbandoned, "purged: " + why);
  }
  // The outcome of the next publish calls, before accepting (kQueueFull, kRejected, kFatal);
  // the record with id `id` only, when given.
  void refuse(PublishStatus status, std::string error, std::string id = {}, int times = 1) {
    refusals_.push_back({status, std::move(error), std::move(id), times});
  }
  // Records with a DeliveryTicket as the session made it, for tickets of other sessions.
  void inject_report(DeliveryTicket ticket) {
    Held held{ticket, "order.events", "a-1", "{}", "stale", {{"id", "stale"}}};
    reports_.push_back({std::move(held), DeliveryFailure::kNone, {}});
    const std::uint64_t one = 1;
    (void)::write(wakeup_, &one, sizeof one);
  }

  std::vector<Held> published;                          // every record accepted, in order
  std::vector<std::chrono::microseconds> published_at;  // when each was accepted (simulated)
  const SimulatedClock* clock = nullptr;
  int polls = 0;  // poll_deliveries calls
  std::size_t queued() const { return queued_.size(); }

 private:
  struct Refusal {
    PublishStatus status;
    std::string error, id;
    int times;
  };
  struct Report {
    Held held;
    DeliveryFailure failure;
    std::string error;
  };
  PublishOutcome next_outcome(const Held& held) {
    for (auto it = refusals_.begin(); it != refusals_.end(); ++it) {
      if (!it->id.empty() && it->id != held.id) continue;
      PublishOutcome outcome{it->status, it->error};
      if (--it->times == 0) refusals_.erase(it);
      return outcome;
    }
    return {PublishStatus::kAccepted, {}};
  }

  int wakeup_;
  std::deque<Held> queued_;
  std::vector<Report> reports_;
  std::vector<Refusal> refusals_;
  std::optional<std::string> fatal_;
};

class ScriptedSignals final : public Signals {
 public:
  int fd() const override { return pending_.fd(); }
  int poll() override {
    pending_.clear();
    return received_;
  }
  int received() const override { return received_; }
  int take_hangups() override { return std::exchange(hangups_, 0); }
  Clock::time_point stop_deadline() const override { return deadline_; }

  // A SIGTERM at `now` (the simulated clock's).
  void stop(Clock::time_point now) {
    if (received_++ == 0) deadline_ = now + kStopTimeout;
    pending_.set();
  }
  void hang_up() {
    ++hangups_;
    pending_.set();
  }

 private:
  int received_ = 0;
  int hangups_ = 0;
  ReadyFlag pending_;
  Clock::time_point deadline_ = Clock::time_point::max();
};

class CountingProbe final : public RelayProbe {
 public:
  void event_published(std::string_view) override { ++published; }
  void event_failed(FailureReason reason) override { failures.push_back(reason); }
  void event_dead_lettered() override { ++dead_lettered; }
  void event_skipped() override { ++skipped; }
  void commit_to_ack(std::chrono::duration<double>) override {}
  void positions(Lsn, Lsn confirmed_lsn, Lsn) override { confirmed = confirmed_lsn; }
  void lag(std::chrono::duration<double>) override {}
  void in_flight(std::size_t events) override { last_in_flight = events; }
  void backpressure(std::chrono::duration<double> more) override { backpressure_time += more; }
  void reconnect(ReconnectTarget) override {}
  void pipeline_restart() override {}
  void slot_recreated() override {}
  void streaming(bool) override {}
  void heartbeat() override {}

  int published = 0, dead_lettered = 0, skipped = 0;
  std::vector<FailureReason> failures;
  Lsn confirmed;
  std::size_t last_in_flight = 0;
  std::chrono::duration<double> backpressure_time{0};
};

// A configuration for the scripted parts: the default outbox layout, a quiet log.
inline Config session_config(PermanentErrorPolicy policy = PermanentErrorPolicy::kHalt) {
  Config config;
  config.source.dsn = "host=unused";
  config.sink.on_permanent_error = policy;
  config.metrics.listen.clear();
  return config;
}

inline constexpr Lsn kStart{0x1000};

struct SessionHarness {
  explicit SessionHarness(Config session_config, std::uint32_t session_generation = 1)
      : config(std::move(session_config)), generation(session_generation) {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    stream.clock = &clock;
    sink.clock = &clock;
  }

  SessionResult run() {
    SystemdNotifier systemd;
    RelaySession session(config, std::make_unique<BorrowedStream>(stream), kStart, generation,
                         SessionServices{sink, signals, probe, systemd, clock});
    SessionResult result = session.run();
    stats = session.stats();
    return result;
  }

  void stop_at(std::chrono::milliseconds after) {
    clock.at(after, [this] { signals.stop(clock.now()); });
  }

  Config config;
  std::uint32_t generation;
  SimulatedClock clock;
  ScriptedSink sink;
  ScriptedSignals signals;
  CountingProbe probe;
  ScriptedStream stream;
  SessionStats stats;
};

}  // namespace outbox::testing
