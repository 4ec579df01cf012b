// The floor under a drain's CPU: librdkafka alone producing records shaped like the relay's
// (a key, a ~330-byte JSON value, the four default headers), with the relay's producer settings
// and allocator, from memory, into the real broker. Whatever the relay spends per event beyond
// this is PostgreSQL's stream, decoding and the relay's own bookkeeping.
//
//   outbox-producer-floor --brokers HOST:PORT --topic T --records N [--headers 4]
//                         [--max-in-flight-bytes B] [--set NAME=VALUE ...]
//
// Records are produced as the relay produces them (RD_KAFKA_MSG_F_COPY, a header list per
// record, an explicit timestamp), with delivery reports served on the producing thread and at
// most B record bytes in flight (the relay's sink.max_in_flight_bytes default). Prints one line:
//   FLOOR records=N headers=H seconds=S events_per_s=R cpu_us_per_event=C
// CPU is the process's user + system time from the first record to the last report; the
// producer's start (metadata, the idempotent producer id) is left out by one record sent first.
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sinks/kafka_properties.h"

namespace {

struct Counters {
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t bytes_in_flight = 0;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto& counters = *static_cast<Counters*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++counters.delivered;
  } else {
    ++counters.failed;
  }
  counters.bytes_in_flight -= reinterpret_cast<std::uintptr_t>(message->_private);
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The value the relay would publish for backlog row `n`: the load generator's jsonb payload
// as PostgreSQL prints it.
std::string value_of(std::uint64_t n) {
  const std::string i = std::to_string(n);
  return R"({"items": [{"sku": "SKU-)" + std::to_string(n % 10000) +
         R"(", "price": 19.99, "quantity": 2}, {"sku": "SKU-)" + std::to_string(n * 7 % 10000) +
         R"(", "price": 45.5, "quantity": 1}], "total": )" + std::to_string(n % 900 + 100) +
         R"(.95, "orderId": )" + i +
         R"(, "currency": "EUR", "placedAt": )"
         R"("2026-11-25T10:15:30.123456+00:00", "shipping": {"country": "DE", "method": )"
         R"("standard", "postcode": "10115"}, "customerId": "cust-)" +
         std::to_string(n % 100000) + R"("})";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"librdkafka alone, producing records shaped like the relay's"};
  std::string brokers, topic;
  std::uint64_t records = 0;
  int header_count = 4;
  std::uint64_t max_in_flight_bytes = 12 * 1024 * 1024;
  app.add_option("--brokers", brokers)->required();
  app.add_option("--topic", topic)->required();
  app.add_option("--records", records)->required();
  app.add_option("--headers", header_count, "how many of the default four headers")
      ->check(CLI::Range(0, 4));
  app.add_option("--max-in-flight-bytes", max_in_flight_bytes);
  std::vector<std::string> settings;
  app.add_option("--set", settings, "a librdkafka property NAME=VALUE, over the relay's defaults");
  CLI11_PARSE(app, argc, argv);

  std::map<std::string, std::string> properties{{"bootstrap.servers", brokers}};
  for (const std::string& setting : settings) {
    const auto equals = setting.find('=');
    if (equals == std::string::npos) {
      std::fprintf(stderr, "producer-floor: --set %s: expected NAME=VALUE\n", setting.c_str());
      return 2;
    }
    properties[setting.substr(0, equals)] = setting.substr(equals + 1);
  }
  auto conf = outbox::kafka::make_producer_conf(properties);
  if (!conf.ok()) {
    std::fprintf(stderr, "producer-floor: %s\n", conf.error().message().c_str());
    return 2;
  }
  Counters counters;
  rd_kafka_conf_set_opaque(conf->conf.get(), &counters);
  rd_kafka_conf_set_dr_msg_cb(conf->conf.get(), &on_delivery);
  char error[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf->conf.get(), error, sizeof error);
  if (producer == nullptr) {
    std::fprintf(stderr, "producer-floor: cannot create the producer: %s\n", error);
    return 2;
  }
  conf->conf.release();

  const std::string_view header_names[] = {"id", "event_type", "aggregate_type", "created_at"};
  const std::string created_at = "2026-12-02 18:05:37.143211+00";
  std::vector<std::string> values;  // made before the clock starts
  std::vector<std::string> keys;
  std::vector<std::string> ids;
  values.reserve(records + 1);
  for (std::uint64_t n = 0; n <= records; ++n) {
    values.push_back(value_of(n));
    keys.push_back("order-" + std::to_string(n % 1000));
    char id[37];
    std::snprintf(id, sizeof id, "0badf100-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(n));
    ids.emplace_back(id);
  }

  auto produce = [&](std::uint64_t n) {
    const std::string_view header_values[] = {ids[n], "OrderCreated", "Order", created_at};
    std::uint64_t bytes = keys[n].size() + values[n].size();
    rd_kafka_headers_t* headers = nullptr;
    if (header_count > 0) {
      headers = rd_kafka_headers_new(header_count);
      for (int h = 0; h < header_count; ++h) {
        rd_kafka_header_add(headers, header_names[h].data(),
                            static_cast<ssize_t>(header_names[h].size()), header_values[h].data(),
                            static_cast<ssize_t>(header_values[h].size()));
        bytes += header_names[h].size() + header_values[h].size();
      }
    }
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    while (true) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(keys[n].data(), keys[n].size()),
          RD_KAFKA_V_VALUE(values[n].data(), values[n].size()), RD_KAFKA_V_HEADERS(headers),
          RD_KAFKA_V_TIMESTAMP(now),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(bytes))),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        std::fprintf(stderr, "producer-floor: produce failed: %s\n", rd_kafka_err2str(err));
        std::exit(1);
      }
      rd_kafka_poll(producer, 1);
    }
    counters.bytes_in_flight += bytes;
  };

  // One record first, so the producer has its metadata and idempotent producer id.
  produce(records);
  if (rd_kafka_flush(producer, 30'000) != RD_KAFKA_RESP_ERR_NO_ERROR || counters.delivered != 1) {
    std::fprintf(stderr, "producer-floor: the first record was not delivered within 30 s\n");
    return 1;
  }
  counters.delivered = 0;

  const auto started = std::chrono::steady_clock::now();
  const double cpu_started = cpu_seconds();
  for (std::uint64_t n = 0; n < records; ++n) {
    // Like the relay: serve reports as they come, and wait for them at the byte limit.
    while (counters.bytes_in_flight >= max_in_flight_bytes) rd_kafka_poll(producer, 1);
    produce(n);
    if (n % 64 == 0) rd_kafka_poll(producer, 0);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (counters.delivered + counters.failed < records &&
         std::chrono::steady_clock::now() < deadline) {
    rd_kafka_poll(producer, 10);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu = cpu_seconds() - cpu_started;
  rd_kafka_destroy(producer);

  if (counters.delivered != records) {
    std::fprintf(stderr, "producer-floor: %llu of %llu records delivered (%llu failed)\n",
                 static_cast<unsigned long long>(counters.delivered),
                 static_cast<unsigned long long>(records),
                 static_cast<unsigned long long>(counters.failed));
    return 1;
  }
  std::printf(
      "FLOOR records=%llu headers=%d seconds=%.2f events_per_s=%.0f cpu_us_per_event=%.2f\n",
      static_cast<unsigned long long>(records), header_count, seconds, records / seconds,
      cpu * 1e6 / records);
  return 0;
}
