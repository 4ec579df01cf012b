// notification-service: consumes payment events and "sends" an email for each (a log line and a
// notifications row), once per event id.
#include <CLI/CLI.hpp>

#include "examples/common/service.h"

namespace {

const char* const kService = "notification-service";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Reference notification service: payment.events in, emails out"};
  std::string dsn;
  examples::ConsumerOptions options{kService, "", "notification-service", "payment.events",
                                    "payment.events.DLQ"};
  long backoff_ms = 1000;
  app.add_option("--dsn", dsn, "libpq connection string")->required();
  app.add_option("--bootstrap", options.bootstrap, "Kafka bootstrap servers")->required();
  app.add_option("--payments-topic", options.topic)->capture_default_str();
  app.add_option("--dlq-topic", options.dlq_topic)->capture_default_str();
  app.add_option("--group", options.group, "consumer group")->capture_default_str();
  app.add_option("--retries", options.retries, "retries after a failure")->capture_default_str();
  app.add_option("--backoff-ms", backoff_ms, "pause between attempts")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.backoff = std::chrono::milliseconds(backoff_ms);
  examples::install_stop_handlers();

  try {
    examples::Db db(dsn);
    auto handle = [&](const examples::Record& record) {
      const std::string event_type = record.header("event_type");
      std::string what;
      if (event_type == "PaymentApproved") {
        what = "payment approved";
      } else if (event_type == "PaymentRefunded") {
        what = "payment refunded";
      } else {
        examples::log(kService, "skipping unknown event type '" + event_type + "' (id " +
                                    record.header("id") + ")");
        return examples::Outcome::skipped;
      }
      if (record.header("id").empty()) throw std::runtime_error("record without an id header");
      const auto sent = db.transaction([&] {
        const auto fresh = db.query(
            "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2::uuid)"
            " ON CONFLICT DO NOTHING RETURNING event_id",
            {kService, record.header("id")});
        if (fresh.empty()) return examples::Db::Row{};
        return db
            .query(
                "INSERT INTO notifications (order_id, customer, message, source_event_id)"
                " SELECT (e->>'orderId')::uuid, e->>'customer', $2, $3::uuid"
                " FROM (SELECT $1::jsonb AS e) s RETURNING customer, order_id",
                {record.value, what, record.header("id")})
            .at(0);
      });
      if (sent.empty()) return examples::Outcome::duplicate;
      examples::log(kService,
                    "email sent to " + sent.at(0) + " for order " + sent.at(1) + " (" + what + ")");
      return examples::Outcome::processed;
    };
    return examples::run_consumer(options, handle);
  } catch (const std::exception& error) {
    examples::log(kService, std::string("error: ") + error.what());
    return 1;
  }
}
