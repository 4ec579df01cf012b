#include "sinks/topic_warmup.h"

#include <librdkafka/rdkafka.h>

#include <chrono>

namespace outbox::kafka {
namespace {

// A broker that does not answer this soon leaves the topic to librdkafka's own scan, as without
// the warm-up; the bound also bounds how long destroying the sink can wait for a request.
constexpr auto kRequestTimeout = std::chrono::milliseconds(500);

// The seen set stops growing here, like the mapper's topic cache: a runaway set of aggregate
// types gets no more warm-ups, only librdkafka's scan.
constexpr std::size_t kMostTopics = 10000;

}  // namespace

TopicWarmup::TopicWarmup(rd_kafka_s* producer)
    : producer_(producer), worker_([this](std::stop_token stop) { serve(stop); }) {}

TopicWarmup::~TopicWarmup() {
  worker_.request_stop();
  worker_.join();
}

void TopicWarmup::saw(std::string_view topic) {
  if (seen_.size() >= kMostTopics || seen_.contains(topic)) return;
  seen_.emplace(topic);
  {
    std::lock_guard lock(mutex_);
    queued_.emplace_back(topic);
  }
  wake_.notify_one();
}

void TopicWarmup::serve(const std::stop_token& stop) {
  while (true) {
    std::string topic;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [this] { return !queued_.empty(); })) return;
      topic = std::move(queued_.front());
      queued_.pop_front();
    }
    rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_, topic.c_str(), nullptr);
    if (handle != nullptr) {
      const rd_kafka_metadata_t* metadata = nullptr;
      if (rd_kafka_metadata(producer_, /*all_topics=*/0, handle, &metadata,
                            static_cast<int>(kRequestTimeout.count())) ==
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_metadata_destroy(metadata);
      }
      rd_kafka_topic_destroy(handle);
    }
  }
}

}  // namespace outbox::kafka
