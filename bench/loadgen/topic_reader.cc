#include "bench/loadgen/topic_reader.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <string_view>

namespace outbox::bench {
namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

std::string set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    return std::string(name) + ": " + error;
  }
  return {};
}

}  // namespace

struct TopicReader::Consumer {
  rd_kafka_t* handle = nullptr;
  ~Consumer() {
    if (handle != nullptr) {
      rd_kafka_consumer_close(handle);
      rd_kafka_destroy(handle);
    }
  }
};

TopicReader::TopicReader(std::string brokers, std::string topic, std::uint32_t run_tag,
                         std::size_t events)
    : brokers_(std::move(brokers)),
      topic_(std::move(topic)),
      run_tag_(run_tag),
      arrivals_(events) {}

TopicReader::~TopicReader() { stop(); }

std::string TopicReader::start() {
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, std::string>>{
           {"bootstrap.servers", brokers_},
           {"group.id", "outbox-loadgen-" + topic_},
           {"auto.offset.reset", "earliest"},
           {"enable.auto.commit", "false"},
           // Fetch as soon as anything is there: the reader's own delay adds to nothing it
           // measures (the broker's append time is), but a quick reader keeps progress honest.
           {"fetch.wait.max.ms", "10"}}) {
    if (auto error = set(conf.get(), name, value); !error.empty()) return error;
  }
  char error[512];
  consumer_ = std::make_unique<Consumer>();
  consumer_->handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error);
  if (consumer_->handle == nullptr) return std::string("cannot create the consumer: ") + error;
  conf.release();
  rd_kafka_poll_set_consumer(consumer_->handle);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic_.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t subscribed = rd_kafka_subscribe(consumer_->handle, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (subscribed != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::string("cannot subscribe to ") + topic_ + ": " + rd_kafka_err2str(subscribed);
  }
  thread_ = std::thread([this] { consume(); });
  return {};
}

void TopicReader::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  consumer_.reset();
}

void TopicReader::consume() {
  while (!stop_) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_->handle, 100);
    if (message == nullptr) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::lock_guard lock(mutex_);
        error_ = rd_kafka_message_errstr(message);
      }
      rd_kafka_message_destroy(message);
      continue;
    }
    rd_kafka_timestamp_type_t type;
    const std::int64_t timestamp = rd_kafka_message_timestamp(message, &type);
    if (type != RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME) wrong_timestamp_type_ = true;
    rd_kafka_headers_t* headers = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    std::optional<ParsedId> parsed;
    if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(headers, "id", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        value != nullptr) {
      parsed = parse_event_id(std::string_view(static_cast<const char*>(value), size), run_tag_);
    }
    if (!parsed) {
      ++foreign_;
    } else if (parsed->kind == EventKind::kProbe) {
      ++probes_received_;
    } else {
      std::lock_guard lock(mutex_);
      if (parsed->index < arrivals_.size()) {
        Arrival& arrival = arrivals_[parsed->index];
        if (arrival.copies++ == 0) {
          arrival.append_ms = timestamp;
          ++events_received_;
        }
      } else {
        ++foreign_;
      }
    }
    rd_kafka_message_destroy(message);
  }
}

std::vector<TopicReader::Arrival> TopicReader::arrivals() const {
  std::lock_guard lock(mutex_);
  return arrivals_;
}

std::string TopicReader::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

std::string create_topic(const std::string& brokers, const std::string& topic, int partitions) {
  ConfPtr conf(rd_kafka_conf_new());
  if (auto error = set(conf.get(), "bootstrap.servers", brokers); !error.empty()) return error;
  char error[512];
  rd_kafka_t* admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
  if (admin == nullptr) return std::string("cannot create an admin client: ") + error;
  conf.release();
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error, sizeof error);
  std::string result;
  if (new_topic == nullptr) {
    result = error;
  } else {
    rd_kafka_NewTopic_set_config(new_topic, "message.timestamp.type", "LogAppendTime");
    rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
    rd_kafka_CreateTopics(admin, &new_topic, 1, nullptr, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
    if (event == nullptr) {
      result = "no answer to CreateTopics within 30 s";
    } else {
      const rd_kafka_CreateTopics_result_t* created = rd_kafka_event_CreateTopics_result(event);
      std::size_t count = 0;
      const rd_kafka_topic_result_t** topics =
          created ? rd_kafka_CreateTopics_result_topics(created, &count) : nullptr;
      if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result = rd_kafka_event_error_string(event);
      } else if (count == 1 &&
                 rd_kafka_topic_result_error(topics[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result = rd_kafka_topic_result_error_string(topics[0]);
      }
      rd_kafka_event_destroy(event);
    }
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy(new_topic);
  }
  rd_kafka_destroy(admin);
  return result;
}

}  // namespace outbox::bench
