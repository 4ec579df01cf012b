// sink.type: stdout — one JSON line per record, for demos and debugging.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <sstream>

#include "tests/integration/support/json_object.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/wait_until.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;

using namespace std::chrono_literals;

TEST(RelayStdoutSink, WritesOneJsonLinePerOutboxRowAndConfirmsIt) {
  RelayFixture fixture("stdout");
  auto relay = fixture.start_relay(fixture.config_file(), {"--set", "sink.type=stdout"});
  const std::string before = fixture.confirmed_lsn();
  fixture.insert_event(event_id(1), "Order", "order-1", "OrderCreated", R"({"orderId": 1})");
  fixture.insert_event(event_id(2), "Payment", "payment-1", "PaymentApproved",
                       R"({"note": "a \"quoted\" word"})");
  std::vector<std::map<std::string, JsonMember>> lines;
  std::optional<std::string> not_json;
  // Reads stdout again; done at two lines, or at a line that is not a JSON object.
  const auto read_lines = [&] {
    lines.clear();
    std::istringstream out(relay->out());
    for (std::string line; std::getline(out, line);) {
      auto object = parse_json_object(line);
      if (!object) {
        not_json = line;
        return true;
      }
      lines.push_back(*object);
    }
    return lines.size() >= 2;
  };
  wait_until(read_lines, 30s);
  ASSERT_FALSE(not_json.has_value()) << "not a JSON object: " << *not_json;
  ASSERT_EQ(lines.size(), 2u) << relay->out() << relay->err();
  EXPECT_EQ(lines[0].at("topic").text, fixture.topic("order"));
  EXPECT_EQ(lines[0].at("key").text, "order-1");
  EXPECT_EQ(lines[0].at("value").text, R"({"orderId": 1})");
  EXPECT_THAT(lines[0].at("headers").text, HasSubstr(event_id(1)));
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
