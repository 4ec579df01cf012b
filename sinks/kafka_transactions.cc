#include "sinks/kafka_transactions.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "common/log.h"
#include "sinks/kafka_handles.h"

namespace outbox::kafka {
namespace {

const Logger kLog("kafka");

// The consumer handle logs through the relay's logger; its warnings about producer properties
// it ignores (the sink's properties are a producer's) are noise.
void on_consumer_log(const rd_kafka_t*, int level, const char* facility, const char* line) {
  if (std::strcmp(facility, "CONFWARN") == 0 || level > 4) return;
  kLog.warn(std::string("position reader: ") + line, {{"facility", facility}});
}

// Whether `topic` exists: an error when the broker cannot say.
Result<bool> topic_exists(rd_kafka_t* producer, const std::string& topic,
                          std::chrono::milliseconds timeout) {
  Owned<rd_kafka_topic_t> handle(rd_kafka_topic_new(producer, topic.c_str(), nullptr));
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t error =
      rd_kafka_metadata(producer, 0, handle.get(), &raw, timeout_ms(timeout));
  const Owned<const rd_kafka_metadata_t> metadata(raw);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error(ErrorCode::kConnectionLost,
                 "cannot look up the position topic \"" + topic + "\": " + rd_kafka_err2str(error));
  }
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const auto& found = metadata->topics[i];
    if (topic != found.topic) continue;
    if (found.err == RD_KAFKA_RESP_ERR_NO_ERROR && found.partition_cnt > 0) return true;
    if (found.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return false;
    return Error(ErrorCode::kServerRefused, "cannot look up the position topic \"" + topic +
                                                "\": " + rd_kafka_err2str(found.err));
  }
  return false;
}

}  // namespace

int timeout_ms(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 1, 3'600'000));
}

TransactionOutcome transaction_outcome(rd_kafka_error_t* error, const char* step) {
  if (error == nullptr) return {};
  const std::string text =
      std::string(step) + ": " + rd_kafka_error_name(error) + ": " + rd_kafka_error_string(error);
  TransactionStatus status = TransactionStatus::kFatal;
  if (rd_kafka_error_is_fatal(error)) {
    status = TransactionStatus::kFatal;
  } else if (rd_kafka_error_txn_requires_abort(error)) {
    status = TransactionStatus::kAbort;
  } else if (rd_kafka_error_is_retriable(error) ||
             rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    status = TransactionStatus::kRetry;
  }
  rd_kafka_error_destroy(error);
  return {status, text};
}

Result<void> ensure_position_topic(rd_kafka_t* producer, const std::string& topic,
                                   std::chrono::milliseconds timeout) {
  auto exists = topic_exists(producer, topic, timeout);
  if (!exists.ok()) return std::move(exists).error();
  if (*exists) return {};
  char error[512];
  Owned<rd_kafka_NewTopic_t> request(
      rd_kafka_NewTopic_new(topic.c_str(), 1, -1, error, sizeof error));
  if (!request) {
    return Error(ErrorCode::kInvalidConfig,
                 "cannot create the position topic \"" + topic + "\": " + error);
  }
  Owned<rd_kafka_queue_t> queue(rd_kafka_queue_new(producer));
  rd_kafka_NewTopic_t* topics[] = {request.get()};
  rd_kafka_CreateTopics(producer, topics, 1, nullptr, queue.get());
  Owned<rd_kafka_event_t> event(rd_kafka_queue_poll(queue.get(), timeout_ms(timeout)));
  if (!event) {
    return Error(ErrorCode::kConnectionLost, "cannot create the position topic \"" + topic +
                                                 "\": no answer within " +
                                                 std::to_string(timeout.count()) + " ms");
  }
  rd_kafka_resp_err_t code = rd_kafka_event_error(event.get());
  std::string why =
      code != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_event_error_string(event.get()) : std::string();
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const auto* result = rd_kafka_event_CreateTopics_result(event.get());
    std::size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    if (count == 1) {
      code = rd_kafka_topic_result_error(results[0]);
      if (const char* message = rd_kafka_topic_result_error_string(results[0])) why = message;
    }
  }
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    kLog.info("created the position topic", {{"topic", topic}});
    return {};
  }
  const ErrorCode kind =
      code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT
          ? ErrorCode::kConnectionLost
          : ErrorCode::kServerRefused;
  return Error(kind, "cannot create the position topic \"" + topic + "\" (" +
                         rd_kafka_err2name(code) + ": " + why +
                         "); create it (one partition) or allow the relay to create topics");
}

Result<std::optional<std::string>> read_committed_position(
    const std::map<std::string, std::string>& properties, const std::string& group,
    const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  auto set = [&](const std::string& name, const std::string& value) {
    return rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) ==
           RD_KAFKA_CONF_OK;
  };
  for (const auto& [name, value] : properties) {
    // Producer-only properties are refused or ignored by a consumer: how to reach the brokers
    // is what matters here.
    if (!set(name, value) && name.find("password") == std::string::npos) {
      kLog.debug("position reader: property not applied", {{"property", name}, {"why", error}});
    }
  }
  if (!set("group.id", group) || !set("isolation.level", "read_committed") ||
      !set("enable.auto.commit", "false")) {
    rd_kafka_conf_destroy(conf);
    return Error(ErrorCode::kInvalidConfig, std::string("position reader: ") + error);
  }
  rd_kafka_conf_set_log_cb(conf, &on_consumer_log);
  Owned<rd_kafka_t> consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  if (!consumer) {
    rd_kafka_conf_destroy(conf);
    return Error(ErrorCode::kInvalidConfig,
                 std::string("cannot create the position reader: ") + error);
  }
  Owned<rd_kafka_topic_partition_list_t> partitions(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(partitions.get(), topic.c_str(), 0);
  const rd_kafka_resp_err_t code =
      rd_kafka_committed(consumer.get(), partitions.get(), timeout_ms(timeout));
  const rd_kafka_topic_partition_t& partition = partitions->elems[0];
  const rd_kafka_resp_err_t partition_code =
      code != RD_KAFKA_RESP_ERR_NO_ERROR ? code : partition.err;
  if (partition_code != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const ErrorCode kind = partition_code == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
                                   partition_code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
                               ? ErrorCode::kServerRefused
                               : ErrorCode::kConnectionLost;
    return Error(kind, "cannot read the committed position of group \"" + group + "\" on \"" +
                           topic + "\": " + rd_kafka_err2name(partition_code) + ": " +
                           rd_kafka_err2str(partition_code));
  }
  if (partition.offset == RD_KAFKA_OFFSET_INVALID) return std::optional<std::string>();
  if (partition.metadata == nullptr) return std::optional<std::string>(std::string());
  return std::optional<std::string>(
      std::string(static_cast<const char*>(partition.metadata), partition.metadata_size));
}

}  // namespace outbox::kafka
