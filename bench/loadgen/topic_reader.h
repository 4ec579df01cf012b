// Reads a load run's topic from the beginning on a thread of its own and notes, for every record
// whose `id` header names an event of the run, when the broker appended it (the topic's
// LogAppendTime, in milliseconds) and how many copies arrived.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/loadgen/event_ids.h"

namespace outbox::bench {

class TopicReader {
 public:
  // `events`: how many events the run writes (indexes 0 to events-1).
  TopicReader(std::string brokers, std::string topic, std::uint32_t run_tag, std::size_t events);
  ~TopicReader();

  // Starts consuming; an error text when the consumer cannot be made.
  std::string start();
  void stop();

  struct Arrival {
    std::int64_t append_ms = 0;  // of the first copy
    std::uint32_t copies = 0;
  };
  // A copy of what arrived so far, by event index.
  std::vector<Arrival> arrivals() const;
  std::uint64_t events_received() const { return events_received_; }
  std::uint64_t probes_received() const { return probes_received_; }
  std::uint64_t foreign_records() const { return foreign_; }
  // Set when a record's timestamp is not LogAppendTime (the topic was not made for the run).
  bool wrong_timestamp_type() const { return wrong_timestamp_type_; }
  std::string error() const;

 private:
  void consume();

  std::string brokers_, topic_;
  std::uint32_t run_tag_;
  struct Consumer;
  std::unique_ptr<Consumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<Arrival> arrivals_;
  std::string error_;
  std::atomic<std::uint64_t> events_received_{0}, probes_received_{0}, foreign_{0};
  std::atomic<bool> wrong_timestamp_type_{false};
};

// Creates `topic` with `partitions` partitions, replication factor 1 and LogAppendTime
// timestamps; an error text, empty on success.
std::string create_topic(const std::string& brokers, const std::string& topic, int partitions);

}  // namespace outbox::bench
