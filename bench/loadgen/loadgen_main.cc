// outbox-loadgen: the measuring half of bench/load. Writes outbox rows at a fixed rate into a
// contender's table, reads the contender's topic, and reports every event's commit-to-Kafka
// latency (the broker's LogAppendTime of the record minus the row's commit timestamp; both clocks
// are this machine's, and LogAppendTime has millisecond resolution), the events missing or
// duplicated, and the contender's and the broker's CPU per event and peak memory.
//
//   outbox-loadgen create-topic --brokers B --topic T [--partitions 6]
//   outbox-loadgen drain --table T --brokers B --topic T --rows N --contender-pid P [...]
//   outbox-loadgen run --table T --brokers B --topic T --rate R --seconds S [--rows-per-txn K]
//                      [--warmup-seconds W] [--contender NAME --contender-pid P] [--broker-pid P]
//
// The last line of `run` is the RESULT line (see latency_summary.h). `drain` pauses the contender
// (SIGSTOP) once it answers, writes a backlog of N rows, lets it go on (SIGCONT) and times it
// until every event arrived; its RESULT line has mode=drain. Exit 0 when the run completed
// (missing events are reported, not an error), 1 when it could not be measured.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>
#include <thread>

#include "bench/loadgen/latency_summary.h"
#include "bench/loadgen/paced_writer.h"
#include "bench/loadgen/process_usage.h"
#include "bench/loadgen/topic_reader.h"

namespace {

using namespace outbox::bench;
using Clock = std::chrono::steady_clock;

struct RunOptions {
  WriterOptions writer;
  std::string brokers, topic, contender = "relay";
  double seconds = 30, warmup_seconds = 5;
  pid_t contender_pid = 0, broker_pid = 0;
  double ready_timeout = 180, drain_timeout = 30, drain_limit = 120;
  std::uint64_t backlog_rows = 0;  // drain: how many rows
  int backlog_per_transaction = 10000;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int fail(const std::string& why) {
  std::cerr << "outbox-loadgen: " << why << "\n";
  return 1;
}

// Prints what the run is doing every five seconds until `done`.
class Progress {
 public:
  Progress(const PacedWriter& writer, const TopicReader& reader) {
    thread_ = std::thread([&] {
      std::uint64_t last_received = 0;
      const auto start = Clock::now();
      while (!done_) {
        for (int i = 0; i < 50 && !done_; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (done_) break;
        const std::uint64_t written = writer.committed(), received = reader.events_received();
        std::fprintf(stderr, "  %5.0f s  %-9s written %llu, received %llu (%.0f/s), behind %lld\n",
                     seconds_since(start), phase_.load(), static_cast<unsigned long long>(written),
                     static_cast<unsigned long long>(received), (received - last_received) / 5.0,
                     static_cast<long long>(written) - static_cast<long long>(received));
        last_received = received;
      }
    });
  }
  ~Progress() {
    done_ = true;
    thread_.join();
  }
  void phase(const char* name) { phase_ = name; }

 private:
  std::atomic<bool> done_{false};
  std::atomic<const char*> phase_{"probing"};
  std::thread thread_;
};

// Writes a probe row every half second until the contender publishes one; false on timeout or
// a failed write (said on stderr).
bool wait_for_contender(PacedWriter& writer, const TopicReader& reader, const RunOptions& o) {
  const auto probing = Clock::now();
  for (std::uint64_t probe = 0; reader.probes_received() == 0; ++probe) {
    if (seconds_since(probing) > o.ready_timeout) {
      fail("the contender published nothing within " + std::to_string(o.ready_timeout) +
           " s (probe rows were written to " + o.writer.table + ")");
      return false;
    }
    if (auto error = writer.write_probe(probe); !error.empty()) {
      fail(error);
      return false;
    }
    for (int i = 0; i < 5 && reader.probes_received() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  std::fprintf(stderr, "contender %s answers after %.1f s\n", o.contender.c_str(),
               seconds_since(probing));
  return true;
}

std::optional<ProcessUsage> usage_of(pid_t pid) {
  return pid ? read_process_usage(pid) : std::nullopt;
}

// When the last event arrived, and the contender's and the broker's usage then: what a run
// charges them ends there, not after the wait for events that never come.
struct LastArrival {
  Clock::time_point at;
  std::optional<ProcessUsage> contender, broker;
};

// Waits until `total` events arrived, nothing more arrived for drain_timeout, or drain_limit
// passed: a contender that cannot keep up shows as missing events, not as a run without end.
LastArrival wait_for_events(const TopicReader& reader, std::uint64_t total, const RunOptions& o) {
  std::uint64_t last = reader.events_received();
  LastArrival arrival{Clock::now(), usage_of(o.contender_pid), usage_of(o.broker_pid)};
  const auto draining = Clock::now();
  while (last < total && seconds_since(arrival.at) < o.drain_timeout &&
         seconds_since(draining) < o.drain_limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (const auto now = reader.events_received(); now != last) {
      last = now;
      arrival = {Clock::now(), usage_of(o.contender_pid), usage_of(o.broker_pid)};
    }
  }
  return arrival;
}

double cpu_per_event(const std::optional<ProcessUsage>& before,
                     const std::optional<ProcessUsage>& after, std::uint64_t events) {
  if (!before || !after || events == 0) return 0;
  return static_cast<double>((after->cpu - before->cpu).count()) / static_cast<double>(events);
}

int drain(const RunOptions& options) {
  RunOptions o = options;
  if (o.writer.run_tag == 0) o.writer.run_tag = std::random_device{}() | 1;
  if (o.contender_pid == 0) return fail("drain needs --contender-pid (it pauses the contender)");
  const std::uint64_t total = o.backlog_rows;
  PacedWriter writer(o.writer);
  TopicReader reader(o.brokers, o.topic, o.writer.run_tag, total);
  if (auto error = reader.start(); !error.empty()) return fail(error);
  if (!wait_for_contender(writer, reader, o)) return 1;

  // Paused while the backlog is written, so that it drains a backlog, not a stream.
  if (::kill(o.contender_pid, SIGSTOP) != 0) return fail("cannot pause the contender");
  struct Resume {
    pid_t pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{o.contender_pid};
  std::fprintf(stderr, "writing a backlog of %llu rows (%d a transaction)...\n",
               static_cast<unsigned long long>(total), o.backlog_per_transaction);
  const auto writing = Clock::now();
  std::string wal_end;
  if (auto error = writer.write_backlog(total, o.backlog_per_transaction, wal_end);
      !error.empty()) {
    return fail(error);
  }
  std::fprintf(stderr, "backlog written in %.1f s, WAL end %s; draining\n", seconds_since(writing),
               wal_end.c_str());
  std::printf("WAL_END %s\n", wal_end.c_str());
  const auto contender_before = usage_of(o.contender_pid);
  const auto broker_before = usage_of(o.broker_pid);
  const auto started = Clock::now();
  ::kill(o.contender_pid, SIGCONT);
  std::optional<Progress> progress;
  progress.emplace(writer, reader);
  progress->phase("draining");
  const LastArrival last = wait_for_events(reader, total, o);
  const auto& contender_after = last.contender;
  const auto& broker_after = last.broker;
  const auto finished = last.at;
  progress.reset();
  reader.stop();

  const auto arrivals = reader.arrivals();
  std::uint64_t received = 0, duplicates = 0;
  for (const auto& arrival : arrivals) {
    if (arrival.copies > 0) ++received;
    if (arrival.copies > 1) duplicates += arrival.copies - 1;
  }
  const double seconds = std::chrono::duration<double>(finished - started).count();
  std::printf("%s drained %llu of %llu events in %.2f s\n", o.contender.c_str(),
              static_cast<unsigned long long>(received), static_cast<unsigned long long>(total),
              seconds);
  std::printf(
      "RESULT contender=%s mode=drain events=%llu missing=%llu duplicates=%llu seconds=%.2f "
      "events_per_s=%.0f cpu_us_per_event=%.2f peak_rss_mib=%.1f broker_cpu_us_per_event=%.2f\n",
      o.contender.c_str(), static_cast<unsigned long long>(total),
      static_cast<unsigned long long>(total - received),
      static_cast<unsigned long long>(duplicates), seconds, seconds > 0 ? received / seconds : 0.0,
      cpu_per_event(contender_before, contender_after, received),
      contender_after ? contender_after->peak_rss_kib / 1024.0 : 0.0,
      cpu_per_event(broker_before, broker_after, received));
  return 0;
}

int run(const RunOptions& options) {
  RunOptions o = options;
  if (o.writer.run_tag == 0) o.writer.run_tag = std::random_device{}() | 1;
  const auto warmup = static_cast<std::uint64_t>(std::llround(o.writer.rate * o.warmup_seconds));
  const auto measured = static_cast<std::uint64_t>(std::llround(o.writer.rate * o.seconds));
  const std::uint64_t total = warmup + measured;
  PacedWriter writer(o.writer);
  TopicReader reader(o.brokers, o.topic, o.writer.run_tag, total);
  if (auto error = reader.start(); !error.empty()) return fail(error);
  std::optional<Progress> progress;
  progress.emplace(writer, reader);

  // Until the contender publishes at all (a JVM contender takes a while to start).
  if (!wait_for_contender(writer, reader, o)) return 1;
  std::fprintf(stderr, "warm-up: %.0f s at %.0f events/s\n", o.warmup_seconds, o.writer.rate);
  progress->phase("warm-up");
  if (auto error = writer.write(0, warmup); !error.empty()) return fail(error);

  std::fprintf(stderr, "measuring: %.0f s at %.0f events/s, %d rows a transaction\n", o.seconds,
               o.writer.rate, o.writer.rows_per_transaction);
  progress->phase("measuring");
  const auto contender_before = usage_of(o.contender_pid);
  const auto broker_before = usage_of(o.broker_pid);
  const auto measuring = Clock::now();
  if (auto error = writer.write(warmup, measured); !error.empty()) return fail(error);
  const double writing_seconds = seconds_since(measuring);

  progress->phase("draining");
  const LastArrival last = wait_for_events(reader, total, o);
  const auto& contender_after = last.contender;
  const auto& broker_after = last.broker;
  progress.reset();
  reader.stop();
  if (reader.wrong_timestamp_type()) {
    return fail("records of " + o.topic +
                " do not carry LogAppendTime: create the topic with "
                "`outbox-loadgen create-topic`");
  }

  std::string error;
  const auto commits = writer.commit_times(total, error);
  if (!error.empty()) return fail(error);
  const auto arrivals = reader.arrivals();
  RunResult result;
  result.contender = o.contender;
  result.target_rate = o.writer.rate;
  result.events = measured;
  result.achieved_rate = writing_seconds > 0 ? measured / writing_seconds : 0;
  std::vector<double> latencies;
  latencies.reserve(measured);
  for (std::uint64_t i = 0; i < total; ++i) {
    const auto& arrival = arrivals[i];
    if (arrival.copies == 0) {
      ++result.missing;
      continue;
    }
    result.duplicates += arrival.copies - 1;
    if (i >= warmup && commits[i] > 0) {
      latencies.push_back(static_cast<double>(arrival.append_ms * 1000 - commits[i]) / 1000.0);
    }
  }
  result.latency = summarize(latencies);
  result.cpu_us_per_event = cpu_per_event(contender_before, contender_after, measured);
  result.peak_rss_mib = contender_after ? contender_after->peak_rss_kib / 1024.0 : 0;
  result.broker_cpu_us_per_event = cpu_per_event(broker_before, broker_after, measured);
  std::printf("%s: %llu events measured (%llu warm-up), written at %.0f events/s (target %.0f)\n",
              o.contender.c_str(), static_cast<unsigned long long>(measured),
              static_cast<unsigned long long>(warmup), result.achieved_rate, o.writer.rate);
  std::printf("latency ms: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
              result.latency.p50_ms, result.latency.p90_ms, result.latency.p99_ms,
              result.latency.p999_ms, result.latency.max_ms);
  if (result.missing > 0 && !reader.error().empty()) {
    std::printf("the topic reader's last error: %s\n", reader.error().c_str());
  }
  std::printf("missing %llu, duplicates %llu, records of other runs %llu\n",
              static_cast<unsigned long long>(result.missing),
              static_cast<unsigned long long>(result.duplicates),
              static_cast<unsigned long long>(reader.foreign_records()));
  std::printf("%s\n", result_line(result).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"outbox-loadgen: fixed-rate outbox load and commit-to-Kafka latency"};
  app.require_subcommand(1);

  auto* create = app.add_subcommand("create-topic", "create a topic with LogAppendTime");
  std::string brokers, topic;
  int partitions = 6;
  create->add_option("--brokers", brokers)->required();
  create->add_option("--topic", topic)->required();
  create->add_option("--partitions", partitions);

  auto* run_command = app.add_subcommand("run", "write at a fixed rate and measure");
  RunOptions options;
  run_command->add_option("--dsn", options.writer.dsn, "libpq conninfo (default: PG* variables)");
  run_command->add_option("--table", options.writer.table, "the contender's outbox table")
      ->required();
  run_command->add_option("--brokers", options.brokers)->required();
  run_command->add_option("--topic", options.topic)->required();
  run_command->add_option("--rate", options.writer.rate, "events per second")->required();
  run_command->add_option("--seconds", options.seconds, "measured time");
  run_command->add_option("--warmup-seconds", options.warmup_seconds);
  run_command->add_option("--rows-per-txn", options.writer.rows_per_transaction);
  run_command->add_option("--connections", options.writer.connections);
  run_command->add_option("--contender", options.contender, "the name in the RESULT line");
  run_command->add_option("--contender-pid", options.contender_pid);
  run_command->add_option("--broker-pid", options.broker_pid);
  run_command->add_option("--ready-timeout", options.ready_timeout, "seconds");
  run_command->add_option("--drain-timeout", options.drain_timeout, "seconds without progress");
  run_command->add_option("--drain-limit", options.drain_limit, "seconds of draining at most");
  auto* drain_command = app.add_subcommand("drain", "time a paused contender through a backlog");
  drain_command->add_option("--dsn", options.writer.dsn, "libpq conninfo (default: PG* variables)");
  drain_command->add_option("--table", options.writer.table)->required();
  drain_command->add_option("--brokers", options.brokers)->required();
  drain_command->add_option("--topic", options.topic)->required();
  drain_command->add_option("--rows", options.backlog_rows)->required();
  drain_command->add_option("--rows-per-txn", options.backlog_per_transaction);
  drain_command->add_option("--contender", options.contender);
  drain_command->add_option("--contender-pid", options.contender_pid)->required();
  drain_command->add_option("--broker-pid", options.broker_pid);
  drain_command->add_option("--ready-timeout", options.ready_timeout, "seconds");
  drain_command->add_option("--drain-timeout", options.drain_timeout, "seconds without progress");
  drain_command->add_option("--drain-limit", options.drain_limit, "seconds of draining at most");
  CLI11_PARSE(app, argc, argv);

  if (create->parsed()) {
    if (auto error = create_topic(brokers, topic, partitions); !error.empty()) return fail(error);
    return 0;
  }
  if (drain_command->parsed()) return drain(options);
  if (options.writer.rate <= 0 || options.seconds <= 0 || options.writer.rows_per_transaction < 1 ||
      options.writer.connections < 1) {
    return fail("--rate, --seconds, --rows-per-txn and --connections must be positive");
  }
  return run(options);
}
