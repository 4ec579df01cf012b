#include "sinks/kafka_sink.h"

#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/log.h"
#include "sinks/in_flight_records.h"
#include "sinks/kafka_handles.h"
#include "sinks/kafka_properties.h"
#include "sinks/kafka_transactions.h"
#include "sinks/topic_warmup.h"

namespace outbox {
namespace {

using namespace std::chrono_literals;

const Logger kLog("kafka");
const Logger kLibrdkafkaLog("librdkafka");

using KafkaPtr = kafka::Owned<rd_kafka_t>;
using QueuePtr = kafka::Owned<rd_kafka_queue_t>;
using HeadersPtr = kafka::Owned<rd_kafka_headers_t>;
using MetadataPtr = kafka::Owned<const rd_kafka_metadata_t>;

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// librdkafka writes these 8 bytes to the eventfd when its main queue goes from empty to
// non-empty (an eventfd takes nothing shorter).
constexpr std::uint64_t kWakeupToken = 1;

// A view that is never null: librdkafka sends a null pointer as a null key, value or header
// value, which is not what an empty one means.
const char* non_null(std::string_view text) { return text.data() != nullptr ? text.data() : ""; }

std::string_view view(const void* data, std::size_t size) {
  return data != nullptr ? std::string_view(static_cast<const char*>(data), size)
                         : std::string_view();
}

LogLevel log_level_of(int syslog_level) {
  if (syslog_level <= 3) return LogLevel::kError;  // emerg, alert, crit, err
  if (syslog_level == 4) return LogLevel::kWarn;
  if (syslog_level <= 6) return LogLevel::kInfo;  // notice, info
  return LogLevel::kDebug;
}

// What a failed delivery means for the event. Purges come from a fatal producer error (or the
// sink being destroyed): the broker never judged the record.
DeliveryFailure classify_failure(rd_kafka_resp_err_t error, bool producer_fatal) {
  if (producer_fatal) return DeliveryFailure::kAbandoned;
  switch (error) {
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__FATAL:
      return DeliveryFailure::kAbandoned;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
      return DeliveryFailure::kRecord;
    default:
      return DeliveryFailure::kOther;
  }
}

std::string describe_size(const OutgoingRecord& record) {
  const std::size_t total = record_bytes(record);
  const std::size_t header_bytes = total - record.key.size() - record.value.size();
  return std::to_string(total) + " bytes (key " + std::to_string(record.key.size()) + ", value " +
         std::to_string(record.value.size()) + ", headers " + std::to_string(header_bytes) + ")";
}

class KafkaSink final : public Sink {
 public:
  static Result<std::unique_ptr<Sink>> create(
      const std::map<std::string, std::string>& properties,
      const std::optional<KafkaTransactionSettings>& transactions);

  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;
  ~KafkaSink() override;

  PublishOutcome publish(const OutgoingRecord& record, DeliveryTicket ticket) override;
  int wakeup_fd() const override { return wakeup_.get(); }
  void poll_deliveries(DeliveryHandler& handler) override;
  bool drain(DeliveryHandler& handler, std::chrono::milliseconds timeout) override;
  std::size_t in_flight() const override { return in_flight_.size(); }
  std::optional<std::string> fatal_error() const override;
  Result<void> probe(std::chrono::milliseconds timeout) override;
  std::uint64_t connection_failures() const override { return connection_failures_; }

  TransactionOutcome init_transactions(std::chrono::milliseconds timeout) override;
  Result<std::optional<std::string>> committed_position(std::chrono::milliseconds timeout) override;
  TransactionOutcome begin_transaction() override;
  TransactionOutcome commit_transaction(std::string_view position,
                                        std::chrono::milliseconds timeout) override;
  TransactionOutcome abort_transaction(std::chrono::milliseconds timeout) override;

 private:
  KafkaSink(std::string bootstrap_servers, std::int64_t message_max_bytes,
            std::map<std::string, std::string> properties,
            std::optional<KafkaTransactionSettings> transactions)
      : bootstrap_servers_(std::move(bootstrap_servers)),
        message_max_bytes_(message_max_bytes),
        properties_(std::move(properties)),
        transactions_(std::move(transactions)) {}

  static void on_delivery_report(rd_kafka_t* kafka, const rd_kafka_message_t* message,
                                 void* opaque);
  static void on_error(rd_kafka_t* kafka, int error, const char* reason, void* opaque);
  static void on_log(const rd_kafka_t* kafka, int level, const char* facility, const char* line);

  void report(const rd_kafka_message_t& message);
  void clear_wakeup() const;

  const std::string bootstrap_servers_;
  const std::int64_t message_max_bytes_;
  const std::map<std::string, std::string> properties_;
  const std::optional<KafkaTransactionSettings> transactions_;
  // Whether the open transaction's position went out already (a commit that timed out is
  // called again, and sends only what it has not).
  bool position_sent_ = false;
  KafkaPtr producer_;
  std::optional<kafka::TopicWarmup> warmup_;  // destroyed before the producer
  QueuePtr main_queue_;
  UniqueFd wakeup_;

  InFlightRecords in_flight_;
  DeliveryHandler* handler_ = nullptr;  // set while poll_deliveries() serves reports
  std::string topic_;                   // publish()'s NUL-terminated copy of the topic
  std::vector<RecordHeader> report_headers_;
  RateLimit error_log_limit_{10, 1min};
  bool fatal_logged_ = false;
  std::uint64_t connection_failures_ = 0;  // error_cb runs on the polling thread
};

Result<std::unique_ptr<Sink>> KafkaSink::create(
    const std::map<std::string, std::string>& properties,
    const std::optional<KafkaTransactionSettings>& transactions) {
  auto conf = kafka::make_producer_conf(
      properties, transactions ? transactions->transactional_id : std::string());
  if (!conf.ok()) return std::move(conf).error();
  for (const std::string& warning : conf->warnings) kLog.warn(warning);

  std::unique_ptr<KafkaSink> sink(
      new KafkaSink(conf->bootstrap_servers, conf->message_max_bytes, properties, transactions));
  rd_kafka_conf_t* raw_conf = conf->conf.get();
  rd_kafka_conf_set_opaque(raw_conf, sink.get());
  rd_kafka_conf_set_dr_msg_cb(raw_conf, &KafkaSink::on_delivery_report);
  rd_kafka_conf_set_error_cb(raw_conf, &KafkaSink::on_error);
  rd_kafka_conf_set_log_cb(raw_conf, &KafkaSink::on_log);

  char error[512];
  sink->producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, raw_conf, error, sizeof error));
  if (sink->producer_ == nullptr) {
    return Error(ErrorCode::kInvalidConfig,
                 std::string("cannot create the Kafka producer: ") + error);
  }
  conf->conf.release();  // owned by the producer now
  sink->warmup_.emplace(sink->producer_.get());

  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    return Error(ErrorCode::kSystemFailure,
                 std::string("cannot create the Kafka sink's eventfd: ") + std::strerror(errno));
  }
  sink->wakeup_.reset(fd);
  sink->main_queue_.reset(rd_kafka_queue_get_main(sink->producer_.get()));
  rd_kafka_queue_io_event_enable(sink->main_queue_.get(), fd, &kWakeupToken, sizeof kWakeupToken);
  // librdkafka only signals a queue going from empty to non-empty; anything queued before the
  // line above (an early error event) would otherwise wait for the next one.
  const std::uint64_t token = kWakeupToken;
  [[maybe_unused]] const auto written = ::write(fd, &token, sizeof token);

  kLog.info("Kafka producer created", {{"client", rd_kafka_name(sink->producer_.get())},
                                       {"librdkafka", rd_kafka_version_str()},
                                       {"bootstrap_servers", sink->bootstrap_servers_}});
  return std::unique_ptr<Sink>(std::move(sink));
}

KafkaSink::~KafkaSink() {
  // The relay drains before it lets a sink go: whatever is left is abandoned, not waited for.
  // Stop the wake-ups before the eventfd closes (its number could be reused), and give the main
  // queue back first: rd_kafka_destroy() waits for every handle to be returned.
  if (main_queue_) {
    rd_kafka_queue_io_event_enable(main_queue_.get(), -1, nullptr, 0);
    main_queue_.reset();
  }
  warmup_.reset();
  if (producer_) {
    if (!in_flight_.empty()) {
      kLog.warn("destroying the Kafka producer with records in flight; they are abandoned",
                {{"in_flight", std::to_string(in_flight_.size())}});
    }
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    producer_.reset();
  }
}

PublishOutcome KafkaSink::publish(const OutgoingRecord& record, DeliveryTicket ticket) {
  if (record.topic.empty() || record.topic.find('\0') != std::string_view::npos) {
    return {PublishStatus::kRejected, "invalid Kafka topic name \"" + std::string(record.topic) +
                                          "\": empty or containing a NUL byte"};
  }
  topic_.assign(record.topic);
  // Pick "now" here rather than in librdkafka, so the report can say what was sent.
  const std::int64_t timestamp_ms = record.timestamp_ms != 0
                                        ? record.timestamp_ms
                                        : std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count();

  HeadersPtr headers;
  if (!record.headers.empty()) {
    headers.reset(rd_kafka_headers_new(record.headers.size()));
    for (const RecordHeader& header : record.headers) {
      rd_kafka_header_add(headers.get(), non_null(header.name),
                          static_cast<ssize_t>(header.name.size()), non_null(header.value),
                          static_cast<ssize_t>(header.value.size()));
    }
  }

  // Entered before producev(), whose opaque is the entry; removed again if it fails.
  InFlightRecord& entry = in_flight_.add(ticket, timestamp_ms);
  const rd_kafka_resp_err_t error = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
      RD_KAFKA_V_KEY(non_null(record.key), record.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(non_null(record.value)), record.value.size()),
      RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
      RD_KAFKA_V_OPAQUE(&entry), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);

  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    (void)headers.release();  // the message owns them now
    warmup_->saw(topic_);
    return {PublishStatus::kAccepted, {}};
  }
  in_flight_.remove(entry);
  // On failure the headers stay ours, and `headers` destroys them.
  switch (error) {
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      // With nothing else queued, the record alone is larger than the whole queue: waiting
      // frees no room, so this record can never be taken.
      if (in_flight_.empty()) {
        return {PublishStatus::kRejected,
                "record for topic \"" + topic_ + "\" (" + describe_size(record) +
                    ") is larger than the producer's whole queue: raise "
                    "queue.buffering.max.kbytes (or queue.buffering.max.messages)"};
      }
      return {PublishStatus::kQueueFull,
              "the Kafka producer's queue is full (queue.buffering.max.messages or "
              "queue.buffering.max.kbytes); serve delivery reports, then publish again"};
    case RD_KAFKA_RESP_ERR__FATAL:
      return {PublishStatus::kFatal, fatal_error().value_or("the Kafka producer failed fatally")};
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      return {PublishStatus::kRejected,
              "record for topic \"" + topic_ + "\" is too large: " + describe_size(record) +
                  " with message.max.bytes=" + std::to_string(message_max_bytes_)};
    default:
      // __UNKNOWN_TOPIC, __UNKNOWN_PARTITION, __INVALID_ARG and anything else about this record.
      return {PublishStatus::kRejected, "Kafka refused the record for topic \"" + topic_ + "\" (" +
                                            describe_size(record) +
                                            "): " + rd_kafka_err2str(error)};
  }
}

void KafkaSink::clear_wakeup() const {
  // One read returns the eventfd's whole count and resets it to zero.
  std::uint64_t count = 0;
  [[maybe_unused]] const auto read = ::read(wakeup_.get(), &count, sizeof count);
}

void KafkaSink::poll_deliveries(DeliveryHandler& handler) {
  // Empty the eventfd first, then serve until the queue is empty: a report queued after the last
  // rd_kafka_poll() writes the eventfd again, so no wake-up is lost.
  clear_wakeup();
  handler_ = &handler;
  while (rd_kafka_poll(producer_.get(), 0) > 0) {
  }
  handler_ = nullptr;
}

bool KafkaSink::drain(DeliveryHandler& handler, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    poll_deliveries(handler);
    if (in_flight_.empty()) return true;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    pollfd wakeup{wakeup_.get(), POLLIN, 0};
    ::poll(&wakeup, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
  }
}

std::optional<std::string> KafkaSink::fatal_error() const {
  char reason[512];
  const rd_kafka_resp_err_t error = rd_kafka_fatal_error(producer_.get(), reason, sizeof reason);
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return std::string(rd_kafka_err2name(error)) + ": " + reason;
}

Result<void> KafkaSink::probe(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* raw = nullptr;
  const int timeout_ms = kafka::timeout_ms(timeout);
  const rd_kafka_resp_err_t error =
      rd_kafka_metadata(producer_.get(), /*all_topics=*/0, /*only_rkt=*/nullptr, &raw, timeout_ms);
  const MetadataPtr metadata(raw);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const std::string servers =
        bootstrap_servers_.empty() ? std::string("(librdkafka mock cluster)") : bootstrap_servers_;
    return Error(ErrorCode::kConnectionLost,
                 "Kafka at " + servers + " did not answer a metadata request within " +
                     std::to_string(timeout_ms) + " ms: " + rd_kafka_err2str(error) +
                     "; check bootstrap.servers and that a broker is up and reachable");
  }
  return {};
}

TransactionOutcome KafkaSink::init_transactions(std::chrono::milliseconds timeout) {
  if (!transactions_) return Sink::init_transactions(timeout);
  if (auto ensured =
          kafka::ensure_position_topic(producer_.get(), transactions_->position_topic, timeout);
      !ensured.ok()) {
    return {ensured.error().code() == ErrorCode::kConnectionLost ? TransactionStatus::kRetry
                                                                 : TransactionStatus::kFatal,
            ensured.error().message()};
  }
  const int timeout_ms = kafka::timeout_ms(timeout);
  return kafka::transaction_outcome(rd_kafka_init_transactions(producer_.get(), timeout_ms),
                                    "init_transactions");
}

Result<std::optional<std::string>> KafkaSink::committed_position(
    std::chrono::milliseconds timeout) {
  if (!transactions_) return Sink::committed_position(timeout);
  return kafka::read_committed_position(properties_, transactions_->transactional_id,
                                        transactions_->position_topic, timeout);
}

TransactionOutcome KafkaSink::begin_transaction() {
  if (!transactions_) return Sink::begin_transaction();
  position_sent_ = false;
  return kafka::transaction_outcome(rd_kafka_begin_transaction(producer_.get()),
                                    "begin_transaction");
}

TransactionOutcome KafkaSink::commit_transaction(std::string_view position,
                                                 std::chrono::milliseconds timeout) {
  if (!transactions_) return Sink::commit_transaction(position, timeout);
  const int timeout_ms = kafka::timeout_ms(timeout);
  if (!position_sent_) {
    kafka::Owned<rd_kafka_topic_partition_list_t> offsets(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_t* entry =
        rd_kafka_topic_partition_list_add(offsets.get(), transactions_->position_topic.c_str(), 0);
    // Offset 0 of an empty topic: the group shows no lag. The position is the metadata.
    entry->offset = 0;
    entry->metadata = ::malloc(position.size());  // freed with the list
    std::memcpy(entry->metadata, position.data(), position.size());
    entry->metadata_size = position.size();
    kafka::Owned<rd_kafka_consumer_group_metadata_t> group(
        rd_kafka_consumer_group_metadata_new(transactions_->transactional_id.c_str()));
    auto sent =
        kafka::transaction_outcome(rd_kafka_send_offsets_to_transaction(
                                       producer_.get(), offsets.get(), group.get(), timeout_ms),
                                   "send_offsets_to_transaction");
    if (!sent.done()) return sent;
    position_sent_ = true;
  }
  return kafka::transaction_outcome(rd_kafka_commit_transaction(producer_.get(), timeout_ms),
                                    "commit_transaction");
}

TransactionOutcome KafkaSink::abort_transaction(std::chrono::milliseconds timeout) {
  if (!transactions_) return Sink::abort_transaction(timeout);
  const int timeout_ms = kafka::timeout_ms(timeout);
  return kafka::transaction_outcome(rd_kafka_abort_transaction(producer_.get(), timeout_ms),
                                    "abort_transaction");
}

void KafkaSink::on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  static_cast<KafkaSink*>(opaque)->report(*message);
}

void KafkaSink::report(const rd_kafka_message_t& message) {
  auto& entry = *static_cast<InFlightRecord*>(message._private);
  const DeliveryTicket ticket = entry.ticket;
  const std::int64_t timestamp_ms = entry.timestamp_ms;
  in_flight_.remove(entry);
  if (handler_ == nullptr) return;  // being destroyed: nobody is listening

  report_headers_.clear();
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      report_headers_.push_back({name, view(value, size)});
    }
  }
  const OutgoingRecord record{
      .topic = rd_kafka_topic_name(message.rkt),
      .key = view(message.key, message.key_len),
      .value = view(message.payload, message.len),
      .headers = report_headers_,
      .timestamp_ms = timestamp_ms,
  };

  std::string error;
  DeliveryFailure failure = DeliveryFailure::kNone;
  if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const auto fatal = fatal_error();
    failure = classify_failure(message.err, fatal.has_value());
    // Not rd_kafka_message_errstr(): for a producer's message it returns the payload.
    error = rd_kafka_err2str(message.err);
    if (rd_kafka_message_status(&message) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED) {
      error += " (the record may have been written nevertheless)";
    }
    // A fatal error purges every queued record: say why, not only "Purged in queue".
    if (message.err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
        message.err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
      if (fatal) error += " after a fatal producer error: " + *fatal;
    }
  }
  const DeliveryReport delivery{
      .ticket = ticket,
      .delivered = message.err == RD_KAFKA_RESP_ERR_NO_ERROR,
      .error = std::move(error),
      .record = record,
      .failure = failure,
  };
  handler_->on_delivery(delivery);
}

void KafkaSink::on_error(rd_kafka_t* kafka, int error, const char* reason, void* opaque) {
  auto* sink = static_cast<KafkaSink*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(error);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    if (sink->fatal_logged_) return;
    sink->fatal_logged_ = true;
    char fatal[512];
    const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(kafka, fatal, sizeof fatal);
    kLog.error(
        "the Kafka producer failed fatally and can publish nothing more; the relay must "
        "replace it and resume from the last confirmed position",
        {{"error", rd_kafka_err2name(cause)}, {"reason", fatal}});
    return;
  }
  // Transient: librdkafka retries on its own (all brokers down, a connection refused, ...).
  if (code == RD_KAFKA_RESP_ERR__TRANSPORT || code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    ++sink->connection_failures_;
  }
  long suppressed = 0;
  if (!sink->error_log_limit_.allow(suppressed)) return;
  if (suppressed > 0) {
    kLog.warn(std::string("Kafka: ") + reason,
              {{"error", rd_kafka_err2name(code)}, {"suppressed", std::to_string(suppressed)}});
  } else {
    kLog.warn(std::string("Kafka: ") + reason, {{"error", rd_kafka_err2name(code)}});
  }
}

void KafkaSink::on_log(const rd_kafka_t* kafka, int level, const char* facility, const char* line) {
  // A broker connection failure is logged under FAIL and also raised to error_cb, which logs it
  // rate-limited: keep one of the two at the default level.
  const LogLevel mapped =
      std::strcmp(facility, "FAIL") == 0 ? LogLevel::kDebug : log_level_of(level);
  if (!kLibrdkafkaLog.enabled(mapped)) return;
  kLibrdkafkaLog.log(mapped, line, {{"facility", facility}, {"client", rd_kafka_name(kafka)}});
}

}  // namespace

Result<std::unique_ptr<Sink>> make_kafka_sink(
    const std::map<std::string, std::string>& properties,
    const std::optional<KafkaTransactionSettings>& transactions) {
  return KafkaSink::create(properties, transactions);
}

std::string kafka_client_version() { return rd_kafka_version_str(); }

}  // namespace outbox
