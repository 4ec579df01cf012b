#include "tests/integration/support/kafka_reader.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <memory>

#include "tests/integration/support/kafka_client.h"
#include "tests/integration/support/services.h"

namespace outbox::testing {
namespace {

std::string bootstrap_or_default(const std::string& bootstrap) {
  return bootstrap.empty() ? services().kafka_bootstrap : bootstrap;
}

}  // namespace

std::vector<ConsumedRecord> read_topics(const std::vector<std::string>& topics,
                                        std::size_t expected, std::chrono::milliseconds timeout,
                                        const std::string& bootstrap, Isolation isolation) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_property(conf, "isolation.level",
               isolation == Isolation::kReadCommitted ? "read_committed" : "read_uncommitted");
  set_property(conf, "bootstrap.servers", bootstrap_or_default(bootstrap));
  set_property(conf, "group.id", unique_name("reader"));
  set_property(conf, "auto.offset.reset", "earliest");
  set_property(conf, "enable.auto.commit", "false");
  set_property(conf, "enable.partition.eof", "false");
  set_property(conf, "topic.metadata.refresh.interval.ms", "500");
  char error[512];
  KafkaPtr consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  std::vector<ConsumedRecord> records;
  if (!consumer) {
    ADD_FAILURE() << error;
    return records;
  }
  rd_kafka_poll_set_consumer(consumer.get());
  auto* subscription = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& topic : topics) {
    rd_kafka_topic_partition_list_add(subscription, topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_subscribe(consumer.get(), subscription);
  rd_kafka_topic_partition_list_destroy(subscription);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto grace_end = std::chrono::steady_clock::time_point::max();
  while (std::chrono::steady_clock::now() < std::min(deadline, grace_end)) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 200);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ConsumedRecord record;
      record.topic = rd_kafka_topic_name(message->rkt);
      record.partition = message->partition;
      record.offset = message->offset;
      if (message->key) record.key.assign(static_cast<const char*>(message->key), message->key_len);
      if (message->payload) {
        record.value.assign(static_cast<const char*>(message->payload), message->len);
      }
      rd_kafka_timestamp_type_t type;
      record.timestamp_ms = rd_kafka_message_timestamp(message, &type);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          record.headers[name] = value ? std::string(static_cast<const char*>(value), size) : "";
        }
      }
      records.push_back(std::move(record));
      if (records.size() >= expected && grace_end == std::chrono::steady_clock::time_point::max()) {
        grace_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
      }
    } else if (message->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
               message->err != RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
      ADD_FAILURE() << "consumer: " << rd_kafka_message_errstr(message);
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer.get());
  return records;
}

std::vector<std::string> list_topics(const std::string& bootstrap) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_property(conf, "bootstrap.servers", bootstrap_or_default(bootstrap));
  char error[512];
  KafkaPtr client(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
  std::vector<std::string> names;
  const rd_kafka_metadata_t* metadata = nullptr;
  if (!client ||
      rd_kafka_metadata(client.get(), 1, nullptr, &metadata, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "metadata request failed";
    return names;
  }
  for (int i = 0; i < metadata->topic_cnt; ++i) names.emplace_back(metadata->topics[i].topic);
  rd_kafka_metadata_destroy(metadata);
  return names;
}

}  // namespace outbox::testing
