// sink.type: stdout — one JSON line per record, for demos and debugging.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>
#include <thread>

#include "tests/integration/support/json_object.h"
#include "tests/integration/support/relay_fixture.h"

namespace outbox::testing {
namespace {

using namespace std::chrono_literals;

TEST(RelayStdoutSink, WritesOneJsonLinePerOutboxRowAndConfirmsIt) {
  RelayFixture fixture("stdout");
  auto relay = fixture.start_relay(fixture.config_file(), {"--set", "sink.type=stdout"});
  const std::string before = fixture.confirmed_lsn();
  fixture.insert_event(event_id(1), "Order", "order-1", "OrderCreated", R"({"orderId": 1})");
  fixture.insert_event(event_id(2), "Payment", "payment-1", "PaymentApproved",
                       R"({"note": "a \"quoted\" word"})");
  std::vector<std::map<std::string, JsonMember>> lines;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (lines.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    lines.clear();
    std::istringstream out(relay->out());
    for (std::string line; std::getline(out, line);) {
      auto object = parse_json_object(line);
      ASSERT_TRUE(object.has_value()) << line;
      lines.push_back(*object);
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(lines.size(), 2u) << relay->out() << relay->err();
  EXPECT_EQ(lines[0].at("topic").text, fixture.topic("order"));
  EXPECT_EQ(lines[0].at("key").text, "order-1");
  EXPECT_EQ(lines[0].at("value").text, R"({"orderId": 1})");
  EXPECT_NE(lines[0].at("headers").text.find(event_id(1)), std::string::npos);
  EXPECT_EQ(lines[1].at("topic").text, fixture.topic("payment"));
  EXPECT_EQ(lines[1].at("value").text, R"({"note": "a \"quoted\" word"})");

  relay->signal(SIGTERM);
  const auto exited = relay->wait(60s);
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(*exited, 0) << relay->err();
  // Written is delivered: the slot moved past both rows.
  const auto moved = fixture.sql().column(
      "SELECT confirmed_flush_lsn > '" + before +
      "'::pg_lsn FROM pg_replication_slots WHERE slot_name = '" + fixture.slot() + "'");
  EXPECT_EQ(moved, std::vector<std::string>{"t"});
}

}  // namespace
}  // namespace outbox::testing
