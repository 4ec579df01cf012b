// Asks the broker for a topic's metadata as soon as the producer first sees the topic.
//
// librdkafka learns the partitions of a topic it has not seen before only at its topic scan,
// which runs once a second: every record to a new topic (the first after a start or restart,
// the first of a new aggregate type) would wait up to a second before it could even be sent. A
// metadata request for the topic fills librdkafka's cache at once, and the waiting records are
// partitioned and sent when its answer arrives (a few milliseconds from a local broker).
//
// The request blocks its caller until the broker answers, so it runs on a thread of its own,
// one topic after another; the relay's loop only hands it the name.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>

struct rd_kafka_s;

namespace outbox::kafka {

class TopicWarmup {
 public:
  // `producer` outlives this object.
  explicit TopicWarmup(rd_kafka_s* producer);
  // Waits for the request in progress, if any (at most kRequestTimeout); drops the others.
  ~TopicWarmup();
  TopicWarmup(const TopicWarmup&) = delete;
  TopicWarmup& operator=(const TopicWarmup&) = delete;

  // Called for every record published: a name not seen before is queued for a request.
  void saw(std::string_view topic);

 private:
  void serve(const std::stop_token& stop);

  // Finds a topic by the record's string_view, without a copy per record.
  struct TopicHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view topic) const {
      return std::hash<std::string_view>{}(topic);
    }
  };

  rd_kafka_s* producer_;
  std::unordered_set<std::string, TopicHash, std::equal_to<>> seen_;  // the relay's thread only
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<std::string> queued_;
  std::jthread worker_;
};

}  // namespace outbox::kafka
