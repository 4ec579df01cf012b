// The reference services of examples/ around the real relay, PostgreSQL and Kafka: order ->
// outbox -> relay -> payment-service -> outbox -> relay -> notification-service, with a
// dead-lettered order and a full redelivery that must change nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>

#include "tests/integration/support/child_process.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/wait_until.h"
#include "tests/support/text_file.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;

class EventChain : public ::testing::Test {
 protected:
  // Runs order-service to completion and returns what it printed (the order id).
  std::string order_service(std::vector<std::string> args) {
    args.insert(args.begin(), {EXAMPLES_ORDER_SERVICE, "--dsn", fixture_.dsn()});
    ChildProcess process(args);
    const auto status = process.wait(30s);
    EXPECT_EQ(status, 0) << process.err();
    std::string out = process.out();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }
  std::unique_ptr<ChildProcess> payment_service(const std::string& group,
                                                const std::string& fail_order_id) {
    return std::make_unique<ChildProcess>(std::vector<std::string>{
        EXAMPLES_PAYMENT_SERVICE, "--dsn", fixture_.dsn(), "--bootstrap",
        services().kafka_bootstrap, "--orders-topic", fixture_.topic("order"), "--dlq-topic",
        dlq_topic_, "--group", group, "--fail-order-id", fail_order_id});
  }
  std::unique_ptr<ChildProcess> notification_service(const std::string& group) {
    return std::make_unique<ChildProcess>(std::vector<std::string>{
        EXAMPLES_NOTIFICATION_SERVICE, "--dsn", fixture_.dsn(), "--bootstrap",
        services().kafka_bootstrap, "--payments-topic", fixture_.topic("payment"), "--dlq-topic",
        fixture_.topic("payment") + ".DLQ", "--group", group});
  }
  long count(const std::string& sql) { return std::stol(fixture_.sql().column(sql).at(0)); }

  RelayFixture fixture_{"examples_chain"};
  const std::string dlq_topic_ = fixture_.topic("order") + ".DLQ";
};

TEST_F(EventChain, OrdersArePaidAndNotifiedOnceFailuresAreDeadLetteredRedeliveryIsHarmless) {
  const auto started = std::chrono::steady_clock::now();
  fixture_.sql().exec(read_text_file(std::string(EXAMPLES_SQL_DIR) + "/001_services.sql"));
  auto relay = fixture_.start_relay(fixture_.config_file());

  // Five orders, one that payment-service will refuse, and a cancellation.
  std::vector<std::string> orders;
  for (const char* customer : {"alice", "bob", "carol"}) {
    orders.push_back(order_service({"create", "--customer", customer, "--amount", "10"}));
  }
  const std::string failing = order_service({"create", "--customer", "mallory", "--amount", "99"});
  for (const char* customer : {"dave", "erin"}) {
    orders.push_back(order_service({"create", "--customer", customer, "--amount", "20.50"}));
  }
  const std::string cancelled = orders.at(1);
  EXPECT_EQ(order_service({"cancel", "--order-id", cancelled}), cancelled);
  ASSERT_EQ(orders.size(), 5u);
  ASSERT_EQ(failing.size(), 36u) << failing;
  // Each order and its event were written together.
  EXPECT_EQ(count("SELECT count(*) FROM outbox_events WHERE aggregate_type = 'Order'"), 7);

  const std::string run = unique_name("chain");
  auto payment = payment_service(run + "-payment", failing);
  auto notification = notification_service(run + "-notification");

  // 5 approvals and a refund, each notified; the failing order dead-lettered.
  ASSERT_TRUE(wait_until(
      [&] {
        return count("SELECT count(*) FROM payments") >= 6 &&
               count("SELECT count(*) FROM notifications") >= 6;
      },
      40s))
      << "payment-service:\n"
      << payment->err() << "\nnotification-service:\n"
      << notification->err() << "\nrelay:\n"
      << relay->err();
  const auto dead = read_topics({dlq_topic_}, 1, 20s);
  ASSERT_EQ(dead.size(), 1u) << payment->err();
  EXPECT_EQ(dead[0].key, failing);
  EXPECT_EQ(dead[0].headers.at("event_type"), "OrderCreated");
  EXPECT_THAT(dead[0].headers.at("error"), HasSubstr("forced failure"));
  EXPECT_EQ(dead[0].headers.at("dlq.attempts"), "4");
  EXPECT_EQ(dead[0].headers.at("dlq.original_topic"), fixture_.topic("order"));
  EXPECT_EQ(payment->count_in_log("failed for"), 4u) << payment->err();  // 1 try + 3 retries

  for (const auto& order : orders) {
    EXPECT_EQ(count("SELECT count(*) FROM payments WHERE kind = 'approved' AND order_id = '" +
                    order + "'"),
              1)
        << order;
  }
  EXPECT_EQ(count("SELECT count(*) FROM payments WHERE kind = 'refunded' AND order_id = '" +
                  cancelled + "'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM payments WHERE order_id = '" + failing + "'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM payments"), 6);
  EXPECT_EQ(count("SELECT count(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM notifications n"
                  " WHERE n.order_id = p.order_id AND n.message = 'payment ' || p.kind)"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM notifications"), 6);
  EXPECT_EQ(notification->count_in_log("email sent to "), 6u) << notification->err();
  EXPECT_THAT(notification->err(),
              HasSubstr("email sent to bob for order " + cancelled + " (payment refunded)"));

  // Redelivery: both consumers stop cleanly, then read everything again under fresh groups.
  EXPECT_EQ(payment->stop(), 0) << payment->err();
  EXPECT_EQ(notification->stop(), 0) << notification->err();
  payment = payment_service(run + "-payment-replay", failing);
  notification = notification_service(run + "-notification-replay");
  EXPECT_TRUE(wait_until(
      [&] {
        return payment->count_in_log("already processed") >= 6 &&
               notification->count_in_log("already processed") >= 6;
      },
      30s))
      << payment->err() << notification->err();
  EXPECT_EQ(read_topics({dlq_topic_}, 2, 20s).size(), 2u) << payment->err();
  EXPECT_EQ(count("SELECT count(*) FROM payments"), 6);
  EXPECT_EQ(count("SELECT count(*) FROM notifications"), 6);
  EXPECT_EQ(count("SELECT count(*) FROM outbox_events WHERE aggregate_type = 'Payment'"), 6);

  EXPECT_EQ(payment->stop(), 0) << payment->err();
  EXPECT_EQ(notification->stop(), 0) << notification->err();
  relay->signal(SIGTERM);
  EXPECT_EQ(relay->wait(30s), 0) << relay->err();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
}

}  // namespace
}  // namespace outbox::testing
