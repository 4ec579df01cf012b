// payment-service: consumes order events; OrderCreated approves a payment, OrderCancelled
// refunds it. Each event is handled once: its id goes into processed_events in the same
// transaction as the payment and the Payment outbox row, so a redelivery changes nothing.
#include <CLI/CLI.hpp>

#include "examples/common/service.h"

namespace {

const char* const kService = "payment-service";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Reference payment service: order.events in, payments and payment events out"};
  std::string dsn, fail_order_id, table = "outbox_events";
  examples::ConsumerOptions options{kService, "", "payment-service", "order.events",
                                    "order.events.DLQ"};
  long backoff_ms = 1000;
  app.add_option("--dsn", dsn, "libpq connection string")->required();
  app.add_option("--bootstrap", options.bootstrap, "Kafka bootstrap servers")->required();
  app.add_option("--orders-topic", options.topic)->capture_default_str();
  app.add_option("--dlq-topic", options.dlq_topic)->capture_default_str();
  app.add_option("--group", options.group, "consumer group")->capture_default_str();
  app.add_option("--outbox-table", table)->capture_default_str();
  app.add_option("--retries", options.retries, "retries after a failure")->capture_default_str();
  app.add_option("--backoff-ms", backoff_ms, "pause between attempts")->capture_default_str();
  app.add_option("--fail-order-id", fail_order_id, "fail every event of this order (DLQ demo)");
  CLI11_PARSE(app, argc, argv);
  options.backoff = std::chrono::milliseconds(backoff_ms);
  examples::install_stop_handlers();

  try {
    examples::Db db(dsn);
    auto handle = [&](const examples::Record& record) {
      const std::string event_type = record.header("event_type");
      std::string kind, payment_event;
      if (event_type == "OrderCreated") {
        kind = "approved", payment_event = "PaymentApproved";
      } else if (event_type == "OrderCancelled") {
        kind = "refunded", payment_event = "PaymentRefunded";
      } else {
        examples::log(kService, "skipping unknown event type '" + event_type + "' (id " +
                                    record.header("id") + ")");
        return examples::Outcome::skipped;
      }
      if (record.header("id").empty()) throw std::runtime_error("record without an id header");
      if (!fail_order_id.empty() && record.key == fail_order_id) {
        throw std::runtime_error("forced failure for order " + fail_order_id);
      }
      return db.transaction([&] {
        const auto fresh = db.query(
            "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2::uuid)"
            " ON CONFLICT DO NOTHING RETURNING event_id",
            {kService, record.header("id")});
        if (fresh.empty()) return examples::Outcome::duplicate;
        const auto rows = db.query(
            "WITH p AS ("
            "  INSERT INTO payments (id, order_id, customer, amount, kind, source_event_id)"
            "  SELECT gen_random_uuid(), (e->>'orderId')::uuid, e->>'customer',"
            "         (e->>'amount')::numeric, $2, $3::uuid FROM (SELECT $1::jsonb AS e) s"
            "  RETURNING id, order_id, customer, amount)"
            " INSERT INTO " +
                table +
                " (id, aggregate_type, aggregate_id, event_type, payload)"
                " SELECT gen_random_uuid(), 'Payment', p.id::text, $4,"
                "        jsonb_build_object('paymentId', p.id, 'orderId', p.order_id,"
                "                           'customer', p.customer, 'amount', p.amount)"
                " FROM p RETURNING aggregate_id, payload->>'orderId'",
            {record.value, kind, record.header("id"), payment_event});
        examples::log(kService, "payment " + rows.at(0).at(0) + " " + kind + " for order " +
                                    rows.at(0).at(1) + ", " + payment_event + " in the outbox");
        return examples::Outcome::processed;
      });
    };
    return examples::run_consumer(options, handle);
  } catch (const std::exception& error) {
    examples::log(kService, std::string("error: ") + error.what());
    return 1;
  }
}
